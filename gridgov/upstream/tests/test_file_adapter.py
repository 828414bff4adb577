"""The file adapter: a source that takes files gets its messages in a workbook per batch, in
the district's column layout; marking the batch sent delivers them."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.core.models import AuditEvent
from gridgov.upstream import services, tasks, workbook
from gridgov.upstream.models import FileBatch, MessageState, UpstreamMessage

from .conftest import make_order, point_upstream_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def file_adapter(settings):
    point_upstream_at(settings, "", secret="", adapter="file")


def queue(order, kind, payload, actor=None):
    return services.enqueue(
        source_system=order.source_system,
        kind=kind,
        order_id=order.pk,
        upstream_number=order.upstream_number,
        payload=payload,
        actor=actor,
    )


def test_messages_gather_in_one_open_batch_and_its_workbook_has_the_districts_columns(
    people, file_adapter, django_capture_on_commit_callbacks
):
    first = make_order("BHX2026112800011")
    second = make_order("BHX2026112800012")
    with django_capture_on_commit_callbacks(execute=True):
        ack = queue(first, "acknowledge", {"acknowledged_at": "2026-11-28T09:05:00+08:00"}, people["center01"])
        reply = queue(
            first,
            "reply",
            {"reply": "已协调供水公司抢修，当日18时恢复供水。", "replied_at": "2026-11-29T17:30:00+08:00"},
        )
        ret = queue(
            second,
            "return",
            {
                "reason": "反映事项属于区住建委职责。",
                "basis": "《天津市物业管理条例》第十条",
                "returned_at": "2026-11-28T10:00:00+08:00",
            },
        )
        ext = queue(
            second, "extension_request", {"until": "2026-12-10T18:00:00+08:00", "reason": "需协调多个部门现场勘查。"}
        )
    messages = list(UpstreamMessage.objects.filter(pk__in=[ack.pk, reply.pk, ret.pk, ext.pk]).order_by("id"))
    assert {m.state for m in messages} == {MessageState.BATCHED}
    (batch,) = FileBatch.objects.all()
    assert batch.is_open and batch.town_id == first.town_id
    assert {m.batch_id for m in messages} == {batch.pk}
    # The beat task leaves batched messages alone.
    assert tasks.deliver_due() == 0

    book = load_workbook(io.BytesIO(workbook.build(batch.messages.order_by("id"))))
    sheet = book[workbook.SHEET_TITLE]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == [title for title, _width in workbook.COLUMNS]
    assert rows[0][:6] == ["工单编号", "报送类型", "办理单位", "签收时间", "答复时间", "答复内容"]
    columns = {title: index for index, (title, _w) in enumerate(workbook.COLUMNS)}
    by_kind = {row[columns["报送类型"]]: row for row in rows[1:]}
    assert set(by_kind) == {"签收", "答复", "退单", "延期申请"}
    assert by_kind["签收"][columns["工单编号"]] == "BHX2026112800011"
    assert by_kind["签收"][columns["签收时间"]] == dt.datetime(2026, 11, 28, 9, 5)
    assert by_kind["签收"][columns["办理单位"]] == first.town.name
    assert by_kind["答复"][columns["答复内容"]] == "已协调供水公司抢修，当日18时恢复供水。"
    assert by_kind["答复"][columns["答复时间"]] == dt.datetime(2026, 11, 29, 17, 30)
    assert by_kind["退单"][columns["退单理由"]] == "反映事项属于区住建委职责。"
    assert by_kind["退单"][columns["退单依据"]] == "《天津市物业管理条例》第十条"
    assert by_kind["延期申请"][columns["延期申请"]] == dt.datetime(2026, 12, 10, 18, 0)
    assert by_kind["延期申请"][columns["延期理由"]] == "需协调多个部门现场勘查。"
    assert by_kind["延期申请"][columns["系统消息号"]] == ext.pk
    # No petitioner anywhere in the file.
    text = repr(rows)
    assert "13812345678" not in text and "王建国" not in text


def test_marking_a_batch_sent_delivers_its_messages_and_the_next_message_starts_a_new_batch(
    people, file_adapter, django_capture_on_commit_callbacks
):
    order = make_order()
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(order, "acknowledge", {"acknowledged_at": "2026-11-28T09:05:00+08:00"})
    batch = FileBatch.objects.get()
    services.batch_mark_sent(batch_id=batch.pk, actor=people["center01"])
    message.refresh_from_db()
    batch.refresh_from_db()
    assert message.state == MessageState.DELIVERED and message.delivered_at is not None
    assert batch.sent_at is not None and batch.sent_by == people["center01"]
    assert AuditEvent.objects.filter(action=services.BATCH_SENT, object_id=str(batch.pk)).exists()
    with pytest.raises(services.MessageConflict):
        services.batch_mark_sent(batch_id=batch.pk, actor=people["center01"])
    with django_capture_on_commit_callbacks(execute=True):
        later = queue(order, "reply", {"reply": "已处理。", "replied_at": timezone.now().isoformat()})
    later.refresh_from_db()
    assert later.batch_id not in (None, batch.pk)


def test_only_the_center_and_administrators_mark_batches_sent(people, file_adapter, django_capture_on_commit_callbacks):
    order = make_order()
    with django_capture_on_commit_callbacks(execute=True):
        queue(order, "acknowledge", {"acknowledged_at": "2026-11-28T09:05:00+08:00"})
    batch = FileBatch.objects.get()
    with pytest.raises(services.MessageForbidden):
        services.batch_mark_sent(batch_id=batch.pk, actor=people["dept01"])
    services.batch_mark_sent(batch_id=batch.pk, actor=people["admin"])

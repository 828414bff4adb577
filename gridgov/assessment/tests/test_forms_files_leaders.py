"""Issue 16, part 2: a refused form comes back with its message in Chinese next to it and the
text typed kept; the workflow steps' forms carry the object's version (a stale one is refused
with 409 and changes nothing); evidence files are encrypted at rest and their download is
scoped and audited; grid leaders see their grid workers' published results; the "results
published" notice is rendered in each reader's language."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gridgov.assessment import services
from gridgov.assessment.models import Appeal, AppealStatus, Attachment, Period, PeriodStatus, Sanction
from gridgov.core.filecrypt import MAGIC
from gridgov.core.models import AuditEvent
from gridgov.notify.models import Notification

from .helpers import compute, ended, result_of, this_month, worker_scheme
from .test_pages_api import client, computed

pytestmark = pytest.mark.usefixtures("taiping")

STALE = "他人已修改了此内容"


def _published(people: dict[str, Any]) -> Period:
    period = computed(people)
    return services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")


def _page(response: Any) -> str:
    return str(response.content.decode())


# --- refused forms ---------------------------------------------------------------------------------


def test_a_refused_score_or_entry_shows_the_message_by_the_form_and_keeps_the_text(people: dict[str, Any]) -> None:
    period = this_month(people, worker_scheme(people))
    center = client(people["center01"])
    target = f"user:{people['grid02'].pk}"
    refused = center.post(
        f"/assessment/{period.pk}/manual/",
        {"target": target, "item": "conduct", "score": "45", "evidence": "例会缺席两次，台账补齐"},
    )
    assert refused.status_code == 422
    page = _page(refused)
    assert 'data-testid="error-manual"' in page and "请输入 0 至 30.00 之间的数字" in page
    assert "例会缺席两次，台账补齐</textarea>" in page and 'value="45"' in page
    assert f'<option value="{target}" selected>' in page and "请重新选择附件" in page
    assert not period.manual_scores.exists()

    refused = center.post(
        f"/assessment/{period.pk}/entries/", {"target": target, "kind": "penalty", "points": "2", "reason": " "}
    )
    assert refused.status_code == 422
    page = _page(refused)
    assert 'data-testid="error-entry"' in page and "请填写理由" in page
    assert 'value="2"' in page and '<option value="penalty" selected>' in page
    assert not period.entries.exists()


def test_a_refused_period_form_or_recompute_keeps_what_was_typed(people: dict[str, Any]) -> None:
    center = client(people["center01"])
    town = services.managed_towns(people["center01"]).get()
    refused = center.post("/assessment/", {"town": town.code, "kind": "month", "start": "nonsense", "appeal_days": "7"})
    assert refused.status_code == 422
    page = _page(refused)
    assert 'data-testid="error-period"' in page and 'value="7"' in page

    period = computed(people)
    refused = center.post(f"/assessment/{period.pk}/act/recompute/", {"reason": "   ", "version": str(period.version)})
    assert refused.status_code == 422 and 'data-testid="error-action"' in _page(refused)
    assert Period.objects.get(pk=period.pk).status == PeriodStatus.COMPUTED


def test_an_appeal_after_the_window_closed_is_refused_in_chinese_with_the_reason_kept(people: dict[str, Any]) -> None:
    period = _published(people)
    Period.objects.filter(pk=period.pk).update(appeal_until=timezone.now() - dt.timedelta(minutes=1))
    mine = result_of(period, people["grid01"])
    worker = client(people["grid01"])
    assert 'data-testid="appeal-form"' not in _page(worker.get(f"/assessment/results/{mine.pk}/"))
    refused = worker.post(
        f"/assessment/results/{mine.pk}/appeal/", {"item": "conduct", "reason": "例会记录漏记了我的出勤"}
    )
    assert refused.status_code == 409
    page = _page(refused)
    assert 'data-testid="error-appeal"' in page and "申诉期已过" in page
    assert "例会记录漏记了我的出勤</textarea>" in page and '<option value="conduct" selected>' in page
    assert not Appeal.objects.filter(result=mine).exists()


def test_refused_reward_and_appeal_decision_forms_keep_their_text(people: dict[str, Any]) -> None:
    period = _published(people)
    mine = result_of(period, people["grid01"])
    center = client(people["center01"])
    refused = center.post(
        f"/assessment/results/{mine.pk}/sanction/",
        {"kind": "reward", "measure": "绩效奖励", "amount": "lots", "reason": "协助处置突发火情"},
    )
    assert refused.status_code == 422
    page = _page(refused)
    assert 'data-testid="error-sanction"' in page and 'value="绩效奖励"' in page and 'value="lots"' in page
    assert not Sanction.objects.filter(result=mine).exists()

    refused = center.post(
        f"/assessment/{period.pk}/sanctions/",
        {"target_type": "grid_worker", "top": "0", "bottom": "0", "reward": "通报表扬", "penalty": "约谈"},
    )
    if refused.status_code != 302:  # nothing to propose: refused with the text kept
        assert 'value="通报表扬"' in _page(refused)

    appeal = services.appeal_submit(actor=people["grid01"], result_id=mine.pk, reason="出勤漏记")
    refused = center.post(
        f"/assessment/appeals/{appeal.pk}/act/propose/",
        {"decision": "upheld", "delta": "abc", "opinion": "核实后出勤属实", "version": str(appeal.version)},
    )
    assert refused.status_code == 422
    page = _page(refused)
    assert 'data-testid="error-appeal"' in page and 'value="核实后出勤属实"' in page and 'value="abc"' in page
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.SUBMITTED


def test_a_refused_drop_keeps_the_comment_in_its_row(people: dict[str, Any]) -> None:
    period = computed(people)
    services.sanctions_propose(
        actor=people["center01"], period_id=period.pk, target_type="grid_worker", top=1, bottom=0
    )
    sanction = Sanction.objects.get(period=period)
    center = client(people["center01"])
    stale = center.post(
        f"/assessment/sanctions/{sanction.pk}/act/drop/", {"comment": "名次有误", "version": str(sanction.version + 5)}
    )
    assert stale.status_code == 409
    page = _page(stale)
    assert STALE in page and 'value="名次有误"' in page
    assert Sanction.objects.get(pk=sanction.pk).status == sanction.status


# --- versions ----------------------------------------------------------------------------------------


def test_a_stale_period_step_is_refused_with_409_and_changes_nothing(people: dict[str, Any]) -> None:
    period = computed(people)
    center = client(people["center01"])
    page = _page(center.get(f"/assessment/{period.pk}/"))
    assert f'name="version" value="{period.version}"' in page
    seen = period.version
    # Another operator recomputes meanwhile (the version moves on).
    moved = ended(compute(people, period, "recompute", reason="补录"))
    stale = center.post(f"/assessment/{period.pk}/act/publish/", {"version": str(seen)})
    assert stale.status_code == 409 and STALE in _page(stale)
    after = Period.objects.get(pk=period.pk)
    assert (after.status, after.version, after.published_at) == (PeriodStatus.COMPUTED, moved.version, None)
    # The page rendered again carries the current version: publishing from it works.
    assert f'name="version" value="{moved.version}"' in _page(stale)
    done = center.post(f"/assessment/{period.pk}/act/publish/", {"version": str(moved.version)})
    assert done.status_code == 302 and Period.objects.get(pk=period.pk).status == PeriodStatus.PUBLISHED


def test_a_stale_appeal_step_is_refused_with_409_and_changes_nothing(people: dict[str, Any]) -> None:
    period = _published(people)
    mine = result_of(period, people["grid01"])
    appeal = services.appeal_submit(actor=people["grid01"], result_id=mine.pk, reason="出勤漏记")
    seen = appeal.version
    services.appeal_act(
        actor=people["center01"], pk=appeal.pk, action="propose", inputs={"decision": "rejected", "opinion": "不属实"}
    )
    services.appeal_act(actor=people["super01"], pk=appeal.pk, action="send_back", inputs={"comment": "再核实"})
    current = Appeal.objects.get(pk=appeal.pk)
    assert current.status == AppealStatus.SUBMITTED
    stale = client(people["center01"]).post(
        f"/assessment/appeals/{appeal.pk}/act/propose/",
        {"decision": "upheld", "delta": "2", "opinion": "属实", "version": str(seen)},
    )
    assert stale.status_code == 409 and STALE in _page(stale)
    assert Appeal.objects.get(pk=appeal.pk).version == current.version
    withdrawn = client(people["grid01"]).post(
        f"/assessment/appeals/{appeal.pk}/act/withdraw/", {"version": str(current.version)}
    )
    assert withdrawn.status_code == 302 and Appeal.objects.get(pk=appeal.pk).status == AppealStatus.WITHDRAWN


# --- evidence files ----------------------------------------------------------------------------------


def test_evidence_files_are_encrypted_at_rest_and_downloaded_in_clear_by_those_who_may(people: dict[str, Any]) -> None:
    plain = b"%PDF-1.4 attendance sheet of the grid meeting"
    period = computed(people)
    center = client(people["center01"])
    saved = center.post(
        f"/assessment/{period.pk}/manual/",
        {
            "target": f"user:{people['grid01'].pk}",
            "item": "conduct",
            "score": "25",
            "evidence": "例会签到表",
            "files": SimpleUploadedFile("sign-in.pdf", plain, content_type="application/pdf"),
        },
    )
    assert saved.status_code == 302
    attachment = Attachment.objects.get(manual__period=period)
    stored = attachment.file.storage.raw_bytes(attachment.file.name)  # type: ignore[attr-defined]
    assert stored.startswith(MAGIC) and plain not in stored
    download = center.get(f"/assessment/files/{attachment.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == plain  # type: ignore[attr-defined]
    # Its name and type (it went out as "evidence-N" of no type).
    assert download["Content-Type"] == "application/pdf" and "sign-in.pdf" in download["Content-Disposition"]
    assert AuditEvent.objects.filter(action="assessment.file_download", object_id=str(attachment.pk)).exists()
    for name in ("grid01", "grid02", "gridlead01", "dept01"):
        assert client(people[name]).get(f"/assessment/files/{attachment.pk}/").status_code == 404

    period = compute(people, period, "recompute", reason="补充例会签到表")
    services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")
    mine = result_of(period, people["grid01"])
    worker = client(people["grid01"])
    worker.post(
        f"/assessment/results/{mine.pk}/appeal/",
        {"reason": "签到表漏记", "files": SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff clear photo")},
    )
    file = Attachment.objects.get(appeal__result=mine)
    assert b"clear photo" not in file.file.storage.raw_bytes(file.file.name)  # type: ignore[attr-defined]
    photo = worker.get(f"/assessment/files/{file.pk}/")
    assert b"".join(photo.streaming_content) == b"\xff\xd8\xff clear photo"  # type: ignore[attr-defined]
    assert client(people["grid02"]).get(f"/assessment/files/{file.pk}/").status_code == 404


# --- grid leaders ------------------------------------------------------------------------------------


def test_a_grid_leader_sees_the_published_results_of_the_workers_of_their_villages(people: dict[str, Any]) -> None:
    from gridgov.access.scope import scope_for

    period = computed(people)
    leader = people["gridlead01"]
    assert not services.results_visible(leader).exists()  # before publication: nothing
    assert client(leader).get(f"/assessment/{period.pk}/").status_code == 404
    services.period_act(actor=people["center01"], pk=ended(period).pk, action="publish")
    paths = scope_for(leader).paths_for_roles("grid_leader")
    assert period.current is not None
    workers = period.current.results.filter(target_type="grid_worker").select_related("area")
    led = {r.pk for r in workers if r.area is not None and r.area.path.startswith(tuple(paths))}
    assert led and led != {r.pk for r in workers}
    assert set(services.results_visible(leader).filter(target_type="grid_worker").values_list("pk", flat=True)) == led

    page = _page(client(leader).get(f"/assessment/{period.pk}/"))
    for result in workers:
        assert (f"/assessment/results/{result.pk}/" in page) == (result.pk in led)
    one = next(iter(led))
    shown = client(leader).get(f"/assessment/results/{one}/")
    assert shown.status_code == 200 and 'data-testid="appeal-form"' not in _page(shown)
    assert client(leader).post(f"/assessment/results/{one}/appeal/", {"reason": "替他申诉"}).status_code == 403
    other = next(r.pk for r in workers if r.pk not in led)
    assert client(leader).get(f"/assessment/results/{other}/").status_code == 404
    # A grid worker still sees only their own.
    worker = people["grid01"]
    assert set(services.results_visible(worker).values_list("user_id", flat=True)) == {worker.pk}


# --- the notice ----------------------------------------------------------------------------------------


def test_the_published_notice_is_rendered_in_each_readers_language(people: dict[str, Any]) -> None:
    period = _published(people)
    notice = Notification.objects.get(kind="assessment.published", recipient=people["grid01"])
    assert notice.params == {"kind": "month", "start": period.start.isoformat()}
    chinese = notice.rendered("zh-hans").title
    english = notice.rendered("en").title
    assert chinese == f"{period.start.year}年{period.start.month}月考核结果已公布" or "结果已公布" in chinese
    assert english == f"The results of {period.start:%Y-%m} monthly assessment are published"


def test_results_computed_before_keep_their_area_from_the_snapshot(people: dict[str, Any]) -> None:
    import importlib

    from django.apps import apps

    period = computed(people)
    assert period.current is not None
    results = period.current.results.filter(target_type="grid_worker")
    before = dict(results.values_list("pk", "area_id"))
    assert all(before.values())
    results.update(area=None)
    importlib.import_module("gridgov.assessment.migrations.0002_result_area_of_people").backfill(apps, None)
    assert dict(results.values_list("pk", "area_id")) == before

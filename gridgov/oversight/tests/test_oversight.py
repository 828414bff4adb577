"""The discipline office: every rule's count is its list, the thresholds and their history,
supervision notices on cases and orders, accountability records, conduct complaints and who may
see any of it."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.areas.models import Area, AreaLevel
from gridgov.cases.models import Case
from gridgov.cases.tests.loop_helpers import act, build, report
from gridgov.core.audit import record
from gridgov.core.errors import Forbidden, Invalid, NotFound
from gridgov.core.models import AuditEvent
from gridgov.core.reveals import REVEAL_ACTIONS
from gridgov.hotline import services as hotline_services
from gridgov.hotline.tests.core_helpers import order_data
from gridgov.notice import complaints as complaint_flow
from gridgov.notice import services as notice_services
from gridgov.notice.models import ComplaintStatus, Publication
from gridgov.notice.selectors import complaints_visible
from gridgov.oversight import registry, selectors, services
from gridgov.oversight.models import Accountability, SupervisionStatus
from gridgov.people.models import Role
from gridgov.people.services import role_assign

REFUSED = ["grid01", "dept01", "leader01", "center01", "gridlead01"]


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def town() -> Area:
    return Area.objects.current().get(level=AreaLevel.TOWN)


def grid_of(user: Any) -> Area:
    return Area.objects.get(pk=user.role_assignments.get(role=Role.GRID_WORKER).area_id)


@pytest.fixture
def world(people: dict[str, Any]) -> dict[str, Any]:
    """Cases and an order that each rule should find."""
    closed = build(people, "closed")  # reported and verified by grid01: self-verified
    returned = build(people, "returned")
    reworked = build(people, "awaiting_verification")
    act(people, reworked, "verify_fail", "grid01")
    extended = build(people, "in_progress_extension")
    act(people, extended, "approve_extension", "center01")
    # Self-handling now needs photos; a record without any is one brought in from a ledger.
    self_handled = report(people)
    Case.objects.filter(pk=self_handled.pk).update(self_handled=True)
    order = hotline_services.order_receive(actor=people["upstream01"], data=order_data(), channel="api").order
    return {
        "closed": closed,
        "returned": returned,
        "reworked": reworked,
        "extended": Case.objects.get(pk=extended.pk),
        "self_handled": self_handled,
        "order": order,
    }


# --- the rules ----------------------------------------------------------------------------------


def test_every_rule_counts_the_rows_of_its_list(people: dict[str, Any], world: dict[str, Any]) -> None:
    supervisor = people["super01"]
    context = selectors.context_for(supervisor, town(), timezone.now() + dt.timedelta(days=40))
    figures = {figure.rule.code: figure for figure in selectors.figures(context)}
    assert set(figures) == {rule.code for rule in registry.rules()}
    for code, figure in figures.items():
        listed = list(figure.rule.queryset(context))
        assert figure.count == len(listed), code


def test_the_rules_find_what_happened(people: dict[str, Any], world: dict[str, Any]) -> None:
    context = selectors.context_for(people["super01"], town())

    def rows(code: str) -> set[int]:
        rule = registry.rule(code)
        assert rule is not None
        return set(rule.queryset(context).values_list("pk", flat=True))

    assert world["returned"].pk in rows("returned_cases")
    assert world["reworked"].pk in rows("reworked_cases")
    assert world["extended"].pk in rows("extended_cases")
    assert world["extended"].pk not in rows("repeatedly_extended_cases")
    assert world["closed"].pk in rows("self_verified")
    assert world["self_handled"].pk in rows("self_handled_no_photo")
    later = selectors.context_for(people["super01"], town(), timezone.now() + dt.timedelta(days=60))
    assert world["returned"].pk in set(registry.rule("overdue_cases").queryset(later).values_list("pk", flat=True))  # type: ignore[union-attr]
    assert world["order"].pk in set(registry.rule("overdue_orders").queryset(later).values_list("pk", flat=True))  # type: ignore[union-attr]


def test_a_case_closed_within_the_hours_after_a_notice(people: dict[str, Any]) -> None:
    case = build(people, "awaiting_verification")
    services.supervision_issue(actor=people["super01"], text="请尽快核查", case_id=case.pk)
    act(people, Case.objects.get(pk=case.pk), "verify_pass", "grid01")
    context = selectors.context_for(people["super01"], town(), timezone.now() + dt.timedelta(minutes=1))
    rule = registry.rule("closed_after_notice")
    assert rule is not None
    assert list(rule.queryset(context).values_list("pk", flat=True)) == [case.pk]


def test_reveals_and_exports_per_user_and_bulk_reveals(people: dict[str, Any]) -> None:
    center = people["center01"]
    for _ in range(4):
        record(action=REVEAL_ACTIONS[0], actor=center)
    record(action="case.export", actor=people["leader01"])
    town_ = town()
    services.rule_settings_save(
        actor=people["super01"], town=town_, values={**selectors.values_of(town_), "reveals_per_hour": 3}
    )
    context = selectors.context_for(people["super01"], town_, timezone.now() + dt.timedelta(seconds=1))
    access = {user.username: (user.reveals, user.exports) for user in registry.rule("data_access").queryset(context)}  # type: ignore[union-attr]
    assert access == {"center01": (4, 0), "leader01": (0, 1)}
    bulk = list(registry.rule("bulk_reveals").queryset(context))  # type: ignore[union-attr]
    assert [user.username for user in bulk] == ["center01"]
    assert registry.rule("bulk_reveals").columns[-1].value(bulk[0]) == 4  # type: ignore[union-attr]


def test_a_staff_row_opens_the_reveals_and_exports_behind_its_counts(people: dict[str, Any]) -> None:
    center = people["center01"]
    for _ in range(3):
        record(action=REVEAL_ACTIONS[0], actor=center, object_type="case", object_id="7")
    record(action="assessment.download", actor=center, data={"rows": 12})
    office = client_for(people["super01"])
    listing = office.get(reverse("oversight:rule", args=["data_access"]))
    link = reverse("oversight:access-events", args=[center.pk])
    assert link in listing.content.decode()
    page = office.get(link)
    assert page.status_code == 200
    assert page.content.decode().count('data-testid="access-event"') == 4  # 3 reveals + the ranking downloaded
    assert "assessment.download" in page.content.decode()
    # Only the office reads it, and only for the town's staff.
    assert client_for(people["center01"]).get(link).status_code in (403, 404)
    assert office.get(reverse("oversight:access-events", args=[999999])).status_code == 404


# --- the pages ----------------------------------------------------------------------------------


def test_the_console_lists_and_exports_for_the_office_only(people: dict[str, Any], world: dict[str, Any]) -> None:
    office = client_for(people["super01"])
    page = office.get(reverse("oversight:console"))
    assert page.status_code == 200
    assert 'data-rule="reworked_cases"' in page.content.decode()
    listed = office.get(reverse("oversight:rule", args=["reworked_cases"]))
    assert world["reworked"].number in listed.content.decode()
    exported = office.get(reverse("oversight:rule-export", args=["reworked_cases"]))
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert world["reworked"].number in [row[0] for row in sheet.iter_rows(values_only=True)]
    assert AuditEvent.objects.filter(action="oversight.export", actor=people["super01"]).exists()
    for name in REFUSED:
        other = client_for(people[name])
        assert other.get(reverse("oversight:console")).status_code == 404, name
        assert other.get(reverse("oversight:rule", args=["reworked_cases"])).status_code == 404, name
        assert other.get(reverse("oversight:complaints")).status_code == 404, name
        assert other.get(reverse("oversight:accountability")).status_code == 404, name
        assert other.get(reverse("oversight:settings")).status_code == 404, name


def test_an_exported_cell_is_never_a_formula(people: dict[str, Any]) -> None:
    case = build(people, "awaiting_verification")
    act(people, case, "verify_fail", "grid01")
    Case.objects.filter(pk=case.pk).update(address="=HYPERLINK(1)")
    from gridgov.categories.models import Category

    Category.objects.filter(pk=case.category_id).update(name="=cmd|' /C calc'!A0")
    exported = client_for(people["super01"]).get(reverse("oversight:rule-export", args=["reworked_cases"]))
    sheet = load_workbook(io.BytesIO(exported.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert any(cell.value.startswith("'=cmd") for cell in cells)
    assert all(cell.data_type == "s" for cell in cells)


def test_thresholds_are_checked_and_their_changes_kept(people: dict[str, Any]) -> None:
    town_ = town()
    with pytest.raises(Invalid):
        services.rule_settings_save(actor=people["super01"], town=town_, values={"period_days": 0})
    with pytest.raises(NotFound):
        services.rule_settings_save(actor=people["center01"], town=town_, values={})
    office = client_for(people["super01"])
    data = {**selectors.values_of(town_), "extension_repeat": 3, "reason": "市纪委要求", "enabled": ["overdue_cases"]}
    answer = office.post(reverse("oversight:settings"), data)
    assert answer.status_code == 302
    assert selectors.values_of(town_)["extension_repeat"] == 3
    assert "reworked_cases" in selectors.disabled_of(town_)
    page = office.get(reverse("oversight:settings")).content.decode()
    assert "市纪委要求" in page
    assert office.get(reverse("oversight:rule", args=["reworked_cases"])).status_code == 404
    assert AuditEvent.objects.filter(action="oversight.settings_save").count() == 1


# --- supervision notices --------------------------------------------------------------------------


def test_a_notice_on_a_case_goes_through_the_case_loop_and_is_answered(people: dict[str, Any]) -> None:
    case = build(people, "in_progress")
    with pytest.raises(Forbidden):
        services.supervision_issue(actor=people["leader01"], text="x", case_id=case.pk)
    notice = services.supervision_issue(actor=people["super01"], text="请说明逾期原因", case_id=case.pk)
    case.refresh_from_db()
    assert case.supervision_pending and case.events.filter(action="supervise").exists()
    assert services.SUPERVISIONS.allowed_actions(notice, people["dept01"]) == ["answer"]
    assert services.SUPERVISIONS.allowed_actions(notice, people["grid01"]) == []
    with pytest.raises(Forbidden):
        services.supervision_act(actor=people["grid01"], pk=notice.pk, action="answer", inputs={"comment": "x"})
    answered = services.supervision_act(
        actor=people["dept01"], pk=notice.pk, action="answer", inputs={"comment": "已加派人手"}
    )
    assert answered.status == SupervisionStatus.ANSWERED
    case.refresh_from_db()
    assert not case.supervision_pending and case.events.filter(action="reply_supervision").exists()
    assert [event.action for event in answered.events.all()] == ["issue", "answer"]


def test_a_notice_on_an_order_and_its_overdue_answer(people: dict[str, Any]) -> None:
    order = hotline_services.order_receive(actor=people["upstream01"], data=order_data(), channel="api").order
    now = timezone.now()
    notice = services.supervision_issue(
        actor=people["super01"], text="请说明", order_id=order.pk, deadline=now + dt.timedelta(hours=1)
    )
    assert services.SUPERVISIONS.allowed_actions(notice, people["center01"]) == ["answer"]
    rule = registry.rule("overdue_supervision")
    assert rule is not None
    later = selectors.context_for(people["super01"], town(), now + dt.timedelta(hours=2))
    assert list(rule.queryset(later)) == [notice]
    page = client_for(people["center01"]).get(reverse("oversight:supervision", args=[notice.pk]))
    assert page.status_code == 200 and 'data-testid="supervision-action-answer"' in page.content.decode()
    assert client_for(people["grid01"]).get(reverse("oversight:supervision", args=[notice.pk])).status_code == 404
    with pytest.raises(Invalid):
        services.supervision_issue(actor=people["super01"], text="x", order_id=order.pk, deadline=now - dt.timedelta(1))


def test_a_case_notice_answered_on_the_case_page_is_not_overdue(people: dict[str, Any]) -> None:
    case = build(people, "in_progress")
    now = timezone.now()
    services.supervision_issue(
        actor=people["super01"], text="请说明", case_id=case.pk, deadline=now + dt.timedelta(hours=1)
    )
    act(people, case, "reply_supervision", "dept01", comment="已处理")
    later = selectors.context_for(people["super01"], town(), now + dt.timedelta(hours=2))
    assert list(registry.rule("overdue_supervision").queryset(later)) == []  # type: ignore[union-attr]


def test_a_notice_sent_twice_is_issued_once_and_its_deadline_is_checked(people: dict[str, Any]) -> None:
    """Two clicks on "Issue" make one notice; the API's time without an offset is local time;
    an answer may not be asked for years ahead."""
    from gridgov.core.errors import Conflict

    case = build(people, "in_progress")
    first = services.supervision_issue(actor=people["super01"], text="请说明逾期原因", case_id=case.pk)
    with pytest.raises(Conflict) as refused:
        services.supervision_issue(actor=people["super01"], text="请说明逾期原因", case_id=case.pk)
    assert refused.value.code == "supervision_duplicate"
    assert case.events.filter(action="supervise").count() == 1
    services.supervision_act(actor=people["dept01"], pk=first.pk, action="answer", inputs={"comment": "已处理"})
    again = services.supervision_issue(actor=people["super01"], text="请说明逾期原因", case_id=case.pk)
    assert again.pk != first.pk  # once answered, the office may ask again
    local = timezone.localtime() + dt.timedelta(days=3)
    naive = services.supervision_issue(
        actor=people["super01"], text="请另行说明", case_id=case.pk, deadline=local.replace(tzinfo=None)
    )
    assert abs((naive.deadline - local).total_seconds()) < 1
    with pytest.raises(Invalid):
        services.supervision_issue(
            actor=people["super01"], text="x", case_id=case.pk, deadline=timezone.now() + dt.timedelta(days=400)
        )
    office = Client()
    office.force_login(people["super01"])
    assert office.get(reverse("oversight:issue") + "?case=\u00b2").status_code == 404
    from gridgov.people.services import token_issue

    _token, raw = token_issue(actor=people["super01"], user=people["super01"], name="t")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    sent = api.post(
        "/api/v1/oversight/supervisions",
        {"text": "请第三次说明", "case_id": case.pk, "deadline": f"{local.replace(tzinfo=None):%Y-%m-%dT%H:%M:%S}"},
        content_type="application/json",
    )
    assert sent.status_code == 201, sent.content
    twice = api.post(
        "/api/v1/oversight/supervisions", {"text": "请第三次说明", "case_id": case.pk}, content_type="application/json"
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "supervision_duplicate"


def test_a_chosen_answer_date_on_a_weekend_is_the_end_of_the_next_working_day(people: dict[str, Any]) -> None:
    from gridgov.workcalendar.calendar import is_workday, next_workday, working_periods

    case = build(people, "in_progress")
    day = timezone.localdate() + dt.timedelta(days=2)
    while is_workday(day):
        day += dt.timedelta(days=1)
    answer = client_for(people["super01"]).post(
        reverse("oversight:issue") + f"?case={case.pk}", {"text": "请说明", "deadline": day.isoformat()}
    )
    assert answer.status_code == 302
    from gridgov.oversight.models import SupervisionNotice

    notice = SupervisionNotice.objects.get(case=case)
    due = timezone.localtime(notice.deadline)
    assert due.date() == next_workday(day) and due.time() == working_periods()[-1][1]
    assert timezone.localtime(services.default_deadline(town())).time() == working_periods()[-1][1]


# --- accountability -------------------------------------------------------------------------------


def test_an_accountability_record_with_evidence_word_and_excel(people: dict[str, Any], world: dict[str, Any]) -> None:
    town_ = town()
    with pytest.raises(Invalid):
        services.accountability_record(
            actor=people["super01"],
            town=town_,
            target_kind="user",
            target=str(people["grid01"].pk),
            kind="criticism",
            reason="返工",
            evidence=["NO-SUCH"],
        )
    with pytest.raises(Invalid) as disguised:  # a page named as a record of the talk
        services.accountability_record(
            actor=people["super01"],
            town=town_,
            target_kind="user",
            target=str(people["dept01"].pk),
            kind="reminder_talk",
            reason="多次退回事件",
            attachments=[services.Upload("谈话记录.pdf", b"<html><script>x</script>")],
        )
    assert "attachments" in (disguised.value.details or {})
    decision = services.accountability_record(
        actor=people["super01"],
        town=town_,
        target_kind="user",
        target=str(people["dept01"].pk),
        kind="reminder_talk",
        reason="多次退回事件",
        evidence=[world["returned"].number, world["order"].upstream_number],
        attachments=[services.Upload("谈话记录.txt", "谈话记录".encode())],
    )
    assert list(decision.cases.all()) == [world["returned"]] and list(decision.orders.all()) == [world["order"]]
    assert AuditEvent.objects.filter(action="oversight.accountability_record", object_id=str(decision.pk)).exists()
    today = timezone.localdate()
    assert list(selectors.accountability_in(town_, today, today)) == [decision]
    assert list(selectors.accountability_in(town_, today - dt.timedelta(9), today - dt.timedelta(1))) == []
    office = client_for(people["super01"])
    listing = office.get(reverse("oversight:accountability")).content.decode()
    assert f'href="{reverse("cases:detail", args=[world["returned"].pk])}"' in listing  # the evidence opens
    word = office.get(reverse("oversight:accountability-download", args=[decision.pk, "docx"]))
    assert word.status_code == 200 and word.content[:2] == b"PK"
    sheet = office.get(reverse("oversight:accountability-export"))
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert any(row[0] == decision.pk for row in rows)
    file = decision.attachments.get()
    assert office.get(reverse("oversight:attachment", args=[file.pk])).status_code == 200
    assert client_for(people["center01"]).get(reverse("oversight:attachment", args=[file.pk])).status_code == 404
    assert (
        client_for(people["dept01"]).get(reverse("oversight:accountability-detail", args=[decision.pk])).status_code
        == 404
    )


def test_the_accountability_form(people: dict[str, Any]) -> None:
    village = Area.objects.current().filter(level=AreaLevel.VILLAGE).order_by("code").first()
    assert village is not None
    office = client_for(people["super01"])
    answer = office.post(
        reverse("oversight:accountability"),
        {"target_kind": "village", "village": village.code, "kind": "circulated", "reason": "核查不实"},
    )
    assert answer.status_code == 302
    assert Accountability.objects.get().target_village == village
    bad = office.post(
        reverse("oversight:accountability"), {"target_kind": "village", "kind": "circulated", "reason": "x"}
    )
    assert bad.status_code == 422


def test_a_department_held_to_account_serves_the_town(people: dict[str, Any]) -> None:
    from gridgov.people.models import Department

    elsewhere = Department.objects.create(code="elsewhere-water", name="外镇水务站", kind="town_office")
    with pytest.raises(Invalid):
        services.accountability_record(
            actor=people["super01"],
            town=town(),
            target_kind="department",
            target=elsewhere.code,
            kind="criticism",
            reason="x",
        )
    with pytest.raises(Invalid):
        services.accountability_record(
            actor=people["super01"], town=town(), target_kind="user", target="\u00b2", kind="criticism", reason="x"
        )
    page = client_for(people["super01"]).get(reverse("oversight:accountability"))
    assert "elsewhere-water" not in page.content.decode()


# --- conduct complaints ---------------------------------------------------------------------------


def _complaint(people: dict[str, Any], concerning: str = "grid01") -> Any:
    Publication.objects.update_or_create(user=people[concerning], defaults={"published": True})
    return notice_services.complaint_submit(
        client="10.0.0.9",
        area=grid_of(people[concerning]),
        text="态度恶劣",
        concerning_id=people[concerning].pk,
        name="王五",
        phone="13800001111",
    )


def test_a_complaint_gets_a_code_and_runs_its_workflow(people: dict[str, Any]) -> None:
    complaint = _complaint(people)
    assert complaint.code and len(complaint.code) == 10
    public = Client().get(reverse("notice:complaint-track", args=[complaint.code])).content.decode()
    assert "态度恶劣" not in public and "王五" not in public
    office = people["super01"]
    with pytest.raises(Invalid):
        complaint_flow.complaint_act(actor=office, pk=complaint.pk, action="dismiss", inputs={})
    complaint_flow.complaint_act(actor=office, pk=complaint.pk, action="investigate")
    page = client_for(office).get(reverse("oversight:complaint", args=[complaint.pk])).content.decode()
    assert '<label for="id_note_comment"' in page  # the action boxes are labelled
    complaint_flow.complaint_act(actor=office, pk=complaint.pk, action="note", inputs={"comment": "已约谈"})
    done = complaint_flow.complaint_act(
        actor=office, pk=complaint.pk, action="conclude", inputs={"conclusion": "情况属实，已批评教育"}
    )
    assert done.status == ComplaintStatus.CONCLUDED and done.conclusion == "情况属实，已批评教育"
    assert [event.action for event in done.events.all()] == ["received", "investigate", "note", "conclude"]
    assert AuditEvent.objects.filter(action="complaint.conclude").exists()
    public = Client().get(reverse("notice:complaint-track", args=[complaint.code])).content.decode()
    assert "情况属实" not in public and 'data-testid="complaint-state"' in public
    assert Client().get(reverse("notice:complaint-track", args=["ABCDEFGHJK"])).status_code == 404


def test_a_complaint_is_never_shown_to_the_staff_concerned_nor_their_superiors(people: dict[str, Any]) -> None:
    complaint = _complaint(people)
    assert complaint.concerning_id == people["grid01"].pk
    # The staff concerned and their grid leader also work for the discipline office.
    role_assign(actor=None, user=people["grid01"], role=Role.SUPERVISOR, area=town())
    role_assign(actor=None, user=people["gridlead01"], role=Role.SUPERVISOR, area=town())
    for name in ("grid01", "gridlead01"):
        user = type(people[name]).objects.get(pk=people[name].pk)
        assert not complaints_visible(user).filter(pk=complaint.pk).exists(), name
        assert client_for(user).get(reverse("oversight:complaint", args=[complaint.pk])).status_code == 404, name
        with pytest.raises(NotFound):
            complaint_flow.complaint_act(actor=user, pk=complaint.pk, action="investigate")
    for name in REFUSED:
        user = people[name]
        assert client_for(user).get(reverse("oversight:complaint", args=[complaint.pk])).status_code == 404, name
    office = client_for(people["super01"])
    assert office.get(reverse("oversight:complaint", args=[complaint.pk])).status_code == 200
    revealed = office.post(reverse("oversight:complaint", args=[complaint.pk])).content.decode()
    assert "态度恶劣" in revealed
    assert AuditEvent.objects.filter(action="notice.complaint_reveal", object_id=str(complaint.pk)).count() == 1


def test_the_public_form_gives_the_tracking_code(people: dict[str, Any]) -> None:
    grid = grid_of(people["grid01"])
    answer = Client().post(reverse("notice:complaint", args=[grid.code]), {"text": "推诿扯皮", "website": ""})
    assert answer.status_code == 200
    assert 'data-testid="complaint-code"' in answer.content.decode()


# --- the API --------------------------------------------------------------------------------------


def test_the_api(people: dict[str, Any], world: dict[str, Any]) -> None:
    from gridgov.people.services import token_issue

    def api(name: str) -> Client:
        user = people[name]
        _token, raw = token_issue(actor=user, user=user, name="t")
        return Client(headers={"Authorization": f"Bearer {raw}"})

    office = api("super01")
    rules = office.get("/api/v1/oversight/rules").json()
    counts = {item["code"]: item["count"] for item in rules}
    rows = office.get("/api/v1/oversight/rules/rows", {"rule": "reworked_cases"}).json()
    assert rows["count"] == counts["reworked_cases"] == len(rows["rows"])
    created = office.post(
        "/api/v1/oversight/supervisions",
        {"text": "请说明", "case_id": world["returned"].pk},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    notice = created.json()
    assert notice["status"] == "issued"
    complaint = _complaint(people)
    listed = office.get("/api/v1/oversight/complaints").json()
    assert [item["id"] for item in listed] == [complaint.pk] and "态度" not in str(listed)
    moved = office.post(f"/api/v1/oversight/complaints/{complaint.pk}/investigate", {}, content_type="application/json")
    assert moved.json()["status"] == "investigating"
    decided = office.post(
        "/api/v1/oversight/accountability",
        {"target_kind": "user", "target": str(people["dept01"].pk), "kind": "criticism", "reason": "退回"},
        content_type="application/json",
    )
    assert decided.status_code == 201
    bad = office.post(
        "/api/v1/oversight/accountability",
        {"target_kind": "user", "target": "", "kind": "x", "reason": ""},
        content_type="application/json",
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"]
    for name in REFUSED:
        other = api(name)
        assert other.get("/api/v1/oversight/rules").status_code == 404, name
        assert other.get(f"/api/v1/oversight/complaints/{complaint.pk}").status_code == 404, name
        assert other.get("/api/v1/oversight/complaints").json() == [], name
        assert other.get("/api/v1/oversight/accountability").json() == [], name


def test_the_menu_entry_is_the_discipline_offices(people: dict[str, Any]) -> None:
    from django.test import RequestFactory

    from gridgov.web.context_processors import shell

    def keys(name: str) -> list[str]:
        request = RequestFactory().get("/")
        request.user = people[name]
        return [link.key for link in shell(request)["nav"]]

    assert "oversight-console" in keys("super01") and "notice-complaints" not in keys("super01")
    for name in REFUSED:
        assert "oversight-console" not in keys(name), name


def test_a_task_row_leads_supervise_to_the_tasks_own_page_while_it_is_open(people: dict[str, Any]) -> None:
    from gridgov.assignments.models import AssignmentPart, PartStatus
    from gridgov.assignments.tests.helpers import give

    task = give(people)
    past = timezone.now() - dt.timedelta(days=2)
    AssignmentPart.objects.filter(assignment=task).update(deadline=past)
    done = AssignmentPart.objects.filter(assignment=task).order_by("id").last()
    assert done is not None
    AssignmentPart.objects.filter(pk=done.pk).update(
        status=PartStatus.DONE, return_count=1, completed_at=timezone.now(), percent=100
    )
    client = client_for(people["super01"])
    page = client.get(reverse("oversight:rule", args=["overdue_task_parts"]) + f"?town={town().code}")
    body = page.content.decode()
    task_url = reverse("assignments:detail", args=[task.pk])
    assert page.status_code == 200
    assert body.count(f'class="btn btn-small" href="{task_url}"') == 2  # the two open parts
    assert "/oversight/supervisions/new/" not in body
    returned = client.get(reverse("oversight:rule", args=["extended_task_parts"]) + f"?town={town().code}")
    # A part done already is listed (returned once) but has nothing left to supervise.
    assert returned.status_code == 200 and f'class="btn btn-small" href="{task_url}"' not in returned.content.decode()


def test_the_office_forms_use_the_labelled_fields(people: dict[str, Any], world: dict[str, Any]) -> None:
    client = client_for(people["super01"])
    issue = client.get(reverse("oversight:issue") + f"?case={world['reworked'].pk}").content.decode()
    assert 'class="field field-text' in issue and 'class="field field-deadline' in issue
    accountability = client.get(reverse("oversight:accountability") + f"?town={town().code}").content.decode()
    for name in ("target_kind", "user", "department", "village", "kind", "reason", "evidence", "attachments"):
        assert f'class="field field-{name}' in accountability


def test_the_office_home_panel_counts_what_waits_and_opens_each_list(people: dict[str, Any]) -> None:
    office = client_for(people["super01"])
    home = office.get(reverse("home")).content.decode()
    assert 'data-testid="oversight-panel"' in home
    assert reverse("oversight:console") in home
    for status in ("issued", "overdue", "answered"):
        assert office.get(reverse("oversight:supervisions") + f"?status={status}").status_code == 200
    assert 'data-testid="oversight-panel"' not in client_for(people["center01"]).get(reverse("home")).content.decode()

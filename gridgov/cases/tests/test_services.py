"""The case services' rules beyond the table: creation checks, idempotency, numbering, merge,
dispatch, versions, required inputs, photos and the reveal of personal data."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from gridgov.areas.models import Area
from gridgov.cases import rollups, services
from gridgov.cases.models import Case, CaseAttachment, CaseEvent, CaseNumberSequence, IdempotencyKey
from gridgov.cases.services import CaseConflict, CaseForbidden, Photo
from gridgov.categories.models import Category
from gridgov.core.models import AuditEvent
from gridgov.notify.models import Notification

from .loop_helpers import VERIFIED, act, action_photo, build, grid_point, home_grid, jpeg, report


def create(people: dict[str, Any], by: str = "grid01", **fields: Any) -> tuple[Case, bool]:
    if "lat" not in fields and "grid" not in fields:
        fields["lat"], fields["lng"] = grid_point(people["grid01"])
    fields.setdefault("category", VERIFIED)
    fields.setdefault("description", "占道停车")
    return services.case_create(actor=people[by], **fields)


def department_code(case: Case) -> str | None:
    return case.lead_department.code if case.lead_department else None


def errors_of(caught: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(caught.value.message_dict)


# --- creation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"category": "parking.nonexistent"}, "category"),
        ({"category": "parking"}, "category"),  # a major class
        ({"description": "   "}, "description"),
        ({"description": "长" * 2001}, "description"),
        ({"lat": 0.0, "lng": 0.0}, "lat"),  # outside every grid
        ({"lat": None, "lng": None}, "lat"),  # no location at all
        ({"lat": 39.0, "lng": None}, "lat"),
        ({"lat": float("nan"), "lng": 117.0}, "lat"),
        ({"source": "rumour"}, "source"),
        ({"urgency": "whenever"}, "urgency"),
        ({"party_kind": "alien"}, "party_kind"),
        ({"idempotency_key": "k" * 65}, "idempotency_key"),
    ],
)
def test_creation_refuses_bad_input(people: dict[str, Any], fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        create(people, **fields)
    assert field in errors_of(caught)
    assert not Case.objects.exists()


def test_an_inactive_category_cannot_be_reported(people: dict[str, Any]) -> None:
    Category.objects.filter(code=VERIFIED).update(is_active=False)
    with pytest.raises(ValidationError) as caught:
        create(people)
    assert errors_of(caught) == {"category"}


@pytest.mark.parametrize("user", ["dept01", "super01", "admin"])
def test_roles_that_do_not_report_cannot_create(people: dict[str, Any], user: str) -> None:
    with pytest.raises(CaseForbidden):
        create(people, by=user)


def test_the_grid_comes_from_the_location(people: dict[str, Any]) -> None:
    case, created = create(people, lat=grid_point(people["grid02"])[0], lng=grid_point(people["grid02"])[1])
    assert created and case.grid == home_grid(people["grid02"])
    assert case.area_path == case.grid.path and case.town.level == "town"
    assert case.reporter == people["grid01"] and case.status == "reported"
    assert list(case.events.values_list("action", "from_status", "to_status")) == [("report", "", "reported")]
    # The village's grid leader hears of it at once.
    assert Notification.objects.filter(kind="case.reported", object_id=str(case.pk)).exists()


def test_only_the_center_chooses_the_grid(people: dict[str, Any]) -> None:
    other = home_grid(people["grid02"])
    with pytest.raises(CaseForbidden):
        create(people, grid=other.code)
    case, _created = create(people, by="center01", grid=other.code, lat=None, lng=None, source="hotline")
    assert case.grid == other and case.source == "hotline"
    # The center's choice wins over the location.
    lat, lng = grid_point(people["grid01"])
    case, _created = create(people, by="center01", grid=other.code, lat=lat, lng=lng)
    assert case.grid == other
    with pytest.raises(ValidationError) as caught:
        create(people, by="center01", grid="99999999999999")
    assert errors_of(caught) == {"grid"}
    village = other.parent
    assert village is not None
    with pytest.raises(ValidationError):
        create(people, by="center01", grid=village.code)  # a village is not a grid


def before_and_after() -> list[Photo]:
    return [Photo(file=jpeg((200, 30, 30)), kind="before"), Photo(file=jpeg((30, 200, 30)), kind="after")]


def test_self_handling_closes_the_case_at_once(people: dict[str, Any]) -> None:
    case, _created = create(people, category="parking.minor", self_handle=True, photos_in=before_and_after())
    assert case.status == "closed" and case.self_handled and case.closed_at is not None
    assert list(case.events.values_list("action", "from_status", "to_status")) == [
        ("report", "", "reported"),
        ("self_handle", "reported", "closed"),
    ]
    assert sorted(case.attachments.values_list("kind", flat=True)) == ["after", "before"]


def test_self_handling_needs_photos_before_and_after(people: dict[str, Any]) -> None:
    for photos_in in ([], [Photo(file=jpeg(), kind="before")], [Photo(file=jpeg(), kind="after")]):
        with pytest.raises(ValidationError) as caught:
            create(people, category="parking.minor", self_handle=True, photos_in=photos_in)
        assert errors_of(caught) == {"photos"}
    assert not Case.objects.exists()


def test_self_handling_needs_a_category_that_allows_it(people: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        create(people, category=VERIFIED, self_handle=True)
    assert errors_of(caught) == {"self_handle"}


def test_only_grid_workers_self_handle(people: dict[str, Any]) -> None:
    with pytest.raises(CaseForbidden):
        create(people, by="center01", category="parking.minor", self_handle=True, photos_in=before_and_after())
    with pytest.raises(CaseForbidden):
        create(people, by="gridlead01", category="parking.minor", self_handle=True, photos_in=before_and_after())


# --- idempotency and numbers ------------------------------------------------------------


def test_the_same_key_from_the_same_user_is_the_same_case(people: dict[str, Any]) -> None:
    first, created = create(people, idempotency_key="d3b07384-d9a0")
    again, created_again = create(people, idempotency_key=" d3b07384-d9a0 ", description=" 占道停车 ")
    assert created and not created_again and again.pk == first.pk
    with pytest.raises(ValidationError) as caught:  # the same key for another report
        create(people, idempotency_key="d3b07384-d9a0", description="重发的另一件事")
    assert errors_of(caught) == {"idempotency_key"}
    other, created_other = create(people, by="center01", idempotency_key="d3b07384-d9a0")
    assert created_other and other.pk != first.pk
    assert Case.objects.count() == 2 and IdempotencyKey.objects.count() == 2


def test_a_concurrent_retry_losing_the_race_returns_the_winners_case(
    people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The retry passes the first look-up before the winner's key exists, then hits the unique
    constraint: inside an outer transaction it answers with the winner's case, and the outer
    transaction stays usable (no number is used up)."""
    winner, _created = create(people, idempotency_key="race")
    manager = IdempotencyKey.objects
    real_filter = manager.filter
    looked = []

    def racing_filter(*args: Any, **kwargs: Any) -> Any:
        looked.append(kwargs)
        query = real_filter(*args, **kwargs)
        return query.none() if len(looked) == 1 else query

    monkeypatch.setattr(manager, "filter", racing_filter)
    with transaction.atomic():
        case, created = create(people, idempotency_key="race")
        assert (case.pk, created) == (winner.pk, False)
        assert Case.objects.count() == 1
    monkeypatch.undo()
    later, _created = create(people)
    assert int(later.number[-6:]) == int(winner.number[-6:]) + 1


def test_case_numbers_count_per_town_and_year(people: dict[str, Any]) -> None:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    first = report(people, at=dt.datetime(2024, 12, 31, 23, 0, tzinfo=shanghai))
    second = report(people, at=dt.datetime(2024, 12, 31, 23, 30, tzinfo=shanghai))
    # 2025 starts at midnight in the town's time zone (16:00 UTC the day before).
    third = report(people, at=dt.datetime(2024, 12, 31, 16, 5, tzinfo=dt.UTC))
    town = first.town
    assert first.number == f"2024-{town.code[6:9]}-000001"
    assert second.number == f"2024-{town.code[6:9]}-000002"
    assert third.number == f"2025-{town.code[6:9]}-000001"
    # A town's millionth case of a year keeps every digit; no provisional number is left.
    CaseNumberSequence.objects.filter(town=town, year=2025).update(last=999_998)
    later = [report(people, at=dt.datetime(2025, 3, 1, 9, minute, tzinfo=shanghai)) for minute in (0, 1)]
    assert [case.number for case in later] == [f"2025-{town.code[6:9]}-999999", f"2025-{town.code[6:9]}-1000000"]
    assert Case.objects.get(pk=later[1].pk).number == later[1].number
    assert not Case.objects.filter(number__startswith="~").exists()


def test_a_report_writes_what_other_reports_wait_for_last(people: dict[str, Any]) -> None:
    """The town's number row (on PostgreSQL), the shared rollup rows and the audit chain are
    written at the end of a report's transaction, so the other reports of the town wait for
    those statements and the commit only; the rollups come out as a recount gives them."""
    report(people)  # (the sequence and rollup rows of the day exist)
    with CaptureQueriesContext(connection) as queries:
        case, _created = create(people, idempotency_key="last-of-all")
    statements = [query["sql"] for query in queries.captured_queries]
    written = [
        sql.split()[0] + " " + _table(sql) for sql in statements if sql.split()[0] in {"INSERT", "UPDATE", "WITH"}
    ]
    if connection.vendor == "postgresql":  # the number with the case's own UPDATE
        assert written[0] == 'INSERT "cases_case"' and 'WITH "cases_casenumbersequence"' in written, written
    else:  # one write lock holds the whole transaction anyway: the number first
        assert written[:2] == ['UPDATE "cases_casenumbersequence"', 'INSERT "cases_case"'], written
        written = written[1:]
    first = next(n for n, step in enumerate(written) if "number" in step or "rollup" in step)
    assert first >= 3, written  # the case, its event and stage before
    late = ("number", "rollup", "idempotency", "notif", "audit")
    assert all(any(part in step for part in late) for step in written[first:]), written
    key = written.index('INSERT "cases_idempotencykey"')
    assert key > max(n for n, step in enumerate(written) if "rollup" in step), written
    assert written[-1] == 'INSERT "core_auditevent"', written
    assert case.number == Case.objects.get(pk=case.pk).number and not case.number.startswith("~")
    assert not rollups.check().differences


def _table(sql: str) -> str:
    """The table a write names first (``INSERT INTO t``, ``UPDATE t``, ``WITH … UPDATE t``)."""
    words = sql.replace("(", " ").split()
    return next(word for word in words[1:] if word.startswith('"'))


# --- actions ------------------------------------------------------------------------------


def test_a_stale_version_is_a_conflict_and_changes_nothing(people: dict[str, Any]) -> None:
    case = report(people)
    services.case_act(case.pk, "register", actor=people["center01"], version=case.version)
    with pytest.raises(CaseConflict) as caught:
        services.case_act(case.pk, "void", actor=people["center01"], comment="重复", version=case.version)
    assert caught.value.code == "version_conflict" and caught.value.status == 409
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == "registered" and fresh.version == case.version + 1


def test_an_unknown_action_is_not_found(people: dict[str, Any]) -> None:
    case = report(people)
    with pytest.raises(services.CaseNotFound) as caught:
        services.case_act(case.pk, "teleport", actor=people["center01"])
    assert caught.value.code == "unknown_action"


def test_dispatch_defaults_to_the_categorys_department(people: dict[str, Any]) -> None:
    case = act(people, report(people), "register", "center01")
    case = services.case_act(case.pk, "dispatch", actor=people["center01"])
    assert department_code(case) == "traffic_police"
    assert not case.cooperating_departments.exists()
    assert Notification.objects.filter(kind="case.dispatch", recipient=people["dept01"]).exists()
    assert CaseEvent.objects.get(case=case, action="dispatch").data == {"departments": ["traffic_police"]}


def test_dispatch_sets_lead_and_cooperating_departments(people: dict[str, Any]) -> None:
    case = act(people, report(people), "register", "center01")
    codes = ["urban_mgmt", "traffic_police", "sanitation", "traffic_police"]  # a helper twice: kept once
    case = services.case_act(case.pk, "dispatch", actor=people["center01"], departments=codes)
    assert department_code(case) == "urban_mgmt"
    assert set(case.cooperating_departments.values_list("code", flat=True)) == {"traffic_police", "sanitation"}
    # Returned and dispatched again to the default: the earlier helpers are dropped.
    act(people, case, "return", "dept02")
    case = services.case_act(case.pk, "dispatch", actor=people["center01"])
    assert department_code(case) == "traffic_police" and not case.cooperating_departments.exists()


def test_dispatch_refuses_the_lead_as_a_cooperating_department_too(people: dict[str, Any]) -> None:
    case = act(people, report(people), "register", "center01")
    codes = ["urban_mgmt", "traffic_police", "urban_mgmt"]
    with pytest.raises(ValidationError) as caught:
        services.case_act(case.pk, "dispatch", actor=people["center01"], departments=codes)
    assert errors_of(caught) == {"departments"}
    assert "已是主办部门，不能同时作为协办部门" in str(caught.value.message_dict["departments"][0])
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == "registered" and not fresh.cooperating_departments.exists()


def test_dispatch_to_an_unknown_department_changes_nothing(people: dict[str, Any]) -> None:
    case = act(people, report(people), "register", "center01")
    with pytest.raises(ValidationError) as caught:
        services.case_act(case.pk, "dispatch", actor=people["center01"], departments=["traffic_police", "nasa"])
    assert errors_of(caught) == {"departments"}
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == "registered" and fresh.lead_department is None
    assert not fresh.cooperating_departments.exists()


def test_merge_needs_another_existing_case(people: dict[str, Any]) -> None:
    case = report(people)
    original = report(people)
    for into in [None, "", "2024-000-999999", case.number, str(case.pk)]:
        with pytest.raises(ValidationError) as caught:
            services.case_act(case.pk, "merge", actor=people["center01"], into=into)
        assert errors_of(caught) == {"into"}
    voided = act(people, report(people), "void", "center01")
    with pytest.raises(ValidationError):
        services.case_act(case.pk, "merge", actor=people["center01"], into=voided.number)
    merged = services.case_act(case.pk, "merge", actor=people["center01"], into=original.number)
    assert merged.status == "voided" and merged.merged_into == original
    assert CaseEvent.objects.get(case=case, action="merge").data == {"into": original.number}
    # By id as well.
    other = report(people)
    assert services.case_act(other.pk, "merge", actor=people["center01"], into=str(original.pk)).merged_into == original


def test_report_back_needs_a_result(people: dict[str, Any]) -> None:
    case = build(people, "in_progress")
    with pytest.raises(ValidationError) as caught:
        services.case_act(case.pk, "report_back", actor=people["dept01"], photos_in=action_photo("report_back"))
    assert errors_of(caught) == {"result"}
    done = services.case_act(
        case.pk, "report_back", actor=people["dept01"], result="已拖离", photos_in=action_photo("report_back")
    )
    assert CaseEvent.objects.get(case=done, action="report_back").data["result"] == "已拖离"


def test_a_field_category_refuses_a_result_and_a_verification_without_a_photo(people: dict[str, Any]) -> None:
    """Each category says whether its report-back and verification need a photo (field
    categories do); without one the action is refused on ``photos`` and nothing is written."""
    case = build(people, "in_progress")
    assert case.category.result_photo_required and case.category.verify_photo_required
    with pytest.raises(ValidationError) as caught:
        services.case_act(case.pk, "report_back", actor=people["dept01"], result="已拖离")
    assert errors_of(caught) == {"photos"}
    assert Case.objects.get(pk=case.pk).status == "in_progress"
    # A photo of another kind is not the result photo (and a verification photo is the grid worker's).
    with pytest.raises(CaseForbidden):
        services.case_act(
            case.pk, "report_back", actor=people["dept01"], result="已拖离", photos_in=action_photo("verify_pass")
        )
    case = services.case_act(
        case.pk, "report_back", actor=people["dept01"], result="已拖离", photos_in=action_photo("report_back")
    )
    with pytest.raises(ValidationError) as caught:
        services.case_act(case.pk, "verify_fail", actor=people["grid01"], comment="车辆仍在")
    assert errors_of(caught) == {"photos"}
    assert (
        services.case_act(case.pk, "verify_pass", actor=people["grid01"], photos_in=action_photo("verify_pass")).status
        == "closed"
    )

    # A category that asks for none takes the same moves without photos.
    Category.objects.filter(pk=case.category_id).update(result_photo_required=False, verify_photo_required=False)
    other = build(people, "in_progress")
    other = services.case_act(other.pk, "report_back", actor=people["dept01"], result="已拖离")
    assert services.case_act(other.pk, "verify_pass", actor=people["grid01"]).status == "closed"


@pytest.mark.parametrize("days", [None, 0, 31, "abc", -2])
def test_an_extension_asks_for_1_to_30_working_days(people: dict[str, Any], days: Any) -> None:
    case = build(people, "in_progress")
    with pytest.raises(ValidationError) as caught:
        services.case_act(case.pk, "request_extension", actor=people["dept01"], comment="配件未到", days=days)
    assert errors_of(caught) == {"days"}
    assert Case.objects.get(pk=case.pk).pending_extension is None


def test_verification_failure_sends_the_case_back_to_the_same_department(people: dict[str, Any]) -> None:
    case = build(people, "awaiting_verification")
    case = act(people, case, "verify_fail", "grid01")
    assert case.status == "in_progress" and case.rework_count == 1
    assert department_code(case) == "traffic_police"
    assert Notification.objects.filter(kind="case.verify_fail", recipient=people["dept01"]).exists()


def test_reopening_a_closed_case_counts_and_clears_the_closing_time(people: dict[str, Any]) -> None:
    case = build(people, "closed")
    assert case.closed_at is not None
    case = act(people, case, "reopen", "center01")
    assert case.status == "registered" and case.closed_at is None and case.reopen_count == 1
    assert case.stage == "dispatch" and case.stage_deadline is not None


# --- photos -------------------------------------------------------------------------------


def test_the_same_photo_is_stored_once_per_kind(people: dict[str, Any]) -> None:
    photo = jpeg((10, 20, 30)).getvalue()
    case, _created = create(
        people, photos_in=[Photo(io.BytesIO(photo)), Photo(io.BytesIO(photo)), Photo(jpeg((90, 20, 30)))]
    )
    assert CaseAttachment.objects.filter(case=case).count() == 2
    again = services.attachments_add(case.pk, actor=people["grid01"], photos_in=[Photo(io.BytesIO(photo))])
    assert again == []
    other_kind = services.attachments_add(
        case.pk, actor=people["grid01"], photos_in=[Photo(io.BytesIO(photo), kind="before")]
    )
    assert len(other_kind) == 1
    assert CaseAttachment.objects.filter(case=case).count() == 3
    stored = CaseAttachment.objects.filter(case=case).first()
    assert stored is not None and stored.content_type == "image/jpeg" and stored.event is not None


def test_a_file_that_is_not_a_photo_is_refused(people: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        create(people, photos_in=[Photo(io.BytesIO(b"%PDF-1.4 not a photo"), name="photo.jpg")])
    assert errors_of(caught) == {"photos"}
    with pytest.raises(ValidationError):
        create(people, photos_in=[Photo(jpeg(), kind="selfie")])


def test_only_people_on_the_case_add_photos(people: dict[str, Any]) -> None:
    case = build(people, "dispatched")
    with pytest.raises(services.CaseNotFound):
        services.attachments_add(case.pk, actor=people["grid02"], photos_in=[Photo(jpeg())])
    with pytest.raises(CaseForbidden):  # cooperating: sees the case, but takes no part in its moves
        services.attachments_add(case.pk, actor=people["dept02"], photos_in=[Photo(jpeg())])
    assert len(services.attachments_add(case.pk, actor=people["dept01"], photos_in=[Photo(jpeg())])) == 1
    closed = build(people, "closed")
    with pytest.raises(CaseConflict):
        services.attachments_add(closed.pk, actor=people["center01"], photos_in=[Photo(jpeg())])


# --- personal data ------------------------------------------------------------------------


def test_revealing_the_party_is_allowed_to_the_center_and_recorded(people: dict[str, Any]) -> None:
    case, _created = create(people, party_kind="resident", party_name="张三丰", party_phone="13812348888")
    shown = services.reveal_party(case, actor=people["center01"])
    assert shown == {"party_name": "张三丰", "party_phone": "13812348888"}
    assert AuditEvent.objects.filter(action="case.reveal_party", object_id=str(case.pk)).count() == 1
    assert services.reveal_party(case, actor=people["grid01"])["party_phone"] == "13812348888"  # the reporter
    act(people, act(people, case, "register", "center01"), "dispatch", "center01")
    with pytest.raises(CaseForbidden):
        services.reveal_party(case, actor=people["dept01"])


def test_a_case_outside_the_reporters_town_is_refused(people: dict[str, Any]) -> None:
    """A grid worker reports anywhere in its town, but not elsewhere (a town without grids
    here has none, so the check is on the area tree)."""
    grid01 = home_grid(people["grid01"])
    town = Area.objects.get(pk=grid01.ancestor_ids()[1])
    assert services._covers_path(people["grid01"], town.path)
    assert services._covers_path(people["center01"], town.path)
    assert not services._covers_path(people["dept01"], town.path)


def test_a_supervision_notice_can_be_answered_after_the_case_closed(people):
    case = build(people, "in_progress")
    case = act(people, case, "supervise", "leader01", comment="请加快处置")
    case = act(people, case, "report_back", "dept01", result="已处理")
    case = act(people, case, "verify_pass", "grid01")
    assert case.status == "closed" and case.supervision_pending
    case = act(people, case, "reply_supervision", "dept01", comment="已按要求处置完毕")
    assert case.status == "closed" and not case.supervision_pending


def test_result_and_verification_photos_come_only_from_the_handler_and_the_grid_worker(people):
    case = build(people, "in_progress")  # dispatched to traffic_police, acknowledged by dept01
    with pytest.raises(CaseForbidden):
        services.attachments_add(case.pk, actor=people["grid01"], photos_in=[Photo(file=jpeg(), kind="result")])
    with pytest.raises(CaseForbidden):
        services.attachments_add(case.pk, actor=people["dept01"], photos_in=[Photo(file=jpeg(), kind="verify")])
    assert services.attachments_add(case.pk, actor=people["dept01"], photos_in=[Photo(file=jpeg(), kind="result")])
    assert services.attachments_add(case.pk, actor=people["grid01"], photos_in=[Photo(file=jpeg(), kind="other")])


def test_masks_hide_names_and_phones():
    from gridgov.cases.access import mask_name, mask_phone

    names = ("", "张", "张三", "张三丰", "太平镇某某有限公司")
    assert [mask_name(n) for n in names] == ["", "*", "张*", "张**", "太平*******"]
    assert [mask_phone(p) for p in ("", "13812348888", "12345")] == ["", "138****8888", "***45"]


def test_the_center_corrects_the_grid_when_registering(people: dict[str, Any]) -> None:
    case = build(people, "reported")  # in grid01's grid
    grid01 = home_grid(people["grid01"])
    sibling = Area.objects.current().filter(parent_id=grid01.parent_id, level="grid").exclude(pk=grid01.pk).first()
    assert sibling is not None
    with pytest.raises(ValidationError) as caught:  # only when registering
        act(people, case, "remind", "center01", grid=sibling.code)
    assert errors_of(caught) == {"grid"}
    village = grid01.parent
    assert village is not None
    with pytest.raises(ValidationError):  # not a grid
        act(people, case, "register", "center01", grid=village.code)
    case = act(people, case, "register", "center01", grid=sibling.code)
    assert case.grid_id == sibling.pk and case.area_path == sibling.path
    event = case.events.get(action="register")
    assert event.data["grid"] == {"from": grid01.code, "to": sibling.code}
    from gridgov.cases.access import parties_of

    assert not parties_of(people["grid01"], case)  # grid01 is no longer the grid's worker


def test_the_last_rounds_photo_sent_again_is_not_a_new_one(people: dict[str, Any]) -> None:
    """After a failed verification the department needs a new result photo: the one of the last
    round sent again (stored once, so nothing new would be kept) is refused."""
    case = build(people, "in_progress")
    first = jpeg((10, 20, 30)).getvalue()
    result = [services.Photo(io.BytesIO(first), kind="result")]
    act(people, case, "report_back", "dept01", result="已拖离", photos_in=result)
    act(people, case, "verify_fail", "grid01", comment="车辆仍在")
    with pytest.raises(ValidationError) as caught:
        act(
            people,
            case,
            "report_back",
            "dept01",
            result="又拖离",
            photos_in=[services.Photo(io.BytesIO(first), kind="result")],
        )
    assert errors_of(caught) == {"photos"}
    case = act(people, case, "report_back", "dept01", result="又拖离", photos_in=action_photo("report_back"))
    assert case.status == "awaiting_verification"


@pytest.mark.parametrize(
    ("action", "variant", "by", "kind"),
    [("verify_fail", "awaiting_verification", "grid01", "result"), ("report_back", "in_progress", "dept01", "verify")],
)
def test_a_photo_that_speaks_for_another_party_is_refused_with_an_action(
    people: dict[str, Any], action: str, variant: str, by: str, kind: str
) -> None:
    """A grid worker cannot slip a "result" photo in with a verification, nor a department a
    "verification" photo in with its result."""
    case = build(people, variant)
    photos = [*action_photo(action), services.Photo(jpeg((99, 0, 0)), kind=kind)]
    with pytest.raises(CaseForbidden):
        act(people, case, action, by, result="已处理", photos_in=photos)
    assert Case.objects.get(pk=case.pk).version == case.version

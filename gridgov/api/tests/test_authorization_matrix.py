"""The role × object-endpoint authorization matrix, generated from the API's own schema.

Every operation of ``/api/v1/openapi.json`` whose path names an object (``{case_id}``,
``{order_id}``, …) is asked, by every demo account, for objects inside and outside that
account's scope. What each account may see is what the apps' selectors say; the endpoint must
agree: an object the account may not see answers **404**, or exactly what the same request
answers for an object that does not exist (a body refused before the object is looked up, 422,
says nothing about the object); never 403, which would confirm that it exists, and never a 5xx.
A new object endpoint fails the first test until it is added to :data:`OBJECTS`.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from PIL import Image

from gridgov.access.scope import visible_areas, visible_departments
from gridgov.analysis.models import WeeklyAnalysis
from gridgov.analysis.services import (
    analyses_visible,
    last_complete_week,
    summaries_visible,
    summary_compose,
    weekly_generate,
)
from gridgov.api.api import api
from gridgov.areas.models import Area
from gridgov.assessment import services as assessment
from gridgov.assessment.tests.helpers import compute as assessment_compute
from gridgov.assessment.tests.helpers import result_of, worker_scheme
from gridgov.assignments import access as assignment_access
from gridgov.assignments import services as assignment_services
from gridgov.assignments.access import assignments_visible
from gridgov.assignments.models import AssignmentFile
from gridgov.bulletins.platform import check_enter, checks_visible
from gridgov.bulletins.services import bulletin_generate, bulletin_request, bulletins_visible
from gridgov.cases import services as case_services
from gridgov.cases.models import CaseAttachment
from gridgov.cases.selectors import cases_visible
from gridgov.cases.tests.loop_helpers import build, report
from gridgov.hotline import services as hotline_services
from gridgov.hotline.reconcile.services import reconcile_run, reconcile_upload, reconciliations_visible
from gridgov.hotline.selectors import orders_visible
from gridgov.hotline.tests.core_helpers import order_data
from gridgov.ledger import selectors as ledger_selectors
from gridgov.ledger import services as ledger_services
from gridgov.meetings.services import meeting_act, meeting_plan, meetings_visible, resolution_add, resolutions_visible
from gridgov.notice import selectors as notice_selectors
from gridgov.notice import services as notice_services
from gridgov.notice.selectors import complaints_visible
from gridgov.notify.models import Notification
from gridgov.notify.services import notify
from gridgov.oversight import selectors as oversight_selectors
from gridgov.oversight import services as oversight_services
from gridgov.patrols.selectors import patrols_visible
from gridgov.patrols.tests.test_api import stored
from gridgov.people.models import Department
from gridgov.people.services import token_issue
from gridgov.testing.fixtures import named_people
from gridgov.visits import selectors as visits_selectors
from gridgov.visits import services as visits_services

ACCOUNTS = [
    "admin",
    "center01",
    "leader01",
    "super01",
    "dept01",
    "dept02",
    "gridlead01",
    "grid01",
    "grid02",
    "upstream01",
]

# Each object kind: its path parameter, and how to tell whether an account may see an object.
Visible = Callable[[Any, Any], bool]
OBJECTS: dict[str, Visible] = {
    "case_id": lambda user, obj: cases_visible(user).filter(pk=obj.pk).exists(),
    "order_id": lambda user, obj: orders_visible(user).filter(pk=obj.pk).exists(),
    "patrol_id": lambda user, obj: patrols_visible(user).filter(pk=obj.pk).exists(),
    "attachment_id": lambda user, obj: cases_visible(user).filter(pk=obj.case_id).exists(),
    "notification_id": lambda user, obj: obj.recipient_id == user.pk,
    "reconciliation_id": lambda user, obj: reconciliations_visible(user).filter(pk=obj.pk).exists(),
    "difference_id": lambda user, obj: reconciliations_visible(user).filter(pk=obj.reconciliation_id).exists(),
    "bulletin_id": lambda user, obj: bulletins_visible(user).filter(pk=obj.pk).exists(),
    "check_id": lambda user, obj: checks_visible(user).filter(pk=obj.pk).exists(),
    "analysis_id": lambda user, obj: analyses_visible(user).filter(pk=obj.pk).exists(),
    "summary_id": lambda user, obj: summaries_visible(user).filter(pk=obj.pk).exists(),
    "meeting_id": lambda user, obj: meetings_visible(user).filter(pk=obj.pk).exists(),
    "resolution_id": lambda user, obj: resolutions_visible(user).filter(pk=obj.pk).exists(),
    "household_id": lambda user, obj: visits_selectors.households_visible(user).filter(pk=obj.pk).exists(),
    "unit_id": lambda user, obj: visits_selectors.units_visible(user).filter(pk=obj.pk).exists(),
    "visit_id": lambda user, obj: visits_selectors.visits_visible(user).filter(pk=obj.pk).exists(),
    "supervision_id": lambda user, obj: oversight_selectors.supervisions_visible(user).filter(pk=obj.pk).exists(),
    "accountability_id": lambda user, obj: oversight_selectors.accountability_visible(user).filter(pk=obj.pk).exists(),
    "complaint_id": lambda user, obj: complaints_visible(user).filter(pk=obj.pk).exists(),
    "period_id": lambda user, obj: assessment.periods_visible(user).filter(pk=obj.pk).exists(),
    "result_id": lambda user, obj: assessment.results_visible(user).filter(pk=obj.pk).exists(),
    "appeal_id": lambda user, obj: assessment.appeals_visible(user).filter(pk=obj.pk).exists(),
    "sanction_id": lambda user, obj: assessment.sanctions_visible(user).filter(pk=obj.pk).exists(),
    "visit_photo_id": lambda user, obj: visits_selectors.visits_visible(user).filter(pk=obj.visit_id).exists(),
    "ledger_import_id": lambda user, obj: ledger_selectors.jobs_visible(user).filter(pk=obj.pk).exists(),
    "poster_id": lambda user, obj: notice_selectors.posters_managed(user).filter(pk=obj.pk).exists(),
    "user_id": lambda user, obj: notice_selectors.staff_managed(user).filter(user_id=obj.pk).exists(),
    # The residents' side of the notice is public: any grid's or village's code, any tracking code.
    "public_code": lambda user, code: True,
    "tracking_code": lambda user, code: True,
    "assignment_id": lambda user, obj: assignments_visible(user).filter(pk=obj.pk).exists(),
    "part_id": lambda user, obj: assignments_visible(user).filter(pk=obj.assignment_id).exists(),
    "assignment_file_id": lambda user, obj: assignments_visible(user).filter(pk=obj.assignment_id).exists(),
    "area": lambda user, code: visible_areas(user).filter(code=code).exists(),
    "department": lambda user, code: visible_departments(user).filter(code=code).exists(),
}
# Operations answered for objects of every kind of account by design, or administrators' only.
SKIPPED = {
    "/api/v1/upstream/messages/{message_id}/retry",  # administrators only (403 for the rest)
    "/api/v1/hotline/orders/attachments/{attachment_id}",  # order attachments: hotline tests
}


def operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return [
        (path, method)
        for path, methods in schema["paths"].items()
        if "{" in path and path not in SKIPPED
        for method in methods
    ]


def jpeg() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (40, 90, 160)).save(buffer, "JPEG")
    buffer.seek(0)
    return buffer


def kind_of(path: str) -> str:
    """The object kind a path names (``{code}`` is an area's or a department's)."""
    names = [name for name in re.findall(r"{(\w+)}", path) if name not in ("action", "variant", "extension")]
    assert len(names) == 1, path
    if names[0] == "code":
        if "/notice/public/" in path:
            return "public_code"
        area_paths = ("/areas/", "/patrols/grids/", "/notice/grids/", "/notice/settings/")
        return "area" if any(part in path for part in area_paths) else "department"
    return names[0]


def test_every_object_operation_of_the_schema_is_in_the_matrix() -> None:
    for path, _method in operations():
        assert kind_of(path) in OBJECTS, f"{path}: add its object kind to OBJECTS"


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _media_root(settings: Any, media: Path) -> None:
    """The module's files (the world's photos) in one folder for all its tests."""
    settings.MEDIA_ROOT = media


@pytest.fixture(scope="module")
def world(taiping: None, django_db_blocker: Any, media: Path) -> dict[str, list[Any]]:
    """One object of every kind, made once for the module (in the transaction of ``taiping``;
    each test's own changes are rolled back after it)."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        return _world(named_people())


def _world(people: dict[str, Any]) -> dict[str, list[Any]]:
    in_grid1 = build(people, "dispatched")  # grid01's grid, dispatched to two departments
    in_grid2 = report(people, by="grid02", where="grid02")  # another grid, not dispatched
    photo = case_services.attachments_add(in_grid2.pk, actor=people["grid02"], photos_in=[case_services.Photo(jpeg())])[
        0
    ]
    order = hotline_services.order_receive(actor=people["upstream01"], data=order_data(), channel="api").order
    patrol = stored(people["grid02"], timezone.now() - dt.timedelta(hours=2))
    notify(recipients=[people["grid02"]], kind="case.remind", title="催办", url="/cases/1/")
    note = Notification.objects.filter(recipient=people["grid02"]).latest("id")
    listed = reconcile_upload(
        actor=people["center01"],
        town=Area.objects.get(pk=order.town_id),
        source_system="district",
        month=timezone.localdate().replace(day=1),
        name="list.csv",
        content=b"\xe5\xb7\xa5\xe5\x8d\x95\xe7\xbc\x96\xe5\x8f\xb7,x\nHL-NONE,1\n",
    )
    reconcile_run(pk=listed.pk)
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    bulletin = bulletin_request(actor=people["center01"], area_code=in_grid1.town.code, month=last_month)
    bulletin_generate(pk=bulletin.pk)
    check = check_enter(
        actor=people["center01"], town_code=in_grid1.town.code, month=last_month, platform="", figures={"reported": 1}
    )
    week = last_complete_week(timezone.localdate())
    weekly_generate(week, grids=Area.objects.filter(pk__in=[in_grid1.grid_id, in_grid2.grid_id]))
    summary = summary_compose(actor=people["center01"], area_code=in_grid1.town.code, month=last_month)
    meeting = meeting_plan(
        actor=people["center01"],
        area_code=in_grid1.town.code,
        title="民情分析会",
        starts_at=timezone.now(),
        place="镇政府",
        chair_id=people["leader01"].pk,
        invitee_ids=[people["grid01"].pk],
    )
    meeting_act(actor=people["center01"], pk=meeting.pk, action="hold")
    department = Department.objects.get(
        pk=people["dept01"].role_assignments.exclude(department=None).first().department_id
    )
    task = resolution_add(
        actor=people["center01"],
        meeting_id=meeting.pk,
        text="增设照明",
        kind="task",
        department_code=department.code,
        deadline=timezone.localdate() + dt.timedelta(days=5),
    )
    grid2 = Area.objects.get(pk=in_grid2.grid_id or 0)
    household = visits_services.household_save(
        actor=people["grid02"], grid=grid2, address="东兴村1排1号", head_name="赵六", care_tags=["disabled"]
    )[0]
    unit = visits_services.unit_save(actor=people["grid02"], grid=grid2, kind="shop", name="东兴小卖部")[0]
    visit = visits_services.visit_record(
        actor=people["grid02"],
        client_id="6f1c1c8e-7c43-4d1e-9a57-0a3c2f6f0b01",
        household_id=household.pk,
        visited_at=timezone.now() - dt.timedelta(hours=1),
        finding="need",
        photos_in=[jpeg()],
    )[0]
    supervision = oversight_services.supervision_issue(actor=people["super01"], text="请说明", case_id=in_grid1.pk)
    order_notice = oversight_services.supervision_issue(actor=people["super01"], text="请说明", order_id=order.pk)
    decision = oversight_services.accountability_record(
        actor=people["super01"],
        town=Area.objects.get(pk=in_grid1.town_id),
        target_kind="village",
        target=Area.objects.get(pk=grid2.parent_id or 0).code,
        kind="criticism",
        reason="核查不实",
        evidence=[in_grid2.number],
    )
    complaint = notice_services.complaint_submit(client="10.1.1.1", area=grid2, text="态度恶劣")
    scheme = worker_scheme(people)
    periods = []
    for start in (last_month, timezone.localdate()):
        made = assessment.period_create(
            actor=people["center01"], town_code=in_grid1.town.code, kind="month", start=start, scheme_ids=[scheme.pk]
        )
        periods.append(assessment_compute(people, made))
    assessment.period_act(actor=people["center01"], pk=periods[0].pk, action="publish")  # last month's published
    published = result_of(periods[0], people["grid01"])
    appeal = assessment.appeal_submit(actor=people["grid01"], result_id=published.pk, reason="例会请假已报备")
    sanction = assessment.sanction_add(
        actor=people["center01"], result_id=published.pk, kind="reward", measure="通报表扬", reason="排名第一"
    )
    sanction = assessment.sanction_act(actor=people["center01"], pk=sanction.pk, action="confirm")
    poster = notice_services.poster_generate(actor=people["center01"], grid=grid2, public_url="http://test/p/")
    public = notice_services.public_report_submit(
        client="10.0.0.9", area=grid2, category=in_grid2.category.code, description="x"
    )
    ledger = ledger_services.ledger_upload(
        actor=people["center01"],
        town=Area.objects.get(pk=in_grid1.town_id),
        name="ledger.csv",
        content="案件编号,上报时间\nL-1,2026-03-02 09:00\n".encode(),
    )
    ledger = ledger_services.ledger_read(job_id=ledger.pk)
    ledger = ledger_services.ledger_map(actor=people["center01"], job_id=ledger.pk, mapping=ledger.mapping)
    assignment = assignment_services.assignment_create(
        actor=people["leader01"],
        title="燃气安全隐患排查整治",
        requirement="排查整治",
        lead=f"department:{department.code}",
        deadline=timezone.localdate() + dt.timedelta(days=10),
        files=[assignment_services.Upload("通知.pdf", b"%PDF-1.4 x")],
    )
    return {
        "supervision_id": [supervision, order_notice],
        "accountability_id": [decision],
        "complaint_id": [complaint],
        "period_id": periods,
        "result_id": [published, result_of(periods[0], people["grid02"]), result_of(periods[1], people["grid01"])],
        "appeal_id": [appeal],
        "sanction_id": [sanction],
        "ledger_import_id": [ledger],
        "poster_id": [poster],
        "user_id": [people["grid02"], people["gridlead01"]],
        "public_code": [grid2.code],
        "tracking_code": [public.code],
        "assignment_id": [assignment],
        "part_id": list(assignment.parts.all()),
        "assignment_file_id": list(AssignmentFile.objects.filter(assignment=assignment)),
        "household_id": [household],
        "unit_id": [unit],
        "visit_id": [visit],
        "visit_photo_id": list(visit.photos.all()),
        "meeting_id": [meeting],
        "resolution_id": [task],
        "analysis_id": list(WeeklyAnalysis.objects.filter(week=week)),
        "summary_id": [summary],
        "bulletin_id": [bulletin],
        "check_id": [check],
        "reconciliation_id": [listed],
        "difference_id": list(listed.differences.all()[:1]),
        "case_id": [in_grid1, in_grid2],
        "order_id": [order],
        "patrol_id": [patrol],
        "attachment_id": [CaseAttachment.objects.get(pk=photo.pk)],
        "notification_id": [note],
        "area": [area.code for area in Area.objects.filter(pk__in=[in_grid1.grid_id, in_grid2.grid_id])],
        "department": list(Department.objects.values_list("code", flat=True)[:4]),
    }


def url_for(path: str, obj: Any) -> str:
    value = obj if isinstance(obj, str) else obj.pk
    url = re.sub(r"{(\w+_id|\w*code)}", str(value), path)
    return url.replace("{action}", "remind").replace("{variant}", "thumbnail").replace("{extension}", "pdf")


@pytest.mark.parametrize("account", ACCOUNTS)
def test_an_object_out_of_scope_is_a_404_on_every_operation(
    people: dict[str, Any], world: dict[str, list[Any]], account: str
) -> None:
    user = people[account]
    _token, raw = token_issue(actor=user, user=user, name="matrix")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    checked = 0
    for path, method in operations():
        kind = kind_of(path)

        def ask(url: str, method: str = method) -> int:
            answer = client.get(url) if method == "get" else client.post(url, {}, content_type="application/json")
            assert answer.status_code < 500, (account, method, url, answer.content[:200])
            return answer.status_code

        missing = ask(url_for(path, "no-such-code" if kind in ("area", "department") else "999999999"))
        assert missing in (404, 422), (account, method, path, missing)
        for obj in world[kind]:
            url = url_for(path, obj)
            status = ask(url)
            if not OBJECTS[kind](user, obj):
                assert status in (404, missing), (account, method, url, status)
            elif method == "get":
                assert status == 200, (account, method, url, status)
            checked += 1
    assert checked >= 15


@pytest.mark.parametrize("action", ["edit", "cancel"])
def test_only_the_assigning_leader_edits_or_cancels_a_leaders_task(
    people: dict[str, Any], world: dict[str, list[Any]], action: str
) -> None:
    """The leader's steps on a task: out of scope 404, in scope but not the leader's 403."""
    assignment = world["assignment_id"][0]
    for account in ACCOUNTS:
        user = people[account]
        _token, raw = token_issue(actor=user, user=user, name="matrix")
        client = Client(headers={"Authorization": f"Bearer {raw}"})
        assignment.refresh_from_db()
        answer = client.post(
            f"/api/v1/assignments/{assignment.pk}/{action}",
            {"version": assignment.version, "comment": "调整", "priority": "high" if action == "edit" else None},
            content_type="application/json",
        )
        if not assignments_visible(user).filter(pk=assignment.pk).exists():
            expected = 404
        elif assignment_access.is_leader(user, assignment) or assignment_access.issues_for_leader(user, assignment):
            expected = 200 if action == "edit" or assignment.status != "cancelled" else 409
        else:
            expected = 403
        if action == "edit" and expected == 200 and assignment.priority == "high":
            expected = 422  # nothing left to change
        assert answer.status_code == expected, (account, action, answer.content[:200])

"""Opinion meetings: planning with a proposed agenda, sign-in by QR, the minutes, resolutions
that become cases or tasks, their follow-up at the next meeting, and who sees what.

Every write goes through the two workflows (:mod:`gridgov.meetings.transitions`) or a service here, in a
transaction, with its audit row (``meeting.*``, ``resolution.*``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.analysis.models import WeeklyAnalysis
from gridgov.areas.models import Area, AreaLevel
from gridgov.areas.selectors import areas_visible
from gridgov.cases import indices
from gridgov.cases.indices import Dimensions, Period
from gridgov.cases.models import Case, Source
from gridgov.cases.services import case_create
from gridgov.categories.selectors import category_names
from gridgov.core.actors import Actor, signed_in
from gridgov.core.audit import record
from gridgov.core.errors import Conflict, Forbidden, Invalid, NotFound
from gridgov.core.once import create_once
from gridgov.core.workflow import Step, Workflow
from gridgov.notify.services import notify
from gridgov.people.models import Role
from gridgov.people.selectors import department_by_code, role_holder_ids

from ..links import taken_over
from ..models import Attendance, Meeting, MeetingStatus, Resolution, ResolutionKind, ResolutionStatus
from ..transitions import (
    MEETING_LABELS,
    MEETING_ROWS,
    RESOLUTION_LABELS,
    RESOLUTION_ROWS,
    MeetingAction,
    MeetingParty,
    ResolutionAction,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.core.models import AuditEvent

CENTER_ROLES: Final = frozenset({Role.CENTER_OPERATOR, Role.TOWN_LEADER, Role.ADMIN})
VILLAGE_ROLES: Final = frozenset({Role.GRID_LEADER, Role.VILLAGE_STAFF})
READER_ROLES: Final = frozenset({*CENTER_ROLES, *VILLAGE_ROLES, Role.SUPERVISOR})
LEVELS: Final = (AreaLevel.TOWN, AreaLevel.VILLAGE)
TEXT_LIMIT: Final = 20000
ITEM_LIMIT: Final = 200
# How far from today a meeting may be planned or recorded.
PLAN_WINDOW: Final = dt.timedelta(days=366)
AGENDA_ITEMS: Final = 30
PROPOSAL_WEEKS: Final = 4
HOTSPOT_DAYS: Final = 30


# --- who sees what --------------------------------------------------------------------------------


def meeting_areas(user: User | AnonymousUser) -> QuerySet[Area]:
    """The town and villages whose meetings ``user`` may plan and read."""
    if not scope_for(user).has_role(*READER_ROLES):
        return Area.objects.none()
    return areas_visible(user).filter(level__in=LEVELS)


def meetings_visible(user: User | AnonymousUser) -> QuerySet[Meeting]:
    """The meetings of the user's areas, and those the user chairs or is invited to."""
    if not getattr(user, "is_authenticated", False):
        return Meeting.objects.none()
    mine = Q(area__in=meeting_areas(user).values("pk")) | Q(invitees=user) | Q(chair=user)
    return Meeting.objects.filter(pk__in=Meeting.objects.filter(mine).values("pk")).select_related("area", "chair")


def meeting_get(user: User | AnonymousUser, pk: int) -> Meeting:
    try:
        return meetings_visible(user).get(pk=pk)
    except Meeting.DoesNotExist:
        raise NotFound(_("No such meeting.")) from None


def is_organiser(user: User | AnonymousUser, area: Area) -> bool:
    held = scope_for(user).roles_for_area(area)
    return bool(held & CENTER_ROLES) or (area.level == AreaLevel.VILLAGE and bool(held & VILLAGE_ROLES))


def _owner_q(user: User | AnonymousUser) -> Q:
    scope = scope_for(user)
    found = Q(pk__in=[])
    if scope.department_ids:
        found |= Q(department_id__in=scope.department_ids)
    village_ids = Area.objects.filter(
        pk__in=[area_id for role, area_id, _d in scope.assignments if role in VILLAGE_ROLES and area_id]
    ).values("pk")
    found |= Q(village_id__in=village_ids)
    return found


def resolutions_visible(user: User | AnonymousUser) -> QuerySet[Resolution]:
    """The resolutions of the meetings ``user`` sees, and those the user's department or
    village owns."""
    if not getattr(user, "is_authenticated", False):
        return Resolution.objects.none()
    mine = Q(meeting__in=meetings_visible(user).values("pk")) | (Q(kind=ResolutionKind.TASK) & _owner_q(user))
    return Resolution.objects.filter(mine).select_related("meeting", "department", "village", "case")


def resolutions_owned(user: User | AnonymousUser) -> QuerySet[Resolution]:
    return resolutions_visible(user).filter(Q(kind=ResolutionKind.TASK) & _owner_q(user))


# --- the agenda proposed --------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    title: str
    source: str
    note: str = ""

    def as_json(self) -> dict[str, str]:
        return {"title": self.title, "source": self.source, "note": self.note}


def open_resolutions(area: Area, before: Meeting | None = None) -> list[Resolution]:
    """The resolutions of earlier meetings of ``area``, and the tasks earlier meetings gave it as
    a village, not done yet (tasks not confirmed, cases not closed): what its next meeting opens
    with."""
    earlier = Meeting.objects.all()
    if before is not None:
        earlier = earlier.filter(starts_at__lt=before.starts_at).exclude(pk=before.pk)
    # The area's own meetings' resolutions, and the tasks any meeting gave the village.
    mine = Q(meeting__area=area) | Q(kind=ResolutionKind.TASK, village=area)
    found = (
        Resolution.objects.filter(mine, meeting__in=earlier)
        .distinct()
        .select_related("meeting", "case", "department", "village")
    )
    return [
        resolution for resolution in found.order_by("meeting__starts_at", "number") if not resolution_done(resolution)
    ]


def resolution_done(resolution: Resolution) -> bool:
    if resolution.kind == ResolutionKind.CASE:
        return resolution.case is not None and resolution.case.status in ("closed", "voided")
    return resolution.status == ResolutionStatus.DONE


def agenda_proposals(area: Area, now: dt.datetime | None = None) -> list[Proposal]:
    """What the agenda could hold: the open resolutions of earlier meetings, the problems the
    last weeks' analyses report (overdue cases, repeated places), and the categories rising in
    the last 30 days against the 30 before."""
    now = now or timezone.now()
    found: list[Proposal] = []
    for resolution in open_resolutions(area):
        found.append(
            Proposal(
                _("Follow-up: %(text)s") % {"text": resolution.text[:60]},
                "followup",
                _("Meeting of %(date)s, resolution %(number)s")
                % {"date": f"{timezone.localtime(resolution.meeting.starts_at):%Y-%m-%d}", "number": resolution.number},
            )
        )
    since = timezone.localdate(now) - dt.timedelta(days=7 * PROPOSAL_WEEKS)
    analyses = WeeklyAnalysis.objects.filter(area_path__startswith=area.path, week__gte=since).select_related("grid")
    places: dict[str, int] = {}
    overdue: dict[str, int] = {}
    for analysis in analyses:
        for place in analysis.figures.get("repeated_places", []):
            places[place["address"]] = max(places.get(place["address"], 0), int(place["count"]))
        if analysis.figures.get("overdue_count"):
            overdue[analysis.grid.name] = overdue.get(analysis.grid.name, 0) + int(analysis.figures["overdue_count"])
    for address, count in sorted(places.items(), key=lambda item: -item[1])[:5]:
        found.append(
            Proposal(
                _("Repeated problems at %(place)s") % {"place": address},
                "weekly",
                _("%(count)s cases in 30 days") % {"count": count},
            )
        )
    for grid, count in sorted(overdue.items(), key=lambda item: -item[1])[:5]:
        found.append(
            Proposal(
                _("Overdue cases in %(grid)s") % {"grid": grid},
                "weekly",
                _("%(count)s overdue at the weeks' ends") % {"count": count},
            )
        )
    today = timezone.localdate(now)
    recent = Period(today - dt.timedelta(days=HOTSPOT_DAYS - 1), today)
    before = recent.previous()
    cases = Case.objects.all()
    here = Dimensions(area=area.code)
    now_rows = {
        row.key: row.figures["reported"].num for row in indices.grouped(cases, recent, "category", here, ("reported",))
    }
    then_rows = {
        row.key: row.figures["reported"].num for row in indices.grouped(cases, before, "category", here, ("reported",))
    }
    rising = sorted(
        ((code, count, then_rows.get(code, 0)) for code, count in now_rows.items() if count > then_rows.get(code, 0)),
        key=lambda item: -(item[1] - item[2]),
    )[:3]
    names = category_names([code for code, _n, _b in rising])
    for code, count, earlier in rising:
        found.append(
            Proposal(
                _("Rising: %(category)s") % {"category": names.get(code, code)},
                "hotspot",
                _("%(now)s cases in the last 30 days, %(before)s in the 30 before") % {"now": count, "before": earlier},
            )
        )
    return found[:AGENDA_ITEMS]


def agenda_from_text(text: str) -> list[dict[str, str]]:
    """The agenda as the form gives it: one item per line (blank lines dropped)."""
    items = [line.strip() for line in str(text).splitlines() if line.strip()]
    if len(items) > AGENDA_ITEMS:
        raise Invalid.field("agenda", _("At most %(n)s agenda items.") % {"n": AGENDA_ITEMS})
    long = next((item for item in items if len(item) > ITEM_LIMIT), None)
    if long is not None:
        # Never cut what someone wrote: say which line is too long, by how much.
        raise Invalid.field(
            "agenda",
            _("Each agenda item is one line of at most %(n)s characters; “%(start)s…” has %(count)s.")
            % {"n": ITEM_LIMIT, "start": long[:12], "count": len(long)},
        )
    return [{"title": item, "source": "manual", "note": ""} for item in items]


# --- planning and signing in ----------------------------------------------------------------------


def meeting_plan(
    *,
    actor: User | AnonymousUser,
    area_code: str,
    title: str,
    starts_at: dt.datetime,
    place: str,
    chair_id: int,
    invitee_ids: list[int],
    agenda: str | None = None,
    submission_key: str | None = None,
) -> Meeting:
    """Plan a meeting and invite its people. The plan form's one-time key makes the same form
    sent twice one meeting (one invitation each)."""
    area = meeting_areas(actor).filter(code=area_code).first()
    if area is None or not is_organiser(actor, area):
        raise Forbidden(_("You may not plan a meeting of this area."))
    today = timezone.localdate()
    if not today - PLAN_WINDOW <= timezone.localtime(starts_at).date() <= today + PLAN_WINDOW:
        raise Invalid.field(
            "starts_at",
            _("A meeting is planned (or recorded) within a year of today: between %(first)s and %(last)s.")
            % {"first": today - PLAN_WINDOW, "last": today + PLAN_WINDOW},
        )
    user_model = get_user_model()
    chair = user_model.objects.filter(pk=chair_id, is_active=True).first()
    if chair is None:
        raise Invalid.field("chair", _("Choose the chair."))
    invitees = list(user_model.objects.filter(pk__in=invitee_ids, is_active=True))
    items = agenda_from_text(agenda) if agenda else [p.as_json() for p in agenda_proposals(area)]
    title = title.strip()[:120]
    if not title:
        raise Invalid.field("title", _("Give the meeting a title."))

    def write() -> Meeting:
        with transaction.atomic():
            meeting = Meeting.objects.create(
                area=area,
                title=title,
                starts_at=starts_at,
                place=place.strip()[:120],
                chair=chair,
                agenda=items,
                sign_in_key=secrets.token_hex(16),
                created_by=signed_in(actor) or chair,
            )
            meeting.invitees.set(invitees)
            record(action="meeting.plan", actor=actor, obj=meeting, data={"area": area.code, "invitees": len(invitees)})
            url = reverse("meetings:detail", args=[meeting.pk])
            notify(
                recipients=[chair, *invitees],
                kind="meeting.invited",
                params={
                    "title": meeting.title,
                    "at": f"{timezone.localtime(starts_at):%Y-%m-%d %H:%M}",
                    "place": meeting.place,
                },
                url=url,
                obj=meeting,
                actor=signed_in(actor),
            )
        return meeting

    sent = {"area": area.code, "title": title, "at": starts_at.isoformat(), "chair": chair.pk, "agenda": items}
    meeting, _created = create_once(
        key=submission_key, user=actor, kind="meeting.plan", sent=sent, create=write, model=Meeting
    )
    return meeting


def key_matches(meeting: Meeting, key: object) -> bool:
    """Whether ``key`` is the meeting's sign-in key (compared in constant time; anything not
    shaped like a key, non-ASCII text included, simply does not match)."""
    return isinstance(key, str) and key.isascii() and secrets.compare_digest(meeting.sign_in_key, key)


def meeting_sign_in(
    *, actor: User | AnonymousUser, pk: int, key: str, at: dt.datetime | None = None
) -> tuple[Attendance, bool]:
    """Sign ``actor`` in to the meeting whose QR code carries ``key`` (once; a second scan
    changes nothing). Anyone signed in may scan it: an uninvited attendee is recorded too."""
    user = signed_in(actor)
    if user is None:
        raise Forbidden(_("Sign in to the platform first."))
    meeting = Meeting.objects.filter(pk=pk).first()
    if meeting is None or not key_matches(meeting, key):
        raise NotFound(_("This sign-in code is not valid."))
    if meeting.status == MeetingStatus.CLOSED:
        raise Invalid.field("key", _("The meeting's minutes are final: signing in is closed."))
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(meeting=meeting, user=user, signed_at=at or timezone.now())
            record(action="meeting.sign_in", actor=user, obj=meeting)
    except IntegrityError:
        return Attendance.objects.get(meeting=meeting, user=user), False
    return attendance, True


# --- the meeting's workflow -----------------------------------------------------------------------

MeetingActor: TypeAlias = Actor


class MeetingFlow(Workflow[Meeting, MeetingActor]):
    model = Meeting
    forbidden_message = _("Only the meeting's organisers may do this.")

    def parties(self, actor: MeetingActor, subject: Meeting) -> set[str]:
        return {MeetingParty.ORGANISER} if actor is not None and is_organiser(actor, subject.area) else set()

    def visible(self, actor: MeetingActor) -> Q:
        return Q() if actor is None else Q(pk__in=meetings_visible(actor).values("pk"))

    def status_label(self, status: str) -> str:
        return str(MeetingStatus(status).label) if status in MeetingStatus.values else status

    def record(self, step: Step[Meeting, MeetingActor]) -> AuditEvent:
        return record(action=f"meeting.{step.action}", actor=step.actor, obj=step.subject, data=step.data)


MEETINGS = MeetingFlow("meeting", MEETING_ROWS, labels=MEETING_LABELS)


@MEETINGS.effect(MeetingAction.AGENDA)
def _agenda(step: Step[Meeting, MeetingActor]) -> None:
    step.set(agenda=agenda_from_text(step.input("agenda")))


# How long before its planned time a meeting may be opened (people gather early); never on an
# earlier day than the planned one.
HOLD_EARLY: Final = dt.timedelta(hours=2)


@MEETINGS.effect(MeetingAction.HOLD)
def _hold(step: Step[Meeting, MeetingActor]) -> None:
    starts_at = step.subject.starts_at
    now = step.now
    if now < starts_at - HOLD_EARLY or timezone.localdate(now) < timezone.localdate(starts_at):
        raise Conflict(
            _("This meeting is planned for %(time)s: it can be opened at most two hours before that time.")
            % {"time": timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")},
            code="meeting_not_yet",
        )
    step.data["attendance"] = step.subject.attendance.count()


@MEETINGS.effect(MeetingAction.MINUTES)
def _minutes(step: Step[Meeting, MeetingActor]) -> None:
    minutes = str(step.input("minutes"))
    if len(minutes) > TEXT_LIMIT:
        raise Invalid.field("minutes", _("At most %(limit)d characters.") % {"limit": TEXT_LIMIT})
    step.set(minutes=minutes)


@MEETINGS.effect(MeetingAction.CLOSE)
def _close(step: Step[Meeting, MeetingActor]) -> None:
    if not step.subject.minutes.strip():
        raise Invalid.field("minutes", _("Write the minutes before making them final."))
    step.set(closed_at=step.now)
    step.data["resolutions"] = step.subject.resolutions.count()


MEETINGS.check_complete()


def meeting_act(
    *,
    actor: User | AnonymousUser,
    pk: int,
    action: str,
    inputs: dict[str, Any] | None = None,
    version: int | None = None,
) -> Meeting:
    return MEETINGS.act(pk, action, actor=actor, inputs=inputs or {}, version=version)


# --- resolutions ----------------------------------------------------------------------------------


def resolution_add(
    *,
    actor: User | AnonymousUser,
    meeting_id: int,
    text: str,
    kind: str,
    deadline: dt.date | None = None,
    department_code: str = "",
    village_code: str = "",
    category: str = "",
    grid_code: str = "",
    submission_key: str | None = None,
) -> Resolution:
    """A resolution of a meeting being held: a task for its owner (a department or a village,
    with a deadline) or a case created at once in the case loop (source ``meeting``). The form's
    one-time key makes the same resolution sent twice one resolution (and one case)."""
    sent = {
        "meeting": meeting_id,
        "text": str(text).strip(),
        "kind": kind,
        "deadline": deadline,
        "owner": [department_code, village_code],
        "case": [category, grid_code],
    }
    resolution, _created = create_once(
        key=submission_key,
        user=actor,
        kind="meeting.resolution",
        sent=sent,
        create=lambda: _resolution_write(
            actor=actor,
            meeting_id=meeting_id,
            text=text,
            kind=kind,
            deadline=deadline,
            department_code=department_code,
            village_code=village_code,
            category=category,
            grid_code=grid_code,
        ),
        model=Resolution,
    )
    return resolution


def _resolution_write(
    *,
    actor: User | AnonymousUser,
    meeting_id: int,
    text: str,
    kind: str,
    deadline: dt.date | None,
    department_code: str,
    village_code: str,
    category: str,
    grid_code: str,
) -> Resolution:
    text = str(text).strip()
    if not text:
        raise Invalid.field("text", _("Write the resolution."))
    if len(text) > 2000:
        raise Invalid.field("text", _("At most %(limit)d characters.") % {"limit": 2000})
    with transaction.atomic():
        meeting = (
            Meeting.objects.select_for_update()
            .filter(pk__in=meetings_visible(actor).values("pk"), pk=meeting_id)
            .first()
        )
        if meeting is None:
            raise NotFound(_("No such meeting."))
        if not is_organiser(actor, meeting.area):
            raise Forbidden(_("Only the meeting's organisers may do this."))
        if meeting.status != MeetingStatus.HELD:
            raise Invalid.field("text", _("Resolutions are recorded while the meeting is held."))
        number = (meeting.resolutions.aggregate(last=Max("number"))["last"] or 0) + 1
        values: dict[str, Any] = {"meeting": meeting, "number": number, "text": text, "kind": kind}
        if kind == ResolutionKind.TASK:
            if deadline is None:
                raise Invalid.field("deadline", _("A task needs a deadline."))
            if deadline < timezone.localdate():
                raise Invalid.field("deadline", _("The deadline has passed."))
            department, village = _task_owner(actor, department_code, village_code)
            values.update(department=department, village=village, deadline=deadline)
        elif kind == ResolutionKind.CASE:
            if not category:
                raise Invalid.field("category", _("Choose the category of the case."))
            if not grid_code:
                raise Invalid.field("grid", _("Choose the grid where the work is to be done."))
            grid = areas_visible(actor).filter(code=grid_code, level=AreaLevel.GRID).first()
            if grid is None:
                raise Invalid.field("grid", _("Choose the grid where the work is to be done."))
            # Placed at the grid's centre, as a field report is placed by its position (only the
            # center may name a case's grid outright).
            where: dict[str, Any] = (
                {"lat": grid.center_lat, "lng": grid.center_lng} if grid.center_lat is not None else {"grid": grid}
            )
            case, _created = case_create(
                actor=actor,
                category=category,
                description=text,
                source=Source.MEETING,
                **where,
                comment=_("Resolution %(number)s of the meeting “%(title)s”")
                % {"number": number, "title": meeting.title},
            )
            values["case"] = case
        else:
            raise Invalid.field("kind", _("Choose what the resolution becomes."))
        resolution = Resolution.objects.create(**values)
        record(
            action="resolution.add",
            actor=actor,
            obj=resolution,
            data={"meeting": meeting.pk, "kind": kind, "case": getattr(resolution.case, "number", "")},
        )
        if kind == ResolutionKind.TASK:
            notify(
                recipients=_owners(resolution),
                kind="meeting.resolution",
                params={"title": meeting.title, "number": number, "deadline": deadline.isoformat() if deadline else ""},
                body=text[:500],
                url=reverse("meetings:resolutions"),
                obj=resolution,
                actor=signed_in(actor),
            )
    return resolution


def _task_owner(actor: User | AnonymousUser, department_code: str, village_code: str) -> tuple[Any, Any]:
    """The department (in service) or the visible village that owns a task; 422 without one."""
    department = department_by_code(department_code) if department_code else None
    if department is not None and not department.is_active:
        department = None
    village = areas_visible(actor).filter(code=village_code, level=AreaLevel.VILLAGE).first() if village_code else None
    if department is None and village is None:
        raise Invalid.field("department", _("Choose the department or village that owns the task."))
    if department is not None and village is not None:
        raise Invalid.field("department", _("A task has one owner: choose a department or a village, not both."))
    return department, village


def _owners(resolution: Resolution) -> list[User]:
    query = Q(pk__in=[])
    if resolution.department_id:
        query |= Q(role=Role.DEPARTMENT_HANDLER, department_id=resolution.department_id)
    if resolution.village_id:
        query |= Q(role__in=VILLAGE_ROLES, area_id=resolution.village_id)
    return list(get_user_model().objects.filter(pk__in=role_holder_ids(query)))


class ResolutionFlow(Workflow[Resolution, MeetingActor]):
    model = Resolution
    forbidden_message = _("This step of the resolution is not yours to take.")

    def parties(self, actor: MeetingActor, subject: Resolution) -> set[str]:
        if actor is None or subject.kind != ResolutionKind.TASK:
            return set()
        parties: set[str] = set()
        if is_organiser(actor, subject.meeting.area):
            parties.add(MeetingParty.ORGANISER)
        if Resolution.objects.filter(pk=subject.pk).filter(_owner_q(actor)).exists():
            parties.add(MeetingParty.OWNER)
        return parties

    def visible(self, actor: MeetingActor) -> Q:
        return Q() if actor is None else Q(pk__in=resolutions_visible(actor).values("pk"))

    def status_label(self, status: str) -> str:
        return str(ResolutionStatus(status).label) if status in ResolutionStatus.values else status

    def record(self, step: Step[Resolution, MeetingActor]) -> AuditEvent:
        return record(action=f"resolution.{step.action}", actor=step.actor, obj=step.subject, data=step.data)

    def state_refusal(self, subject: Resolution, transition: Any, now: dt.datetime) -> Conflict | None:
        """A resolution taken over (by a leader's task) is done through what took it over."""
        if taken_over(subject.pk):
            return Conflict(
                _("This resolution was made a leader's task: report and confirm it on the task."), code="taken_over"
            )
        return super().state_refusal(subject, transition, now)

    def allowed_actions(self, subject: Resolution, user: MeetingActor, now: dt.datetime | None = None) -> list[str]:
        return [] if taken_over(subject.pk) else super().allowed_actions(subject, user, now)


RESOLUTIONS = ResolutionFlow("resolution", RESOLUTION_ROWS, labels=RESOLUTION_LABELS)


@RESOLUTIONS.effect(ResolutionAction.REPORT)
def _report(step: Step[Resolution, MeetingActor]) -> None:
    step.set(report=str(step.input("report"))[:2000])


@RESOLUTIONS.effect(ResolutionAction.CONFIRM)
def _confirm(step: Step[Resolution, MeetingActor]) -> None:
    step.set(done_at=step.now, comment=str(step.input("comment", "") or "")[:1000])


@RESOLUTIONS.effect(ResolutionAction.RETURN)
def _return(step: Step[Resolution, MeetingActor]) -> None:
    step.set(comment=str(step.input("comment"))[:1000])


RESOLUTIONS.check_complete()


def resolution_act(
    *,
    actor: User | AnonymousUser,
    pk: int,
    action: str,
    inputs: dict[str, Any] | None = None,
    version: int | None = None,
) -> Resolution:
    return RESOLUTIONS.act(pk, action, actor=actor, inputs=inputs or {}, version=version)


def resolution_state(resolution: Resolution, today: dt.date | None = None) -> str:
    """``done``, ``overdue`` (a task past its deadline, or a case past its overall deadline) or
    ``open``."""
    if resolution_done(resolution):
        return "done"
    today = today or timezone.localdate()
    if resolution.kind == ResolutionKind.TASK:
        return "overdue" if resolution.deadline and resolution.deadline < today else "open"
    due = resolution.case.due_at if resolution.case else None
    return "overdue" if due and due < timezone.now() else "open"

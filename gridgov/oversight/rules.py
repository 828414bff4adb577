"""The console's own rules (registered when the app is ready; see :mod:`.registry`).

Each rule is one queryset on the viewer's visible cases, orders, notices or staff of the town;
the console counts it and the list shows it. The definitions below are the ones on the page and
in ``docs/oversight.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from django.db.models import Count, DateTimeField, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncDay, TruncHour
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.assignments.models import PART_OPEN, AssignmentPart, PartStatus
from gridgov.cases.models import OPEN_STATUSES, Case, CaseAttachment, CaseEvent, Status
from gridgov.cases.selectors import cases_visible
from gridgov.cases.transitions import Action as CaseAction
from gridgov.core.models import AuditEvent
from gridgov.core.reveals import REVEAL_ACTIONS
from gridgov.hotline.deadlines import overdue_q
from gridgov.hotline.models import HotlineOrder, OrderEvent
from gridgov.hotline.selectors import orders_visible
from gridgov.hotline.transitions import Action as OrderAction
from gridgov.people.selectors import display_name, role_holder_ids, users_visible

from .models import SupervisionNotice, SupervisionStatus
from .registry import Column, Context, Param, Rule, local_time, register

CASES: Final = _("Cases")
ORDERS: Final = _("12345 hotline orders")
NOTICES: Final = _("Supervision")
DATA: Final = _("Personal data")
TASKS: Final = _("Leaders' tasks")

EXTENSIONS: Final = Param("extension_repeat", _("Extensions that make a case repeatedly extended"), 2, 2, 20)
NOTICE_HOURS: Final = Param("notice_close_hours", _("Hours after a supervision notice a closing is suspicious"), 24)
REVEALS_HOUR: Final = Param("reveals_per_hour", _("Reveals in one clock hour that flag a user"), 15)
REVEALS_DAY: Final = Param("reveals_per_day", _("Reveals in one day that flag a user"), 40)

# Audit actions that hand personal data out of the system: spreadsheets and documents.
EXPORT_ACTIONS: Final = (
    "case.export",
    "hotline.export_orders",
    "hotline.export_statistics",
    "oversight.export",
    "security.download",
    # Lists that name staff or residents: the assessment's ranking and documents, the tasks' board.
    "assessment.download",
    "assignment.export",
)


# --- cases ----------------------------------------------------------------------------------------


def town_cases(context: Context) -> QuerySet[Case]:
    return cases_visible(context.viewer).filter(town=context.town)


def _cases_with(context: Context, *actions: str) -> QuerySet[Case]:
    """The town's cases with a step ``actions`` in the period."""
    steps = CaseEvent.objects.filter(action__in=actions, at__gte=context.since, at__lt=context.now)
    return town_cases(context).filter(pk__in=steps.values("case_id"))


def overdue_cases(context: Context) -> QuerySet[Case]:
    return town_cases(context).filter(
        status__in=sorted(OPEN_STATUSES - {Status.PARKED}), stage_deadline__lt=context.now
    )


def returned_cases(context: Context) -> QuerySet[Case]:
    return _cases_with(context, CaseAction.RETURN)


def reworked_cases(context: Context) -> QuerySet[Case]:
    return _cases_with(context, CaseAction.VERIFY_FAIL)


def extended_cases(context: Context) -> QuerySet[Case]:
    return _cases_with(context, CaseAction.APPROVE_EXTENSION)


def repeatedly_extended_cases(context: Context) -> QuerySet[Case]:
    return extended_cases(context).filter(extension_count__gte=context.value(EXTENSIONS.code))


def closed_after_notice(context: Context) -> QuerySet[Case]:
    window = dt.timedelta(hours=context.value(NOTICE_HOURS.code))
    notice = CaseEvent.objects.filter(
        case_id=OuterRef("case_id"),
        action=CaseAction.SUPERVISE,
        at__lte=OuterRef("at"),
        at__gte=OuterRef("at") - window,
    )
    closings = CaseEvent.objects.filter(
        action__in=[CaseAction.CLOSE, CaseAction.VERIFY_PASS], at__gte=context.since, at__lt=context.now
    ).filter(Exists(notice))
    return town_cases(context).filter(pk__in=closings.values("case_id"))


def self_verified_cases(context: Context) -> QuerySet[Case]:
    return town_cases(context).filter(
        verified_at__gte=context.since,
        verified_at__lt=context.now,
        reporter_id__isnull=False,
        verified_by_id=F("reporter_id"),
    )


def self_handled_without_photos(context: Context) -> QuerySet[Case]:
    photos = CaseAttachment.objects.filter(case_id=OuterRef("pk"))
    return (
        town_cases(context)
        .filter(self_handled=True, reported_at__gte=context.since, reported_at__lt=context.now)
        .filter(~Exists(photos))
    )


def case_link(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk])


CASE_COLUMNS: Final = (
    Column(_("Number"), lambda c: c.number),
    Column(_("Category"), lambda c: c.category.name),
    Column(_("Grid"), lambda c: c.grid.name if c.grid else ""),
    Column(_("Status"), lambda c: c.get_status_display()),
    Column(_("Lead department"), lambda c: c.lead_department.name if c.lead_department else ""),
    Column(_("Reported at"), lambda c: local_time(c.reported_at)),
    Column(_("Stage deadline"), lambda c: local_time(c.stage_deadline)),
    Column(_("Returns"), lambda c: c.return_count),
    Column(_("Reworks"), lambda c: c.rework_count),
    Column(_("Extensions"), lambda c: c.extension_count),
    Column(_("Supervision notices"), lambda c: c.supervision_count),
)


# --- hotline orders -------------------------------------------------------------------------------


def town_orders(context: Context) -> QuerySet[HotlineOrder]:
    return orders_visible(context.viewer).filter(town=context.town)


def overdue_orders(context: Context) -> QuerySet[HotlineOrder]:
    return town_orders(context).filter(overdue_q(context.now))


def returned_orders(context: Context) -> QuerySet[HotlineOrder]:
    steps = OrderEvent.objects.filter(
        action__in=[OrderAction.REJECT_DRAFT, OrderAction.RETURN_UPSTREAM], at__gte=context.since, at__lt=context.now
    )
    return town_orders(context).filter(pk__in=steps.values("order_id"))


def order_link(order: HotlineOrder) -> str:
    return reverse("hotline:detail", args=[order.pk])


ORDER_COLUMNS: Final = (
    Column(_("Upstream number"), lambda o: o.upstream_number),
    Column(_("Title"), lambda o: o.title),
    Column(_("Status"), lambda o: o.get_status_display()),
    Column(_("Lead department"), lambda o: o.lead_department.name if o.lead_department else ""),
    Column(_("Arrived at"), lambda o: local_time(o.arrived_at)),
    Column(_("Reply deadline"), lambda o: local_time(o.reply_deadline)),
    Column(_("Drafts rejected"), lambda o: o.reject_count),
)


# --- supervision notices --------------------------------------------------------------------------


def notices_of_town(context: Context) -> QuerySet[SupervisionNotice]:
    from .selectors import supervisions_visible

    return supervisions_visible(context.viewer).filter(town=context.town)


def answered_on_case_q() -> Q:
    """A notice on a case whose handler answered it on the case page (the case loop's
    ``reply_supervision`` after the notice was issued)."""
    replied = CaseEvent.objects.filter(
        case_id=OuterRef("case_id"), action=CaseAction.REPLY_SUPERVISION, at__gte=OuterRef("issued_at")
    )
    return Q(case__isnull=False) & Q(Exists(replied))


def overdue_notices(context: Context) -> QuerySet[SupervisionNotice]:
    return (
        notices_of_town(context)
        .filter(status=SupervisionStatus.ISSUED, deadline__lt=context.now)
        .exclude(answered_on_case_q())
    )


def _town_parts(context: Context) -> QuerySet[AssignmentPart]:
    return AssignmentPart.objects.filter(assignment__town=context.town).select_related(
        "assignment", "department", "area"
    )


def overdue_task_parts(context: Context) -> QuerySet[AssignmentPart]:
    """Owners' parts of the town's leaders' tasks past their deadline and still open (not done,
    not cancelled)."""
    return _town_parts(context).filter(status__in=PART_OPEN, deadline__lt=context.now).order_by("deadline")


def extended_task_parts(context: Context) -> QuerySet[AssignmentPart]:
    """Owners' parts extended the town's number of times or more, or returned, and not done or
    done in the window."""
    repeat = context.value(EXTENSIONS.code)
    recent = Q(status__in=PART_OPEN) | Q(status=PartStatus.DONE, completed_at__gte=context.since)
    return (
        _town_parts(context)
        .filter(Q(extension_count__gte=repeat) | Q(return_count__gte=1))
        .filter(recent)
        .order_by("-extension_count", "deadline")
    )


def task_link(part: AssignmentPart) -> str:
    return reverse("assignments:detail", args=[part.assignment_id])


def task_supervise(part: AssignmentPart) -> str:
    """A leaders' task is supervised by its own `supervise` step, on its page, while it is open."""
    return task_link(part) if part.status in PART_OPEN else ""


TASK_COLUMNS: Final = (
    Column(_("Task"), lambda p: p.assignment.title),
    Column(_("Owner"), lambda p: p.owner_name),
    Column(_("Status"), lambda p: p.get_status_display()),
    Column(_("Deadline"), lambda p: local_time(p.deadline)),
    Column(_("Extensions"), lambda p: p.extension_count),
    Column(_("Returned"), lambda p: p.return_count),
)


def notice_link(notice: SupervisionNotice) -> str:
    return reverse("oversight:supervision", args=[notice.pk])


NOTICE_COLUMNS: Final = (
    Column(_("No."), lambda n: n.pk),
    Column(_("Case or order"), lambda n: n.target_label),
    Column(_("What is asked"), lambda n: n.text),
    Column(_("Issued at"), lambda n: local_time(n.issued_at)),
    Column(_("Answer due by"), lambda n: local_time(n.deadline)),
    Column(_("Status"), lambda n: n.get_status_display()),
)


# --- personal data --------------------------------------------------------------------------------


def _period_events(context: Context, actions: tuple[str, ...]) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        action__in=actions, success=True, created_at__gte=context.since, created_at__lt=context.now
    )


def _count_of(context: Context, actions: tuple[str, ...]) -> Coalesce:
    counted = (
        _period_events(context, actions)
        .filter(actor_id=OuterRef("pk"))
        .values("actor_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def town_staff(context: Context) -> Any:
    """The staff of the town: holders of a role over an area of the town or in a department
    serving one, inside what the viewer may see."""
    path = context.town.path
    ids = role_holder_ids(Q(area__path__startswith=path) | Q(department__areas__path__startswith=path))
    return users_visible(context.viewer).filter(pk__in=ids)


def data_access(context: Context) -> Any:
    acted = _period_events(context, REVEAL_ACTIONS + EXPORT_ACTIONS).values("actor_id")
    return (
        town_staff(context)
        .filter(pk__in=acted)
        .annotate(reveals=_count_of(context, REVEAL_ACTIONS), exports=_count_of(context, EXPORT_ACTIONS))
        .order_by("-reveals", "-exports", "username")
    )


def bulk_revealers(context: Context) -> Any:
    reveals = _period_events(context, REVEAL_ACTIONS)
    hourly = (
        reveals.annotate(slot=TruncHour("created_at"))
        .values("actor_id", "slot")
        .annotate(n=Count("pk"))
        .filter(n__gt=context.value(REVEALS_HOUR.code))
        .values("actor_id")
    )
    daily = (
        reveals.annotate(slot=TruncDay("created_at"))
        .values("actor_id", "slot")
        .annotate(n=Count("pk"))
        .filter(n__gt=context.value(REVEALS_DAY.code))
        .values("actor_id")
    )
    return (
        data_access(context)
        .filter(Q(pk__in=hourly) | Q(pk__in=daily))
        .annotate(
            window_start=Value(context.since, output_field=DateTimeField()),
            window_end=Value(context.now, output_field=DateTimeField()),
        )
    )


def peak_hour(user: Any) -> int:
    """The most reveals the user made in one clock hour within the list's window."""
    events = AuditEvent.objects.filter(
        actor_id=user.pk,
        action__in=REVEAL_ACTIONS,
        success=True,
        created_at__gte=user.window_start,
        created_at__lt=user.window_end,
    )
    found = (
        events.annotate(slot=TruncHour("created_at"))
        .values("slot")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("n", flat=True)
        .first()
    )
    return int(found or 0)


def user_link(user: Any) -> str:
    """A staff row's drill-down: the reveals and exports behind its counts."""
    return reverse("oversight:access-events", args=[user.pk])


def access_events(context: Context, user_id: int) -> QuerySet[AuditEvent]:
    """The reveals and exports a member of the town's staff made in the rule's window: what the
    counts of ``data_access`` and ``bulk_reveals`` add up."""
    return _period_events(context, REVEAL_ACTIONS + EXPORT_ACTIONS).filter(actor_id=user_id).order_by("-created_at")


USER_COLUMNS: Final = (
    Column(_("Account"), lambda u: u.username),
    Column(_("Name"), display_name),
    Column(_("Reveals"), lambda u: u.reveals),
    Column(_("Exports"), lambda u: u.exports),
)


for _rule in [
    Rule(
        "overdue_cases",
        _("Overdue cases"),
        _("Open cases (not parked) of the town whose current stage deadline has passed."),
        overdue_cases,
        CASE_COLUMNS,
        target="case",
        link=case_link,
        order=10,
        group=CASES,
    ),
    Rule(
        "overdue_orders",
        _("Overdue hotline orders"),
        _("Open 12345 orders of the town past their step deadline or their reply deadline."),
        overdue_orders,
        ORDER_COLUMNS,
        target="order",
        link=order_link,
        order=20,
        group=ORDERS,
    ),
    Rule(
        "returned_cases",
        _("Returned cases"),
        _("Cases of the town that the handler returned to the center in the last %(period_days)s days."),
        returned_cases,
        CASE_COLUMNS,
        target="case",
        link=case_link,
        order=30,
        group=CASES,
    ),
    Rule(
        "returned_orders",
        _("Returned hotline orders"),
        _(
            "Orders of the town whose reply draft the center rejected, or that were returned "
            "upstream, in the last %(period_days)s days."
        ),
        returned_orders,
        ORDER_COLUMNS,
        target="order",
        link=order_link,
        order=40,
        group=ORDERS,
    ),
    Rule(
        "reworked_cases",
        _("Reworked cases"),
        _("Cases of the town whose on-site verification failed (rework) in the last %(period_days)s days."),
        reworked_cases,
        CASE_COLUMNS,
        target="case",
        link=case_link,
        order=50,
        group=CASES,
    ),
    Rule(
        "extended_cases",
        _("Extended cases"),
        _("Cases of the town granted an extension in the last %(period_days)s days."),
        extended_cases,
        CASE_COLUMNS,
        target="case",
        link=case_link,
        order=60,
        group=CASES,
    ),
    Rule(
        "repeatedly_extended_cases",
        _("Repeatedly extended cases"),
        _("Extended cases (as above) granted %(extension_repeat)s extensions or more in all."),
        repeatedly_extended_cases,
        CASE_COLUMNS,
        params=(EXTENSIONS,),
        target="case",
        link=case_link,
        order=70,
        group=CASES,
    ),
    Rule(
        "closed_after_notice",
        _("Closed right after a supervision notice"),
        _(
            "Cases of the town closed (verification passed or closed by the center) in the last "
            "%(period_days)s days within %(notice_close_hours)s hours after a supervision notice."
        ),
        closed_after_notice,
        CASE_COLUMNS,
        params=(NOTICE_HOURS,),
        target="case",
        link=case_link,
        order=80,
        group=CASES,
    ),
    Rule(
        "self_verified",
        _("Verified by the reporter themself"),
        _("Cases of the town first verified in the last %(period_days)s days by the same person who reported them."),
        self_verified_cases,
        CASE_COLUMNS,
        target="case",
        link=case_link,
        order=90,
        group=CASES,
    ),
    Rule(
        "self_handled_no_photo",
        _("Self-handled without photos"),
        _("Problems of the town recorded as self-handled in the last %(period_days)s days with no photo at all."),
        self_handled_without_photos,
        CASE_COLUMNS,
        target="case",
        link=case_link,
        order=100,
        group=CASES,
    ),
    Rule(
        "overdue_supervision",
        _("Supervision notices not answered in time"),
        _(
            "Supervision notices of the town past their answer deadline and not answered (on the "
            "notice or on the case)."
        ),
        overdue_notices,
        NOTICE_COLUMNS,
        link=notice_link,
        order=110,
        group=NOTICES,
    ),
    Rule(
        "data_access",
        _("Personal-data reveals and exports"),
        _(
            "Staff of the town who revealed personal data (a party, a petitioner, a household, a "
            "complaint) or exported a list in the last %(period_days)s days, with their counts."
        ),
        data_access,
        USER_COLUMNS,
        link=user_link,
        order=120,
        group=DATA,
    ),
    Rule(
        "bulk_reveals",
        _("Bulk reveals"),
        _(
            "Staff of the town who revealed personal data more than %(reveals_per_hour)s times in "
            "one clock hour or more than %(reveals_per_day)s times in one day, in the last "
            "%(period_days)s days."
        ),
        bulk_revealers,
        (*USER_COLUMNS, Column(_("Most reveals in one hour"), peak_hour)),
        link=user_link,
        params=(REVEALS_HOUR, REVEALS_DAY),
        order=130,
        group=DATA,
    ),
    Rule(
        "overdue_task_parts",
        _("Overdue leaders' tasks"),
        _("Owners' parts of the town's leaders' tasks past their deadline (as extended) and not done."),
        overdue_task_parts,
        TASK_COLUMNS,
        link=task_link,
        supervise=task_supervise,
        order=200,
        group=TASKS,
    ),
    Rule(
        "extended_task_parts",
        _("Leaders' tasks extended or returned"),
        _(
            "Owners' parts of the town's leaders' tasks extended %(extension_repeat)s times or more, or "
            "returned by the leader, not done or done in the last %(period_days)s days."
        ),
        extended_task_parts,
        TASK_COLUMNS,
        params=(EXTENSIONS,),
        link=task_link,
        supervise=task_supervise,
        order=210,
        group=TASKS,
    ),
]:
    register(_rule)

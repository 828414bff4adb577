"""Hotline statistics: what the weekly and monthly reports on 12345 orders need.

Every figure is computed by the database (``COUNT(...) FILTER (WHERE ...)`` aggregates, grouped
by lead department or by day), never by looping over orders in Python, so a year of a district's
orders costs a handful of queries on SQLite and PostgreSQL alike.

**The cohort.** A period's figures describe the orders that *arrived* in the period (the day
the order reached the town, local time), whatever happened to them since: "received 120,
acknowledged on time 117, replied on time 98, ..." all count the same 120 orders. The daily
chart is the one exception: its "replied" line counts replies sent on each day.

**Every rate is a count over a count**, both figures of the same :class:`Figures`, and the page
shows them beside the percentage, so that they always agree with the numbers next to them.
Orders still within a limit are left out of its rate until they are due; an order never
acknowledged (or never replied) once its limit has passed counts against the rate.

**Overdue** is the one definition of :func:`gridgov.hotline.deadlines.overdue_q`, the same as the
workbench's queue and lights.

**The three rates** (响应率, 解决率, 满意率) follow the working definitions of the hotline
assessment; the upstream formulas are not published, so the choices are settings
(``GRIDGOV_HOTLINE_RATES``, see :class:`RateRules`) and the page prints the rules in force.
"""

from __future__ import annotations

import calendar as month_calendar
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.people.selectors import department_names_by_id

from .deadlines import overdue_q
from .models import OPEN_ORDER_STATUSES, HotlineOrder, OrderStage, OrderStatus, OrderStep, OrderType, Satisfaction

PERIOD_WEEK: Final = "week"
PERIOD_MONTH: Final = "month"
PERIOD_CUSTOM: Final = "custom"
PERIOD_KINDS: Final = (PERIOD_WEEK, PERIOD_MONTH, PERIOD_CUSTOM)
MAX_CUSTOM_DAYS: Final = 732

# What counts as "responded" (the numerator of the response rate).
RESPONSE_ACK_ON_TIME: Final = "ack_on_time"
RESPONSE_ACKNOWLEDGED: Final = "acknowledged"
RESPONSE_ACK_AND_REPLY_ON_TIME: Final = "ack_and_reply_on_time"
RESPONSE_RULES: Final = (RESPONSE_ACK_ON_TIME, RESPONSE_ACKNOWLEDGED, RESPONSE_ACK_AND_REPLY_ON_TIME)
# What counts as "resolved" (the numerator of the resolution rate).
RESOLVED_SOLVED: Final = "solved"
RESOLVED_SOLVED_AND_SATISFIED: Final = "solved_and_satisfied"
RESOLVED_RULES: Final = (RESOLVED_SOLVED, RESOLVED_SOLVED_AND_SATISFIED)


class StatsError(ValueError):
    """A period or a setting that cannot be used (the message is shown to the user)."""


# --- the rules of the three rates ----------------------------------------------------------


@dataclass(frozen=True)
class RateRules:
    """How the three rates are computed. Read from ``settings.GRIDGOV_HOTLINE_RATES`` (a dict
    with any of these keys; the rest keep their defaults).

    - ``response``: what makes an order "responded": ``ack_on_time`` (acknowledged within its
      limit, the default), ``acknowledged`` (at all), or ``ack_and_reply_on_time`` (acknowledged
      within its limit *and* replied within the deadline).
    - ``response_excludes_returned``: orders returned upstream (outside the town's remit) leave
      the response rate's base (default True: they were not the town's to answer).
    - ``satisfied``: the call-back ratings that count as satisfied (default satisfied and
      basically satisfied).
    - ``resolved``: ``solved`` (the petitioner said the matter was solved, the default) or
      ``solved_and_satisfied`` (solved and rated satisfied as above).

    Resolution and satisfaction are taken over the *evaluated* orders: those with a call-back
    result (a rating or a solved yes/no). After a dissatisfied call-back and a new reply, the
    latest call-back counts.
    """

    response: str = RESPONSE_ACK_ON_TIME
    response_excludes_returned: bool = True
    satisfied: tuple[str, ...] = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)
    resolved: str = RESOLVED_SOLVED

    @classmethod
    def from_settings(cls, value: Mapping[str, Any] | None = None) -> RateRules:
        options = dict(getattr(settings, "GRIDGOV_HOTLINE_RATES", None) or {}) if value is None else dict(value)
        unknown = set(options) - {"response", "response_excludes_returned", "satisfied", "resolved"}
        if unknown:
            raise StatsError(f"GRIDGOV_HOTLINE_RATES: unknown keys {sorted(unknown)}")
        rules = cls(
            response=str(options.get("response", cls.response)),
            response_excludes_returned=bool(options.get("response_excludes_returned", cls.response_excludes_returned)),
            satisfied=tuple(str(v) for v in options.get("satisfied", cls.satisfied)),
            resolved=str(options.get("resolved", cls.resolved)),
        )
        if rules.response not in RESPONSE_RULES:
            raise StatsError(f"GRIDGOV_HOTLINE_RATES: response must be one of {RESPONSE_RULES}")
        if rules.resolved not in RESOLVED_RULES:
            raise StatsError(f"GRIDGOV_HOTLINE_RATES: resolved must be one of {RESOLVED_RULES}")
        ratings = set(Satisfaction.values)
        if not rules.satisfied or not set(rules.satisfied) <= ratings:
            raise StatsError(f"GRIDGOV_HOTLINE_RATES: satisfied must be a non-empty subset of {sorted(ratings)}")
        return rules

    def descriptions(self) -> list[tuple[str, str]]:
        """(name, how it is computed) for the page and the workbook, in the reader's language.
        Every rate is a count of orders over another; both are shown beside it."""
        labels = dict(Satisfaction.choices)
        satisfied = "、".join(str(labels[value]) for value in self.satisfied)
        response = {
            RESPONSE_ACK_ON_TIME: _("orders acknowledged within their limit"),
            RESPONSE_ACKNOWLEDGED: _("orders acknowledged (on time or late)"),
            RESPONSE_ACK_AND_REPLY_ON_TIME: _("orders acknowledged within their limit and replied by the deadline"),
        }[self.response]
        due = (
            _("orders due for a reply")
            if self.response == RESPONSE_ACK_AND_REPLY_ON_TIME
            else _("orders due for acknowledgement")
        )
        base = (
            _("%(due)s, less those returned upstream") % {"due": due}
            if self.response_excludes_returned
            else _("%(due)s, and those returned upstream") % {"due": due}
        )
        resolved = {
            RESOLVED_SOLVED: _("evaluated orders the petitioner called solved"),
            RESOLVED_SOLVED_AND_SATISFIED: _("evaluated orders the petitioner called solved and rated satisfied"),
        }[self.resolved]
        evaluated = _("evaluated orders (with a call-back result)")
        return [
            (
                _("Period"),
                _("Orders count in the period in which they reached the town; every figure describes those orders."),
            ),
            (_("Overdue"), overdue_definition()),
            (
                _("Acknowledged on time rate"),
                _(
                    "orders acknowledged within their limit ÷ orders due for acknowledgement. Due for "
                    "acknowledgement: the orders acknowledged, and those not acknowledged that no longer wait "
                    "within their limit (past it, or closed without acknowledgement); an order never acknowledged "
                    "counts as not acknowledged on time. Orders returned upstream without acknowledgement, and "
                    "orders still within their acknowledge limit, are not counted."
                ),
            ),
            (
                _("Replied on time rate"),
                _(
                    "orders replied by their reply deadline ÷ orders due for a reply. Replied: orders whose "
                    "current reply stands (a reopened order being answered again is not replied yet). Due for a "
                    "reply: the orders replied, and those not replied whose reply deadline has passed or that "
                    "were closed without a reply; orders returned upstream, and orders still within their reply "
                    "deadline, are not counted."
                ),
            ),
            (_("Response rate"), f"{response} ÷ {base}"),
            (_("Resolution rate"), f"{resolved} ÷ {evaluated}"),
            (
                _("Satisfaction rate"),
                _("evaluated orders rated %(ratings)s ÷ evaluated orders") % {"ratings": satisfied},
            ),
            (_("Replied late"), _("orders whose current reply was sent after their reply deadline")),
            (_("Drafts on time"), _("draft steps that ended within their deadline ÷ draft steps that ended")),
            (_("Extended"), _("orders granted at least one extension")),
            (_("Evaluated"), _("orders with a call-back result; after a repeated call-back the latest one counts")),
        ]


def overdue_definition() -> str:
    """What "overdue" means, everywhere (:func:`gridgov.hotline.deadlines.overdue_q`)."""
    return _(
        "orders still open (to acknowledge, acknowledged, instructed, reply drafted) whose current step's deadline "
        "or whose reply deadline has passed, at the moment of computation. The workbench's red light and "
        "“Overdue” queue, the order page, these statistics and the exports all count by this one rule."
    )


# --- periods ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A span of whole local days, ``start`` to ``end`` inclusive."""

    kind: str
    start: dt.date
    end: dt.date

    @property
    def start_at(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.start, dt.time.min))

    @property
    def end_at(self) -> dt.datetime:
        """The first moment after the period (exclusive bound)."""
        return timezone.make_aware(dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min))

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def label(self) -> str:
        if self.kind == PERIOD_MONTH:
            return _("%(year)s-%(month)02d") % {"year": self.start.year, "month": self.start.month}
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    def shifted(self, step: int) -> Period:
        """The previous (``-1``) or next (``1``) period of the same kind and length."""
        if self.kind == PERIOD_MONTH:
            month = self.start.month - 1 + step
            return month_period(dt.date(self.start.year + month // 12, month % 12 + 1, 1))
        length = (self.end - self.start).days + 1
        delta = dt.timedelta(days=length * step)
        return Period(self.kind, self.start + delta, self.end + delta)


def week_period(day: dt.date) -> Period:
    """Monday to Sunday around ``day``."""
    start = day - dt.timedelta(days=day.weekday())
    return Period(PERIOD_WEEK, start, start + dt.timedelta(days=6))


def month_period(day: dt.date) -> Period:
    last = month_calendar.monthrange(day.year, day.month)[1]
    return Period(PERIOD_MONTH, day.replace(day=1), day.replace(day=last))


def custom_period(start: dt.date, end: dt.date) -> Period:
    if end < start:
        raise StatsError(_("The end date is before the start date."))
    if (end - start).days + 1 > MAX_CUSTOM_DAYS:
        raise StatsError(_("A custom period may span at most %(days)s days.") % {"days": MAX_CUSTOM_DAYS})
    return Period(PERIOD_CUSTOM, start, end)


def period_for(kind: str, *, day: dt.date, start: dt.date | None = None, end: dt.date | None = None) -> Period:
    """The period of ``kind`` containing ``day`` (custom: ``start`` to ``end``)."""
    if kind == PERIOD_WEEK:
        return week_period(day)
    if kind == PERIOD_MONTH:
        return month_period(day)
    if kind == PERIOD_CUSTOM:
        if start is None or end is None:
            raise StatsError(_("Give the first and the last day of the period."))
        return custom_period(start, end)
    raise StatsError(_("Unknown period."))


# --- figures ------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class Figures:
    """The counts of one group of orders (all, or one lead department) and the rates, each
    rate a count over another count of this object (the page shows both)."""

    received: int = 0
    acknowledged: int = 0
    ack_on_time: int = 0
    # Acknowledged, or no longer waiting for it within the limit (returned ones aside).
    ack_due: int = 0
    replied: int = 0
    reply_on_time: int = 0
    replied_late: int = 0
    # Replied, or past the reply deadline (or closed) without a reply (returned ones aside).
    reply_due: int = 0
    returned: int = 0
    extended: int = 0
    overdue: int = 0
    open: int = 0
    closed: int = 0
    reopened: int = 0
    with_case: int = 0
    responded: int = 0
    response_base: int = 0
    evaluated: int = 0
    resolved: int = 0
    satisfied: int = 0
    # Draft steps of the department (from the stages): ended, and ended in time.
    drafts: int = 0
    drafts_on_time: int = 0

    @property
    def ack_on_time_rate(self) -> float | None:
        return _rate(self.ack_on_time, self.ack_due)

    @property
    def reply_on_time_rate(self) -> float | None:
        return _rate(self.reply_on_time, self.reply_due)

    @property
    def draft_on_time_rate(self) -> float | None:
        return _rate(self.drafts_on_time, self.drafts)

    @property
    def response_rate(self) -> float | None:
        return _rate(self.responded, self.response_base)

    @property
    def resolution_rate(self) -> float | None:
        return _rate(self.resolved, self.evaluated)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.evaluated)

    def fractions(self) -> dict[str, tuple[int, int, float | None]]:
        """Every rate as (numerator, denominator, percent), by name."""
        return {
            "ack_on_time": (self.ack_on_time, self.ack_due, self.ack_on_time_rate),
            "reply_on_time": (self.reply_on_time, self.reply_due, self.reply_on_time_rate),
            "draft_on_time": (self.drafts_on_time, self.drafts, self.draft_on_time_rate),
            "response": (self.responded, self.response_base, self.response_rate),
            "resolution": (self.resolved, self.evaluated, self.resolution_rate),
            "satisfaction": (self.satisfied, self.evaluated, self.satisfaction_rate),
        }


def evaluated_q() -> Q:
    return Q(callback_at__isnull=False) | Q(solved__isnull=False) | ~Q(satisfaction="")


PREFIX: Final = "n_"


def figure_conditions(rules: RateRules, now: dt.datetime) -> dict[str, Q | None]:
    """The condition of each figure on HotlineOrder (``None``: every order)."""
    open_q = Q(status__in=sorted(OPEN_ORDER_STATUSES))
    returned_q = Q(status=OrderStatus.RETURNED_UPSTREAM)
    acknowledged_q = Q(acknowledged_at__isnull=False)
    replied_q = Q(reply_on_time__isnull=False)
    # Still waiting within the limit: not counted either way yet.
    waiting_ack_q = Q(status=OrderStatus.RECEIVED) & (Q(step_deadline__isnull=True) | Q(step_deadline__gte=now))
    waiting_reply_q = open_q & ~replied_q & (Q(reply_deadline__isnull=True) | Q(reply_deadline__gte=now))
    ack_due_q = acknowledged_q | (~returned_q & ~waiting_ack_q)
    reply_due_q = ~returned_q & ~waiting_reply_q
    if rules.response == RESPONSE_ACK_AND_REPLY_ON_TIME:
        due_q, responded_q = reply_due_q, Q(ack_on_time=True, reply_on_time=True)
    elif rules.response == RESPONSE_ACKNOWLEDGED:
        due_q, responded_q = ack_due_q, acknowledged_q
    else:
        due_q, responded_q = ack_due_q, Q(ack_on_time=True)
    base_q = (due_q & ~returned_q) if rules.response_excludes_returned else (due_q | returned_q)
    satisfied_q = Q(satisfaction__in=list(rules.satisfied))
    resolved_q = Q(solved=True) if rules.resolved == RESOLVED_SOLVED else Q(solved=True) & satisfied_q
    return {
        "received": None,
        "acknowledged": acknowledged_q,
        "ack_on_time": Q(ack_on_time=True),
        "ack_due": ack_due_q,
        "replied": replied_q,
        "reply_on_time": Q(reply_on_time=True),
        "replied_late": Q(reply_on_time=False),
        "reply_due": reply_due_q,
        "returned": returned_q,
        "extended": Q(extension_count__gt=0),
        # The one definition of overdue, as the workbench's queue and lights count it.
        "overdue": overdue_q(now),
        "open": open_q,
        "closed": Q(status=OrderStatus.CLOSED),
        "reopened": Q(reopen_count__gt=0),
        "with_case": Q(case__isnull=False),
        "responded": base_q & responded_q,
        "response_base": base_q,
        "evaluated": evaluated_q(),
        "resolved": evaluated_q() & resolved_q,
        "satisfied": evaluated_q() & satisfied_q,
    }


def figure_aggregates(rules: RateRules, now: dt.datetime) -> dict[str, Count]:
    """One ``COUNT(id) FILTER (WHERE ...)`` per figure, for ``aggregate`` or ``annotate``."""
    # The aliases carry a prefix: several figures share their name with a column of the order.
    return {
        f"{PREFIX}{name}": Count("id", filter=condition) if condition is not None else Count("id")
        for name, condition in figure_conditions(rules, now).items()
    }


def _figures(row: Mapping[str, Any], drafts: tuple[int, int]) -> Figures:
    values = {key[len(PREFIX) :]: value for key, value in row.items() if key.startswith(PREFIX)}
    return Figures(**values, drafts=drafts[0], drafts_on_time=drafts[1])


@dataclass(frozen=True)
class DepartmentRow:
    department_id: int | None
    name: str
    figures: Figures


@dataclass(frozen=True)
class DayPoint:
    """Orders received and replied on a day (None for a day still to come: a gap in the chart
    and an empty cell in the workbook, not a count of nought)."""

    day: dt.date
    received: int | None
    replied: int | None


@dataclass
class Statistics:
    period: Period
    rules: RateRules
    computed_at: dt.datetime
    total: Figures
    departments: list[DepartmentRow] = field(default_factory=list)
    daily: list[DayPoint] = field(default_factory=list)
    # Call-back ratings of the evaluated orders: [(code, count)] in the order of Satisfaction.
    ratings: list[tuple[str, int]] = field(default_factory=list)
    by_type: list[tuple[str, int]] = field(default_factory=list)


def in_period(query: QuerySet[HotlineOrder], period: Period) -> QuerySet[HotlineOrder]:
    return query.filter(arrived_at__gte=period.start_at, arrived_at__lt=period.end_at)


def order_statistics(
    query: QuerySet[HotlineOrder],
    period: Period,
    *,
    rules: RateRules | None = None,
    now: dt.datetime | None = None,
    department_names: Mapping[int, str] | None = None,
) -> Statistics:
    """The figures of the orders in ``query`` (already scoped to the viewer) for ``period``.

    A fixed number of queries whatever the number of orders: the totals, the department rows,
    the draft stages per department, the department names, the received and replied days,
    the ratings, the types.
    ``department_names`` names the rows (default: the departments' own names).
    """
    rules = rules or RateRules.from_settings()
    now = now or timezone.now()
    cohort = in_period(query, period).order_by()
    aggregates = figure_aggregates(rules, now)
    drafts = _drafts_by_department(cohort)
    total_drafts = (sum(n for n, _ in drafts.values()), sum(n for _, n in drafts.values()))
    total = _figures(cohort.aggregate(**aggregates), total_drafts)
    rows = list(cohort.values("lead_department_id").annotate(**aggregates).order_by())
    names = (
        dict(department_names)
        if department_names is not None
        else _department_names([row["lead_department_id"] for row in rows] + [pk for pk in drafts if pk is not None])
    )
    departments: list[DepartmentRow] = []
    seen: set[int | None] = set()
    for row in rows:
        pk = row["lead_department_id"]
        seen.add(pk)
        figures = _figures(row, drafts.get(pk, (0, 0)))
        departments.append(DepartmentRow(pk, names.get(pk, "") if pk else "", figures))
    departments.sort(key=lambda row: (row.department_id is None, -row.figures.received, row.name))
    return Statistics(
        period=period,
        rules=rules,
        computed_at=now,
        total=total,
        departments=departments,
        daily=_daily(query, period, timezone.localtime(now).date()),
        ratings=_ratings(cohort),
        by_type=_by_type(cohort),
    )


def _department_names(ids: list[int | None]) -> dict[int, str]:
    return department_names_by_id(ids)


def _drafts_by_department(cohort: QuerySet[HotlineOrder]) -> dict[int | None, tuple[int, int]]:
    """Ended draft steps and those ended in time, per department (the stage's department, else
    the order's lead department)."""
    rows = (
        OrderStage.objects.filter(order__in=cohort.values("id"), step=OrderStep.DRAFT, ended_at__isnull=False)
        .annotate(dept=Coalesce(F("department_id"), F("order__lead_department_id")))
        .values("dept")
        .annotate(ended=Count("id"), on_time=Count("id", filter=Q(on_time=True)))
        .order_by()
    )
    return {row["dept"]: (row["ended"], row["on_time"]) for row in rows}


def _daily(query: QuerySet[HotlineOrder], period: Period, today: dt.date) -> list[DayPoint]:
    zone = timezone.get_current_timezone()
    received = dict(
        in_period(query, period)
        .annotate(day=TruncDate("arrived_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("day", "n")
    )
    replied = dict(
        query.filter(replied_at__gte=period.start_at, replied_at__lt=period.end_at)
        .annotate(day=TruncDate("replied_at", tzinfo=zone))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("day", "n")
    )
    return [
        DayPoint(day, received.get(day, 0), replied.get(day, 0)) if day <= today else DayPoint(day, None, None)
        for day in period.days
    ]


def _ratings(cohort: QuerySet[HotlineOrder]) -> list[tuple[str, int]]:
    counts = dict(
        cohort.exclude(satisfaction="")
        .values("satisfaction")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("satisfaction", "n")
    )
    return [(code, counts.get(code, 0)) for code in Satisfaction.values]


def _by_type(cohort: QuerySet[HotlineOrder]) -> list[tuple[str, int]]:
    counts = dict(cohort.values("order_type").annotate(n=Count("id")).order_by().values_list("order_type", "n"))
    return [(code, counts.get(code, 0)) for code in OrderType.values if counts.get(code)]


def area_orders(path: str) -> QuerySet[HotlineOrder]:
    """Every order of the area with this path and everything under it, unscoped: for the
    bulletin of an area, whose reader the caller has already checked."""
    return HotlineOrder.objects.filter(area_path__startswith=path)

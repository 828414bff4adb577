"""Writes to the working calendar. Each service writes an audit row and invalidates the
calendar caches (in this process at once, in the others on commit).

Loading a year's official schedule also recomputes the stored deadlines that fall in it. This
app sits below the timed workflows (cases, hotline) and does not import them: each registers a
hook in :data:`YEAR_LOADED_HOOKS` (in its ``AppConfig.ready``), which the load calls inside its
transaction once the new dates are in place.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core.actors import Actor
from gridgov.core.audit import record

from . import calendar
from .models import CalendarDay, CalendarYear, DaySource, WorkingPeriod

if TYPE_CHECKING:
    pass

NAME_MAX = CalendarDay._meta.get_field("name").max_length or 50


class YearLoadedHook(Protocol):
    """Called inside the loading transaction, after the year's official dates are written and
    the calendar reads them. Returns counts for the load's audit row (e.g. ``{"cases_moved": 3}``)."""

    def __call__(self, *, year: int, actor: Actor) -> Mapping[str, int]: ...


# The hooks of the timed workflows, in registration order (each app's ``ready`` adds its own once).
YEAR_LOADED_HOOKS: list[YearLoadedHook] = []


def register_year_loaded_hook(hook: YearLoadedHook) -> None:
    """Add ``hook`` to :data:`YEAR_LOADED_HOOKS` unless it is already there."""
    if hook not in YEAR_LOADED_HOOKS:
        YEAR_LOADED_HOOKS.append(hook)


def _run_year_loaded_hooks(year: int, actor: Actor) -> dict[str, int]:
    counts: dict[str, int] = {}
    for hook in list(YEAR_LOADED_HOOKS):
        counts.update(hook(year=year, actor=actor))
    return counts


@transaction.atomic
def day_override_set(*, actor: Actor, date: dt.date, is_workday: bool, name: str = "") -> CalendarDay:
    """Make ``date`` a working day or a holiday, whatever the package or the statutory rules say."""
    name = name.strip()[:NAME_MAX]
    day, created = CalendarDay.objects.update_or_create(
        date=date, defaults={"is_workday": is_workday, "name": name, "source": DaySource.ADMIN}
    )
    record(
        action="calendar.override",
        actor=actor,
        obj=day,
        data={"date": date.isoformat(), "is_workday": is_workday, "name": name, "created": created},
    )
    calendar.mark_changed()
    return day


@transaction.atomic
def day_override_clear(*, actor: Actor, date: dt.date) -> bool:
    """Remove the row of ``date`` (an override or an official date); ``False`` if there was none."""
    day = CalendarDay.objects.filter(date=date).first()
    if day is None:
        return False
    data = {"date": date.isoformat(), "is_workday": day.is_workday, "name": day.name, "source": day.source}
    record(action="calendar.override_clear", actor=actor, obj=day, data=data)
    day.delete()
    calendar.mark_changed()
    return True


def _check_year_dates(
    year: int, holidays: Iterable[tuple[dt.date, str]], workdays: Iterable[tuple[dt.date, str]]
) -> dict[dt.date, tuple[bool, str]]:
    errors: list[str] = []
    days: dict[dt.date, tuple[bool, str]] = {}
    for is_workday, items in ((False, holidays), (True, workdays)):
        for d, name in items:
            if d.year != year:
                errors.append(_("%(date)s is not in %(year)s.") % {"date": d.isoformat(), "year": year})
                continue
            previous = days.get(d)
            if previous is not None and previous[0] != is_workday:
                errors.append(_("%(date)s is listed both as a holiday and as a working day.") % {"date": d})
                continue
            days[d] = (is_workday, (name or "").strip()[:NAME_MAX])
    if errors:
        raise ValidationError(errors)
    return days


@transaction.atomic
def official_year_load(
    *,
    actor: Actor,
    year: int,
    holidays: Sequence[tuple[dt.date, str]],
    workdays: Sequence[tuple[dt.date, str]],
    note: str = "",
) -> CalendarYear:
    """Load the State Council's schedule of ``year``: its holidays and swapped working days.

    Replaces the year's earlier official rows. An administrator's override on a date that the
    schedule lists is replaced by the official date; other overrides stay. Days not listed
    follow the weekday rule (Monday–Friday work). Then the :data:`YEAR_LOADED_HOOKS` recompute
    the open deadlines that fall in the year; the one audit row carries their counts.
    """
    if not 1900 <= year <= 2999:
        raise ValidationError(_("The year is out of range."))
    days = _check_year_dates(year, holidays, workdays)
    if not days:
        raise ValidationError(_("The schedule lists no dates."))
    CalendarDay.objects.filter(date__year=year, source=DaySource.OFFICIAL).delete()
    replaced = sorted(
        d.isoformat()
        for d in CalendarDay.objects.filter(date__in=list(days), source=DaySource.ADMIN).values_list("date", flat=True)
    )
    CalendarDay.objects.filter(date__in=list(days)).delete()
    CalendarDay.objects.bulk_create(
        CalendarDay(date=d, is_workday=is_workday, name=name, source=DaySource.OFFICIAL)
        for d, (is_workday, name) in sorted(days.items())
    )
    loaded_by = actor if actor is not None and actor.is_authenticated else None
    calendar_year, created = CalendarYear.objects.update_or_create(
        year=year, defaults={"loaded_by": loaded_by, "note": note.strip()[:200]}
    )
    calendar.mark_changed()
    recomputed = _run_year_loaded_hooks(year, actor)
    record(
        action="calendar.year_load",
        actor=actor,
        obj=calendar_year,
        data={
            "year": year,
            "holidays": sum(1 for w, _n in days.values() if not w),
            "workdays": sum(1 for w, _n in days.values() if w),
            "replaced_overrides": replaced,
            "created": created,
            "recomputed": recomputed,
        },
    )
    return calendar_year


@transaction.atomic
def official_year_unload(*, actor: Actor, year: int) -> bool:
    """Forget a loaded year: its official dates go, the package or the provisional rules apply again."""
    calendar_year = CalendarYear.objects.filter(year=year).first()
    if calendar_year is None:
        return False
    removed, _detail = CalendarDay.objects.filter(date__year=year, source=DaySource.OFFICIAL).delete()
    record(action="calendar.year_unload", actor=actor, obj=calendar_year, data={"year": year, "dates": removed})
    calendar_year.delete()
    calendar.mark_changed()
    return True


def validate_periods(periods: Sequence[tuple[dt.time, dt.time]]) -> list[tuple[dt.time, dt.time]]:
    """The periods in order; raises ``ValidationError`` if one is empty or two overlap."""
    if not periods:
        raise ValidationError(_("At least one working period is needed."))
    ordered = sorted(periods)
    errors: list[str] = []
    for start, end in ordered:
        if end <= start:
            errors.append(_("%(start)s–%(end)s ends before it starts.") % {"start": start, "end": end})
    for (s0, e0), (s1, e1) in itertools.pairwise(ordered):
        if s1 < e0:
            errors.append(
                _("%(a)s and %(b)s overlap.") % {"a": f"{s0:%H:%M}–{e0:%H:%M}", "b": f"{s1:%H:%M}–{e1:%H:%M}"}
            )
    if errors:
        raise ValidationError(errors)
    return ordered


@transaction.atomic
def working_periods_set(*, actor: Actor, periods: Sequence[tuple[dt.time, dt.time]]) -> list[WorkingPeriod]:
    """Replace the office hours of every working day (kept rows are updated in place)."""
    ordered = validate_periods(periods)
    existing = list(WorkingPeriod.objects.select_for_update().order_by("start"))
    before = [f"{p.start:%H:%M:%S}-{p.end:%H:%M:%S}" for p in existing]
    keep = {(p.start, p.end): p for p in existing}
    result: list[WorkingPeriod] = []
    for start, end in ordered:
        row = keep.pop((start, end), None)
        result.append(row or WorkingPeriod(start=start, end=end))
    WorkingPeriod.objects.filter(pk__in=[p.pk for p in keep.values()]).delete()
    for row in result:
        if row.pk is None:
            row.save()
    record(
        action="calendar.working_periods",
        actor=actor,
        object_type="workcalendar.workingperiod",
        data={"before": before, "after": [f"{s:%H:%M:%S}-{e:%H:%M:%S}" for s, e in ordered]},
    )
    calendar.mark_changed()
    return result

"""Recompute the deadlines of open case stages when a year's official holiday schedule is loaded.

Registered in :data:`gridgov.workcalendar.services.YEAR_LOADED_HOOKS` by the app's ``ready``.
A stage's deadline depends on the calendar only through its limit in working time; while a
year is provisional (statutory holidays, no swapped working days) the deadlines that reach into
it are provisional too. Once the notice is loaded, each open stage whose start or deadline lies
in or after the year is computed again as the services would have computed it had the
official calendar been known from the start:

- from the stage's start, its limit amount and unit (stored on the ``CaseStage`` row);
- then its history replayed in order: each approved extension adds its working days to the
  deadline (the extension is kept as a number of working days, not as a date), each
  park → resume shifts the deadline and the warn point by the working time parked;
- a stage whose row says it was extended or parked but whose history does not show it is
  left as it is (it was not set by the services; nothing can be replayed).

A stage whose deadline moves gets its warn point, the case's mirrored fields and the sweep's
flags updated like the services do, and the case one ``deadline_recomputed`` timeline line
(``{"stage", "from", "to"}``). A parked case keeps no light: only its stage row changes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from django.db.models import Q
from django.utils import timezone

from gridgov.core.actors import signed_in
from gridgov.workcalendar import calendar
from gridgov.workcalendar.clock import next_alert, year_start

from . import deadlines
from .models import Case, CaseEvent, CaseStage, Status
from .transitions import Action

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

DEADLINE_RECOMPUTED: Final = "deadline_recomputed"
_REPLAYED: Final = (Action.APPROVE_EXTENSION, Action.PARK, Action.RESUME)


def replay(stage: CaseStage, events: Sequence[CaseEvent]) -> tuple[dt.datetime, dt.datetime] | None:
    """The deadline and warn point of ``stage`` on today's calendar, from its limit and the
    extensions and pauses in ``events`` (its case's events, in order); ``None`` when it cannot
    be recomputed (no limit, or an extension or pause the history does not show)."""
    if stage.limit_amount is None or not stage.limit_unit:
        return None
    unit = stage.limit_unit
    start = stage.started_at
    deadline = calendar.deadline(start, stage.limit_amount, unit)
    warn_at = deadlines.warn_point(start, deadline, unit)
    extended = paused = False
    parked_at: dt.datetime | None = None
    for event in events:
        if event.at < start:
            continue
        if event.action == Action.APPROVE_EXTENSION:
            deadline = deadlines.extend(deadline, int((event.data or {}).get("days") or 1))
            warn_at = deadlines.warn_point(start, deadline, unit)
            extended = True
        elif event.action == Action.PARK:
            parked_at = event.at
        elif event.action == Action.RESUME and parked_at is not None:
            deadline = deadlines.shift(deadline, unit, parked_at, event.at)
            warn_at = deadlines.shift(warn_at, unit, parked_at, event.at)
            parked_at = None
            paused = True
    if (stage.extended and not extended) or (stage.paused_minutes and not paused):
        return None
    return deadline, warn_at


def _iso(moment: dt.datetime) -> str:
    return timezone.localtime(moment).isoformat()


def year_loaded(*, year: int, actor: User | AnonymousUser | None) -> dict[str, int]:
    """The hook: recompute the open stages that reach into ``year``; returns the counts."""
    now = timezone.now()
    first = year_start(year)
    reaching = Q(deadline__gte=first) | Q(started_at__gte=first)
    case_ids = sorted(
        set(
            CaseStage.objects.filter(reaching, ended_at__isnull=True, deadline__isnull=False).values_list(
                "case_id", flat=True
            )
        )
    )
    if not case_ids:
        return {"cases_checked": 0, "cases_moved": 0}
    # Lock in id order (as every writer locks one case at a time, no deadlock).
    cases = list(Case.objects.select_for_update(of=("self",)).filter(pk__in=case_ids).order_by("pk"))
    stages = {
        s.case_id: s for s in CaseStage.objects.select_for_update().filter(case_id__in=case_ids, ended_at__isnull=True)
    }
    history: dict[int, list[CaseEvent]] = defaultdict(list)
    for event in CaseEvent.objects.filter(case_id__in=case_ids, action__in=_REPLAYED).order_by("case_id", "at", "id"):
        history[event.case_id].append(event)
    user = signed_in(actor)
    moved = 0
    for case in cases:
        stage = stages.get(case.pk)
        if stage is None or stage.deadline is None:
            continue
        result = replay(stage, history[case.pk])
        if result is None:
            continue
        deadline, warn_at = result
        if (deadline, warn_at) == (stage.deadline, stage.warn_at):
            continue
        before = stage.deadline
        stage.deadline, stage.warn_at = deadline, warn_at
        # Reminders go out again for times still ahead; passed ones are the sweep's to send.
        stage.overdue_sent = stage.overdue_sent and now > deadline
        stage.warning_sent = stage.warning_sent and now >= warn_at
        stage.save(update_fields=["deadline", "warn_at", "warning_sent", "overdue_sent"])
        if case.status != Status.PARKED:
            case.stage_deadline, case.stage_warn_at = stage.deadline, stage.warn_at
            case.next_alert_at = next_alert(stage)
        case.version += 1
        case.save(update_fields=["stage_deadline", "stage_warn_at", "next_alert_at", "version", "updated_at"])
        if deadline != before:
            moved += 1
            CaseEvent.objects.create(
                case=case,
                action=DEADLINE_RECOMPUTED,
                actor=user,
                at=now,
                from_status=case.status,
                to_status=case.status,
                data={"stage": stage.stage, "from": _iso(before), "to": _iso(deadline)},
            )
    return {"cases_checked": len(cases), "cases_moved": moved}

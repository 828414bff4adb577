"""The paths the demo's cases take, and when the steps of an open case happened.

:data:`SCENARIOS` lists the paths of the case loop the history plays (closed ones and open
ones, by weight). :class:`OpenPlanner` plans an open case back from the moment of loading, so
that its current stage shows the light chosen for it (:mod:`gridgov.demo.timing`).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Final

from gridgov.cases.deadlines import warn_point
from gridgov.cases.models import STATUS_STAGE, Status
from gridgov.cases.transitions import PARKED_FROM, SAME, TABLE, Action
from gridgov.categories.models import Category
from gridgov.categories.selectors import time_limit_amount
from gridgov.workcalendar import calendar
from gridgov.workcalendar.units import Light, TimeUnit

from . import timing

# --- Paths --------------------------------------------------------------------------
#
# A scenario is a list of steps. ``finish`` closes the case the way its category asks
# (verification by the grid worker, or closing by the center); ``late`` makes the next stage
# step come after its deadline. Scenarios marked open end in an open status.


@dataclass(frozen=True)
class Scenario:
    name: str
    weight: float
    steps: tuple[str, ...]
    open: bool = False
    self_handle: bool = False
    needs: str = ""  # "no_verification": a category closed by the center


HANDLE: Final = ("register", "dispatch", "acknowledge", "report_back")
SCENARIOS: Final[tuple[Scenario, ...]] = (
    # Closed.
    Scenario("closed", 30, (*HANDLE, "finish")),
    Scenario("closed_late", 8, ("register", "dispatch", "acknowledge", "late", "report_back", "finish")),
    Scenario("closed_by_center", 3, (*HANDLE, "finish"), needs="no_verification"),
    Scenario("self_handled", 10, (), self_handle=True),
    Scenario("village", 6, ("accept", "report_back", "finish")),
    Scenario("escalated", 4, ("escalate", *HANDLE, "finish")),
    Scenario("voided", 4, ("void",)),
    Scenario("merged", 3, ("merge",)),
    Scenario(
        "returned", 5, ("register", "dispatch", "return", "dispatch_other", "acknowledge", "report_back", "finish")
    ),
    Scenario("rework", 5, (*HANDLE, "verify_fail", "report_back", "verify_pass")),
    Scenario(
        "extension_approved",
        4,
        ("register", "dispatch", "acknowledge", "request_extension", "approve_extension", "report_back", "finish"),
    ),
    Scenario(
        "extension_rejected",
        2,
        ("register", "dispatch", "acknowledge", "request_extension", "reject_extension", "report_back", "finish"),
    ),
    Scenario("parked_resumed", 3, ("register", "dispatch", "acknowledge", "park", "resume", "report_back", "finish")),
    Scenario("reminded", 4, ("register", "dispatch", "acknowledge", "remind", "report_back", "finish")),
    Scenario(
        "supervised",
        3,
        ("register", "dispatch", "acknowledge", "supervise", "reply_supervision", "report_back", "finish"),
    ),
    Scenario("reopened", 3, (*HANDLE, "finish", "reopen", "dispatch", "acknowledge", "report_back", "finish")),
    # Still open. A center that keeps up has few cases waiting in the short stages (register,
    # dispatch, acknowledge: 30-60 working minutes) and most open work with the departments.
    Scenario("open_reported", 1, (), open=True),
    Scenario("open_escalated", 1, ("escalate",), open=True),
    Scenario("open_registered", 1, ("register",), open=True),
    Scenario("open_dispatched", 1, ("register", "dispatch"), open=True),
    Scenario("open_in_progress", 12, ("register", "dispatch", "acknowledge"), open=True),
    Scenario("open_village", 3, ("accept",), open=True),
    Scenario("open_extension", 3, ("register", "dispatch", "acknowledge", "request_extension"), open=True),
    Scenario("open_supervised", 3, ("register", "dispatch", "acknowledge", "supervise"), open=True),
    Scenario("open_reminded", 2, ("register", "dispatch", "acknowledge", "remind"), open=True),
    Scenario("open_to_verify", 3, (*HANDLE,), open=True),
    Scenario("open_returned", 1, ("register", "dispatch", "acknowledge", "return"), open=True),
    Scenario("open_parked", 3, ("register", "dispatch", "park"), open=True),
    Scenario("open_rework", 3, (*HANDLE, "verify_fail"), open=True),
)
SCENARIO_BY_NAME: Final = {scenario.name: scenario for scenario in SCENARIOS}

# Steps whose time follows the current stage's deadline (the case moves on to a new stage).
STAGE_STEPS: Final = frozenset(
    {"register", "dispatch", "dispatch_other", "acknowledge", "report_back", "finish", "verify_pass", "verify_fail"}
)

# Minutes in each unit of a time limit, to size a stage (working units in working minutes).
UNIT_MINUTES: Final[dict[str, float]] = {
    TimeUnit.WORKING_MINUTES: 1,
    TimeUnit.WORKING_HOURS: 60,
    TimeUnit.CALENDAR_MINUTES: 1,
    TimeUnit.CALENDAR_HOURS: 60,
    TimeUnit.CALENDAR_DAYS: 1440,
}


class OpenPlanner:
    """Plans open cases back from ``now`` (the generator's moment of loading)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._limits: dict[tuple[int, str, str], tuple[int, str] | None] = {}

    def times(
        self,
        scenario: Scenario,
        category: Category,
        urgency: str,
        light: str,
        *,
        now: dt.datetime,
        created_at: dt.datetime | None = None,
    ) -> tuple[dt.datetime, list[dt.datetime]]:
        """When an open case was reported and when each of its steps happened, so that its
        current stage shows ``light`` now. The last step that changes the status (the report
        itself when none does) starts that stage; the steps before it take a share of their
        stages' limits; side steps after it (a reminder, a supervision notice, an extension
        request) fall between it and now (before the deadline). With ``created_at`` (a case
        an order made) the report is then, and the stage starts no earlier."""
        rng = self.rng
        befores, pivot, final = walk(scenario)
        stage = STATUS_STAGE.get(final)
        deadline: dt.datetime | None = None
        if stage is None:  # parked: the clock stands still
            pivot_at = timing.working_before(now, calendar.working_minutes_per_day() * rng.uniform(1, 10))
        else:
            limit = self.limit(category, urgency, stage)
            unit = limit[1] if limit is not None else TimeUnit.WORKING_MINUTES

            def timing_at(start: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None]:
                # What gridgov.cases.deadlines.timing computes, on the limit read once.
                if limit is None:
                    return None, None
                deadline = calendar.deadline(start, *limit)
                return deadline, warn_point(start, deadline, unit)

            pivot_at = timing.stage_start(rng, now=now, light=light or Light.GREEN, unit=unit, timing=timing_at)
            deadline = timing_at(pivot_at)[0]
        durations = [
            self.stage_minutes(category, urgency, STATUS_STAGE.get(befores[index], "")) * rng.uniform(0.1, 0.75)
            for index in range(pivot + 1)
        ]
        if created_at is None:
            reported_at = timing.working_before(pivot_at, sum(durations)) if pivot >= 0 else pivot_at
        else:
            reported_at = created_at
            if pivot_at <= created_at:
                pivot_at = timing.between(rng, created_at, now)
            room = max(calendar.working_minutes_between(created_at, pivot_at), 1)
            if sum(durations) > room:
                durations = [minutes * room * 0.9 / sum(durations) for minutes in durations]
        times: list[dt.datetime] = []
        moment = reported_at
        for minutes in durations[:-1]:
            moment = calendar.add_working_minutes(moment, minutes)
            times.append(moment)
        if pivot >= 0:
            times.append(max(pivot_at, moment + dt.timedelta(minutes=1)))
        last = times[-1] if times else reported_at
        bound = min(now, deadline) if deadline is not None else now
        for _step in scenario.steps[pivot + 1 :]:
            last = max(timing.between(rng, last, bound, 0.1, 0.5), last + dt.timedelta(seconds=30))
            times.append(last)
        return reported_at, times

    def limit(self, category: Category, urgency: str, stage: str) -> tuple[int, str] | None:
        """The stage's time limit ``(amount, unit)`` (read once per category, urgency, stage)."""
        key = (category.pk, urgency, stage)
        if key not in self._limits:
            self._limits[key] = time_limit_amount(category.pk, urgency, stage) if stage else None
        return self._limits[key]

    def stage_minutes(self, category: Category, urgency: str, stage: str) -> float:
        """The length of a stage's limit in (working) minutes."""
        limit = self.limit(category, urgency, stage)
        if limit is None:
            return 240.0
        amount, unit = limit
        if unit == TimeUnit.WORKING_DAYS:
            return amount * calendar.working_minutes_per_day()
        return amount * UNIT_MINUTES.get(unit, 1)


def _action_of(step: str) -> str:
    return {"dispatch_other": "dispatch", "finish": "verify_pass"}.get(step, step)


def walk(scenario: Scenario) -> tuple[list[str], int, str]:
    """The status before each step of an open scenario, the index of the last step that
    changes the status (-1: none, the report started the current stage) and the final status."""
    status: str = Status.REPORTED
    befores: list[str] = []
    pivot = -1
    for index, step in enumerate(scenario.steps):
        befores.append(status)
        target = TABLE[Action(_action_of(step))].target
        if (target not in (SAME, PARKED_FROM) and target != status) or step == "verify_fail":
            status = target
            pivot = index
    return befores, pivot, status


def final_status(scenario: Scenario) -> str:
    return walk(scenario)[2]

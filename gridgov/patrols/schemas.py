"""Request and response shapes of the patrol API and of the phone's work summary."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema
from pydantic import field_validator

from gridgov.core.schemas import CodeName, FilterDate, LocalTime, PlausibleTime
from gridgov.people.schemas import PersonOut

from .selectors import PAGE_MAX, PAGE_SIZE

# --- requests ---------------------------------------------------------------------------


class PointIn(Schema):
    """One sampled position. Also accepted as a list ``[t, lat, lng, accuracy]``."""

    t: PlausibleTime
    lat: float
    lng: float
    accuracy: float | None = None


class PatrolIn(Schema):
    """A finished patrol. ``client_id`` may come here or as the ``Idempotency-Key`` header;
    ``distance_m`` from the phone is ignored (the server measures the track)."""

    client_id: str | None = None
    started_at: PlausibleTime
    ended_at: PlausibleTime
    consent: bool = False
    consent_at: PlausibleTime | None = None
    # Hard ceilings on what is validated at all (the service holds the track to
    # GRIDGOV_PATROL_MAX_POINTS and the findings to MAX_FINDINGS with its own message): each bad
    # item of a list is an error of its own, and 400,000 of them made an 80 MB answer.
    track: list[PointIn] = Field(default_factory=list, max_length=20_000)
    findings: list[str] = Field(default_factory=list, max_length=1_000)
    distance_m: float | None = None

    @field_validator("track", mode="before")
    @classmethod
    def _points_as_lists(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        converted = []
        for item in value:
            if isinstance(item, list | tuple) and len(item) in (3, 4):
                keys = ("t", "lat", "lng", "accuracy")
                converted.append(dict(zip(keys, item, strict=False)))
            else:
                converted.append(item)
        return converted


class PatrolListQuery(Schema):
    mine: bool = False
    grid: str = ""
    worker: str = ""
    date_from: FilterDate | None = None
    date_to: FilterDate | None = None
    cursor: str | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_MAX)


# --- responses --------------------------------------------------------------------------


class PointOut(Schema):
    t: LocalTime
    lat: float
    lng: float
    accuracy: float | None


class PatrolSummaryOut(Schema):
    id: int
    client_id: str
    worker: PersonOut
    grid: CodeName
    status: str
    started_at: LocalTime
    ended_at: LocalTime
    duration_s: int
    distance_m: int
    point_count: int
    finding_count: int
    url: str
    coverage: float | None = Field(
        description="Share (0-1) of the grid within 50 m of the route; null without a boundary"
    )
    coverage_measure: str = Field(description="`roads`: share of the grid's road length; `area`: of its area")
    checkpoints_passed: list[str]
    checkpoint_total: int


class PatrolPageOut(Schema):
    items: list[PatrolSummaryOut]
    next_cursor: str | None


class FindingCaseOut(Schema):
    id: int
    number: str
    status: str
    category: CodeName
    url: str


class FindingOut(Schema):
    client_id: str
    # Null while the report has not reached the server (or the caller may not see it).
    case: FindingCaseOut | None


class PatrolDetailOut(PatrolSummaryOut):
    consent: bool
    consent_at: LocalTime | None
    created_at: LocalTime
    track: list[PointOut]
    findings: list[FindingOut]


# --- the phone's home -------------------------------------------------------------------


class WorkCaseOut(Schema):
    id: int
    number: str
    category: CodeName
    status: str
    status_label: str
    deadline: LocalTime | None
    light: str
    url: str


class WorkListOut(Schema):
    count: int
    items: list[WorkCaseOut]


class WorkOut(Schema):
    # "field": a grid worker's (report, verify, patrol); "oversight": a town leader's or the
    # supervisor's (the overdue, warning and supervised cases of their scope), without field buttons.
    view: str = "field"
    to_verify: WorkListOut
    returned: WorkListOut
    rework: WorkListOut
    overdue: WorkListOut | None = None
    warning: WorkListOut | None = None
    supervision: WorkListOut | None = None
    unread_notifications: int
    reminders: int
    my_open_reports: int
    patrols: list[PatrolSummaryOut]
    generated_at: LocalTime


# --- standards and coverage -------------------------------------------------------------------


class CheckpointOut(Schema):
    name: str
    lat: float
    lng: float
    radius_m: float
    visits_per_week: int


class PatrolStandardOut(Schema):
    grid: CodeName
    min_minutes_per_day: int
    checkpoints: list[CheckpointOut]
    updated_at: LocalTime


class PatrolStandardListOut(Schema):
    items: list[PatrolStandardOut]


class PatrolDaysQuery(Schema):
    date_from: FilterDate | None = None
    date_to: FilterDate | None = None
    grid: str = Field("", max_length=30, description="An area code: a grid, or a village/town for all under it")


class WorkerDayOut(Schema):
    worker: PersonOut
    grid: CodeName | None
    day: Any
    patrolled: bool = Field(description="A patrol with a route (two points or more) started that day")
    workday: bool = Field(
        default=True, description="A working day; a rest day is listed only when someone patrolled on it"
    )
    missed: bool = Field(
        default=False, description="A working day that has ended without a patrol with a route (today never is)"
    )
    patrols: int
    minutes: int
    coverage: float | None
    coverage_measure: str = Field(description="`roads` or `area`")
    checkpoints_passed: list[str]
    checkpoint_total: int
    min_minutes: int
    meets_minimum: bool


class WorkerDayListOut(Schema):
    date_from: Any
    date_to: Any
    items: list[WorkerDayOut]


class GridMonthQuery(Schema):
    month: str = Field("", pattern=r"^(\d{4}-\d{2})?$", description="YYYY-MM; this month when empty")


class GridDayOut(Schema):
    day: Any
    workday: bool
    patrols: int
    minutes: int
    coverage: float | None


class GridMonthOut(Schema):
    grid: CodeName
    month: str
    coverage: float | None = Field(
        description="Patrol coverage of the month: share (0-1) of the grid's road length (measure `roads`) or "
        "area (`area`) within 50 m of any of its routes"
    )
    coverage_measure: str
    patrol_count: int
    minutes: int
    standard: PatrolStandardOut | None
    days: list[GridDayOut]

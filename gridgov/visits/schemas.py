"""Request and response shapes of the visits API (``/api/v1/visits``)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from gridgov.core.schemas import CodeName, LocalTime, PlausibleTime
from gridgov.people.schemas import PersonOut

from .selectors import PAGE_MAX, PAGE_SIZE


class VisitIn(Schema):
    """A visit recorded on the phone; ``client_id`` here or as the ``Idempotency-Key`` header."""

    client_id: str | None = None
    household_id: int | None = None
    unit_id: int | None = None
    visited_at: PlausibleTime
    finding: str = "nothing"
    notes: str = ""
    lat: float | None = None
    lng: float | None = None
    accuracy: float | None = None
    # The Idempotency-Key of the case the worker reported from the finding on the phone.
    case_client_id: str = ""


class VisitCaseIn(Schema):
    category: str
    description: str = ""


class VisitListQuery(Schema):
    grid: str = ""
    mine: bool = False
    cursor: str = ""
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_MAX)


class BasicListQuery(Schema):
    grid: str = ""
    cursor: str = ""
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_MAX)


class CoverageQuery(Schema):
    month: str = Field("", pattern=r"^(\d{4}-\d{2})?$", description="YYYY-MM; this month when empty")


class HouseholdOut(Schema):
    """A household; the head's name and phone and the address masked (reveal them with
    ``POST /visits/households/{id}/reveal``)."""

    id: int
    grid: CodeName
    address: str
    head_name: str
    head_phone: str
    member_count: int | None
    care_tags: str = Field(description="Masked: 关怀对象 ●● when the household has care tags (reveal to see them)")
    doubtful: bool
    doubts: str


class HouseholdPageOut(Schema):
    items: list[HouseholdOut]
    next_cursor: str | None


class HouseholdRevealOut(Schema):
    head_name: str
    head_phone: str
    address: str
    care_tags: list[str]


class UnitOut(Schema):
    id: int
    grid: CodeName
    kind: str
    key_place: bool
    name: str
    address: str
    contact_name: str
    contact_phone: str
    hazard_tags: list[str]
    lat: float | None
    lng: float | None
    doubtful: bool


class UnitPageOut(Schema):
    items: list[UnitOut]
    next_cursor: str | None


class VisitTargetOut(Schema):
    kind: str  # household, unit
    id: int
    label: str


class VisitPhotoOut(Schema):
    id: int
    url: str
    thumbnail_url: str
    width: int
    height: int


class VisitOut(Schema):
    id: int
    client_id: str
    worker: PersonOut
    grid: CodeName
    target: VisitTargetOut
    visited_at: LocalTime
    finding: str
    notes: str
    lat: float | None
    lng: float | None
    accuracy: float | None
    case_id: int | None
    photos: list[VisitPhotoOut]
    created_at: LocalTime


class VisitPageOut(Schema):
    items: list[VisitOut]
    next_cursor: str | None


class PlaceOut(Schema):
    """A household or a unit of the worker's own grids, planned or not (the phone's "all
    places"): a household's address in full (the worker finds the house offline), the head's
    name or a unit's contact masked; ``tag_labels``: its care or hazard tags."""

    kind: str
    household_id: int | None
    unit_id: int | None
    name: str
    unit_kind: str
    key_place: bool
    grid: CodeName
    address: str
    head_name: str
    tag_labels: list[str]
    last_visit: LocalTime | None


class DueOut(PlaceOut):
    """A place whose visit is due (``overdue_days`` 0) or overdue (key places included: ``kind``
    ``unit``, ``key_place``): the place as in :class:`PlaceOut`, with the tags its plan follows
    (``tags``/``tag_labels``: care tags; hazard tags and key-place kind) and the plan's dates."""

    care_tags: list[str]
    care_labels: list[str]
    tags: list[str]
    interval_days: int
    due_on: dt.date
    overdue_days: int


class DueListOut(Schema):
    today: dt.date
    count: int
    items: list[DueOut]


class PlaceListOut(Schema):
    count: int = Field(description="How many households and units the worker's grids hold in all")
    truncated: bool = Field(description="More than the list carries (at most 2,000): search on the web for the rest")
    items: list[PlaceOut]


class CoverageOut(Schema):
    grid: CodeName
    month: str
    households_due: int
    households_visited: int
    units_due: int
    units_visited: int
    rate: float | None

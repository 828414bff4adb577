"""Request and response shapes of the case API (``gridgov.cases.api``)."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Schema
from pydantic import field_validator

from gridgov.core.schemas import LIST_MAX, ActionOut, CodeName, FilterDate, LocalTime, PlausibleTime, split_values
from gridgov.people.schemas import PersonOut
from gridgov.workcalendar.schemas import provisional_field, provisional_resolver

from .selectors import PAGE_MAX, PAGE_SIZE

# --- requests ---------------------------------------------------------------------------


class PartyIn(Schema):
    kind: str = ""
    name: str = ""
    phone: str = ""


class CaseCreateIn(Schema):
    """A new case. ``grid`` is for the center only; ``source`` defaults to ``grid_report``
    for grid workers and ``center`` for the center."""

    category: str
    description: str
    lat: float | None = None
    lng: float | None = None
    address: str = ""
    urgency: str | None = None
    source: str | None = None
    grid: str | None = None
    party: PartyIn | None = None
    self_handle: bool = False
    comment: str = ""
    # When the reporter recorded it on the device (ISO 8601 with its offset); kept beside the
    # server's receive time, flagged if the device's clock looks wrong.
    occurred_at: PlausibleTime | None = None
    # Kinds of the multipart ``photos``, in the same order (also accepted as form fields).
    photo_kinds: list[str] = Field(default_factory=list, max_length=LIST_MAX)


class ActionIn(Schema):
    """The body of an action; each action reads the fields it needs."""

    comment: str = ""
    version: int | None = None
    departments: list[str] = Field(default_factory=list, max_length=LIST_MAX)
    result: str = ""
    into: str | None = None
    days: int | None = None
    # ``register`` only: the code of another grid of the case's town (the center corrects it).
    grid: str | None = None
    photo_kinds: list[str] = Field(default_factory=list, max_length=LIST_MAX)
    # ``callback`` only: the party's answer (satisfied, basically_satisfied, dissatisfied).
    satisfaction: str = ""


class CaseFilterQuery(Schema):
    """Filters of the list and the map. ``status`` may repeat or be a comma list."""

    status: list[str] = Field(default_factory=list, max_length=LIST_MAX)
    category: str = ""
    grid: str = ""
    department: str = ""
    source: str = ""
    date_from: FilterDate | None = None
    date_to: FilterDate | None = None
    q: str = ""
    light: str = ""
    queue: str = ""
    urgency: str = ""
    imported: str = Field("", description="`imported`: cases from a historical ledger; `imported_review`: with notes.")

    @field_validator("status", mode="before")
    @classmethod
    def _split_status(cls, value: Any) -> Any:
        return split_values(value)


class CaseListQuery(CaseFilterQuery):
    cursor: str | None = None
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_MAX)


class DuplicateQuery(Schema):
    category: str
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


# --- responses --------------------------------------------------------------------------


class CaseRef(Schema):
    id: int
    number: str


class DeadlineOut(Schema):
    """The current timed stage of a case (``stage`` empty and ``light`` ``none`` when none)."""

    stage: str
    deadline: LocalTime | None
    deadline_provisional: bool = provisional_field()
    warn_at: LocalTime | None
    light: str

    resolve_deadline_provisional = provisional_resolver("deadline")


class CaseCreatedOut(Schema):
    id: int
    number: str
    status: str
    grid: CodeName | None
    deadlines: DeadlineOut
    version: int
    url: str


class CaseSummaryOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    category: CodeName
    urgency: str
    source: str
    grid: CodeName | None
    lat: float | None
    lng: float | None
    address: str
    description: str
    reported_at: LocalTime
    lead_department: CodeName | None
    stage: str
    stage_deadline: LocalTime | None
    stage_deadline_provisional: bool = provisional_field()
    light: str
    url: str

    resolve_stage_deadline_provisional = provisional_resolver("stage_deadline")


class VerifyResultOut(Schema):
    text: str = Field(description="The department's result as reported back.")
    actor: PersonOut | None
    at: LocalTime


class VerifyItemOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    category: CodeName
    grid: CodeName | None
    description: str
    address: str
    lat: float | None
    lng: float | None
    deadline: LocalTime | None
    light: str
    version: int = Field(description="Send it back with verify_pass / verify_fail.")
    photo_required: bool = Field(description="The verification is refused without an on-site photo.")
    result: VerifyResultOut | None
    photos: list[AttachmentOut] = Field(description="The department's result photos (thumbnail_url is small).")


class VerifyPackOut(Schema):
    count: int = Field(description="Cases in the whole to-verify queue.")
    truncated: bool = Field(description="The queue is longer than the pack: the rest comes after these are done.")
    items: list[VerifyItemOut]
    generated_at: LocalTime


class CasePageOut(Schema):
    items: list[CaseSummaryOut]
    next_cursor: str | None


class PointGeometry(Schema):
    type: Literal["Point"] = "Point"
    coordinates: list[float]


class MapProperties(Schema):
    id: int
    number: str
    status: str
    category: str
    light: str
    # True when the case has no coordinates and stands at its grid's centre.
    approximate: bool = False
    url: str


class MapFeature(Schema):
    type: Literal["Feature"] = "Feature"
    id: int
    geometry: PointGeometry
    properties: MapProperties


class MapOut(Schema):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[MapFeature]
    truncated: bool


class DuplicateOut(Schema):
    id: int
    number: str
    distance_m: int
    status: str
    description: str
    reported_at: LocalTime


class AttachmentOut(Schema):
    id: int
    kind: str
    url: str
    thumbnail_url: str | None
    width: int
    height: int


class HistoryOut(Schema):
    action: str
    action_label: str
    actor: PersonOut | None
    at: LocalTime
    from_status: str
    to_status: str
    comment: str
    data: dict[str, Any]
    photos: list[AttachmentOut]


class StageOut(Schema):
    stage: str
    started_at: LocalTime
    warn_at: LocalTime | None
    deadline: LocalTime | None
    deadline_provisional: bool = provisional_field()
    ended_at: LocalTime | None
    on_time: bool | None
    extended: bool

    resolve_deadline_provisional = provisional_resolver("deadline")


class PartyOut(Schema):
    kind: str
    name: str
    phone: str
    masked: bool


class PendingExtensionOut(Schema):
    """An extension request waiting for the center (``models.PendingExtension``)."""

    days: int
    reason: str
    by: int | None
    stage: str


class CountersOut(Schema):
    rework: int
    returns: int
    extensions: int
    reminders: int
    supervision: int
    reopenings: int


class CaseDetailOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    town: CodeName
    grid: CodeName | None
    category: CodeName
    urgency: str
    source: str
    description: str
    address: str
    lat: float | None
    lng: float | None
    party: PartyOut
    can_reveal: bool
    reporter: PersonOut | None
    lead_department: CodeName | None
    cooperating_departments: list[CodeName]
    handled_by_village: bool
    self_handled: bool
    escalated: bool
    merged_into: CaseRef | None
    parked_from: str
    pending_extension: PendingExtensionOut | None
    supervision_pending: bool
    counters: CountersOut
    deadlines: DeadlineOut
    reported_at: LocalTime = Field(description="When the server received the report: the deadlines start here.")
    occurred_at: LocalTime | None = Field(None, description="When the reporter recorded it on the device.")
    occurred_at_doubtful: bool = Field(
        False, description="The device's time is ahead of the server's or more than 7 days old."
    )
    closed_at: LocalTime | None
    callback_at: LocalTime | None = Field(None, description="When the center last called the party back (回访).")
    satisfaction: str = Field("", description="The party's answer: satisfied, basically_satisfied, dissatisfied.")
    updated_at: LocalTime
    version: int
    url: str
    history: list[HistoryOut]
    stages: list[StageOut]
    attachments: list[AttachmentOut]
    actions: list[ActionOut]

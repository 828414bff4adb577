"""Request and response shapes of the hotline API (``gridgov.hotline.api``)."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema

from gridgov.core.schemas import LIST_MAX, ActionOut, CodeName, FilterDate, LocalTime, PlausibleTime
from gridgov.people.schemas import PersonOut
from gridgov.workcalendar.schemas import provisional_field, provisional_resolver

from .selectors import PAGE_MAX, PAGE_SIZE

# --- requests ---------------------------------------------------------------------------


class PetitionerIn(Schema):
    name: str = ""
    phone: str = ""
    address: str = ""


class AttachmentIn(Schema):
    name: str
    content_base64: str
    content_type: str = ""


class OrderIn(Schema):
    """One order pushed by upstream. ``upstream_number`` with ``source_system`` is the
    idempotency key: the same order again answers 200 with the existing order."""

    source_system: str
    upstream_number: str
    received_at: PlausibleTime
    order_type: str
    urgency_class: str = "general"
    content: str
    title: str = ""
    upstream_category: str = ""
    address: str = ""
    upstream_ack_deadline: PlausibleTime | None = None
    upstream_deadline: PlausibleTime | None = None
    petitioner: PetitionerIn | None = None
    anonymous: bool = False
    complex: bool = False
    # The handling town's area code; may be left out when the account serves one town.
    town_code: str = ""
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=LIST_MAX)


class ActionIn(Schema):
    """The body of an action; each action reads the fields it needs."""

    version: int | None = None
    comment: str = ""
    instruction: str = ""
    departments: list[str] = Field(default_factory=list, max_length=LIST_MAX)
    text: str = ""
    reason: str = ""
    basis: str = ""
    until: PlausibleTime | None = None
    case_id: int | None = None
    # ``create_case``: the grid by id or by area code, and optionally the case category code.
    grid_id: int | None = None
    grid: str = ""
    category: str = ""


class EventIn(Schema):
    """An event reported by upstream. ``event_id`` makes a resend harmless."""

    type: str
    event_id: str = ""
    satisfaction: str = ""
    solved: bool | None = None
    approved: bool | None = None
    until: PlausibleTime | None = None
    deadline: PlausibleTime | None = None
    comment: str = ""


class GrantIn(Schema):
    department: str
    reason: str


class OrderListQuery(Schema):
    status: list[str] = Field(default_factory=list, max_length=LIST_MAX)
    order_type: str = ""
    urgency_class: str = ""
    source_system: str = ""
    channel: str = ""
    department: str = ""
    town: str = ""
    date_from: FilterDate | None = None
    date_to: FilterDate | None = None
    q: str = ""
    light: str = ""
    queue: str = ""
    cursor: str = ""
    limit: int = Field(PAGE_SIZE, ge=1, le=PAGE_MAX)


# --- responses --------------------------------------------------------------------------


class PetitionerOut(Schema):
    """Masked unless answered by ``POST /orders/{id}/reveal``."""

    name: str
    phone: str
    address: str
    anonymous: bool
    masked: bool


class OrderDeadlineOut(Schema):
    step: str
    started_at: LocalTime | None
    warn_at: LocalTime | None
    deadline: LocalTime | None
    deadline_provisional: bool = provisional_field()
    # Red when the order is overdue: its step's deadline or its reply deadline has passed.
    light: str

    resolve_deadline_provisional = provisional_resolver("deadline")


class DeadlinesOut(Schema):
    current: OrderDeadlineOut
    acknowledge: LocalTime | None
    acknowledge_provisional: bool = provisional_field()
    reply: LocalTime | None
    reply_provisional: bool = provisional_field()
    return_until: LocalTime | None
    return_until_provisional: bool = provisional_field()

    resolve_acknowledge_provisional = provisional_resolver("acknowledge")
    resolve_reply_provisional = provisional_resolver("reply")
    resolve_return_until_provisional = provisional_resolver("return_until")


class ReviewReasonOut(Schema):
    """Why an imported order needs the center's check (``gridgov.hotline.review``)."""

    code: str
    field: str
    message: str


class OrderSummaryOut(Schema):
    id: int
    source_system: str
    upstream_number: str
    channel: str
    status: str
    status_label: str
    order_type: str
    urgency_class: str
    title: str
    town: CodeName
    lead_department: CodeName | None
    petitioner_name: str
    petitioner_phone: str
    received_at: LocalTime
    arrived_at: LocalTime
    step: str
    step_deadline: LocalTime | None
    step_deadline_provisional: bool = provisional_field()
    reply_deadline: LocalTime | None
    reply_deadline_provisional: bool = provisional_field()
    # Red when the order is overdue: its step's deadline or its reply deadline has passed.
    light: str
    # Imported with doubtful values, not checked by the center yet (待核实).
    needs_review: bool = False
    version: int

    resolve_step_deadline_provisional = provisional_resolver("step_deadline")
    resolve_reply_deadline_provisional = provisional_resolver("reply_deadline")


class OrderPageOut(Schema):
    items: list[OrderSummaryOut]
    next_cursor: str | None


class OrderHistoryOut(Schema):
    action: str
    action_label: str
    origin: str
    actor: PersonOut | None
    at: LocalTime
    from_status: str
    to_status: str
    comment: str
    data: dict[str, Any]


class OrderStageOut(Schema):
    step: str
    started_at: LocalTime
    warn_at: LocalTime | None
    deadline: LocalTime | None
    ended_at: LocalTime | None
    on_time: bool | None
    extended: bool
    department: CodeName | None


class LinkedCaseOut(Schema):
    id: int
    number: str
    status: str
    open: bool
    closed_at: LocalTime | None
    result: str


class OrderAttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size: int


class OrderCountersOut(Schema):
    rejected: int
    reopened: int
    reminders: int
    supervision: int
    extensions: int
    updates: int


class CallbackOut(Schema):
    satisfaction: str
    solved: bool | None
    at: LocalTime | None


class SameCallerOut(Schema):
    """Another order from the same petitioner phone (see ``selectors.same_caller``)."""

    id: int
    upstream_number: str
    status: str
    arrived_at: LocalTime


class OrderDetailOut(Schema):
    id: int
    source_system: str
    upstream_number: str
    channel: str
    status: str
    status_label: str
    order_type: str
    urgency_class: str
    complex: bool
    title: str
    content: str
    upstream_category: str
    address: str
    town: CodeName
    grid: CodeName | None
    petitioner: PetitionerOut
    can_reveal: bool
    # Other orders from the same phone, newest first (at most 10); empty unless can_reveal.
    same_caller: list[SameCallerOut]
    lead_department: CodeName | None
    cooperating_departments: list[CodeName]
    instruction: str
    draft_text: str
    reply_text: str
    return_reason: str
    return_basis: str
    pending_extension: dict[str, Any] | None
    case: LinkedCaseOut | None
    callback: CallbackOut | None
    counters: OrderCountersOut
    deadlines: DeadlinesOut
    light: str
    needs_review: bool = False
    review_reasons: list[ReviewReasonOut] = Field(default_factory=list)
    received_at: LocalTime
    arrived_at: LocalTime
    acknowledged_at: LocalTime | None
    replied_at: LocalTime | None
    closed_at: LocalTime | None
    returned_at: LocalTime | None
    ack_on_time: bool | None
    reply_on_time: bool | None
    version: int
    url: str
    attachments: list[OrderAttachmentOut]
    allowed_actions: list[ActionOut]
    history: list[OrderHistoryOut]
    stages: list[OrderStageOut]

"""One order as upstream describes it, however it arrived (API push, file import, manual entry).

:class:`OrderData` is what :func:`gridgov.hotline.services.order_receive` takes. :func:`validate`
checks one without writing anything (the import preview uses it for its row-level report);
:func:`normalise` returns the cleaned copy the services store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.crypto import digest
from gridgov.core.inputs import stripped

from .models import OrderType, SourceSystem, UrgencyClass
from .review import Reason, ReviewNote

NUMBER_MAX: Final = 64
TITLE_MAX: Final = 200
CONTENT_MAX: Final = 10000
CATEGORY_MAX: Final = 200
ADDRESS_MAX: Final = 300
NAME_MAX: Final = 100
PHONE_MAX: Final = 30
ATTACHMENTS_MAX: Final = 20
ATTACHMENT_BYTES_MAX: Final = 20 * 1024 * 1024
_PHONE_CHARS = re.compile(r"^\+?[0-9][0-9\- ]{2,28}$")


@dataclass(frozen=True)
class OrderData:
    """One order as upstream describes it (validated and normalised by the services)."""

    source_system: str
    upstream_number: str
    received_at: dt.datetime
    order_type: str
    urgency_class: str = UrgencyClass.GENERAL
    content: str = ""
    title: str = ""
    upstream_category: str = ""
    address: str = ""
    upstream_ack_deadline: dt.datetime | None = None
    upstream_deadline: dt.datetime | None = None
    petitioner_name: str = ""
    petitioner_phone: str = ""
    petitioner_address: str = ""
    anonymous: bool = False
    complex: bool = False
    town_code: str = ""  # area code of the handling town; "" = the actor's only town
    # Doubtful values the order is brought in with (an import's review notes): the order gets
    # the review flag. Not part of the order's copy (:data:`COPY_FIELDS`).
    review: tuple[ReviewNote, ...] = ()


@dataclass(frozen=True)
class AttachmentData:
    name: str
    content: bytes
    content_type: str = ""


# The fields of an order that a later copy from upstream may change (all but the key and town).
COPY_FIELDS: Final = (
    "received_at",
    "order_type",
    "urgency_class",
    "content",
    "title",
    "upstream_category",
    "address",
    "upstream_ack_deadline",
    "upstream_deadline",
    "petitioner_name",
    "petitioner_phone",
    "petitioner_address",
    "anonymous",
    "complex",
)
PETITIONER_FIELDS: Final = ("petitioner_name", "petitioner_phone", "petitioner_address")


def _text(value: Any) -> str:
    return stripped(str(value or ""))


def normalise(data: OrderData) -> OrderData:
    """Stripped texts, lower-case codes, digits-only phone separators removed; an anonymous
    order keeps no petitioner."""
    phone = re.sub(r"[\s\-]", "", _text(data.petitioner_phone))
    anonymous = bool(data.anonymous)
    return dataclasses.replace(
        data,
        source_system=_text(data.source_system).lower(),
        upstream_number=_text(data.upstream_number),
        order_type=_text(data.order_type).lower(),
        urgency_class=_text(data.urgency_class).lower() or UrgencyClass.GENERAL,
        content=_text(data.content),
        title=_text(data.title),
        upstream_category=_text(data.upstream_category),
        address=_text(data.address),
        petitioner_name="" if anonymous else _text(data.petitioner_name),
        petitioner_phone="" if anonymous else phone,
        petitioner_address="" if anonymous else _text(data.petitioner_address),
        anonymous=anonymous,
        complex=bool(data.complex),
        town_code=_text(data.town_code),
    )


# How far an upstream system's clock may run ahead of ours before its received time is doubtful.
CLOCK_SKEW: Final = dt.timedelta(minutes=10)


def with_doubts(data: OrderData, now: dt.datetime) -> OrderData:
    """The order with a review note for what is doubtful but must not cost the order (an order
    that exists upstream is always taken): a received time after it reached the town."""
    received = data.received_at
    if isinstance(received, dt.datetime) and timezone.is_aware(received) and received > now + CLOCK_SKEW:
        shown = timezone.localtime(received).strftime("%Y-%m-%d %H:%M")
        note = ReviewNote(Reason.RECEIVED_IN_FUTURE, "received_at", shown)
        return dataclasses.replace(data, review=(*data.review, note))
    return data


Problem = tuple[str, str]  # (field, message)


def _kind_problems(data: OrderData) -> Iterator[Problem]:
    """The order's identity and classification."""
    if data.source_system not in SourceSystem.values:
        yield "source_system", _("Unknown source system.")
    if not data.upstream_number:
        yield "upstream_number", _("This field is required.")
    elif len(data.upstream_number) > NUMBER_MAX:
        yield "upstream_number", _("Keep it under %(n)s characters.") % {"n": NUMBER_MAX}
    if not isinstance(data.received_at, dt.datetime):
        yield "received_at", _("Enter a date and time.")
    elif timezone.is_naive(data.received_at):
        yield "received_at", _("Give the time with its time zone.")
    if data.order_type not in OrderType.values:
        yield "order_type", _("Unknown order type.")
    if data.urgency_class not in UrgencyClass.values:
        yield "urgency_class", _("Unknown urgency class.")


def _text_problems(data: OrderData) -> Iterator[Problem]:
    """The content (required), the lengths of the texts, the phone's characters."""
    if not data.content:
        yield "content", _("This field is required.")
    for field, maximum in (
        ("content", CONTENT_MAX),
        ("title", TITLE_MAX),
        ("upstream_category", CATEGORY_MAX),
        ("address", ADDRESS_MAX),
        ("petitioner_name", NAME_MAX),
        ("petitioner_phone", PHONE_MAX),
        ("petitioner_address", ADDRESS_MAX),
    ):
        if len(getattr(data, field)) > maximum:
            yield field, _("Keep it under %(n)s characters.") % {"n": maximum}
    if data.petitioner_phone and not _PHONE_CHARS.match(data.petitioner_phone):
        yield "petitioner_phone", _("Enter a phone number (digits only).")


def _deadline_problems(data: OrderData) -> Iterator[Problem]:
    """Upstream's deadlines: aware, and after the order was received."""
    received = data.received_at
    received_known = isinstance(received, dt.datetime) and timezone.is_aware(received)
    for field in ("upstream_ack_deadline", "upstream_deadline"):
        value = getattr(data, field)
        if value is None:
            continue
        if not isinstance(value, dt.datetime) or timezone.is_naive(value):
            yield field, _("Give the time with its time zone.")
        elif received_known and value <= received:
            yield field, _("The deadline must come after the time the order was received.")


def _attachment_problems(attachments: Sequence[AttachmentData]) -> Iterator[Problem]:
    if len(attachments) > ATTACHMENTS_MAX:
        yield "attachments", _("At most %(n)s attachments.") % {"n": ATTACHMENTS_MAX}
    for item in attachments:
        if not _text(item.name):
            yield "attachments", _("Every attachment needs a name.")
        if len(item.content) > ATTACHMENT_BYTES_MAX:
            yield (
                "attachments",
                _("An attachment is larger than %(n)s MB.") % {"n": ATTACHMENT_BYTES_MAX // (1024 * 1024)},
            )


def validate(
    data: OrderData, attachments: tuple[AttachmentData, ...] | list[AttachmentData] = ()
) -> dict[str, list[str]]:
    """Field errors of one (normalised) order: ``{}`` when it can be received."""
    errors: dict[str, list[str]] = {}
    problems = itertools.chain(
        _kind_problems(data), _text_problems(data), _deadline_problems(data), _attachment_problems(attachments)
    )
    for field, message in problems:
        messages = errors.setdefault(field, [])
        if message not in messages:  # 200 nameless attachments said the same 200 times
            messages.append(message)
    return errors


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value


def snapshot(data: OrderData) -> dict[str, Any]:
    """The copy fields of an order as JSON-able values (to compare two copies)."""
    return {field: _jsonable(getattr(data, field)) for field in COPY_FIELDS}


def fingerprint(values: dict[str, Any]) -> str:
    """A keyed hash of a :func:`snapshot` (it covers the petitioner): equal for an identical
    resend."""
    canonical = json.dumps(values, ensure_ascii=False, sort_keys=True)
    return digest(canonical, "hotline-copy")

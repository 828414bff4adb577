"""Review flags (待核实): why an order brought in from a file (or pushed) needs the center's check.

An upstream export row with an order number, a content and a readable received time is an order
that exists upstream, so it is always imported; what is doubtful in it is imported **with a
flag** (``HotlineOrder.needs_review``) and the reasons (``HotlineOrder.review_reasons``, a list
of :class:`ReviewNote` as JSON). The preview, the import report, the order page and the
workbench's "to review" queue show them; the center clears the flag once it has checked the
order (action ``clear_review``).

A note stores codes and what the file said (a type label, a date as written), never the
petitioner's data; it is rendered in the reader's language by :func:`describe`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Reason(models.TextChoices):
    DEADLINE_BEFORE_RECEIVED = "deadline_before_received", gettext_lazy("Deadline before the received time")
    DEADLINE_UNREADABLE = "deadline_unreadable", gettext_lazy("Deadline not readable")
    TYPE_APPROXIMATE = "type_approximate", gettext_lazy("Type read approximately")
    TYPE_UNKNOWN = "type_unknown", gettext_lazy("Type unknown")
    URGENCY_APPROXIMATE = "urgency_approximate", gettext_lazy("Urgency read approximately")
    URGENCY_UNKNOWN = "urgency_unknown", gettext_lazy("Urgency unknown")
    PHONE_INVALID = "phone_invalid", gettext_lazy("Invalid phone number")
    PETITIONER_MISSING = "petitioner_missing", gettext_lazy("Petitioner missing")
    TEXT_TOO_LONG = "text_too_long", gettext_lazy("Text cut to its limit")
    FLAG_UNREADABLE = "flag_unreadable", gettext_lazy("Yes/no value not readable")
    RECEIVED_IN_FUTURE = "received_in_future", gettext_lazy("Received time in the future")


@dataclass(frozen=True)
class ReviewNote:
    """One doubtful value: the reason's code, the order field, what the file said (``value``)
    and what was imported instead (``taken``: a code, a number)."""

    code: str
    field: str = ""
    value: str = ""
    taken: str = ""

    def to_json(self) -> dict[str, str]:
        data = {"code": self.code, "field": self.field, "value": self.value, "taken": self.taken}
        return {key: value for key, value in data.items() if value or key == "code"}

    @classmethod
    def from_json(cls, data: Any) -> ReviewNote:
        if not isinstance(data, dict):
            return cls(code=str(data))
        return cls(
            code=str(data.get("code", "")),
            field=str(data.get("field", "")),
            value=str(data.get("value", "")),
            taken=str(data.get("taken", "")),
        )


def notes_of(value: Any) -> list[ReviewNote]:
    """The notes stored on an order or a report entry."""
    return [ReviewNote.from_json(item) for item in (value or [])]


def merged(existing: Iterable[ReviewNote], new: Iterable[ReviewNote]) -> list[ReviewNote]:
    """The notes of both, each (code, field) once, the newer note winning."""
    by_key: dict[tuple[str, str], ReviewNote] = {(note.code, note.field): note for note in existing}
    for note in new:
        by_key[(note.code, note.field)] = note
    return list(by_key.values())


def _field_label(name: str) -> str:
    from .importing.parse import SPECS

    spec = SPECS.get(name)
    return str(spec.label) if spec is not None else name


def _taken_label(note: ReviewNote) -> str:
    from .models import OrderType, UrgencyClass

    labels: dict[str, Any] = {**dict(OrderType.choices), **dict(UrgencyClass.choices)}
    return str(labels.get(note.taken, note.taken))


MESSAGES: Final[dict[str, Promise]] = {
    Reason.DEADLINE_BEFORE_RECEIVED: gettext_lazy(
        "%(field)s %(value)s is before the received time: the file's deadline was not taken, the configured limit "
        "applies."
    ),
    Reason.DEADLINE_UNREADABLE: gettext_lazy("%(field)s “%(value)s” could not be read: the configured limit applies."),
    Reason.TYPE_APPROXIMATE: gettext_lazy("Type “%(value)s” was read as “%(taken)s”."),
    Reason.TYPE_UNKNOWN: gettext_lazy(
        "Type “%(value)s” is not a known type: imported as “%(taken)s”, the type with the shortest reply limit."
    ),
    Reason.URGENCY_APPROXIMATE: gettext_lazy("Urgency “%(value)s” was read as “%(taken)s”."),
    Reason.URGENCY_UNKNOWN: gettext_lazy("Urgency “%(value)s” is not a known class: imported as “%(taken)s”."),
    Reason.PHONE_INVALID: gettext_lazy("The petitioner's phone number is not valid (%(value)s)."),
    Reason.PETITIONER_MISSING: gettext_lazy(
        "The file says the order is not anonymous but gives neither the petitioner's name nor phone."
    ),
    Reason.TEXT_TOO_LONG: gettext_lazy("%(field)s had %(value)s characters: cut to the first %(taken)s."),
    Reason.FLAG_UNREADABLE: gettext_lazy("%(field)s “%(value)s” is neither yes nor no: taken as no."),
    Reason.RECEIVED_IN_FUTURE: gettext_lazy(
        "%(field)s %(value)s lies after the order reached the town: the sender's clock or the value is wrong."
    ),
}


def describe(note: ReviewNote) -> str:
    """The note as a sentence in the reader's language."""
    template = MESSAGES.get(note.code)
    if template is None:
        return str(Reason(note.code).label) if note.code in Reason.values else note.code
    value = note.value
    if note.code in (Reason.TYPE_UNKNOWN, Reason.URGENCY_UNKNOWN) and not value:
        value = _("(empty)")
    return str(template) % {"field": _field_label(note.field), "value": value, "taken": _taken_label(note)}


def descriptions(value: Any) -> list[str]:
    """The stored notes (of an order or a report entry) as sentences."""
    return [describe(note) for note in notes_of(value)]

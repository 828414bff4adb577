"""What the review notes of an imported case mean (``Case.import_review``, written by the
historical ledger import, ``docs/ledger.md``): their codes, the ledger fields they name, and
one line for people per note (the case page, the import's row report)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

__all__ = ["FIELD_LABELS", "NOTES", "Code", "note_text"]

# The fields of a ledger row, by name (the ledger import's columns use the same labels).
FIELD_LABELS: Final[dict[str, Promise]] = {
    "number": gettext_lazy("Case number"),
    "reported_at": gettext_lazy("Reported at"),
    "registered_at": gettext_lazy("Registered at"),
    "dispatched_at": gettext_lazy("Dispatched at"),
    "handled_at": gettext_lazy("Handled at"),
    "verified_at": gettext_lazy("Verified at"),
    "closed_at": gettext_lazy("Closed at"),
    "category": gettext_lazy("Category"),
    "area": gettext_lazy("Grid or village"),
    "department": gettext_lazy("Department"),
    "description": gettext_lazy("Description"),
    "address": gettext_lazy("Address"),
    "result": gettext_lazy("Result"),
    "deadline": gettext_lazy("Deadline"),
    "on_time": gettext_lazy("On time"),
    "source": gettext_lazy("Source"),
}


class Code:
    """Review note codes of a ledger row."""

    REPORTED_MISSING = "reported_missing"
    CLOSED_MISSING = "closed_missing"
    TIME_UNREADABLE = "time_unreadable"
    TIME_ORDER = "time_order"
    TIME_FUTURE = "time_future"
    TIME_EARLY = "time_early"
    NUMBER_IMPRECISE = "number_imprecise"
    DEADLINE_UNREADABLE = "deadline_unreadable"
    ON_TIME_UNREADABLE = "on_time_unreadable"
    SOURCE_UNKNOWN = "source_unknown"
    NUMBER_REPEATED = "number_repeated"
    TEXT_TOO_LONG = "text_too_long"
    CATEGORY_APPROXIMATE = "category_approximate"
    CATEGORY_UNKNOWN = "category_unknown"
    AREA_APPROXIMATE = "area_approximate"
    AREA_UNKNOWN = "area_unknown"
    DEPARTMENT_APPROXIMATE = "department_approximate"
    DEPARTMENT_UNKNOWN = "department_unknown"
    # Written by gridgov.cases.services.historical.
    NUMBER_TAKEN = "number_taken"
    DEADLINE_DIFFERS = "deadline_differs"
    ON_TIME_DIFFERS = "on_time_differs"


NOTES: Final = {
    Code.REPORTED_MISSING: gettext_lazy("No report time: the earliest time of the row is taken"),
    Code.CLOSED_MISSING: gettext_lazy("No close time: the latest time of the row is taken"),
    Code.TIME_UNREADABLE: gettext_lazy("A time cannot be read and is left out"),
    Code.TIME_ORDER: gettext_lazy("A time comes before the step it follows"),
    Code.TIME_FUTURE: gettext_lazy("A time lies in the future"),
    Code.TIME_EARLY: gettext_lazy("A time lies before 2000, earlier than any grid platform: kept as written"),
    Code.NUMBER_IMPRECISE: gettext_lazy(
        "The number is a figure of more than 15 digits in the file: the spreadsheet may have changed its last "
        "digits; compare it with the old ledger"
    ),
    Code.DEADLINE_UNREADABLE: gettext_lazy("The deadline cannot be read and is left out"),
    Code.ON_TIME_UNREADABLE: gettext_lazy("The on-time flag cannot be read and is left out"),
    Code.SOURCE_UNKNOWN: gettext_lazy("Unknown source: taken as the center"),
    Code.NUMBER_REPEATED: gettext_lazy("The number appears again in the file: imported under a suffixed number"),
    Code.TEXT_TOO_LONG: gettext_lazy("A text is longer than its column and was cut"),
    Code.CATEGORY_APPROXIMATE: gettext_lazy("The category matched only approximately"),
    Code.CATEGORY_UNKNOWN: gettext_lazy("Unknown category: the fallback category is taken"),
    Code.AREA_APPROXIMATE: gettext_lazy("The grid or village matched only approximately"),
    Code.AREA_UNKNOWN: gettext_lazy("Unknown grid or village: the case is put on the town"),
    Code.DEPARTMENT_APPROXIMATE: gettext_lazy("The department matched only approximately"),
    Code.DEPARTMENT_UNKNOWN: gettext_lazy("Unknown department: none is recorded"),
    Code.NUMBER_TAKEN: gettext_lazy("The number belongs to another case: imported under a derived number"),
    Code.DEADLINE_DIFFERS: gettext_lazy("The ledger's deadline differs from the calendar's: the ledger's is kept"),
    Code.ON_TIME_DIFFERS: gettext_lazy("The ledger's on-time flag differs from the calendar's: the ledger's is kept"),
}


def note_text(note: Mapping[str, Any]) -> str:
    """A review note for people: what it means, the field and what the file said."""
    code = str(note.get("code", ""))
    text = str(NOTES.get(code, code))
    said = str(note.get("value") or "")
    label = FIELD_LABELS.get(str(note.get("field") or ""))
    if label and said:
        return f"{text}（{label}：{said}）"
    if said:
        return f"{text}（{said}）"
    return text

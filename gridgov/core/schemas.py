"""Pieces of API schemas that every app's API answers alike.

Times are answered in the site's time zone (``+08:00``), an area, department or category as
its code and name, an allowed action with its label. Each app's ``schemas.py`` builds its own
shapes from these, so the OpenAPI document has one ``CodeName`` and one ``ActionOut``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any, Final, Protocol, TypeVar, overload

from django.utils import timezone
from ninja import Schema
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

FiltersT = TypeVar("FiltersT")


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


# Times are answered in the site's time zone (``+08:00``), whether just computed or read back.
LocalTime = Annotated[dt.datetime, AfterValidator(_local)]

# The dates a filter accepts: wide enough for any ledger a town keeps, narrow enough that a day's
# start and end exist in every time zone (0001-01-01 and 9999-12-31 overflowed into a 500).
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2999, 12, 31)


def plausible_date(value: dt.date) -> dt.date:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise PydanticCustomError(
            "date_out_of_range", "Enter a date between {first} and {last}.", {"first": FIRST_DATE, "last": LAST_DATE}
        )
    return value


# The most items any list in a request body or query may have (photo kinds, departments,
# statuses, attachments, files): each bad item is an error of its own in the answer, so an
# unbounded list turns a small request into a huge answer. A service may allow fewer, with its
# own message.
LIST_MAX: Final = 200


# A date in a list filter (from, to).
FilterDate = Annotated[dt.date, AfterValidator(plausible_date)]


def plausible_time(value: dt.datetime) -> dt.datetime:
    plausible_date(value.date())
    return value


# A moment a client sends (a device's time, an upstream system's times): held to the same years,
# so that converting it to UTC for the database cannot leave the calendar (0001-01-01 in +08:00
# and 9999-12-31 in -12:00 were a 500).
PlausibleTime = Annotated[dt.datetime, AfterValidator(plausible_time)]


class Coded(Protocol):
    """Anything with a code and a name: an area, a department, a category."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...


class CodeName(Schema):
    code: str
    name: str


class ActionOut(Schema):
    code: str
    label: str
    comment_required: bool
    # The action is refused without a photo (the case's category says so).
    photo_required: bool = False


@overload
def code_name(obj: Coded) -> CodeName: ...


@overload
def code_name(obj: Coded | None) -> CodeName | None: ...


def code_name(obj: Coded | None) -> CodeName | None:
    """An area, department or category as ``{code, name}`` (``None`` for none)."""
    return CodeName(code=obj.code, name=obj.name) if obj is not None else None


def code_names(objects: Iterable[Coded]) -> list[CodeName]:
    """Several, in the order of their codes (e.g. a case's cooperating departments)."""
    return [CodeName(code=obj.code, name=obj.name) for obj in sorted(objects, key=lambda obj: obj.code)]


def split_values(value: Any) -> list[str]:
    """A query parameter that may repeat or be a comma list, as its values (a ``before``
    validator of list filters such as ``status``)."""
    values = [value] if isinstance(value, str) else (value or [])
    return [part.strip() for item in values for part in str(item).split(",") if part.strip()]


def filters_from_query(query: Schema, filters: type[FiltersT], *, text: str = "q") -> FiltersT:
    """A selector's filter dataclass from a list endpoint's query parameters of the same names
    (the free text comes as ``text``, ``q`` by default), strings stripped. A field marked
    ``metadata={"internal": True}`` is the code's own, not a parameter: left at its default."""
    values: dict[str, Any] = {}
    for item in dataclasses.fields(filters):  # type: ignore[arg-type]
        if item.metadata.get("internal"):
            continue
        value = getattr(query, text if item.name == "text" else item.name)
        values[item.name] = value.strip() if isinstance(value, str) else value
    return filters(**values)


class ErrorBody(Schema):
    """The body of every refusal (``gridgov.core.errors.error_body``)."""

    code: str
    message: str
    details: dict[str, Any] | None = None


class ErrorOut(Schema):
    error: ErrorBody

"""Keyset pagination, the one way every list pages.

A list is sorted by a few fields of its model, the last of them unique (the id), so the order
is total. A page is the ``limit`` rows that follow the row a cursor names, and the cursor of
the next page names the page's last row by its sort values. A page deep down a list therefore
costs what the first page costs, and rows added or removed meanwhile never make a row appear
twice or not at all::

    page = keyset_page(cases, ("-reported_at", "-id"), request.GET.get("cursor"), 50)
    page.items, page.next_cursor  # next_cursor is None on the last page

The cursor is opaque to clients. With one sort key it is that key's value as text (the
id-keyed lists, notifications and upstream messages, have always published plain ids); with
several it is the values joined by ``|`` in URL-safe base64. A cursor that is not one is
:class:`~gridgov.core.errors.Invalid` (422), ``details`` on ``cursor``.

The condition that continues after the cursor is the expanded form of the row comparison,
``k1 < v1 OR (k1 = v1 AND k2 < v2) …``, with the redundant bound ``k1 <= v1`` in front: the
OR alone makes SQLite walk the index of ``k1`` from the top, the bound turns it into a range
search (PostgreSQL plans both the same). The expanded form also serves mixed directions, which
a row-value comparison cannot. Sort keys must not be nullable (NULLs sort first on one
database and last on the other, and compare as neither): :func:`keyset_page` refuses them.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Generic, TypeVar
from urllib.parse import unquote

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Field, Model, Q, QuerySet
from django.utils.timezone import is_naive
from django.utils.translation import gettext as _

from .errors import Invalid

M = TypeVar("M", bound=Model)

SEPARATOR = "|"


@dataclass(frozen=True)
class Page(Generic[M]):
    """The rows of one page, and the cursor of the next one (``None`` on the last page)."""

    items: list[M]
    next_cursor: str | None


@dataclass(frozen=True)
class _Key:
    field: Field[Any, Any]
    descending: bool

    @property
    def name(self) -> str:
        return self.field.attname


def _keys(model: type[Model], order: Sequence[str]) -> list[_Key]:
    """The sort keys of ``order`` on ``model``; :class:`ValueError` for an order keyset
    pagination cannot serve (no key, a nullable key, a last key that is not unique)."""
    if not order:
        raise ValueError("A keyset order needs at least one field.")
    keys = []
    for item in order:
        name = item.removeprefix("-")
        try:
            field = model._meta.get_field(model._meta.pk.name if name == "pk" and model._meta.pk else name)
        except FieldDoesNotExist:
            raise ValueError(f"{model.__name__} has no field {name!r} to sort on.") from None
        if not isinstance(field, Field) or not field.concrete:
            raise ValueError(f"{model.__name__}.{name} is not a column to sort on.")
        if field.null:
            raise ValueError(f"{model.__name__}.{name} is nullable; a keyset cannot sort on it.")
        keys.append(_Key(field, item.startswith("-")))
    last = keys[-1].field
    if not (last.primary_key or last.unique):
        raise ValueError(f"The last sort key of {model.__name__} must be unique (the id), so that ties are ordered.")
    return keys


def _text(key: _Key, row: Model) -> str:
    return key.field.value_to_string(row)


def encode(parts: Sequence[str]) -> str:
    """The cursor of a row whose sort values read ``parts`` (one key: the text itself)."""
    if len(parts) == 1:
        return parts[0]
    joined = SEPARATOR.join(part.replace("%", "%25").replace(SEPARATOR, "%7C") for part in parts)
    return base64.urlsafe_b64encode(joined.encode()).decode().rstrip("=")


def decode(cursor: str, count: int) -> list[str]:
    """The ``count`` texts of a cursor; :class:`ValueError` for anything that is not one."""
    if count == 1:
        return [cursor]
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        joined = base64.urlsafe_b64decode(padded.encode()).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("not a cursor") from exc
    parts = joined.split(SEPARATOR)
    if len(parts) != count:
        raise ValueError("not a cursor")
    return [unquote(part) for part in parts]


def cursor_after(row: Model, order: Sequence[str]) -> str:
    """The cursor of the page that follows ``row`` in ``order``."""
    return encode([_text(key, row) for key in _keys(type(row), order)])


def _values(keys: list[_Key], cursor: str) -> list[Any]:
    """The sort values a cursor names, each as its field's Python value; :class:`Invalid`
    when it names none."""
    try:
        values = [key.field.to_python(text) for key, text in zip(keys, decode(cursor, len(keys)), strict=True)]
        for key, value in zip(keys, values, strict=True):
            key.field.run_validators(value)  # an id beyond the column's range, a text too long
    except (ValueError, ValidationError):
        values = []
    # A time without its offset was not written by :func:`encode` (and reads differently
    # on each database).
    if not values or any(value is None or (isinstance(value, dt.datetime) and is_naive(value)) for value in values):
        message = _("The cursor is not valid.")
        raise Invalid(message, details={"cursor": [message]})
    return values


def _after(keys: list[_Key], values: list[Any]) -> Q:
    """The rows that come after the row with ``values``: ``k1 ⋚ v1 OR (k1 = v1 AND k2 ⋚ v2)
    …``, led by the bound ``k1 ⋚= v1`` that lets SQLite search the index as a range."""
    condition = Q()
    for index, (key, value) in enumerate(zip(keys, values, strict=True)):
        equal = {earlier.name: values[position] for position, earlier in enumerate(keys[:index])}
        condition |= Q(**equal, **{f"{key.name}__{'lt' if key.descending else 'gt'}": value})
    if len(keys) == 1:
        return condition
    first = keys[0]
    return Q(**{f"{first.name}__{'lte' if first.descending else 'gte'}": values[0]}) & condition


def keyset_page(
    queryset: QuerySet[M],
    order: Sequence[str],
    cursor: str | None,
    limit: int,
    *,
    max_limit: int | None = None,
    ids_first: bool = False,
) -> Page[M]:
    """The ``limit`` rows of ``queryset`` in ``order`` that follow ``cursor`` (from the top
    without one), and the cursor of the page after them.

    ``order`` names the sort fields, ``-`` for descending (``("-received_at", "-id")``); the
    last must be unique. ``limit`` is clamped to 1 … ``max_limit``. One query, which asks for
    one row more than the page to learn whether another page follows.

    ``ids_first``: two queries, the page's keys in order, then their rows (with the
    queryset's joins and annotations) by key. For a large table whose lists join other tables
    (``select_related``): when PostgreSQL takes a filter for a few rows where it finds
    thousands, it joins every one of them before sorting (a village's list at ten million
    cases: 44,000 rows joined, a second); keys first, only the page's rows are joined.
    """
    limit = max(1, limit if max_limit is None else min(limit, max_limit))
    keys = _keys(queryset.model, order)
    query = queryset.order_by(*order)
    if cursor:
        query = query.filter(_after(keys, _values(keys, cursor)))
    if ids_first:
        names = [key.name for key in keys]
        found = list(query.values_list("pk", *names)[: limit + 1])
        by_key = {row.pk: row for row in queryset.filter(pk__in=[values[0] for values in found[:limit]])}
        # A row gone (or no longer matching) between the two queries is left out; the cursor is
        # still the page's last key, so the next page follows on from where this one ended.
        rows = [by_key[values[0]] for values in found[:limit] if values[0] in by_key]
        if len(found) <= limit:
            return Page(rows, None)
        last = SimpleNamespace(**dict(zip(names, found[limit - 1][1:], strict=True)))
        return Page(rows, encode([_text(key, last) for key in keys]))  # type: ignore[arg-type]
    rows = list(query[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode([_text(key, rows[-1]) for key in keys]) if more and rows else None)

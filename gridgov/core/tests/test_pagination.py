"""Keyset pagination (``gridgov.core.pagination``): on the database the suite runs on (SQLite
by default, PostgreSQL with ``DATABASE_URL``)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from gridgov.core import pagination
from gridgov.core.errors import Invalid
from gridgov.core.models import AuditEvent
from gridgov.core.pagination import cursor_after, keyset_page

pytestmark = pytest.mark.django_db

NEWEST_FIRST = ("-created_at", "-id")
T0 = dt.datetime(2026, 10, 1, 2, 15, tzinfo=dt.UTC)


def events(*spec: tuple[str, int]) -> list[AuditEvent]:
    """One event per ``(action, minutes after T0)``; equal minutes make ties."""
    # Written directly with their times (the audit table is append-only: no update after), each
    # with a made-up link of its own (the chain allows one successor per row).
    made = [
        AuditEvent.objects.create(
            action=action, created_at=T0 + dt.timedelta(minutes=minutes), prev_hash=uuid.uuid4().hex
        )
        for action, minutes in spec
    ]
    return list(AuditEvent.objects.filter(pk__in=[e.pk for e in made]))


def walk(order: tuple[str, ...], limit: int) -> list[list[int]]:
    """The ids of every page of all events in ``order``, following the cursors."""
    pages, cursor = [], None
    while True:
        page = keyset_page(AuditEvent.objects.all(), order, cursor, limit)
        pages.append([event.pk for event in page.items])
        cursor = page.next_cursor
        if cursor is None:
            return pages


def test_pages_follow_the_order_and_break_ties_by_id():
    made = events(("a", 0), ("a", 5), ("a", 5), ("a", 5), ("a", 5), ("a", 9), ("a", 5))
    expected = [e.pk for e in sorted(made, key=lambda e: (e.created_at, e.pk), reverse=True)]
    for limit in (1, 2, 3, 4, 7, 50):
        pages = walk(NEWEST_FIRST, limit)
        assert [pk for page in pages for pk in page] == expected, limit
        assert all(len(page) == limit for page in pages[:-1]) and 0 < len(pages[-1]) <= limit


def test_every_row_comes_exactly_once_even_when_rows_arrive_between_pages():
    events(*[("a", minute % 3) for minute in range(10)])
    first = keyset_page(AuditEvent.objects.all(), NEWEST_FIRST, None, 4)
    # A new event (newest of all) arrives while the reader is on the first page.
    events(("late", 60))
    seen = [e.pk for e in first.items]
    cursor = first.next_cursor
    while cursor:
        page = keyset_page(AuditEvent.objects.all(), NEWEST_FIRST, cursor, 4)
        seen += [e.pk for e in page.items]
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == 10


def test_mixed_directions_page_like_the_full_sort():
    made = events(("b", 1), ("a", 2), ("b", 2), ("a", 2), ("c", 0), ("a", 1), ("b", 2))
    order = ("action", "-created_at", "id")
    expected = [
        e.pk for e in sorted(sorted(made, key=lambda e: e.pk), key=lambda e: (e.action, -e.created_at.timestamp()))
    ]
    for limit in (1, 2, 3):
        assert [pk for page in walk(order, limit) for pk in page] == expected


def test_the_last_page_has_no_cursor_and_an_empty_list_one_page():
    assert keyset_page(AuditEvent.objects.all(), NEWEST_FIRST, None, 5) == pagination.Page([], None)
    events(("a", 0), ("a", 1))
    page = keyset_page(AuditEvent.objects.all(), NEWEST_FIRST, None, 2)
    assert len(page.items) == 2 and page.next_cursor is None


def test_the_limit_is_kept_between_one_and_the_maximum():
    events(*[("a", minute) for minute in range(6)])
    assert len(keyset_page(AuditEvent.objects.all(), NEWEST_FIRST, None, 0).items) == 1
    assert len(keyset_page(AuditEvent.objects.all(), NEWEST_FIRST, None, 5, max_limit=3).items) == 3


def test_a_page_is_one_query():
    events(*[("a", minute) for minute in range(6)])
    cursor = keyset_page(AuditEvent.objects.all(), NEWEST_FIRST, None, 2).next_cursor
    with CaptureQueriesContext(connection) as queries:
        keyset_page(AuditEvent.objects.all(), NEWEST_FIRST, cursor, 2)
    assert len(queries) == 1


def test_the_cursor_of_a_row_continues_after_it():
    made = sorted(events(("a", 3), ("a", 3), ("a", 1)), key=lambda e: (e.created_at, e.pk), reverse=True)
    page = keyset_page(AuditEvent.objects.all(), NEWEST_FIRST, cursor_after(made[0], NEWEST_FIRST), 5)
    assert [e.pk for e in page.items] == [e.pk for e in made[1:]]


def test_a_time_and_id_cursor_is_the_time_and_id_in_url_safe_base64():
    """The format the case, order and patrol lists have always published."""
    event = events(("a", 0))[0]
    assert pagination.decode(cursor_after(event, NEWEST_FIRST), 2) == [event.created_at.isoformat(), str(event.pk)]
    assert "=" not in cursor_after(event, NEWEST_FIRST)


def test_a_one_key_cursor_is_the_plain_value():
    """The id-keyed lists (notifications, upstream messages) publish plain ids."""
    event = events(("a", 0))[0]
    assert cursor_after(event, ("-id",)) == str(event.pk)


def test_a_separator_inside_a_value_round_trips():
    assert pagination.decode(pagination.encode(["a|b%7C", "2"]), 2) == ["a|b%7C", "2"]


@pytest.mark.parametrize(
    "junk",
    [
        "@@",
        "bm90IGEgY3Vyc29y",  # "not a cursor"
        pagination.encode(["2026-10-01T02:15:00+00:00", "1"])[:-3],
        pagination.encode(["2026-10-01T02:15:00+00:00", "x"]),
        pagination.encode(["2026-10-01T02:15:00", "1"]),  # no offset
        pagination.encode(["yesterday", "1"]),
        pagination.encode(["2026-10-01T02:15:00+00:00", "1", "2"]),
        pagination.encode(["2026-10-01T02:15:00+00:00", str(2**70)]),
    ],
)
def test_a_cursor_that_is_not_one_is_invalid_on_the_cursor_field(junk):
    with pytest.raises(Invalid) as refused:
        keyset_page(AuditEvent.objects.all(), NEWEST_FIRST, junk, 5)
    assert refused.value.status == 422 and refused.value.code == "invalid"
    assert list(refused.value.details or {}) == ["cursor"]


@pytest.mark.parametrize("junk", ["x", "1.5", str(2**70)])
def test_a_bad_id_cursor_is_invalid(junk):
    with pytest.raises(Invalid):
        keyset_page(AuditEvent.objects.all(), ("-id",), junk, 5)


@pytest.mark.parametrize(
    "order",
    [
        (),
        ("-created_at",),  # ties left unordered
        ("-ip_address", "-id"),  # nullable
        ("-actor", "-id"),  # nullable
        ("-nonesuch", "-id"),
    ],
)
def test_an_order_a_keyset_cannot_serve_is_refused(order):
    with pytest.raises(ValueError):
        keyset_page(AuditEvent.objects.all(), order, None, 5)


def _continued_query() -> str:
    """The SQL (parameters in place) of the second page of three events, one per page."""
    events(*[("a", minute) for minute in range(3)])
    cursor = keyset_page(AuditEvent.objects.all(), NEWEST_FIRST, None, 1).next_cursor
    with CaptureQueriesContext(connection) as queries:
        keyset_page(AuditEvent.objects.all(), NEWEST_FIRST, cursor, 1)
    return str(queries[0]["sql"])


def test_the_condition_leads_with_a_range_on_the_first_key():
    """``k1 <= v1 AND (k1 < v1 OR (k1 = v1 AND id < n))``: the leading bound lets SQLite search
    the index as a range instead of scanning it from the top."""
    sql = _continued_query().replace('"', "")
    where = sql[sql.index("WHERE") :]
    assert where.index("created_at <=") < where.index(" OR ")


def test_the_database_reads_the_sort_index_as_a_range():
    sql = _continued_query()
    with connection.cursor() as db:
        if connection.vendor == "sqlite":
            db.execute("EXPLAIN QUERY PLAN " + sql)
            plan = " ".join(str(row[-1]) for row in db.fetchall())
            assert "SEARCH" in plan and "(created_at<?)" in plan, plan
        elif connection.vendor == "postgresql":
            db.execute("SET LOCAL enable_seqscan = off")  # a few rows would be read whole otherwise
            db.execute("EXPLAIN " + sql)
            plan = " ".join(str(row[0]) for row in db.fetchall())
            assert "Index Cond: (created_at <=" in plan, plan
        else:
            pytest.skip(f"no plan check for {connection.vendor}")


def test_keys_first_gives_the_same_pages_in_two_queries(django_assert_num_queries):
    events(("a", 0), ("b", 5), ("c", 5), ("d", 5), ("e", 9), ("f", 3), ("g", 1))
    for order in (NEWEST_FIRST, ("action", "-id")):
        cursor: str | None = None
        while True:
            plain = keyset_page(AuditEvent.objects.all(), order, cursor, 3)
            with django_assert_num_queries(2):
                first = keyset_page(AuditEvent.objects.all(), order, cursor, 3, ids_first=True)
            assert first == plain
            cursor = plain.next_cursor
            if cursor is None:
                break


class _RowsGone(QuerySet):
    """Rows read by key come back empty: every row of the page went between the two queries."""

    def filter(self, *args, **kwargs):
        found = super().filter(*args, **kwargs)
        return found.none() if "pk__in" in kwargs else found


def test_keys_first_goes_on_after_a_page_whose_rows_all_went_meanwhile():
    events(("a", 0), ("b", 1), ("c", 2), ("d", 3), ("e", 4))
    keys = list(AuditEvent.objects.order_by(*NEWEST_FIRST).values_list("pk", flat=True))
    first = keyset_page(_RowsGone(model=AuditEvent), NEWEST_FIRST, None, 2, ids_first=True)
    assert first.items == [] and first.next_cursor is not None
    second = keyset_page(AuditEvent.objects.all(), NEWEST_FIRST, first.next_cursor, 2, ids_first=True)
    assert [event.pk for event in second.items] == keys[2:4]

"""The lists' text filter on PostgreSQL: an index of characters and character pairs.

The case and order lists find a word with ``icontains`` on a few text columns (a case's
number, description and address). With no index a word found in no row reads the whole table
(3.5 s for a town, 11 s for a district at ten million cases, ``docs/benchmarks.md``). Chinese
has no spaces between words and most searches are one to four characters, so neither a word
index nor trigrams (``pg_trgm`` needs three characters) can answer them.

What is kept instead, on PostgreSQL only, for each table that has it (:func:`install`): a
side table ``<table>_text`` of one row per row of the table, its key and the *grams* of its
text columns, with a GIN index on them. The grams of a text (the SQL function
``gridgov_grams``, the only place they are computed) are the code points of its characters
that are ASCII letters or digits or CJK ideographs (Unified and Extension A), upper-cased, and
of every pair of two such characters next to each other (``first * 40960 + second``, distinct
from every single character); anything else separates. Whenever a text contains a word
(``UPPER(text) LIKE UPPER('%word%')``, which is what ``icontains`` asks), it contains every
gram of the word, so the rows whose grams contain the word's are a superset of the rows that
match, found through the index.

A list's text filter (:func:`candidates`) first asks the side table for at most ``cap`` keys
(:data:`CAP`, 20,000) whose grams contain the word's, then keeps its ``icontains`` conditions
and adds ``key IN (those keys)`` (beyond :data:`FEW`, as one array): the same rows, the word's
absence answered by the index in milliseconds, a word in a few thousand rows found among
them instead of among millions. When
more rows than ``cap`` have the word's grams (a frequent word, or a word with no gram: a
punctuation mark), it returns ``None`` and the list filters as before: a frequent word's first
page is found quickly by reading the newest rows. Whether a word is frequent is first judged
from PostgreSQL's statistics of the side table (its 10,000 most common grams, read every ten
minutes, :func:`worth_asking`), because asking the index about a word in 600,000 rows costs
75 ms before it can say "too many"; the planner's own estimate cannot serve (it multiplies the
grams' shares as if independent, and a word's characters are anything but).

The side table is kept by triggers in the table's own transactions (insert, an update that
changes a text column, delete, truncate), so every write path keeps it, the services' saves,
``QuerySet.update``, bulk loads and the ledger import alike. A bulk load that switches
triggers off (``session_replication_role = replica``) must call :func:`rebuild`. It is a
separate table rather than a column so that the table's rows stay as narrow as before: the
lists' other filters read them.

SQLite keeps filtering with ``icontains`` alone.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections
from django.db.migrations import RunPython
from django.db.models import Model, Q, QuerySet
from django.db.models.expressions import RawSQL

M = TypeVar("M", bound=Model)

#: At most this many keys from the side table; more and the filter reads the rows as before.
CAP = 20_000
#: Up to this many keys are asked as a list of values (``IN (…)``), more as one array.
FEW = 500
#: The statistics target of the side table's grams: ``ANALYZE`` keeps up to ten times as many
#: most common grams (10,000), the ones :func:`worth_asking` knows a frequent word by. The
#: default (100) keeps only grams in about 1 % of the rows.
STATISTICS = 1000

GRAMS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION gridgov_grams(t text) RETURNS integer[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT v.g), '{}')::integer[]
    FROM (SELECT string_to_array(regexp_replace(upper(t), '[^0-9A-Z\u3400-\u4DBF\u4E00-\u9FFF]+', ' ', 'g'), NULL)
          AS a) AS x,
         unnest(x.a, x.a[2:]) AS u(c, d),
         LATERAL (VALUES (ascii(u.c)), (CASE WHEN u.d <> ' ' THEN ascii(u.c) * 40960 + ascii(u.d) END)) AS v(g)
    WHERE u.c <> ' ' AND v.g IS NOT NULL
$$
"""


def _names(table: str) -> dict[str, str]:
    return {
        "table": table,
        "side": f"{table}_text",
        "index": f"{table}_text_grams",
        "write": f"{table}_text_write",
        "clear": f"{table}_text_clear",
    }


def _text(columns: list[str], row: str) -> str:
    return "concat_ws(' ', " + ", ".join(f"{row}.{column}" for column in columns) + ")"


def install(connection: Any, table: str, columns: list[str], *, backfill: bool = True) -> None:
    """Create ``gridgov_grams``, the side table of ``table`` with its index and triggers, and
    (``backfill``) its rows for the rows already there. Idempotent; PostgreSQL only."""
    if connection.vendor != "postgresql":
        return
    n = _names(table)
    changed = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(GRAMS_FUNCTION)
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {n['side']} (id bigint PRIMARY KEY, grams integer[] NOT NULL)")
        cursor.execute(f"ALTER TABLE {n['side']} ALTER COLUMN grams SET STATISTICS {STATISTICS}")
        cursor.execute(
            f"""
            CREATE OR REPLACE FUNCTION {n["write"]}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    DELETE FROM {n["side"]} WHERE id = OLD.id;
                    RETURN OLD;
                END IF;
                INSERT INTO {n["side"]} (id, grams) VALUES (NEW.id, gridgov_grams({_text(columns, "NEW")}))
                ON CONFLICT (id) DO UPDATE SET grams = EXCLUDED.grams;
                RETURN NEW;
            END
            $$
            """  # noqa: S608 (fixed names)
        )
        cursor.execute(
            f"""
            CREATE OR REPLACE FUNCTION {n["clear"]}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                TRUNCATE {n["side"]};
                RETURN NULL;
            END
            $$
            """
        )
        for suffix, event, condition in (
            ("insert", "INSERT", ""),
            ("update", f"UPDATE OF {', '.join(columns)}", f"WHEN ({changed})"),
            ("delete", "DELETE", ""),
        ):
            cursor.execute(f"DROP TRIGGER IF EXISTS {n['side']}_{suffix} ON {table}")
            cursor.execute(
                f"CREATE TRIGGER {n['side']}_{suffix} AFTER {event} ON {table} "
                f"FOR EACH ROW {condition} EXECUTE FUNCTION {n['write']}()"
            )
        cursor.execute(f"DROP TRIGGER IF EXISTS {n['side']}_truncate ON {table}")
        cursor.execute(
            f"CREATE TRIGGER {n['side']}_truncate AFTER TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {n['clear']}()"
        )
    if backfill:
        rebuild(connection, table, columns)
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {n['index']} ON {n['side']} USING gin (grams)")


def migration_operation(table: str, columns: list[str]) -> RunPython:
    """The migration step that installs the side table of ``table`` (and uninstalls it
    backwards): what an app's migration lists, the columns frozen in that migration."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        install(schema_editor.connection, table, columns)

    def backwards(apps: Any, schema_editor: Any) -> None:
        uninstall(schema_editor.connection, table)

    return RunPython(forwards, backwards)


def rebuild(connection: Any, table: str, columns: list[str]) -> None:
    """Write the side table of ``table`` again from its rows (after a bulk load with the
    triggers off): emptied, filled with one ``INSERT … SELECT`` and indexed after."""
    if connection.vendor != "postgresql":
        return
    n = _names(table)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {n['index']}")
        cursor.execute(f"TRUNCATE {n['side']}")
        cursor.execute(
            f"INSERT INTO {n['side']} (id, grams) "  # noqa: S608 (fixed names)
            f"SELECT id, gridgov_grams({_text(columns, table)}) FROM {table}"
        )
        cursor.execute(f"CREATE INDEX {n['index']} ON {n['side']} USING gin (grams)")
        cursor.execute(f"ANALYZE {n['side']}")


#: The tables whose side tables the apps keep, and the columns each searches (``register``).
TABLES: dict[str, list[str]] = {}


def register(table: str, columns: Sequence[str]) -> None:
    """Declare that ``table`` has a side table of ``columns`` (an app's ``ready``), for
    ``manage.py textsearch_check``."""
    TABLES[table] = list(columns)


@dataclass(frozen=True)
class Drift:
    """How a side table differs from its table: rows without a side row, side rows without a
    row, and side rows whose grams are not those of the row's text."""

    missing: int
    orphaned: int
    stale: int

    @property
    def any(self) -> bool:
        return bool(self.missing or self.orphaned or self.stale)


def drift(connection: Any, table: str, columns: Sequence[str]) -> Drift | None:
    """Compare the side table of ``table`` with the grams of its rows, computed again (one
    full read of both). ``None`` when the database has no side table for it."""
    if connection.vendor != "postgresql":
        return None
    n = _names(table)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [n["side"]])
        row = cursor.fetchone()
        if not (row and row[0]):
            return None
        cursor.execute(
            "SELECT count(*) FILTER (WHERE s.id IS NULL), count(*) FILTER (WHERE t.id IS NULL), "  # noqa: S608
            f"count(*) FILTER (WHERE t.id IS NOT NULL AND s.id IS NOT NULL "
            f"AND s.grams IS DISTINCT FROM gridgov_grams({_text(list(columns), 't')})) "
            f"FROM {table} AS t FULL JOIN {n['side']} AS s ON s.id = t.id"
        )
        missing, orphaned, stale = cursor.fetchone()
    return Drift(missing=missing, orphaned=orphaned, stale=stale)


def uninstall(connection: Any, table: str) -> None:
    if connection.vendor != "postgresql":
        return
    n = _names(table)
    with connection.cursor() as cursor:
        for suffix in ("insert", "update", "delete", "truncate"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {n['side']}_{suffix} ON {table}")
        cursor.execute(f"DROP TABLE IF EXISTS {n['side']}")
        cursor.execute(f"DROP FUNCTION IF EXISTS {n['write']}()")
        cursor.execute(f"DROP FUNCTION IF EXISTS {n['clear']}()")


#: How long a process keeps a side table's statistics before it reads them again (seconds).
STATS_SECONDS = 600
#: A word whose grams are all among a side table's most common ones is asked of the side table
#: only when the least common of them is in at most this many times ``cap`` rows.
FREQUENT = 2


@dataclass(frozen=True)
class Stats:
    """What PostgreSQL's statistics say of a side table: its rows (``None`` before the first
    ``ANALYZE``) and the share of rows of each of its most common grams."""

    rows: float | None
    common: dict[int, float]
    read_at: float


_STATS: dict[tuple[str, str], Stats] = {}


def _stats(connection: Any, side: str) -> Stats | None:
    """The side table's statistics (``None``: there is no side table), read at most every
    :data:`STATS_SECONDS` by a process."""
    key = (connection.alias, side)
    known = _STATS.get(key)
    if known is not None and time.monotonic() - known.read_at < STATS_SECONDS:
        return known
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reltuples, s.most_common_elems::text::integer[], s.most_common_elem_freqs "
            "FROM pg_class AS c LEFT JOIN pg_stats AS s ON s.schemaname = current_schema() "
            "AND s.tablename = c.relname AND s.attname = 'grams' WHERE c.oid = to_regclass(%s)",
            [side],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    rows, elements, shares = row
    common = dict(zip(elements or [], shares or [], strict=False))  # the shares end with three summaries
    _STATS[key] = Stats(rows=rows if rows and rows > 0 else None, common=common, read_at=time.monotonic())
    return _STATS[key]


def worth_asking(grams: Sequence[int], stats: Stats, cap: int) -> bool:
    """Whether the side table may hold at most about ``cap`` rows with all of ``grams``. No
    when the word has no gram (every row would do), or when every gram is among the most
    common and even the least common of them is in more than ``FREQUENT`` times ``cap`` rows
    (a frequent word: the list finds it quickly by reading the newest rows, and the side table
    would take tens of milliseconds to say it has too many). A gram outside the most common
    ones may be rare: the side table is asked."""
    if not grams:
        return False
    if stats.rows is None or any(gram not in stats.common for gram in grams):
        return True
    return min(stats.common[gram] for gram in grams) * stats.rows <= FREQUENT * cap


def candidates(using: str, table: str, text: str, cap: int | None = None) -> list[int] | None:
    """The keys of the rows of ``table`` that may contain ``text`` (every row that does is
    among them), or ``None``: more than ``cap`` of them (or likely so, :func:`worth_asking`),
    a database that is not PostgreSQL, a table without a side table."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    cap = CAP if cap is None else cap
    side = _names(table)["side"]
    stats = _stats(connection, side)
    if stats is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT gridgov_grams(%s)", [text])
        row = cursor.fetchone()
        grams: list[int] = row[0] if row else []
        if not worth_asking(grams, stats, cap):
            return None
        cursor.execute(
            f"SELECT id FROM {side} WHERE grams @> %s::integer[] LIMIT %s",  # noqa: S608 (fixed names)
            [grams, cap + 1],
        )
        keys = [key for (key,) in cursor.fetchall()]
    return keys if len(keys) <= cap else None


def containing(query: QuerySet[M], columns: Sequence[str], text: str) -> QuerySet[M]:
    """The rows of ``query`` one of whose ``columns`` contains ``text`` (``icontains``). On
    PostgreSQL, when few rows may contain it, asked among those only (:func:`candidates`):
    ``columns`` are then the ones the table's side table was installed with."""
    condition = Q()
    for column in columns:
        condition |= Q(**{f"{column}__icontains": text})
    query = query.filter(condition)
    keys = candidates(query.db, query.model._meta.db_table, text)
    if keys is None:
        return query
    if len(keys) <= FEW:
        return query.filter(pk__in=keys)
    return query.filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [keys]))

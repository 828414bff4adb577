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
whose grams contain the word's, then keeps its ``icontains`` conditions and adds ``key IN
(those keys)``: the same rows, the word's absence answered by the index in milliseconds. When
more rows than ``cap`` have the word's grams (a frequent word, or a word with no gram: a
punctuation mark), it returns ``None`` and the list filters as before: a frequent word's first
page is found quickly by reading the newest rows.

The side table is kept by triggers in the table's own transactions (insert, an update that
changes a text column, delete, truncate), so every write path keeps it, the services' saves,
``QuerySet.update``, bulk loads and the ledger import alike. A bulk load that switches
triggers off (``session_replication_role = replica``) must call :func:`rebuild`. It is a
separate table rather than a column so that the table's rows stay as narrow as before: the
lists' other filters read them.

SQLite keeps filtering with ``icontains`` alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections
from django.db.models import Model, Q, QuerySet

M = TypeVar("M", bound=Model)

#: At most this many keys from the side table; more and the filter reads the rows as before.
CAP = 2000

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


#: The (database alias, side table) pairs found installed: a side table, once made, stays.
_INSTALLED: set[tuple[str, str]] = set()


def candidates(using: str, table: str, text: str, cap: int | None = None) -> list[int] | None:
    """The keys of the rows of ``table`` that may contain ``text`` (every row that does is
    among them), or ``None`` when there are more than ``cap``, the database is not PostgreSQL
    or the table has no side table."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    cap = CAP if cap is None else cap
    side = _names(table)["side"]
    with connection.cursor() as cursor:
        if (connection.alias, side) not in _INSTALLED:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [side])
            row = cursor.fetchone()
            if not (row and row[0]):
                return None
            _INSTALLED.add((connection.alias, side))
        cursor.execute(
            f"SELECT id FROM {side} WHERE grams @> gridgov_grams(%s) LIMIT %s",  # noqa: S608 (fixed names)
            [text, cap + 1],
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
    return query if keys is None else query.filter(pk__in=keys)

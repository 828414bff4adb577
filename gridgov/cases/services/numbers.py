"""A case's number, ``YYYY-TTT-NNNNNN``: per town and year, unique and gap-free (a rollback
returns it), taken from the town's sequence row with one ``UPDATE … RETURNING``."""

from __future__ import annotations

import secrets
from typing import Final

from django.db import IntegrityError, connection, transaction

from gridgov.areas.models import Area

from ..models import Case, CaseNumberSequence


def next_number(town: Area, year: int) -> str:
    """The next case number of a town and year, ``YYYY-TTT-NNNNNN`` (TTT: the township digits).

    One ``UPDATE … RETURNING`` takes the number: it locks the town's sequence row until the
    commit, so callers take the number as late in their transaction as they can."""
    table = connection.ops.quote_name(CaseNumberSequence._meta.db_table)
    increment = f"UPDATE {table} SET last = last + 1 WHERE town_id = %s AND year = %s RETURNING last"  # noqa: S608
    return _number(town, year, int(_taken(increment, [town.pk, year], town, year)))


def _number(town: Area, year: int, last: int) -> str:
    return f"{_prefix(town, year)}{last:06d}"


def _prefix(town: Area, year: int) -> str:
    return f"{year}-{town.code[6:9]}-"


def _taken(sql: str, params: list[int | str], town: Area, year: int) -> int | str:
    """Run a statement that takes the town's next number and returns one value; the first
    number of a town's year makes its sequence row, then runs it again."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        if row is None:
            _sequence_start(town, year)
            cursor.execute(sql, params)
            row = cursor.fetchone()
    return row[0]  # type: ignore[no-any-return]


def _sequence_start(town: Area, year: int) -> None:
    try:
        with transaction.atomic():
            CaseNumberSequence.objects.create(town=town, year=year, last=0)
    except IntegrityError:
        pass  # another transaction created it meanwhile


# On PostgreSQL a report takes its number last: the town's sequence row is locked from its
# ``UPDATE`` to the commit, and every other report of the town waits for it. The case goes in
# with a provisional number (unique, never seen outside the transaction) and gets its number
# in one statement with the sequence's ``UPDATE``. SQLite's write lock holds the whole
# transaction whatever the order, so there the number comes first, one statement fewer.
NUMBER_LAST: Final = ("postgresql",)
PROVISIONAL: Final = "~"


def number_last_in_transaction(case: Case, year: int) -> None:
    """Give the case just inserted with a provisional number its number (PostgreSQL)."""
    sequence = connection.ops.quote_name(CaseNumberSequence._meta.db_table)
    cases = connection.ops.quote_name(Case._meta.db_table)
    # (lpad cuts a longer text: a millionth case of a year keeps all its digits, as in _number)
    give = (
        f"WITH taken AS (UPDATE {sequence} SET last = last + 1 WHERE town_id = %s AND year = %s RETURNING last) "  # noqa: S608
        f"UPDATE {cases} SET number = %s || CASE WHEN taken.last < 1000000 THEN lpad(taken.last::text, 6, '0') "
        f"ELSE taken.last::text END FROM taken WHERE {cases}.id = %s RETURNING {cases}.number"
    )
    params: list[int | str] = [case.town.pk, year, _prefix(case.town, year), case.pk]
    case.number = str(_taken(give, params, case.town, year))


def provisional_number() -> str:
    """A unique stand-in for a case inserted before its number (:data:`NUMBER_LAST`)."""
    return f"{PROVISIONAL}{secrets.token_hex(12)}"

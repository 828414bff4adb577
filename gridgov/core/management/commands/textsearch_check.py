"""Compare the text filter's side tables with their tables (PostgreSQL; docs/cases.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from gridgov.core import textsearch


class Command(BaseCommand):
    help = (
        "Compare the text filter's side tables with the rows they index (missing, orphaned, stale rows); "
        "--repair writes a side table that differs again"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--repair", action="store_true", help="rebuild the side tables that differ")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            self.stdout.write("no side tables: the text filter reads the rows on this database")
            return
        differing = 0
        for table, columns in sorted(textsearch.TABLES.items()):
            found = textsearch.drift(connection, table, columns)
            if found is None:
                self.stdout.write(f"{table}: no side table (run migrate)")
                differing += 1
                continue
            counts = f"{found.missing} missing, {found.orphaned} orphaned, {found.stale} stale"
            if found.any and options["repair"]:
                textsearch.rebuild(connection, table, columns)
                self.stdout.write(f"{table}: {counts}, repaired")
            else:
                self.stdout.write(f"{table}: {counts}, {'differ' if found.any else 'ok'}")
                differing += found.any
        if differing:
            raise CommandError(f"{differing} side table(s) differ from their tables")

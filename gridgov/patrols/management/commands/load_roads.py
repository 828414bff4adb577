"""Load the grids' road lines from a GeoJSON file (see gridgov/patrols/roads.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.core.errors import Invalid
from gridgov.patrols import roads


class Command(BaseCommand):
    help = "Load road lines (GeoJSON features with the properties grid and name); prints the row report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="a GeoJSON FeatureCollection of LineString or MultiLineString features")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from None
        try:
            rows = roads.roads_import(actor=None, content=content, name=path.name)
        except Invalid as error:
            raise CommandError(error.message) from None
        for row in rows:
            reasons = "; ".join(row.reasons)
            self.stdout.write(f"{row.row}\t{row.grid}\t{row.name}\t{row.outcome}\t{row.length_m}\t{reasons}")
        counts = {
            outcome: sum(1 for r in rows if r.outcome == outcome)
            for outcome in ("created", "updated", "unchanged", "refused")
        }
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in counts.items()))

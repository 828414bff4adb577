"""``import_areas FILE [--dry-run]``: import area boundaries from a GeoJSON file."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.areas.services import AreaImportError, areas_import


class Command(BaseCommand):
    help = "Import areas (district, town, village, grid) from a GeoJSON FeatureCollection."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="GeoJSON file (UTF-8)")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with open(options["file"], encoding="utf-8") as handle:
                collection = json.load(handle)
        except OSError as exc:
            raise CommandError(f"Cannot read {options['file']}: {exc}") from exc
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CommandError(f"Not a JSON file: {exc}") from exc
        try:
            report = areas_import(actor=None, collection=collection, dry_run=options["dry_run"])
        except AreaImportError as exc:
            for problem in exc.problems:
                self.stderr.write(f"- {problem}")
            raise CommandError(f"{len(exc.problems)} problem(s); nothing was imported.") from exc
        prefix = "Dry run: would have " if report.dry_run else ""
        self.stdout.write(f"{prefix}created {report.created}, updated {report.updated}, unchanged {report.unchanged}.")

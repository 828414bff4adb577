"""Load a year's official holiday schedule from the State Council's notice or from date lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.workcalendar import schedule
from gridgov.workcalendar.services import official_year_load


class Command(BaseCommand):
    help = "Load a year's official holidays and swapped working days (preview with --dry-run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True)
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--notice", type=Path, help="the State Council's notice as text (UTF-8)")
        source.add_argument("--csv", type=Path, help="lines date,holiday|workday,name")
        parser.add_argument("--note", default="", help="stored with the loaded year")
        parser.add_argument("--actor", default="", help="username recorded in the audit trail")
        parser.add_argument("--dry-run", action="store_true", help="show the preview, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["notice"] or options["csv"]
        fmt = schedule.NOTICE if options["notice"] else schedule.CSV
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        year: int = options["year"]
        parsed = schedule.parse(text, year, fmt)
        for row in parsed.rows():
            kind = "workday" if row.is_workday else "holiday"
            problems = f"  ! {'; '.join(row.problems)}" if row.problems else ""
            self.stdout.write(f"{row.date.isoformat()} {row.date:%a} {kind:8} {row.name}{problems}")
        for warning in parsed.warnings:
            self.stdout.write(self.style.WARNING(f"warning: {warning}"))
        for error in parsed.errors:
            self.stderr.write(f"error: {error}")
        if not parsed.ok:
            raise CommandError(f"the schedule of {year} has errors; nothing was loaded")
        summary = f"{len(parsed.holidays)} holidays, {len(parsed.workdays)} swapped working days"
        if options["dry_run"]:
            self.stdout.write(f"dry run: {year}: {summary}; nothing was written")
            return
        actor = None
        if options["actor"]:
            actor = get_user_model().objects.filter(username=options["actor"]).first()
            if actor is None:
                raise CommandError(f"no user {options['actor']!r}")
        try:
            official_year_load(
                actor=actor, year=year, holidays=parsed.holidays, workdays=parsed.workdays, note=options["note"]
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"loaded {year}: {summary}"))

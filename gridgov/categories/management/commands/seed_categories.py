"""``seed_categories [--update]``: create the seed classification (safe to run again)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gridgov.categories.seed import SEED_DEPARTMENTS, seed_categories


class Command(BaseCommand):
    help = (
        "Create the 8 major classes and their minor classes that are missing. Existing categories "
        "are left as they are unless --update is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--update",
            action="store_true",
            help="Also reset existing seed categories to the seed's names, departments, flags and time limits.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = seed_categories(actor=None, update=options["update"])
        self.stdout.write(
            f"Categories: created {report.created}, updated {report.updated}, unchanged {report.unchanged}."
        )
        if report.missing_departments:
            names = {department.code: department.name for department in SEED_DEPARTMENTS}
            self.stdout.write("No department with these codes yet (default department left empty):")
            for code in report.missing_departments:
                self.stdout.write(f"  {code}  {names.get(code, '')}")

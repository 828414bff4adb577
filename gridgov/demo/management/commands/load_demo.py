"""``load_demo [--allow-production-db]``: load the Taiping demo data (safe to run again)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.demo.loader import DemoRefused, accounts_block, load_demo


class Command(BaseCommand):
    help = (
        "Load the fictional Taiping Town demo: areas, departments, categories, staff and the demo accounts. "
        "A second run changes nothing. Refuses to run with DEBUG off."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production-db",
            action="store_true",
            help=(
                "Load even with DEBUG off, e.g. into a training or staging database. Never on a real "
                "production database: the demo accounts share a password published in the README."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = load_demo(actor=None, allow_production_db=options["allow_production_db"])
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        if report.changed:
            self.stdout.write(
                f"Demo data loaded: {report.areas_created} areas created, {report.areas_updated} updated; "
                f"{report.departments_changed} departments, {report.categories.created} categories, "
                f"{report.users_created} users and {report.roles_created} roles created or changed."
            )
        else:
            self.stdout.write("Demo data already in place: nothing changed.")
        self.stdout.write(accounts_block())

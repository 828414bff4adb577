"""``load_demo [--allow-production-db] [--no-cases] [--cases N] [--ledger N] [--no-hotline] [--hotline N]
[--no-patrols] [--no-visits]``: load the Taiping demo data, staff photos, its case history, hotline
orders, patrols, households and their visits, and what follows from them (safe to run again)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.demo.analysis import WEEKS as ANALYSIS_WEEKS
from gridgov.demo.analysis import load_demo_analysis
from gridgov.demo.assessment import load_demo_assessment
from gridgov.demo.assignments import load_demo_assignments
from gridgov.demo.bulletins import load_demo_bulletins
from gridgov.demo.cases import DEFAULT_COUNT, load_demo_cases
from gridgov.demo.hotline import DEFAULT_ORDER_COUNT, load_demo_hotline
from gridgov.demo.ledger import DEFAULT_ROWS, load_demo_ledger
from gridgov.demo.loader import DemoRefused, accounts_block, load_demo
from gridgov.demo.meetings import load_demo_meetings
from gridgov.demo.notice import load_demo_notice
from gridgov.demo.oversight import load_demo_oversight
from gridgov.demo.patrols import DEFAULT_DAYS, load_demo_patrols
from gridgov.demo.staff import load_demo_staff_photos
from gridgov.demo.visits import load_demo_visits


class Command(BaseCommand):
    help = (
        "Load the fictional Taiping Town demo: areas, departments, categories, staff and their photos, "
        "the demo accounts, a few hundred historical cases and hotline orders, and patrols. "
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
        parser.add_argument("--no-cases", action="store_true", help="Do not create the historical demo cases.")
        parser.add_argument(
            "--cases",
            type=int,
            default=DEFAULT_COUNT,
            help=f"How many historical cases to create when there are none yet (default {DEFAULT_COUNT}).",
        )
        parser.add_argument(
            "--ledger",
            type=int,
            default=DEFAULT_ROWS,
            help=f"How many rows the imported historical ledger has (default {DEFAULT_ROWS}; 0 for none).",
        )
        parser.add_argument("--no-hotline", action="store_true", help="Do not create the historical hotline orders.")
        parser.add_argument(
            "--hotline",
            type=int,
            default=DEFAULT_ORDER_COUNT,
            help=f"How many hotline orders to create when there are none yet (default {DEFAULT_ORDER_COUNT}).",
        )
        parser.add_argument(
            "--weeks",
            type=int,
            default=ANALYSIS_WEEKS,
            help=f"How many past weeks of grid analyses to write when there are none yet (default {ANALYSIS_WEEKS}).",
        )
        parser.add_argument(
            "--no-visits", action="store_true", help="Do not register the demo households and units and their visits."
        )
        parser.add_argument(
            "--no-patrols",
            action="store_true",
            help=f"Do not record the demo patrols (the last {DEFAULT_DAYS} days, when there are none yet).",
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
        self._timed("Staff photos drawn: {n}", load_demo_staff_photos, options["allow_production_db"])
        cases_made = 0
        if not options["no_cases"]:
            cases_made = self._load_cases(options["cases"], options["allow_production_db"])
        # The ledger comes with a fresh case history only (a town that has cases keeps them as
        # they are).
        if cases_made and options["ledger"] > 0:
            rows = options["ledger"]
            self._timed(
                "Historical ledger imported: {n} closed cases of the six months before",
                lambda allow_production_db: load_demo_ledger(rows=rows, allow_production_db=allow_production_db),
                options["allow_production_db"],
            )
        if not options["no_hotline"]:
            self._load_hotline(options["hotline"], options["allow_production_db"])
        if not options["no_patrols"]:
            self._timed(
                f"Demo patrols recorded: {{n}} over the last {DEFAULT_DAYS} days",
                load_demo_patrols,
                options["allow_production_db"],
            )
        # Residents' reports are cases: added only with the demo's own cases.
        self._timed(
            "Public notice: {n} staff published",
            functools.partial(load_demo_notice, reports=bool(cases_made)),
            options["allow_production_db"],
        )
        if not options["no_visits"]:
            self._timed(
                "Demo households, units and key places registered, visits recorded: {n}",
                load_demo_visits,
                options["allow_production_db"],
            )
        if not options["no_cases"]:
            self._timed("Monthly bulletins generated: {n}", load_demo_bulletins, options["allow_production_db"])
            self._timed(
                "Weekly analyses generated: {n}",
                functools.partial(load_demo_analysis, weeks=options["weeks"]),
                options["allow_production_db"],
            )
            if cases_made:
                # Its resolutions make a case: only beside the demo's own case history.
                self._timed("Opinion meetings: {n}", load_demo_meetings, options["allow_production_db"])
                self._timed("Discipline oversight: {n} rows", load_demo_oversight, options["allow_production_db"])
                self._timed(
                    "Assessment periods computed and published: {n}",
                    load_demo_assessment,
                    options["allow_production_db"],
                )
            self._timed("Leaders' tasks: {n}", load_demo_assignments, options["allow_production_db"])
        self.stdout.write(accounts_block())

    def _load_cases(self, count: int, allow_production_db: bool) -> int:
        started = time.perf_counter()
        made = load_demo_cases(count=count, allow_production_db=allow_production_db)
        if made:
            self.stdout.write(
                f"Demo cases created: {made} cases over the last six months in {time.perf_counter() - started:.1f} s."
            )
        else:
            self.stdout.write("Cases already exist: no demo cases added.")
        return made

    def _load_hotline(self, count: int, allow_production_db: bool) -> None:
        started = time.perf_counter()
        made = load_demo_hotline(count=count, allow_production_db=allow_production_db)
        if made:
            self.stdout.write(
                f"Demo hotline orders created: {made} orders over the last six months "
                f"in {time.perf_counter() - started:.1f} s."
            )
        else:
            self.stdout.write("Hotline orders already exist: no demo orders added.")

    def _timed(self, message: str, load: Callable[..., int], allow_production_db: bool) -> None:
        started = time.perf_counter()
        made = load(allow_production_db=allow_production_db)
        if made:
            self.stdout.write(f"{message.format(n=made)} in {time.perf_counter() - started:.1f} s.")

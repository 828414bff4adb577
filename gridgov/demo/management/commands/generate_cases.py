"""``generate_cases N [--town CODE] [--open-share 0.6] [--seed S] [--batch 1000]``: fill a database
with cases made through the case services, for benchmarks and load tests."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.demo.cases import DEMO_CASES_SEED, CaseGenerator, Cast
from gridgov.demo.loader import DemoRefused, check_allowed


class Command(BaseCommand):
    help = (
        "Create N cases through the case services (case_create and case_act with past times), following "
        "the same paths as the demo history: closed, voided, merged, returned, rework, extensions, parked, "
        "and open in every status. Needs areas with grid workers, a center operator, departments with "
        "handlers and categories (e.g. load_demo --no-cases)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", type=int, help="How many cases to create.")
        parser.add_argument("--town", default=None, help="Code of the town (default: the first town).")
        parser.add_argument(
            "--open-share", type=float, default=0.6, help="Share of cases left open (0 to 1, default 0.6)."
        )
        parser.add_argument("--seed", type=int, default=DEMO_CASES_SEED, help="Random seed (same seed, same cases).")
        parser.add_argument("--batch", type=int, default=1000, help="Cases per transaction (default 1000).")
        parser.add_argument("--days", type=int, default=182, help="Spread the reports over this many days.")
        parser.add_argument(
            "--allow-production-db",
            action="store_true",
            help="Run with DEBUG off (a throwaway bench or training database only).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            check_allowed(allow_production_db=options["allow_production_db"])
        except DemoRefused as refused:
            raise CommandError("Invented cases go only into a development or bench database: " + str(refused)) from None
        count: int = options["count"]
        if count < 0:
            raise CommandError("The count must not be negative.")
        if not 0 <= options["open_share"] <= 1:
            raise CommandError("--open-share must be between 0 and 1.")
        try:
            cast = Cast.load(options["town"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        generator = CaseGenerator(
            cast, seed=options["seed"], open_share=options["open_share"], window_days=max(options["days"], 1)
        )
        started = time.perf_counter()

        def progress(done: int) -> None:
            elapsed = time.perf_counter() - started
            rate = done / elapsed if elapsed else 0.0
            self.stdout.write(f"{done:,}/{count:,} cases, {rate:,.1f} cases/s")

        stats = generator.run(count, batch=max(options["batch"], 1), progress=progress)
        elapsed = time.perf_counter() - started
        statuses = ", ".join(f"{status} {n:,}" for status, n in sorted(stats.by_status.items()))
        self.stdout.write(
            f"Created {stats.created:,} cases with {stats.actions:,} actions in {elapsed:.1f} s "
            f"({stats.created / elapsed if elapsed else 0:,.1f} cases/s). By status: {statuses}."
        )

"""Compare the statistics' rollups (grid and coarse rows) with a recount of the cases, town by town, then the rows
that span towns (a district's) with the sums of the district's grid rows (docs/stats.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.areas.models import AreaLevel
from gridgov.areas.selectors import codes_by_id, latest_by_code
from gridgov.cases import rollups
from gridgov.core import pathfield

SHOWN = 20  # differing rows printed per town


class Command(BaseCommand):
    help = "Compare the statistics rollups with a full recount of the cases; --repair rewrites what differs"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--town", help="the code of one town (default: every town with cases)")
        parser.add_argument(
            "--repair",
            action="store_true",
            help="rewrite the rows of a town that differ (a district's only without --town)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code = options.get("town") or ""
        if code:
            town = latest_by_code(code)
            if town is None or town.level != AreaLevel.TOWN:
                raise CommandError(f"no town {code!r}")
            towns = [(town.code, town.path)]
        else:
            towns = self.towns()
        differing = 0
        for town_code, path in towns:
            differing += self.report(town_code, rollups.check(path, repair=options["repair"]))
        # The districts' rows, once their towns' grid rows are right (repaired, if asked). They
        # are the sums of every town's grid rows: with --town the other towns' are not checked,
        # so a district's are compared only (a wrong grid row elsewhere would be written in).
        districts = sorted({rollups.path_prefix(path, rollups.DISTRICT_DEPTH) for _code, path in towns})
        for path in districts:
            outcome = rollups.check(path, repair=options["repair"] and not code, from_grid_rows=True)
            differing += self.report(self.code_of(path), outcome)
            if outcome.differences and options["repair"] and code:
                self.stdout.write("  (the district's rows count every town: repair them without --town)")
        self.stdout.write(f"{len(towns)} towns and {len(districts)} districts checked, {differing} differ")
        if differing:
            raise SystemExit(1)

    def report(self, code: str, outcome: rollups.Outcome) -> int:
        """Print one area's outcome; 1 when it differs and was not repaired."""
        status = "repaired" if outcome.repaired else ("differ" if outcome.differences else "ok")
        counts = f"{outcome.keys} rows, {len(outcome.differences)} differ"
        self.stdout.write(f"{code}: {counts}, {status} ({outcome.seconds:.1f} s)")
        for key, measures in list(outcome.differences.items())[:SHOWN]:
            shown = ", ".join(f"{m} kept {kept} counted {counted}" for m, (kept, counted) in sorted(measures.items()))
            self.stdout.write(f"  {rollups.describe(key)}: {shown}")
        return 1 if outcome.differences and not outcome.repaired else 0

    def code_of(self, path: str) -> str:
        """The code of the area at ``path`` (the path itself if it has none)."""
        ids = pathfield.parts(path)
        return codes_by_id([int(ids[-1])]).get(int(ids[-1]), path) if ids else path

    def towns(self) -> list[tuple[str, str]]:
        """Every town in force."""
        from gridgov.areas.models import Area

        towns = Area.objects.current().filter(level=AreaLevel.TOWN).order_by("code")
        return [(town.code, town.path) for town in towns]

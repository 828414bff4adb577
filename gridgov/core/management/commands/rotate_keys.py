"""Re-encrypt the personal data at rest under the first key of ``GRIDGOV_FIELD_KEYS``."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gridgov.core.keyrotation import rotate_keys, rotation_status


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column under the first configured key (put the new key first "
        "in GRIDGOV_FIELD_KEYS, run this, then retire the older keys but the oldest). "
        "--check only counts what is not yet under the first key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Count only; write nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = rotation_status() if options["check"] else rotate_keys()
        for column in sorted(report.values):
            self.stdout.write(
                f"{column}: {report.values[column]} values, {report.stale[column]} not under the first key, "
                f"{report.rewritten[column]} re-encrypted, {report.unreadable[column]} unreadable"
            )
        if any(report.unreadable.values()):
            self.stderr.write("Some values open with no configured key: a key was removed too early.")
            sys.exit(1)
        if options["check"] and any(report.stale.values()):
            sys.exit(2)

"""Check the audit log's hash chain and its database guard; exit 1 at the first broken link."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from gridgov.core.audit import GENESIS, verify_chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; report the first broken link and exit with 1."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_chain()
        if report.broken is not None:
            self.stderr.write(f"BROKEN at audit event #{report.broken.id}: {report.broken.reason}.")
            self.stderr.write(f"{report.rows} events before it verified.")
            sys.exit(1)
        anchor = "the start of the log" if report.anchor == GENESIS else f"archived hash {report.anchor}"
        self.stdout.write(f"OK: {report.rows} audit events chained from {anchor}.")
        self.stdout.write(f"Head hash: {report.head or '(empty log)'}")
        if not report.triggers:
            self.stderr.write("The database triggers that keep the audit table append-only are missing.")
            sys.exit(1)

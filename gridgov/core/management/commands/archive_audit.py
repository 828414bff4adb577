"""Move audit events older than a date to a JSON-lines file (they must be past the retention)."""

from __future__ import annotations

import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from gridgov.core.audit import ArchiveRefused, archive_before, retention_days


class Command(BaseCommand):
    help = (
        "Export the audit events written before --before (a date, local time) to --out (JSON lines "
        "with the chain head hash) and delete them. Refuses events younger than the retention "
        "(GRIDGOV_AUDIT_RETENTION_DAYS, default 180 days)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--out", required=True, type=Path, help="a new file; never overwritten")

    def handle(self, *args: Any, **options: Any) -> None:
        before = timezone.make_aware(datetime.combine(options["before"], time.min))
        try:
            report = archive_before(before=before, out=options["out"])
        except ArchiveRefused as refused:
            self.stderr.write(str(refused))
            sys.exit(1)
        if not report.rows:
            self.stdout.write(f"No audit events before {options['before']}; nothing archived.")
            return
        self.stdout.write(
            f"Archived {report.rows} audit events (#{report.first_id}-#{report.last_id}) to {report.path}; "
            f"head hash {report.last_hash}; file SHA-256 {report.file_sha256}. "
            f"Retention: {retention_days()} days."
        )

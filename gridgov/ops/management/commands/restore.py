"""Restore a backup into an empty database and media folder, then verify it (docs/operations.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.core.audit import record
from gridgov.ops import backup


class Command(BaseCommand):
    help = (
        "Restore a backup folder into the configured database (which must be empty) and MEDIA_ROOT "
        "(which must have no files); compare the counts with the manifest and verify the audit chain."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path, help="A folder written by `manage.py backup`.")
        parser.add_argument("--check-only", action="store_true", help="Only verify the files against the manifest.")

    def handle(self, *args: Any, **options: Any) -> None:
        folder: Path = options["folder"]
        try:
            manifest = backup.read_manifest(folder)
            backup.verify_files(folder, manifest)
            if options["check_only"]:
                self.stdout.write(f"OK: the files of {folder} match the manifest.")
                return
            report = backup.restore(folder)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        if not report.ok:
            for line in report.mismatches:
                self.stderr.write(f"MISMATCH: {line}")
            raise CommandError("The restored data does not match the backup's manifest.")
        record(
            action="ops.restore",
            object_type="backup",
            object_id=folder.name,
            data={"rows": report.rows, "media_files": report.media_files, "audit_head": report.audit_head},
        )
        self.stdout.write(
            f"Restored {folder.name}: {report.tables} tables, {report.rows} rows and {report.media_files} media "
            f"files match the manifest; audit chain intact ({report.audit_rows} events, head {report.audit_head})."
        )

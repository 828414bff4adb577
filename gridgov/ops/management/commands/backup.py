"""Back up the database and the media folder, with a manifest (docs/operations.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from gridgov.core.audit import record
from gridgov.ops import backup


class Command(BaseCommand):
    help = "Write a backup folder: the database, the media folder (ciphertext) and manifest.json."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, default=None, help="Parent folder (default GRIDGOV_BACKUP_DIR).")
        parser.add_argument("--keep", type=int, default=0, help="Then delete all but the newest N backups there.")

    def handle(self, *args: Any, **options: Any) -> None:
        out = options["out"] or Path(settings.GRIDGOV_BACKUP_DIR)
        try:
            folder = backup.backup(out)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        manifest = backup.read_manifest(folder)
        record(
            action="ops.backup",
            object_type="backup",
            object_id=folder.name,
            data={
                "rows": manifest["rows"],
                "media_files": manifest["media_files"],
                "audit_head": manifest["audit_head"],
                "files": {name: entry["sha256"] for name, entry in manifest["files"].items()},
            },
        )
        self.stdout.write(
            f"Backup written: {folder}\n"
            f"  {len(manifest['tables'])} tables, {manifest['rows']} rows; "
            f"{manifest['media_files']} media files ({manifest['media_bytes']} bytes, encrypted: "
            f"{'yes' if manifest['media_encrypted'] else 'NO'}); audit head {manifest['audit_head'] or '(empty)'}"
        )
        if options["keep"]:
            for path in backup.prune(out, options["keep"]):
                self.stdout.write(f"  deleted the older backup {path.name}")
        if options["verbosity"] > 1:
            self.stdout.write(json.dumps(manifest["files"], indent=2))

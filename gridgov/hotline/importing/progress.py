"""The progress of a running import (or of the reading of its file), kept in the cache (cheap to
write after every row), and when a run is taken for dead: the shared
:class:`gridgov.core.importjobs.JobProgress` for the hotline's import jobs."""

from __future__ import annotations

from typing import Final

from gridgov.core import importjobs

from ..models import ImportStatus

PROGRESS_TTL: Final = importjobs.PROGRESS_TTL
STALE_AFTER: Final = importjobs.STALE_AFTER

PROGRESS: Final = importjobs.JobProgress(
    "hotline-import",
    running=(ImportStatus.IMPORTING, ImportStatus.READING),
    done=ImportStatus.DONE,
    importing=ImportStatus.IMPORTING,
)

progress_key = PROGRESS.key
progress_set = PROGRESS.set
progress_get = PROGRESS.get
last_progress_at = PROGRESS.last_at
job_stale = PROGRESS.stale

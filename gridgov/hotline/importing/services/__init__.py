"""Import of upstream exports: upload, column mapping, preview, the import itself.

The steps, each a service with an ``actor``; the job's statuses move only on the workflow
engine, by the table in :mod:`gridgov.hotline.importing.transitions` (:mod:`.flow`):

1. :func:`import_upload` stores the file as an :class:`ImportJob` and hands it to the worker:
   :func:`import_read` reads it streaming, within the import's ceilings, outside any
   transaction (:mod:`.read`), and records the detected header row, a suggested mapping (the
   one remembered for the source, else the known headers), the data rows and a totals row; or
   refuses the file with the reason.
2. :func:`import_header` / :func:`import_map` set the header row and the mapping; the mapping is
   remembered per source (:class:`ColumnMapping`) (:mod:`.mapping`).
3. :func:`build_preview` (a read) validates every row and compares it with the database
   (:mod:`.preview`).
4. :func:`import_start` queues :func:`import_run` (a Celery task), which writes every valid row
   through :func:`gridgov.hotline.services.order_receive`, a batch of rows per short
   transaction: if a row fails, its batch rolls back, the job shows the reason and can be
   started again. The progress lives in the cache (:mod:`.run`,
   :mod:`gridgov.hotline.importing.progress`).
5. :func:`import_reset` puts a run whose worker died back to the preview; :func:`purge_files`
   deletes the stored exports nobody needs any more (:mod:`.cleanup`).

Rows: a row lacking its number, content or a readable received time is skipped; any other
doubtful value is imported with a review flag (:mod:`gridgov.hotline.review`).

Duplicates inside a file: the first valid row with a number is imported; a later row with the
same number is skipped as a duplicate of that row (the report says which, and whether it
differed). Columns the mapping leaves out keep the existing order's values on an update.

Refusals are the core errors (:mod:`gridgov.core.errors`; ``ImportRefused`` is their base):
404 (not visible), 403, 409 (wrong state) or 422 with field ``details``.
"""

from __future__ import annotations

from ..progress import (
    PROGRESS_TTL,
    STALE_AFTER,
    job_stale,
    last_progress_at,
    progress_get,
    progress_key,
    progress_set,
)
from .cleanup import KEEP_FAILED, KEEP_UNIMPORTED, import_reset, purge_files
from .flow import IMPORTS, ImportRefused, file_gone_message, may_reset, may_write_orders
from .mapping import MAX_BYTES, MAX_ROWS, Columns, import_header, import_map, import_upload, job_columns, limits
from .preview import (
    CREATE,
    CREATED,
    SKIP,
    SKIPPED,
    UNCHANGED,
    UPDATE,
    UPDATED,
    Preview,
    PreviewRow,
    build_preview,
)
from .read import import_read, read_upload
from .run import BATCH_ROWS, import_run, import_start

IMPORTS.check_complete()

__all__ = [
    "BATCH_ROWS",
    "CREATE",
    "CREATED",
    "IMPORTS",
    "KEEP_FAILED",
    "KEEP_UNIMPORTED",
    "MAX_BYTES",
    "MAX_ROWS",
    "PROGRESS_TTL",
    "SKIP",
    "SKIPPED",
    "STALE_AFTER",
    "UNCHANGED",
    "UPDATE",
    "UPDATED",
    "Columns",
    "ImportRefused",
    "Preview",
    "PreviewRow",
    "build_preview",
    "file_gone_message",
    "import_header",
    "import_map",
    "import_read",
    "import_reset",
    "import_run",
    "import_start",
    "import_upload",
    "job_columns",
    "job_stale",
    "last_progress_at",
    "limits",
    "may_reset",
    "may_write_orders",
    "progress_get",
    "progress_key",
    "progress_set",
    "purge_files",
    "read_upload",
]

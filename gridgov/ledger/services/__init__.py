"""The ledger import's steps, each a service with an ``actor``; the job's statuses move only on
the workflow engine (:data:`LEDGER_IMPORTS`, table in :mod:`gridgov.ledger.transitions`):

1. :func:`ledger_upload` stores the file as a :class:`LedgerImport` and hands it to the worker:
   :func:`ledger_read` reads it streaming within the hotline import's ceilings (the shared
   reader of :mod:`gridgov.core.uploads` and :mod:`gridgov.core.tables`), finds the header row
   and suggests a mapping (the one remembered for the town, else the known headers).
2. :func:`ledger_map` sets the mapping (remembered per town, :class:`LedgerMapping`).
3. :func:`build_preview` (a read) reads and matches every row and counts what the import would
   do: new, already imported, flagged, refused.
4. :func:`ledger_start` queues :func:`ledger_run` (a Celery task), which writes each row through
   :func:`gridgov.cases.services.historical.case_import_historical`, a batch of rows per
   transaction; a failure rolls its batch back and the job says why (start it again: the rows
   already in are found unchanged). The row report is kept on the job.

Matching names (:class:`Matcher`): a category, a grid or village, a department is matched by
its code or name exactly, else approximately (one whose name contains the cell's text or the
other way round, when only one does: flagged), else the fallbacks (the classification's "other"
category, the town, no department: flagged).

The parts:

- :mod:`.common`: the job on the workflow engine (:data:`LEDGER_IMPORTS`), its progress, the
  constants the steps share;
- :mod:`.reading`: upload and reading (:func:`ledger_upload`, :func:`ledger_read`);
- :mod:`.mapping`: the file's columns and :func:`ledger_map`;
- :mod:`.matching`: matching names (:class:`Matcher`);
- :mod:`.preview`: :func:`build_preview`;
- :mod:`.run`: :func:`ledger_start` and :func:`ledger_run`;
- :mod:`.report`: the row report (rows, Excel).

Every public name is importable from here, as callers always did.
"""

from __future__ import annotations

from .common import (
    AGAIN,
    AUDIT,
    BATCH_ROWS,
    LEDGER_IMPORTS,
    MAX_ROWS,
    NEW,
    PROGRESS,
    PROGRESS_TTL,
    REFUSED,
    JobActor,
    JobStep,
    LedgerFlow,
    LedgerRefused,
    job_for,
    progress_get,
    progress_key,
    progress_set,
    read_job,
)
from .mapping import Columns, job_columns, ledger_map
from .matching import Matcher, fallback_category
from .preview import Preview, PreviewRow, build_preview
from .reading import ReadResult, ledger_read, ledger_upload, read_upload
from .report import at_local, outcome_label, report_names, report_rows, report_workbook
from .run import ledger_run, ledger_start

LEDGER_IMPORTS.check_complete()

__all__ = [
    "AGAIN",
    "AUDIT",
    "BATCH_ROWS",
    "LEDGER_IMPORTS",
    "MAX_ROWS",
    "NEW",
    "PROGRESS",
    "PROGRESS_TTL",
    "REFUSED",
    "Columns",
    "JobActor",
    "JobStep",
    "LedgerFlow",
    "LedgerRefused",
    "Matcher",
    "Preview",
    "PreviewRow",
    "ReadResult",
    "at_local",
    "build_preview",
    "fallback_category",
    "job_columns",
    "job_for",
    "ledger_map",
    "ledger_read",
    "ledger_run",
    "ledger_start",
    "ledger_upload",
    "outcome_label",
    "progress_get",
    "progress_key",
    "progress_set",
    "read_job",
    "read_upload",
    "report_names",
    "report_rows",
    "report_workbook",
]

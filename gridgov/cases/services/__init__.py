"""Writes of the case loop: create a case, apply an action, add photos, sweep deadlines.

Every function runs in one transaction, locks the case row it changes, writes a
:class:`~gridgov.cases.models.CaseEvent` for each change and queues notifications through the
outbox in the same transaction. :func:`case_act` is the only code that changes a case's status
after creation: it runs the table of :mod:`gridgov.cases.transitions` on the core workflow
engine (``docs/workflow.md``).

The parts:

- :mod:`.create`: ``case_create`` (a report, or a self-handled case);
- :mod:`.numbers`: case numbers per town and year (taken last in a report on PostgreSQL);
- :mod:`.act`: ``case_act`` and ``allowed_actions``, on :mod:`.workflow` (the engine's hooks
  for cases) with one effect per action in :mod:`.effects`;
- :mod:`.clock`: stage bookkeeping (``CaseStage`` rows and their mirror on the case);
- :mod:`.idempotency`: idempotency keys of reports, actions and photos;
- :mod:`.attachments`: photos (checks, storage, thumbnails, photos added on their own);
- :mod:`.notifications`: recipients and notices;
- :mod:`.sweep`: the deadline sweep;
- :mod:`.audit`: exports and reveals, which leave an audit row.

Every public name is importable from here, as callers always did.
"""

from __future__ import annotations

from ..transitions import ACTION_LABELS, TABLE, Action, Party
from .act import BATCH_MAX, BatchOutcome, allowed_actions, case_act, cases_act_batch
from .attachments import (
    ACTION_PHOTO_KIND,
    PHOTO_KIND_PARTIES,
    PHOTO_NEEDED,
    attachments_add,
    attachments_add_once,
    may_add_photos,
    photo_required,
    thumbnails_make,
)
from .audit import export_recorded, reveal_party
from .common import (
    CLOSE_HOOKS,
    COMMENT_MAX,
    DESCRIPTION_MAX,
    EXTENSION_DAYS_MAX,
    MAX_PHOTOS,
    CaseConflict,
    CaseError,
    CaseForbidden,
    CaseNotFound,
    Photo,
    case_url,
)
from .create import (
    CENTER_ROLES,
    FIELD_SOURCES,
    REPORTER_ROLES,
    _covers_path,
    case_create,
    public_case_create,
    sources_allowed,
)
from .desk import case_create_dispatched
from .idempotency import KEY_REUSED
from .notifications import recipient_ids, responsible
from .sweep import SWEEP_KINDS, sweep_due
from .workflow import CASE_WORKFLOW, CaseWorkflow

__all__ = [
    "ACTION_LABELS",
    "ACTION_PHOTO_KIND",
    "BATCH_MAX",
    "CASE_WORKFLOW",
    "CENTER_ROLES",
    "CLOSE_HOOKS",
    "COMMENT_MAX",
    "DESCRIPTION_MAX",
    "EXTENSION_DAYS_MAX",
    "FIELD_SOURCES",
    "KEY_REUSED",
    "MAX_PHOTOS",
    "PHOTO_KIND_PARTIES",
    "PHOTO_NEEDED",
    "REPORTER_ROLES",
    "SWEEP_KINDS",
    "TABLE",
    "Action",
    "BatchOutcome",
    "CaseConflict",
    "CaseError",
    "CaseForbidden",
    "CaseNotFound",
    "CaseWorkflow",
    "Party",
    "Photo",
    "_covers_path",
    "allowed_actions",
    "attachments_add",
    "attachments_add_once",
    "case_act",
    "case_create",
    "case_create_dispatched",
    "case_url",
    "cases_act_batch",
    "export_recorded",
    "may_add_photos",
    "photo_required",
    "public_case_create",
    "recipient_ids",
    "responsible",
    "reveal_party",
    "sources_allowed",
    "sweep_due",
    "thumbnails_make",
]

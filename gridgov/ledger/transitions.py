"""The table of a ledger import job on the workflow engine (``docs/workflow.md``): the same life
as the hotline's import of upstream exports: reading (the worker reads the upload) → uploaded,
or refused → mapped and previewed → importing → done or failed; a failed job may be mapped and
started again.

The parties: an importer (a center operator or an administrator of the job's town, see
:func:`gridgov.ledger.selectors.may_import`) and the worker (the run itself, acting for the
importer who started it)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.core.workflow import Guard, Transition, row

from . import parse
from .models import LedgerImport, LedgerStatus


class LedgerParty(StrEnum):
    IMPORTER = "importer"
    WORKER = "worker"


class LedgerAction(StrEnum):
    READ = "read"
    REFUSE = "refuse"
    MAP = "map"
    START = "start"
    FINISH = "finish"
    FAIL = "fail"


def _mapped(job: LedgerImport) -> bool:
    return all(name in job.mapping for name in parse.REQUIRED_FIELDS)


MAPPED: Final[Guard[LedgerImport]] = Guard(
    "mapping_incomplete", _("The mapping is incomplete."), lambda job, _now: _mapped(job)
)

S = LedgerStatus
P = LedgerParty
EDITABLE: Final = {S.UPLOADED, S.PREVIEWED, S.FAILED}

ROWS: Final[list[Transition]] = [
    row(LedgerAction.READ, {S.READING}, S.UPLOADED, {P.WORKER}),
    row(LedgerAction.REFUSE, {S.READING}, S.REFUSED, {P.WORKER}),
    row(LedgerAction.MAP, EDITABLE, S.PREVIEWED, {P.IMPORTER}),
    row(LedgerAction.START, {S.PREVIEWED, S.FAILED}, S.IMPORTING, {P.IMPORTER}, MAPPED),
    row(LedgerAction.FINISH, {S.IMPORTING}, S.DONE, {P.WORKER}),
    row(LedgerAction.FAIL, {S.IMPORTING}, S.FAILED, {P.WORKER}),
]

LABELS: Final[dict[str, Promise]] = {
    LedgerAction.READ: _("File read"),
    LedgerAction.REFUSE: _("File refused"),
    LedgerAction.MAP: _("Map the columns"),
    LedgerAction.START: _("Import"),
    LedgerAction.FINISH: _("Done"),
    LedgerAction.FAIL: _("Failed"),
}
INVALID: Final[dict[str, Promise]] = {
    LedgerAction.READ: _("This file has already been read."),
    LedgerAction.REFUSE: _("This file has already been read."),
    LedgerAction.MAP: _("This import has already run."),
    LedgerAction.START: _("This import cannot be started now."),
    LedgerAction.FINISH: _("This import is no longer running."),
    LedgerAction.FAIL: _("This import is no longer running."),
}
FORBIDDEN: Final[dict[str, Promise]] = {
    LedgerAction.READ: _("Only the import's own run reads its file."),
    LedgerAction.REFUSE: _("Only the import's own run reads its file."),
    LedgerAction.MAP: _("Only the center may import a historical ledger."),
    LedgerAction.START: _("Only the center may import a historical ledger."),
    LedgerAction.FINISH: _("Only the import's own run finishes it."),
    LedgerAction.FAIL: _("Only the import's own run finishes it."),
}

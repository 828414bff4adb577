"""The table of an import job (:class:`~gridgov.hotline.models.ImportJob`) on the workflow
engine: reading (the worker reads the upload) → uploaded, or refused when the file cannot be
read or goes beyond a ceiling → (header, mapping) → previewed → started (importing) → done or
failed; a failed job may be mapped and started again; a run whose worker died goes back to
previewed.

The parties are how the actor relates to the job: an importer (center operator or
administrator of its town, who also sees it), a writer (one the order services accept orders
from: a center operator), the town's center (who may reset a dead run) and the worker (the
run itself, acting for the operator who started it)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.core.workflow import Guard, Transition, row

from ..models import ImportJob, ImportStatus
from . import parse
from .progress import job_stale


class ImportParty(StrEnum):
    IMPORTER = "importer"
    WRITER = "writer"
    TOWN_CENTER = "town_center"
    WORKER = "worker"


class ImportAction(StrEnum):
    READ = "read"
    REFUSE = "refuse"
    HEADER = "header"
    MAP = "map"
    START = "start"
    FINISH = "finish"
    FAIL = "fail"
    RESET = "reset"


def _mapped(job: ImportJob) -> bool:
    return all(name in job.mapping for name in parse.REQUIRED_FIELDS)


MAPPED: Final[Guard[ImportJob]] = Guard(
    "mapping_incomplete", _("The mapping is incomplete."), lambda job, _now: _mapped(job)
)
# A run is reset only when its worker is taken for dead; a live run is never taken from it.
STALLED: Final[Guard[ImportJob]] = Guard(
    "still_running",
    _("This import is still making progress; wait for it."),
    lambda job, now: job_stale(job, now=now),
)

S = ImportStatus
P = ImportParty
EDITABLE: Final = {S.UPLOADED, S.PREVIEWED, S.FAILED}


ROWS: Final[list[Transition]] = [
    row(ImportAction.READ, {S.READING}, S.UPLOADED, {P.WORKER}),
    row(ImportAction.REFUSE, {S.READING}, S.REFUSED, {P.WORKER}),
    row(ImportAction.HEADER, EDITABLE, S.UPLOADED, {P.IMPORTER}),
    row(ImportAction.MAP, EDITABLE, S.PREVIEWED, {P.IMPORTER}),
    row(ImportAction.START, {S.PREVIEWED, S.FAILED}, S.IMPORTING, {P.WRITER}, MAPPED),
    row(ImportAction.FINISH, {S.IMPORTING}, S.DONE, {P.WORKER}),
    row(ImportAction.FAIL, {S.IMPORTING}, S.FAILED, {P.WORKER}),
    row(ImportAction.RESET, {S.IMPORTING}, S.PREVIEWED, {P.TOWN_CENTER}, STALLED),
]
TABLE: Final[dict[str, Transition]] = {t.action: t for t in ROWS}


LABELS: Final[dict[str, Promise]] = {
    ImportAction.READ: _("File read"),
    ImportAction.REFUSE: _("File refused"),
    ImportAction.HEADER: _("Choose the header row"),
    ImportAction.MAP: _("Map the columns"),
    ImportAction.START: _("Import"),
    ImportAction.FINISH: _("Done"),
    ImportAction.FAIL: _("Failed"),
    ImportAction.RESET: _("Reset"),
}
# Why a move is refused in the job's status (409), per action.
INVALID: Final[dict[str, Promise]] = {
    ImportAction.READ: _("This file has already been read."),
    ImportAction.REFUSE: _("This file has already been read."),
    ImportAction.HEADER: _("This import has already run."),
    ImportAction.MAP: _("This import has already run."),
    ImportAction.START: _("This import cannot be started now."),
    ImportAction.FINISH: _("This import is no longer running."),
    ImportAction.FAIL: _("This import is no longer running."),
    ImportAction.RESET: _("Only a running import can be reset."),
}
# Why a move is not the actor's (403), per action.
FORBIDDEN: Final[dict[str, Promise]] = {
    ImportAction.READ: _("Only the import's own run reads its file."),
    ImportAction.REFUSE: _("Only the import's own run reads its file."),
    ImportAction.HEADER: _("Only the center may import hotline orders."),
    ImportAction.MAP: _("Only the center may import hotline orders."),
    ImportAction.START: _("Only a center operator can bring the orders in."),
    ImportAction.FINISH: _("Only the import's own run finishes it."),
    ImportAction.FAIL: _("Only the import's own run finishes it."),
    ImportAction.RESET: _("Only a center operator of the town can reset an import."),
}

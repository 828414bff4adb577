"""The ledger import's job on the workflow engine (:data:`LEDGER_IMPORTS`), its progress, and
what the steps share: constants, the job as an actor sees it, the stored rows file.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from django.db.models import Q
from django.utils.translation import gettext as _

from gridgov.core import importjobs, tables
from gridgov.core.actors import Actor
from gridgov.core.audit import record
from gridgov.core.errors import DomainError, Forbidden, NotFound
from gridgov.core.workflow import Step, Transition, Workflow

from .. import selectors
from ..models import LedgerImport, LedgerStatus
from ..transitions import FORBIDDEN, INVALID, LABELS, ROWS, LedgerAction, LedgerParty

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


logger = logging.getLogger("gridgov.ledger")

LedgerRefused: TypeAlias = DomainError
JobActor: TypeAlias = Actor
JobStep: TypeAlias = Step[LedgerImport, JobActor]

BATCH_ROWS: Final = 100
MAX_ROWS: Final = 5000
PROGRESS_TTL: Final = importjobs.PROGRESS_TTL
REFUSED: Final = "refused"
# Preview outcomes.
NEW: Final = "new"
AGAIN: Final = "again"  # the number was imported before: unchanged or updated

AUDIT: Final[dict[str, tuple[str, bool]]] = {
    LedgerAction.READ: ("ledger.upload", True),
    LedgerAction.REFUSE: ("ledger.upload", False),
    LedgerAction.MAP: ("ledger.mapping", True),
    LedgerAction.START: ("ledger.start", True),
    LedgerAction.FINISH: ("ledger.import", True),
    LedgerAction.FAIL: ("ledger.import", False),
}


# --- the job on the workflow engine -----------------------------------------------------------


def job_for(actor: User | AnonymousUser, job_id: int, *, lock: bool = False) -> LedgerImport:
    """The job if the actor imports and sees it (403 for a non-importer, else 404)."""
    if not selectors.may_import(actor):
        raise Forbidden(_("Only the center may import a historical ledger."))
    query = selectors.jobs_visible(actor)
    if lock:
        query = query.select_for_update(of=("self",))
    try:
        return query.get(pk=job_id)
    except LedgerImport.DoesNotExist:
        raise NotFound(_("No such import.")) from None


class LedgerFlow(Workflow[LedgerImport, JobActor]):
    """The steps of a ledger import. The actor ``None`` is the job's own run (the worker), which
    acts for the operator who started it (``inputs["by"]``, named in the audit row)."""

    model = LedgerImport
    version_field = None

    def parties(self, actor: JobActor, subject: LedgerImport) -> set[str]:
        if actor is None:
            return {LedgerParty.WORKER}
        return {LedgerParty.IMPORTER} if selectors.may_import(actor) else set()

    def visible(self, actor: JobActor) -> Q:
        if actor is None:
            return Q()
        return Q(pk__in=selectors.jobs_visible(actor).values("pk"))

    def lock(self, subject_id: int, actor: JobActor) -> LedgerImport:
        if actor is None:
            return LedgerImport.objects.select_for_update(of=("self",)).get(pk=subject_id)
        return job_for(actor, subject_id, lock=True)

    def forbidden(self, subject: LedgerImport, transition: Transition) -> Forbidden:
        return Forbidden(FORBIDDEN[transition.action])

    def invalid_message(self, subject: LedgerImport, transition: Transition) -> str:
        return str(INVALID[transition.action])

    def record(self, step: JobStep) -> Any:
        action, success = AUDIT[step.action]
        actor = step.input("by", step.actor)
        return record(action=action, actor=actor, obj=step.subject, success=success, data=step.data)


LEDGER_IMPORTS = LedgerFlow("ledger_import", ROWS, labels=LABELS)


# --- progress -----------------------------------------------------------------------------------

PROGRESS = importjobs.JobProgress(
    "ledger-import",
    running=(LedgerStatus.IMPORTING, LedgerStatus.READING),
    done=LedgerStatus.DONE,
    importing=LedgerStatus.IMPORTING,
)
progress_key, progress_set, progress_get = PROGRESS.key, PROGRESS.set, PROGRESS.get


def read_job(job: LedgerImport) -> list[tables.Numbered]:
    if not job.file.name:
        raise tables.ImportFileError(_("The uploaded file is no longer kept; upload it again."))
    with job.file.open("rb") as handle:
        return list(tables.read_numbered(handle))

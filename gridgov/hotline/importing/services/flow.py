"""An import job on the workflow engine: the job's lock and parties, its refusals, and its
audit rows (the history of an import is the audit log)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, TypeAlias

from django.db.models import Q
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.core.actors import Actor
from gridgov.core.audit import record
from gridgov.core.errors import DomainError, Forbidden, NotFound
from gridgov.core.workflow import Step, Transition, Workflow
from gridgov.hotline import services as order_services
from gridgov.people.models import Role

from ...models import ImportJob
from .. import parse, selectors
from ..transitions import FORBIDDEN, INVALID, LABELS, ROWS, ImportAction, ImportParty

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.core.models import AuditEvent

ImportRefused: TypeAlias = DomainError
"""A refused import step: its ``status`` is 404 (not visible), 403, 409 (wrong state) or 422."""

JobActor: TypeAlias = Actor
"""Who takes an import step: the operator, or ``None`` for the job's own run (the worker)."""

JobStep: TypeAlias = Step[ImportJob, JobActor]

# The audit row of each action (none for choosing the header row) and whether it records a
# success.
AUDIT: Final[dict[str, tuple[str, bool]]] = {
    ImportAction.READ: ("hotline.import_upload", True),
    ImportAction.REFUSE: ("hotline.import_upload", False),
    ImportAction.MAP: ("hotline.import_mapping", True),
    ImportAction.START: ("hotline.import_start", True),
    ImportAction.FINISH: ("hotline.import", True),
    ImportAction.FAIL: ("hotline.import", False),
    ImportAction.RESET: ("hotline.import_reset", True),
}


def file_gone_message() -> str:
    return _("The uploaded file was deleted after it stayed unimported for a while; upload it again.")


def job_for(actor: User | AnonymousUser, job_id: int, *, lock: bool = False) -> ImportJob:
    """The job if the actor imports and sees it (403 for a non-importer, else 404)."""
    if not selectors.may_import(actor):
        raise Forbidden(_("Only the center may import hotline orders."))
    query = selectors.jobs_visible(actor)
    if lock:
        query = query.select_for_update(of=("self",))
    try:
        return query.get(pk=job_id)
    except ImportJob.DoesNotExist:
        raise NotFound(_("No such import.")) from None


def read_job(job: ImportJob) -> list[parse.Numbered]:
    """The rows the worker read from the job's file (``(sheet row, cells)``, blank rows left
    out), from the job's stored rows file."""
    if not job.file.name:
        raise parse.ImportFileError(file_gone_message())
    with job.file.open("rb") as handle:
        return list(parse.read_numbered(handle))


def may_write_orders(actor: User | AnonymousUser) -> bool:
    """Whether the order services accept orders from ``actor`` (the same rule as theirs)."""
    return scope_for(actor).has_role(*order_services.RECEIVER_ROLES)


def may_reset(actor: User | AnonymousUser, job: ImportJob) -> bool:
    """Center operators of the job's town (or an area above it) may reset its stale run."""
    paths = scope_for(actor).paths_for_roles(Role.CENTER_OPERATOR)
    return any(job.town.path.startswith(path) for path in paths)


class ImportFlow(Workflow[ImportJob, JobActor]):
    """The steps of an import job. The actor ``None`` is the job's own run (the worker), which
    acts for the operator who started it (``inputs["by"]``, named in the audit row)."""

    model = ImportJob
    version_field = None

    def parties(self, actor: JobActor, subject: ImportJob) -> set[str]:
        if actor is None:
            return {ImportParty.WORKER}
        parties: set[str] = set()
        if selectors.may_import(actor):
            parties.add(ImportParty.IMPORTER)
        if may_write_orders(actor):
            parties.add(ImportParty.WRITER)
        if may_reset(actor, subject):
            parties.add(ImportParty.TOWN_CENTER)
        return parties

    def visible(self, actor: JobActor) -> Q:
        if actor is None:  # the job's own run reaches its job
            return Q()
        return Q(pk__in=selectors.jobs_visible(actor).values("pk"))

    def lock(self, subject_id: int, actor: JobActor) -> ImportJob:
        if actor is None:
            return ImportJob.objects.select_for_update(of=("self",)).get(pk=subject_id)
        return job_for(actor, subject_id, lock=True)

    def forbidden(self, subject: ImportJob, transition: Transition) -> Forbidden:
        return Forbidden(FORBIDDEN[transition.action])

    def invalid_message(self, subject: ImportJob, transition: Transition) -> str:
        return str(INVALID[transition.action])

    def record(self, step: JobStep) -> AuditEvent | None:
        audit = AUDIT.get(step.action)
        if audit is None:
            return None
        action, success = audit
        actor = step.input("by", step.actor)
        return record(action=action, actor=actor, obj=step.subject, success=success, data=step.data)


IMPORTS = ImportFlow("hotline_import", ROWS, labels=LABELS)

"""Bulletin services: ask for a bulletin, generate it in the worker, write it again, and the
monthly schedule. Every change of status goes through the workflow engine (:mod:`.transitions`),
whose history is the audit log (``bulletin.request``, ``bulletin.complete``…).

1. :func:`bulletin_request` makes a new revision (``queued``) for an area and a month and hands
   it to the worker; the figures are not computed in the request.
2. :func:`bulletin_generate` (the Celery task) computes the figures (:mod:`.figures`) unless they
   are frozen already, writes the Word, PDF and Excel documents (:mod:`.documents`), reporting
   its progress, stores them, and completes the bulletin in one short transaction; any error
   fails it with the reason (nothing half-done is shown).
3. :func:`bulletin_act` retries a failed bulletin or writes a finished one's documents again
   from its frozen figures (the same digits).
4. :func:`schedule_monthly` (the beat task, daily): on the first working day of a month, the
   previous month's bulletin of every town and village, once.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import partial
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area, AreaLevel
from gridgov.areas.selectors import areas_visible, current_towns
from gridgov.core.actors import Actor, signed_in
from gridgov.core.audit import record
from gridgov.core.claims import claim
from gridgov.core.dbrouter import replica_reads
from gridgov.core.errors import Conflict, Forbidden, Invalid, NotFound
from gridgov.core.workflow import Step, Workflow
from gridgov.people.models import DESK_ROLES, Role
from gridgov.workcalendar.calendar import is_workday

from . import documents
from .figures import compute
from .models import Bulletin, BulletinStatus
from .transitions import LABELS, ROWS, BulletinAction, BulletinParty

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.core.models import AuditEvent

logger = logging.getLogger("gridgov.bulletins")

LEVELS: Final = (AreaLevel.TOWN, AreaLevel.VILLAGE)
ISSUER_ROLES: Final = DESK_ROLES - {Role.SUPERVISOR}
EARLIEST: Final = dt.date(2000, 1, 1)
CLAIM_TTL: Final = 15 * 60  # as long as a queued bulletin waits before it may be retried
PROGRESS_TTL: Final = 3600
FORMATS: Final = ("docx", "pdf", "xlsx")
# The steps of a generation, as the progress bar counts them.
STEPS: Final = ("figures", "docx", "pdf", "xlsx", "store")


# --- who sees what --------------------------------------------------------------------------


def may_use(user: User | AnonymousUser) -> bool:
    """The readers of the statistics: center operators, town leaders, the discipline
    supervisor and administrators (their areas)."""
    return bool(scope_for(user).has_role(*DESK_ROLES) or getattr(user, "is_superuser", False))


def may_issue(user: User | AnonymousUser) -> bool:
    """Who makes bulletins and checks the platform's figures: the center, the town's leaders
    and administrators; the discipline supervisor reads them (read access, docs/permissions.md)."""
    return bool(scope_for(user).has_role(*ISSUER_ROLES) or getattr(user, "is_superuser", False))


def bulletin_areas(user: User | AnonymousUser) -> QuerySet[Area]:
    """The towns and villages whose bulletin ``user`` may ask for and read."""
    if not may_use(user):
        return Area.objects.none()
    return areas_visible(user).filter(level__in=LEVELS)


def bulletins_visible(user: User | AnonymousUser) -> QuerySet[Bulletin]:
    return Bulletin.objects.filter(area__in=bulletin_areas(user).values("pk")).select_related("area", "created_by")


def bulletin_get(user: User | AnonymousUser, pk: int) -> Bulletin:
    """The bulletin if ``user`` may read it; 404 otherwise (also for those who may read none)."""
    try:
        return bulletins_visible(user).get(pk=pk)
    except Bulletin.DoesNotExist:
        raise NotFound(_("No such bulletin.")) from None


def revisions(bulletin: Bulletin) -> QuerySet[Bulletin]:
    """Every revision of the same area and month, newest first."""
    return Bulletin.objects.filter(area_id=bulletin.area_id, month=bulletin.month).order_by("-revision")


# --- the workflow ---------------------------------------------------------------------------------

RunActor: TypeAlias = Actor


class BulletinFlow(Workflow[Bulletin, RunActor]):
    model = Bulletin
    version_field = None

    def parties(self, actor: RunActor, subject: Bulletin) -> set[str]:
        if actor is None:
            return {BulletinParty.WORKER}
        issuer = may_issue(actor) and bulletin_areas(actor).filter(pk=subject.area_id).exists()
        return {BulletinParty.CENTER} if issuer else set()

    def visible(self, actor: RunActor) -> Q:
        return Q() if actor is None else Q(pk__in=bulletins_visible(actor).values("pk"))

    def status_label(self, status: str) -> str:
        return str(BulletinStatus(status).label) if status in BulletinStatus.values else status

    def record(self, step: Step[Bulletin, RunActor]) -> AuditEvent:
        bulletin = step.subject
        data = {"area": bulletin.area.code, "month": f"{bulletin.month:%Y-%m}", "revision": bulletin.revision}
        data.update(step.data)
        success = step.action != BulletinAction.FAIL
        return record(action=f"bulletin.{step.action}", actor=step.actor, obj=bulletin, success=success, data=data)


BULLETINS = BulletinFlow("bulletin", ROWS, labels=LABELS)


@BULLETINS.effect(BulletinAction.COMPLETE)
def _complete(step: Step[Bulletin, RunActor]) -> None:
    names: dict[str, str] = step.input("files")
    step.set(figures=step.input("figures"), finished_at=step.now, error="", **names)
    step.data["files"] = sorted(names)


@BULLETINS.effect(BulletinAction.FAIL)
def _fail(step: Step[Bulletin, RunActor]) -> None:
    reason = str(step.input("reason"))[:2000]
    step.set(error=reason, finished_at=step.now)
    step.data["error"] = reason[:500]


@BULLETINS.effect(BulletinAction.RETRY)
def _retry(step: Step[Bulletin, RunActor]) -> None:
    step.set(error="", finished_at=None, queued_at=step.now)
    progress_clear(step.subject.pk)
    transaction.on_commit(lambda: enqueue(step.subject.pk))


@BULLETINS.effect(BulletinAction.REWRITE)
def _rewrite(step: Step[Bulletin, RunActor]) -> None:
    # The figures stay: the worker writes the documents from them again.
    step.set(finished_at=None, queued_at=step.now)
    progress_clear(step.subject.pk)
    transaction.on_commit(lambda: enqueue(step.subject.pk))


BULLETINS.check_complete()


def enqueue(pk: int) -> None:
    from .tasks import generate_bulletin

    generate_bulletin.delay(pk)


# --- asking for one -------------------------------------------------------------------------------


def month_start(value: dt.date) -> dt.date:
    return value.replace(day=1)


def check_month(month: dt.date, today: dt.date) -> dt.date:
    """The first day of the month asked for; refused when it has not begun or is too old."""
    first = month_start(month)
    if first > month_start(today):
        raise Invalid.field("month", _("This month has not begun yet."))
    if first < EARLIEST:
        raise Invalid.field("month", _("Choose a month from 2000 on."))
    return first


def bulletin_request(*, actor: User | AnonymousUser, area_code: str, month: dt.date) -> Bulletin:
    """A new revision of the bulletin of the area and month, handed to the worker."""
    if not may_issue(actor):
        raise Forbidden(_("You may not generate bulletins."))
    area = bulletin_areas(actor).filter(code=area_code).first()
    if area is None:
        raise Invalid.field("area", _("Choose a town or a village of yours."))
    first = check_month(month, timezone.localdate())
    return _create(area, first, actor=actor, scheduled=False)


def _create(area: Area, month: dt.date, *, actor: Actor, scheduled: bool, queue: bool = True) -> Bulletin:
    for _attempt in range(3):
        try:
            with transaction.atomic():
                last = Bulletin.objects.filter(area=area, month=month).aggregate(n=Max("revision"))["n"] or 0
                bulletin = Bulletin.objects.create(
                    area=area, month=month, revision=last + 1, scheduled=scheduled, created_by=signed_in(actor)
                )
                data = {"area": area.code, "month": f"{month:%Y-%m}", "revision": bulletin.revision}
                record(action="bulletin.request", actor=actor, obj=bulletin, data={**data, "scheduled": scheduled})
                if queue:
                    transaction.on_commit(partial(enqueue, bulletin.pk))
                return bulletin
        except IntegrityError:
            if scheduled and Bulletin.objects.filter(area=area, month=month, scheduled=True).exists():
                raise Conflict(_("This month's bulletin was already scheduled."), code="already_scheduled") from None
            continue  # two requests took the same revision: take the next one
    raise Conflict(_("Too many requests for this bulletin at once; try again."), code="busy")


def bulletin_act(*, actor: User | AnonymousUser, pk: int, action: str) -> Bulletin:
    """Retry a failed bulletin or write a finished one's documents again (404 unless the actor
    reads it; 409 in another status)."""
    if action not in (BulletinAction.RETRY, BulletinAction.REWRITE):
        raise NotFound(_("Unknown action."), code="unknown_action")
    return BULLETINS.act(pk, action, actor=actor)


# --- progress ---------------------------------------------------------------------------------------


def _progress_key(pk: int) -> str:
    return f"gridgov:bulletin:{pk}"


def progress_set(pk: int, step: str) -> None:
    cache.set(_progress_key(pk), {"step": step, "at": timezone.now().isoformat()}, PROGRESS_TTL)


def progress_clear(pk: int) -> None:
    """Forget a previous run's progress (a retry or a rewrite starts from nothing)."""
    cache.delete(_progress_key(pk))


def progress(bulletin: Bulletin) -> dict[str, Any]:
    """How far the generation is: the step (one of :data:`STEPS`), the percent, and its label."""
    labels = {
        "figures": _("Computing the figures"),
        "docx": _("Writing the Word document"),
        "pdf": _("Writing the PDF"),
        "xlsx": _("Writing the workbook"),
        "store": _("Filing the documents"),
        "waiting": _("Waiting for the worker"),
    }
    if bulletin.status != BulletinStatus.QUEUED:
        return {"step": bulletin.status, "percent": 100, "label": str(bulletin.get_status_display())}
    value = cache.get(_progress_key(bulletin.pk)) or {}
    step = value.get("step") if isinstance(value, dict) else None
    if step not in STEPS:
        return {"step": "waiting", "percent": 0, "label": str(labels["waiting"])}
    done = STEPS.index(step)
    return {"step": step, "percent": round(100 * done / len(STEPS)), "label": str(labels[step])}


# --- generating (the worker) ------------------------------------------------------------------------


def _file_name(bulletin: Bulletin, extension: str) -> str:
    return f"bulletins/{bulletin.month:%Y}/{bulletin.area.code}-{bulletin.month:%Y-%m}-r{bulletin.revision}.{extension}"


def write_documents(figures: dict[str, Any], *, report: Any = None) -> dict[str, bytes]:
    """The three documents of the figures (``report(step)`` is told before each)."""
    writers = {"docx": documents.write_docx, "pdf": documents.write_pdf, "xlsx": documents.write_xlsx}
    result = {}
    for extension, writer in writers.items():
        if report is not None:
            report(extension)
        result[extension] = writer(figures)
    return result


def bulletin_generate(*, pk: int) -> Bulletin:
    """Generate a queued bulletin (the Celery task); a second delivery of the task, or one for a
    bulletin in another status, does nothing."""
    with translation.override(settings.LANGUAGE_CODE):
        bulletin = Bulletin.objects.select_related("area").get(pk=pk)
        if bulletin.status != BulletinStatus.QUEUED:
            return bulletin
        with claim(f"gridgov:bulletin-claim:{pk}", CLAIM_TTL) as mine:
            return _generate(bulletin) if mine else bulletin


def _generate(bulletin: Bulletin) -> Bulletin:
    stored: list[str] = []
    try:
        progress_set(bulletin.pk, "figures")
        figures = bulletin.figures
        if not figures:
            with replica_reads():  # a past month: a replica's lag of seconds changes nothing
                figures = compute(bulletin.area, bulletin.month)
        files = write_documents(figures, report=lambda step: progress_set(bulletin.pk, step))
        progress_set(bulletin.pk, "store")
        names = {}
        for extension, content in files.items():
            name = default_storage.save(_file_name(bulletin, extension), ContentFile(content))
            stored.append(name)
            names[extension] = name
        old = [getattr(bulletin, extension).name for extension in FORMATS if getattr(bulletin, extension).name]
        with transaction.atomic():
            done = BULLETINS.act(
                bulletin.pk, BulletinAction.COMPLETE, actor=None, inputs={"figures": figures, "files": names}
            )
            transaction.on_commit(lambda: _delete(old))
        return done
    except Conflict:
        _delete(stored)
        return Bulletin.objects.get(pk=bulletin.pk)
    except Exception as error:
        logger.exception("bulletin %s could not be generated", bulletin.pk)
        _delete(stored)
        reason = _(
            "The bulletin could not be generated (%(error)s). Try again; if it fails again, tell the administrator."
        ) % {"error": type(error).__name__}
        try:
            return BULLETINS.act(bulletin.pk, BulletinAction.FAIL, actor=None, inputs={"reason": reason})
        except Conflict:
            return Bulletin.objects.get(pk=bulletin.pk)


def _delete(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("bulletin file %s could not be deleted", name)


def open_document(bulletin: Bulletin, extension: str) -> bytes:
    """A bulletin's document (404 when it has none yet). While its documents are written again
    the previous ones are still served: they print the same frozen figures."""
    if extension not in FORMATS:
        raise NotFound(_("This document is not ready."))
    field = getattr(bulletin, extension)
    if not field.name:
        raise NotFound(_("This document is not ready."))
    try:
        with field.open("rb") as handle:
            content: bytes = handle.read()
            return content
    except (OSError, ValueError):
        logger.warning("bulletin %s: %s could not be opened", bulletin.pk, extension, exc_info=True)
        raise NotFound(_("This document cannot be opened; write it again.")) from None


def has_documents(bulletin: Bulletin) -> bool:
    return all(getattr(bulletin, extension).name for extension in FORMATS)


def download_name(bulletin: Bulletin, extension: str) -> str:
    """The name a document is downloaded as, in the documents' language: “太平镇2026年11月月度通报
    （第1版）.docx” (:func:`download_fallback` for the clients that take ASCII names only)."""
    with translation.override(settings.LANGUAGE_CODE):
        name = _("%(area)s monthly bulletin %(year)s-%(month)s (revision %(revision)s)") % {
            "area": bulletin.area.name,
            "year": bulletin.month.year,
            "month": bulletin.month.month,
            "revision": bulletin.revision,
        }
    return f"{name}.{extension}"


def download_fallback(bulletin: Bulletin, extension: str) -> str:
    """The ASCII name of a document: the area's code, the month and the revision."""
    return f"{bulletin.area.code}-{bulletin.month:%Y-%m}-r{bulletin.revision}.{extension}"


# --- the monthly schedule -------------------------------------------------------------------------


def first_workday(month: dt.date) -> dt.date:
    day = month_start(month)
    while not is_workday(day):
        day += dt.timedelta(days=1)
    return day


def bulletin_generate_now(area: Area, month: dt.date) -> Bulletin:
    """The scheduled bulletin of the area and month, generated in this process rather than by
    the worker (the demo loader)."""
    bulletin = _create(area, month_start(month), actor=None, scheduled=True, queue=False)
    return bulletin_generate(pk=bulletin.pk)


def schedule_monthly(today: dt.date | None = None) -> int:
    """From the first working day of a month on, the previous month's bulletin of every town
    and village in force, once each: a later run that day, or a second worker, adds nothing,
    and a day the schedule did not run (beat or the worker down) is caught up the next day."""
    today = today or timezone.localdate()
    if today < first_workday(today):
        return 0
    month = month_start(month_start(today) - dt.timedelta(days=1))
    towns = list(current_towns())
    areas = towns + list(Area.objects.current().filter(level=AreaLevel.VILLAGE, parent__in=towns))
    made = 0
    for area in areas:
        if Bulletin.objects.filter(area=area, month=month, scheduled=True).exists():
            continue
        try:
            _create(area, month, actor=None, scheduled=True)
            made += 1
        except Conflict:
            continue
    return made

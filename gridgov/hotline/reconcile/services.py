"""Reconciliation (对账) services: upload a monthly list, compare it in the worker, explain a
difference. Every write goes through the workflow engine (:mod:`.transitions`), whose history
is the audit log (``hotline.reconcile``, ``hotline.reconcile_explain``…).

1. :func:`reconcile_upload` stores the list as a :class:`Reconciliation` (``reading``) and hands
   it to the worker; only what needs no reading is checked in the request.
2. :func:`reconcile_run` (the Celery task) reads the list streaming, outside any transaction,
   with the import's ceilings (:mod:`gridgov.core.uploads`), recognises the columns by their
   titles, loads the town's orders of the month and those the list names, compares
   (:mod:`.compare`) and writes the differences in one short transaction (action ``compare``),
   or refuses the file with the reason (``refuse``). The uploaded file is deleted then: what the
   center needs of it is in the differences.
3. :func:`difference_act` explains (with a reason) or reopens one difference.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
from typing import IO, TYPE_CHECKING, Any, Final, TypeAlias

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gridgov.core import uploads
from gridgov.core.actors import Actor
from gridgov.core.audit import record
from gridgov.core.claims import claim
from gridgov.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from gridgov.core.workflow import Step, Workflow

from ..importing import parse
from ..importing import selectors as import_selectors
from ..models import (
    DifferenceState,
    HotlineOrder,
    ReconcileDifference,
    ReconcileStatus,
    Reconciliation,
    SourceSystem,
)
from . import compare
from .transitions import (
    DIFFERENCE_LABELS,
    DIFFERENCE_ROWS,
    LABELS,
    ROWS,
    DifferenceAction,
    ReconcileAction,
    ReconcileParty,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.areas.models import Area
    from gridgov.core.models import AuditEvent

logger = logging.getLogger("gridgov.hotline.reconcile")

ReconcileRefused: TypeAlias = DomainError
MAX_BYTES: Final = int(getattr(settings, "GRIDGOV_RECONCILE_MAX_BYTES", 10 * 1024 * 1024))
MAX_ROWS: Final = int(getattr(settings, "GRIDGOV_RECONCILE_MAX_ROWS", 20_000))
# Times in the list and in the town that differ by no more than this are the same.
TOLERANCE_MINUTES: Final = int(getattr(settings, "GRIDGOV_RECONCILE_TOLERANCE_MINUTES", 5))
CLAIM_TTL: Final = 3600


def limits() -> uploads.UploadLimits:
    return uploads.UploadLimits(max_bytes=MAX_BYTES, max_rows=MAX_ROWS + parse.HEADER_SEARCH_ROWS + 10)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month as local midnights [first day, first day of the next month)."""
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(dt.datetime.combine(first, dt.time()), zone),
        timezone.make_aware(dt.datetime.combine(following, dt.time()), zone),
    )


# --- who sees what ----------------------------------------------------------------------------


def forbidden_message() -> str:
    return _("Only the center may reconcile hotline orders.")


def month_message() -> str:
    return _("Enter a month such as 2026-11.")


def town_message() -> str:
    return _("No such town.")


def no_difference_message() -> str:
    return _("No such difference.")


def may_reconcile(user: User | AnonymousUser) -> bool:
    """The same people as the import: center operators (their towns) and administrators."""
    return import_selectors.may_import(user)


def reconciliations_visible(user: User | AnonymousUser) -> Any:
    return Reconciliation.objects.filter(town__in=import_selectors.import_towns(user)).select_related(
        "town", "created_by"
    )


def reconciliation_get(user: User | AnonymousUser, pk: int) -> Reconciliation:
    """The reconciliation if ``user`` sees it; 404 otherwise (also for those who may not
    reconcile at all: the answer never tells that it exists)."""
    try:
        return reconciliations_visible(user).get(pk=pk)
    except Reconciliation.DoesNotExist:
        raise NotFound(_("No such reconciliation.")) from None


# --- the workflows ----------------------------------------------------------------------------

RunActor: TypeAlias = Actor


class ReconcileFlow(Workflow[Reconciliation, RunActor]):
    """A reconciliation's comparison: only its own run (the worker, actor ``None``) moves it."""

    model = Reconciliation
    version_field = None

    def parties(self, actor: RunActor, subject: Reconciliation) -> set[str]:
        return {ReconcileParty.WORKER} if actor is None else set()

    def visible(self, actor: RunActor) -> Q:
        return Q() if actor is None else Q(pk__in=reconciliations_visible(actor).values("pk"))

    def record(self, step: Step[Reconciliation, RunActor]) -> AuditEvent:
        success = step.action == ReconcileAction.COMPARE
        by = step.input("by")
        return record(action="hotline.reconcile", actor=by, obj=step.subject, success=success, data=step.data)


class DifferenceFlow(Workflow[ReconcileDifference, "User | AnonymousUser"]):
    """Explaining a difference: the center of the reconciliation's town."""

    model = ReconcileDifference

    def parties(self, actor: User | AnonymousUser, subject: ReconcileDifference) -> set[str]:
        visible = reconciliations_visible(actor).filter(pk=subject.reconciliation_id).exists()
        return {ReconcileParty.CENTER} if may_reconcile(actor) and visible else set()

    def visible(self, actor: User | AnonymousUser) -> Q:
        return Q(reconciliation__in=reconciliations_visible(actor).values("pk"))

    def record(self, step: Step[ReconcileDifference, User | AnonymousUser]) -> AuditEvent:
        difference = step.subject
        data = {
            "reconciliation": difference.reconciliation_id,
            "kind": difference.kind,
            "number": difference.upstream_number,
            **step.data,
        }
        return record(action=f"hotline.reconcile_{step.action}", actor=step.actor, obj=difference, data=data)


RECONCILIATIONS = ReconcileFlow("hotline_reconcile", ROWS, labels=LABELS)
DIFFERENCES = DifferenceFlow("hotline_reconcile_difference", DIFFERENCE_ROWS, labels=DIFFERENCE_LABELS)


@RECONCILIATIONS.effect(ReconcileAction.COMPARE)
def _compared(step: Step[Reconciliation, RunActor]) -> None:
    subject = step.subject
    outcome: compare.Outcome = step.input("outcome")
    ReconcileDifference.objects.bulk_create(
        [
            ReconcileDifference(
                reconciliation=subject,
                kind=item.kind,
                upstream_number=item.number,
                row=item.row,
                order_id=item.order_id,
                list_value=item.list_value,
                town_value=item.town_value,
            )
            for item in outcome.differences
        ],
        batch_size=500,
    )
    step.set(
        mapping=step.input("mapping"),
        figures={"list": outcome.list_side.as_dict(), "town": outcome.town_side.as_dict()},
        list_rows=step.input("rows"),
        town_orders=outcome.town_side.orders,
        matched=outcome.matched,
        difference_count=len(outcome.differences),
        finished_at=step.now,
        file="",
        error="",
    )
    step.data.update(
        {"town": subject.town.code, "month": f"{subject.month:%Y-%m}", "differences": len(outcome.differences)}
    )


@RECONCILIATIONS.effect(ReconcileAction.REFUSE)
def _refused(step: Step[Reconciliation, RunActor]) -> None:
    reason = str(step.input("reason"))
    step.set(error=reason[:2000], finished_at=step.now, file="")
    step.data.update({"town": step.subject.town.code, "error": reason[:500]})


@DIFFERENCES.effect(DifferenceAction.EXPLAIN)
def _explain(step: Step[ReconcileDifference, User | AnonymousUser]) -> None:
    reason = str(step.input("reason"))
    if len(reason) > 1000:
        raise Invalid.field(
            "reason", _("At most %(n)s characters (this has %(count)s).") % {"n": 1000, "count": len(reason)}
        )
    step.set(explanation=reason, explained_by=step.actor, explained_at=step.now)
    step.data["reason"] = reason


@DIFFERENCES.effect(DifferenceAction.REOPEN)
def _reopen(step: Step[ReconcileDifference, User | AnonymousUser]) -> None:
    step.data["was"] = step.subject.explanation[:500]
    step.set(explanation="", explained_by=None, explained_at=None)


RECONCILIATIONS.check_complete()
DIFFERENCES.check_complete()


# --- upload -----------------------------------------------------------------------------------


def reconcile_upload(
    *,
    actor: User | AnonymousUser,
    town: Area,
    source_system: str,
    month: dt.date,
    name: str,
    content: bytes | None = None,
    file: IO[bytes] | None = None,
    size: int | None = None,
) -> Reconciliation:
    """Store a monthly list and hand it to the worker (see the module)."""
    if not may_reconcile(actor):
        raise Forbidden(forbidden_message())
    if not import_selectors.import_towns(actor).filter(pk=town.pk).exists():
        raise Forbidden(_("You may not reconcile the orders of this town."))
    if source_system not in SourceSystem.values:
        raise Invalid(_("Choose the source system."), details={"source_system": [_("Unknown source system.")]})
    today = timezone.localdate()
    if not dt.date(2000, 1, 1) <= month <= today:
        raise Invalid(_("Choose a month that has begun."), details={"month": [_("Choose a month that has begun.")]})
    if content is not None:
        file, size = ContentFile(content), len(content)
    if file is None:
        raise Invalid(_("The file is empty."), details={"file": [_("The file is empty.")]})
    size = size if size is not None else int(getattr(file, "size", 0) or 0)
    try:
        kind = uploads.check_upload(name, size, limits())
        if kind == "xlsx":
            uploads.check_workbook(file, limits())
    except uploads.UploadRefused as error:
        raise Invalid(error.message, details={"file": [error.message]}) from error
    assert actor.is_authenticated
    base = os.path.basename(name)[:200] or "list"
    item = Reconciliation(
        source_system=source_system,
        town=town,
        month=month.replace(day=1),
        original_name=base,
        status=ReconcileStatus.READING,
        created_by=actor,
    )
    file.seek(0)
    item.file.save(f"list{os.path.splitext(base)[1].lower() or '.bin'}", File(file), save=False)
    with transaction.atomic():
        item.save()
        record(action="hotline.reconcile_upload", actor=actor, obj=item, data={"name": base, "town": town.code})
        pk = item.pk
        from .tasks import run_reconciliation  # tasks.py imports this module

        transaction.on_commit(lambda: run_reconciliation.delay(pk))
    return item


# --- the comparison (worker) ------------------------------------------------------------------


def read_list(handle: IO[bytes], name: str) -> tuple[dict[str, str], list[compare.ListRow]]:
    """The list's recognised columns and its data rows, read streaming within the ceilings;
    :class:`uploads.UploadRefused` or :class:`parse.ImportFileError` when it cannot be used."""
    with uploads.open_table(handle, name, limits()) as reader:
        rows = reader.rows()
        top = list(itertools.islice(rows, parse.HEADER_SEARCH_ROWS))
        # A list of numbers alone is a list (the form asks for the number column at least).
        header_row = parse.detect_header(parse.top_rows(top), compare.ALIASES, enough=1) + 1
        body = parse.split_body(itertools.chain(top, rows), header_row, limit=MAX_ROWS)
    columns = parse.columns_of(body.header, (cells for _number, cells in body.rows))
    mapping = parse.suggest_mapping(columns, specs=compare.FIELDS)
    if "upstream_number" not in mapping:
        raise parse.ImportFileError(_("No column of order numbers found (a column titled 工单编号 or 工单号)."))
    return mapping, [compare.read_row(number, cells, mapping, columns) for number, cells in body.rows]


def town_orders(item: Reconciliation, numbers: set[str]) -> dict[str, compare.TownOrder]:
    """The town's orders of the month from the list's system, and any other of the town's orders
    the list names (an order the town holds under another month is then a time difference)."""
    start, end = month_bounds(item.month)
    in_month = Q(arrived_at__gte=start, arrived_at__lt=end)
    query = HotlineOrder.objects.filter(town=item.town, source_system=item.source_system)
    found: dict[str, compare.TownOrder] = {}
    chunks = [list(numbers)[i : i + 500] for i in range(0, len(numbers), 500)] or [[]]
    for chunk in [None, *chunks]:
        selected = query.filter(in_month) if chunk is None else query.filter(upstream_number__in=chunk)
        for values in selected.values(
            "id", "upstream_number", "status", "arrived_at", "acknowledged_at", "replied_at", "reply_on_time"
        ):
            found[values["upstream_number"]] = compare.TownOrder(
                id=values["id"],
                number=values["upstream_number"],
                status=values["status"],
                arrived_at=values["arrived_at"],
                acknowledged_at=values["acknowledged_at"],
                replied_at=values["replied_at"],
                reply_on_time=values["reply_on_time"],
                in_month=start <= values["arrived_at"] < end,
            )
    return found


def reconcile_run(*, pk: int) -> Reconciliation:
    """Compare a stored list (the Celery task): read outside any transaction, then one short
    transaction for the differences. A second delivery of the same task does nothing."""
    with translation.override(settings.LANGUAGE_CODE):
        item = Reconciliation.objects.select_related("town", "created_by").get(pk=pk)
        if item.status != ReconcileStatus.READING:
            return item
        with claim(f"gridgov:hotline-reconcile:{pk}", CLAIM_TTL) as mine:
            return _run(item) if mine else item


def _run(item: Reconciliation) -> Reconciliation:
    inputs: dict[str, Any] = {"by": item.created_by}
    name, storage = item.file.name, item.file.storage
    try:
        with item.file.open("rb") as handle:
            mapping, rows = read_list(handle, item.original_name)
    except (uploads.UploadRefused, parse.ImportFileError) as refused:
        return _act(item, ReconcileAction.REFUSE, {**inputs, "reason": str(refused)}, name, storage)
    except OSError:
        logger.warning("reconciliation %s: the upload could not be read", item.pk, exc_info=True)
        reason = _("The uploaded file could not be read; upload it again.")
        return _act(item, ReconcileAction.REFUSE, {**inputs, "reason": reason}, name, storage)
    orders = town_orders(item, {row.number for row in rows if row.number})
    outcome = compare.compare(rows, orders, tolerance=dt.timedelta(minutes=TOLERANCE_MINUTES), mapped=mapping.keys())
    inputs.update({"outcome": outcome, "mapping": mapping, "rows": len(rows)})
    return _act(item, ReconcileAction.COMPARE, inputs, name, storage)


def _act(item: Reconciliation, action: str, inputs: dict[str, Any], name: str, storage: Any) -> Reconciliation:
    try:
        with transaction.atomic():
            done = RECONCILIATIONS.act(item.pk, action, actor=None, inputs=inputs)
            transaction.on_commit(lambda: uploads.delete_stored(storage, name))
            return done
    except Conflict:
        return Reconciliation.objects.get(pk=item.pk)


# --- explaining -------------------------------------------------------------------------------


def difference_act(
    *, actor: User | AnonymousUser, difference_id: int, action: str, reason: str = "", version: int | None = None
) -> ReconcileDifference:
    """Explain (``reason`` required) or reopen one difference (404 unless the actor sees it)."""
    return DIFFERENCES.act(difference_id, action, actor=actor, inputs={"reason": reason}, version=version)


def open_count(item: Reconciliation) -> int:
    return item.differences.filter(status=DifferenceState.OPEN).count()

"""Periods: creating one with its schemes, its workflow (computing, publishing, finalizing, with
the notice of publication), and the progress of its computation.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.actors import signed_in, signed_in_user
from gridgov.core.audit import record
from gridgov.core.errors import Conflict, Forbidden, Invalid, NotFound
from gridgov.core.workflow import Step, Workflow
from gridgov.people.selectors import role_holder_ids
from gridgov.workcalendar.calendar import add_working_days

from ..models import ItemKind, Period, PeriodKind, PeriodStatus, Scheme, Snapshot, SnapshotStatus, TargetType
from ..transitions import PERIOD_LABELS, PERIOD_ROWS, Party, PeriodAction
from .access import is_manager, managed_towns, periods_visible
from .common import PROGRESS_TTL, TEXT_LIMIT, VILLAGE_ROLES, FlowActor
from .schemes import current_schemes

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.core.models import AuditEvent


EARLIEST_PERIOD: Final = dt.date(2000, 1, 1)


def period_bounds(kind: str, start: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month, quarter or year that ``start`` falls in."""
    if kind == PeriodKind.MONTH:
        first = start.replace(day=1)
        months = 1
    elif kind == PeriodKind.QUARTER:
        first = dt.date(start.year, (start.month - 1) // 3 * 3 + 1, 1)
        months = 3
    elif kind == PeriodKind.YEAR:
        first = dt.date(start.year, 1, 1)
        months = 12
    else:
        raise Invalid.field("kind", _("Choose a month, a quarter or a year."))
    month = first.month - 1 + months
    following = dt.date(first.year + month // 12, month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def period_create(
    *,
    actor: User | AnonymousUser,
    town_code: str,
    kind: str,
    start: dt.date,
    scheme_ids: list[int] | None = None,
    appeal_days: int = 5,
    today: dt.date | None = None,
) -> Period:
    """A new period of the town with its schemes (by default the current version of each)."""
    town = managed_towns(actor).filter(code=town_code).first()
    if town is None:
        raise Forbidden(_("You may not run the assessment of this town."))
    today = today or timezone.localdate()
    if not EARLIEST_PERIOD <= start <= today + dt.timedelta(days=366):
        raise Invalid.field(
            "start", _("Choose a period from %(year)s up to this year.") % {"year": EARLIEST_PERIOD.year}
        )
    first, last = period_bounds(kind, start)
    if first > today:
        raise Invalid.field("start", _("This period has not begun yet."))
    if not 1 <= int(appeal_days) <= 30:
        raise Invalid.field("appeal_days", _("Give between 1 and 30 working days for appeals."))
    schemes = list(current_schemes(town) if scheme_ids is None else Scheme.objects.filter(town=town, pk__in=scheme_ids))
    if not schemes:
        raise Invalid.field("schemes", _("Choose at least one scheme."))
    types = [s.target_type for s in schemes]
    if len(types) != len(set(types)):
        raise Invalid.field("schemes", _("Choose one scheme for each kind of assessed."))
    try:
        with transaction.atomic():
            period = Period.objects.create(
                town=town,
                kind=kind,
                start=first,
                end=last,
                appeal_days=int(appeal_days),
                created_by=signed_in_user(actor),
            )
            period.schemes.set(schemes)
            record(
                action="assessment.period_create",
                actor=actor,
                obj=period,
                data={"kind": kind, "start": first.isoformat(), "schemes": [s.pk for s in schemes]},
            )
    except IntegrityError:
        raise Invalid.field("start", _("This period exists already.")) from None
    return period


# --- the period's workflow ------------------------------------------------------------------------


class PeriodFlow(Workflow[Period, FlowActor]):
    model = Period
    forbidden_message = _("Only the center runs the assessment.")

    def parties(self, actor: FlowActor, subject: Period) -> set[str]:
        if actor is None:
            return {Party.WORKER}
        return {Party.CENTER} if is_manager(actor, subject.town_id) else set()

    def visible(self, actor: FlowActor) -> Q:
        return Q() if actor is None else Q(pk__in=periods_visible(actor).values("pk"))

    def status_label(self, status: str) -> str:
        return str(PeriodStatus(status).label) if status in PeriodStatus.values else status

    def record(self, step: Step[Period, FlowActor]) -> AuditEvent:
        success = step.action != PeriodAction.FAIL
        return record(
            action=f"assessment.{step.action}", actor=step.actor, obj=step.subject, success=success, data=step.data
        )


PERIODS = PeriodFlow("assessment_period", PERIOD_ROWS, labels=PERIOD_LABELS)


def _queue(step: Step[Period, FlowActor], reason: str) -> None:
    period = step.subject
    number = (period.snapshots.aggregate(n=Max("number"))["n"] or 0) + 1
    snapshot = Snapshot.objects.create(period=period, number=number, reason=reason, created_by=signed_in(step.actor))
    step.set(queued_at=step.now)
    step.data.update({"snapshot": snapshot.pk, "number": number, "reason": reason[:500]})
    progress_set(period.pk, 0, 1)
    transaction.on_commit(partial(enqueue, snapshot.pk))


@PERIODS.effect(PeriodAction.COMPUTE)
def _compute(step: Step[Period, FlowActor]) -> None:
    _queue(step, "")


@PERIODS.effect(PeriodAction.RECOMPUTE)
def _recompute(step: Step[Period, FlowActor]) -> None:
    reason = str(step.input("reason")).strip()
    if not reason:
        raise Invalid.field("reason", _("Write why the period is computed again."))
    step.data["previous"] = step.subject.current_id
    _queue(step, reason[:TEXT_LIMIT])


@PERIODS.effect(PeriodAction.RETRY)
def _retry(step: Step[Period, FlowActor]) -> None:
    running = step.subject.snapshots.filter(status=SnapshotStatus.RUNNING).order_by("-number").first()
    if running is None:
        _queue(step, "")
        return
    step.set(queued_at=step.now)
    step.data["snapshot"] = running.pk
    transaction.on_commit(partial(enqueue, running.pk))


@PERIODS.effect(PeriodAction.COMPLETE)
def _complete(step: Step[Period, FlowActor]) -> None:
    snapshot = Snapshot.objects.get(pk=step.input("snapshot"), period=step.subject)
    step.set(current=snapshot)
    step.data.update({"snapshot": snapshot.pk, "number": snapshot.number, "results": snapshot.results.count()})
    # The schemes a computed period used never change again.
    step.subject.schemes.filter(frozen_at__isnull=True).update(frozen_at=step.now)


@PERIODS.effect(PeriodAction.FAIL)
def _fail(step: Step[Period, FlowActor]) -> None:
    step.data["error"] = str(step.input("reason"))[:500]
    if step.subject.current_id is not None:
        step.target = PeriodStatus.COMPUTED


def inputs_changed(period: Period) -> bool:
    """Whether a manual score or a bonus/penalty entry of the period's targets changed since its
    current snapshot froze them (so publishing it would show old figures)."""
    snapshot = period.current
    if snapshot is None:
        return False
    inputs = snapshot.inputs
    manual_codes = {
        key: {i["code"] for i in scheme["items"] if i["kind"] == ItemKind.MANUAL}
        for key, scheme in inputs.get("schemes", {}).items()
    }
    frozen_scores: dict[tuple[str, str], Any] = {}
    frozen_entries: set[int] = set()
    for target in inputs.get("targets", []):
        key = target["target"]["key"]
        for code in manual_codes.get(target["scheme"], set()):
            frozen_scores[(key, code)] = (target["items"].get(code) or {}).get("value")
        frozen_entries.update(int(e["id"]) for e in target.get("entries", []))
    keys = {key for key, _code in frozen_scores} | {t["target"]["key"] for t in inputs.get("targets", [])}
    live_scores = {
        (m.target_key, m.item_code): str(m.score)
        for m in period.manual_scores.filter(target_key__in=keys)
        if (m.target_key, m.item_code) in frozen_scores
    }
    if any(live_scores.get(slot) != value for slot, value in frozen_scores.items()):
        return True
    live_entries = set(period.entries.filter(withdrawn=False, target_key__in=keys).values_list("pk", flat=True))
    return live_entries != frozen_entries


@PERIODS.effect(PeriodAction.PUBLISH)
def _publish(step: Step[Period, FlowActor]) -> None:
    if inputs_changed(step.subject):
        raise Conflict(
            _("Scores or entries changed since the period was computed: compute it again first."),
            code="inputs_changed",
        )
    until = add_working_days(step.now, step.subject.appeal_days)
    step.set(published_at=step.now, appeal_until=until)
    step.data.update({"snapshot": step.subject.current_id, "appeal_until": until.isoformat()})
    step.after.append(lambda _event: _notify_published(step.subject))


@PERIODS.effect(PeriodAction.FINALIZE)
def _finalize(step: Step[Period, FlowActor]) -> None:
    step.set(final_at=step.now)
    step.data["snapshot"] = step.subject.current_id


PERIODS.check_complete()


def _notify_published(period: Period) -> None:
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from gridgov.notify.services import notify

    if period.current is None:
        return
    results = period.current.results
    users = [r.user for r in results.filter(user__isnull=False).select_related("user") if r.user]
    # A village's result is its grid leaders' and staff's, a department's its handlers'.
    villages = list(results.filter(target_type=TargetType.VILLAGE).values_list("area_id", flat=True))
    departments = list(results.filter(target_type=TargetType.DEPARTMENT).values_list("department_id", flat=True))
    responsible = role_holder_ids(Q(role__in=VILLAGE_ROLES, area_id__in=villages) | Q(department_id__in=departments))
    known = {u.pk for u in users}
    users += list(get_user_model().objects.filter(pk__in=[pk for pk in responsible if pk not in known]))
    from ..notices import PUBLISHED_KIND, published_params

    notify(
        recipients=users,
        kind=PUBLISHED_KIND,
        params=published_params(period),
        url=reverse("assessment:period", args=[period.pk]),
        obj=period,
    )


def period_act(
    *,
    actor: User | AnonymousUser,
    pk: int,
    action: str,
    inputs: dict[str, Any] | None = None,
    version: int | None = None,
) -> Period:
    if action in (PeriodAction.COMPLETE, PeriodAction.FAIL):
        raise NotFound(_("Unknown action."), code="unknown_action")
    return PERIODS.act(pk, action, actor=actor, inputs=inputs or {}, version=version)


def enqueue(snapshot_pk: int) -> None:
    from ..tasks import compute_snapshot

    compute_snapshot.delay(snapshot_pk)


# --- progress -------------------------------------------------------------------------------------


def _progress_key(period_pk: int) -> str:
    return f"gridgov:assessment:{period_pk}"


def progress_set(period_pk: int, done: int, total: int) -> None:
    cache.set(_progress_key(period_pk), {"done": done, "total": total}, PROGRESS_TTL)


def progress(period: Period) -> dict[str, Any]:
    """How far the computation is: targets done of all, and the percent."""
    if period.status != PeriodStatus.COMPUTING:
        return {"done": 0, "total": 0, "percent": 100, "label": str(period.get_status_display())}
    value = cache.get(_progress_key(period.pk)) or {}
    done, total = int(value.get("done", 0)), int(value.get("total", 0))
    if not total:
        return {"done": 0, "total": 0, "percent": 0, "label": _("Waiting for the worker")}
    return {
        "done": done,
        "total": total,
        "percent": min(99, round(100 * done / total)),
        "label": _("Measured %(done)s of %(total)s assessed") % {"done": done, "total": total},
    }

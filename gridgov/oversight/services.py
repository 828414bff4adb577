"""Writes of the discipline office: the towns' thresholds, supervision notices and their
answers, accountability decisions, and the audit row of every export.

Every write runs in one transaction with its history row and audit row (``oversight.*``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.areas.models import Area, AreaLevel
from gridgov.cases import access as case_access
from gridgov.cases.models import Case
from gridgov.cases.selectors import cases_visible
from gridgov.cases.services import case_act
from gridgov.cases.transitions import Action as CaseAction
from gridgov.cases.transitions import Party as CaseParty
from gridgov.core import filetypes
from gridgov.core.actors import signed_in
from gridgov.core.audit import record
from gridgov.core.errors import Conflict, Forbidden, Invalid, NotFound, clean_text
from gridgov.core.workflow import Step, Workflow
from gridgov.hotline import access as order_access
from gridgov.hotline.models import HotlineOrder
from gridgov.hotline.selectors import orders_visible
from gridgov.hotline.transitions import Party as OrderParty
from gridgov.notify.services import notify
from gridgov.people.selectors import department_by_code, role_holder_ids, users_visible
from gridgov.workcalendar.calendar import is_workday, next_workday, workday_after, working_periods

from . import registry, selectors
from .models import (
    Accountability,
    AccountabilityAttachment,
    AccountabilityKind,
    RuleSetting,
    RuleSettingChange,
    SupervisionEvent,
    SupervisionNotice,
    SupervisionStatus,
    TargetKind,
)
from .transitions import LABELS, ROWS, SupervisionAction, SupervisionParty

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest

TEXT_MAX: Final = 2000
ATTACHMENT_MAX_BYTES: Final = 10 * 1024 * 1024
ATTACHMENTS_MAX: Final = 5
EVIDENCE_MAX: Final = 50
# The furthest an answer may be asked for (the working calendar is known about that far).
DEADLINE_MAX_DAYS: Final = 366


def _office_town(actor: User | AnonymousUser, town: Area) -> None:
    if not selectors.is_office_over(actor, town.pk):
        raise NotFound(_("Not found."))


def _text(name: str, value: Any, *, required: bool = True, limit: int = TEXT_MAX) -> str:
    return clean_text(value, name, limit, required=required)


# --- thresholds -----------------------------------------------------------------------------------


def rule_settings_save(
    *,
    actor: User | AnonymousUser,
    town: Area,
    values: Mapping[str, Any],
    disabled: Iterable[str] = (),
    reason: str = "",
    version: int | None = None,
    request: HttpRequest | None = None,
) -> RuleSetting:
    """Set a town's thresholds (each within its range) and the rules it switches off; the
    change is kept with what it replaced."""
    _office_town(actor, town)
    user = signed_in(actor)
    if user is None:
        raise Forbidden(_("Sign in first."))
    cleaned: dict[str, int] = {}
    errors: dict[str, list[str]] = {}
    for param in registry.params():
        raw = values.get(param.code, param.default)
        try:
            number = int(raw)
        except (TypeError, ValueError):
            errors[param.code] = [_("Enter a whole number.")]
            continue
        if not param.minimum <= number <= param.maximum:
            errors[param.code] = [_("Between %(low)s and %(high)s.") % {"low": param.minimum, "high": param.maximum}]
            continue
        cleaned[param.code] = number
    if errors:
        raise Invalid(errors)
    known = {rule.code for rule in registry.rules()}
    off = sorted(code for code in set(disabled) if code in known)
    with transaction.atomic():
        setting, _created = RuleSetting.objects.select_for_update().get_or_create(town=town)
        if version is not None and version != setting.version:
            raise Conflict(
                _("Someone else changed the thresholds meanwhile. Reload the page."), code="version_conflict"
            )
        before = {"values": {**registry.defaults(), **setting.values}, "disabled": list(setting.disabled)}
        after = {"values": cleaned, "disabled": off}
        setting.values = cleaned
        setting.disabled = off
        setting.updated_at = timezone.now()
        setting.updated_by = user
        setting.version += 1
        setting.save()
        RuleSettingChange.objects.create(
            setting=setting, actor=user, at=setting.updated_at, before=before, after=after, reason=reason.strip()[:200]
        )
        record(
            action="oversight.settings_save",
            actor=actor,
            obj=setting,
            request=request,
            data={"town": town.code, **after},
        )
    return setting


# --- supervision notices --------------------------------------------------------------------------


def answer_due(day: dt.date) -> dt.datetime:
    """The deadline a chosen date stands for: the end of that working day (the calendar's last
    office period), or of the next working day when the date is a weekend or a holiday."""
    if not is_workday(day):
        day = next_workday(day)
    end = working_periods()[-1][1]
    return timezone.make_aware(dt.datetime.combine(day, end), timezone.get_current_timezone())


def default_deadline(town: Area, now: dt.datetime | None = None) -> dt.datetime:
    """The end of the ``answer_days``-th working day after today."""
    now = now or timezone.now()
    return answer_due(workday_after(timezone.localdate(now), selectors.values_of(town)[registry.ANSWER_DAYS.code]))


def _order_owners(order: HotlineOrder) -> list[int]:
    return order_access.recipients(order, [OrderParty.CENTER, OrderParty.LEAD_DEPARTMENT])


def supervision_issue(
    *,
    actor: User | AnonymousUser,
    text: str,
    case_id: int | None = None,
    order_id: int | None = None,
    deadline: dt.datetime | None = None,
    rule: str = "",
    now: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> SupervisionNotice:
    """A supervision notice of the discipline office on one case or order, with the deadline
    for its answer. On a case the case loop's ``supervise`` step is taken too (the case's
    timeline and notices); on an order its center and lead department are notified."""
    user = signed_in(actor)
    if user is None or not selectors.is_office(actor):
        raise Forbidden(_("Only the discipline office issues supervision notices."))
    if (case_id is None) == (order_id is None):
        raise Invalid.field("case", _("Choose one case or one hotline order."))
    text = _text("text", text)
    now = now or timezone.now()
    case = order = None
    if case_id is not None:
        case = cases_visible(actor).filter(pk=int(case_id)).first()
        if case is None:
            raise NotFound(_("No such case."))
        town = Area.objects.get(pk=case.town_id)
    else:
        order = orders_visible(actor).filter(pk=int(order_id or 0)).first()
        if order is None:
            raise NotFound(_("No such hotline order."))
        town = Area.objects.get(pk=order.town_id)
    _office_town(actor, town)
    deadline = deadline or default_deadline(town, now)
    if timezone.is_naive(deadline):
        # A time without its offset (the API's ``2026-12-30T10:00``) is the town's local time.
        deadline = timezone.make_aware(deadline, timezone.get_current_timezone())
    if deadline <= now:
        raise Invalid.field("deadline", _("The deadline for the answer must be in the future."))
    if deadline > now + dt.timedelta(days=DEADLINE_MAX_DAYS):
        raise Invalid.field("deadline", _("Ask for the answer within a year."))
    if rule and registry.rule(rule) is None:
        rule = ""
    with transaction.atomic():
        # The target locked: a second click (or a second office's same notice) waits here, then
        # finds the first one open with the same text and is refused.
        if case is not None:
            Case.objects.select_for_update().filter(pk=case.pk).first()
        else:
            HotlineOrder.objects.select_for_update().filter(pk=order.pk).first()  # type: ignore[union-attr]
        twin = SupervisionNotice.objects.filter(
            case=case, order=order, status=SupervisionStatus.ISSUED, text=text
        ).exists()
        if twin:
            raise Conflict(
                _("The same notice on this case or order is already waiting for its answer."),
                code="supervision_duplicate",
            )
        if case is not None:
            case_act(case.pk, CaseAction.SUPERVISE, actor=actor, comment=text, at=now)
        notice = SupervisionNotice.objects.create(
            town=town,
            case=case,
            order=order,
            text=text,
            deadline=deadline,
            issued_by=user,
            issued_at=now,
            rule=rule,
        )
        SupervisionEvent.objects.create(
            notice=notice, action="issue", actor=user, at=now, to_status=notice.status, comment=text
        )
        record(
            action="oversight.supervision_issue",
            actor=actor,
            obj=notice,
            request=request,
            data={"case": case.number if case else "", "order": order.upstream_number if order else "", "rule": rule},
        )
        if order is not None:
            notify(
                recipients=get_user_model().objects.filter(pk__in=_order_owners(order)),
                kind="oversight.supervision",
                params={"target": order.upstream_number, "deadline": f"{timezone.localtime(deadline):%Y-%m-%d %H:%M}"},
                body=text[:500],
                url=reverse("oversight:supervision", args=[notice.pk]),
                obj=notice,
                actor=user,
            )
    return notice


def _owner(actor: User | AnonymousUser, notice: SupervisionNotice) -> bool:
    if notice.case is not None:
        return bool(case_access.parties_of(actor, notice.case) & {CaseParty.HANDLER, CaseParty.CENTER})
    if notice.order is not None:
        return bool(order_access.parties_of(actor, notice.order) & {OrderParty.CENTER, OrderParty.LEAD_DEPARTMENT})
    return False


class SupervisionFlow(Workflow[SupervisionNotice]):
    model = SupervisionNotice
    forbidden_message = gettext_lazy(
        "Only who answers for the case or order answers; only the discipline office withdraws."
    )

    def parties(self, actor: User | AnonymousUser, subject: SupervisionNotice) -> set[str]:
        parties: set[str] = set()
        if not getattr(actor, "is_authenticated", False):
            return parties
        if selectors.is_office_over(actor, subject.town_id):
            parties.add(SupervisionParty.OFFICE)
        if _owner(actor, subject):
            parties.add(SupervisionParty.OWNER)
        return parties

    def visible(self, actor: User | AnonymousUser) -> Q:
        return Q(pk__in=selectors.supervisions_visible(actor).values("pk"))

    def status_label(self, status: str) -> str:
        return str(SupervisionStatus(status).label) if status in SupervisionStatus.values else status

    def record(self, step: Step[SupervisionNotice]) -> SupervisionEvent:
        return SupervisionEvent.objects.create(
            notice=step.subject,
            action=step.action,
            actor=signed_in(step.actor),
            at=step.now,
            from_status=step.before,
            to_status=step.target,
            comment=str(step.input("comment", "")),
        )

    def audit(self, step: Step[SupervisionNotice]) -> None:
        record(action=f"oversight.supervision_{step.action}", actor=step.actor, obj=step.subject, data=step.data)


SUPERVISIONS = SupervisionFlow("supervision", ROWS, labels=LABELS)


@SUPERVISIONS.effect(SupervisionAction.ANSWER)
def _answer(step: Step[SupervisionNotice]) -> None:
    notice = step.subject
    answer = _text("comment", step.input("comment"))
    step.set(answer=answer, answered_by=signed_in(step.actor), answered_at=step.now)
    if notice.case_id is not None:
        case = Case.objects.get(pk=notice.case_id)
        if case.supervision_pending:
            case_act(case.pk, CaseAction.REPLY_SUPERVISION, actor=step.actor, comment=answer, at=step.now)
            step.data["case_replied"] = True
    step.data["late"] = step.now > notice.deadline
    issuer = notice.issued_by

    def _tell(_event: Any) -> None:
        notify(
            recipients=[issuer],
            kind="oversight.supervision_answered",
            params={"target": notice.target_label},
            body=answer[:500],
            url=reverse("oversight:supervision", args=[notice.pk]),
            obj=notice,
            actor=signed_in(step.actor),
        )

    step.after.append(_tell)


@SUPERVISIONS.effect(SupervisionAction.WITHDRAW)
def _withdraw(step: Step[SupervisionNotice]) -> None:
    _text("comment", step.input("comment"))


SUPERVISIONS.check_complete()


def supervision_act(
    *,
    actor: User | AnonymousUser,
    pk: int,
    action: str,
    inputs: dict[str, Any] | None = None,
    version: int | None = None,
    at: dt.datetime | None = None,
) -> SupervisionNotice:
    """One step of a supervision notice (``at``: the moment it was taken, for a history)."""
    return SUPERVISIONS.act(pk, action, actor=actor, inputs=inputs or {}, version=version, at=at)


# --- accountability -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """An attached file as the page or the API received it."""

    name: str
    content: bytes
    content_type: str = ""


def _evidence(actor: User | AnonymousUser, town: Area, numbers: Sequence[str]) -> tuple[list[Case], list[HotlineOrder]]:
    wanted = [str(number).strip() for number in numbers if str(number).strip()]
    if len(wanted) > EVIDENCE_MAX:
        raise Invalid.field("evidence", _("At most %(n)s cases and orders.") % {"n": EVIDENCE_MAX})
    cases = list(cases_visible(actor).filter(town=town, number__in=wanted))
    orders = list(orders_visible(actor).filter(town=town, upstream_number__in=wanted))
    found = {case.number for case in cases} | {order.upstream_number for order in orders}
    missing = [number for number in wanted if number not in found]
    if missing:
        raise Invalid.field(
            "evidence", _("Not a case or order of the town: %(numbers)s") % {"numbers": "、".join(missing)}
        )
    return cases, orders


def _target(actor: User | AnonymousUser, town: Area, kind: str, target: str) -> dict[str, Any]:
    target = str(target or "").strip()
    if kind == TargetKind.USER:
        user = users_visible(actor).filter(pk=int(target) if target.isdecimal() else 0).first()
        if user is None or not role_holder_ids(
            Q(user_id=user.pk)
            & (Q(area__path__startswith=town.path) | Q(department__areas__path__startswith=town.path))
        ):
            raise Invalid.field("target", _("Choose a member of staff of the town."))
        return {"target_user": user}
    if kind == TargetKind.DEPARTMENT:
        department = department_by_code(target)
        # A department of the town: one serving it or an area above it (as the accountability
        # form lists them and as the leaders' tasks take their owners).
        if department is None or not department.areas.filter(pk__in=town.ancestor_ids()).exists():
            raise Invalid.field("target", _("Choose a department serving the town."))
        return {"target_department": department}
    if kind == TargetKind.VILLAGE:
        village = (
            Area.objects.current().filter(code=target, level=AreaLevel.VILLAGE, path__startswith=town.path).first()
        )
        if village is None:
            raise Invalid.field("target", _("Choose a village of the town."))
        return {"target_village": village}
    raise Invalid.field("target_kind", _("Choose who is held to account."))


def accountability_record(
    *,
    actor: User | AnonymousUser,
    town: Area,
    target_kind: str,
    target: str,
    kind: str,
    reason: str,
    evidence: Sequence[str] = (),
    attachments: Sequence[Upload] = (),
    decided_at: dt.datetime | None = None,
    request: HttpRequest | None = None,
) -> Accountability:
    """Record an accountability decision of the discipline office, with the cases and orders
    that are its evidence (their numbers) and attached files."""
    _office_town(actor, town)
    user = signed_in(actor)
    if user is None:
        raise Forbidden(_("Sign in first."))
    if kind not in AccountabilityKind.values:
        raise Invalid.field("kind", _("Choose the measure."))
    reason = _text("reason", reason)
    values = _target(actor, town, target_kind, target)
    cases, orders = _evidence(actor, town, evidence)
    if len(attachments) > ATTACHMENTS_MAX:
        raise Invalid.field("attachments", _("At most %(n)s files.") % {"n": ATTACHMENTS_MAX})
    for upload in attachments:
        if len(upload.content) > ATTACHMENT_MAX_BYTES:
            raise Invalid.field("attachments", _("A file is larger than 10 MB: %(name)s") % {"name": upload.name[:100]})
        name = filetypes.display_name(upload.name)
        if not upload.content:
            raise Invalid.field("attachments", _("“%(name)s” is empty.") % {"name": name})
        if not filetypes.fits(name, upload.content[: filetypes.HEAD_BYTES]):
            raise Invalid.field("attachments", _("“%(name)s” is not the kind of file its name says.") % {"name": name})
    with transaction.atomic():
        decision = Accountability.objects.create(
            town=town,
            target_kind=target_kind,
            kind=kind,
            reason=reason,
            decided_by=user,
            decided_at=decided_at or timezone.now(),
            **values,
        )
        decision.cases.set(cases)
        decision.orders.set(orders)
        for upload in attachments:
            attachment = AccountabilityAttachment(
                record=decision,
                name=filetypes.display_name(upload.name),
                content_type=(mimetypes.guess_type(upload.name)[0] or "application/octet-stream")[:100],
                size=len(upload.content),
                sha256=hashlib.sha256(upload.content).hexdigest(),
            )
            attachment.file.save(f"{decision.pk}-{attachment.sha256[:12]}", ContentFile(upload.content), save=False)
            attachment.save()
        record(
            action="oversight.accountability_record",
            actor=actor,
            obj=decision,
            request=request,
            data={
                "town": town.code,
                "kind": kind,
                "target_kind": target_kind,
                "cases": [case.number for case in cases],
                "orders": [order.upstream_number for order in orders],
                "attachments": len(attachments),
            },
        )
    return decision


def attachment_open(
    actor: User | AnonymousUser, pk: int, request: HttpRequest | None = None
) -> AccountabilityAttachment:
    found = AccountabilityAttachment.objects.filter(
        pk=pk, record__in=selectors.accountability_visible(actor).values("pk")
    ).first()
    if found is None:
        raise NotFound(_("Not found."))
    record(action="oversight.attachment_open", actor=actor, obj=found.record, request=request, data={"file": found.pk})
    return found


# --- exports --------------------------------------------------------------------------------------


def export_recorded(
    *, actor: User | AnonymousUser, what: str, rows: int, town: Area, request: HttpRequest | None = None
) -> None:
    """The audit row of a spreadsheet or document the office took out of the system."""
    record(
        action="oversight.export", actor=actor, request=request, data={"what": what, "rows": rows, "town": town.code}
    )

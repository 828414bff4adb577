"""What each action of the case loop does besides the status: one registered effect per action
of :mod:`gridgov.cases.transitions` (``void``, ``acknowledge``, ``verify_pass`` and ``close``
need none; closing is the stage clock's, see :meth:`CaseWorkflow.clock`).

An effect reads the step's inputs, changes the case through ``step.set``, adds to the timeline
entry's ``step.data`` and names the parties to tell in ``step.notify``. It raises
``ValidationError`` for bad input; nothing is written then.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Area
from gridgov.areas.selectors import current_grid
from gridgov.core.reminders import reminder_check
from gridgov.core.workflow import Step
from gridgov.people.models import Department
from gridgov.people.selectors import active_department, chosen_departments

from ..access import visible_q
from ..models import Case, CaseEvent, PendingExtension, Satisfaction, Status
from ..transitions import Action, Party
from .clock import stage_extend, stage_resume
from .common import COMMENT_MAX, EXTENSION_DAYS_MAX, as_validation_error, clean_text
from .notifications import responsible
from .workflow import CASE_WORKFLOW

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

effect = CASE_WORKFLOW.effect
CaseStep = Step[Case]


@effect(Action.REGISTER)
def register(step: CaseStep) -> None:
    """The center may correct the grid (another grid of the case's town)."""
    case = step.subject
    grid = step.input("grid")
    current = case.grid.code if case.grid else ""
    if grid and grid != current:
        new_grid = _grid_in_town(case, grid)
        step.data["grid"] = {"from": current, "to": new_grid.code}
        step.set(grid=new_grid, area_path=new_grid.path)


@effect(Action.ACCEPT)
def accept(step: CaseStep) -> None:
    step.set(handled_by_village=True)


@effect(Action.ESCALATE)
def escalate(step: CaseStep) -> None:
    step.set(escalated=True)
    step.notify = [Party.CENTER]


@effect(Action.MERGE)
def merge(step: CaseStep) -> None:
    other = _merge_target(step.subject, step.input("into"), step.actor)
    step.set(merged_into=other)
    step.data["into"] = other.number


@effect(Action.DISPATCH)
def dispatch(step: CaseStep) -> None:
    chosen = _departments(step.subject, step.input("departments") or ())
    step.set(lead_department=chosen[0], handled_by_village=False)
    step.data["departments"] = [d.code for d in chosen]
    step.notify = [Party.LEAD_DEPARTMENT]


@effect(Action.REPORT_BACK)
def report_back(step: CaseStep) -> None:
    result = step.input("result") or step.input("comment")
    step.data["result"] = clean_text(
        result, "result", required=True, maximum=COMMENT_MAX, message=_("Describe the result.")
    )
    verifier = Party.GRID_WORKER if step.subject.category.verification_required else Party.CENTER
    step.notify = [verifier]


@effect(Action.RETURN)
def return_(step: CaseStep) -> None:
    case = step.subject
    step.data["by_village"] = case.handled_by_village
    step.set(return_count=case.return_count + 1, handled_by_village=False)
    step.notify = [Party.CENTER]


@effect(Action.VERIFY_FAIL)
def verify_fail(step: CaseStep) -> None:
    """Rework: back to the same handler, with a new handling stage."""
    step.set(rework_count=step.subject.rework_count + 1)
    step.restart_clock = True
    step.notify = [Party.HANDLER]


@effect(Action.REQUEST_EXTENSION)
def request_extension(step: CaseStep) -> None:
    case = step.subject
    days = _extension_days(step.input("days"))
    request = PendingExtension(days=days, reason=step.input("comment"), by=step.actor.pk, stage=case.stage)
    step.set(pending_extension=request.to_json())
    step.data["days"] = days
    step.notify = [Party.CENTER]


@effect(Action.APPROVE_EXTENSION)
def approve_extension(step: CaseStep) -> None:
    """The open stage's deadline moves by the days asked for (the guard ensures a request)."""
    case = step.subject
    request = _decided(step)
    stage_extend(case, request.days if request else 1, step.now)
    step.set(extension_count=case.extension_count + 1)


@effect(Action.REJECT_EXTENSION)
def reject_extension(step: CaseStep) -> None:
    _decided(step)


def _decided(step: CaseStep) -> PendingExtension | None:
    """The pending request, now decided: dropped from the case, its days on the timeline, the
    handler told."""
    request = step.subject.extension_request
    step.data["days"] = request.days if request else None
    step.set(pending_extension=None)
    step.notify = [Party.HANDLER]
    return request


@effect(Action.PARK)
def park(step: CaseStep) -> None:
    step.set(parked_from=step.subject.status, parked_at=step.now)


@effect(Action.RESUME)
def resume(step: CaseStep) -> None:
    """The clock runs again: the open stage moves by the parked time."""
    stage_resume(step.subject, step.now)
    step.set(parked_from="", parked_at=None)


@effect(Action.REMIND)
def remind(step: CaseStep) -> None:
    case = step.subject
    reminder_check(
        CaseEvent.objects.filter(case=case, action=Action.REMIND, actor_id=getattr(step.actor, "pk", None)),
        now=step.now,
    )
    step.set(reminder_count=case.reminder_count + 1)
    step.notify = list(responsible(case))


@effect(Action.SUPERVISE)
def supervise(step: CaseStep) -> None:
    case = step.subject
    step.set(supervision_pending=True, supervision_count=case.supervision_count + 1)
    step.notify = [*responsible(case), Party.CENTER]


@effect(Action.REPLY_SUPERVISION)
def reply_supervision(step: CaseStep) -> None:
    step.set(supervision_pending=False)
    step.notify = [Party.LEADER]


@effect(Action.REOPEN)
def reopen(step: CaseStep) -> None:
    step.set(reopen_count=step.subject.reopen_count + 1, closed_at=None)


@effect(Action.CALLBACK)
def callback(step: CaseStep) -> None:
    """The party's answer to the call-back; a dissatisfied one, with its reason, reopens the case
    (registered again, for the center to dispatch)."""
    answer = str(step.input("satisfaction") or "")
    if answer not in Satisfaction.values:
        raise ValidationError({"satisfaction": [_("Choose what the party said.")]})
    case = step.subject
    step.set(satisfaction=answer, callback_at=step.now, callback_count=case.callback_count + 1)
    step.data["satisfaction"] = answer
    if answer == Satisfaction.DISSATISFIED:
        if not str(step.input("comment") or "").strip():
            raise ValidationError({"comment": [_("Write what the party is dissatisfied with.")]})
        step.target = Status.REGISTERED
        step.set(reopen_count=case.reopen_count + 1, closed_at=None)
        step.data["reopened"] = True


# --- checks of the inputs ----------------------------------------------------------------


def _grid_in_town(case: Case, code: str) -> Area:
    """A current grid of the case's town, by code (the center corrects a case's grid)."""
    found = current_grid(code=code.strip())
    if found is None or f"/{case.town_id}/" not in found.path:
        raise ValidationError({"grid": [_("Choose a grid of the case's town.")]})
    return found


def _extension_days(days: Any) -> int:
    message = _("Ask for 1 to %(n)s working days.") % {"n": EXTENSION_DAYS_MAX}
    try:
        value = int(days)
    except (TypeError, ValueError):
        raise ValidationError({"days": [message]}) from None
    if not 1 <= value <= EXTENSION_DAYS_MAX:
        raise ValidationError({"days": [message]})
    return value


def _departments(case: Case, codes: Sequence[str]) -> list[Department]:
    """The departments of a dispatch, lead first (none chosen: the category's department);
    sets the cooperating ones (a re-dispatch after a return replaces the earlier ones)."""
    with as_validation_error():
        chosen = chosen_departments(codes)
    if not chosen:
        default_id = case.category.default_department_id
        default = None if default_id is None else active_department(default_id)
        if default is None:
            raise ValidationError({"departments": [_("Choose the department to dispatch to.")]})
        chosen = [default]
    case.cooperating_departments.set(chosen[1:])
    return chosen


def _merge_target(case: Case, into: str | None, actor: User | AnonymousUser) -> Case:
    if not into:
        raise ValidationError({"into": [_("Give the number of the case this one duplicates.")]})
    query = Case.objects.filter(visible_q(actor))
    other = query.filter(number=into.strip()).first()
    if other is None and str(into).strip().isdigit():
        other = query.filter(pk=int(str(into).strip())).first()
    if other is None or other.pk == case.pk:
        raise ValidationError({"into": [_("No such case to merge into.")]})
    if other.status == Status.VOIDED:
        raise ValidationError({"into": [_("A voided case cannot take in duplicates.")]})
    return other

"""One declarative workflow engine for every object that moves through statuses.

A workflow is three things (``docs/workflow.md`` has a complete made-up example):

1. a **table** of :class:`Transition` rows: the action, the statuses it is allowed in, the
   next status (or :data:`SAME`), the parties who may take it, an optional :class:`Guard` with
   its own 409 code, and the inputs it requires;
2. one **effect** per action, registered with :meth:`Workflow.effect`: what the action does
   to the subject beyond its status (fields, history data, whom to notify, what to do after
   the history row exists);
3. a **parties resolver**: how an actor relates to a subject (:meth:`Workflow.parties`).

plus the storage hooks a subclass fills in once (how to lock a visible subject, how to write
its history row). :meth:`Workflow.act` is then the only code that changes a subject's status,
always in the same sequence:

    lock → transition lookup → replay? → parties → version → status → guard → required inputs
    → other inputs → effect → stage clock → save → history event → audit → notifications
    (queued in the transaction; the outbox sends them after commit) → after-history callbacks

Refusals raise the core errors (:mod:`gridgov.core.errors`) and write nothing: 404 when the
actor cannot see the subject or the action does not exist, 403 when it is not their move,
409 ``version_conflict`` / ``invalid_transition`` / the guard's code, 422 for a missing input.
:meth:`Workflow.allowed_actions` answers what a user may do now, from the same checks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Generic

from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from typing_extensions import TypeVar

from .errors import Conflict, Forbidden, Invalid, NotFound

SAME: Final = "="
"""The target of a transition that keeps the status."""

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

S = TypeVar("S", bound=models.Model)
# Who acts: a signed-in user or not (parties refuse the anonymous); a workflow whose system
# steps have no actor declares ``User | AnonymousUser | None``.
A = TypeVar("A", default="User | AnonymousUser")


@dataclass(frozen=True)
class Guard(Generic[S]):
    """A condition on the subject beyond its status; ``check`` returns True when allowed.
    When it fails the action answers 409 with ``code`` and ``message``."""

    code: str
    message: Promise | str
    check: Callable[[S, dt.datetime], bool]


@dataclass(frozen=True)
class Transition:
    """One row of a workflow's table."""

    action: str
    sources: frozenset[str]
    target: str
    parties: frozenset[str]
    guard: Guard[Any] | None = None
    required: tuple[str, ...] = ()
    # A nudge (a reminder, a supervision notice) changes nothing another party's open form relies
    # on: the subject's version stays, so a verification saved offline on a phone, or a form open
    # on a desk, is not refused because a leader reminded the case meanwhile.
    nudge: bool = False

    @property
    def comment_required(self) -> bool:
        return "comment" in self.required


def row(
    action: str,
    sources: Iterable[str],
    target: str,
    parties: Iterable[str],
    guard: Guard[Any] | None = None,
    *,
    required: Iterable[str] = (),
    nudge: bool = False,
) -> Transition:
    """A table row, written compactly: ``row(Action.X, {S.A, S.B}, S.C, {P.CENTER}, GUARD)``."""
    return Transition(str(action), frozenset(sources), str(target), frozenset(parties), guard, tuple(required), nudge)


@dataclass
class Step(Generic[S, A]):
    """One action being applied: what effects read and fill in."""

    workflow: Workflow[S, A]
    subject: S
    transition: Transition
    actor: A
    now: dt.datetime
    inputs: Mapping[str, Any]
    before: str
    target: str
    fields: set[str] = field(default_factory=set)
    data: dict[str, Any] = field(default_factory=dict)
    notify: list[str] = field(default_factory=list)
    restart_clock: bool = False
    after: list[Callable[[Any], None]] = field(default_factory=list)
    event: Any = None

    @property
    def action(self) -> str:
        return self.transition.action

    def set(self, **values: Any) -> None:
        """Change fields of the subject; they are saved with the step."""
        for name, value in values.items():
            setattr(self.subject, name, value)
            self.fields.add(name)

    def input(self, name: str, default: Any = None) -> Any:
        return self.inputs.get(name, default)


Effect = Callable[[Step[S, A]], None]


class Workflow(Generic[S, A]):
    """A table, its effects and the hooks of one kind of subject. Subclass it once per kind,
    set :attr:`model`, and implement :meth:`parties`, :meth:`visible` and :meth:`record`."""

    model: type[S]
    status_field: str = "status"
    version_field: str | None = "version"
    forbidden_message: Promise | str = _("This action is not yours to take.")
    version_message: Promise | str = _("Someone else changed this meanwhile. Reload it; your text is kept in the form.")
    required_message: Promise | str = _("This field is required.")

    def __init__(self, name: str, transitions: Iterable[Transition], *, labels: Mapping[str, Any]) -> None:
        self.name = name
        self.table: dict[str, Transition] = {}
        for transition in transitions:
            if transition.action in self.table:
                raise ValueError(f"{name}: action {transition.action!r} has two rows")
            self.table[transition.action] = transition
        self.labels = labels
        self._effects: dict[str, Effect[S, A]] = {}

    # --- declaring ------------------------------------------------------------------------

    def effect(self, *actions: str) -> Callable[[Effect[S, A]], Effect[S, A]]:
        """Register the effect of one or more actions of the table."""

        def register(function: Effect[S, A]) -> Effect[S, A]:
            for action in actions:
                if str(action) not in self.table:
                    raise ValueError(f"{self.name}: no row for the effect of {action!r}")
                if str(action) in self._effects:
                    raise ValueError(f"{self.name}: two effects for {action!r}")
                self._effects[str(action)] = function
            return function

        return register

    def label(self, action: str) -> str:
        found = self.labels.get(action)
        return str(found) if found is not None else action

    # --- hooks a workflow fills in ---------------------------------------------------------

    def parties(self, actor: A, subject: S) -> set[str]:
        """How ``actor`` relates to ``subject`` (the party codes of the table)."""
        raise NotImplementedError

    def visible(self, actor: A) -> models.Q:
        """The subjects ``actor`` may see, as a filter on :attr:`model`."""
        raise NotImplementedError

    def record(self, step: Step[S, A]) -> Any:
        """Write the history row of a step and return it."""
        raise NotImplementedError

    def lock(self, subject_id: int, actor: A) -> S:
        """The subject, locked for the transaction, if ``actor`` may see it; else 404."""
        subject = (
            self.model._default_manager.select_for_update(of=("self",))
            .filter(self.visible(actor), pk=subject_id)
            .first()
        )
        if subject is None:
            raise NotFound(_("Not found."))
        return subject

    def status_label(self, status: str) -> str:
        return status

    def forbidden(self, subject: S, transition: Transition) -> Forbidden:
        """The refusal of an actor who sees the subject but whose move it is not (one message
        for the whole table unless a workflow explains some actions apart)."""
        return Forbidden(self.forbidden_message)

    def invalid_message(self, subject: S, transition: Transition) -> str:
        return str(
            _("“%(action)s” is not possible in the status %(status)s.")
            % {"action": self.label(transition.action), "status": self.status_label(self.status_of(subject))}
        )

    def replay(self, subject: S, transition: Transition, actor: A, inputs: Mapping[str, Any]) -> bool:
        """True when this request was already applied (an idempotent retry): nothing is done."""
        return False

    def clean_required(self, name: str, value: Any) -> Any:
        """A required input's value, cleaned; raise :class:`Invalid` when it is missing."""
        if value is None or (isinstance(value, str) and not value.strip()):
            raise Invalid.field(name, self.required_message)
        return value.strip() if isinstance(value, str) else value

    def clean_inputs(self, subject: S, transition: Transition, inputs: dict[str, Any], actor: A) -> None:
        """Clean the inputs every action shares, in place, once the required ones are in
        (lengths, attached files and whether ``actor`` may send them…); raise to refuse. Runs
        before the effect."""

    def next_status(self, step: Step[S, A]) -> str:
        target = step.transition.target
        return step.before if target == SAME else target

    def clock(self, step: Step[S, A]) -> None:
        """Stage bookkeeping after the effect (a timed workflow ends and opens stages here)."""

    def save(self, step: Step[S, A]) -> None:
        """Write the changed fields (and the version, when there is one)."""
        fields = set(step.fields)
        if self.status_of(step.subject) != step.before:
            fields.add(self.status_field)
        if self.version_field is not None and not step.transition.nudge:
            setattr(step.subject, self.version_field, getattr(step.subject, self.version_field) + 1)
            fields.add(self.version_field)
        if fields:
            step.subject.save(update_fields=sorted(fields))

    def audit(self, step: Step[S, A]) -> None:
        """An extra audit row for the step (the history row is the usual record)."""

    def send_notices(self, step: Step[S, A]) -> None:
        """Queue the notices for ``step.notify`` (through the outbox, sent after commit)."""

    # --- the engine ------------------------------------------------------------------------

    def status_of(self, subject: S) -> str:
        return str(getattr(subject, self.status_field))

    def transition(self, action: str) -> Transition:
        found = self.table.get(str(action))
        if found is None:
            raise NotFound(_("Unknown action."), code="unknown_action")
        return found

    def refusal(self, subject: S, transition: Transition, actor: A, now: dt.datetime) -> Exception | None:
        """Why ``actor`` may not take ``transition`` now (the version is checked apart)."""
        if not (self.parties(actor, subject) & transition.parties):
            return self.forbidden(subject, transition)
        return self.state_refusal(subject, transition, now)

    def state_refusal(self, subject: S, transition: Transition, now: dt.datetime) -> Conflict | None:
        """Why the subject's state does not allow ``transition`` now: its status, then the guard."""
        if self.status_of(subject) not in transition.sources:
            return Conflict(self.invalid_message(subject, transition), code="invalid_transition")
        guard = transition.guard
        if guard is not None and not guard.check(subject, now):
            return Conflict(guard.message, code=guard.code)
        return None

    def allowed_actions(self, subject: S, user: A, now: dt.datetime | None = None) -> list[str]:
        """The actions ``user`` may take on ``subject`` now, in table order."""
        now = now or timezone.now()
        parties = self.parties(user, subject)
        status = self.status_of(subject)
        return [
            action
            for action, transition in self.table.items()
            if status in transition.sources
            and parties & transition.parties
            and (transition.guard is None or transition.guard.check(subject, now))
        ]

    def act(
        self,
        subject_id: int,
        action: str,
        *,
        actor: A,
        inputs: Mapping[str, Any] | None = None,
        version: int | None = None,
        at: dt.datetime | None = None,
    ) -> S:
        """Apply one action of the table to the subject, in one transaction."""
        with transaction.atomic():
            return self._act(subject_id, action, actor=actor, inputs=dict(inputs or {}), version=version, at=at)

    def _act(
        self,
        subject_id: int,
        action: str,
        *,
        actor: A,
        inputs: dict[str, Any],
        version: int | None,
        at: dt.datetime | None,
    ) -> S:
        now = at or timezone.now()
        subject = self.lock(subject_id, actor)
        transition = self.transition(action)
        if self.replay(subject, transition, actor, inputs):
            return subject
        if not (self.parties(actor, subject) & transition.parties):
            raise self.forbidden(subject, transition)
        if version is not None and self.version_field is not None and version != getattr(subject, self.version_field):
            raise Conflict(self.version_message, code="version_conflict")
        refused = self.state_refusal(subject, transition, now)
        if refused is not None:
            raise refused
        for name in transition.required:
            inputs[name] = self.clean_required(name, inputs.get(name))
        self.clean_inputs(subject, transition, inputs, actor)
        before = self.status_of(subject)
        step: Step[S, A] = Step(self, subject, transition, actor, now, inputs, before, target="")
        step.target = self.next_status(step)
        effect = self._effects.get(transition.action)
        if effect is not None:
            effect(step)
        setattr(subject, self.status_field, step.target)
        self.clock(step)
        self.save(step)
        step.event = self.record(step)
        self.audit(step)
        if step.notify:
            self.send_notices(step)
        for callback in step.after:
            callback(step.event)
        return subject

    def check_complete(self) -> None:
        """Every action has an effect or needs none; raises on a table that names no parties."""
        for action, transition in self.table.items():
            if not transition.parties:
                raise ValueError(f"{self.name}: {action!r} names no party")
            if not transition.sources:
                raise ValueError(f"{self.name}: {action!r} is allowed in no status")

"""What the two workflows of an order share on the engine (:mod:`gridgov.core.workflow`): the
lock of a visible order, the save with the step mirror, the step clock, the refusal texts, the
history row and the notices. :mod:`.act` (the town's actions) and :mod:`.events` (upstream's
events) each add their table, parties and effects."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core.errors import clean_text
from gridgov.core.workflow import Step, Transition, Workflow

from ..access import visible_q
from ..models import EventOrigin, HotlineOrder, OrderEvent, OrderStatus
from ..transitions import ACTION_LABELS, Party
from . import clock
from .inputs import COMMENT_MAX
from .notifications import notify
from .store import lock_visible, record_event, save_order

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

OrderStep = Step[HotlineOrder]


class OrderWorkflow(Workflow[HotlineOrder]):
    """The hooks every workflow of hotline orders shares."""

    model = HotlineOrder
    version_message = gettext_lazy(
        "Someone else changed this order meanwhile. Reload it; your text is kept in the form."
    )
    # The history row's origin and the prefix of the notices' kind.
    origin: ClassVar[str] = EventOrigin.TOWN
    notice_prefix: ClassVar[str] = "hotline."

    def __init__(self, name: str, transitions: list[Transition]) -> None:
        super().__init__(name, transitions, labels=ACTION_LABELS)

    def visible(self, actor: User | AnonymousUser) -> Q:
        return visible_q(actor)

    def lock(self, subject_id: int, actor: User | AnonymousUser) -> HotlineOrder:
        return lock_visible(subject_id, actor)

    def status_label(self, status: str) -> str:
        return str(OrderStatus(status).label)

    def invalid_message(self, subject: HotlineOrder, transition: Transition) -> str:
        return _("“%(action)s” is not possible while the order is %(status)s.") % {
            "action": self.label(transition.action),
            "status": self.status_label(subject.status),
        }

    def effects(self, *actions: str) -> Callable[[Callable[[OrderStep], None]], Callable[[OrderStep], None]]:
        """Register the effect of ``actions``; the step's optional ``comment`` is cleaned first
        (stripped, at most 2,000 characters), before anything else the effect reads."""

        def register(function: Callable[[OrderStep], None]) -> Callable[[OrderStep], None]:
            def run(step: OrderStep) -> None:
                step.inputs = {
                    **step.inputs,
                    "comment": clean_text(step.input("comment"), "comment", COMMENT_MAX, required=False),
                }
                function(step)

            run.__name__ = run.__qualname__ = function.__name__
            run.__doc__ = function.__doc__
            self.effect(*actions)(run)
            return function

        return register

    def clock(self, step: OrderStep) -> None:
        """A change of status ends the open step and starts the new status's one."""
        if step.subject.status != step.before:
            clock.enter_step(step.subject, step.now)

    def save(self, step: OrderStep) -> None:
        save_order(step.subject, *step.fields)

    def record(self, step: OrderStep) -> OrderEvent:
        return record_event(
            step.subject,
            step.action,
            actor=step.actor,
            at=step.now,
            from_status=step.before,
            comment=step.input("comment", ""),
            data=self.history_data(step),
            origin=self.origin,
        )

    def history_data(self, step: OrderStep) -> dict[str, Any]:
        return step.data

    def send_notices(self, step: OrderStep) -> None:
        kind = f"{self.notice_prefix}{step.action}"
        parties = [Party(party) for party in step.notify]
        notify(step.subject, parties, kind, {"action": step.action}, actor=step.actor)

    def check_complete(self) -> None:
        """Every row has a party and a source, and an effect (the comment is cleaned there)."""
        super().check_complete()
        missing = set(self.table) - set(self._effects)
        if missing:
            raise ValueError(f"{self.name}: no effect for {sorted(missing)}")

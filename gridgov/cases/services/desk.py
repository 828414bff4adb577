"""The center's one step for a phoned-in demand: report, register and dispatch at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction

from ..models import Case, Status
from ..transitions import Action
from .act import case_act
from .create import case_create

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@transaction.atomic
def case_create_dispatched(
    *, actor: User | AnonymousUser, departments: Sequence[str] = (), **report: Any
) -> tuple[Case, bool]:
    """:func:`case_create`, then ``register`` and ``dispatch`` (to ``departments``, lead
    first; empty: the category's department) through the workflow engine, all in one
    transaction: a refused step leaves nothing. With the same ``idempotency_key`` again the
    case created the first time comes back (``created`` False) and nothing more is done."""
    case, created = case_create(actor=actor, **report)
    if not created:
        return case, False
    if case.status == Status.REPORTED:
        case = case_act(case.pk, Action.REGISTER, actor=actor)
        case = case_act(case.pk, Action.DISPATCH, actor=actor, departments=list(departments))
    return case, True

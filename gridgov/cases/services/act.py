"""Acting on a case: :func:`case_act` applies one action of the table through the workflow
engine; :func:`cases_act_batch` applies one to several cases, each on its own;
:func:`allowed_actions` answers which actions a user may take now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..models import Case
from ..transitions import Action
from . import (
    effects,  # noqa: F401 - registers the effect of each action
    idempotency,
)
from .common import CaseError, CaseNotFound, Photo
from .workflow import CASE_WORKFLOW, IDEMPOTENCY

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def allowed_actions(case: Case, user: User | AnonymousUser, now: dt.datetime | None = None) -> list[Action]:
    """The actions ``user`` may take on the case now (for showing only the usable forms), in
    the table's order."""
    return [Action(action) for action in CASE_WORKFLOW.allowed_actions(case, user, now)]


def case_act(
    case_id: int,
    action: str,
    *,
    actor: User | AnonymousUser,
    comment: str = "",
    version: int | None = None,
    departments: Sequence[str] = (),
    result: str = "",
    into: str | None = None,
    days: int | None = None,
    grid: str | None = None,
    photos_in: Sequence[Photo] = (),
    satisfaction: str = "",
    idempotency_key: str | None = None,
    at: dt.datetime | None = None,
) -> Case:
    """Apply one action of the transition table to a case. ``register`` may correct the grid
    (``grid``: the code of another grid of the case's town), e.g. for a report made near a
    boundary. ``callback`` records the party's ``satisfaction`` (a dissatisfied answer, with
    its ``comment``, reopens the case).

    With an ``idempotency_key`` already used by the actor for this same action on this same
    case with the same body, nothing is done again and the case comes back as it is now (a
    phone's retry after a lost answer); the key used for anything else is refused (422).

    Raises :class:`CaseNotFound` (the actor cannot see the case), :class:`CaseForbidden` (not
    the actor's move), :class:`CaseConflict` (not in this status, a guard, or ``version`` is
    stale) or ``ValidationError`` (bad input). Nothing is written when it raises.
    """
    inputs: dict[str, Any] = {
        "comment": comment,
        "departments": departments,
        "result": result,
        "into": into,
        "days": days,
        "grid": grid,
        "photos": photos_in,
        "satisfaction": satisfaction,
    }
    key = idempotency.key_clean(idempotency_key)
    if key is not None:
        # The body without ``version`` (a retry sends the same one) and without the photos
        # (a retry may send them again or not; the same photo is stored once anyway).
        inputs[IDEMPOTENCY] = (
            key,
            idempotency.fingerprint(
                comment, list(departments), result, into, days, grid, *([satisfaction] if satisfaction else [])
            ),
        )
    return CASE_WORKFLOW.act(case_id, action, actor=actor, inputs=inputs, version=version, at=at)


@dataclass(frozen=True)
class BatchOutcome:
    """What one case of a batch came to: done, or refused with the reason."""

    case_id: int
    number: str
    done: bool
    message: str = ""


BATCH_MAX = 100


def cases_act_batch(
    case_ids: Sequence[int],
    action: str,
    *,
    actor: User | AnonymousUser,
    versions: Mapping[int, int] | None = None,
    idempotency_key: str | None = None,
) -> list[BatchOutcome]:
    """Apply one action (without input, e.g. ``acknowledge``) to several cases, each through
    :func:`case_act` in its own transaction: a refusal on one case (not visible, not the
    actor's move, changed meanwhile) leaves the others done, and is reported with its reason.
    With an ``idempotency_key`` each case uses ``key:id``, so the same batch sent twice acts
    once per case."""
    if len(case_ids) > BATCH_MAX:
        raise ValidationError({"cases": [_("At most %(n)s cases at a time.") % {"n": BATCH_MAX}]})
    outcomes: list[BatchOutcome] = []
    numbers = dict(Case.objects.filter(pk__in=list(case_ids)).values_list("pk", "number"))
    for case_id in dict.fromkeys(case_ids):
        key = f"{idempotency_key[:40]}:{case_id}" if idempotency_key else None
        try:
            case = case_act(case_id, action, actor=actor, version=(versions or {}).get(case_id), idempotency_key=key)
        except CaseNotFound:
            outcomes.append(BatchOutcome(case_id, "", False, str(_("No such case."))))
        except CaseError as error:
            outcomes.append(BatchOutcome(case_id, numbers.get(case_id, ""), False, error.message))
        except ValidationError as error:
            outcomes.append(BatchOutcome(case_id, numbers.get(case_id, ""), False, " ".join(error.messages)))
        else:
            outcomes.append(BatchOutcome(case_id, case.number, True))
    return outcomes

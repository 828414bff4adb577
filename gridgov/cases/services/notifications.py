"""Whom the case loop tells: the users standing in a party of a case, who must act next, and
the notices queued through the outbox (``gridgov.notify``) in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from django.contrib.auth import get_user_model

from gridgov.core.actors import signed_in
from gridgov.notify.services import notify
from gridgov.people.models import Role
from gridgov.people.selectors import role_holders

from ..access import ancestor_ids
from ..models import Case, Status
from ..transitions import Party
from .common import case_url

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
else:
    User = get_user_model()

# The area roles that stand in each party, over the case's area or an area above it.
AREA_PARTY_ROLES: Final[dict[str, tuple[str, ...]]] = {
    Party.CENTER: (Role.CENTER_OPERATOR,),
    Party.LEADER: (Role.TOWN_LEADER,),
    Party.VILLAGE_LEADER: (Role.GRID_LEADER,),
    Party.VILLAGE: (Role.GRID_LEADER, Role.VILLAGE_STAFF),
}


def recipient_ids(case: Case, party: Party) -> list[int]:
    """Ids of the active users standing in ``party`` for the case (for notifications), in
    one query."""
    if party in AREA_PARTY_ROLES:
        return role_holders(AREA_PARTY_ROLES[party], area_ids=ancestor_ids(case))
    if party == Party.GRID_WORKER:
        return role_holders([Role.GRID_WORKER], area_ids=[case.grid_id]) if case.grid_id is not None else []
    if party == Party.HANDLER and case.handled_by_village:
        return recipient_ids(case, Party.VILLAGE)
    if party in (Party.LEAD_DEPARTMENT, Party.HANDLER):
        if case.lead_department_id is None:
            return []
        return role_holders([Role.DEPARTMENT_HANDLER], department_id=case.lead_department_id)
    return []  # pragma: no cover - every party is listed above


def responsible(case: Case) -> list[Party]:
    """Who must act next on the case in its current status."""
    if case.status == Status.REPORTED:
        return [Party.CENTER] if case.escalated else [Party.VILLAGE_LEADER, Party.CENTER]
    if case.status in (Status.REGISTERED, Status.RETURNED):
        return [Party.CENTER]
    if case.status in (Status.DISPATCHED, Status.IN_PROGRESS):
        return [Party.HANDLER]
    if case.status == Status.AWAITING_VERIFICATION:
        return [Party.GRID_WORKER] if case.category.verification_required else [Party.CENTER]
    return []


def parties_notify(
    case: Case,
    parties: Iterable[str],
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    actor: User | AnonymousUser | None,
    body: str = "",
    exclude: Iterable[int] = (),
) -> None:
    """Tell the users standing in ``parties`` (but those in ``exclude``) about the case; the
    text is rendered for each reader (``notices.py``)."""
    user_ids = {user_id for party in parties for user_id in recipient_ids(case, Party(party))}
    user_ids.difference_update(exclude)
    if not user_ids:
        return
    notify(
        recipients=[User(pk=user_id) for user_id in sorted(user_ids)],
        kind=kind,
        params={"number": case.number, **(params or {})},
        body=body or case.description[:120],
        url=case_url(case),
        obj=case,
        actor=signed_in(actor),
    )

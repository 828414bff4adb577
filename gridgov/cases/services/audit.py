"""Reads of cases that leave an audit row: an export of a list, a reveal of the involved
party's details."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.core.audit import record
from gridgov.core.reveals import reveal_guard

from ..access import can_reveal
from ..models import Case
from .common import CaseForbidden

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@transaction.atomic
def export_recorded(
    *, actor: User | AnonymousUser, rows: int, filters: dict[str, Any], request: HttpRequest | None = None
) -> None:
    """Write the audit row of an export of cases (who, which filters, how many rows)."""
    record(action="case.export", actor=actor, request=request, data={"rows": rows, "filters": filters})


def reveal_party(case: Case, *, actor: User | AnonymousUser, request: HttpRequest | None = None) -> dict[str, str]:
    """The involved party's name and phone in full, for a viewer allowed to see them; the
    reveal is recorded in the audit log."""
    if not can_reveal(actor, case):
        raise CaseForbidden(_("You may not see this person's details."))
    with reveal_guard(actor, request):
        record(action="case.reveal_party", actor=actor, obj=case, request=request, data={"number": case.number})
    return {"party_name": case.party_name, "party_phone": case.party_phone}

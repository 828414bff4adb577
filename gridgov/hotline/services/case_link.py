"""An order and the case doing its field work in the case loop: the case created or linked by
the center, its result for the draft, and the timeline line when it closes (a hook the case
loop calls)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from gridgov.cases.models import OPEN_STATUSES, Case, Source
from gridgov.cases.models import Status as CaseStatus
from gridgov.cases.selectors import cases_visible, last_report_back
from gridgov.cases.services import CaseError, case_create
from gridgov.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound

from .. import conf
from ..models import OPEN_ORDER_STATUSES, EventOrigin, HotlineOrder, OrderStatus
from ..transitions import CASE_CLOSED, Party
from .inputs import invalid
from .notifications import notify
from .store import record_event

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.areas.models import Area


def _refusal(error: Exception) -> DomainError:
    """A refusal of the case loop as the hotline's: the same kind (a case not found stays 404;
    a refusal of the case loop's own rules is the center's to read: 403)."""
    if isinstance(error, DomainError):
        return error
    status = getattr(error, "status", 403)
    message = getattr(error, "message", str(error))
    kind = {404: NotFound, 409: Conflict, 422: Invalid}.get(status, Forbidden)
    if kind is Forbidden:
        return Forbidden(message)
    return kind(message, code=getattr(error, "code", None))


def _invalid_case(details: dict[str, list[str]]) -> Invalid:
    return Invalid(_("The case could not be created."), details=details)


def create_case(
    order: HotlineOrder, *, actor: User | AnonymousUser, grid: Area, category: str, now: dt.datetime
) -> Case:
    """A case in the case loop for the order's field work (no petitioner data on it)."""
    own = order.category.code if order.category is not None else ""
    code = category.strip() or own or str(conf.get("CASE_CATEGORY"))
    description = "\n".join(part for part in (order.title, order.content) if part)[:2000]
    try:
        case, _created = case_create(
            actor=actor,
            category=code,
            description=description,
            address=order.address[:200],
            source=Source.HOTLINE,
            grid=grid,
            comment=gettext("From hotline order %(number)s") % {"number": order.upstream_number},
            at=now,
        )
    except ValidationError as error:
        details = (
            {f: [str(m) for m in ms] for f, ms in error.message_dict.items()}
            if hasattr(error, "error_dict")
            else {"__all__": [str(m) for m in error.messages]}
        )
        raise _invalid_case(details) from None
    except Invalid as error:
        raise _invalid_case(error.details or {"__all__": [error.message]}) from None
    except CaseError as error:
        raise _refusal(error) from None
    return case


def visible_case(actor: User | AnonymousUser, case_id: int | None, order: HotlineOrder) -> Case:
    """The case to link: one the actor sees, not voided, in the order's town."""
    if case_id is None:
        raise invalid("case_id", _("Choose the case to link."))
    case = cases_visible(actor).filter(pk=case_id).first()
    if case is None:
        raise invalid("case_id", _("No such case in your area."))
    if case.status == CaseStatus.VOIDED:
        raise invalid("case_id", _("A voided case cannot be linked."))
    if f"/{order.town_id}/" not in case.area_path:
        raise invalid("case_id", _("Choose a case of the order's town."))
    return case


def case_result(order: HotlineOrder) -> dict[str, Any] | None:
    """The linked case's number, status and result (the last report-back), for the draft."""
    case = order.case if order.case_id is not None else None
    if case is None:
        return None
    last = last_report_back(case.pk)
    return {
        "id": case.pk,
        "number": case.number,
        "status": case.status,
        "open": case.status in OPEN_STATUSES,
        "closed_at": case.closed_at,
        "result": (last.data or {}).get("result", "") if last is not None else "",
    }


def case_closed(case: Case, actor: User | AnonymousUser | None, at: dt.datetime) -> None:
    """A case closed (a hook of the case loop, inside its transaction): every open order linked
    to it gets a timeline line, and the lead department of an order waiting for its reply is
    told that the reply can be drafted now (the case's result is on the order page)."""
    orders = (
        HotlineOrder.objects.select_for_update(of=("self",))
        .filter(case_id=case.pk, status__in=OPEN_ORDER_STATUSES)
        .order_by("id")
    )
    for order in orders:
        record_event(
            order,
            CASE_CLOSED,
            actor=actor,
            at=at,
            from_status=order.status,
            data={"case": case.pk, "number": case.number},
            origin=EventOrigin.SYSTEM,
        )
        if order.status == OrderStatus.INSTRUCTED:
            notify(order, [Party.LEAD_DEPARTMENT], "hotline.case_closed", {"action": CASE_CLOSED}, actor=actor)

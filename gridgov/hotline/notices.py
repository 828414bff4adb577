"""What the hotline's notifications say, rendered in the reader's language when shown or sent.

Every notice about an order stores the order's upstream number, type and class codes
(:func:`order_params`) and, as its note, the petitioner's masked phone (:func:`order_note`); the
content stays on the order's page (it may quote the petitioner). Registered when the app is
ready (``HotlineConfig.ready``).

======================  ==============================  =============================================
kind                    params besides the order's      title
======================  ==============================  =============================================
``hotline.received``                                    a new order arrived
``hotline.warning``                                     80 % of the step's time limit has passed
``hotline.overdue``                                     the step is overdue
``hotline.<anything>``  ``action``                      "12345 <number> <the action's label>"
======================  ==============================  =============================================

The body is the order's type, its class and the masked phone (:func:`order_summary`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext

from gridgov.notify.rendering import Params, Rendered, renders

from .models import OrderType, UrgencyClass
from .transitions import label

if TYPE_CHECKING:
    from .models import HotlineOrder


def order_params(order: HotlineOrder) -> dict[str, Any]:
    """The codes a notice about ``order`` is rendered from."""
    return {"number": order.upstream_number, "type": order.order_type, "class": order.urgency_class}


def order_note(order: HotlineOrder) -> str:
    """What a notice shows of the petitioner: the masked phone only."""
    return order.petitioner_phone_masked or ""


def _label(choices: type[OrderType] | type[UrgencyClass], code: Any) -> str:
    return str(choices(code).label) if code in choices.values else str(code or "")


def order_summary(params: Params, note: str) -> str:
    """The order's type, class and masked phone, in the active language."""
    parts = [_label(OrderType, params.get("type")), _label(UrgencyClass, params.get("class")), note]
    return " · ".join(part for part in parts if part)


@renders("hotline.*")
def action_notice(params: Params, note: str) -> Rendered:
    return Rendered(f"12345 {params['number']} {label(str(params['action']))}", order_summary(params, note))


@renders("hotline.received")
def received_notice(params: Params, note: str) -> Rendered:
    title = gettext("New hotline order %(number)s") % {"number": params["number"]}
    return Rendered(title, order_summary(params, note))


@renders("hotline.overdue")
def overdue_notice(params: Params, note: str) -> Rendered:
    title = gettext("Hotline order %(number)s is overdue") % {"number": params["number"]}
    return Rendered(title, order_summary(params, note))


@renders("hotline.warning")
def warning_notice(params: Params, note: str) -> Rendered:
    title = gettext("Hotline order %(number)s: 80%% of the time limit has passed") % {"number": params["number"]}
    return Rendered(title, order_summary(params, note))

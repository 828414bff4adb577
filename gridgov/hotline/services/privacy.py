"""The petitioner's identity: revealed in full to those allowed (audited), a department let
see it by the center's grant, the attachments (which may identify the petitioner) opened."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.actors import signed_in
from gridgov.core.audit import record
from gridgov.core.errors import Forbidden, NotFound, clean_text
from gridgov.core.reveals import reveal_guard
from gridgov.people.selectors import department_code

from ..access import can_reveal, parties_of, visible_q
from ..models import HotlineOrder, IdentityGrant, OrderAttachment
from ..transitions import GRANT, REVEAL, Party
from .inputs import COMMENT_MAX, invalid
from .store import lock_visible, record_event

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@dataclass(frozen=True)
class Petitioner:
    name: str
    phone: str
    address: str


def petitioner_reveal(*, order_id: int, actor: User | AnonymousUser, request: HttpRequest | None = None) -> Petitioner:
    """The petitioner in full for a viewer allowed to see it (``access.can_reveal``); recorded
    in the audit log (``hotline.petitioner_reveal``) and on the order's timeline. A refusal is
    audited too (``success`` false) before :class:`~gridgov.core.errors.Forbidden` is raised."""
    order = HotlineOrder.objects.filter(visible_q(actor), pk=order_id).first()
    if order is None:
        raise NotFound(_("No such work order."))
    audit = {"upstream_number": order.upstream_number}
    if not can_reveal(actor, order):
        record(action="hotline.petitioner_reveal", actor=actor, obj=order, success=False, request=request, data=audit)
        raise Forbidden(_("You may not see this petitioner's details."))
    with reveal_guard(actor, request), transaction.atomic():
        record(action="hotline.petitioner_reveal", actor=actor, obj=order, request=request, data=audit)
        record_event(order, REVEAL, actor=actor, at=timezone.now(), from_status=order.status)
    return Petitioner(order.petitioner_name, order.petitioner_phone, order.petitioner_address)


def attachment_open(
    *, attachment_id: int, actor: User | AnonymousUser, request: HttpRequest | None = None
) -> OrderAttachment:
    """An attachment of a visible order, for a viewer who may see the petitioner: what a
    petitioner sends (photos, recordings, letters) can identify them. Each opening is an audit
    row ``hotline.attachment_open``; a refusal is audited too before ``Forbidden``."""
    item = (
        OrderAttachment.objects.select_related("order")
        .filter(pk=attachment_id, order__in=HotlineOrder.objects.filter(visible_q(actor)))
        .first()
    )
    if item is None:
        raise NotFound(_("No such attachment."))
    audit = {"attachment": item.pk, "upstream_number": item.order.upstream_number}
    if not can_reveal(actor, item.order):
        record(
            action="hotline.attachment_open", actor=actor, obj=item.order, success=False, request=request, data=audit
        )
        raise Forbidden(_("Only those who may see the petitioner open the attachments."))
    with reveal_guard(actor, request):
        record(action="hotline.attachment_open", actor=actor, obj=item.order, request=request, data=audit)
    return item


@transaction.atomic
def identity_grant(*, order_id: int, department_id: int, actor: User | AnonymousUser, reason: str) -> IdentityGrant:
    """The center lets one department of the order (lead or cooperating) see its petitioner;
    granting twice returns the existing grant."""
    order = lock_visible(order_id, actor)
    if Party.CENTER not in parties_of(actor, order):
        raise Forbidden(_("Only the center grants access to the petitioner."))
    reason = clean_text(reason, "reason", COMMENT_MAX, required=True)
    involved = {order.lead_department_id, *order.cooperating_departments.values_list("pk", flat=True)}
    if department_id not in involved:
        raise invalid("department", _("Choose a department that works on this order."))
    existing = IdentityGrant.objects.filter(order=order, department_id=department_id).first()
    if existing is not None:
        return existing
    now = timezone.now()
    by = signed_in(actor)
    assert by is not None  # the center of the order's town
    grant = IdentityGrant.objects.create(
        order=order, department_id=department_id, granted_by=by, granted_at=now, reason=reason
    )
    code = department_code(department_id)
    record(
        action="hotline.identity_grant",
        actor=actor,
        obj=order,
        data={"upstream_number": order.upstream_number, "department": code},
    )
    record_event(order, GRANT, actor=actor, at=now, from_status=order.status, comment=reason, data={"department": code})
    return grant

"""The visit plans: how often households with a care tag, and units with a hazard tag or key
places of a kind, are visited; their defaults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gridgov.access.scope import scope_for
from gridgov.core.audit import record
from gridgov.people.models import Role

from .. import access
from ..models import (
    CareTag,
    UnitPlanTag,
    UnitVisitPlan,
    VisitPlan,
)
from .common import VisitForbidden

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest


def _may_set_plans(actor: User | AnonymousUser) -> None:
    """The center or an administrator sets the visit plans (both kinds)."""
    if not (access.is_administrator(actor) or scope_for(actor).has_role(Role.CENTER_OPERATOR)):
        raise VisitForbidden(_("Only the center sets the visit plans."))


@transaction.atomic
def plan_set(
    *,
    actor: User | AnonymousUser,
    care_tag: str,
    interval_days: int,
    active: bool = True,
    request: HttpRequest | None = None,
) -> VisitPlan:
    """Set how often households with ``care_tag`` are visited (the center or an administrator)."""
    _may_set_plans(actor)
    if care_tag not in CareTag.values:
        raise ValidationError({"care_tag": [_("Unknown tag: %(tag)s.") % {"tag": care_tag}]})
    if not 1 <= interval_days <= 366:
        raise ValidationError({"interval_days": [_("Between 1 and 366 days.")]})
    plan, _created = VisitPlan.objects.update_or_create(
        care_tag=care_tag, defaults={"interval_days": interval_days, "active": active}
    )
    record(
        action="visits.plan_set",
        actor=actor,
        obj=plan,
        request=request,
        data={"care_tag": care_tag, "interval_days": interval_days, "active": active},
    )
    return plan


# How often a household with each care tag is visited until the center changes it (the
# migration 0002 creates the same plans).
DEFAULT_PLANS: Final = {
    CareTag.ELDERLY_ALONE: 7,
    CareTag.DISABLED: 14,
    CareTag.LEFT_BEHIND_CHILD: 14,
    CareTag.LOW_INCOME: 30,
}


# How often a unit with each hazard tag, or a key place of each kind, is visited until the
# center changes it, and whether the plan is on (the migration 0003 creates the same plans).
# Fire, crowd and flood are on nearly every shop, school or low street, which the monthly
# coverage asks for anyway: their plans start switched off.
DEFAULT_UNIT_PLANS: Final = {
    UnitPlanTag.HAZARD_POINT: (7, True),
    UnitPlanTag.CONSTRUCTION_SITE: (7, True),
    UnitPlanTag.CHEMICALS: (14, True),
    UnitPlanTag.STRUCTURE: (14, True),
    UnitPlanTag.GAS: (30, True),
    UnitPlanTag.FIRE: (30, False),
    UnitPlanTag.CROWD: (30, False),
    UnitPlanTag.FLOOD: (30, False),
}


def unit_plan_set(
    *,
    actor: User | AnonymousUser,
    tag: str,
    interval_days: int,
    active: bool = True,
    request: HttpRequest | None = None,
) -> UnitVisitPlan:
    """Set how often units with a hazard tag, or key places of a kind, are visited (the center
    or an administrator)."""
    _may_set_plans(actor)
    if tag not in UnitPlanTag.values:
        raise ValidationError({"tag": [_("Unknown tag: %(tag)s.") % {"tag": tag}]})
    if not 1 <= interval_days <= 366:
        raise ValidationError({"interval_days": [_("Between 1 and 366 days.")]})
    with transaction.atomic():
        plan, _created = UnitVisitPlan.objects.update_or_create(
            tag=tag, defaults={"interval_days": interval_days, "active": active}
        )
        record(
            action="visits.unit_plan_set",
            actor=actor,
            obj=plan,
            request=request,
            data={"tag": tag, "interval_days": interval_days, "active": active},
        )
    return plan


@transaction.atomic
def plans_seed(*, actor: User | None = None) -> int:
    """Create the default plan of every care tag and unit tag that has none; returns how many
    were made."""
    made = 0
    for tag, days in DEFAULT_PLANS.items():
        plan, created = VisitPlan.objects.get_or_create(care_tag=tag, defaults={"interval_days": days})
        if created:
            record(action="visits.plan_set", actor=actor, obj=plan, data={"care_tag": tag, "interval_days": days})
            made += 1
    for unit_tag, (days, active) in DEFAULT_UNIT_PLANS.items():
        unit_plan, created = UnitVisitPlan.objects.get_or_create(
            tag=unit_tag, defaults={"interval_days": days, "active": active}
        )
        if created:
            data = {"tag": unit_tag, "interval_days": days, "active": active}
            record(action="visits.unit_plan_set", actor=actor, obj=unit_plan, data=data)
            made += 1
    return made

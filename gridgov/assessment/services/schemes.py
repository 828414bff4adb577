"""Schemes and their versions: checking the items, saving (in place or as a new version), and
the scheme as a snapshot freezes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gridgov.areas.models import Area
from gridgov.core.actors import signed_in_user
from gridgov.core.audit import record
from gridgov.core.errors import Forbidden, Invalid

from .. import scoring
from ..indicators import INDICATORS
from ..models import ItemKind, NoData, Scheme, SchemeItem, TargetType
from .access import managed_towns
from .common import TEXT_LIMIT, _decimal

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def clean_items(target_type: str, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The scheme's items checked: codes unique, automatic items on a figure of the registry that
    applies to the target type with a valid rule, weights adding up to 100."""
    if not items:
        raise Invalid.field("items", _("A scheme needs at least one item."))
    found: list[dict[str, Any]] = []
    codes: set[str] = set()
    total = Decimal(0)
    for number, item in enumerate(items, start=1):
        field = f"items.{number}"
        code = str(item.get("code") or "").strip()[:40]
        label = str(item.get("label") or "").strip()[:80]
        if not code or not code.replace("_", "").replace("-", "").isalnum() or not code.isascii():
            raise Invalid.field(field, _("Item %(n)s: give it a code (letters, digits, _).") % {"n": number})
        if code in codes:
            raise Invalid.field(field, _("Item %(n)s: the code %(code)s is used twice.") % {"n": number, "code": code})
        codes.add(code)
        if not label:
            raise Invalid.field(field, _("Item %(n)s: give it a name.") % {"n": number})
        kind = item.get("kind")
        weight = _decimal(item.get("weight"), field, Decimal(0), Decimal(100))
        no_data = item.get("no_data") or NoData.FULL
        if no_data not in NoData.values:
            raise Invalid.field(field, _("Item %(n)s: choose what it scores without data.") % {"n": number})
        clean: dict[str, Any] = {
            "code": code,
            "label": label,
            "kind": kind,
            "weight": str(weight),
            "no_data": no_data,
            "indicator": "",
            "rule": {},
        }
        if kind == ItemKind.AUTO:
            indicator = INDICATORS.get(str(item.get("indicator") or ""))
            if indicator is None:
                raise Invalid.field(field, _("Item %(n)s: choose the figure it reads.") % {"n": number})
            if target_type not in indicator.targets:
                raise Invalid.field(
                    field, _("Item %(n)s: this figure does not apply to the assessed chosen.") % {"n": number}
                )
            clean["indicator"] = indicator.code
            clean["rule"] = scoring.check_rule(item.get("rule") or {}, field)
        elif kind != ItemKind.MANUAL:
            raise Invalid.field(field, _("Item %(n)s: choose automatic or scored by the assessor.") % {"n": number})
        total += weight
        found.append(clean)
    if total != 100:
        raise Invalid.field("items", _("The weights add up to %(total)s; they must add up to 100.") % {"total": total})
    return found


def scheme_save(
    *,
    actor: User | AnonymousUser,
    town_code: str,
    family: str,
    name: str,
    target_type: str,
    items: Sequence[Mapping[str, Any]],
    bonus_cap: Any = 5,
    penalty_cap: Any = 10,
    note: str = "",
) -> Scheme:
    """Create a scheme, or change one: its current version in place while no computed period
    used it, else a new version (the old one stays frozen, and periods keep using it)."""
    town = managed_towns(actor).filter(code=town_code).first()
    if town is None:
        raise Forbidden(_("You may not configure the assessment of this town."))
    if target_type not in TargetType.values:
        raise Invalid.field("target_type", _("Choose who is assessed."))
    family = str(family).strip()[:40]
    if not family or not family.replace("-", "").replace("_", "").isalnum() or not family.isascii():
        raise Invalid.field("family", _("Give the scheme a code (letters, digits, -)."))
    name = str(name).strip()[:120]
    if not name:
        raise Invalid.field("name", _("Give the scheme a name."))
    clean = clean_items(target_type, list(items))
    bonus = _decimal(bonus_cap, "bonus_cap", high=Decimal(100))
    penalty = _decimal(penalty_cap, "penalty_cap", high=Decimal(100))
    user = signed_in_user(actor)
    with transaction.atomic():
        current = Scheme.objects.select_for_update().filter(town=town, family=family, replaced=False).first()
        if current is not None and current.target_type != target_type:
            raise Invalid.field("target_type", _("A scheme keeps who it assesses; make a new scheme instead."))
        if current is not None and current.frozen_at is None:
            scheme = current
            scheme.name, scheme.bonus_cap, scheme.penalty_cap, scheme.note = name, bonus, penalty, note[:TEXT_LIMIT]
            scheme.save(update_fields=["name", "bonus_cap", "penalty_cap", "note"])
            scheme.items.all().delete()
            action = "assessment.scheme_change"
        else:
            version = 1
            if current is not None:
                current.replaced = True
                current.save(update_fields=["replaced"])
                version = current.version + 1
            scheme = Scheme.objects.create(
                town=town,
                family=family,
                version=version,
                name=name,
                target_type=target_type,
                bonus_cap=bonus,
                penalty_cap=penalty,
                note=note[:TEXT_LIMIT],
                created_by=user,
            )
            action = "assessment.scheme_version" if current is not None else "assessment.scheme_create"
        SchemeItem.objects.bulk_create(
            SchemeItem(
                scheme=scheme,
                position=position,
                code=item["code"],
                label=item["label"],
                kind=item["kind"],
                indicator=item["indicator"],
                weight=Decimal(item["weight"]),
                rule=item["rule"],
                no_data=item["no_data"],
            )
            for position, item in enumerate(clean)
        )
        record(
            action=action,
            actor=actor,
            obj=scheme,
            data={"family": family, "version": scheme.version, "items": [i["code"] for i in clean]},
        )
    return scheme


def scheme_frozen(scheme: Scheme) -> dict[str, Any]:
    """The scheme as a snapshot keeps it."""
    return {
        "id": scheme.pk,
        "family": scheme.family,
        "version": scheme.version,
        "name": scheme.name,
        "target_type": scheme.target_type,
        "bonus_cap": str(scheme.bonus_cap),
        "penalty_cap": str(scheme.penalty_cap),
        "items": [
            {
                "code": item.code,
                "label": item.label,
                "kind": item.kind,
                "indicator": item.indicator,
                "weight": str(item.weight),
                "rule": item.rule,
                "no_data": item.no_data,
            }
            for item in scheme.items.all()
        ],
    }


def current_schemes(town: Area) -> QuerySet[Scheme]:
    return Scheme.objects.filter(town=town, replaced=False)

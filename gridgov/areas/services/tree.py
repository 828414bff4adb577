"""Single areas: create, update and retire one area of the tree."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from django.core.exceptions import ValidationError
from django.db import transaction

from gridgov.core.audit import record

from ..models import PARENT_LEVEL, Area, AreaLevel
from .checks import (
    apply_bounds,
    insert,
    invalidate_on_commit,
    spatial_problems,
    validate_boundary,
    validate_households,
    validate_name,
)
from .codes import code_problems

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@transaction.atomic
def area_create(
    *,
    actor: User | AnonymousUser | None,
    code: str,
    name: str,
    level: str,
    parent: Area | None,
    households: int = 0,
    boundary: dict[str, Any] | None = None,
    valid_from: date | None = None,
) -> Area:
    """Create an area under ``parent``: checks the code against the level and the parent's
    code, the parent's level, the boundary and its fit among siblings and inside the parent."""
    if level not in AreaLevel.values:
        raise ValidationError({"level": f"Unknown level {level!r}."})
    name = validate_name(name)
    households = validate_households(households)
    expected_parent = PARENT_LEVEL.get(AreaLevel(level))
    if expected_parent is None and parent is not None:
        raise ValidationError({"parent": "A district has no parent."})
    if expected_parent is not None:
        if parent is None:
            raise ValidationError({"parent": f"A {level} needs a parent {expected_parent}."})
        if parent.level != expected_parent:
            raise ValidationError({"parent": f"The parent of a {level} is a {expected_parent}."})
        if not parent.is_current:
            raise ValidationError({"parent": "The parent area is retired."})
    problems = code_problems(code, level, parent.code if parent else None)
    if problems:
        raise ValidationError({"code": problems})
    if Area.objects.current().filter(code=code).exists():
        raise ValidationError({"code": f"An area with code {code} exists."})
    normalized, geom = validate_boundary(boundary)
    if geom is not None:
        spatial = spatial_problems(level=level, parent=parent, geom=geom)
        if spatial:
            raise ValidationError({"boundary": spatial})
    area = insert(
        code=code,
        name=name,
        level=level,
        parent=parent,
        households=households,
        boundary=normalized,
        geom=geom,
        valid_from=valid_from,
    )
    record(action="area.create", actor=actor, obj=area, data={"code": code, "level": level})
    invalidate_on_commit()
    return area


class _Unset(Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET


@transaction.atomic
def area_update(
    *,
    actor: User | AnonymousUser | None,
    area: Area,
    name: str | _Unset = UNSET,
    households: int | _Unset = UNSET,
    boundary: dict[str, Any] | _Unset | None = UNSET,
    valid_from: date | _Unset | None = UNSET,
) -> Area:
    """Change an area's name, households, boundary (``None`` removes it) or start date.
    Arguments left out stay as they are; nothing is written when nothing changes."""
    area = Area.objects.select_for_update().get(pk=area.pk)
    changed: list[str] = []
    if not isinstance(name, _Unset):
        name = validate_name(name)
        if name != area.name:
            area.name = name
            changed.append("name")
    if not isinstance(households, _Unset):
        households = validate_households(households)
        if households != area.households:
            area.households = households
            changed.append("households")
    if not isinstance(valid_from, _Unset) and valid_from != area.valid_from:
        area.valid_from = valid_from
        changed.append("valid_from")
    if not isinstance(boundary, _Unset):
        normalized, geom = validate_boundary(boundary)
        if normalized != area.boundary:
            if geom is not None:
                spatial = spatial_problems(level=area.level, parent=area.parent, geom=geom, exclude_pk=area.pk)
                if spatial:
                    raise ValidationError({"boundary": spatial})
            area.boundary = normalized
            apply_bounds(area, geom)
            changed.append("boundary")
    if not changed:
        return area
    derived = ["min_lng", "min_lat", "max_lng", "max_lat", "center_lng", "center_lat"] if "boundary" in changed else []
    area.save(update_fields=[*changed, *derived, "updated_at"])
    record(action="area.update", actor=actor, obj=area, data={"code": area.code, "fields": changed})
    invalidate_on_commit()
    return area


@transaction.atomic
def area_retire(*, actor: User | AnonymousUser | None, area: Area, valid_to: date) -> Area:
    """End an area's validity. Refused while it has current children (retire them first)."""
    area = Area.objects.select_for_update().get(pk=area.pk)
    if not area.is_current:
        raise ValidationError({"valid_to": "The area is already retired."})
    if Area.objects.current().filter(parent=area).exists():
        raise ValidationError({"valid_to": "Retire the areas inside it first."})
    if area.valid_from and valid_to < area.valid_from:
        raise ValidationError({"valid_to": "The end date is before the start date."})
    area.valid_to = valid_to
    area.save(update_fields=["valid_to", "updated_at"])
    record(action="area.retire", actor=actor, obj=area, data={"code": area.code, "valid_to": valid_to.isoformat()})
    invalidate_on_commit()
    return area

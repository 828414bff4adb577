"""Departments: create or update one by its code, with its areas."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Area
from gridgov.core.actors import Actor
from gridgov.core.audit import record
from gridgov.people.models import Department, DepartmentKind

DEPARTMENT_FIELDS = ("name", "kind", "phone", "sort_order", "is_active")


@transaction.atomic
def department_save(
    *,
    actor: Actor,
    code: str,
    name: str,
    kind: str,
    areas: Iterable[Area] = (),
    phone: str = "",
    sort_order: int = 0,
    is_active: bool = True,
) -> tuple[Department, bool]:
    """Create or update the department with ``code``. Returns ``(department, changed)``;
    nothing is written (not even an audit row) when nothing changed."""
    if kind not in DepartmentKind.values:
        raise ValidationError({"kind": _("Unknown department kind.")})
    if not code.strip() or not name.strip():
        raise ValidationError(_("A department needs a code and a name."))
    wanted = {"name": name, "kind": kind, "phone": phone, "sort_order": sort_order, "is_active": is_active}
    area_ids = sorted({area.pk for area in areas})
    department = Department.objects.select_for_update().filter(code=code).first()
    created = department is None
    changed: dict[str, Any] = {}
    if department is None:
        department = Department.objects.create(code=code, **wanted)
        changed = dict(wanted)
    else:
        for field_name, value in wanted.items():
            if getattr(department, field_name) != value:
                setattr(department, field_name, value)
                changed[field_name] = value
        if changed:
            department.save(update_fields=list(changed))
    current_ids = sorted(department.areas.values_list("pk", flat=True)) if not created else []
    if current_ids != area_ids:
        department.areas.set(area_ids)
        changed["areas"] = area_ids
    if not changed:
        return department, False
    record(
        action="people.department_create" if created else "people.department_update",
        actor=actor,
        obj=department,
        data={"code": code, "changed": changed},
    )
    return department, True

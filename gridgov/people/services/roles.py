"""Roles: check that a role fits its area or department, give it, take it away (with the
separation of duties around one's own roles and the administrator roles)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from gridgov.access.scope import forget_scope
from gridgov.areas.models import Area
from gridgov.core.actors import Actor
from gridgov.core.audit import record
from gridgov.people import permissions, signals, twofactor
from gridgov.people.models import (
    ADMIN_ROLES,
    AREA_ROLES,
    DEPARTMENT_ROLES,
    OPTIONAL_AREA_ROLES,
    Department,
    Role,
    RoleAssignment,
)
from gridgov.people.sessions import access_revoke

from .common import SELF_GRANT, User, _is_self, _second_factor_now_required


def role_validate(*, role: str, area: Area | None, department: Department | None) -> None:
    """Raise ``ValidationError`` unless the role fits the area/department (forms call this
    to show the error next to the field)."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if role in AREA_ROLES:
        expected = AREA_ROLES[Role(role)]
        if area is None:
            raise ValidationError({"area": _("This role needs an area.")})
        if area.level != expected:
            raise ValidationError({"area": _("This role needs an area of level “%(level)s”.") % {"level": expected}})
        if department is not None:
            raise ValidationError({"department": _("This role takes no department.")})
    elif role in DEPARTMENT_ROLES:
        if department is None:
            raise ValidationError({"department": _("This role needs a department.")})
        if area is not None:
            raise ValidationError({"area": _("This role takes no area.")})
    elif role in OPTIONAL_AREA_ROLES and department is not None:
        raise ValidationError({"department": _("This role takes no department.")})
    elif role in ADMIN_ROLES and (area is not None or department is not None):
        raise ValidationError(_("An administrator role is held over no area and no department."))
    if area is not None and area.valid_to is not None:
        raise ValidationError({"area": _("This area is retired.")})


@transaction.atomic
def role_assign(
    *,
    actor: Actor,
    user: User,
    role: str,
    area: Area | None = None,
    department: Department | None = None,
) -> tuple[RoleAssignment, bool]:
    """Give ``user`` a role over an area or a department. Idempotent: an existing identical
    assignment is returned with ``False``.

    Separation of duties: nobody but a superuser changes their own roles, and a superuser
    who does is recorded as ``people.self_grant`` and the security administrators are told;
    one user holds at most one of the three administrator roles."""
    role_validate(role=role, area=area, department=department)
    existing = RoleAssignment.objects.filter(user=user, role=role, area=area, department=department).first()
    if existing is not None:
        return existing, False
    _check_not_own_roles(actor, user)
    if role in ADMIN_ROLES:
        other = RoleAssignment.objects.filter(user=user, role__in=ADMIN_ROLES).exclude(role=role).first()
        if other is not None:
            raise ValidationError(
                {
                    "role": _(
                        "One person holds one administrator role: the system, security and audit roles are kept apart."
                    )
                }
            )
    needed_second_factor = twofactor.required_for(user)
    assignment = RoleAssignment.objects.create(user=user, role=role, area=area, department=department)
    if role in ADMIN_ROLES and not user.is_staff:
        # The administrators work in the admin site, which admits staff only.
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    forget_scope(user)
    permissions.forget(user)
    data = {
        "user": user.pk,
        "role": role,
        "area": area.code if area is not None else None,
        "department": department.code if department is not None else None,
    }
    record(action="people.role_assign", actor=actor, obj=assignment, data=data)
    if _is_self(actor, user):
        record(action=SELF_GRANT, actor=actor, obj=assignment, success=True, data=data)
        signals.self_granted.send(sender=RoleAssignment, actor=actor, assignment=assignment)
    if not needed_second_factor and twofactor.required_for(user):
        _second_factor_now_required(actor, user)
    return assignment, True


def _check_not_own_roles(actor: Actor, user: User) -> None:
    if _is_self(actor, user) and not actor.is_superuser:
        raise ValidationError(_("You cannot change your own roles; ask the security administrator."))


@transaction.atomic
def role_revoke(*, actor: Actor, assignment: RoleAssignment) -> None:
    """Take a role assignment away; the user's tokens and sessions end with it (they log
    in again with what they still hold)."""
    user = assignment.user
    _check_not_own_roles(actor, user)
    data = {
        "user": assignment.user_id,
        "role": assignment.role,
        "area": assignment.area.code if assignment.area is not None else None,
        "department": assignment.department.code if assignment.department is not None else None,
    }
    pk = assignment.pk
    assignment.delete()
    forget_scope(user)
    permissions.forget(user)
    record(action="people.role_revoke", actor=actor, object_type="people.roleassignment", object_id=pk, data=data)
    access_revoke(actor=actor, user=user, reason="role_revoked")

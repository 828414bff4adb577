"""What the three administrators may do in the admin site (MLPS level 3 separation of duties).

Their rights are fixed here, not stored in groups an administrator could edit:

- the **system administrator** keeps the system running: accounts and profiles (create,
  deactivate, reset passwords), departments, areas, the classification, the calendar,
  machine tokens, deliveries; reads role assignments but grants none; no audit log, no
  cases, orders or patrols (they carry personal data);
- the **security administrator** decides who may do what: roles, groups and permissions, the
  staff and superuser flags, unlocking accounts, resetting a lost second factor; no audit log;
- the **audit administrator** reads the audit log and nothing else.

:class:`RolePermissionBackend` gives these permissions to the role holders (Django's
``ModelBackend`` still answers for groups and user permissions). Reading the audit log needs
the audit administrator's role itself (:func:`can_read_audit`): not even a superuser, who
grants roles, reads it without one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.backends import BaseBackend

from gridgov.people.models import ADMIN_ROLES, Role, RoleAssignment

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


CACHE_ATTR = "_gridgov_admin_perms"


def _crud(label: str, *verbs: str) -> set[str]:
    app, model = label.split(".")
    return {f"{app}.{verb}_{model}" for verb in verbs}


SYSTEM_ADMIN_PERMISSIONS: frozenset[str] = frozenset(
    {"people.manage_accounts"}
    | _crud("auth.user", "add", "change", "view")
    | _crud("people.staffprofile", "add", "change", "view")
    | _crud("people.department", "add", "change", "view")
    | _crud("people.roleassignment", "view")
    | _crud("people.apitoken", "add", "change", "view")
    | _crud("areas.area", "add", "change", "view")
    | _crud("categories.category", "add", "change", "view")
    | _crud("categories.categorytimelimit", "add", "change", "delete", "view")
    | _crud("workcalendar.calendarday", "add", "change", "delete", "view")
    | _crud("workcalendar.workingperiod", "add", "change", "delete", "view")
    | _crud("workcalendar.calendaryear", "add", "change", "delete", "view")
    | _crud("notify.delivery", "change", "view")
    | _crud("upstream.upstreammessage", "change", "view")
    | _crud("upstream.filebatch", "view")
    | _crud("core.heartbeat", "view")
)
SECURITY_ADMIN_PERMISSIONS: frozenset[str] = frozenset(
    {"people.manage_access", "people.reset_twofactor", "people.unlock_login"}
    | _crud("auth.user", "change", "view")
    | _crud("people.staffprofile", "view")
    | _crud("people.roleassignment", "add", "change", "delete", "view")
    | _crud("auth.group", "add", "change", "delete", "view")
    | _crud("auth.permission", "view")
    | _crud("people.loginthrottle", "change", "view")
)
AUDIT_ADMIN_PERMISSIONS: frozenset[str] = frozenset(_crud("core.auditevent", "view"))

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.SYSTEM_ADMIN: SYSTEM_ADMIN_PERMISSIONS,
    Role.SECURITY_ADMIN: SECURITY_ADMIN_PERMISSIONS,
    Role.AUDIT_ADMIN: AUDIT_ADMIN_PERMISSIONS,
}


def admin_roles(user: User | AnonymousUser | None) -> frozenset[str]:
    """The administrator roles ``user`` holds (cached on the user object for the request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, CACHE_ATTR, None)
    if cached is None:
        cached = frozenset(
            RoleAssignment.objects.filter(user_id=user.pk, role__in=ADMIN_ROLES).values_list("role", flat=True)
        )
        setattr(user, CACHE_ATTR, cached)
    return cached


def forget(user: User | AnonymousUser) -> None:
    if hasattr(user, CACHE_ATTR):
        delattr(user, CACHE_ATTR)


def can_read_audit(user: User | AnonymousUser) -> bool:
    """Only the audit administrator reads the audit log (a superuser without the role does not)."""
    return Role.AUDIT_ADMIN in admin_roles(user)


def uses_admin_site(user: User | AnonymousUser | None) -> bool:
    """Staff, or the holder of an administrator role."""
    return bool(user is not None and user.is_active and (user.is_staff or admin_roles(user)))


class RolePermissionBackend(BaseBackend):
    """Model permissions of the three administrator roles (authenticates nobody)."""

    def get_all_permissions(self, user_obj: User | AnonymousUser, obj: Any = None) -> set[str]:
        if obj is not None:
            return set()
        granted: set[str] = set()
        for role in admin_roles(user_obj):
            granted |= ROLE_PERMISSIONS.get(role, frozenset())
        return granted

    def get_user_permissions(self, user_obj: User | AnonymousUser, obj: Any = None) -> set[str]:
        return self.get_all_permissions(user_obj, obj)

    def has_perm(self, user_obj: User | AnonymousUser, perm: str, obj: Any = None) -> bool:
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj: User | AnonymousUser, app_label: str) -> bool:
        return any(perm.startswith(f"{app_label}.") for perm in self.get_all_permissions(user_obj))

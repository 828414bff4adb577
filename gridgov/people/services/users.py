"""Writes of the people app: users and their profiles, departments, roles, API tokens, login.

Every function takes keyword-only arguments and an ``actor`` (the user acting, or ``None``
for the system), runs in one transaction and writes its audit row in that transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeGuard

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.access.scope import forget_scope
from gridgov.areas.models import Area
from gridgov.core.actors import Actor
from gridgov.core.audit import record
from gridgov.core.tableversions import Cached
from gridgov.people import passwords, permissions, signals, twofactor
from gridgov.people.login import (
    LOGIN_FAILED,
    LOGIN_OK,
    LOGIN_REFUSED_LOCKED,
    LoginInactive,
    LoginLocked,
    LoginOutcome,
    LoginRefused,
    login_attempt,
    login_check,
)
from gridgov.people.models import (
    ADMIN_ROLES,
    AREA_ROLES,
    DEPARTMENT_ROLES,
    OPTIONAL_AREA_ROLES,
    ApiToken,
    Department,
    DepartmentKind,
    Role,
    RoleAssignment,
    StaffProfile,
)
from gridgov.people.sessions import access_revoke

if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()

# The login API lives in gridgov/people/login.py; callers reach it through the services.
__all__ = [
    "LOGIN_FAILED",
    "LOGIN_OK",
    "LOGIN_REFUSED_LOCKED",
    "LoginInactive",
    "LoginLocked",
    "LoginOutcome",
    "LoginRefused",
    "login_attempt",
    "login_check",
]

PROFILE_FIELDS = ("full_name", "phone", "title", "duties", "photo")
USER_FIELDS = ("email", "is_active", "is_staff", "is_superuser")
DEPARTMENT_FIELDS = ("name", "kind", "phone", "sort_order", "is_active")
# last_used_at is written at most this often per token (saves a write per request).
TOKEN_TOUCH_SECONDS = 60


# --- Users -------------------------------------------------------------------------------


def _apply_password(user: User, password: str | None) -> None:
    """Check ``password`` against the validators and set it (unsaved); ``None`` makes
    the password unusable (token-only machine accounts)."""
    if password is None:
        user.set_unusable_password()
        return
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)


@transaction.atomic
def user_create(
    *,
    actor: Actor,
    username: str,
    password: str | None,
    full_name: str = "",
    phone: str = "",
    title: str = "",
    duties: str = "",
    email: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create a user and its staff profile. ``password=None`` leaves it unusable (e.g. a
    machine account that only uses API tokens)."""
    username = username.strip()
    if not username:
        raise ValidationError({"username": _("A username is required.")})
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("A user with that username already exists.")})
    user = User(username=username, email=email, is_staff=is_staff, is_superuser=is_superuser)
    _apply_password(user, password)
    user.save()
    StaffProfile.objects.create(user=user, full_name=full_name, phone=phone, title=title, duties=duties)
    # A password an administrator chose is known to them: the user replaces it at first login.
    must_change = password is not None and _by_someone_else(actor, user)
    if must_change:
        passwords.require_change(user=user, required=True)
    record(
        action="people.user_create",
        actor=actor,
        obj=user,
        data={
            "username": username,
            "is_staff": is_staff,
            "is_superuser": is_superuser,
            "must_change_password": must_change,
        },
    )
    return user


def _by_someone_else(actor: Actor, user: User) -> bool:
    """Is ``actor`` a person other than ``user`` (not the system, not the user themself)?"""
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.pk != user.pk


def _profile(user: User) -> StaffProfile:
    profile, _created = StaffProfile.objects.get_or_create(user=user, defaults={"full_name": ""})
    return profile


@transaction.atomic
def user_update(*, actor: Actor, user: User, **fields: Any) -> User:
    """Change profile fields (full_name, phone, title, duties, photo) and account fields (email,
    is_active, is_staff, is_superuser). Writes nothing when nothing changed."""
    unknown = set(fields) - set(PROFILE_FIELDS) - set(USER_FIELDS)
    if unknown:
        raise TypeError(f"user_update() got unknown fields: {', '.join(sorted(unknown))}")
    profile = _profile(user)
    # Compare with the stored row: the caller's instance may already carry the new values
    # (a model form sets them before saving).
    stored = User.objects.select_for_update().get(pk=user.pk)
    rights = [name for name in ("is_staff", "is_superuser") if name in fields]
    if _is_self(actor, user) and not stored.is_superuser and any(getattr(stored, n) != fields[n] for n in rights):
        raise ValidationError(_("You cannot change your own rights; ask the security administrator."))
    changed: dict[str, Any] = {}
    for name in USER_FIELDS:
        if name in fields and getattr(stored, name) != fields[name]:
            changed[name] = fields[name]
        if name in fields:
            setattr(user, name, fields[name])
    profile_changed = False
    for name in PROFILE_FIELDS:
        if name in fields and getattr(profile, name) != fields[name]:
            setattr(profile, name, fields[name])
            changed[name] = fields[name]
            profile_changed = True
    if not changed:
        return user
    if set(changed) & set(USER_FIELDS):
        user.save(update_fields=[name for name in USER_FIELDS if name in changed])
    if profile_changed:
        profile.save()
    record(action="people.user_update", actor=actor, obj=user, data={"changed": _json_safe(changed)})
    if changed.get("is_active") is False:
        # A disabled account keeps no way in: no token, no session.
        access_revoke(actor=actor, user=user, reason="deactivated")
    elif changed.get("is_staff") or changed.get("is_superuser"):
        # More rights now need the second factor: log in again through it.
        _second_factor_now_required(actor, user)
    return user


def _json_safe(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value if value is None or isinstance(value, str | int | bool) else str(value)
        for key, value in values.items()
    }


@transaction.atomic
def user_set_password(
    *, actor: Actor, user: User, password: str | None, request: HttpRequest | None = None, keep_session: str = ""
) -> None:
    """Set a new password after checking it against the password validators (length, not
    like the username, not common, not one of the last five); ``None`` makes the password
    unusable (token-only machine accounts).

    Every API token and session of the user ends (``keep_session``: the session key of the
    user's own request that changed it). A password set by someone else must be changed at
    the next login; one the user chose clears that."""
    _apply_password(user, password)
    user.save(update_fields=["password"])
    by_other = password is not None and _by_someone_else(actor, user)
    passwords.require_change(user=user, required=by_other)
    record(
        action="people.password_set",
        actor=actor,
        obj=user,
        request=request,
        data={"usable": password is not None, "must_change_password": by_other},
    )
    access_revoke(actor=actor, user=user, reason="password_changed", keep_session=keep_session, request=request)


@transaction.atomic
def user_set_access(
    *, actor: Actor, user: User, groups: Iterable[Any] | None = None, user_permissions: Iterable[Any] | None = None
) -> bool:
    """Set ``user``'s Django groups and/or user permissions (the security administrator's
    part of the user form). Audited as ``people.access_change`` with what was added and
    removed; changing one's own needs a superuser and is also a ``people.self_grant``."""
    changes: dict[str, dict[str, list[str]]] = {}
    if groups is not None:
        before = {group.name for group in user.groups.all()}
        after = {group.name for group in groups}
        if before != after:
            user.groups.set(list(groups))
            changes["groups"] = {"added": sorted(after - before), "removed": sorted(before - after)}
    if user_permissions is not None:

        def label(permission: Any) -> str:
            return f"{permission.content_type.app_label}.{permission.codename}"

        before = {label(p) for p in user.user_permissions.select_related("content_type")}
        wanted = list(user_permissions)
        after = {label(p) for p in wanted}
        if before != after:
            user.user_permissions.set(wanted)
            changes["user_permissions"] = {"added": sorted(after - before), "removed": sorted(before - after)}
    if not changes:
        return False
    if _is_self(actor, user) and not actor.is_superuser:
        raise ValidationError(_("You cannot change your own rights; ask the security administrator."))
    for name in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(name, None)
    record(action="people.access_change", actor=actor, obj=user, data={"user": user.pk, **changes})
    if _is_self(actor, user):
        record(action=SELF_GRANT, actor=actor, obj=user, data={"user": user.pk, **changes})
        signals.self_granted.send(sender=User, actor=actor, assignment=None)
    return True


# --- Departments -------------------------------------------------------------------------


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


# --- Roles -------------------------------------------------------------------------------


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


SELF_GRANT = "people.self_grant"


def _is_self(actor: Actor, user: User) -> TypeGuard[User]:
    return actor is not None and getattr(actor, "is_authenticated", False) and actor.pk == user.pk


def _check_not_own_roles(actor: Actor, user: User) -> None:
    if _is_self(actor, user) and not actor.is_superuser:
        raise ValidationError(_("You cannot change your own roles; ask the security administrator."))


def _second_factor_now_required(actor: Actor, user: User) -> None:
    """``user`` now needs the second factor: sessions and tokens opened without it end."""
    access_revoke(actor=actor, user=user, reason="second_factor_required")


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


# --- API tokens --------------------------------------------------------------------------


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def is_machine_account(user: User) -> bool:
    """An account of another system (the upstream role), not a person."""
    return RoleAssignment.objects.filter(user_id=user.pk, role=Role.UPSTREAM).exists()


def token_max_seconds(user: User) -> int:
    """The longest (and default) lifetime of ``user``'s tokens: ``GRIDGOV_TOKEN_DAYS_MACHINE``
    for machine accounts, else the person's (``API_TOKEN_TTL_SECONDS``, by default
    ``GRIDGOV_TOKEN_DAYS_PERSON`` days)."""
    if is_machine_account(user):
        return int(settings.GRIDGOV_TOKEN_DAYS_MACHINE) * 86400
    return int(settings.API_TOKEN_TTL_SECONDS)


class PasswordChanged(Exception):
    """The password a token was asked for with changed after it was checked (and that change
    ended every token of the user): no token is issued."""


@transaction.atomic
def token_issue(
    *, actor: Actor, user: User, name: str = "", ttl_seconds: int | None = None, password_hash: str | None = None
) -> tuple[ApiToken, str]:
    """Issue a bearer token. Returns the token row and the raw token, which is shown once
    and never stored (only its SHA-256 hash and its first 8 characters are). The lifetime
    is at most :func:`token_max_seconds`.

    ``password_hash``: the stored password (its hash) a login checked. The user's row is
    locked and read again; if the password changed since the check, :class:`PasswordChanged`
    is raised: a change that committed between the check and the issue has already ended the
    user's tokens and must not be followed by a new one. A change that comes later waits for
    the lock and then ends this token too."""
    current = get_user_model().objects.select_for_update().filter(pk=user.pk).values("password", "is_active").first()
    if password_hash is not None and (current is None or current["password"] != password_hash):
        raise PasswordChanged
    if not user.is_active or (current is not None and not current["is_active"]):
        raise ValidationError(_("An inactive user cannot get a token."))
    longest = token_max_seconds(user)
    ttl = longest if ttl_seconds is None else ttl_seconds
    if ttl <= 0:
        raise ValidationError({"ttl_seconds": _("The lifetime must be positive.")})
    if ttl > longest:
        raise ValidationError(
            {"ttl_seconds": _("A token of this account lives at most %(days)d days.") % {"days": longest // 86400}}
        )
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=_hash(raw),
        prefix=raw[:8],
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    record(
        action="people.token_issue",
        actor=actor,
        obj=token,
        data={"user": user.pk, "name": name, "prefix": token.prefix, "expires_at": token.expires_at.isoformat()},
    )
    return token, raw


@transaction.atomic
def token_revoke(*, actor: Actor, token: ApiToken) -> None:
    """Revoke a token (no-op if already revoked)."""
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(action="people.token_revoke", actor=actor, obj=token, data={"user": token.user_id, "prefix": token.prefix})


# Tokens and their users by the token's hash, kept per process while the ``tokens`` version
# stays (gridgov/core/tableversions.py; migration people/0006: any write of a token but its
# ``last_used_at``, of a user but their ``last_login``): the row values, from which each request
# makes instances of its own. Unknown hashes are not kept (anyone can send them).
_TOKENS: Cached[tuple[tuple[Any, ...], tuple[Any, ...]]] = Cached("tokens")
# When this process last touched each token's ``last_used_at`` (the kept row does not follow),
# by the token's hash (a key may come again after a rollback on SQLite).
_touched: dict[str, datetime] = {}


def _token_values(digest: str) -> tuple[tuple[Any, ...], tuple[Any, ...]] | None:
    token = ApiToken.objects.select_related("user").filter(key_hash=digest).first()
    if token is None:
        return None
    return (
        tuple(getattr(token, field.attname) for field in ApiToken._meta.concrete_fields),
        tuple(getattr(token.user, field.attname) for field in User._meta.concrete_fields),
    )


def _token(digest: str) -> ApiToken | None:
    values = _TOKENS.lookup(digest, lambda: _token_values(digest))
    if values is None:  # an unknown token (not kept)
        return None
    token_values, user_values = values
    token = ApiToken.from_db("default", [f.attname for f in ApiToken._meta.concrete_fields], token_values)
    token.user = User.from_db("default", [f.attname for f in User._meta.concrete_fields], user_values)
    touched = _touched.get(digest)
    if touched is not None and (token.last_used_at is None or touched > token.last_used_at):
        token.last_used_at = touched
    return token


def token_lookup(raw: str) -> ApiToken | None:
    """The usable token (not expired, not revoked, active user) for a raw bearer string,
    with its user loaded. Touches ``last_used_at`` at most once a minute."""
    if not raw or len(raw) > 200:
        return None
    token = _token(_hash(raw))
    now = timezone.now()
    if token is None or token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= timedelta(seconds=TOKEN_TOUCH_SECONDS):
        # Bookkeeping, not a domain change: a plain update without an audit row.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = _touched[token.key_hash] = now
    return token


def token_authenticate(raw: str) -> User | None:
    """The user of a usable token, or ``None``."""
    token = token_lookup(raw)
    return token.user if token is not None else None


def profile_language_set(*, user: User, language: str) -> bool:
    """Keep the language a person chose in the web UI on their staff profile (what they read
    notifications in). Unknown codes and users without a profile are ignored. Returns whether
    it changed. A preference, not audited (like marking a notification read)."""
    if language not in dict(settings.LANGUAGES) or not getattr(user, "is_authenticated", False):
        return False
    return StaffProfile.objects.filter(user_id=user.pk).exclude(language=language).update(language=language) > 0

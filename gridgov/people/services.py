"""Writes of the people app: users and their profiles, departments, roles, API tokens, login.

Every function takes keyword-only arguments and an ``actor`` (the user acting, or ``None``
for the system), runs in one transaction and writes its audit row in that transaction.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.access.scope import forget_scope
from gridgov.areas.models import Area
from gridgov.core.audit import record
from gridgov.core.errors import DomainError
from gridgov.core.models import AuditEvent
from gridgov.people.models import (
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

if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()

# Audit action codes of the authentication flow (also read back to count failures).
LOGIN_OK = "auth.login"
LOGIN_FAILED = "auth.login_failed"
LOGIN_REFUSED_LOCKED = "auth.login_locked"

PROFILE_FIELDS = ("full_name", "phone", "title", "duties", "photo")
USER_FIELDS = ("email", "is_active", "is_staff", "is_superuser")
DEPARTMENT_FIELDS = ("name", "kind", "phone", "sort_order", "is_active")
# last_used_at is written at most this often per token (saves a write per request).
TOKEN_TOUCH_SECONDS = 60


# --- Users -------------------------------------------------------------------------------


def _apply_password(user: Any, password: str | None) -> None:
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
    actor: Any,
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
    record(
        action="people.user_create",
        actor=actor,
        obj=user,
        data={"username": username, "is_staff": is_staff, "is_superuser": is_superuser},
    )
    return user


def _profile(user: Any) -> StaffProfile:
    profile, _created = StaffProfile.objects.get_or_create(user=user, defaults={"full_name": ""})
    return profile


@transaction.atomic
def user_update(*, actor: Any, user: Any, **fields: Any) -> User:
    """Change profile fields (full_name, phone, title, duties, photo) and account fields (email,
    is_active, is_staff, is_superuser). Writes nothing when nothing changed."""
    unknown = set(fields) - set(PROFILE_FIELDS) - set(USER_FIELDS)
    if unknown:
        raise TypeError(f"user_update() got unknown fields: {', '.join(sorted(unknown))}")
    profile = _profile(user)
    # Compare with the stored row: the caller's instance may already carry the new values
    # (a model form sets them before saving).
    stored = User.objects.select_for_update().get(pk=user.pk)
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
    if changed.get("is_active") is False:
        # A disabled account keeps no way in.
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    record(action="people.user_update", actor=actor, obj=user, data={"changed": _json_safe(changed)})
    return user


def _json_safe(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value if value is None or isinstance(value, str | int | bool) else str(value)
        for key, value in values.items()
    }


@transaction.atomic
def user_set_password(*, actor: Any, user: Any, password: str | None) -> None:
    """Set a new password after checking it against the password validators;
    ``None`` makes the password unusable (token-only machine accounts)."""
    _apply_password(user, password)
    user.save(update_fields=["password"])
    record(action="people.password_set", actor=actor, obj=user, data={"usable": password is not None})


# --- Departments -------------------------------------------------------------------------


@transaction.atomic
def department_save(
    *,
    actor: Any,
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
    if area is not None and area.valid_to is not None:
        raise ValidationError({"area": _("This area is retired.")})


@transaction.atomic
def role_assign(
    *,
    actor: Any,
    user: Any,
    role: str,
    area: Area | None = None,
    department: Department | None = None,
) -> tuple[RoleAssignment, bool]:
    """Give ``user`` a role over an area or a department. Idempotent: an existing identical
    assignment is returned with ``False``."""
    role_validate(role=role, area=area, department=department)
    existing = RoleAssignment.objects.filter(user=user, role=role, area=area, department=department).first()
    if existing is not None:
        return existing, False
    assignment = RoleAssignment.objects.create(user=user, role=role, area=area, department=department)
    forget_scope(user)
    record(
        action="people.role_assign",
        actor=actor,
        obj=assignment,
        data={
            "user": user.pk,
            "role": role,
            "area": area.code if area is not None else None,
            "department": department.code if department is not None else None,
        },
    )
    return assignment, True


@transaction.atomic
def role_revoke(*, actor: Any, assignment: RoleAssignment) -> None:
    """Take a role assignment away."""
    user = assignment.user
    data = {
        "user": assignment.user_id,
        "role": assignment.role,
        "area": assignment.area.code if assignment.area is not None else None,
        "department": assignment.department.code if assignment.department is not None else None,
    }
    pk = assignment.pk
    assignment.delete()
    forget_scope(user)
    record(action="people.role_revoke", actor=actor, object_type="people.roleassignment", object_id=pk, data=data)


# --- API tokens --------------------------------------------------------------------------


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@transaction.atomic
def token_issue(*, actor: Any, user: Any, name: str = "", ttl_seconds: int | None = None) -> tuple[ApiToken, str]:
    """Issue a bearer token. Returns the token row and the raw token, which is shown once
    and never stored (only its SHA-256 hash and its first 8 characters are)."""
    if not user.is_active:
        raise ValidationError(_("An inactive user cannot get a token."))
    ttl = settings.API_TOKEN_TTL_SECONDS if ttl_seconds is None else ttl_seconds
    if ttl <= 0:
        raise ValidationError({"ttl_seconds": _("The lifetime must be positive.")})
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
def token_revoke(*, actor: Any, token: ApiToken) -> None:
    """Revoke a token (no-op if already revoked)."""
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record(action="people.token_revoke", actor=actor, obj=token, data={"user": token.user_id, "prefix": token.prefix})


def token_lookup(raw: str) -> ApiToken | None:
    """The usable token (not expired, not revoked, active user) for a raw bearer string,
    with its user loaded. Touches ``last_used_at`` at most once a minute."""
    if not raw or len(raw) > 200:
        return None
    token = ApiToken.objects.usable().select_related("user").filter(key_hash=_hash(raw)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= timedelta(seconds=TOKEN_TOUCH_SECONDS):
        # Bookkeeping, not a domain change: a plain update without an audit row.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_authenticate(raw: str) -> User | None:
    """The user of a usable token, or ``None``."""
    token = token_lookup(raw)
    return token.user if token is not None else None


# --- Login with lockout ------------------------------------------------------------------


class LoginRefused(DomainError):
    """Base class of the reasons a login is refused beyond "wrong credentials"."""


class LoginLocked(LoginRefused):
    """Too many failures: the username is locked for ``seconds`` more."""

    status = 429
    default_code = "locked"

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds
        super().__init__(_("Too many failed attempts. Try again in %(minutes)d minutes.") % {"minutes": self.minutes})
        self.details = {"retry_after_seconds": seconds}

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.seconds / 60))


class LoginInactive(LoginRefused):
    """The password is right but the account is disabled."""

    status = 403
    default_code = "inactive"

    def __init__(self) -> None:
        super().__init__(_("This account is disabled."))


@dataclass(frozen=True)
class LockState:
    failures: int
    locked_seconds: int  # 0 when not locked


def login_lock_state(username: str) -> LockState:
    """Failures since the last success, and how long the username stays locked.

    The lock starts at the failure that makes ``LOGIN_FAILURE_LIMIT`` failures within
    ``LOGIN_LOCKOUT_SECONDS`` and lasts ``LOGIN_LOCKOUT_SECONDS``. Attempts while locked
    are logged as ``auth.login_locked`` and do not count, so the lock cannot be extended.
    Counted from the audit log; no extra table.
    """
    limit = settings.LOGIN_FAILURE_LIMIT
    period = timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    now = timezone.now()
    # Ids grow with time and break ties between rows written in the same instant.
    last_ok_id = (
        AuditEvent.objects.filter(action=LOGIN_OK, data__username=username)
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
    )
    failures = AuditEvent.objects.filter(action=LOGIN_FAILED, data__username=username)
    if last_ok_id is not None:
        failures = failures.filter(id__gt=last_ok_id)
    recent = list(failures.order_by("-id").values_list("created_at", flat=True)[:limit])
    if limit <= 0 or len(recent) < limit:
        return LockState(failures=len(recent), locked_seconds=0)
    newest, oldest = recent[0], recent[-1]
    locked_until = newest + period
    if newest - oldest <= period and locked_until > now:
        return LockState(failures=len(recent), locked_seconds=max(1, math.ceil((locked_until - now).total_seconds())))
    return LockState(failures=len(recent), locked_seconds=0)


def login_attempt(
    *, username: str, password: str, request: HttpRequest | None = None, channel: str = "web"
) -> User | None:
    """Check credentials with lockout. Returns the user, or ``None`` for wrong credentials;
    raises :class:`LoginLocked` while the username is locked and :class:`LoginInactive` for
    a disabled account with the right password. Does not start a session.

    Each outcome is committed in its own transaction so that a refusal is still logged.
    """
    username = (username or "").strip()[:150]
    data: dict[str, Any] = {"username": username, "channel": channel}
    with transaction.atomic():
        state = login_lock_state(username)
        if state.locked_seconds:
            record(action=LOGIN_REFUSED_LOCKED, request=request, success=False, data=data)
    if state.locked_seconds:
        raise LoginLocked(state.locked_seconds)
    user = authenticate(request, username=username, password=password)
    if user is not None:
        with transaction.atomic():
            record(action=LOGIN_OK, actor=user, obj=user, request=request, data=data)
        return user  # type: ignore[return-value]
    inactive = User.objects.filter(username=username, is_active=False).first()
    refused_inactive = inactive is not None and inactive.check_password(password)
    with transaction.atomic():
        record(
            action=LOGIN_FAILED,
            request=request,
            success=False,
            data={**data, "reason": "inactive" if refused_inactive else "credentials"},
        )
    if refused_inactive:
        raise LoginInactive()
    return None


def profile_language_set(*, user: Any, language: str) -> bool:
    """Keep the language a person chose in the web UI on their staff profile (what they read
    notifications in). Unknown codes and users without a profile are ignored. Returns whether
    it changed. A preference, not audited (like marking a notification read)."""
    if language not in dict(settings.LANGUAGES) or not getattr(user, "is_authenticated", False):
        return False
    return StaffProfile.objects.filter(user_id=user.pk).exclude(language=language).update(language=language) > 0

"""Users and their staff profiles: create and change them, set a password, set the Django groups
and permissions, keep the language a person chose."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.core.actors import Actor
from gridgov.core.audit import record
from gridgov.people import passwords, signals
from gridgov.people.models import StaffProfile
from gridgov.people.sessions import access_revoke

from .common import SELF_GRANT, User, _is_self, _second_factor_now_required

PROFILE_FIELDS = ("full_name", "phone", "title", "duties", "photo")
USER_FIELDS = ("email", "is_active", "is_staff", "is_superuser")


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


def profile_language_set(*, user: User, language: str) -> bool:
    """Keep the language a person chose in the web UI on their staff profile (what they read
    notifications in). Unknown codes and users without a profile are ignored. Returns whether
    it changed. A preference, not audited (like marking a notification read)."""
    if language not in dict(settings.LANGUAGES) or not getattr(user, "is_authenticated", False):
        return False
    return StaffProfile.objects.filter(user_id=user.pk).exclude(language=language).update(language=language) > 0

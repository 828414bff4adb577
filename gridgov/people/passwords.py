"""The password policy (MLPS level 3, 8.1.4.1 a; OWASP ASVS 2.1).

Django's validators (``AUTH_PASSWORD_VALIDATORS``) check the length (12 at least), that the
password is not like the username or other account fields, not a common password and not all
digits; the two here add a character mix (``GRIDGOV_PASSWORD_MIN_CLASSES`` of lower case,
upper case, digits and other characters) and the history (not one of the last
``GRIDGOV_PASSWORD_HISTORY`` passwords, compared against stored hashes).

An account must change its password at the next login when an administrator set it
(:func:`require_change`), and, if ``GRIDGOV_PASSWORD_MAX_AGE_DAYS`` is more than 0, when it
is older than that. The web's ``AccountPolicyMiddleware`` sends such a user to the password
page until it is done.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gridgov.people.models import AccountSecurity, PasswordHistory

if TYPE_CHECKING:
    from django.contrib.auth.models import User


# Why a user is sent to the password page.
FIRST_LOGIN = "first_login"
EXPIRED = "expired"


def _classes(password: str) -> int:
    kinds = [
        any(char.islower() for char in password),
        any(char.isupper() for char in password),
        any(char.isdigit() for char in password),
        any(not char.isalnum() for char in password),
    ]
    return sum(kinds)


class CharacterClassesValidator:
    """At least ``min_classes`` kinds of character among lower case, upper case, digits and
    the rest (letters of any script count by their case; a script without case counts as
    "other")."""

    def __init__(self, min_classes: int | None = None) -> None:
        self.min_classes = min_classes

    @property
    def required(self) -> int:
        value = self.min_classes if self.min_classes is not None else settings.GRIDGOV_PASSWORD_MIN_CLASSES
        return max(1, min(4, int(value)))

    def validate(self, password: str, user: User | None = None) -> None:
        if _classes(password) < self.required:
            raise ValidationError(self.get_help_text(), code="password_too_uniform")

    def get_help_text(self) -> str:
        return ngettext(
            "Your password must mix at least %(count)d kind of character: lower case, upper case, digits, symbols.",
            "Your password must mix at least %(count)d kinds of character: lower case, upper case, digits, symbols.",
            self.required,
        ) % {"count": self.required}


class PasswordHistoryValidator:
    """Not the current password nor one of the last ``count`` (stored as hashes only)."""

    def __init__(self, count: int | None = None) -> None:
        self.count = count

    @property
    def kept(self) -> int:
        return int(self.count if self.count is not None else settings.GRIDGOV_PASSWORD_HISTORY)

    def validate(self, password: str, user: User | None = None) -> None:
        if user is None or user.pk is None or self.kept <= 0:
            return
        hashes = list(PasswordHistory.objects.filter(user_id=user.pk).values_list("password", flat=True)[: self.kept])
        if user.password:
            hashes.append(user.password)
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                ngettext(
                    "You used this password recently. Choose one you have not used in your last %(count)d password.",
                    "You used this password recently. Choose one you have not used in your last %(count)d passwords.",
                    self.kept,
                )
                % {"count": self.kept},
                code="password_reused",
            )

    def password_changed(self, password: str, user: User | None = None) -> None:
        """Called by Django after a new password is saved: keep its hash, forget older ones."""
        if user is None or user.pk is None or not user.has_usable_password():
            return
        now = timezone.now()
        PasswordHistory.objects.create(user_id=user.pk, password=user.password, created_at=now)
        AccountSecurity.objects.update_or_create(user_id=user.pk, defaults={"password_changed_at": now})
        old = PasswordHistory.objects.filter(user_id=user.pk).values_list("pk", flat=True)[max(self.kept, 1) :]
        PasswordHistory.objects.filter(pk__in=list(old)).delete()

    def get_help_text(self) -> str:
        return _("Your password cannot be one of your recent passwords.")


def require_change(*, user: User, required: bool) -> None:
    """Set or clear "must change the password at the next login"."""
    AccountSecurity.objects.update_or_create(user_id=user.pk, defaults={"must_change_password": required})


def changed_at(user: User) -> datetime | None:
    return AccountSecurity.objects.filter(user_id=user.pk).values_list("password_changed_at", flat=True).first()


def change_reason(user: User, *, now: datetime | None = None) -> str:
    """Why ``user`` must change their password before going on ("" if they need not)."""
    if user is None or not user.is_authenticated or not user.has_usable_password():
        return ""
    state = AccountSecurity.objects.filter(user_id=user.pk).first()
    if state is not None and state.must_change_password:
        return FIRST_LOGIN
    max_age = int(settings.GRIDGOV_PASSWORD_MAX_AGE_DAYS)
    if max_age > 0:
        since = state.password_changed_at if state is not None and state.password_changed_at else user.date_joined
        if since is not None and (now or timezone.now()) - since > timedelta(days=max_age):
            return EXPIRED
    return ""

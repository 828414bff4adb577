"""Forms of the people app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gridgov.people.services import LoginInactive, LoginLocked, is_machine_account, login_check

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.http import HttpRequest


def locked_message(locked: LoginLocked) -> str:
    if not locked.locked and locked.seconds < 60:
        return ngettext(
            "Too many failed attempts. Try again in %(seconds)d second.",
            "Too many failed attempts. Try again in %(seconds)d seconds.",
            locked.seconds,
        ) % {"seconds": locked.seconds}
    return ngettext(
        "Too many failed attempts. Try again in %(minutes)d minute.",
        "Too many failed attempts. Try again in %(minutes)d minutes.",
        locked.minutes,
    ) % {"minutes": locked.minutes}


class LoginForm(AuthenticationForm):
    """The login form: Django's, with the throttling and audit of :func:`login_check`.

    While the account is locked, a user with two-step verification can still log in with the
    password and a code (``otp``); the field is shown once the lock message is.
    """

    otp = forms.CharField(
        label=_("Verification code"),
        required=False,
        max_length=20,
        help_text=_("While locked, you can still log in with your password and a code from your authenticator app."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        "invalid_login": _("Wrong username or password."),
        "inactive": _("This account is disabled. Please contact the administrator."),
        "machine": _("This is another system's account: it connects through the API with a token only."),
    }

    def __init__(self, request: Any = None, *args: Any, channel: str = "web", **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.channel = channel
        self.second_factor_done = False
        self.offer_otp = bool(self.data.get("otp")) if self.is_bound else False

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                outcome = login_check(
                    username=username,
                    password=password,
                    request=self.request,
                    channel=self.channel,
                    otp=self.cleaned_data.get("otp") or None,
                )
            except LoginLocked as locked:
                self.offer_otp = True
                raise forms.ValidationError(locked_message(locked), code="locked") from locked
            except LoginInactive as inactive:
                raise forms.ValidationError(self.error_messages["inactive"], code="inactive") from inactive
            if outcome is None:
                raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
            self.user_cache = outcome.user
            self.second_factor_done = outcome.second_factor
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if is_machine_account(user):
            # Machine accounts are API-only (issue 13, item 10): no web or admin session.
            raise forms.ValidationError(self.error_messages["machine"], code="machine")


class AdminLoginForm(LoginForm):
    """The admin site's login: the same lockout, and only staff get in."""

    error_messages = {
        **LoginForm.error_messages,
        "invalid_login": _("Wrong username or password, or this account may not use the admin site."),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, channel="admin", **kwargs)

    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class OneTimeCodeForm(forms.Form):
    """The second step of a login: a code from the authenticator app, or a recovery code."""

    token = forms.CharField(
        label=_("Verification code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "numeric"}),
        help_text=_("The 6-digit code your authenticator app shows, or one of your recovery codes."),
    )


class EnrolForm(forms.Form):
    token = forms.CharField(
        label=_("Code from the app"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "numeric"}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args: Any, user: User | None = None, ask_password: bool = False, **kwargs: Any) -> None:
        """``ask_password``: replacing an authenticator from a session asks for the password
        again, so that a borrowed session cannot move someone's second factor."""
        super().__init__(*args, **kwargs)
        self.user = user
        if not ask_password:
            del self.fields["password"]

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password", "")
        if self.user is None or not self.user.check_password(password):
            raise forms.ValidationError(_("Wrong password."), code="invalid_password")
        return str(password)


class OwnPasswordChangeForm(PasswordChangeForm):
    """Django's form (old password, new password twice, the policy's validators); the new
    password is set through :func:`gridgov.people.services.user_set_password`, which also
    ends the user's other sessions and their tokens."""

    def __init__(
        self, user: User, *args: Any, session_key: str = "", request: HttpRequest | None = None, **kwargs: Any
    ) -> None:
        super().__init__(user, *args, **kwargs)
        self.session_key = session_key
        self.request = request

    def save(self, commit: bool = True) -> Any:
        from gridgov.people.services import user_set_password

        user_set_password(
            actor=self.user,
            user=self.user,
            password=self.cleaned_data["new_password1"],
            request=self.request,
            keep_session=self.session_key,
        )
        return self.user

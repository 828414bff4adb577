"""Forms of the people app."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from gridgov.people.services import LoginInactive, LoginLocked, login_attempt


class LoginForm(AuthenticationForm):
    """The login form: Django's, with the lockout and audit of :func:`login_attempt`."""

    error_messages = {
        "invalid_login": _("Wrong username or password."),
        "inactive": _("This account is disabled. Please contact the administrator."),
    }

    def __init__(self, request: Any = None, *args: Any, channel: str = "web", **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.channel = channel

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = login_attempt(
                    username=username, password=password, request=self.request, channel=self.channel
                )
            except LoginLocked as locked:
                raise forms.ValidationError(
                    ngettext(
                        "Too many failed attempts. Try again in %(minutes)d minute.",
                        "Too many failed attempts. Try again in %(minutes)d minutes.",
                        locked.minutes,
                    )
                    % {"minutes": locked.minutes},
                    code="locked",
                ) from locked
            except LoginInactive as inactive:
                raise forms.ValidationError(self.error_messages["inactive"], code="inactive") from inactive
            if self.user_cache is None:
                raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class AdminLoginForm(LoginForm):
    """The admin site's login: the same lockout, and only staff get in."""

    error_messages = {
        **LoginForm.error_messages,
        "invalid_login": _("Wrong username or password, or this account may not use the admin site."),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, channel="admin", **kwargs)

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")

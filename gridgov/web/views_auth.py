"""Logging in in two steps, the user's own account security, and the forced password change.

A password alone opens a session only for accounts that need no second factor
(:func:`gridgov.people.twofactor.required_for`). The others stay *pending* (the user id in
the session, nothing logged in) for :data:`PENDING_SECONDS` while they give a code from
their authenticator app, or set one up if they have none yet; only then is the session
logged in. The admin site's login goes the same way (``gridgov.web.admin_site``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, password_validation, update_session_auth_hash
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from gridgov.core.actors import signed_in_user
from gridgov.people import passwords, twofactor
from gridgov.people.apps import PASSWORD_CHANGE_KEY
from gridgov.people.forms import EnrolForm, LoginForm, OneTimeCodeForm, OwnPasswordChangeForm
from gridgov.people.services import profile_language_set
from gridgov.people.sessions import session_forget, session_track

if TYPE_CHECKING:
    from django.contrib.auth.models import User

PENDING_KEY = "gridgov_login_pending"
ENROL_DEVICE_KEY = "gridgov_enrol_device"
# Which factors opened this session: "password", or "second_factor".
FACTOR_KEY = "gridgov_factor"
PENDING_SECONDS = 5 * 60


def _safe_next(request: HttpRequest, target: str | None, default: str) -> str:
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def _log_in(request: HttpRequest, user: User, *, backend: str | None, second_factor: bool) -> None:
    auth_login(request, user, backend=backend)
    request.session[FACTOR_KEY] = "second_factor" if second_factor else "password"
    # A language chosen on the login page (the switch's cookie) becomes the person's.
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen:
        profile_language_set(user=user, language=chosen)


def _after_login(request: HttpRequest, redirect_to: str) -> HttpResponse:
    """Where a fresh session goes: the password page first if the policy says so."""
    if request.session.get(PASSWORD_CHANGE_KEY):
        return redirect(f"{reverse('password-change')}?{urlencode({'next': redirect_to})}")
    return HttpResponseRedirect(redirect_to)


def start_login(request: HttpRequest, user: User, *, second_factor_done: bool, redirect_to: str) -> HttpResponse:
    """The password was right: log in, or hold the login until the second factor."""
    backend = getattr(user, "backend", None)
    if second_factor_done or not twofactor.required_for(user):
        _log_in(request, user, backend=backend, second_factor=second_factor_done)
        return _after_login(request, redirect_to)
    request.session.cycle_key()
    request.session[PENDING_KEY] = {"user": user.pk, "backend": backend, "at": time.time(), "next": redirect_to}
    return redirect("login-verify" if twofactor.has_device(user) else "login-enrol")


def _pending(request: HttpRequest) -> tuple[Any, dict[str, Any]] | None:
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict) or time.time() - float(data.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user_id = data.get("user")
    if not isinstance(user_id, int):
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return (user, data) if user is not None else None


def _finish_pending(request: HttpRequest, user: User, data: dict[str, Any]) -> None:
    request.session.pop(PENDING_KEY, None)
    request.session.pop(ENROL_DEVICE_KEY, None)
    _log_in(request, user, backend=data.get("backend"), second_factor=True)


class LoginView(auth_views.LoginView):
    """Django's login view with the people app's form (throttling and audit) and the second
    step. The same message answers an unknown user and a wrong password."""

    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        return start_login(
            self.request,
            form.get_user(),
            second_factor_done=getattr(form, "second_factor_done", False),
            redirect_to=self.get_success_url(),
        )


@never_cache
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
def login_verify(request: HttpRequest) -> HttpResponse:
    """Second step: a code from the authenticator app or a recovery code."""
    pending = _pending(request)
    if pending is None:
        messages.info(request, _("Your login took too long. Please log in again."))
        return redirect("login")
    user, data = pending
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.verify(user=user, token=form.cleaned_data["token"], request=request, purpose="login"):
            _finish_pending(request, user, data)
            return _after_login(request, data.get("next") or reverse("home"))
        form.add_error("token", _("This code is not right. Use the current code of your app, or a recovery code."))
    return render(request, "registration/verify.html", {"form": form, "username": user.get_username()})


@never_cache
@sensitive_post_parameters("token")
@require_http_methods(["GET", "POST"])
def login_enrol(request: HttpRequest) -> HttpResponse:
    """Set up the authenticator app: for a pending login that needs one (first login of an
    administrator), or for a logged-in user adding or replacing theirs. The recovery codes
    are shown once, at the end."""
    pending = _pending(request)
    if pending is not None:
        user, data = pending
    elif request.user.is_authenticated:
        user, data = request.user, None
    else:
        return redirect("login")
    if pending is not None and twofactor.has_device(user):
        # Replacing a device needs the old one: log in with it first.
        return redirect("login-verify")
    device = twofactor.pending_device(user, request.session.get(ENROL_DEVICE_KEY))
    if device is None:
        device = twofactor.enrol_start(user=user)
        request.session[ENROL_DEVICE_KEY] = device.pk
    form = EnrolForm(request.POST or None, user=user, ask_password=data is None and twofactor.has_device(user))
    if request.method == "POST" and form.is_valid():
        codes = twofactor.enrol_confirm(user=user, device=device, token=form.cleaned_data["token"], request=request)
        if codes is not None:
            request.session.pop(ENROL_DEVICE_KEY, None)
            next_url = reverse("account-security")
            if data is not None:
                _finish_pending(request, user, data)
                next_url = data.get("next") or reverse("home")
            context = {"codes": codes, "next_url": next_url, "first": True}
            return render(request, "registration/recovery_codes.html", context)
        form.add_error("token", _("This code is not right. Check the time on your phone and try the new code."))
    context = {
        "form": form,
        "qr_svg": twofactor.qr_svg(device),
        "secret": twofactor.secret_text(device),
        "username": user.get_username(),
        "required": data is not None,
    }
    return render(request, "registration/enrol.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_security(request: HttpRequest) -> HttpResponse:
    """The user's own security page: two-step verification, recovery codes, password."""
    user = signed_in_user(request.user)
    if request.method == "POST" and request.POST.get("action") == "recovery_codes":
        if not twofactor.has_device(user):
            return redirect("account-security")
        codes = twofactor.recovery_codes_regenerate(user=user, request=request)
        context = {"codes": codes, "next_url": reverse("account-security"), "first": False}
        return render(request, "registration/recovery_codes.html", context)
    context = {
        "has_device": twofactor.has_device(user),
        "required": twofactor.required_for(user),
        "codes_left": twofactor.recovery_codes_left(user),
        "password_changed_at": passwords.changed_at(user),
    }
    return render(request, "registration/account_security.html", context)


@never_cache
@login_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password (also where the policy sends a user who must)."""
    reason = request.session.get(PASSWORD_CHANGE_KEY, "")
    redirect_to = _safe_next(request, request.POST.get("next") or request.GET.get("next"), reverse("home"))
    old_key = request.session.session_key or ""
    form = OwnPasswordChangeForm(
        signed_in_user(request.user), request.POST or None, session_key=old_key, request=request
    )
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)  # stay logged in here (a new session key)
        session_forget(session_key=old_key)
        session_track(user=user, session_key=request.session.session_key)
        request.session.pop(PASSWORD_CHANGE_KEY, None)
        messages.success(request, _("Your password was changed. Other sessions and API tokens have ended."))
        return HttpResponseRedirect(redirect_to)
    context = {
        "form": form,
        "reason": reason,
        "next": redirect_to,
        "password_rules": password_validation.password_validators_help_texts(),
    }
    return render(request, "registration/password_change.html", context)

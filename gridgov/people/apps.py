from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.http import HttpRequest

# Session keys written at login and read by the web's AccountPolicyMiddleware.
PASSWORD_CHANGE_KEY = "gridgov_password_change"  # noqa: S105  (a session key, not a password)
LOGOUT = "auth.logout"


def _logged_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    from gridgov.people import passwords
    from gridgov.people.sessions import session_track

    session = getattr(request, "session", None)
    if session is None:
        return
    session_track(user=user, session_key=session.session_key)
    reason = passwords.change_reason(user)
    if reason:
        session[PASSWORD_CHANGE_KEY] = reason
    else:
        session.pop(PASSWORD_CHANGE_KEY, None)


def _logged_out(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    from gridgov.core.audit import record
    from gridgov.people.sessions import session_forget

    session = getattr(request, "session", None)
    session_forget(session_key=session.session_key if session is not None else None)
    if user is not None:
        record(action=LOGOUT, actor=user, obj=user, request=request)


class PeopleConfig(AppConfig):
    name = "gridgov.people"
    label = "people"
    verbose_name = _("People and departments")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from gridgov.core import tableversions

        # The versions of the scopes' and role holders' tables and of the tokens (people/0006;
        # gridgov/core/tableversions.py): every column counts but those named.
        tableversions.register(
            "people",
            {
                "people_roleassignment": (),
                "people_department_areas": (),
                "areas_area": (),
                "auth_user": ("last_login",),
            },
        )
        tableversions.register("tokens", {"people_apitoken": ("last_used_at",), "auth_user": ("last_login",)})

        user_logged_in.connect(_logged_in, dispatch_uid="gridgov.people.logged_in")
        user_logged_out.connect(_logged_out, dispatch_uid="gridgov.people.logged_out")

        # Second-factor secrets encrypted at rest (gridgov/people/otpcrypt.py).
        from django.db.models.signals import post_init, post_save, pre_save
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from gridgov.core.keyrotation import EXTRA_WALKS
        from gridgov.people import otpcrypt

        post_init.connect(otpcrypt.device_loaded, sender=TOTPDevice, dispatch_uid="gridgov.people.otp_loaded")
        pre_save.connect(otpcrypt.device_saving, sender=TOTPDevice, dispatch_uid="gridgov.people.otp_saving")
        post_save.connect(otpcrypt.device_saved, sender=TOTPDevice, dispatch_uid="gridgov.people.otp_saved")
        if otpcrypt.rotate_secrets not in EXTRA_WALKS:
            EXTRA_WALKS.append(otpcrypt.rotate_secrets)

"""Two-step verification: TOTP (an authenticator app) and single-use recovery codes.

Devices are django-otp's (``TOTPDevice``, ``StaticDevice``), which throttle wrong guesses
(1, 2, 4 … seconds). Who must use it is :func:`required_for`: superusers, staff, and holders
of the roles in ``GRIDGOV_2FA_ROLES`` (by default the administrators' roles). The QR code of
the enrolment page is an SVG drawn here (segno), so the secret never leaves the server.
Every enrolment, verification failure, recovery-code use and reset is audited.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import segno
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridgov.core.actors import Actor
from gridgov.core.audit import record
from gridgov.people.models import RoleAssignment
from gridgov.people.otpcrypt import recovery_stored

if TYPE_CHECKING:
    from django.contrib.auth.models import User


AUTHENTICATOR = "authenticator"
RECOVERY = "recovery"
RECOVERY_CODE_COUNT = 10

ENROLLED = "auth.2fa_enrol"
VERIFIED = "auth.2fa_verify"
FAILED = "auth.2fa_failed"
RECOVERY_USED = "auth.2fa_recovery_used"
RECOVERY_REGENERATED = "auth.2fa_recovery_codes"
RESET = "auth.2fa_reset"


def required_for(user: User) -> bool:
    """Must ``user`` pass a second factor to log in? ``GRIDGOV_2FA_ROLES`` lists role codes,
    plus ``superuser`` and ``staff`` for those account flags."""
    wanted = set(settings.GRIDGOV_2FA_ROLES)
    if not wanted or user is None or not getattr(user, "is_authenticated", True):
        return False
    if ("superuser" in wanted and user.is_superuser) or ("staff" in wanted and user.is_staff):
        return True
    roles = wanted - {"superuser", "staff"}
    return bool(roles) and RoleAssignment.objects.filter(user_id=user.pk, role__in=roles).exists()


def has_device(user: User) -> bool:
    """Has ``user`` a confirmed authenticator?"""
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk, device__confirmed=True).count()


def enrol_start(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator for ``user`` (an earlier unconfirmed one is dropped).
    It counts only once :func:`enrol_confirm` has seen a code from it."""
    TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


def pending_device(user: User, device_id: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user_id=user.pk, pk=device_id, confirmed=False).first()


def secret_text(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app by hand."""
    raw = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(raw[index : index + 4] for index in range(0, len(raw), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The ``otpauth://`` URL of ``device`` as an inline SVG QR code (drawn locally)."""
    code = segno.make(device.config_url, error="m")
    return str(code.svg_inline(scale=5, border=2, dark="#1f2937", light="#ffffff"))


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user_id=user.pk).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    # Stored as keyed digests, never the codes (gridgov/people/otpcrypt.py).
    StaticToken.objects.bulk_create([StaticToken(device=device, token=recovery_stored(code)) for code in codes])
    return codes


@transaction.atomic
def enrol_confirm(
    *, user: User, device: TOTPDevice, token: str, request: HttpRequest | None = None
) -> list[str] | None:
    """Confirm ``device`` with a code it shows. Returns the new recovery codes (to be shown
    once), or ``None`` for a wrong code. Replaces any earlier authenticator."""
    if not device.verify_token(_digits(token)):
        record(action=FAILED, actor=user, obj=user, request=request, success=False, data={"purpose": "enrol"})
        return None
    TOTPDevice.objects.filter(user_id=user.pk).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    record(action=ENROLLED, actor=user, obj=user, request=request, data={"recovery_codes": len(codes)})
    return codes


def _digits(token: str) -> str:
    return "".join((token or "").split())


def verify(*, user: User, token: str, request: HttpRequest | None = None, purpose: str = "login") -> bool:
    """Is ``token`` a current code of ``user``'s authenticator, or one of their unused
    recovery codes (which is then spent)? Throttled per device; audited either way."""
    token = _digits(token)
    if not token:
        return False
    with transaction.atomic():
        for device in TOTPDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=True):
            if token.isdigit() and device.verify_token(token):
                record(action=VERIFIED, actor=user, obj=user, request=request, data={"purpose": purpose})
                return True
        for static in StaticDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=True):
            if static.verify_token(recovery_stored(token)):
                left = recovery_codes_left(user)
                record(
                    action=RECOVERY_USED,
                    actor=user,
                    obj=user,
                    request=request,
                    data={"purpose": purpose, "codes_left": left},
                )
                return True
    record(action=FAILED, actor=user, obj=user, request=request, success=False, data={"purpose": purpose})
    return False


@transaction.atomic
def recovery_codes_regenerate(*, user: User, request: HttpRequest | None = None) -> list[str]:
    """New recovery codes for ``user`` (the old ones stop working); shown once."""
    codes = _new_recovery_codes(user)
    record(action=RECOVERY_REGENERATED, actor=user, obj=user, request=request, data={"count": len(codes)})
    return codes


@transaction.atomic
def twofactor_reset(*, actor: Actor, user: User, request: HttpRequest | None = None) -> bool:
    """Remove ``user``'s authenticator and recovery codes (a lost phone): a security
    administrator's action. They enrol again at their next login."""
    removed = (
        TOTPDevice.objects.filter(user_id=user.pk).delete()[0]
        + StaticDevice.objects.filter(user_id=user.pk).delete()[0]
    )
    if not removed:
        return False
    record(action=RESET, actor=actor, obj=user, request=request, data={"user": user.pk})
    return True

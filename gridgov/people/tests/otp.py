"""Two-step verification in tests: an enrolled authenticator and the codes it would show."""

from __future__ import annotations

import time
from typing import Any

from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridgov.people import twofactor


def enrol(user: Any) -> tuple[TOTPDevice, list[str]]:
    """Enrol ``user`` through the service, as the enrolment page does; returns the device
    and the recovery codes."""
    device = twofactor.enrol_start(user=user)
    codes = twofactor.enrol_confirm(user=user, device=device, token=code(device))
    assert codes is not None
    device.refresh_from_db()
    return device, codes


def code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the app shows now (or ``steps_ahead`` periods later: a device accepts the
    next period too, and never the same period twice)."""
    if steps_ahead:
        value = _totp_at(device, time.time() + steps_ahead * device.step)
    else:
        value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{value:0{device.digits}d}"


def _totp_at(device: TOTPDevice, moment: float) -> int:
    from django_otp.oath import TOTP

    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    generator.time = moment
    return generator.token()


def next_code(device: TOTPDevice) -> str:
    """A code the device has not accepted yet (the period after the last one used)."""
    device.refresh_from_db()
    now_t = int((time.time() - device.t0) // device.step)
    ahead = 1 if device.last_t >= now_t else 0
    return code(device, ahead) if ahead else code(device)

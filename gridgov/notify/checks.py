"""System checks: enabled channels exist and have their address configured."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Warning, register

from . import channels

_REQUIRED = {"sms": ["GRIDGOV_SMS_URL"], "webhook": ["GRIDGOV_WEBHOOK_URL", "GRIDGOV_WEBHOOK_SECRET"]}


@register()
def notify_channels(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    found: list[Warning] = []
    for code in getattr(settings, "GRIDGOV_NOTIFY_CHANNELS", []):
        if code not in channels.registered_codes():
            found.append(
                Warning(
                    f"Unknown notification channel {code!r} in GRIDGOV_NOTIFY_CHANNELS.",
                    hint=f"Known channels: {', '.join(channels.registered_codes())}.",
                    id="notify.W001",
                )
            )
            continue
        for name in _REQUIRED.get(code, []):
            if not getattr(settings, name, ""):
                found.append(Warning(f"Channel {code!r} is enabled but {name} is empty.", id="notify.W002"))
    return found

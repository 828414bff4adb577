"""The delivery page's place in the web shell's navigation (added when the app is ready)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.web.nav import NAV, NavEntry

from .selectors import MANAGE_ROLES

NAV_ENTRY = NavEntry("upstream-delivery", _("Upstream delivery"), "upstream:delivery", roles=MANAGE_ROLES)


def register() -> None:
    """Put the entry before the administration links. Registering twice changes nothing."""
    if any(entry.key == NAV_ENTRY.key for entry in NAV):
        return
    position = next((i for i, entry in enumerate(NAV) if entry.key == "admin"), len(NAV))
    NAV.insert(position, NAV_ENTRY)

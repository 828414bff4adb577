"""The hotline pages' places in the web shell: navigation entries and home-page panels.

The hotline app adds them to ``gridgov.web.nav.NAV`` and ``gridgov.web.panels.HOME_PANELS`` when
it is ready (see ``apps.py``), after the case entries, so the shell knows nothing about orders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from gridgov.people.models import Role
from gridgov.web.nav import NAV, NavEntry
from gridgov.web.panels import HOME_PANELS, HomePanel

from .views import center_panel, department_panel, leader_panel

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

NAV_ENTRIES: list[NavEntry] = [
    NavEntry(
        "hotline-workbench",
        _("Hotline orders"),
        "hotline:workbench",
        roles=frozenset({Role.CENTER_OPERATOR, Role.TOWN_LEADER, Role.SUPERVISOR, Role.ADMIN}),
    ),
    NavEntry(
        "hotline-department",
        _("Hotline orders"),
        "hotline:department",
        roles=frozenset({Role.DEPARTMENT_HANDLER}),
    ),
]


def _center(user: User | AnonymousUser) -> dict[str, Any]:
    return center_panel(user)


def _leader(user: User | AnonymousUser) -> dict[str, Any]:
    return leader_panel(user)


def _department(user: User | AnonymousUser) -> dict[str, Any]:
    return department_panel(user)


PANELS: list[HomePanel] = [
    HomePanel(
        "hotline-center",
        "hotline/_panel_center.html",
        roles=frozenset({Role.CENTER_OPERATOR}),
        context=_center,
    ),
    HomePanel(
        "hotline-leader",
        "hotline/_panel_center.html",
        roles=frozenset({Role.TOWN_LEADER}),
        context=_leader,
    ),
    HomePanel(
        "hotline-department",
        "hotline/_panel_department.html",
        roles=frozenset({Role.DEPARTMENT_HANDLER}),
        context=_department,
    ),
]


def register() -> None:
    """Put the hotline entries before the administration links (after the case entries) and
    the panels on the home page. Registering twice changes nothing."""
    keys = {entry.key for entry in NAV}
    position = next((i for i, entry in enumerate(NAV) if entry.key == "admin"), len(NAV))
    for entry in NAV_ENTRIES:
        if entry.key not in keys:
            NAV.insert(position, entry)
            position += 1
    panel_keys = {panel.key for panel in HOME_PANELS}
    HOME_PANELS.extend(panel for panel in PANELS if panel.key not in panel_keys)

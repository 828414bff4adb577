"""The hotline pages' places in the web shell: navigation entries and home-page panels.

The hotline app adds them to ``gridgov.web.nav.NAV`` and ``gridgov.web.panels.HOME_PANELS`` when
it is ready (see ``apps.py``), after the case entries, so the shell knows nothing about orders.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.people.models import DESK_ROLES, Role
from gridgov.web.nav import NavEntry, add_entries
from gridgov.web.panels import HomePanel, add_panels

from .views import center_panel, department_panel, leader_panel

NAV_ENTRIES: list[NavEntry] = [
    NavEntry(
        "hotline-workbench",
        _("Hotline orders"),
        "hotline:workbench",
        roles=DESK_ROLES,
    ),
    NavEntry(
        "hotline-department",
        _("Hotline orders"),
        "hotline:department",
        roles=frozenset({Role.DEPARTMENT_HANDLER}),
    ),
]


PANELS: list[HomePanel] = [
    HomePanel(
        "hotline-center",
        "hotline/_panel_center.html",
        roles=frozenset({Role.CENTER_OPERATOR}),
        context=center_panel,
    ),
    HomePanel(
        "hotline-leader",
        "hotline/_panel_center.html",
        roles=frozenset({Role.TOWN_LEADER}),
        context=leader_panel,
    ),
    HomePanel(
        "hotline-department",
        "hotline/_panel_department.html",
        roles=frozenset({Role.DEPARTMENT_HANDLER}),
        context=department_panel,
    ),
]


def register() -> None:
    """Put the hotline entries before the administration links (after the case entries) and
    the panels on the home page. Registering twice changes nothing."""
    add_entries(NAV_ENTRIES)
    add_panels(PANELS)

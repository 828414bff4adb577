"""The hotline pages' places in the web shell: navigation entries and home-page panels.

The hotline app adds them to ``gridgov.web.nav.NAV`` and ``gridgov.web.panels.HOME_PANELS`` when
it is ready (see ``apps.py``), after the case entries, so the shell knows nothing about orders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.cases.views_stats import CockpitTile, add_cockpit_tiles
from gridgov.people.models import DESK_ROLES, Role
from gridgov.web.nav import NavEntry, add_entries
from gridgov.web.panels import HomePanel, add_panels

from .selectors import Queue, queue_counts
from .views import center_panel, department_panel, leader_panel

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

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
    add_cockpit_tiles(cockpit_tiles)


def cockpit_tiles(user: User | AnonymousUser) -> list[CockpitTile]:
    """The leader cockpit's hotline figure: orders waiting for a leader's instruction."""
    count = queue_counts(user, [Queue.TO_INSTRUCT]).get(Queue.TO_INSTRUCT, 0)
    url = f"{reverse('hotline:workbench')}?queue={Queue.TO_INSTRUCT}"
    return [CockpitTile(str(_("Hotline orders awaiting instruction")), count, url, waiting=True)]

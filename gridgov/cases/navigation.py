"""The case pages' places in the web shell: navigation entries and home-page panels.

The cases app adds them to ``gridgov.web.nav.NAV`` and ``gridgov.web.panels.HOME_PANELS`` when
it is ready (see ``apps.py``), so the shell knows nothing about cases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from gridgov.people.models import Role
from gridgov.web.nav import NAV, NavEntry
from gridgov.web.panels import HOME_PANELS, HomePanel

from .views import home_panel_context
from .views_field import department_panel, grid_worker_panel, village_panel

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

NAV_ENTRIES: list[NavEntry] = [
    NavEntry(
        "case-workbench",
        _("Case workbench"),
        "cases:workbench",
        roles=frozenset({Role.CENTER_OPERATOR, Role.TOWN_LEADER, Role.SUPERVISOR, Role.ADMIN}),
    ),
    NavEntry(
        "case-report",
        _("Report a case"),
        "cases:report",
        roles=frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.VILLAGE_STAFF}),
    ),
    NavEntry("case-verify", _("To verify"), "cases:verify", roles=frozenset({Role.GRID_WORKER})),
    NavEntry("case-mine", _("My cases"), "cases:mine", roles=frozenset({Role.GRID_WORKER, Role.GRID_LEADER})),
    NavEntry(
        "case-village", _("Village inbox"), "cases:village", roles=frozenset({Role.GRID_LEADER, Role.VILLAGE_STAFF})
    ),
    NavEntry("case-department", _("Department inbox"), "cases:department", roles=frozenset({Role.DEPARTMENT_HANDLER})),
]


def _center_queues(user: User | AnonymousUser) -> dict[str, Any]:
    return home_panel_context(user)


def _grid_worker(user: User | AnonymousUser) -> dict[str, Any]:
    return grid_worker_panel(user)


def _village(user: User | AnonymousUser) -> dict[str, Any]:
    return village_panel(user)


def _department(user: User | AnonymousUser) -> dict[str, Any]:
    return department_panel(user)


PANELS: list[HomePanel] = [
    HomePanel(
        "cases-center",
        "cases/_home_panel.html",
        roles=frozenset({Role.CENTER_OPERATOR, Role.TOWN_LEADER, Role.SUPERVISOR}),
        context=_center_queues,
    ),
    HomePanel(
        "cases-grid-worker",
        "cases/field/panel_grid_worker.html",
        roles=frozenset({Role.GRID_WORKER}),
        context=_grid_worker,
    ),
    HomePanel(
        "cases-village",
        "cases/field/panel_village.html",
        roles=frozenset({Role.GRID_LEADER, Role.VILLAGE_STAFF}),
        context=_village,
    ),
    HomePanel(
        "cases-department",
        "cases/field/panel_department.html",
        roles=frozenset({Role.DEPARTMENT_HANDLER}),
        context=_department,
    ),
]


def register() -> None:
    """Put the case entries after the map (before the administration links) and the panels
    on the home page. Registering twice changes nothing."""
    keys = {entry.key for entry in NAV}
    position = next((i for i, entry in enumerate(NAV) if entry.key == "admin"), len(NAV))
    for entry in NAV_ENTRIES:
        if entry.key not in keys:
            NAV.insert(position, entry)
            position += 1
    panel_keys = {panel.key for panel in HOME_PANELS}
    HOME_PANELS.extend(panel for panel in PANELS if panel.key not in panel_keys)

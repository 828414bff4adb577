"""The case pages' places in the web shell: navigation entries and home-page panels.

The cases app adds them to ``gridgov.web.nav.NAV`` and ``gridgov.web.panels.HOME_PANELS`` when
it is ready (see ``apps.py``), so the shell knows nothing about cases.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.people.models import DESK_ROLES, Role
from gridgov.web.nav import QUICK_LINKS, NavEntry, add_entries
from gridgov.web.panels import HomePanel, add_panels

from .views import home_panel_context
from .views_field import department_panel, grid_worker_panel, village_panel

NAV_ENTRIES: list[NavEntry] = [
    NavEntry(
        "case-workbench",
        _("Case workbench"),
        "cases:workbench",
        roles=DESK_ROLES,
    ),
    NavEntry(
        "case-stats",
        _("Statistics and analysis"),
        "cases:stats",
        roles=DESK_ROLES,
        also=("cases:cockpit",),
        group="figures",
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


# The leader's shortcut on the home page: the cockpit (also fit for a wall display).
COCKPIT_LINK = NavEntry(
    "case-cockpit",
    _("Leader cockpit"),
    "cases:cockpit",
    roles=frozenset({Role.TOWN_LEADER, Role.SUPERVISOR, Role.CENTER_OPERATOR}),
    description=_("Today's intake, lights, overdue and this month's rates, refreshed every minute"),
    group="figures",
)


PANELS: list[HomePanel] = [
    HomePanel(
        "cases-center",
        "cases/_home_panel.html",
        roles=frozenset({Role.CENTER_OPERATOR, Role.TOWN_LEADER, Role.SUPERVISOR}),
        context=home_panel_context,
    ),
    HomePanel(
        "cases-grid-worker",
        "cases/field/panel_grid_worker.html",
        roles=frozenset({Role.GRID_WORKER}),
        context=grid_worker_panel,
    ),
    HomePanel(
        "cases-village",
        "cases/field/panel_village.html",
        roles=frozenset({Role.GRID_LEADER, Role.VILLAGE_STAFF}),
        context=village_panel,
    ),
    HomePanel(
        "cases-department",
        "cases/field/panel_department.html",
        roles=frozenset({Role.DEPARTMENT_HANDLER}),
        context=department_panel,
    ),
]


def register() -> None:
    """Put the case entries after the map (before the administration links) and the panels
    on the home page. Registering twice changes nothing."""
    add_entries(NAV_ENTRIES)
    if all(entry.key != COCKPIT_LINK.key for entry in QUICK_LINKS):
        QUICK_LINKS.insert(0, COCKPIT_LINK)
    add_panels(PANELS)

"""The weekly analysis and monthly summary pages in the web shell's navigation and home page."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from gridgov.people.models import Role
from gridgov.web.nav import NavEntry, add_entries
from gridgov.web.panels import HomePanel, add_panels

from .services import CENTER_ROLES, READER_ROLES, panel_counts, to_do_for

if TYPE_CHECKING:
    from django.contrib.auth.models import User

SUMMARY_ROLES = frozenset({*CENTER_ROLES, Role.GRID_LEADER, Role.VILLAGE_STAFF, Role.SUPERVISOR})
PANEL_ROWS = 8

NAV_ENTRIES: list[NavEntry] = [
    NavEntry(
        "weekly-list",
        _("Weekly analyses"),
        "analysis:weekly-list",
        roles=READER_ROLES,
        description=_("Each grid's weekly analysis: written by the grid worker, checked, accepted by the center"),
        group="grid",
    ),
    NavEntry(
        "summary-list",
        _("Monthly summaries"),
        "analysis:summary-list",
        roles=SUMMARY_ROLES,
        description=_("The month of a village or the town, from the bulletin and the weekly analyses"),
        group="figures",
    ),
]


def _panel(user: User) -> dict[str, Any]:
    waiting, overdue = panel_counts(user)
    return {
        "waiting": list(to_do_for(user)[:PANEL_ROWS]) if waiting else [],
        "waiting_count": waiting,
        "overdue_count": overdue,
    }


PANELS = [HomePanel("weekly", "analysis/_panel.html", roles=READER_ROLES, context=_panel)]


def register() -> None:
    """Put the entries before the administration links. Registering twice changes nothing."""
    add_entries(NAV_ENTRIES)
    add_panels(PANELS)

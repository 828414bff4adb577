"""The discipline office's place in the web shell's navigation."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.people.models import Role
from gridgov.web.nav import NavEntry, add_entries
from gridgov.web.panels import HomePanel, add_panels

from .views import home_panel_context

NAV_ENTRIES: list[NavEntry] = [
    NavEntry(
        "oversight-console",
        _("Discipline oversight"),
        "oversight:console",
        roles=frozenset({Role.SUPERVISOR}),
        description=_(
            "The discipline office's console: what to look at, supervision notices, accountability, conduct complaints"
        ),
        also=(
            "oversight:rule",
            "oversight:settings",
            "oversight:supervisions",
            "oversight:accountability",
            "oversight:complaints",
        ),
    ),
]


PANELS: list[HomePanel] = [
    HomePanel(
        "oversight-office",
        "oversight/_home_panel.html",
        roles=frozenset({Role.SUPERVISOR}),
        context=home_panel_context,
    ),
]


def register() -> None:
    add_entries(NAV_ENTRIES)
    add_panels(PANELS)

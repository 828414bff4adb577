"""The assessment's place in the web shell's navigation."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from gridgov.people.models import Role
from gridgov.web.nav import NavEntry, add_entries

from .services import READER_ROLES

NAV_ENTRIES: list[NavEntry] = [
    NavEntry(
        "assessment-periods",
        _("Assessment"),
        "assessment:periods",
        roles=frozenset(
            {*READER_ROLES, Role.GRID_WORKER, Role.GRID_LEADER, Role.VILLAGE_STAFF, Role.DEPARTMENT_HANDLER}
        ),
        description=_("Assessment schemes, monthly results and ranking, appeals, rewards and penalties"),
        also=("assessment:period", "assessment:result", "assessment:refs", "assessment:schemes", "assessment:appeals"),
        group="oversight",
    ),
]


def register() -> None:
    add_entries(NAV_ENTRIES)

"""The assessment's place in the web shell's navigation."""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.people.models import Role
from gridgov.web.nav import NavEntry, add_entries
from gridgov.web.panels import HomePanel, add_panels

from . import services
from .models import PeriodStatus
from .services import READER_ROLES

ASSESSED_ROLES = frozenset({Role.GRID_WORKER, Role.GRID_LEADER, Role.VILLAGE_STAFF, Role.DEPARTMENT_HANDLER})

NAV_ENTRIES: list[NavEntry] = [
    NavEntry(
        "assessment-periods",
        _("Assessment"),
        "assessment:periods",
        roles=frozenset({*READER_ROLES, *ASSESSED_ROLES}),
        description=_("Assessment schemes, monthly results and ranking, appeals, rewards and penalties"),
        also=("assessment:period", "assessment:result", "assessment:refs", "assessment:schemes", "assessment:appeals"),
        group="oversight",
    ),
]


def home_panel(user: Any) -> dict[str, Any]:
    """The user's own result of the latest published period still open to appeal, if any."""
    result = (
        services.results_visible(user)
        .filter(
            services.own_results_q(user),
            snapshot__period__status=PeriodStatus.PUBLISHED,
            snapshot__period__current=F("snapshot"),
        )
        .select_related("snapshot__period")
        .order_by("-snapshot__period__end", "pk")
        .first()
    )
    if result is None:
        return {"result": None}
    return {
        "result": result,
        "period": result.snapshot.period,
        "url": reverse("assessment:result", args=[result.pk]),
    }


PANELS: list[HomePanel] = [
    HomePanel("assessment-result", "assessment/_panel.html", roles=ASSESSED_ROLES, context=home_panel),
]


def register() -> None:
    add_entries(NAV_ENTRIES)
    add_panels(PANELS)

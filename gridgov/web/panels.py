"""Sections of the home page that later features add (cases to handle, hotline orders…).

A feature appends a :class:`HomePanel` to :data:`HOME_PANELS`; the home page renders the
panels the user's roles allow, in order, each with the context its ``context`` function
returns for that user (through the feature's own selectors).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gridgov.access.scope import scope_for


@dataclass(frozen=True)
class HomePanel:
    key: str
    template: str
    # Roles that see the panel (any one is enough); ``None``: every user with a role.
    roles: frozenset[str] | None = None
    context: Callable[[Any], dict[str, Any]] | None = None


def _case_panel(name: str) -> Callable[[Any], dict[str, Any]]:
    """The context function ``name`` of the case field pages, imported when first used."""

    def context(user: Any) -> dict[str, Any]:
        from gridgov.cases import views_field

        result: dict[str, Any] = getattr(views_field, name)(user)
        return result

    return context


def _center_queues(user: Any) -> dict[str, Any]:
    from gridgov.cases.views import home_panel_context

    return home_panel_context(user)


HOME_PANELS: list[HomePanel] = [
    HomePanel(
        "cases-center",
        "cases/_home_panel.html",
        roles=frozenset({"center_operator", "town_leader", "supervisor"}),
        context=_center_queues,
    ),
    HomePanel(
        "cases-grid-worker",
        "cases/field/panel_grid_worker.html",
        roles=frozenset({"grid_worker"}),
        context=_case_panel("grid_worker_panel"),
    ),
    HomePanel(
        "cases-village",
        "cases/field/panel_village.html",
        roles=frozenset({"grid_leader", "village_staff"}),
        context=_case_panel("village_panel"),
    ),
    HomePanel(
        "cases-department",
        "cases/field/panel_department.html",
        roles=frozenset({"department_handler"}),
        context=_case_panel("department_panel"),
    ),
]


@dataclass(frozen=True)
class RenderedPanel:
    key: str
    template: str
    context: dict[str, Any]


def panels_for(user: Any) -> list[RenderedPanel]:
    scope = scope_for(user)
    if not scope.roles:
        return []
    panels = []
    for panel in HOME_PANELS:
        if panel.roles is not None and not scope.has_role(*panel.roles):
            continue
        context = panel.context(user) if panel.context else {}
        panels.append(RenderedPanel(key=panel.key, template=panel.template, context=context))
    return panels

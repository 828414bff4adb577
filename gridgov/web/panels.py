"""Sections of the home page that later features add (cases to handle, hotline orders…).

A feature appends a :class:`HomePanel` to :data:`HOME_PANELS`; the home page renders the
panels the user's roles allow, in order, each with the context its ``context`` function
returns for that user (through the feature's own selectors).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gridgov.access.scope import scope_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@dataclass(frozen=True)
class HomePanel:
    key: str
    template: str
    # Roles that see the panel (any one is enough); ``None``: every user with a role.
    roles: frozenset[str] | None = None
    context: Callable[[Any], dict[str, Any]] | None = None


# Features add their panels here when their app is ready (e.g. gridgov/cases/navigation.py).
HOME_PANELS: list[HomePanel] = []


def add_panels(panels: Iterable[HomePanel]) -> None:
    """Put a feature's panels on the home page, after those added earlier. Adding a panel
    twice changes nothing."""
    keys = {panel.key for panel in HOME_PANELS}
    HOME_PANELS.extend(panel for panel in panels if panel.key not in keys)


@dataclass(frozen=True)
class RenderedPanel:
    key: str
    template: str
    context: dict[str, Any]


def panels_for(user: User | AnonymousUser) -> list[RenderedPanel]:
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

"""Links other apps add to a meeting's resolutions (the leaders' tasks that took one over, or the
link that makes one a leader's task). Meetings is a lower layer than those apps: they register a
function here, and the resolution rows show what it returns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from .models import Resolution


@dataclass(frozen=True)
class ResolutionLink:
    """A link on a resolution's row. A link with a ``state`` is to what took the resolution
    over (a leader's task): the row shows that state instead of the resolution's own, and
    hides the resolution's own steps."""

    label: str
    url: str
    state: str = ""


LinkSource = Callable[[Sequence["Resolution"], "User | AnonymousUser"], dict[int, list[ResolutionLink]]]
RESOLUTION_LINKS: list[LinkSource] = []


def add_resolution_links(source: LinkSource) -> None:
    """Register a function giving links per resolution id (registering twice changes nothing)."""
    if source not in RESOLUTION_LINKS:
        RESOLUTION_LINKS.append(source)


def resolution_links(resolutions: Sequence[Resolution], user: User | AnonymousUser) -> dict[int, list[ResolutionLink]]:
    """The links every registered app gives for ``resolutions``, by resolution id."""
    found: dict[int, list[ResolutionLink]] = {}
    if not resolutions:
        return found
    for source in RESOLUTION_LINKS:
        for pk, links in source(resolutions, user).items():
            found.setdefault(pk, []).extend(links)
    return found


TakenOver = Callable[[int], bool]
TAKEN_OVER: list[TakenOver] = []


def add_taken_over(check: TakenOver) -> None:
    """Register a function telling whether a resolution (by id) was taken over by another app's
    work; its own steps are then refused (registering twice changes nothing)."""
    if check not in TAKEN_OVER:
        TAKEN_OVER.append(check)


def taken_over(resolution_id: int) -> bool:
    return any(check(resolution_id) for check in TAKEN_OVER)

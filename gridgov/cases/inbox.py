"""Sections other apps add to the owners' inboxes (the department and village inboxes), above
the cases: e.g. the leaders' tasks a unit owns. Like the cockpit's tiles, a feature registers a
function that gives its section for a user (or None when it has nothing for them); the inbox
pages render the sections in the order they were added, each item opening its own page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@dataclass(frozen=True)
class InboxItem:
    """One thing to act on: a title, its state, its light (``green``/``yellow``/``red`` or
    empty) and the light's label, its deadline and the page it opens."""

    title: str
    url: str
    state: str = ""
    light: str = ""
    light_label: str = ""
    deadline: dt.datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class InboxSection:
    key: str
    title: str
    items: list[InboxItem] = field(default_factory=list)
    # How many there are in all (the items may be the first few), and the list of all of them.
    count: int = 0
    more_url: str = ""


InboxSource = Callable[["User | AnonymousUser"], "InboxSection | None"]
INBOX_SECTIONS: list[InboxSource] = []


def add_inbox_section(source: InboxSource) -> None:
    """Register a function that gives an inbox section (registering twice changes nothing)."""
    if source not in INBOX_SECTIONS:
        INBOX_SECTIONS.append(source)


def inbox_sections(user: User | AnonymousUser) -> list[InboxSection]:
    """The sections the registered features give ``user`` (those with something in them)."""
    found = [source(user) for source in INBOX_SECTIONS]
    return [section for section in found if section is not None and section.count]

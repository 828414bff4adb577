"""The leaders' tasks' places in the web shell: the navigation entry, the cockpit's tiles, the
owners' inbox section and the home panel (added when the app is ready)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridgov.cases.inbox import InboxItem, InboxSection, add_inbox_section
from gridgov.cases.views_stats import CockpitTile, add_cockpit_tiles
from gridgov.meetings.links import ResolutionLink, add_resolution_links, add_taken_over
from gridgov.meetings.models import Resolution, ResolutionKind, ResolutionStatus
from gridgov.people.models import Role
from gridgov.web.nav import NavEntry, add_entries
from gridgov.web.panels import HomePanel, add_panels
from gridgov.workcalendar import clock

from . import access, selectors, services
from .models import Assignment, AssignmentStatus, PartStatus
from .selectors import LIGHTS

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

INBOX_ITEMS: Final = 10
LEADER_ROLES: Final = frozenset({Role.TOWN_LEADER})
COCKPIT_OWNERS: Final = 3

NAV_ENTRIES: list[NavEntry] = [
    NavEntry(
        "assignment-list",
        _("Leaders' tasks"),
        "assignments:list",
        roles=access.READER_ROLES,
        description=_("Tasks the town's leaders give: owners, deadlines, progress, supervision, on-time completion"),
        also=("assignments:detail", "assignments:create"),
    ),
]


def list_url(**params: Any) -> str:
    return f"{reverse('assignments:list')}?{urlencode(params)}"


def cockpit_tiles(user: User | AnonymousUser) -> list[CockpitTile]:
    """What waits for the leaders (extension requests, completions submitted), open tasks by
    light, and the owners with the most overdue parts."""
    if not access.reads_town(user):
        return []
    waiting = selectors.waiting_counts(user)
    tiles = [
        CockpitTile(label, waiting[kind], list_url(waiting=kind), waiting=True)
        for kind, label in (
            ("extension", gettext("Leaders' tasks: extension requests")),
            ("submitted", gettext("Leaders' tasks: completions to approve")),
        )
    ]
    counts = selectors.board(user)
    for light in LIGHTS:
        count = sum(counts.get(status, {}).get(light, 0) for status in ("assigned", "in_progress", "submitted"))
        label = {
            "green": gettext("Leaders' tasks on time"),
            "yellow": gettext("Leaders' tasks due soon"),
            "red": gettext("Leaders' tasks overdue"),
        }[light]
        tiles.append(CockpitTile(label, count, list_url(light=light)))
    owners = selectors.overdue_by_owner(user)
    for number, (key, name, count) in enumerate(owners[:COCKPIT_OWNERS]):
        note = ""
        if number == 0 and len(owners) > COCKPIT_OWNERS:
            # The tiles show the owners with the most overdue parts only: say so, and open the rest.
            note = gettext(
                "Counted by owner (a task with several owners counts for each): the %(shown)s with the most "
                "of %(total)s; %(more)s more in the list of all overdue tasks"
            ) % {"shown": COCKPIT_OWNERS, "total": len(owners), "more": len(owners) - COCKPIT_OWNERS}
        tiles.append(
            CockpitTile(
                gettext("Overdue leaders' tasks: %(owner)s") % {"owner": name},
                count,
                list_url(owner=key, light="red"),
                note=note,
                note_url=list_url(light="red") if note else "",
            )
        )
    return tiles


def inbox_section(user: User | AnonymousUser) -> InboxSection | None:
    """The open parts the user's unit owns, beside the cases in the inbox."""
    parts = selectors.inbox_parts(user)
    count = parts.count()
    if not count:
        return None
    now = timezone.now()
    items = []
    for part in parts[:INBOX_ITEMS]:
        light = selectors.light_of(part.deadline, part.warn_at, now) if part.status != PartStatus.SUBMITTED else ""
        items.append(
            InboxItem(
                title=part.assignment.title,
                url=reverse("assignments:detail", args=[part.assignment_id]),
                state=str(PartStatus(part.status).label),
                light=light,
                light_label=clock.light_label(light) if light else "",
                deadline=part.deadline,
                note=gettext("Extension asked") if part.extension_until else "",
            )
        )
    return InboxSection(
        "assignments", gettext("Leaders' tasks for my unit"), items, count=count, more_url=list_url(mine=1)
    )


def home_panel(user: User | AnonymousUser) -> dict[str, Any]:
    """How many open tasks the user's unit owns, and how many of them are overdue (one query)."""
    now = timezone.now()
    counts = selectors.owned_counts(user, now)
    return {**counts, "url": list_url(mine=1), "overdue_url": list_url(mine=1, light="red")}


def leader_panel(user: User | AnonymousUser) -> dict[str, Any]:
    """What waits for the leader's decision: extension requests and completions submitted."""
    counts = selectors.waiting_counts(user)
    return {**counts, "urls": {kind: list_url(waiting=kind) for kind in selectors.WAITING}}


PANELS: list[HomePanel] = [
    HomePanel("assignments-leader", "assignments/_panel_leader.html", roles=LEADER_ROLES, context=leader_panel),
    HomePanel("assignments-owner", "assignments/_panel.html", roles=access.OWNER_ROLES, context=home_panel),
]


def resolution_links(resolutions: Sequence[Resolution], user: User | AnonymousUser) -> dict[int, list[ResolutionLink]]:
    """On a meeting's page: the leader's task that took a resolution over (its state stands
    for the resolution's), else (for those who
    give tasks) the link that makes a task resolution not done yet a leader's task."""
    ids = [resolution.pk for resolution in resolutions]
    visible = access.assignments_visible(user).filter(resolution_id__in=ids)
    taken = {
        resolution_id: (pk, status)
        for resolution_id, pk, status in visible.values_list("resolution_id", "pk", "status")
    }
    may_create = services.creator_towns(user).exists() if len(taken) < len(ids) else False
    found: dict[int, list[ResolutionLink]] = {}
    for resolution in resolutions:
        if resolution.pk in taken:
            pk, status = taken[resolution.pk]
            url = reverse("assignments:detail", args=[pk])
            state = str(AssignmentStatus(status).label)
            found[resolution.pk] = [ResolutionLink(gettext("Leader's task"), url, state=state)]
        elif may_create and resolution.kind == ResolutionKind.TASK and resolution.status == ResolutionStatus.OPEN:
            url = f"{reverse('assignments:create')}?resolution={resolution.pk}"
            found[resolution.pk] = [ResolutionLink(gettext("Make it a leader's task"), url)]
    return found


def resolution_taken_over(resolution_id: int) -> bool:
    """A meeting resolution a leader's task took over (its steps are the task's from then on)."""
    return Assignment.objects.filter(resolution_id=resolution_id).exists()


def register() -> None:
    add_entries(NAV_ENTRIES)
    add_panels(PANELS)
    add_cockpit_tiles(cockpit_tiles)
    add_inbox_section(inbox_section)
    add_resolution_links(resolution_links)
    add_taken_over(resolution_taken_over)

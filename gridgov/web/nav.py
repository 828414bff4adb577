"""The navigation of the web shell, as data.

Each entry names the roles that see it; later features add their pages by appending to
:data:`NAV` (main navigation) or :data:`QUICK_LINKS` (the home page's shortcuts). Nothing
else needs to change: the context processor and the home page render what
:func:`entries_for` returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from gridgov.access.scope import Scope, scope_for
from gridgov.people.models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

HOME = _("Home")
MAP = _("Map")
ADMINISTRATION = _("Administration")
SYSTEM_STATUS = _("System status")

# Every role a person can hold (the upstream system account never browses the site).
STAFF_ROLES: frozenset[str] = frozenset(role for role in Role.values if role != Role.UPSTREAM)
ADMIN_ROLES: frozenset[str] = frozenset({Role.ADMIN})


@dataclass(frozen=True)
class NavEntry:
    """One link. ``roles`` is the set of roles that see it (any one is enough); ``None``
    means every signed-in user, even one without a role. ``staff_only`` entries also need
    Django's ``is_staff`` flag (the admin site refuses everyone else)."""

    key: str
    label: str | Promise
    url_name: str
    roles: frozenset[str] | None = None
    staff_only: bool = False
    description: str | Promise = ""
    # A plain path used when ``url_name`` does not resolve (a page not written yet).
    fallback_path: str = ""
    # Other pages under this entry (URL names): the entry is the active one there too.
    also: tuple[str, ...] = ()
    # The menu group (a key of :data:`GROUPS`) the entry is shown under; "" puts it on the bar.
    group: str = ""

    def allowed(self, user: User | AnonymousUser, scope: Scope) -> bool:
        if not getattr(user, "is_authenticated", False):
            return False
        if self.staff_only and not getattr(user, "is_staff", False):
            return False
        return self.roles is None or scope.has_role(*self.roles)

    def url(self) -> str:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return self.fallback_path

    def prefixes(self, url: str) -> list[str]:
        """The paths under which the entry is the current page: its own and its others'."""
        found = [url]
        for name in self.also:
            try:
                found.append(reverse(name))
            except NoReverseMatch:
                continue
        return found


@dataclass(frozen=True)
class NavLink:
    """An entry resolved for one request."""

    key: str
    label: str | Promise
    url: str
    active: bool
    description: str | Promise = ""
    group: str = ""


@dataclass(frozen=True)
class NavGroup:
    """A menu on the bar holding the links of one kind of work."""

    key: str
    label: str | Promise


# The menus of the bar, in display order after the links that have no group. The daily work
# of each role (its workbench, inbox, report and verify pages) stays on the bar itself.
GROUPS: list[NavGroup] = [
    NavGroup("grid", _("Grid work")),
    NavGroup("figures", _("Figures")),
    NavGroup("oversight", _("Oversight")),
    NavGroup("system", _("System")),
]


@dataclass(frozen=True)
class NavSection:
    """One item of the bar: a single link (``link``) or a menu of several (``links``)."""

    key: str
    label: str | Promise
    link: NavLink | None = None
    links: tuple[NavLink, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.link and self.link.active) or any(link.active for link in self.links)


# The main navigation, in display order. Features insert their entries before the
# administration links when their app is ready (e.g. gridgov/cases/navigation.py).
NAV: list[NavEntry] = [
    NavEntry("home", HOME, "home"),
    NavEntry("map", MAP, "map", roles=STAFF_ROLES),
    NavEntry("admin", ADMINISTRATION, "admin:index", roles=ADMIN_ROLES, staff_only=True, group="system"),
    NavEntry(
        "status",
        SYSTEM_STATUS,
        "admin-status",
        roles=ADMIN_ROLES,
        staff_only=True,
        fallback_path="/admin/status/",
        group="system",
    ),
]


def add_entries(entries: Iterable[NavEntry]) -> None:
    """Put a feature's entries, in their order, before the administration links (after those
    added earlier). Adding an entry twice changes nothing."""
    keys = {entry.key for entry in NAV}
    position = next((i for i, entry in enumerate(NAV) if entry.key == "admin"), len(NAV))
    for entry in entries:
        if entry.key not in keys:
            NAV.insert(position, entry)
            keys.add(entry.key)
            position += 1


# Shortcuts on the home page, in display order.
QUICK_LINKS: list[NavEntry] = [
    NavEntry("map", MAP, "map", roles=STAFF_ROLES, description=_("Villages and grids in your area")),
    NavEntry("areas", _("Areas"), "admin:areas_area_changelist", roles=ADMIN_ROLES, staff_only=True),
    NavEntry("departments", _("Departments"), "admin:people_department_changelist", roles=ADMIN_ROLES, staff_only=True),
    NavEntry("users", _("Users"), "admin:auth_user_changelist", roles=ADMIN_ROLES, staff_only=True),
    NavEntry(
        "roles", _("Role assignments"), "admin:people_roleassignment_changelist", roles=ADMIN_ROLES, staff_only=True
    ),
    NavEntry(
        "calendar",
        _("Working calendar"),
        "admin:workcalendar_calendaryear_changelist",
        roles=ADMIN_ROLES,
        staff_only=True,
    ),
    NavEntry("api", _("API documentation"), "api:openapi-view", roles=ADMIN_ROLES, fallback_path="/api/v1/docs"),
    NavEntry(
        "status", SYSTEM_STATUS, "admin-status", roles=ADMIN_ROLES, staff_only=True, fallback_path="/admin/status/"
    ),
]


def entries_for(user: User | AnonymousUser, entries: list[NavEntry], current_path: str = "") -> list[NavLink]:
    """The entries ``user`` may see, resolved to links; ``active`` marks the current page
    (the longest matching URL prefix, so that Home ``/`` is not active everywhere)."""
    scope = scope_for(user)
    links: list[NavLink] = []
    # The longest path that the current one starts with decides the active link.
    matches: list[tuple[int, NavLink]] = []
    for entry in entries:
        if not entry.allowed(user, scope):
            continue
        url = entry.url()
        if not url:
            continue
        link = NavLink(
            key=entry.key,
            label=entry.label,
            url=url,
            active=False,
            description=entry.description,
            group=entry.group,
        )
        links.append(link)
        for prefix in entry.prefixes(url):
            if current_path == prefix or (prefix != "/" and current_path.startswith(prefix)):
                matches.append((len(prefix), link))
    best = max(matches, key=lambda match: match[0], default=(0, None))[1]
    return [replace(link, active=link is best) for link in links]


def sections(links: list[NavLink]) -> list[NavSection]:
    """The bar as shown: the links without a group in their order, then one menu per group in
    the order of :data:`GROUPS`. A group the user sees only one link of is that link itself."""
    bar = [NavSection(link.key, link.label, link=link) for link in links if not link.group]
    for group in GROUPS:
        members = tuple(link for link in links if link.group == group.key)
        if len(members) == 1:
            bar.append(NavSection(members[0].key, members[0].label, link=members[0]))
        elif members:
            bar.append(NavSection(group.key, group.label, links=members))
    known = {group.key for group in GROUPS}
    bar.extend(NavSection(link.key, link.label, link=link) for link in links if link.group and link.group not in known)
    return bar

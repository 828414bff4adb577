"""Reads of the upstream outbox, scoped to the reader.

Center operators see the messages of the towns where they hold that role (not every area they
can otherwise see, e.g. as a leader or through a department), administrators those of the areas
they administer (superusers and installation-wide administrators: all); nobody else manages
delivery. :func:`messages_for_order` is for the order page,
whose own selector has already decided that the viewer may see the order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from django.db.models import Count, Q, QuerySet

from gridgov.access.scope import scope_for
from gridgov.core.outbox import Backlog, backlog_of
from gridgov.core.pagination import Page, keyset_page
from gridgov.people.models import Role

from .models import OPEN_MESSAGE_STATES, FileBatch, MessageState, UpstreamMessage

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

MANAGE_ROLES = frozenset({Role.CENTER_OPERATOR, Role.ADMIN})


def may_manage(user: User | AnonymousUser) -> bool:
    """Center operators and administrators see and retry upstream delivery."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "is_superuser", False)) or scope_for(user).has_role(*MANAGE_ROLES)


def _sees_everything(user: User | AnonymousUser) -> bool:
    """Superusers and installation-wide administrators (a supervisor's or the upstream account's
    installation-wide view does not make a center operator see other towns' delivery)."""
    if getattr(user, "is_superuser", False):
        return True
    return any(role == Role.ADMIN and area_id is None for role, area_id, _d in scope_for(user).assignments)


def _managed_paths(user: User | AnonymousUser) -> list[str]:
    """Paths of the towns (or areas above them) where the user is a center operator, and of the
    areas the user administers. Other roles (a leader's or a department's areas) do not count."""
    return scope_for(user).paths_for_roles(Role.CENTER_OPERATOR, Role.ADMIN)


def _paths_q(paths: list[str], lookup: str) -> Q:
    query = Q(pk__in=[])
    for path in paths:
        query |= Q(**{f"{lookup}__startswith": path})
    return query


def _town_q(user: User | AnonymousUser, prefix: str) -> Q:
    """Orders (``prefix`` leads to the order's ``area_path``) in the towns the user manages
    delivery for (see :func:`_managed_paths`)."""
    return _paths_q(_managed_paths(user), f"{prefix}area_path")


def messages_visible(user: User | AnonymousUser) -> QuerySet[UpstreamMessage]:
    if not may_manage(user):
        return UpstreamMessage.objects.none()
    queryset = UpstreamMessage.objects.all()
    if _sees_everything(user):
        return queryset
    return queryset.filter(_town_q(user, "order__"))


def batches_visible(user: User | AnonymousUser) -> QuerySet[FileBatch]:
    if not may_manage(user):
        return FileBatch.objects.none()
    if _sees_everything(user):
        return FileBatch.objects.all()
    return FileBatch.objects.filter(_paths_q(_managed_paths(user), "town__path"))


@dataclass(frozen=True)
class MessageFilters:
    state: str = ""
    kind: str = ""
    source_system: str = ""
    order_id: int | None = None
    text: str = ""  # upstream number, contains


def apply_filters(queryset: QuerySet[UpstreamMessage], filters: MessageFilters) -> QuerySet[UpstreamMessage]:
    if filters.state:
        queryset = queryset.filter(state=filters.state)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.source_system:
        queryset = queryset.filter(source_system=filters.source_system)
    if filters.order_id is not None:
        queryset = queryset.filter(order_id=filters.order_id)
    if filters.text:
        queryset = queryset.filter(upstream_number__icontains=filters.text.strip())
    return queryset


# Newest first.
ORDER: Final = ("-id",)


def page(queryset: QuerySet[UpstreamMessage], *, cursor: str | None = None, limit: int = 50) -> Page[UpstreamMessage]:
    """Newest first, keyset on the id (the cursor is the id of the last message seen)."""
    return keyset_page(queryset.select_related("order"), ORDER, cursor, limit)


def state_counts(queryset: QuerySet[UpstreamMessage]) -> dict[str, int]:
    counts = dict(queryset.order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    return {state: int(counts.get(state, 0)) for state in MessageState.values}


def messages_for_order(order_id: int) -> list[UpstreamMessage]:
    """The delivery state of an order's messages, oldest first (kind, state, attempts,
    last_error, delivered_at …). The caller has checked that the viewer may see the order."""
    return list(UpstreamMessage.objects.filter(order_id=order_id).order_by("id"))


def message_backlog(now: dt.datetime) -> Backlog:
    """Messages to the upstream systems not yet delivered (pending, being sent, or in a file
    batch not handed over), the oldest one's age, and those given up on (metrics)."""
    return backlog_of(
        UpstreamMessage.objects.all(),
        waiting=Q(state__in=OPEN_MESSAGE_STATES),
        failed=Q(state=MessageState.FAILED),
        now=now,
    )

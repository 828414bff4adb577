"""Reads of the upstream outbox, scoped to the reader.

Center operators see the messages of their town's orders, administrators (and superusers)
all of them; nobody else manages delivery. :func:`messages_for_order` is for the order page,
whose own selector has already decided that the viewer may see the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from gridgov.access.scope import scope_for
from gridgov.people.models import Role

from .models import FileBatch, MessageState, UpstreamMessage

MANAGE_ROLES = frozenset({Role.CENTER_OPERATOR, Role.ADMIN})


def may_manage(user: Any) -> bool:
    """Center operators and administrators see and retry upstream delivery."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "is_superuser", False)) or scope_for(user).has_role(*MANAGE_ROLES)


def _sees_everything(user: Any) -> bool:
    return scope_for(user).everything


def _town_q(user: Any, prefix: str) -> Q:
    """Orders (``prefix`` leads to the order's ``area_path``) in the user's areas."""
    scope = scope_for(user)
    query = Q(pk__in=[])
    for path in scope.area_paths:
        query |= Q(**{f"{prefix}area_path__startswith": path})
    return query


def messages_visible(user: Any) -> QuerySet[UpstreamMessage]:
    if not may_manage(user):
        return UpstreamMessage.objects.none()
    queryset = UpstreamMessage.objects.all()
    if _sees_everything(user):
        return queryset
    return queryset.filter(_town_q(user, "order__"))


def batches_visible(user: Any) -> QuerySet[FileBatch]:
    if not may_manage(user):
        return FileBatch.objects.none()
    if _sees_everything(user):
        return FileBatch.objects.all()
    scope = scope_for(user)
    query = Q(pk__in=[])
    for path in scope.area_paths:
        query |= Q(town__path__startswith=path)
    return FileBatch.objects.filter(query)


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


@dataclass(frozen=True)
class Page:
    items: list[UpstreamMessage]
    next_cursor: int | None


def page(queryset: QuerySet[UpstreamMessage], *, cursor: int | None = None, limit: int = 50) -> Page:
    """Newest first, keyset on the id."""
    if cursor is not None:
        queryset = queryset.filter(pk__lt=cursor)
    rows = list(queryset.select_related("order").order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_cursor=rows[-1].pk if more and rows else None)


def state_counts(queryset: QuerySet[UpstreamMessage]) -> dict[str, int]:
    counts = dict(queryset.order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    return {state: int(counts.get(state, 0)) for state in MessageState.values}


def messages_for_order(order_id: int) -> list[UpstreamMessage]:
    """The delivery state of an order's messages, oldest first (kind, state, attempts,
    last_error, delivered_at …). The caller has checked that the viewer may see the order."""
    return list(UpstreamMessage.objects.filter(order_id=order_id).order_by("id"))

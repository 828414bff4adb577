"""Who may import, into which towns, and which import jobs a user may see.

Center operators import for the towns they hold the role over; administrators for every town in
their scope. A job of another town is "not found", as everywhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from django.db.models import Count, QuerySet

from gridgov.access.scope import scope_for
from gridgov.areas.selectors import current_towns
from gridgov.hotline.models import ImportJob, ImportStatus
from gridgov.people.models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.areas.models import Area

IMPORT_ROLES: Final = frozenset({Role.CENTER_OPERATOR, Role.ADMIN})


def may_import(user: User | AnonymousUser) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return scope_for(user).has_role(*IMPORT_ROLES) or bool(getattr(user, "is_superuser", False))


def import_towns(user: User | AnonymousUser) -> QuerySet[Area]:
    """The towns ``user`` may import orders for."""
    towns = current_towns()
    if not may_import(user):
        return towns.none()
    scope = scope_for(user)
    if Role.ADMIN in scope.roles or getattr(user, "is_superuser", False):
        return towns.filter(scope.area_q()).order_by("code")
    ids = [area_id for role, area_id, _department in scope.assignments if role == Role.CENTER_OPERATOR and area_id]
    return towns.filter(pk__in=ids).order_by("code")


def jobs_visible(user: User | AnonymousUser) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(town__in=import_towns(user)).select_related("town", "created_by")


def job_get(user: User | AnonymousUser, job_id: int) -> ImportJob:
    """The job, or :class:`ImportJob.DoesNotExist` when it is missing or not the user's."""
    return jobs_visible(user).get(pk=job_id)


def status_counts() -> dict[str, int]:
    """Import runs of the whole installation by status, every status named (the metrics)."""
    counts = dict(ImportJob.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {status: int(counts.get(status, 0)) for status in ImportStatus.values}

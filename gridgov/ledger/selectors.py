"""Who may import a historical ledger, into which towns, and which jobs a user may see.

The same people as the hotline import's (:func:`gridgov.hotline.importing.selectors.may_import`,
whose rule this reuses): center operators for the towns they hold the role over, administrators
for every town in their scope. A ledger writes closed cases straight into a town's history, the
center's record, so no other role may run it; a job of another town is "not found", as
everywhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, QuerySet

from gridgov.hotline.importing.selectors import import_towns, may_import

from .models import LedgerImport, LedgerStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

__all__ = ["import_towns", "jobs_visible", "may_import"]


def jobs_visible(user: User | AnonymousUser) -> QuerySet[LedgerImport]:
    return LedgerImport.objects.filter(town__in=import_towns(user)).select_related("town", "created_by")


def status_counts() -> dict[str, int]:
    """Ledger imports of the whole installation by status, every status named (the metrics)."""
    counts = dict(LedgerImport.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {status: int(counts.get(status, 0)) for status in LedgerStatus.values}

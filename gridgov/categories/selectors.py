"""Reads of the classification that other apps make (the categories are not scoped: every
signed-in user sees the whole classification)."""

from __future__ import annotations

import copy
from collections.abc import Iterable

from gridgov.core.tableversions import Cached

from .models import Category, CategoryQuerySet, CategoryTimeLimit

# The classification and its time limits change a few times a year and are read by every report
# and every stage of a case: kept per process while their version stays (``categories``, see
# gridgov/core/tableversions.py and migration categories/0003).
_BY_CODE: Cached[dict[str, Category]] = Cached(
    "categories", lambda: {category.code: category for category in Category.objects.all()}
)
_LIMITS: Cached[dict[tuple[int, str, str], tuple[int, str]]] = Cached(
    "categories",
    lambda: {
        (category_id, urgency, stage): (amount, unit)
        for category_id, urgency, stage, amount, unit in CategoryTimeLimit.objects.values_list(
            "category_id", "urgency", "stage", "amount", "unit"
        )
    },
)


def active_minors() -> CategoryQuerySet:
    """The minor classes in use, with their major class."""
    return Category.objects.active().minors().select_related("parent")


def catalogue() -> list[tuple[Category, list[Category]]]:
    """The major classes in use, each with its minor classes in use, in display order."""
    majors = Category.objects.majors().active().order_by("sort_order", "code")
    minors = Category.objects.active().filter(parent__in=majors).order_by("sort_order", "code")
    by_major: dict[int, list[Category]] = {}
    for minor in minors:
        by_major.setdefault(minor.parent_id or 0, []).append(minor)
    return [(major, by_major.get(major.pk, [])) for major in majors]


def category_ids(code: str) -> list[int]:
    """A minor class, or a major class with all its minors, as ids (no code: none). A filter on
    the column alone lets a query use the category indexes: the join with an ``OR`` over the
    category and its parent read every case (or rollup row) of the period at district scale."""
    by_code = _BY_CODE.get()
    found = by_code.get(code)
    if found is None:
        return []
    return [found.pk, *(category.pk for category in by_code.values() if category.parent_id == found.pk)]


def category_by_code(code: str) -> Category | None:
    """The category (in use or not) with this code: a copy of the one the process keeps, the
    caller's to change."""
    found = _BY_CODE.get().get(code)
    return copy.copy(found) if found is not None else None


def time_limit(category_id: int, urgency: str, stage: str) -> CategoryTimeLimit | None:
    """The time limit of one stage of a minor class at one urgency."""
    return CategoryTimeLimit.objects.filter(category_id=category_id, urgency=urgency, stage=stage).first()


def time_limit_amount(category_id: int, urgency: str, stage: str) -> tuple[int, str] | None:
    """``(amount, unit)`` of that time limit (no model)."""
    return _LIMITS.get().get((category_id, urgency, stage))


def category_names(codes: Iterable[str]) -> dict[str, str]:
    """``code -> name`` of the categories with these codes."""
    wanted = set(codes)
    if not wanted:
        return {}
    return dict(Category.objects.filter(code__in=wanted).values_list("code", "name"))

"""Reads of the classification that other apps make (the categories are not scoped: every
signed-in user sees the whole classification)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q

from .models import Category, CategoryQuerySet, CategoryTimeLimit


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
    return list(Category.objects.filter(Q(code=code) | Q(parent__code=code)).values_list("pk", flat=True))


def category_by_code(code: str) -> Category | None:
    """The category (in use or not) with this code."""
    return Category.objects.filter(code=code).first()


def time_limit(category_id: int, urgency: str, stage: str) -> CategoryTimeLimit | None:
    """The time limit of one stage of a minor class at one urgency."""
    return CategoryTimeLimit.objects.filter(category_id=category_id, urgency=urgency, stage=stage).first()


def time_limit_amount(category_id: int, urgency: str, stage: str) -> tuple[int, str] | None:
    """``(amount, unit)`` of that time limit: two columns of the unique row, no model."""
    found = (
        CategoryTimeLimit.objects.filter(category_id=category_id, urgency=urgency, stage=stage)
        .order_by()
        .values_list("amount", "unit")[:1]
    )
    return next(iter(found), None)


def category_names(codes: Iterable[str]) -> dict[str, str]:
    """``code -> name`` of the categories with these codes."""
    wanted = set(codes)
    if not wanted:
        return {}
    return dict(Category.objects.filter(code__in=wanted).values_list("code", "name"))

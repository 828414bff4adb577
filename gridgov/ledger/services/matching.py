"""Matching names: a row's category, place and department against the town's (:class:`Matcher`)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django.utils.translation import gettext as _

from gridgov.areas.selectors import town_places
from gridgov.cases.services.historical import (
    HistoricalCase,
)
from gridgov.categories.selectors import active_minors
from gridgov.core.errors import Conflict
from gridgov.people.selectors import active_departments

from .. import parse

if TYPE_CHECKING:
    from gridgov.areas.models import Area
    from gridgov.categories.models import Category
    from gridgov.people.models import Department


T = TypeVar("T")


def _key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def _match(items: Iterable[T], text: str, keys: Any) -> tuple[T | None, bool]:
    """The item whose code or name is the text (exact), else the one item whose name contains
    it or is contained in it (approximate); ``(None, False)`` when none or several."""
    wanted = _key(text)
    if not wanted:
        return None, False
    listed = list(items)
    for item in listed:
        if wanted in {_key(k) for k in keys(item)}:
            return item, True
    near = [item for item in listed if len(wanted) >= 2 and any(_near(wanted, _key(k)) for k in keys(item)[1:])]
    if len(near) == 1:
        return near[0], False
    return None, False


def _near(wanted: str, name: str) -> bool:
    return len(name) >= 2 and (wanted in name or name in wanted)


def fallback_category(categories: list[Category]) -> Category:
    """The category of a row whose category is unknown: the classification's "other" (其他)."""
    for category in categories:
        if "其他" in category.name or category.code.split(".")[-1] == "other":
            return category
    return categories[0]


@dataclass
class Matcher:
    """The town's categories, places and departments, loaded once per preview or run."""

    town: Area
    categories: list[Category] = field(default_factory=list)
    places: list[Area] = field(default_factory=list)
    departments: list[Department] = field(default_factory=list)

    @classmethod
    def for_town(cls, town: Area) -> Matcher:
        categories = list(active_minors().order_by("sort_order", "code"))
        if not categories:
            raise Conflict(_("The classification has no category in use."), code="no_category")
        places = list(town_places(town.pk).order_by("level", "code"))
        departments = list(active_departments())
        return cls(town, categories, places, departments)

    def case(self, line: parse.LedgerRow) -> HistoricalCase:
        """The row as the case to write, its names matched (noted when doubtful)."""
        values = line.values
        category, exact = _match(self.categories, values["category"], lambda c: (c.code, c.name))
        if category is None:
            category = fallback_category(self.categories)
            line.note(parse.Code.CATEGORY_UNKNOWN, "category", values["category"], category.code)
        elif not exact:
            line.note(parse.Code.CATEGORY_APPROXIMATE, "category", values["category"], category.code)
        area, exact = _match(self.places, values["area"], lambda a: (a.code, a.name))
        if area is None and values["area"]:
            line.note(parse.Code.AREA_UNKNOWN, "area", values["area"], self.town.code)
        elif area is not None and not exact:
            line.note(parse.Code.AREA_APPROXIMATE, "area", values["area"], area.code)
        department, exact = _match(self.departments, values["department"], lambda d: (d.code, d.name))
        if department is None and values["department"]:
            line.note(parse.Code.DEPARTMENT_UNKNOWN, "department", values["department"])
        elif department is not None and not exact:
            line.note(parse.Code.DEPARTMENT_APPROXIMATE, "department", values["department"], department.code)
        return HistoricalCase(
            number=line.number,
            town=self.town,
            category=category,
            area=area,
            department=department,
            source=values["source"],
            description=values["description"] or _("Imported from the historical ledger"),
            address=values["address"],
            result=values["result"],
            reported_at=values["reported_at"],
            registered_at=values["registered_at"],
            dispatched_at=values["dispatched_at"],
            handled_at=values["handled_at"],
            verified_at=values["verified_at"],
            closed_at=values["closed_at"],
            deadline=values["deadline"],
            on_time=values["on_time"],
            review=line.review,
        )

"""The figures of a monthly bulletin, computed once and frozen as JSON.

Every digit a bulletin prints comes from here, and every one of them from the indices module
(:mod:`gridgov.cases.indices`) or the hotline's statistics (:mod:`gridgov.hotline.stats`): this
module only chooses which figures a bulletin has and puts them in a plain dictionary
(:func:`compute`), so that the documents are written from the dictionary alone
(:mod:`.documents`) and a document written again later prints the same digits.

The cases are those of the area (a town or a village, with everything under it) whatever the
reader may see: a bulletin is the area's, and who may ask for it is checked by the service.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final

from django.db.models import Q
from django.utils import timezone

from gridgov.areas.selectors import area_names
from gridgov.cases import indices
from gridgov.cases import selectors as case_selectors
from gridgov.cases.indices import Dimensions, Figure, Figures, Period
from gridgov.cases.models import Case
from gridgov.categories.selectors import category_names
from gridgov.hotline import stats as hotline_stats
from gridgov.people.selectors import department_names

if TYPE_CHECKING:
    from gridgov.areas.models import Area

# The shape of the dictionary; a document writer refuses one it does not know. 2: each case not
# closed on time names its late stages (``late``); 1 (still read): the case's deadline only.
FORMAT: Final = 2

# The case figures of the summary, this month and the month before.
CASE_CODES: Final = (
    "reported",
    "registered",
    "self_handled",
    "due",
    "closed",
    "closed_on_time",
    "not_closed_on_time",
    "closure_rate",
    "on_time_closure_rate",
    "on_time_handling_rate",
    "rework_rate",
    "accurate_dispatch_rate",
    "on_time_verification_rate",
    "satisfaction_rate",
    "handling_hours",
)
DEPARTMENT_CODES: Final = ("due", "closed", "closure_rate", "closed_on_time", "on_time_closure_rate", "rework_rate")
VILLAGE_CODES: Final = ("reported", "registered", "due", "closed", "closure_rate", "on_time_closure_rate")
TOP_CATEGORIES: Final = 10
OVERDUE_ROWS: Final = 50
# The hotline's three rates (and the on-time reply), as the hotline statistics define them.
HOTLINE_RATES: Final = ("response", "resolution", "satisfaction", "reply_on_time")


def _figure(figures: Figures, code: str) -> dict[str, Any]:
    found = figures[code]
    return {"num": found.num, "den": found.den, "value": found.value}


def _case_figures(figures: Figures, codes: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    return {code: _figure(figures, code) for code in codes}


def _rank(rows: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    """Ranked as the statistics page ranks (:func:`indices.standings`: equal rates share a rank)."""
    rates = [
        Figure(code, row["figures"][code]["num"], row["figures"][code]["den"], row["figures"][code]["value"])
        for row in rows
    ]
    ranked = []
    for i, rank in indices.standings(rates, [row["name"] for row in rows]):
        rows[i]["rank"] = rank
        ranked.append(rows[i])
    return ranked


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value is not None else ""


def _late_stages(case_ids: list[int], cutoff: dt.datetime) -> dict[int, list[dict[str, str]]]:
    """The late stages of the cases (:func:`gridgov.cases.selectors.late_stages`), oldest first,
    with their deadline and end as the documents print them (``""`` while the stage runs).

    A case not closed on time with none of them was simply not closed by the end of the month
    (its stages were on time, the closing came after the month)."""
    found: dict[int, list[dict[str, str]]] = {pk: [] for pk in case_ids}
    for stage in case_selectors.late_stages(case_ids, cutoff):
        found[stage.case_id].append(
            {"stage": stage.stage, "deadline": _local(stage.deadline), "ended": _local(stage.ended_at)}
        )
    return found


def _hotline(area: Area, month: dt.date, now: dt.datetime) -> dict[str, Any]:
    period = hotline_stats.month_period(month)
    result = hotline_stats.order_statistics(hotline_stats.area_orders(area.path), period, now=now, department_names={})
    fractions = result.total.fractions()
    return {
        "received": result.total.received,
        "replied": result.total.replied,
        "overdue": result.total.overdue,
        "rates": {
            code: {"num": fractions[code][0], "den": fractions[code][1], "value": fractions[code][2]}
            for code in HOTLINE_RATES
        },
    }


def compute(area: Area, month: dt.date, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """The frozen figures of the bulletin of ``area`` for the month of ``month``."""
    now = now or timezone.now()
    period = Period.of_month(month)
    previous = period.previous()
    cases = Case.objects.all()
    everything = Q()  # the rollups' scope: every case (of a month that has ended)
    dimensions = Dimensions(area=area.code)
    current = indices.figures(cases, period, dimensions, CASE_CODES, scope=everything)
    before = indices.figures(cases, previous, dimensions, CASE_CODES, scope=everything)

    departments = indices.grouped(cases, period, "department", dimensions, DEPARTMENT_CODES, scope=everything)
    department_name = department_names([row.key for row in departments])
    department_rows = _rank(
        [
            {
                "code": row.key,
                "name": department_name.get(row.key, row.key),
                "figures": _case_figures(row.figures, DEPARTMENT_CODES),
            }
            for row in departments
        ],
        "on_time_closure_rate",
    )

    village_rows = []
    if area.level == "town":
        villages = indices.grouped(cases, period, "village", dimensions, VILLAGE_CODES, scope=everything)
        names = area_names([row.key for row in villages])
        village_rows = [
            {"code": row.key, "name": names.get(row.key, row.key), "figures": _case_figures(row.figures, VILLAGE_CODES)}
            for row in villages
        ]

    now_categories = indices.grouped(cases, period, "category", dimensions, ("reported",), scope=everything)
    before_categories = {
        row.key: row.figures["reported"].num
        for row in indices.grouped(cases, previous, "category", dimensions, ("reported",), scope=everything)
    }
    category_name = category_names([row.key for row in now_categories])
    categories = sorted(
        (
            {
                "code": row.key,
                "name": category_name.get(row.key, row.key),
                "reported": row.figures["reported"].num,
                "previous": before_categories.get(row.key, 0),
            }
            for row in now_categories
        ),
        key=lambda row: (-row["reported"], row["name"]),
    )[:TOP_CATEGORIES]

    overdue_cases = (
        indices.cases_for(cases, "not_closed_on_time", indices.NUM, period, dimensions)
        .select_related("category", "lead_department", "grid")
        .order_by("due_at", "number")
    )
    listed = list(overdue_cases[:OVERDUE_ROWS])
    late = _late_stages([case.pk for case in listed], min(period.end_at, now))
    overdue = [
        {
            "id": case.pk,
            "number": case.number,
            "category": case.category.name if case.category_id else "",
            "grid": case.grid.name if case.grid is not None else "",
            "department": case.lead_department.name if case.lead_department is not None else "",
            "due_at": _local(case.due_at),
            "closed_at": _local(case.closed_at),
            "status": str(case.get_status_display()),
            "late": late[case.pk],
        }
        for case in listed
    ]

    return {
        "format": FORMAT,
        "area": {"code": area.code, "name": area.name, "level": area.level},
        "month": f"{period.start:%Y-%m}",
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "previous_period": {"start": previous.start.isoformat(), "end": previous.end.isoformat()},
        "computed_at": timezone.localtime(now).isoformat(timespec="seconds"),
        "cases": _case_figures(current, CASE_CODES),
        "cases_previous": _case_figures(before, CASE_CODES),
        "departments": department_rows,
        "villages": village_rows,
        "categories": categories,
        "overdue": overdue,
        "overdue_total": current["not_closed_on_time"].num,
        "hotline": _hotline(area, period.start, now),
        "hotline_previous": _hotline(area, previous.start, now),
    }

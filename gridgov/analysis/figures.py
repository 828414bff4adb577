"""The frozen figures of a grid's weekly analysis draft, from the indices and the patrols only.

:func:`compute` reads the week's cases of the grid through :mod:`gridgov.cases.indices` (the
same definitions as the statistics page, so each count opens the list it counts) and the
case milestones, and the week's patrols; everything is computed as of the week's end, so a draft
generated late, or again, shows the same digits. :func:`rollup` adds the grids' figures up for a
village or the town.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any, Final

from django.db.models import Count, Q
from django.utils import timezone

from gridgov.areas.models import Area
from gridgov.cases import indices
from gridgov.cases.indices import Period
from gridgov.cases.models import Case
from gridgov.categories.selectors import category_names
from gridgov.patrols.models import Patrol

FORMAT: Final = 1
# The counts of the week, as the statistics define them (gridgov.cases.indices).
CASE_CODES: Final = (
    "reported",
    "self_handled",
    "registered",
    "closed_in",
    "due",
    "closed",
    "closed_on_time",
    "not_closed_on_time",
    "on_time_closure_rate",
)
COUNT_CODES: Final = tuple(code for code in CASE_CODES if indices.INDICES[code].den is None)
TOP_CATEGORIES: Final = 8
LISTED: Final = 20
REPEAT_DAYS: Final = 30
REPEAT_AT_LEAST: Final = 2


def week_of(day: dt.date) -> dt.date:
    """The Monday of the week ``day`` falls in."""
    return day - dt.timedelta(days=day.weekday())


def week_period(week: dt.date) -> Period:
    return Period(week, week + dt.timedelta(days=6))


def _open_at(moment: dt.datetime) -> Q:
    """Loop cases reported before ``moment`` and neither closed nor voided by then."""
    return (
        Q(self_handled=False, reported_at__lt=moment)
        & (Q(closed_at__isnull=True) | Q(closed_at__gte=moment))
        & (Q(voided_at__isnull=True) | Q(voided_at__gte=moment))
    )


def _listed(cases: Iterable[Case], names: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "id": case.pk,
            "number": case.number,
            "category": names.get(case.category.code, case.category.code),
            "reported_at": case.reported_at.isoformat(),
            "due_at": case.due_at.isoformat() if case.due_at else None,
        }
        for case in cases
    ]


def week_case_figures(grids: Iterable[Area], week: dt.date) -> dict[str, indices.Figures]:
    """The week's case figures of many grids at once (by grid path; one query), for
    :func:`compute`."""
    return indices.figures_by_path(week_period(week), [grid.path for grid in grids], CASE_CODES)


def compute(grid: Area, week: dt.date, case_figures: indices.Figures) -> dict[str, Any]:
    """The figures of ``grid`` for the week starting on Monday ``week``, with its case figures
    (:func:`week_case_figures`, which counts a week's grids together)."""
    period = week_period(week)
    end = period.end_at
    cases = Case.objects.filter(area_path__startswith=grid.path)

    in_week = cases.filter(period.within("reported_at"))
    by_category = list(
        in_week.values("category__code").annotate(count=Count("pk")).order_by("-count", "category__code")
    )
    names = category_names([row["category__code"] for row in by_category])
    repeated = [row for row in by_category if row["count"] >= REPEAT_AT_LEAST]

    # Only what a listed row shows (a whole case row decrypts its personal fields).
    open_at_end = (
        cases.filter(_open_at(end))
        .select_related("category")
        .only("pk", "number", "reported_at", "due_at", "category__code")
        .order_by("reported_at", "pk")
    )
    overdue = open_at_end.filter(due_at__lt=end)
    carried = open_at_end.filter(reported_at__lt=period.start_at)
    listed_names = category_names({case.category.code for case in [*overdue[:LISTED], *carried[:LISTED]]} - set(names))
    listed_names.update(names)

    since = end - dt.timedelta(days=REPEAT_DAYS)
    places = (
        cases.filter(reported_at__gte=since, reported_at__lt=end)
        .exclude(address="")
        .values("address")
        .annotate(count=Count("pk"))
        .filter(count__gte=REPEAT_AT_LEAST)
        .order_by("-count", "address")[:LISTED]
    )

    patrols = Patrol.objects.filter(
        area_path__startswith=grid.path, started_at__gte=period.start_at, started_at__lt=end
    )
    rounds = list(patrols.only("started_at", "ended_at", "distance_m"))
    minutes = sum(patrol.duration_minutes for patrol in rounds)
    days = len({timezone.localtime(patrol.started_at).date() for patrol in rounds})

    return {
        "format": FORMAT,
        "grid": {"code": grid.code, "name": grid.name},
        "week": week.isoformat(),
        "end": period.end.isoformat(),
        "cases": {
            code: {"num": figure.num, "den": figure.den, "value": figure.value}
            for code, figure in ((code, case_figures[code]) for code in CASE_CODES)
        },
        "categories": [
            {"code": row["category__code"], "name": names.get(row["category__code"], ""), "count": row["count"]}
            for row in by_category[:TOP_CATEGORIES]
        ],
        "repeated_categories": [
            {"code": row["category__code"], "name": names.get(row["category__code"], ""), "count": row["count"]}
            for row in repeated
        ],
        "repeated_places": [{"address": row["address"], "count": row["count"]} for row in places],
        "open_at_end": open_at_end.count(),
        "overdue": _listed(overdue[:LISTED], listed_names),
        "overdue_count": overdue.count(),
        "carried": _listed(carried[:LISTED], listed_names),
        "carried_count": carried.count(),
        "patrols": {
            "count": len(rounds),
            "distance_m": sum(patrol.distance_m for patrol in rounds),
            "minutes": minutes,
            "days": days,
        },
    }


def rollup(figures: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The grids' figures added up (counts only; a rate is recomputed from its parts)."""
    cases: Counter[str] = Counter()
    parts: dict[str, list[int]] = {}
    patrols: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    category_name: dict[str, str] = {}
    grids = 0
    for item in figures:
        if item.get("format") != FORMAT:
            continue
        grids += 1
        for code, figure in item["cases"].items():
            if figure.get("den") is None:
                cases[code] += figure["num"]
            else:
                total = parts.setdefault(code, [0, 0])
                total[0] += figure["num"]
                total[1] += figure["den"]
        for key in ("open_at_end", "overdue_count", "carried_count"):
            cases[key] += item.get(key, 0)
        patrols.update(item["patrols"])
        for row in item["categories"]:
            categories[row["code"]] += row["count"]
            category_name[row["code"]] = row["name"]
    rates = {code: round(num * 100 / den, 1) if den else None for code, (num, den) in parts.items()}
    return {
        "grids": grids,
        "counts": dict(cases),
        "rates": rates,
        "patrols": dict(patrols),
        "categories": [
            {"code": code, "name": category_name[code], "count": count}
            for code, count in sorted(categories.items(), key=lambda item: (-item[1], item[0]))[:TOP_CATEGORIES]
        ],
    }

"""The agenda proposed: the open resolutions of earlier meetings, the problems the last weeks'
analyses report, the categories rising; and the agenda as the form gives it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.analysis.models import WeeklyAnalysis
from gridgov.areas.models import Area
from gridgov.cases import indices
from gridgov.cases.indices import Dimensions, Period
from gridgov.cases.models import Case
from gridgov.categories.selectors import category_names
from gridgov.core.errors import Invalid

from ..models import Meeting, Resolution, ResolutionKind, ResolutionStatus
from .common import AGENDA_ITEMS, HOTSPOT_DAYS, ITEM_LIMIT, PROPOSAL_WEEKS


@dataclass(frozen=True)
class Proposal:
    title: str
    source: str
    note: str = ""

    def as_json(self) -> dict[str, str]:
        return {"title": self.title, "source": self.source, "note": self.note}


def open_resolutions(area: Area, before: Meeting | None = None) -> list[Resolution]:
    """The resolutions of earlier meetings of ``area``, and the tasks earlier meetings gave it as
    a village, not done yet (tasks not confirmed, cases not closed): what its next meeting opens
    with."""
    earlier = Meeting.objects.all()
    if before is not None:
        earlier = earlier.filter(starts_at__lt=before.starts_at).exclude(pk=before.pk)
    # The area's own meetings' resolutions, and the tasks any meeting gave the village.
    mine = Q(meeting__area=area) | Q(kind=ResolutionKind.TASK, village=area)
    found = (
        Resolution.objects.filter(mine, meeting__in=earlier)
        .distinct()
        .select_related("meeting", "case", "department", "village")
    )
    return [
        resolution for resolution in found.order_by("meeting__starts_at", "number") if not resolution_done(resolution)
    ]


def resolution_done(resolution: Resolution) -> bool:
    if resolution.kind == ResolutionKind.CASE:
        return resolution.case is not None and resolution.case.status in ("closed", "voided")
    return resolution.status == ResolutionStatus.DONE


def agenda_proposals(area: Area, now: dt.datetime | None = None) -> list[Proposal]:
    """What the agenda could hold: the open resolutions of earlier meetings, the problems the
    last weeks' analyses report (overdue cases, repeated places), and the categories rising in
    the last 30 days against the 30 before."""
    now = now or timezone.now()
    found: list[Proposal] = []
    for resolution in open_resolutions(area):
        found.append(
            Proposal(
                _("Follow-up: %(text)s") % {"text": resolution.text[:60]},
                "followup",
                _("Meeting of %(date)s, resolution %(number)s")
                % {"date": f"{timezone.localtime(resolution.meeting.starts_at):%Y-%m-%d}", "number": resolution.number},
            )
        )
    since = timezone.localdate(now) - dt.timedelta(days=7 * PROPOSAL_WEEKS)
    analyses = WeeklyAnalysis.objects.filter(area_path__startswith=area.path, week__gte=since).select_related("grid")
    places: dict[str, int] = {}
    overdue: dict[str, int] = {}
    for analysis in analyses:
        for place in analysis.figures.get("repeated_places", []):
            places[place["address"]] = max(places.get(place["address"], 0), int(place["count"]))
        if analysis.figures.get("overdue_count"):
            overdue[analysis.grid.name] = overdue.get(analysis.grid.name, 0) + int(analysis.figures["overdue_count"])
    for address, count in sorted(places.items(), key=lambda item: -item[1])[:5]:
        found.append(
            Proposal(
                _("Repeated problems at %(place)s") % {"place": address},
                "weekly",
                _("%(count)s cases in 30 days") % {"count": count},
            )
        )
    for grid, count in sorted(overdue.items(), key=lambda item: -item[1])[:5]:
        found.append(
            Proposal(
                _("Overdue cases in %(grid)s") % {"grid": grid},
                "weekly",
                _("%(count)s overdue at the weeks' ends") % {"count": count},
            )
        )
    today = timezone.localdate(now)
    recent = Period(today - dt.timedelta(days=HOTSPOT_DAYS - 1), today)
    before = recent.previous()
    cases = Case.objects.all()
    here = Dimensions(area=area.code)
    now_rows = {
        row.key: row.figures["reported"].num for row in indices.grouped(cases, recent, "category", here, ("reported",))
    }
    then_rows = {
        row.key: row.figures["reported"].num for row in indices.grouped(cases, before, "category", here, ("reported",))
    }
    rising = sorted(
        ((code, count, then_rows.get(code, 0)) for code, count in now_rows.items() if count > then_rows.get(code, 0)),
        key=lambda item: -(item[1] - item[2]),
    )[:3]
    names = category_names([code for code, _n, _b in rising])
    for code, count, earlier in rising:
        found.append(
            Proposal(
                _("Rising: %(category)s") % {"category": names.get(code, code)},
                "hotspot",
                _("%(now)s cases in the last 30 days, %(before)s in the 30 before") % {"now": count, "before": earlier},
            )
        )
    return found[:AGENDA_ITEMS]


def agenda_from_text(text: str) -> list[dict[str, str]]:
    """The agenda as the form gives it: one item per line (blank lines dropped)."""
    items = [line.strip() for line in str(text).splitlines() if line.strip()]
    if len(items) > AGENDA_ITEMS:
        raise Invalid.field("agenda", _("At most %(n)s agenda items.") % {"n": AGENDA_ITEMS})
    long = next((item for item in items if len(item) > ITEM_LIMIT), None)
    if long is not None:
        # Never cut what someone wrote: say which line is too long, by how much.
        raise Invalid.field(
            "agenda",
            _("Each agenda item is one line of at most %(n)s characters; “%(start)s…” has %(count)s.")
            % {"n": ITEM_LIMIT, "start": long[:12], "count": len(long)},
        )
    return [{"title": item, "source": "manual", "note": ""} for item in items]

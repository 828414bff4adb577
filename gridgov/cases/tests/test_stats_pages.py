"""统计分析 and the leader cockpit: who may open them, and every number on them is a link to the
workbench list of exactly the cases it counts (the list's count equals the figure)."""

from __future__ import annotations

import calendar
import re
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from gridgov.areas.models import AreaLevel
from gridgov.areas.selectors import areas_visible
from gridgov.cases import indices, views_stats
from gridgov.cases.indices import Dimensions, Period
from gridgov.cases.models import Case

from .test_indices import month  # noqa: F401 - the hand-built March, as a fixture

MARCH = {"start": "2026-03-01", "end": "2026-03-31"}
TOTAL = re.compile(r'data-testid="case-total"[^>]*>(\d+)<')


class Figures(HTMLParser):
    """Every anchor with a figure (``data-count``), and every element of class ``fig``."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, int]] = []
        self.fig_elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "fig" in (values.get("class") or "").split():
            self.fig_elements.append((tag, values))
        if tag == "a" and values.get("data-count") is not None:
            self.links.append((values["href"] or "", int(values["data-count"] or 0)))


def parsed(html: str) -> Figures:
    parser = Figures()
    parser.feed(html)
    return parser


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


COUNT_URL = re.compile(r'hx-get="(/cases/count/[^"]*)"')


def list_count(client: Client, url: str) -> int:
    """How many cases the list at ``url`` says it has: inline for a figure's list, else from
    the count the list loads after it (as the browser does)."""
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    if (deferred := COUNT_URL.search(html)) is not None:
        html = client.get(unescape(deferred.group(1))).content.decode()
    found = TOTAL.search(html)
    assert found, url
    return int(found.group(1))


def check_every_link(client: Client, html: str, minimum: int) -> int:
    figures = parsed(html)
    assert all(tag == "a" and attrs.get("data-count") is not None for tag, attrs in figures.fig_elements)
    assert len(figures.links) >= minimum
    checked: dict[str, int] = {}
    for url, count in figures.links:
        if not url.startswith(reverse("cases:workbench")):
            continue  # another app's list (the hotline's queue), checked by its own test
        if url not in checked:
            checked[url] = list_count(client, url)
        assert checked[url] == count, url
    return len(checked)


PART_URL = re.compile(r'hx-get="([^"]+)"[^>]*data-part="([a-z]+)"')


def with_parts(client: Client, html: str) -> str:
    """The page followed by each of its parts loaded after it (the grid table, the reporters,
    the verifiers, the map), fetched at the URLs the page gives them."""
    found = PART_URL.findall(html)
    assert sorted(name for _url, name in found) == sorted(views_stats.PARTS)
    pieces = [html]
    for url, _name in found:
        response = client.get(unescape(url))
        assert response.status_code == 200, url
        pieces.append(response.content.decode())
    return "\n".join(pieces)


@pytest.mark.usefixtures("month")
def test_every_number_of_the_statistics_page_opens_its_cases(people: dict[str, Any]) -> None:
    client = client_for(people["center01"])
    response = client.get(reverse("cases:stats"), MARCH)
    assert response.status_code == 200
    html = with_parts(client, response.content.decode())
    assert 'data-testid="definitions"' in html and 'id="stats-data"' in html and 'id="stats-map-data"' in html
    for table in ("village-table", "grid-table", "reporter-table", "verifier-table", "repeat-list", "trend-data"):
        assert f'data-testid="{table}"' in html
    assert check_every_link(client, html, minimum=100) > 40


@pytest.mark.usefixtures("month")
def test_the_parts_of_the_page_are_scoped_like_it(people: dict[str, Any]) -> None:
    query = {**MARCH, "lead": "traffic_police"}
    client = client_for(people["leader01"])
    html = client.get(reverse("cases:stats"), query).content.decode()
    for url, name in PART_URL.findall(html):
        assert url.startswith(reverse("cases:stats-part", args=[name]) + "?")
        assert dict(parse_qsl(urlsplit(unescape(url)).query)) == query
        assert client_for(people["grid01"]).get(unescape(url)).status_code == 403
    assert client.get(reverse("cases:stats-part", args=["nothing"])).status_code == 404


@pytest.mark.usefixtures("month")
def test_the_statistics_page_narrowed_to_a_department_and_by_week(people: dict[str, Any]) -> None:
    client = client_for(people["leader01"])
    response = client.get(reverse("cases:stats"), {**MARCH, "lead": "traffic_police", "step": "week"})
    assert response.status_code == 200
    check_every_link(client, with_parts(client, response.content.decode()), minimum=20)


@pytest.mark.usefixtures("month")
def test_the_trend_points_link_their_cases(people: dict[str, Any]) -> None:
    client = client_for(people["center01"])
    response = client.get(reverse("cases:stats-part", args=["trend"]), {**MARCH, "step": "week"})
    chart = response.context["chart"]["trend"]
    assert len(chart["x"]) == 6  # the weeks of March 2026, Monday to Sunday, clipped
    for points in chart["series"].values():
        for point in points:
            assert list_count(client, point["url"]) == point["value"]


def test_the_days_of_the_running_month_still_to_come_are_gaps_in_the_trend(people: dict[str, Any]) -> None:
    client = client_for(people["center01"])
    today = timezone.localdate()
    start, end = today.replace(day=1), today.replace(day=calendar.monthrange(today.year, today.month)[1])
    query = {"start": start.isoformat(), "end": end.isoformat(), "step": "day"}
    chart = client.get(reverse("cases:stats-part", args=["trend"]), query).context["chart"]["trend"]
    assert len(chart["x"]) == end.day
    for points in chart["series"].values():
        assert all(isinstance(point["value"], int) and point["url"] for point in points[: today.day])
        assert all(point == {"value": None} for point in points[today.day :])


@pytest.mark.usefixtures("month")
def test_quiet_villages_and_grids_are_rows_of_their_own(people: dict[str, Any]) -> None:
    """Every village (and grid, when they fit) of the viewer under the filter is a row: those
    without a case say so across the row; a grid's filter keeps its village only."""
    client = client_for(people["center01"])
    villages = set(areas_visible(people["center01"], level=AreaLevel.VILLAGE).values_list("code", flat=True))
    grids = set(areas_visible(people["center01"], level=AreaLevel.GRID).values_list("code", flat=True))
    assert len(villages) > 1 and len(grids) <= views_stats.TABLE_ROWS
    for part, codes in (("villages", villages), ("grids", grids)):
        response = client.get(reverse("cases:stats-part", args=[part]), MARCH)
        rows = response.context[part]
        assert [row["key"] for row in rows] == sorted(codes)
        busy = [row for row in rows if not row.get("quiet")]
        assert busy and len(busy) < len(rows)
        assert all(row["figures"]["reported"].num or row["figures"]["registered"].num for row in busy)
        html = response.content.decode()
        assert html.count('class="quiet"') == len(rows) - len(busy)
        check_every_link(client, html, minimum=len(busy))
    grid = str(Case.objects.exclude(grid=None).values_list("grid__code", flat=True).first())
    response = client.get(reverse("cases:stats-part", args=["villages"]), {**MARCH, "grid": grid})
    assert [row["key"] for row in response.context["villages"]] == [grid[:12]]
    response = client.get(reverse("cases:stats-part", args=["grids"]), {**MARCH, "grid": grid[:12]})
    keys = [row["key"] for row in response.context["grids"]]
    assert grid in keys and all(key.startswith(grid[:12]) for key in keys)


@pytest.mark.usefixtures("month")
def test_a_village_row_counts_its_cases_without_a_grid_as_its_links_list_them(people: dict[str, Any]) -> None:
    """Cases filed at a village without a grid (a ledger row naming only a village) are in the
    village's row, which otherwise undercounted its links' lists; one filed at the town is in
    no village's row, and neither is in a grid's."""
    cases = {case.number: case for case in Case.objects.select_related("grid__parent", "town").order_by("pk")}
    first = next(case for case in cases.values() if case.grid is not None)
    assert first.grid is not None and first.grid.parent is not None
    home, town = first.grid.parent, first.town
    visible = areas_visible(people["center01"], level=AreaLevel.VILLAGE).exclude(pk=home.pk)
    other = visible.exclude(code__in=Case.objects.exclude(grid=None).values("grid__parent__code")).first()
    assert other is not None  # a village whose grids have no case
    moved = [case for case in cases.values() if case.grid is not None and case.reported_at.month == 3][:4]
    for case, path in zip(moved, (home.path, home.path, other.path, town.path), strict=True):
        case.area_path, case.grid = path, None
        case.save()
    client = client_for(people["center01"])
    for period in (MARCH, {"start": "2026-03-03", "end": "2026-03-24"}):
        response = client.get(reverse("cases:stats-part", args=["villages"]), period)
        rows = {row["key"]: row for row in response.context["villages"]}
        assert not rows[other.code].get("quiet") and rows[other.code]["figures"]["reported"].num == 1
        check_every_link(client, response.content.decode(), minimum=12)
        grids = client.get(reverse("cases:stats-part", args=["grids"]), period)
        check_every_link(client, grids.content.decode(), minimum=6)
    response = client.get(reverse("cases:stats-part", args=["villages"]), MARCH)
    in_villages = sum(row["figures"]["reported"].num for row in response.context["villages"] if not row.get("quiet"))
    everything, march = Case.objects.all(), Period.month(2026, 3)
    at_town = indices.cases_for(everything.filter(area_path=town.path), "reported", "num", march).count()
    assert at_town >= 1
    assert in_villages == indices.figures(everything, march, Dimensions(area=town.code))["reported"].num - at_town


def test_only_the_center_leaders_and_supervisors_see_the_statistics(people: dict[str, Any]) -> None:
    for name in ("center01", "leader01", "super01"):
        assert client_for(people[name]).get(reverse("cases:stats")).status_code == 200
        assert client_for(people[name]).get(reverse("cases:cockpit")).status_code == 200
    for name in ("grid01", "dept01", "gridlead01"):
        assert client_for(people[name]).get(reverse("cases:stats")).status_code == 403
        assert client_for(people[name]).get(reverse("cases:cockpit")).status_code == 403


@pytest.mark.usefixtures("month")
def test_a_bad_figure_link_shows_an_error_and_all_cases(people: dict[str, Any]) -> None:
    client = client_for(people["center01"])
    response = client.get(reverse("cases:workbench"), {"index": "nope", "part": "num"})
    assert response.status_code == 200
    assert list_count(client, reverse("cases:workbench") + "?index=nope") == Case.objects.count()


@pytest.mark.usefixtures("month")
def test_the_cockpit_links_its_numbers_and_refreshes(people: dict[str, Any]) -> None:
    from gridgov.cases.tests.loop_helpers import act, report

    # Something for today: a report, a supervised case, an overdue one.
    fresh = report(people)
    act(people, fresh, "supervise", "leader01")
    client = client_for(people["leader01"])
    response = client.get(reverse("cases:cockpit"))
    html = response.content.decode()
    assert 'hx-trigger="every 60s"' in html
    check_every_link(client, html, minimum=12)
    assert ("/hotline/?queue=to_instruct", 0) in parsed(html).links
    partial = client.get(reverse("cases:cockpit"), headers={"HX-Request": "true"})
    assert b"cockpit-rates" in partial.content and b"<html" not in partial.content


@pytest.mark.usefixtures("month")
def test_the_export_of_a_figure_carries_the_milestones(people: dict[str, Any]) -> None:
    import io

    numbers = sorted(Case.objects.values_list("number", flat=True))

    from openpyxl import load_workbook

    client = client_for(people["center01"])
    query = {"index": "closure_rate", "part": "num", **MARCH}
    response = client.get(reverse("cases:export"), query)
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == list_count(client, f"{reverse('cases:workbench')}?{urlencode(query)}") == 4
    by_number = {row[0]: row for row in body}
    a, c = by_number[numbers[0]], by_number[numbers[2]]  # cases A and C, the first reported
    assert len(header) == 26
    # registered at, overall deadline, first handled at, closed at, reworks
    assert a[2] is not None and a[15] is not None and a[16] is not None and a[18] is not None
    assert a[17] == a[19] != "" and a[17] is not None  # handled and closed on time: "yes"
    assert c[21] == 1


@pytest.mark.usefixtures("month")
def test_the_area_filter_takes_a_grid_beyond_its_options_and_cuts_the_grid_table(
    people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    grid = str(Case.objects.exclude(grid=None).values_list("grid__code", flat=True).first())
    monkeypatch.setattr(views_stats, "GRID_CHOICES", 0)  # villages only in the options
    monkeypatch.setattr(views_stats, "TABLE_ROWS", 0)  # the table cut to none
    client = client_for(people["center01"])
    response = client.get(reverse("cases:stats"), MARCH)
    html = with_parts(client, response.content.decode())
    assert f'value="{grid}"' not in html
    assert 'data-testid="grid-table-cut"' in html
    check_every_link(client, html, minimum=20)
    response = client.get(reverse("cases:stats"), {**MARCH, "grid": grid})
    assert response.status_code == 200
    assert response.context["form"].is_valid()
    assert response.context["dimensions"].area == grid
    response = client.get(reverse("cases:stats"), {**MARCH, "grid": "nowhere"})
    assert not response.context["form"].is_valid()


def test_unreadable_dates_fall_back_to_this_month_and_say_so(people: dict[str, Any]) -> None:
    client = client_for(people["center01"])
    response = client.get(reverse("cases:stats"), {"start": "abc", "end": "2026-13-45", "step": "week"})
    assert response.status_code == 200
    this_month = Period.of_month(timezone.localdate())
    assert response.context["period"] == this_month
    assert response.context["form"].cleaned_data["step"] == "week"  # the filters that were read are kept
    html = response.content.decode()
    assert "无法识别所填日期（abc, 2026-13-45），页面显示本月的数据。" in html
    # Readable dates say nothing of the kind.
    assert "无法识别所填日期" not in client.get(reverse("cases:stats"), MARCH).content.decode()


@pytest.mark.parametrize(
    "dates",
    [
        {"start": "0001-01-05", "end": "0001-01-10"},
        {"start": "0001-01-01", "end": "0001-01-31"},
        {"end": "0001-01-01"},
        {"start": "9999-12-01", "end": "9999-12-31"},
        {"start": "1900-01-01", "end": "1900-01-31"},
    ],
)
def test_dates_beyond_the_calendar_are_refused_in_words(people: dict[str, Any], dates: dict[str, str]) -> None:
    client = client_for(people["center01"])
    response = client.get(reverse("cases:stats"), dates)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["period"] == Period.of_month(timezone.localdate())
    html = response.content.decode()
    if "1900-01-01" in dates.values():  # a date of the calendar whose previous month is not
        assert "所选时段及其上一期须在 1900-01-01 至 2999-12-31 之间。" in html
    elif all(value[:4] in ("0001", "9999") for value in dates.values()):
        assert "请填写 1900-01-01 至 2999-12-31 之间的日期" in html
    for part in views_stats.PARTS:
        assert client.get(reverse("cases:stats-part", args=[part]), dates).status_code == 200
    figure = {"index": "reported", "part": "num", "start": "9999-12-01", "end": "9999-12-31", **dates}
    for name in ("cases:workbench", "cases:export", "cases:workbench_count", "cases:map_data"):
        assert client.get(reverse(name), figure).status_code == 200, name


def test_filters_that_cannot_be_used_are_named_on_the_page(people: dict[str, Any]) -> None:
    response = client_for(people["center01"]).get(
        reverse("cases:stats"), {"grid": "NOPE", "lead": "nope", "category": "nope", "source": "nope", "step": "year"}
    )
    assert response.status_code == 200
    assert response.context["dimensions"] == Dimensions()
    html = response.content.decode()
    assert "以下筛选条件无法识别，未予采用：村（社区）/网格、主办部门、事项分类、来源、趋势粒度。" in html


def test_quick_periods_keep_the_other_filters(people: dict[str, Any]) -> None:
    client = client_for(people["center01"])
    response = client.get(reverse("cases:stats"), {"source": "hotline", "step": "week"})
    quick = response.context["quick_periods"]
    assert [q["label"] for q in quick] == ["本月", "上月", "本季度", "上季度", "本年", "上一年"]
    assert [q["current"] for q in quick] == [True, False, False, False, False, False]
    today = timezone.localdate()
    for q in quick:
        page = client.get(f"{reverse('cases:stats')}?{q['query']}")
        assert page.status_code == 200 and not page.context["form"].errors
        assert page.context["dimensions"].source == "hotline" and "step" not in q["query"]
    periods = [client.get(f"{reverse('cases:stats')}?{q['query']}").context["period"] for q in quick]
    assert periods[2].months == 3 and periods[2].start <= today <= periods[2].end
    assert periods[4].start == today.replace(month=1, day=1) and periods[5].end.year == today.year - 1


def test_the_parts_read_the_filters_as_the_page_does_without_listing_them(people: dict[str, Any]) -> None:
    """A part of the page checks each filter with a query instead of listing the choices; it
    takes and refuses exactly what the page's select boxes do, for each viewer."""
    from gridgov.areas.models import Area
    from gridgov.categories.models import Category
    from gridgov.people.models import Department

    minor = Category.objects.filter(parent__isnull=False, is_active=True).first()
    retired = Department.objects.create(code="retired_dept", name="已撤销部门", is_active=False)
    assert minor is not None and minor.parent is not None
    values = {
        "grid": [area.code for area in Area.objects.current().order_by("level", "code")[:3]]
        + [str(Area.objects.current().filter(level="grid").values_list("code", flat=True).last()), "nowhere"],
        "lead": [*Department.objects.filter(is_active=True).values_list("code", flat=True)[:3], retired.code, "nope"],
        "category": [minor.code, minor.parent.code, "nothing"],
        "source": ["hotline", "elsewhere"],
    }
    today = timezone.localdate()
    taken: dict[str, set[bool]] = {name: set() for name in values}
    for username in ("center01", "leader01"):
        for name, options in values.items():
            for value in options:
                query = {**MARCH, name: value}
                page = views_stats.StatsForm(query, user=people[username])
                part = views_stats.StatsForm(query, user=people[username], listed=False)
                assert page.is_valid() == part.is_valid(), (username, query)
                assert page.chosen(today) == part.chosen(today), (username, query)
                assert page.errors == part.errors
                taken[name].add(part.is_valid())
    assert all(found == {True, False} for found in taken.values())


@pytest.mark.usefixtures("month")
def test_a_viewer_of_grids_in_two_villages_filters_the_parts_on_a_listed_village(people: dict[str, Any]) -> None:
    """The page lists each of the viewer's grids under "(whole village)", the village's code,
    although the village itself is not the viewer's; the parts take that filter as the page
    does (the scope still keeps the figures to the viewer's grids)."""
    from django.contrib.auth import get_user_model

    from gridgov.areas.models import Area
    from gridgov.people.models import Role, RoleAssignment

    with_cases = Case.objects.exclude(grid=None).order_by("pk").first()
    assert with_cases is not None and with_cases.grid is not None
    mine = with_cases.grid
    other = Area.objects.current().filter(level="grid").exclude(parent=mine.parent).order_by("code").first()
    assert other is not None and other.parent is not None
    user = get_user_model().objects.create_user(username="supervisor_of_two", password="-")
    for grid in (mine, other):
        RoleAssignment.objects.create(user=user, role=Role.SUPERVISOR, area=grid)
    query = {**MARCH, "grid": other.parent.code}
    page = views_stats.StatsForm(query, user=user)
    part = views_stats.StatsForm(query, user=user, listed=False)
    assert page.is_valid() and part.is_valid()
    assert page.chosen(timezone.localdate()) == part.chosen(timezone.localdate())
    client = Client()
    client.force_login(user)
    grids = client.get(reverse("cases:stats-part", args=["grids"]), query).content.decode()
    assert mine.code not in grids  # the other village's figures: none of this grid's cases
    assert not views_stats.StatsForm({**MARCH, "grid": "nowhere"}, user=user, listed=False).is_valid()


@pytest.mark.usefixtures("month")
def test_a_list_opened_from_a_figure_keeps_it_when_filtered_again_and_on_its_map(people: dict[str, Any]) -> None:
    """The figure, its period and a department the list's form has no box for travel with the
    form as hidden fields: a filter changed on the list narrows the figure's cases instead of
    dropping them, the map shows the same cases, and a link shows the list without them."""
    client = client_for(people["center01"])
    html = client.get(reverse("cases:stats"), {**MARCH, "lead": "traffic_police"}).content.decode()
    url, count = next((u, c) for u, c in parsed(html).links if "index=reported" in u and "lead=" in u)
    assert count > 0
    page = client.get(unescape(url)).content.decode()
    block = re.search(r'data-testid="figure-carried">(.*?)</p>', page, re.S)
    assert block is not None
    carried = dict(re.findall(r'<input type="hidden" name="([a-z]+)" value="([^"]*)">', block.group(1)))
    asked = dict(parse_qsl(urlsplit(unescape(url)).query))
    assert carried == {key: asked[key] for key in ("index", "part", "start", "end", "lead")}
    assert 'data-testid="figure-carried"' in page
    # The form sent again, as the browser sends it (a filter changed): the figure stays.
    again = {**carried, "grid": asked.get("grid", ""), "category": "", "source": "", "text": ""}
    assert list_count(client, f"{reverse('cases:workbench')}?{urlencode(again)}") == count
    located = Case.objects.filter(lead_department__code="traffic_police", lat__isnull=False).count()
    points = client.get(reverse("cases:map_data"), again).json()["count"]
    assert points <= min(count, located)
    assert client.get(reverse("cases:map_data"), {"text": ""}).json()["count"] >= points
    without = re.search(r'href="([^"]+)" data-testid="without-figure"', page)
    assert without is not None
    plain = client.get(unescape(without.group(1))).content.decode()
    assert 'data-testid="figure-carried"' not in plain and "index=" not in unescape(without.group(1))

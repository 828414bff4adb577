"""The indices of gridgov.cases.indices against a month built by hand through the services.

March 2026 (Monday 2 March is a working day). The cases, all parking.long_term (handling limit
5 working days) reported by grid01 unless said otherwise:

- A: registered, dispatched, acknowledged 2 Mar; reported back 3 Mar; verified 3 Mar.
- B: the same to acknowledgement on 2 Mar; reported back and verified only on 20 April.
- C: 3 Mar to acknowledgement; reported back 4 Mar; verification fails (rework); reported back
  and verified 5 Mar.
- D: 4 Mar registered, dispatched, returned by the department, dispatched again,
  acknowledged; reported back and verified 5 Mar.
- E: reported 5 Mar, voided.  F: reported 5 Mar, merged into A (a duplicate).
- G: self-handled 6 Mar.  H: reported and registered 6 Mar, nothing more.
- I: reported, registered, dispatched, acknowledged 25 Feb (due early March); reported back
  and verified 2 Mar.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from gridgov.areas.models import Area, AreaLevel
from gridgov.cases import indices
from gridgov.cases.indices import Dimensions, Period
from gridgov.cases.models import Case
from gridgov.cases.services import Photo, case_create
from gridgov.workcalendar.calendar import working_minutes_between

from .loop_helpers import VERIFIED, act, jpeg, report

MARCH = Period.month(2026, 3)
APRIL = Period.month(2026, 4)
DEPT = {"departments": ["traffic_police"]}


def at(day: str, time: str = "10:00") -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"{day} {time}"))


def handled_case(people: dict[str, Any], day: str, *, back: str, verify: str) -> Case:
    case = report(people, at=at(day, "09:00"))
    act(people, case, "register", "center01", at=at(day, "09:10"))
    act(people, case, "dispatch", "center01", at=at(day, "09:20"), **DEPT)
    act(people, case, "acknowledge", "dept01", at=at(day, "09:40"))
    act(people, case, "report_back", "dept01", at=at(back, "10:00"), result="已处理")
    act(people, case, "verify_pass", "grid01", at=at(verify, "10:30"))
    return Case.objects.get(pk=case.pk)


@pytest.fixture
def month(people: dict[str, Any]) -> dict[str, Case]:
    cases: dict[str, Case] = {}
    cases["A"] = handled_case(people, "2026-03-02", back="2026-03-03", verify="2026-03-03")
    b = report(people, at=at("2026-03-02", "09:00"))
    act(people, b, "register", "center01", at=at("2026-03-02", "09:10"))
    act(people, b, "dispatch", "center01", at=at("2026-03-02", "09:20"), **DEPT)
    act(people, b, "acknowledge", "dept01", at=at("2026-03-02", "09:40"))
    cases["B"] = b
    c = report(people, at=at("2026-03-03", "09:00"))
    act(people, c, "register", "center01", at=at("2026-03-03", "09:10"))
    act(people, c, "dispatch", "center01", at=at("2026-03-03", "09:20"), **DEPT)
    act(people, c, "acknowledge", "dept01", at=at("2026-03-03", "09:40"))
    act(people, c, "report_back", "dept01", at=at("2026-03-04", "10:00"), result="已处理")
    act(people, c, "verify_fail", "grid01", at=at("2026-03-04", "10:30"))
    act(people, c, "report_back", "dept01", at=at("2026-03-05", "10:00"), result="已返工")
    act(people, c, "verify_pass", "grid01", at=at("2026-03-05", "10:30"))
    cases["C"] = c
    d = report(people, at=at("2026-03-04", "09:00"))
    act(people, d, "register", "center01", at=at("2026-03-04", "09:10"))
    act(people, d, "dispatch", "center01", at=at("2026-03-04", "09:20"), departments=["urban_mgmt"])
    act(people, d, "return", "dept02", at=at("2026-03-04", "09:30"))
    act(people, d, "dispatch", "center01", at=at("2026-03-04", "09:40"), **DEPT)
    act(people, d, "acknowledge", "dept01", at=at("2026-03-04", "09:50"))
    act(people, d, "report_back", "dept01", at=at("2026-03-05", "10:00"), result="已处理")
    act(people, d, "verify_pass", "grid01", at=at("2026-03-05", "10:30"))
    cases["D"] = d
    e = report(people, at=at("2026-03-05", "09:00"))
    act(people, e, "void", "center01", at=at("2026-03-05", "09:10"))
    cases["E"] = e
    f = report(people, at=at("2026-03-05", "09:00"))
    act(people, f, "merge", "center01", at=at("2026-03-05", "09:10"), into=cases["A"].number)
    cases["F"] = f
    photos = [Photo(file=jpeg(), kind="before"), Photo(file=jpeg((0, 90, 0)), kind="after")]
    cases["G"] = report(people, category="parking.minor", self_handle=True, photos_in=photos, at=at("2026-03-06"))
    h = report(people, at=at("2026-03-06", "09:00"))
    act(people, h, "register", "center01", at=at("2026-03-06", "09:10"))
    cases["H"] = h
    cases["I"] = handled_case(people, "2026-02-25", back="2026-03-02", verify="2026-03-02")
    return {key: Case.objects.get(pk=case.pk) for key, case in cases.items()}


def finish_b(people: dict[str, Any], case: Case) -> None:
    act(people, case, "report_back", "dept01", at=at("2026-04-20", "10:00"), result="已处理")
    act(people, case, "verify_pass", "grid01", at=at("2026-04-20", "10:30"))


def numbers(figures: indices.Figures) -> dict[str, tuple[int, int | None, float | None]]:
    return {code: (f.num, f.den, f.value) for code, f in figures.by_code.items() if code != "handling_hours"}


EXPECTED_MARCH = {
    "reported": (7, None, None),  # A B C D E F H (G is self-handled, I was February's)
    "self_handled": (1, None, None),
    "registered": (5, None, None),  # A B C D H
    "voided": (2, None, None),  # E F
    "closed_in": (4, None, None),  # A C D I
    "due": (5, None, None),  # deadlines in March: A B C D I
    "closed": (4, None, None),
    "closed_on_time": (4, None, None),
    "not_closed_on_time": (1, None, None),  # B, still open
    "closure_rate": (4, 5, 80.0),
    "on_time_closure_rate": (4, 5, 80.0),
    "handling_rate": (4, 5, 80.0),
    "on_time_handling_rate": (4, 5, 80.0),
    "rework_rate": (1, 4, 25.0),  # C of A C D I
    "accurate_dispatch_rate": (2, 4, 50.0),  # A B of A B C D (C reworked, D returned)
    "valid_report_rate": (6, 7, 85.7),  # registered A B C D H, and F merged
    "on_time_verification_rate": (4, 4, 100.0),  # first verifications of A C D I
    "satisfaction_rate": (0, 0, None),  # nobody called back (see the call-back test)
}


def test_the_milestones_are_frozen_by_the_services(month: dict[str, Case]) -> None:
    a, c, d = month["A"], month["C"], month["D"]
    assert a.registered_at == at("2026-03-02", "09:10") and a.dispatch_count == 1
    assert a.handled_at == at("2026-03-03") and a.handled_on_time is True
    assert a.verified_at == at("2026-03-03", "10:30") and a.verified_on_time is True
    assert a.closed_on_time is True and a.due_at is not None and a.due_at.month == 3
    assert c.reworked_at == at("2026-03-04", "10:30") and c.rework_count == 1
    assert c.verified_at == at("2026-03-04", "10:30")  # the first verification (failed)
    assert d.dispatch_count == 2 and d.redispatched_at == at("2026-03-04", "09:30")
    assert month["E"].voided_at is not None and month["F"].voided_at is not None
    assert month["G"].registered_at is None and month["H"].dispatched_at is None
    assert month["B"].due_at is not None and month["B"].handled_at is None


def test_the_month_against_the_hand_computed_figures(month: dict[str, Case]) -> None:
    assert numbers(indices.figures(Case.objects.all(), MARCH)) == EXPECTED_MARCH


def test_a_past_month_recomputed_later_gives_the_same_figures(people: dict[str, Any], month: dict[str, Case]) -> None:
    before = indices.figures(Case.objects.all(), MARCH)
    finish_b(people, month["B"])
    act(people, month["H"], "dispatch", "center01", at=at("2026-04-21"), **DEPT)
    act(people, month["H"], "acknowledge", "dept01", at=at("2026-04-21", "11:00"))
    assert numbers(indices.figures(Case.objects.all(), MARCH)) == numbers(before) == EXPECTED_MARCH
    april = indices.figures(Case.objects.all(), APRIL)
    assert april["closed_in"].num == 1 and april["closed"].num == 0  # B was due in March
    assert april["on_time_handling_rate"].den == 1  # H's deadline falls in April


def test_the_average_handling_time_counts_working_hours(month: dict[str, Case]) -> None:
    figure = indices.figures(Case.objects.all(), MARCH)["handling_hours"]
    expected = [
        working_minutes_between(case.dispatched_at, case.handled_at)
        for case in (month[k] for k in "ACDI")
        if case.dispatched_at and case.handled_at
    ]
    assert figure.den == 4
    assert figure.value == round(sum(expected) / 4 / 60, 1)


def test_dimensions_and_groups(people: dict[str, Any], month: dict[str, Case]) -> None:
    cases = Case.objects.all()
    by_department = {row.key: row for row in indices.grouped(cases, MARCH, "department")}
    police = by_department["traffic_police"].figures
    assert police["due"].num == 5 and police["closed"].num == 4
    assert by_department["traffic_police"].dimensions.department == "traffic_police"
    narrowed = indices.figures(cases, MARCH, Dimensions(department="traffic_police"))
    assert numbers(narrowed)["due"] == (5, None, None)
    assert indices.figures(cases, MARCH, Dimensions(source="hotline"))["reported"].num == 0
    grid = month["A"].grid
    assert grid is not None
    assert indices.figures(cases, MARCH, Dimensions(area=grid.code))["reported"].num == 7
    by_reporter = indices.grouped(cases, MARCH, "reporter", codes=["valid_report_rate"])
    assert [(row.key, row.figures["valid_report_rate"].num) for row in by_reporter] == [(people["grid01"].pk, 6)]
    by_verifier = indices.grouped(cases, MARCH, "verifier", codes=["on_time_verification_rate"])
    assert [row.key for row in by_verifier] == [people["grid01"].pk]
    # Every group's cases are exactly the figure's cases.
    for row in indices.grouped(cases, MARCH, "category"):
        for code, figure in row.figures.by_code.items():
            if code == "handling_hours":
                continue
            found = indices.cases_for(cases, code, "num", MARCH, row.dimensions).count()
            assert found == figure.num, code


def test_a_row_wider_than_the_filter_keeps_the_filter(people: dict[str, Any], month: dict[str, Case]) -> None:
    """A village row under a grid filter, a major class row under a minor class filter: the row
    counts the filter's cases, and its list is the filter's, not the whole village or class."""
    grid = month["A"].grid
    assert grid is not None and grid.parent is not None
    other = Area.objects.filter(parent=grid.parent, level=AreaLevel.GRID).exclude(pk=grid.pk).first()
    assert other is not None and other.center_lat is not None and other.center_lng is not None
    case_create(
        actor=people["center01"],
        category=VERIFIED,
        description="占道停车",
        lat=other.center_lat,
        lng=other.center_lng,
        at=at("2026-03-06", "09:00"),
    )
    cases = Case.objects.all()
    minor = month["A"].category
    assert minor.parent is not None
    for by, dimensions in (("village", Dimensions(area=other.code)), ("major", Dimensions(category=minor.code))):
        rows = list(indices.grouped(cases, MARCH, by, dimensions, ["reported", "closed"]))
        assert len(rows) == 1 and rows[0].dimensions == dimensions
        for code in ("reported", "closed"):
            found = indices.cases_for(cases, code, "num", MARCH, rows[0].dimensions).count()
            assert found == rows[0].figures[code].num, (by, code)
    (row,) = indices.grouped(cases, MARCH, "village", Dimensions(area=other.code))
    assert row.figures["reported"].num == 1


def test_equal_rates_share_a_rank() -> None:
    rates = [
        indices.Figure("on_time_closure_rate", 1, 1, 100.0),
        indices.Figure("on_time_closure_rate", 0, 0, None),
        indices.Figure("on_time_closure_rate", 4, 5, 80.0),
        indices.Figure("on_time_closure_rate", 9, 9, 100.0),
        indices.Figure("on_time_closure_rate", 2, 3, 66.7),
        indices.Figure("on_time_closure_rate", 4, 5, 80.0),
    ]
    names = ["乙", "丙", "甲", "丁", "戊", "己"]
    assert indices.standings(rates, names) == [(3, 1), (0, 1), (5, 3), (2, 3), (4, 5), (1, None)]


def test_the_trend_splits_the_period(month: dict[str, Case]) -> None:
    series = indices.trend(Case.objects.all(), MARCH, "week", ["reported", "registered"])
    assert [bucket.start.isoformat() for bucket, _f in series][:2] == ["2026-03-01", "2026-03-02"]
    assert sum(f["reported"].num for _b, f in series) == 7
    by_month = indices.trend(Case.objects.all(), Period(dt.date(2026, 2, 1), MARCH.end), "month", ["reported"])
    assert [f["reported"].num for _b, f in by_month] == [1, 7]


def test_a_trend_of_two_years_by_day_is_counted_a_few_buckets_a_query(month: dict[str, Case]) -> None:
    two_years = Period(dt.date(2025, 4, 1), dt.date(2027, 3, 31))
    series = indices.trend(Case.objects.all(), two_years, "day", ["reported", "registered", "closed_in"])
    assert len(series) == 730 > 4 * indices.TREND_BUCKETS_A_QUERY
    by_day = {bucket.start: figures for bucket, figures in series}
    whole = indices.figures(Case.objects.all(), two_years, None, ["reported"])["reported"].num
    assert sum(f["reported"].num for f in by_day.values()) == whole == 8  # March's seven and February's one
    march = indices.trend(Case.objects.all(), MARCH, "day", ["reported", "registered", "closed_in"])
    for bucket, figures in march:
        assert [figures[c].num for c in ("reported", "registered", "closed_in")] == [
            by_day[bucket.start][c].num for c in ("reported", "registered", "closed_in")
        ]


def test_parse_round_trips_a_link() -> None:
    dims = Dimensions(area="120116001001", department="traffic_police", source="hotline", reporter=5)
    query = indices.link_query("closure_rate", "den", MARCH, dims)
    selection = indices.parse(query)
    assert selection is not None
    assert (selection.code, selection.part) == ("closure_rate", "den")
    assert (selection.period, selection.dimensions) == (MARCH, dims)
    assert indices.parse({}) is None
    for bad in ({"index": "nope"}, {"index": "reported", "part": "den"}, {"index": "reported", "start": "x"}):
        with pytest.raises(ValueError):
            indices.parse(bad)


def test_previous_period() -> None:
    assert MARCH.previous() == Period.month(2026, 2)
    assert Period.month(2026, 1).previous() == Period.month(2025, 12)
    assert Period(dt.date(2026, 3, 10), dt.date(2026, 3, 19)).previous() == Period(
        dt.date(2026, 2, 28), dt.date(2026, 3, 9)
    )
    # Whole months: as many whole months before (a year after a leap year is still a year).
    year = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert year.months == 12
    assert year.previous() == Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    quarter = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert quarter.previous() == Period(dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert Period(dt.date(2026, 3, 1), dt.date(2026, 3, 30)).months == 0


def test_docs_stats_md_has_every_definition() -> None:
    from pathlib import Path

    from django.conf import settings

    text = (Path(settings.BASE_DIR) / "docs" / "stats.md").read_text(encoding="utf-8")
    assert indices.definitions_markdown() in text, "run `manage.py stats_docs` to bring docs/stats.md in step"
    for code in indices.INDICES:
        assert f"`{code}`" in text


MILESTONES = [
    "registered_at",
    "dispatched_at",
    "dispatch_count",
    "redispatched_at",
    "handled_at",
    "handled_on_time",
    "reworked_at",
    "verified_at",
    "verified_on_time",
    "verified_by_id",
    "due_at",
    "closed_on_time",
    "voided_at",
]


def test_the_backfill_finds_from_the_timelines_what_the_services_wrote(month: dict[str, Case]) -> None:
    import importlib

    from django.apps import apps

    written = {case["pk"]: case for case in Case.objects.values("pk", *MILESTONES)}
    Case.objects.update(**{name: (0 if name == "dispatch_count" else None) for name in MILESTONES})
    migration = importlib.import_module("gridgov.cases.migrations.0010_case_milestones_backfill")
    migration.backfill(apps, None)
    assert {case["pk"]: case for case in Case.objects.values("pk", *MILESTONES)} == written


def test_the_satisfaction_rate_counts_the_last_call_back(people: dict[str, Any], month: dict[str, Case]) -> None:
    """A satisfied on 4 March, C basically satisfied on 6 March, D satisfied in April (April's),
    I dissatisfied on 9 March: 2 of 3 in March."""
    Case.objects.filter(pk__in=[month[k].pk for k in "ACDI"]).update(party_phone="13900001111")
    for key, day, answer in (
        ("A", "2026-03-04", "satisfied"),
        ("C", "2026-03-06", "basically_satisfied"),
        ("D", "2026-04-02", "satisfied"),
        ("I", "2026-03-09", "dissatisfied"),
    ):
        act(people, month[key], "callback", "center01", at=at(day, "15:00"), satisfaction=answer, comment="回访")
    march = indices.figures(Case.objects.all(), MARCH)["satisfaction_rate"]
    assert (march.num, march.den, march.value) == (2, 3, 66.7)
    listed = indices.cases_for(Case.objects.all(), "satisfaction_rate", indices.NUM, MARCH)
    assert sorted(c.pk for c in listed) == sorted([month["A"].pk, month["C"].pk])
    april = indices.figures(Case.objects.all(), APRIL)["satisfaction_rate"]
    assert (april.num, april.den) == (1, 1)

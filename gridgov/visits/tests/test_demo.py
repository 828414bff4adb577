"""The demo's basic data and visits: believable, consistent with the plans, some overdue."""

from __future__ import annotations

from django.utils import timezone

from gridgov.demo.visits import load_demo_visits
from gridgov.visits import selectors
from gridgov.visits.models import Household, Unit, Visit


def test_the_demo_has_households_units_key_places_and_weeks_of_visits(people):
    Visit.objects.all().delete()
    Household.objects.all().delete()
    Unit.objects.all().delete()
    made = load_demo_visits(allow_production_db=True)
    assert made == Visit.objects.count() > 100
    assert Household.objects.filter(cared=True).count() >= Household.objects.count() // 3
    assert Unit.objects.filter(kind__in=["hazard_point", "construction_site"]).exists()
    overdue = selectors.overdue(people["center01"])
    intervals = selectors.unit_plan_intervals()
    planned_units = [u for u in Unit.objects.all() if selectors.interval_of(u.plan_tags, intervals)]
    tagged = Household.objects.filter(cared=True).count() + len(planned_units)
    assert 0 < len(overdue) < tagged / 2
    # Key places are on the plans: some are overdue, most were visited in time.
    assert any(d.unit is not None and d.unit.is_key_place for d in overdue)
    # grid01's phone has its list, and another grid's worker sees none of it.
    own = selectors.due_today(people["grid01"])
    assert all(d.target.grid_id == own[0].target.grid_id for d in own) if own else True
    today = timezone.localdate()
    rows = selectors.coverage_for(people["center01"], year=today.year, month=today.month)
    rates = [c.rate for _code, _name, c in rows if c.rate is not None]
    assert rates and 0 < sum(rates) / len(rates) < 1
    assert load_demo_visits(allow_production_db=True) == 0

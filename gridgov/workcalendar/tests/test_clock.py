"""The stage clock's shared pieces every timed workflow uses (``gridgov.workcalendar.clock``)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.utils import timezone

from gridgov.workcalendar.clock import next_alert, year_start

WARN = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.UTC)
DEADLINE = dt.datetime(2026, 10, 1, 17, 0, tzinfo=dt.UTC)


def stage(**sent: bool) -> SimpleNamespace:
    warning, overdue = sent.get("warning", False), sent.get("overdue", False)
    return SimpleNamespace(deadline=DEADLINE, warn_at=WARN, warning_sent=warning, overdue_sent=overdue)


def test_the_sweep_looks_at_the_warn_point_then_the_deadline_then_never():
    assert next_alert(stage()) == WARN
    assert next_alert(stage(warning=True)) == DEADLINE
    assert next_alert(stage(warning=True, overdue=True)) is None


def test_a_stage_without_a_deadline_or_warn_point_is_looked_at_when_it_is_due_or_never():
    assert next_alert(SimpleNamespace(deadline=None, warn_at=None, warning_sent=False, overdue_sent=False)) is None
    assert next_alert(SimpleNamespace(deadline=DEADLINE, warn_at=None, warning_sent=False, overdue_sent=False)) == (
        DEADLINE
    )


def test_a_year_starts_at_local_midnight_on_the_first_of_january():
    start = year_start(2027)

    assert timezone.localtime(start).replace(tzinfo=None) == dt.datetime(2027, 1, 1)
    assert start.utcoffset() == dt.timedelta(hours=8)

"""The load_calendar_year management command."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from gridgov.workcalendar import calendar
from gridgov.workcalendar.models import CalendarYear

from .conftest import NOTICE_2027

pytestmark = pytest.mark.django_db


def test_a_dry_run_shows_the_preview_and_writes_nothing(tmp_path):
    notice = tmp_path / "2027.txt"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    out = StringIO()
    call_command("load_calendar_year", "--year", "2027", "--notice", str(notice), "--dry-run", stdout=out)
    assert "2027-02-05 Fri holiday  春节" in out.getvalue()
    assert "dry run" in out.getvalue()
    assert not CalendarYear.objects.exists()


def test_the_notice_is_loaded(tmp_path):
    notice = tmp_path / "2027.txt"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    out = StringIO()
    call_command("load_calendar_year", "--year", "2027", "--notice", str(notice), stdout=out)
    assert "loaded 2027: 30 holidays, 6 swapped working days" in out.getvalue()
    assert calendar.next_year_missing(dt.date(2026, 11, 28)) is None
    assert calendar.is_workday(dt.date(2027, 1, 31))


def test_date_lines_are_loaded(tmp_path):
    lines = tmp_path / "2027.csv"
    lines.write_text("2027-02-08,holiday,春节\n", encoding="utf-8")
    call_command("load_calendar_year", "--year", "2027", "--csv", str(lines), stdout=StringIO())
    assert not calendar.is_workday(dt.date(2027, 2, 8))


def test_errors_stop_the_command(tmp_path):
    lines = tmp_path / "2027.csv"
    lines.write_text("2028-02-08,holiday,春节\n", encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("load_calendar_year", "--year", "2027", "--csv", str(lines), stdout=StringIO(), stderr=StringIO())
    assert not CalendarYear.objects.exists()

"""The calendar admin as a superuser uses it: load a year (preview, confirm), overrides, hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.people.tests.factories import TEST_PASSWORD, UserFactory
from gridgov.workcalendar import calendar
from gridgov.workcalendar.models import CalendarDay, CalendarYear, DaySource, WorkingPeriod

from .conftest import NOTICE_2027

pytestmark = pytest.mark.django_db

LOAD = "admin:workcalendar_calendaryear_load"


@pytest.fixture
def admin_client(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.login(username=user.username, password=TEST_PASSWORD)
    client.user = user
    return client


def test_the_loaded_years_list_links_to_the_load_page(admin_client):
    response = admin_client.get(reverse("admin:workcalendar_calendaryear_changelist"))
    assert response.status_code == 200
    assert reverse(LOAD).encode() in response.content


def test_a_notice_is_previewed_then_loaded_on_confirm(admin_client):
    data = {"year": 2027, "fmt": "notice", "text": NOTICE_2027, "note": "国办发明电〔2026〕9号", "preview": "1"}
    response = admin_client.post(reverse(LOAD), data)
    assert response.status_code == 200
    assert not CalendarYear.objects.exists()
    rows = response.context["rows"]
    assert len(rows) == 30 + 6
    assert b'name="confirm"' in response.content
    assert "2027-02-05" in response.content.decode()

    assert calendar.is_workday(dt.date(2027, 2, 10))  # provisional: after 初三, before the notice's swaps
    data.pop("preview")
    response = admin_client.post(reverse(LOAD), {**data, "confirm": "1"})
    assert response.status_code == 302
    year = CalendarYear.objects.get()
    assert (year.year, year.loaded_by, year.note) == (2027, admin_client.user, "国办发明电〔2026〕9号")
    assert CalendarDay.objects.filter(source=DaySource.OFFICIAL).count() == 36
    assert not calendar.is_workday(dt.date(2027, 2, 10))
    assert AuditEvent.objects.filter(action="calendar.year_load", actor=admin_client.user).exists()


def test_an_uploaded_date_file_is_previewed(admin_client):
    upload = SimpleUploadedFile("2027.csv", "2027-02-05,holiday,春节\n2027-01-31,workday,春节\n".encode())
    response = admin_client.post(reverse(LOAD), {"year": 2027, "fmt": "csv", "upload": upload, "preview": "1"})
    assert response.status_code == 200
    assert [row.date for row in response.context["rows"]] == [dt.date(2027, 1, 31), dt.date(2027, 2, 5)]
    assert response.context["parsed"].ok


def test_a_schedule_with_errors_shows_them_and_offers_no_confirm(admin_client):
    text = "一、春节：2月5日至13日放假调休，共8天。"
    response = admin_client.post(reverse(LOAD), {"year": 2027, "fmt": "notice", "text": text, "preview": "1"})
    assert response.status_code == 200
    assert response.context["parsed"].errors
    assert b'name="confirm"' not in response.content
    response = admin_client.post(reverse(LOAD), {"year": 2027, "fmt": "notice", "text": text, "confirm": "1"})
    assert response.status_code == 200
    assert not CalendarYear.objects.exists()


def test_staff_without_rights_cannot_load(client):
    user = UserFactory(username="clerk", is_staff=True)
    client.login(username=user.username, password=TEST_PASSWORD)
    response = client.post(reverse(LOAD), {"year": 2027, "fmt": "notice", "text": NOTICE_2027, "confirm": "1"})
    assert response.status_code == 403
    assert not CalendarYear.objects.exists()


def test_an_override_saved_in_the_admin_goes_through_the_service(admin_client):
    url = reverse("admin:workcalendar_calendarday_add")
    response = admin_client.post(url, {"date": "2026-03-09", "is_workday": "", "name": "停电"})
    assert response.status_code == 302
    day = CalendarDay.objects.get()
    assert (day.date, day.is_workday, day.source) == (dt.date(2026, 3, 9), False, DaySource.ADMIN)
    assert not calendar.is_workday(dt.date(2026, 3, 9))
    change = reverse("admin:workcalendar_calendarday_change", args=[day.pk])
    response = admin_client.post(change, {"date": "2026-03-10", "is_workday": "", "name": "停电"})
    assert response.status_code == 302
    assert list(CalendarDay.objects.values_list("date", flat=True)) == [dt.date(2026, 3, 10)]
    day = CalendarDay.objects.get()
    delete = reverse("admin:workcalendar_calendarday_delete", args=[day.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not CalendarDay.objects.exists()
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("calendar.override") == 2 and actions.count("calendar.override_clear") == 2


def test_the_day_list_filters_by_year(admin_client):
    CalendarDay.objects.create(date=dt.date(2026, 3, 9), is_workday=False)
    CalendarDay.objects.create(date=dt.date(2027, 3, 9), is_workday=False)
    response = admin_client.get(reverse("admin:workcalendar_calendarday_changelist"), {"year": "2027"})
    assert response.status_code == 200
    assert [d.date.year for d in response.context["cl"].result_list] == [2027]


def test_an_overlapping_working_period_is_refused_on_the_form(admin_client):
    url = reverse("admin:workcalendar_workingperiod_add")
    response = admin_client.post(url, {"start": "11:00", "end": "14:00"})
    assert response.status_code == 200
    assert WorkingPeriod.objects.count() == 2
    response = admin_client.post(url, {"start": "18:00", "end": "20:00"})
    assert response.status_code == 302
    assert calendar.working_minutes_per_day() == 450 + 120


def test_deleting_a_loaded_year_goes_through_the_service(admin_client):
    from gridgov.workcalendar.services import official_year_load

    year = official_year_load(actor=None, year=2027, holidays=[(dt.date(2027, 2, 8), "春节")], workdays=[])
    delete = reverse("admin:workcalendar_calendaryear_delete", args=[year.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not CalendarYear.objects.exists() and not CalendarDay.objects.exists()
    assert AuditEvent.objects.filter(action="calendar.year_unload").exists()


def test_the_calendar_view_colours_holidays_and_swapped_days(admin_client):
    response = admin_client.get(reverse("admin:workcalendar_calendaryear_calendar", args=[2026]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="swapped" title="春节"' in body
    assert 'class="off named" title="春节"' in body
    response = admin_client.get(reverse("admin:workcalendar_calendaryear_calendar", args=[2027]))
    assert response.context["year_known"] is False

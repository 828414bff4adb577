"""What the pages of every workflow answer alike (``gridgov.core.pages``)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import translation

from gridgov.core.pages import department_details, error_page, next_query, query_without
from gridgov.workcalendar.clock import light_label


def test_the_query_string_loses_the_named_parameters_and_gains_the_next_cursor():
    request = RequestFactory().get("/list/", {"status": "open", "cursor": "abc", "q": "road"})

    assert query_without(request, "cursor") == "status=open&q=road"
    assert next_query(request, "xyz") == "status=open&cursor=xyz&q=road"
    assert next_query(request, None) == ""


def test_a_dispatch_shows_the_lead_then_the_cooperating_departments_by_name():
    names = {"roads": "Roads", "water": "Water"}

    with translation.override("en"):
        details = department_details(["roads", "water", "gone"], names)

    assert details == [
        ("Lead department", "Roads"),
        ("Cooperating departments", "Water、gone"),
    ]
    assert department_details([], names) == []


def test_the_error_page_says_what_and_answers_with_its_status():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()

    response = error_page(request, "Nothing here.", 404)

    assert response.status_code == 404
    assert "Nothing here." in response.content.decode()


def test_a_light_code_has_its_label_and_an_unknown_one_none():
    assert light_label("red") != ""
    assert light_label("nonsense") == ""

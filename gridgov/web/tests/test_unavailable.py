"""A page that meets the database out of reach (a restart, a dropped connection) answers 503
with a page that reloads itself, as the API does; any other database error stays the 500 page.

The views here raise what Django raises in that second; the URLs are this module's own."""

from __future__ import annotations

import logging
from unittest import mock

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import DatabaseError, IntegrityError, InterfaceError, OperationalError, ProgrammingError
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from config import urls as project_urls
from gridgov.core.errors import database_unavailable
from gridgov.people.tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

ERRORS: dict[str, Exception] = {
    "restarting": OperationalError("terminating connection due to administrator command"),
    "closed": InterfaceError("connection already closed"),
    "integrity": IntegrityError("duplicate key value violates unique constraint"),
    "programming": ProgrammingError('relation "cases_case" does not exist'),
}


def raising(request: HttpRequest, kind: str) -> HttpResponse:
    raise ERRORS[kind]


urlpatterns = [path("raise/<str:kind>/", raising), path("", include("config.urls"))]
handler500 = project_urls.handler500


@pytest.fixture
def signed_in(world) -> Client:
    client = Client(raise_request_exception=False)
    client.login(username="center01", password=TEST_PASSWORD)
    return client


@pytest.mark.parametrize("kind", ["restarting", "closed"])
def test_a_page_that_meets_the_database_away_answers_503_and_reloads_itself(signed_in, kind):
    response = signed_in.get(f"/raise/{kind}/?page=2")
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.templates[0].name == "errors/503.html"
    assert 'data-testid="error-page"' in html and 'data-status="503"' in html
    assert "系统暂时繁忙" in html and "自动刷新" in html  # Chinese unless the user switched
    assert '<meta http-equiv="refresh" content="2">' in html
    assert 'href="/raise/' + kind + '/?page=2"' in html  # reload now
    assert 'data-testid="send-again"' not in html


def test_a_form_sent_while_the_database_is_away_is_never_sent_again_by_the_page(signed_in):
    response = signed_in.post("/raise/restarting/", {"description": "井盖缺失"})
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert "http-equiv" not in html
    assert 'data-testid="send-again"' in html and "重新提交" in html


def test_an_htmx_request_gets_a_notice_that_is_not_swapped_into_the_page(signed_in):
    response = signed_in.get("/raise/restarting/", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response["HX-Reswap"] == "none"
    assert "data-unavailable" in html and 'role="alert"' in html and "系统暂时繁忙" in html
    assert "<html" not in html and "http-equiv" not in html


def test_the_503_is_one_warning_line_with_the_path_and_no_user(signed_in, caplog):
    with caplog.at_level(logging.WARNING):
        signed_in.get("/raise/restarting/?phone=13800000000")
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelno for r in records] == [logging.WARNING]
    line = records[0].getMessage()
    assert "/raise/restarting/" in line and "OperationalError" in line
    assert "13800000000" not in line and "center01" not in line


@pytest.mark.parametrize("kind", ["integrity", "programming"])
def test_any_other_database_error_stays_the_500_page_and_is_logged(signed_in, caplog, kind):
    with caplog.at_level(logging.WARNING):
        response = signed_in.get(f"/raise/{kind}/")
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert 'data-testid="error-page"' in response.content.decode()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "django.request"]
    assert errors and errors[0].exc_info is not None


def test_a_session_that_cannot_be_loaded_answers_503_and_keeps_the_user_signed_in(signed_in):
    with mock.patch.object(SessionStore, "load", side_effect=OperationalError("connection refused")):
        response = signed_in.get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert "sessionid" not in response.cookies  # not deleted: the user is still signed in
    assert signed_in.get("/").status_code == 200


def test_under_the_api_a_session_that_cannot_be_loaded_answers_the_apis_503(signed_in):
    with mock.patch.object(SessionStore, "load", side_effect=OperationalError("connection refused")):
        response = signed_in.get("/api/v1/cases")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json()["error"]["code"] == "unavailable"


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (OperationalError("could not connect to server"), True),
        (InterfaceError("connection already closed"), True),
        (IntegrityError("duplicate key"), False),
        (ProgrammingError("syntax error"), False),
        (DatabaseError("other"), False),
        (ValueError("not the database"), False),
    ],
)
def test_only_a_database_out_of_reach_counts_as_unavailable(error, unavailable):
    assert database_unavailable(error) is unavailable


def test_the_apis_503_is_one_warning_line_too(signed_in, caplog):
    with (
        mock.patch("gridgov.cases.api.selectors.cases_visible", side_effect=OperationalError("connection refused")),
        caplog.at_level(logging.WARNING),
    ):
        response = signed_in.get("/api/v1/cases")
    assert response.status_code == 503
    assert [r.levelno for r in caplog.records if r.levelno >= logging.WARNING] == [logging.WARNING]

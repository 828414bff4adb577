"""Session middleware: background refreshes are not activity; htmx leaves a page whose
session has ended for the login page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.shortcuts import resolve_url

from gridgov.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BACKGROUND = {"X-GridGov-Background": "1"}


def test_a_page_request_renews_the_session_and_a_background_refresh_does_not(client):
    client.force_login(UserFactory())
    assert settings.SESSION_COOKIE_NAME in client.get("/").cookies
    background = client.get("/", headers={**BACKGROUND, "HX-Request": "true"})
    assert background.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in background.cookies


def test_an_htmx_request_after_the_session_ended_is_sent_to_the_login_page(client):
    response = client.get(
        "/cases/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/cases/?queue=overdue"}
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{resolve_url(settings.LOGIN_URL)}?next=/cases/%3Fqueue%3Doverdue"


def test_a_plain_request_after_the_session_ended_is_redirected_as_usual(client):
    response = client.get("/cases/")
    assert response.status_code == 302 and "HX-Redirect" not in response

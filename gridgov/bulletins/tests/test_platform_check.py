"""Checking the case figures against a city-management platform's (核对): entered by hand,
ours beside them from the indices, each difference explained, settled when all are; bad
figures refused with the field and nothing stored; only the readers of the statistics."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from gridgov.areas.models import Area, AreaLevel
from gridgov.bulletins import platform
from gridgov.bulletins.models import CheckStatus, PlatformCheck
from gridgov.cases.models import Case
from gridgov.cases.tests.test_indices import month  # noqa: F401 - the hand-built March
from gridgov.cases.tests.test_stats_pages import check_every_link
from gridgov.core.errors import Invalid
from gridgov.core.models import AuditEvent

MARCH = dt.date(2026, 3, 1)
# Ours in March: reported 7, registered 5, due 5, closed 4, closed on time 4.
PLATFORM = {"reported": 8, "registered": 5, "closed": 3}


def town() -> Area:
    return Area.objects.current().get(level=AreaLevel.TOWN)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.usefixtures("month")
def test_differences_are_explained_until_the_check_is_settled(people: dict[str, Any]) -> None:
    center = people["center01"]
    check = platform.check_enter(actor=center, town_code=town().code, month=MARCH, platform="", figures=PLATFORM)
    assert check.platform == "城市管理平台"
    assert check.ours == {"reported": 7, "registered": 5, "due": 5, "closed": 4, "closed_on_time": 4}
    assert platform.differences(check) == ["reported", "closed"] and check.status == CheckStatus.OPEN
    check = platform.check_explain(actor=center, pk=check.pk, code="reported", reason="平台把一件重复上报计入")
    assert check.status == CheckStatus.OPEN
    with pytest.raises(Invalid):
        platform.check_explain(actor=center, pk=check.pk, code="registered", reason="一致")
    check = platform.check_explain(actor=center, pk=check.pk, code="closed", reason="平台按月底零点截止")
    assert check.status == CheckStatus.SETTLED
    # A corrected publication: the reported figure now agrees, the closed one's reason stays.
    again = platform.check_enter(
        actor=center, town_code=town().code, month=MARCH, platform="", figures={**PLATFORM, "reported": 7}
    )
    assert again.pk == check.pk and PlatformCheck.objects.count() == 1
    assert platform.differences(again) == ["closed"] and set(again.explanations) == {"closed"}
    assert again.status == CheckStatus.SETTLED
    actions = list(AuditEvent.objects.filter(action__startswith="bulletin.platform").values_list("action", flat=True))
    assert actions.count("bulletin.platform_enter") == 2 and actions.count("bulletin.platform_explain") == 2


@pytest.mark.parametrize(
    ("figures", "field"),
    [({"reported": -1}, "reported"), ({"closed": "十"}, "closed"), ({}, "reported"), ({"due": 10**9}, "due")],
)
def test_bad_figures_are_refused_with_the_field(people: dict[str, Any], figures: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as error:
        platform.check_enter(actor=people["center01"], town_code=town().code, month=MARCH, platform="", figures=figures)
    assert field in (error.value.details or {})
    assert not PlatformCheck.objects.exists()


@pytest.mark.usefixtures("month")
def test_the_page_compares_and_each_of_our_figures_opens_its_cases(people: dict[str, Any]) -> None:
    client = client_for(people["center01"])
    data = {"town": town().code, "month": "2026-03", "platform": "滨海新区数字城管平台", **PLATFORM}
    response = client.post(reverse("bulletins:checks"), data)
    assert response.status_code == 302
    check = PlatformCheck.objects.get()
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "滨海新区数字城管平台" in html and "+1" in html
    assert check_every_link(client, html, minimum=5) == 5
    explained = client.post(response["Location"], {"code": "closed", "reason": "口径不同", "version": check.version})
    assert explained.status_code == 302
    check.refresh_from_db()
    assert check.explanations["closed"]["reason"] == "口径不同"
    refused = client.post(response["Location"], {"code": "closed", "reason": "", "version": check.version})
    assert refused.status_code == 422
    bad = client.post(reverse("bulletins:checks"), {**data, "reported": "-3"})
    assert bad.status_code == 422 and PlatformCheck.objects.count() == 1


@pytest.mark.usefixtures("month")
def test_the_api_enters_and_explains(people: dict[str, Any]) -> None:
    client = client_for(people["leader01"])
    body = {"town": town().code, "month": "2026-03", "figures": PLATFORM}
    created = client.post("/api/v1/bulletins/platform-checks", body, content_type="application/json")
    assert created.status_code == 201, created.content
    check = created.json()
    assert check["differences"] == ["reported", "closed"]
    explained = client.post(
        f"/api/v1/bulletins/platform-checks/{check['id']}/explain",
        {"code": "reported", "reason": "平台含重复件", "version": check["version"]},
        content_type="application/json",
    )
    assert explained.status_code == 200 and explained.json()["status"] == "open"
    stale = client.post(
        f"/api/v1/bulletins/platform-checks/{check['id']}/explain",
        {"code": "closed", "reason": "x", "version": check["version"]},
        content_type="application/json",
    )
    assert stale.status_code == 409
    bad = client.post(
        "/api/v1/bulletins/platform-checks", {**body, "figures": {"closed": -1}}, content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"]["closed"]


def test_only_the_readers_of_the_statistics_check(people: dict[str, Any]) -> None:
    check = platform.check_enter(
        actor=people["center01"], town_code=town().code, month=MARCH, platform="", figures={"reported": 1}
    )
    for name in ("grid01", "dept01", "gridlead01"):
        client = client_for(people[name])
        assert client.get(reverse("bulletins:checks")).status_code == 403
        assert client.get(reverse("bulletins:check", args=[check.pk])).status_code == 404
        assert client.get(f"/api/v1/bulletins/platform-checks/{check.pk}").status_code == 404
    assert Case.objects.count() == 0

"""Bulk reveals of personal data are throttled per user and hour, and the discipline office is
told once (issue 13, item 15)."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.cases import services
from gridgov.cases.tests.loop_helpers import report
from gridgov.core.errors import Throttled
from gridgov.core.models import AuditEvent
from gridgov.notify.models import Notification


def test_reveals_beyond_the_hourly_limit_are_refused_and_the_office_is_told_once(
    people: dict[str, Any], settings: Any
) -> None:
    settings.GRIDGOV_REVEALS_PER_HOUR = 3
    case = report(people, by="grid01", party_kind="resident", party_name="王小明", party_phone="13812345678")
    center = people["center01"]
    for _ in range(3):
        assert services.reveal_party(case, actor=center)["party_phone"] == "13812345678"
    for _ in range(2):
        with pytest.raises(Throttled) as refused:
            services.reveal_party(case, actor=center)
        assert refused.value.status == 429
    assert AuditEvent.objects.filter(action="case.reveal_party", actor=center).count() == 3
    assert AuditEvent.objects.filter(action="security.reveal_throttled", actor=center).count() == 2
    told = Notification.objects.filter(kind="security.reveal_throttled")
    assert {n.recipient.username for n in told} == {"super01"}
    assert told.count() == 1
    # Another user is not affected.
    assert services.reveal_party(case, actor=people["leader01"])["party_name"] == "王小明"


def test_the_api_answers_429_with_the_retry_time(people: dict[str, Any], settings: Any) -> None:
    from django.test import Client

    from gridgov.people.services import token_issue

    settings.GRIDGOV_REVEALS_PER_HOUR = 1
    case = report(people, by="grid01", party_kind="resident", party_name="王小明", party_phone="13812345678")
    _token, raw = token_issue(actor=people["center01"], user=people["center01"], name="t")
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert client.post(f"/api/v1/cases/{case.pk}/reveal").status_code == 200
    refused = client.post(f"/api/v1/cases/{case.pk}/reveal")
    assert refused.status_code == 429
    assert refused.json()["error"]["details"]["retry_after_seconds"] == 3600


def test_the_page_says_so_in_chinese_with_429(people: dict[str, Any], settings: Any, client: Any) -> None:
    settings.GRIDGOV_REVEALS_PER_HOUR = 1
    case = report(people, by="grid01", party_kind="resident", party_name="王小明", party_phone="13812345678")
    client.force_login(people["center01"])
    assert client.post(f"/cases/{case.pk}/reveal/").status_code == 200
    refused = client.post(f"/cases/{case.pk}/reveal/")
    assert refused.status_code == 429 and "纪检" in refused.content.decode()

"""Households' care tags (独居老人, 残疾人, 留守儿童, 低保户) are personal data (issue 15):
encrypted at rest, masked in every list, page and API, shown in full by the audited household
reveal; the worker's own due list carries them; the visit plans still follow them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from gridgov.core.models import AuditEvent
from gridgov.visits import selectors, services
from gridgov.visits.models import Household, VisitPlan

from .conftest import api, home_grid

pytestmark = pytest.mark.usefixtures("clean_basic_data")
URL = "/api/v1/visits"
with translation.override("zh-hans"):
    MASK = gettext("Cared for ●●")  # 关怀对象 ●●


def household(user: Any, address: str = "太平村3排5号", tags: tuple[str, ...] = ("disabled",)) -> Household:
    return services.household_save(
        actor=user,
        grid=home_grid(user),
        address=address,
        head_name="王秀兰",
        head_phone="13812348888",
        member_count=1,
        care_tags=tags,
    )[0]


def browser_client(user: Any) -> Client:
    client = Client(headers={"Accept-Language": "zh-hans"})
    client.force_login(user)
    return client


def test_care_tags_are_encrypted_at_rest_and_kept_out_of_the_audit(people):
    saved = household(people["grid01"], tags=("disabled", "low_income"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT care_tags_sealed, cared FROM visits_household WHERE id = %s", [saved.pk])
        sealed, cared = cursor.fetchone()
    assert sealed.startswith("enc1:") and "disabled" not in sealed and cared
    fresh = Household.objects.get(pk=saved.pk)
    assert fresh.care_tags == ["disabled", "low_income"]
    audit = AuditEvent.objects.get(action="visits.household_create")
    assert "disabled" not in str(audit.data) and "low_income" not in str(audit.data)
    untagged = household(people["grid01"], address="太平村3排6号", tags=())
    assert not Household.objects.get(pk=untagged.pk).cared


def test_the_api_masks_care_tags_for_the_worker_and_the_town_wide_supervisor(people):
    saved = household(people["grid01"])
    household(people["grid01"], address="太平村3排6号", tags=())
    for name in ("grid01", "super01"):
        client = api(people[name])
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
        items = {i["id"]: i for i in client.get(f"{URL}/households").json()["items"]}
        assert saved.pk in items, name
        text = str(items)
        assert "disabled" not in text and "残疾人" not in text, name
        assert items[saved.pk]["care_tags"] == MASK
        assert {i["care_tags"] for i in items.values()} == {MASK, ""}
        assert client.get(f"{URL}/households/{saved.pk}").json()["care_tags"] == MASK


def test_the_web_list_and_page_mask_care_tags_until_the_audited_reveal(people):
    saved = household(people["grid01"])
    client = browser_client(people["grid01"])
    listing = client.get("/visits/households/").content.decode()
    assert MASK in listing and "残疾人" not in listing
    page = client.get(f"/visits/households/{saved.pk}/").content.decode()
    assert MASK in page and "残疾人" not in page
    assert not AuditEvent.objects.filter(action="visits.household_reveal").exists()
    revealed = client.post(f"/visits/households/{saved.pk}/reveal/", headers={"HX-Request": "true"})
    assert "残疾人" in revealed.content.decode()
    assert AuditEvent.objects.filter(action="visits.household_reveal", object_id=str(saved.pk)).count() == 1
    # The supervisor reads the town's list, masked too (and may not reveal).
    supervisor = browser_client(people["super01"]).get("/visits/households/").content.decode()
    assert MASK in supervisor and "残疾人" not in supervisor


def test_the_worker_s_due_list_carries_the_tags_a_leader_s_overdue_list_masks_them(people):
    VisitPlan.objects.update_or_create(care_tag="disabled", defaults={"interval_days": 3, "active": True})
    today = timezone.localdate()
    saved = household(people["grid01"])
    Household.objects.filter(pk=saved.pk).update(created_at=timezone.now() - dt.timedelta(days=5))
    due = {d.household.pk: d for d in selectors.due_today(people["grid01"], today=today) if d.household}
    assert due[saved.pk].interval_days == 3  # the plan follows the encrypted tag
    own = api(people["grid01"]).get(f"{URL}/due").json()["items"]
    assert own[0]["care_tags"] == ["disabled"] and own[0]["tags"] == ["disabled"]
    leader = api(people["gridlead01"])
    leader.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    overdue = leader.get(f"{URL}/overdue").json()["items"]
    assert overdue and overdue[0]["household_id"] == saved.pk
    assert overdue[0]["care_tags"] == [] and overdue[0]["tag_labels"] == [MASK]
    page = browser_client(people["gridlead01"]).get("/visits/overdue/").content.decode()
    assert MASK in page and "残疾人" not in page

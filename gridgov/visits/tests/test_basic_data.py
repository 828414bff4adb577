"""Households and units: encrypted at rest, masked, revealed with an audit row, never
visible outside the grid's scope; the API's lists."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client

from gridgov.core.models import AuditEvent
from gridgov.core.reveals import REVEAL_ACTIONS
from gridgov.visits import selectors, services
from gridgov.visits.models import Household, UnitKind
from gridgov.visits.services import VisitForbidden

from .conftest import api, home_grid

pytestmark = pytest.mark.usefixtures("clean_basic_data")


def household(user: Any, **overrides: Any) -> Household:
    values: dict[str, Any] = {
        "actor": user,
        "grid": home_grid(user),
        "address": "太平村3排5号",
        "head_name": "王秀兰",
        "head_phone": "13812348888",
        "member_count": 1,
        "care_tags": ["elderly_alone"],
    }
    values.update(overrides)
    return services.household_save(**values)[0]


def test_personal_data_is_encrypted_at_rest(people):
    saved = household(people["grid01"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT address, head_name, head_phone FROM visits_household WHERE id = %s", [saved.pk])
        row = cursor.fetchone()
    assert all(value.startswith("enc1:") for value in row)
    assert "王秀兰" not in "".join(row) and "13812348888" not in "".join(row)
    fresh = Household.objects.get(pk=saved.pk)
    assert (fresh.head_name, fresh.head_phone, fresh.address) == ("王秀兰", "13812348888", "太平村3排5号")
    audit = AuditEvent.objects.get(action="visits.household_create")
    assert "王秀兰" not in str(audit.data) and "13812348888" not in str(audit.data)


def test_the_grid_and_address_are_the_natural_key(people):
    first = household(people["grid01"])
    again, outcome = services.household_save(
        actor=people["grid01"],
        grid=home_grid(people["grid01"]),
        address=" 太平村３排５号 ",
        head_name="王秀兰",
        head_phone="13812348888",
        member_count=2,
        care_tags=["elderly_alone"],
    )
    assert again.pk == first.pk and outcome == "updated" and again.member_count == 2
    assert Household.objects.count() == 1


def test_the_api_masks_and_the_reveal_is_audited_and_counted(people):
    saved = household(people["grid01"])
    client = api(people["grid01"])
    body = client.get("/api/v1/visits/households").json()
    item = body["items"][0]
    assert item["head_name"] == "王**" and item["head_phone"] == "138****8888"
    assert "3排5号" not in item["address"]
    revealed = client.post(f"/api/v1/visits/households/{saved.pk}/reveal").json()
    assert revealed == {
        "head_name": "王秀兰",
        "head_phone": "13812348888",
        "address": "太平村3排5号",
        "care_tags": ["elderly_alone"],
    }
    audit = AuditEvent.objects.get(action="visits.household_reveal")
    assert audit.actor == people["grid01"] and audit.object_id == str(saved.pk)
    assert "visits.household_reveal" in REVEAL_ACTIONS


def test_the_hourly_reveal_limit_holds_for_households(people, settings):
    settings.GRIDGOV_REVEALS_PER_HOUR = 2
    saved = household(people["grid01"])
    client = api(people["grid01"])
    assert client.post(f"/api/v1/visits/households/{saved.pk}/reveal").status_code == 200
    assert client.post(f"/api/v1/visits/households/{saved.pk}/reveal").status_code == 200
    assert client.post(f"/api/v1/visits/households/{saved.pk}/reveal").status_code == 429


def test_another_grid_s_worker_and_a_department_see_nothing(people):
    saved = household(people["grid01"])
    unit = services.unit_save(
        actor=people["grid01"],
        grid=home_grid(people["grid01"]),
        kind=UnitKind.SHOP,
        name="太平超市",
        contact_name="李强",
        contact_phone="13900001111",
    )[0]
    for name in ("grid02", "dept01"):
        user = people[name]
        assert not selectors.households_visible(user).exists()
        assert not selectors.units_visible(user).exists()
        client = api(user)
        assert client.get("/api/v1/visits/households").json()["items"] == []
        assert client.get("/api/v1/visits/units").json()["items"] == []
        assert client.get(f"/api/v1/visits/households/{saved.pk}").status_code == 404
        assert client.post(f"/api/v1/visits/households/{saved.pk}/reveal").status_code == 404
        assert client.get(f"/api/v1/visits/units/{unit.pk}").status_code == 404
    assert not AuditEvent.objects.filter(action="visits.household_reveal").exists()
    # The village's grid leader and the town's center see it.
    assert selectors.households_visible(people["gridlead01"]).filter(pk=saved.pk).exists()
    assert selectors.households_visible(people["center01"]).filter(pk=saved.pk).exists()


def test_a_worker_cannot_write_into_another_grid(people):
    with pytest.raises(VisitForbidden):
        household(people["grid02"], grid=home_grid(people["grid01"]))
    with pytest.raises(ValidationError):
        household(people["grid01"], head_phone="not a phone")


def test_the_household_page_masks_and_reveals(people):
    saved = household(people["grid01"])
    client = Client()
    client.force_login(people["grid01"])
    page = client.get(f"/visits/households/{saved.pk}/").content.decode()
    assert "王**" in page and "王秀兰" not in page and "13812348888" not in page
    assert "王秀兰" not in client.get("/visits/households/").content.decode()
    revealed = client.post(f"/visits/households/{saved.pk}/reveal/", headers={"HX-Request": "true"}).content.decode()
    assert "王秀兰" in revealed and "13812348888" in revealed
    other = Client()
    other.force_login(people["grid02"])
    assert other.get(f"/visits/households/{saved.pk}/").status_code == 404
    assert other.post(f"/visits/households/{saved.pk}/reveal/").status_code == 404


def test_opening_the_edit_form_is_an_audited_reveal(people):
    saved = household(people["grid01"])
    unit, _outcome = services.unit_save(
        actor=people["grid01"],
        unit=None,
        grid=home_grid(people["grid01"]),
        kind=UnitKind.SHOP,
        name="便民超市",
        address="太平村商业街1号",
        contact_name="李红梅",
        contact_phone="13900001111",
        hazard_tags=[],
        lat=None,
        lng=None,
    )
    client = Client()
    client.force_login(people["grid01"])
    before = AuditEvent.objects.filter(action__in=["visits.household_reveal", "visits.unit_reveal"]).count()
    assert "13812348888" in client.get(f"/visits/households/{saved.pk}/edit/").content.decode()
    assert "13900001111" in client.get(f"/visits/units/{unit.pk}/edit/").content.decode()
    after = AuditEvent.objects.filter(action__in=["visits.household_reveal", "visits.unit_reveal"]).count()
    assert after == before + 2


def test_the_discipline_supervisor_reads_but_never_edits(people):
    saved = household(people["grid01"])
    client = Client()
    client.force_login(people["super01"])
    assert client.get(f"/visits/households/{saved.pk}/").status_code == 200
    assert client.get(f"/visits/households/{saved.pk}/edit/").status_code == 403
    page = client.post(f"/visits/households/{saved.pk}/edit/", {"grid": saved.grid.code, "address": "x"})
    assert page.status_code == 403
    with pytest.raises(VisitForbidden):
        services.household_save(
            actor=people["super01"],
            grid=saved.grid,
            address="另一户",
            head_name="",
            head_phone="",
            member_count=1,
            care_tags=[],
        )


def test_who_edits_no_grid_is_refused_the_forms_before_filling_them(people):
    client = Client()
    client.force_login(people["dept01"])
    for url in ("/visits/households/new/", "/visits/units/new/", "/visits/import/"):
        assert client.get(url).status_code == 403, url


def test_the_pages_answer(people):
    household(people["grid01"])
    client = Client()
    client.force_login(people["gridlead01"])
    for url in (
        "/visits/",
        "/visits/households/",
        "/visits/units/?show=key",
        "/visits/overdue/",
        "/visits/coverage/",
        "/visits/import/",
        "/visits/households/new/",
        "/visits/units/new/",
    ):
        assert client.get(url).status_code == 200, url
    center = Client()
    center.force_login(people["center01"])
    cockpit = center.get("/cases/cockpit/").content.decode()
    assert "/visits/coverage/" in cockpit and "/visits/overdue/" in cockpit


def test_the_unit_list_masks_the_contact_and_reveals_it_audited(people, settings):
    unit, _outcome = services.unit_save(
        actor=people["grid01"],
        grid=home_grid(people["grid01"]),
        kind=UnitKind.SHOP,
        name="便民超市",
        contact_name="李红梅",
        contact_phone="13900001111",
    )
    client = Client()
    client.force_login(people["grid01"])
    page = client.get("/visits/units/").content.decode()
    assert "李**" in page and "李红梅" not in page and "13900001111" not in page
    url = f"/visits/units/{unit.pk}/reveal/"
    assert f'hx-post="{url}"' in page and f'hx-target="#unit-contact-{unit.pk}"' in page
    revealed = client.post(url, headers={"HX-Request": "true"}).content.decode()
    assert "李红梅" in revealed and "13900001111" in revealed and f'id="unit-contact-{unit.pk}"' in revealed
    assert 'data-testid="revealed"' in revealed
    audit = AuditEvent.objects.get(action="visits.unit_reveal", object_id=str(unit.pk))
    assert audit.actor == people["grid01"] and "visits.unit_reveal" in REVEAL_ACTIONS
    # Without htmx: a small page with the contact in full.
    assert "李红梅" in client.post(url).content.decode()
    # Outside the unit's scope: not found, nothing recorded; who only reads sees no button.
    other = Client()
    other.force_login(people["grid02"])
    assert other.post(url).status_code == 404
    supervisor = Client()
    supervisor.force_login(people["super01"])
    listed = supervisor.get("/visits/units/").content.decode()
    assert 'data-testid="reveal"' not in listed
    assert AuditEvent.objects.filter(action="visits.unit_reveal").count() == 2

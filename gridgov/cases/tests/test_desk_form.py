"""The center's new-case form: the category tree with pinyin initials, the place search over
the town's own names, errors at the top and beside the field, over-long text refused with its
count, Chinese colons, and one-step register and dispatch."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from gridgov.areas.models import Area, AreaLevel, PlaceKind
from gridgov.areas.services import PlaceIn, places_save
from gridgov.cases.models import Case, Status
from gridgov.cases.services import DESCRIPTION_MAX
from gridgov.cases.tests.test_views_center import grid_of
from gridgov.cases.tests.test_views_field import client_for

pytestmark = pytest.mark.django_db
NEW = reverse("cases:new")


def data(people: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "category": "parking.long_term",
        "description": "市民来电：小区门口车辆占道",
        "grid": grid_of(people["grid01"]).code,
        "urgency": "normal",
        "source": "center",
        **extra,
    }


def test_the_category_tree_carries_pinyin_initials(people):
    html = client_for(people["center01"]).get(NEW).content.decode()
    assert 'data-testid="category-tree"' in html and 'name="category_pick"' in html
    assert 'data-initials="WZTC"' in html or 'data-initials="CLCQZD"' in html or "data-initials=" in html
    assert "名称或拼音首字母" in html


def test_register_and_dispatch_in_one_step(people):
    client = client_for(people["center01"])
    response = client.post(NEW, data(people, dispatch_now="on", lead="traffic_police"))
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.status == Status.DISPATCHED and case.lead_department.code == "traffic_police"
    assert list(case.events.values_list("action", flat=True).order_by("id"))[-2:] == ["register", "dispatch"]


def test_over_long_text_is_refused_with_its_count_at_the_top_and_beside_the_field(people):
    client = client_for(people["center01"])
    long_text = "占" * (DESCRIPTION_MAX + 5)
    response = client.post(NEW, data(people, description=long_text))
    html = response.content.decode()
    assert response.status_code == 422 and not Case.objects.exists()
    assert f"{DESCRIPTION_MAX + 5}" in html and "未作删减" in html
    assert 'data-testid="form-errors"' in html and 'href="#id_description"' in html
    assert html.count(f"{DESCRIPTION_MAX + 5}") >= 2  # the summary and beside the field
    assert long_text in html  # kept, never cut
    assert f' maxlength="{DESCRIPTION_MAX}"' not in html and f'data-maxlength="{DESCRIPTION_MAX}"' in html


def test_labels_end_with_a_chinese_colon(people):
    html = client_for(people["center01"]).get(NEW).content.decode()
    assert "描述：</label>" in html or "描述：" in html
    assert ":</label>" not in html


def test_the_place_search_finds_villages_roads_and_landmarks_by_name_or_initials(people):
    town = Area.objects.current().get(level=AreaLevel.TOWN)
    places_save(actor=None, town=town, places=[PlaceIn("太平镇卫生院", PlaceKind.LANDMARK, 39.1, 117.1)])
    client = client_for(people["center01"])
    found = client.get(reverse("area-places"), {"q": "卫生院"}).json()["places"]
    assert [p["name"] for p in found] == ["太平镇卫生院"] and found[0]["lat"] == 39.1
    by_initials = client.get(reverse("area-places"), {"q": "tpzwsy"}).json()["places"]
    assert [p["name"] for p in by_initials] == ["太平镇卫生院"]
    village = Area.objects.current().filter(level=AreaLevel.VILLAGE).first()
    assert village.name in [p["name"] for p in client.get(reverse("area-places"), {"q": village.name}).json()["places"]]
    assert client.get(reverse("area-places"), {"q": ""}).json() == {"places": []}


def test_the_demo_has_the_towns_place_names(people):
    from gridgov.areas.models import Place

    assert Place.objects.filter(kind=PlaceKind.ROAD).exists() and Place.objects.filter(kind=PlaceKind.LANDMARK).exists()

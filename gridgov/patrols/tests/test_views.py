"""The patrol pages: the list and one patrol with its map and findings, scoped like the API;
the navigation entry for the center and grid leaders."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.patrols.models import Patrol
from gridgov.patrols.services import TrackPoint, patrol_record
from gridgov.web.nav import NAV, entries_for

from .conftest import home_grid, new_id, walk


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def stored(user: Any, start: dt.datetime, track: bool = True) -> Patrol:
    patrol, _created = patrol_record(
        actor=user,
        client_id=new_id(),
        started_at=start,
        ended_at=start + dt.timedelta(minutes=45),
        track=[TrackPoint(**p) for p in walk(user, start=start)] if track else [],
        consent=True,
    )
    return patrol


def test_the_list_shows_the_patrols_the_viewer_may_see(people, django_assert_max_num_queries):
    start = timezone.now() - dt.timedelta(hours=3)
    mine, other = stored(people["grid01"], start), stored(people["grid02"], start)
    center = client_for(people["center01"])
    with django_assert_max_num_queries(14):
        response = center.get(reverse("patrols:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-patrol="{mine.pk}"' in html and f'data-patrol="{other.pk}"' in html

    village = client_for(people["gridlead01"]).get(reverse("patrols:list")).content.decode()
    assert f'data-patrol="{mine.pk}"' in village and f'data-patrol="{other.pk}"' not in village
    dept = client_for(people["dept01"]).get(reverse("patrols:list")).content.decode()
    assert "data-patrol=" not in dept

    grid = home_grid(people["grid02"]).code
    filtered = client_for(people["center01"]).get(reverse("patrols:list"), {"grid": grid}).content.decode()
    assert f'data-patrol="{other.pk}"' in filtered and f'data-patrol="{mine.pk}"' not in filtered
    assert client_for(people["center01"]).get(reverse("patrols:list"), {"cursor": "%%%"}).status_code == 200
    assert Client().get(reverse("patrols:list")).status_code == 302


def test_the_patrol_page_draws_the_route_over_the_grid_and_lists_findings(people):
    patrol = stored(people["grid01"], timezone.now() - dt.timedelta(hours=2))
    response = client_for(people["gridlead01"]).get(reverse("patrols:detail", args=[patrol.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="patrol-map"' in html and "patrols/detail.js" in html and "vendor/leaflet/leaflet.js" in html
    config = response.context["map_config"]
    assert config["areaUrl"] == reverse("api:area_detail", args=[patrol.grid.code])
    assert config["track"] == [[lat, lng] for _t, lat, lng, _a in patrol.track]
    assert json.dumps(config["track"][0])[1:5] in html  # the config is in the page

    empty = stored(people["grid01"], timezone.now() - dt.timedelta(hours=5), track=False)
    page = client_for(people["center01"]).get(reverse("patrols:detail", args=[empty.pk])).content.decode()
    assert 'data-testid="patrol-no-track"' in page

    assert client_for(people["grid02"]).get(reverse("patrols:detail", args=[patrol.pk])).status_code == 404
    assert client_for(people["dept01"]).get(reverse("patrols:detail", args=[patrol.pk])).status_code == 404


def test_the_navigation_entry_is_for_the_center_and_grid_leaders(people):
    assert any(entry.key == "patrol-list" for entry in NAV)

    def keys(user: str) -> set[str]:
        return {link.key for link in entries_for(people[user], NAV)}

    for name in ("center01", "leader01", "gridlead01", "super01"):
        assert "patrol-list" in keys(name), name
    for name in ("grid01", "dept01"):
        assert "patrol-list" not in keys(name), name

"""The web shell through the test client: login, logout, navigation per role, home, map."""

from __future__ import annotations

import json
import pathlib
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from gridgov.people.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def nav_keys(html: str) -> list[str]:
    nav = re.search(r'<nav class="mainnav".*?</nav>', html, re.S)
    return re.findall(r'data-nav="([a-z_]+)"', nav.group(0)) if nav else []


def html_of(response) -> str:
    return response.content.decode()


# --- login and logout -----------------------------------------------------------------


def test_the_login_page_is_in_chinese_by_default(client):
    response = client.get(reverse("login"))
    html = html_of(response)
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert "网格化服务管理平台" in html
    assert "用户名" in html and "密码" in html


def test_the_login_page_stays_chinese_for_a_browser_that_prefers_english(client):
    html = html_of(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9"))
    assert '<html lang="zh-hans">' in html
    assert "登录" in html


def test_a_right_password_logs_in_and_goes_home(client, world):
    response = client.post(reverse("login"), {"username": "center01", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session[SESSION_KEY] == str(world.users["center01"].pk)


def test_login_follows_a_local_next_but_not_an_outside_one(client, world):
    response = client.post(
        reverse("login") + "?next=/map/", {"username": "center01", "password": TEST_PASSWORD, "next": "/map/"}
    )
    assert response["Location"] == "/map/"
    client.logout()
    response = client.post(
        reverse("login"), {"username": "center01", "password": TEST_PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")


def test_a_wrong_password_shows_a_chinese_error_and_does_not_log_in(client, world):
    response = client.post(reverse("login"), {"username": "center01", "password": "wrong-password"})
    html = html_of(response)
    assert response.status_code == 200
    assert "用户名或密码错误。" in html
    assert 'data-testid="login-error"' in html
    assert SESSION_KEY not in client.session


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(client, world):
    unknown = html_of(client.post(reverse("login"), {"username": "nobody", "password": "wrong-password"}))
    wrong = html_of(client.post(reverse("login"), {"username": "center01", "password": "wrong-password"}))

    def error(html: str) -> str:
        found = re.search(r'data-testid="login-error">(.*?)</div>', html, re.S)
        assert found is not None
        return found.group(1).strip()

    assert error(unknown) == error(wrong)


def test_an_empty_form_marks_the_missing_fields(client):
    html = html_of(client.post(reverse("login"), {"username": "", "password": ""}))
    assert html.count('class="field-error"') == 2


def test_a_signed_in_user_who_opens_login_goes_home(client, world):
    client.force_login(world.users["center01"])
    response = client.get(reverse("login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_logout_works_by_post_only(client, world):
    client.force_login(world.users["center01"])
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert SESSION_KEY not in client.session


# --- home and navigation per role -------------------------------------------------------


def test_home_needs_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


def test_the_center_operator_sees_home_and_map_but_no_admin_links(client, world):
    client.force_login(world.users["center01"])
    html = html_of(client.get(reverse("home")))
    assert nav_keys(html) == ["home", "map"]
    assert "首页" in html and "网格地图" in html
    assert "/admin/" not in html
    assert 'data-testid="calendar-warning"' not in html
    assert "任宇" in html and "综治中心受理员" in html


def test_the_center_operator_sees_the_whole_town_summed_up(client, world):
    client.force_login(world.users["center01"])
    response = client.get(reverse("home"))
    summary = response.context["summary"]
    assert (summary.villages, summary.grids, summary.households, summary.departments) == (2, 4, 1200, 1)
    assert [bar.name for bar in summary.chart] == ["Village 1", "Village 2"]
    assert [bar.households for bar in summary.chart] == [600, 600]
    assert 'id="households-chart"' in html_of(response)


def test_a_grid_worker_sees_only_their_grid(client, world):
    client.force_login(world.users["grid01"])
    response = client.get(reverse("home"))
    summary = response.context["summary"]
    assert (summary.villages, summary.grids, summary.households) == (0, 1, 300)
    assert response.context["chart_by_grid"] is True
    assert [bar.code for bar in summary.chart] == [world.grids[0].code]
    html = html_of(response)
    assert 'data-stat="villages"' not in html
    assert 'id="households-chart"' not in html  # one bar says nothing new
    assert nav_keys(html) == ["home", "map"]
    assert "/admin/" not in html


def test_a_department_handler_sees_their_department_and_no_admin_links(client, world):
    client.force_login(world.users["dept01"])
    response = client.get(reverse("home"))
    html = html_of(response)
    assert nav_keys(html) == ["home", "map"]
    assert "交警太平中队" in html
    assert "/admin/" not in html


def test_the_supervisor_sees_everything_but_no_admin_links(client, world):
    client.force_login(world.users["super01"])
    response = client.get(reverse("home"))
    assert response.context["summary"].everything is True
    assert response.context["summary"].grids == 4
    html = html_of(response)
    assert nav_keys(html) == ["home", "map"]
    assert "/admin/" not in html


def test_the_administrator_sees_administration_and_status(client, world, monkeypatch):
    monkeypatch.setattr("gridgov.workcalendar.calendar.next_year_missing", lambda today=None: None)
    client.force_login(world.users["admin"])
    html = html_of(client.get(reverse("home")))
    assert nav_keys(html) == ["home", "map", "admin", "status"]
    assert "系统管理" in html and "系统状态" in html
    assert 'href="/admin/"' in html and 'href="/admin/status/"' in html
    assert 'data-link="calendar"' in html
    assert 'data-testid="calendar-warning"' not in html


def test_the_administrator_is_warned_when_next_years_holidays_are_missing(client, world, monkeypatch):
    monkeypatch.setattr("gridgov.workcalendar.calendar.next_year_missing", lambda today=None: 2027)
    client.force_login(world.users["admin"])
    html = html_of(client.get(reverse("home")))
    assert 'data-testid="calendar-warning"' in html
    assert "尚未导入2027年的法定节假日安排" in html
    assert reverse("admin:workcalendar_calendaryear_changelist") in html


def test_an_admin_role_without_staff_status_gets_no_admin_site_link(client, world, monkeypatch):
    monkeypatch.setattr("gridgov.workcalendar.calendar.next_year_missing", lambda today=None: None)
    admin = world.users["admin"]
    admin.is_staff = False
    admin.save(update_fields=["is_staff"])
    client.force_login(admin)
    assert nav_keys(html_of(client.get(reverse("home")))) == ["home", "map"]


def test_a_user_without_a_role_is_told_to_ask_the_administrator(client, world):
    client.force_login(world.users["norole"])
    response = client.get(reverse("home"))
    html = html_of(response)
    assert 'data-testid="no-role"' in html
    assert "尚未分配角色" in html
    assert nav_keys(html) == ["home"]
    assert 'id="households-chart"' not in html


def test_the_current_page_is_marked_in_the_navigation(client, world):
    client.force_login(world.users["center01"])
    html = html_of(client.get(reverse("map")))
    assert re.search(r'data-nav="map" class="active" aria-current="page"', html)
    assert not re.search(r'data-nav="home" class="active"', html)


# --- language ---------------------------------------------------------------------------


def test_the_language_switch_changes_to_english_and_back(client, world):
    client.force_login(world.users["center01"])
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = html_of(client.get(reverse("home")))
    assert '<html lang="en">' in html
    assert ">Home<" in html and ">Map<" in html
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in html_of(client.get(reverse("home")))


def test_every_page_offers_the_language_switch(client, world):
    html = html_of(client.get(reverse("login")))
    assert 'action="/i18n/setlang/"' in html
    assert 'value="en"' in html and 'value="zh-hans"' in html


# --- map --------------------------------------------------------------------------------


def test_leaflets_own_texts_come_from_the_pages_translations(client, world):
    """Every page that loads Leaflet loads it through partials/_leaflet.html: the zoom buttons'
    tooltips and the other control texts in the page's language, set before any map is made."""
    client.force_login(world.users["center01"])
    html = html_of(client.get(reverse("map")))
    leaflet, texts, setter = (
        html.index("/static/vendor/leaflet/leaflet.js"),
        html.index('id="leaflet-text"'),
        html.index("/static/web/js/leaflet_text.js"),
    )
    assert leaflet < texts < setter < html.index("/static/web/js/map.js")
    found = re.search(r'<script type="application/json" id="leaflet-text">(.*?)</script>', html)
    assert found is not None
    texts = json.loads(found.group(1))
    assert set(texts) == {"zoomIn", "zoomOut", "library", "marker", "closePopup"}
    assert (texts["zoomIn"], texts["zoomOut"]) == ("放大", "缩小")  # the page's language
    root = pathlib.Path(__file__).resolve().parents[2]
    direct = [
        str(path.relative_to(root))
        for path in root.rglob("templates/**/*.html")
        if "vendor/leaflet/leaflet.js" in path.read_text() and path.name != "_leaflet.html"
    ]
    assert direct == []  # every page takes Leaflet with its texts


def test_the_map_needs_login(client):
    response = client.get(reverse("map"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/map/"


def test_the_map_loads_leaflet_from_static_and_no_tiles_by_default(client, world):
    client.force_login(world.users["center01"])
    response = client.get(reverse("map"))
    html = html_of(response)
    assert response.status_code == 200
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/vendor/leaflet/leaflet.css" in html
    config = response.context["map_config"]
    assert config["tileUrl"] == ""
    assert config["areasUrl"] == "/api/v1/areas"
    assert config["locateUrl"] == "/api/v1/areas/locate"
    assert config["imagePath"] == "/static/vendor/leaflet/images/"
    assert "http://" not in html and "https://" not in html


def test_the_map_adds_the_configured_tile_layer(client, world, settings):
    settings.MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    settings.MAP_TILE_ATTRIBUTION = "Example tiles"
    client.force_login(world.users["center01"])
    config = client.get(reverse("map")).context["map_config"]
    assert config["tileUrl"] == "https://tiles.example/{z}/{x}/{y}.png"
    assert config["tileAttribution"] == "Example tiles"


def test_the_map_data_comes_from_the_scoped_api_with_the_session(client, world):
    client.force_login(world.users["grid01"])
    grids = client.get("/api/v1/areas?level=grid").json()
    assert [feature["properties"]["code"] for feature in grids["features"]] == [world.grids[0].code]


# --- admin ------------------------------------------------------------------------------


def test_the_admin_site_has_chinese_titles(client, world):
    client.force_login(world.users["admin"])
    html = html_of(client.get(reverse("admin:index")))
    assert "网格化服务管理平台 · 系统管理" in html
    assert "系统配置" in html


def test_the_home_page_needs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    client.force_login(world.users["center01"])
    # The shell (session, user, scope, nav) plus the bell's unread count, the center's case
    # panel (its area paths and one aggregate over the queues), the loaded calendar years (the
    # provisional-year banner), the role rows the administrators' separation reads and the
    # weekly analyses' panel (one aggregate, the list only when something waits): fixed,
    # whatever the data size. Counted on the second request: the first builds the per-process
    # caches (the scope's role rows, the tables' existence) or finds them built by an earlier
    # test of the same worker, which made the figure depend on the order tests ran in.
    client.get(reverse("home"))
    with django_assert_max_num_queries(17):
        client.get(reverse("home"))

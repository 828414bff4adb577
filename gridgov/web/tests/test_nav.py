"""The navigation and home panels as data: later features add entries without other changes."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from gridgov.people.models import Role
from gridgov.web import nav, panels
from gridgov.web.context_processors import display_name, shell

pytestmark = pytest.mark.django_db


def test_an_added_entry_appears_for_its_roles_only(world, monkeypatch):
    before = [link.key for link in nav.entries_for(world.users["center01"], nav.NAV)]
    entry = nav.NavEntry("extra", "Extra", "map", roles=frozenset({Role.CENTER_OPERATOR}))
    monkeypatch.setattr(nav, "NAV", [*nav.NAV, entry])
    keys = [link.key for link in nav.entries_for(world.users["center01"], nav.NAV)]
    assert keys == [*before, "extra"]
    assert "extra" not in [link.key for link in nav.entries_for(world.users["grid01"], nav.NAV)]


def test_an_entry_whose_page_does_not_exist_yet_uses_its_plain_path_or_is_left_out(world):
    later = nav.NavEntry("later", "Later", "no-such-url", fallback_path="/later/")
    missing = nav.NavEntry("missing", "Missing", "no-such-url")
    links = nav.entries_for(world.users["center01"], [later, missing])
    assert [(link.key, link.url) for link in links] == [("later", "/later/")]


def test_home_is_active_only_on_the_home_page(world):
    user = world.users["center01"]
    assert [link.key for link in nav.entries_for(user, nav.NAV, "/") if link.active] == ["home"]
    assert [link.key for link in nav.entries_for(user, nav.NAV, "/map/") if link.active] == ["map"]
    assert [link.key for link in nav.entries_for(user, nav.NAV, "/elsewhere/") if link.active] == []


def test_nobody_signed_out_gets_any_entry():
    from django.contrib.auth.models import AnonymousUser

    assert nav.entries_for(AnonymousUser(), nav.NAV) == []


def test_a_home_panel_is_rendered_for_its_roles(client, world, monkeypatch, tmp_path, settings):
    template_dir = tmp_path / "templates"
    (template_dir / "test").mkdir(parents=True)
    (template_dir / "test" / "panel.html").write_text("<h2>Panel {{ panel.count }}</h2>")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], template_dir]},
    ]
    panel = panels.HomePanel(
        "test", "test/panel.html", roles=frozenset({Role.CENTER_OPERATOR}), context=lambda user: {"count": 7}
    )
    monkeypatch.setattr(panels, "HOME_PANELS", [panel])
    client.force_login(world.users["center01"])
    assert "<h2>Panel 7</h2>" in client.get("/").content.decode()
    client.force_login(world.users["grid01"])
    assert "Panel" not in client.get("/").content.decode()


def test_the_display_name_is_the_staff_profile_name_else_the_username(world):
    from gridgov.people.tests.factories import UserFactory

    assert display_name(world.users["center01"]) == "任宇"
    assert display_name(UserFactory(username="plain")) == "plain"


def test_the_context_processor_gives_names_roles_and_map_settings(world, settings):
    settings.MAP_TILE_URL = ""
    request = RequestFactory().get("/")
    request.user = world.users["center01"]
    context = shell(request)
    assert str(context["user_display_name"]) == "任宇"
    assert [str(label) for label in context["user_role_labels"]] == ["综治中心受理员"]
    assert [link.key for link in context["nav"]] == [
        "home",
        "map",
        "case-workbench",
        "case-stats",
        "hotline-workbench",
        "upstream-delivery",
        "patrol-list",
        "patrol-days",
        "visit-basic-data",
        "visit-list",
        "bulletin-list",
        "weekly-list",
        "summary-list",
        "meeting-list",
        "assessment-periods",
        "assignment-list",
        "ledger-import",
        "notice-manage",
    ]
    assert context["map_tile_url"] == ""


def test_added_entries_go_before_the_administration_links_in_their_order_once(monkeypatch):
    monkeypatch.setattr(nav, "NAV", [nav.NavEntry("home", "Home", "home"), nav.NavEntry("admin", "Admin", "x")])
    first, second = nav.NavEntry("one", "One", "map"), nav.NavEntry("two", "Two", "map")

    nav.add_entries([first, second])
    nav.add_entries([second, first])

    assert [entry.key for entry in nav.NAV] == ["home", "one", "two", "admin"]


def test_added_panels_come_after_those_added_earlier_once(monkeypatch):
    monkeypatch.setattr(panels, "HOME_PANELS", [panels.HomePanel("earlier", "a.html")])
    panel = panels.HomePanel("later", "b.html")

    panels.add_panels([panel])
    panels.add_panels([panel])

    assert [item.key for item in panels.HOME_PANELS] == ["earlier", "later"]


def test_the_bar_keeps_ungrouped_links_and_folds_each_group_into_one_menu():
    def link(key, group=""):
        return nav.NavLink(key=key, label=key, url=f"/{key}/", active=key == "b", group=group)

    bar = nav.sections([link("home"), link("a", "grid"), link("b", "grid"), link("c", "figures"), link("d", "nowhere")])

    assert [(section.key, section.link is not None) for section in bar] == [
        ("home", True),
        ("grid", False),
        ("c", True),  # the only link of its group stands on the bar itself
        ("d", True),  # an unknown group does not hide its link
    ]
    assert [item.key for item in bar[1].links] == ["a", "b"]
    assert bar[1].active and not bar[0].active


def test_each_feature_page_of_the_center_sits_in_a_menu(world):
    links = nav.entries_for(world.users["center01"], nav.NAV)
    bar = nav.sections(links)
    # The assessment is the center's only page of the oversight menu: it stands on the bar.
    assert [section.key for section in bar] == [
        "home",
        "map",
        "case-workbench",
        "hotline-workbench",
        "assignment-list",
        "grid",
        "figures",
        "assessment-periods",
        "system",
    ]

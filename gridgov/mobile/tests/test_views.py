"""The app shell, its manifest, its service worker and the category index of the phone app."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django.test import Client
from PIL import Image

from gridgov.core.pinyin import initial, initials
from gridgov.mobile import strings, views
from gridgov.people.services import token_issue

JS = Path(views.STATIC_DIR) / "mobile" / "js"


def test_the_shell_is_one_page_with_its_manifest_config_and_module(client: Client) -> None:
    response = client.get("/m/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'rel="manifest" href="/m/manifest.webmanifest"' in html
    assert 'type="module" src="/static/mobile/js/app.js"' in html
    match = re.search(r'<script id="m-config" type="application/json">(.*?)</script>', html, re.S)
    assert match
    config = json.loads(match.group(1))
    assert config["sw"] == "/m/sw.js"
    assert config["api"] == "/api/v1"
    assert config["categories"] == "/m/categories.json"
    assert config["version"] == views.app_version()
    assert config["patrolMaxPoints"] == 2000  # the phone thins a patrol's track to what the server takes
    assert "no-cache" in response["Cache-Control"]


def test_the_manifest_installs_a_standalone_chinese_app_with_plain_and_maskable_icons(client: Client) -> None:
    response = client.get("/m/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["lang"] == "zh-CN"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == manifest["scope"] == "/m/"
    assert manifest["theme_color"] == views.THEME_COLOUR
    icons = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert icons == {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")}


def test_the_icons_are_committed_pngs_of_their_size() -> None:
    for name in ("icon", "maskable"):
        for size in (192, 512):
            with Image.open(views.STATIC_DIR / "mobile" / "icons" / f"{name}-{size}.png") as image:
                assert image.format == "PNG"
                assert image.size == (size, size)


def test_the_service_worker_is_served_from_the_app_scope_with_a_versioned_precache(client: Client) -> None:
    response = client.get("/m/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/m/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert f'const VERSION = "{views.app_version()}";' in body
    precache = json.loads(re.search(r"const PRECACHE = (\[.*?\]);", body).group(1))  # type: ignore[union-attr]
    for url in ("/m/", "/m/manifest.webmanifest", "/static/mobile/js/app.js", "/static/mobile/js/sync.js"):
        assert url in precache
    assert "/static/vendor/leaflet/leaflet.js" in precache
    assert not any(url.endswith("package.json") for url in precache)
    assert 'from "/static/mobile/js/swroutes.js"' in body


def test_the_version_changes_with_the_shell_files(settings: Any) -> None:
    before = views._digest()
    settings.GRIDGOV_MOBILE_VERSION = "another build"
    assert views._digest() != before


def test_the_category_index_needs_a_token(client: Client, people: dict[str, Any]) -> None:
    response = client.get("/m/categories.json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    bad = client.get("/m/categories.json", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401


def test_the_category_index_lists_minor_classes_with_pinyin_initials(people: dict[str, Any]) -> None:
    _token, raw = token_issue(actor=people["grid01"], user=people["grid01"], name="test")
    response = Client().get("/m/categories.json", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    items = {item["code"]: item for item in response.json()}
    assert items["parking.minor"]["name"] == "违规停车劝导"
    assert items["parking.minor"]["initials"] == "WGTCQD"
    assert items["parking.minor"]["major"] == "parking"
    assert items["parking.minor"]["major_initials"] == "JTZX"
    assert items["parking.minor"]["self_handle_allowed"] is True
    assert items["appearance.street_vendor"]["initials"] == "ZDJY"
    assert all("." in code for code in items), "only minor classes"


def test_a_web_session_may_read_the_category_index_too(client: Client, people: dict[str, Any]) -> None:
    client.force_login(people["grid01"])
    assert client.get("/m/categories.json").status_code == 200


def test_pinyin_initials_of_common_characters() -> None:
    assert initials("违章停车") == "WZTC"
    assert initials("园林绿化") == "YLLH"
    assert initials("啊座") == "AZ"  # the first and the last level-1 characters
    assert initials("A-1 路") == "A1L"
    assert initial("鬲") == ""  # level 2: ordered by radical, no initial
    assert initial("😀") == ""


def test_every_text_of_the_scripts_is_in_the_translation_catalogue() -> None:
    used: set[str] = set()
    for path in JS.glob("*.js"):
        used.update(re.findall(r'\bt\(\s*"((?:[^"\\]|\\.)*)"', path.read_text(encoding="utf-8")))
    assert used
    assert used <= set(strings.SOURCES), sorted(used - set(strings.SOURCES))
    assert set(strings.SOURCES) <= used, sorted(set(strings.SOURCES) - used)

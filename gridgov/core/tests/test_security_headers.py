"""Response headers (issue 13, item 13): CSP without inline script, Permissions-Policy, no-store
for a signed-in user's pages and for the API, HSTS over HTTPS; no template carries inline script."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.test import Client

import gridgov
from gridgov.core.middleware import content_security_policy


def test_every_page_gets_the_policy_and_a_signed_in_users_pages_are_not_stored(people: dict[str, Any]) -> None:
    client = Client()
    login = client.get("/login/")
    assert "script-src 'self'" in login["Content-Security-Policy"]
    assert "'unsafe-inline'" not in login["Content-Security-Policy"]
    assert "style-src 'self';" in login["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in login["Content-Security-Policy"]
    assert "geolocation=(self)" in login["Permissions-Policy"]
    client.force_login(people["center01"])
    for path in ("/", "/cases/", "/hotline/"):
        assert client.get(path)["Cache-Control"] == "no-store", path
    assert Client().get("/api/v1/cases")["Cache-Control"] == "no-store"


def test_the_map_tiles_host_is_allowed_for_images_when_configured(settings: Any) -> None:
    settings.MAP_TILE_URL = "https://{s}.tiles.example.gov.cn/{z}/{x}/{y}.png"
    assert "img-src 'self' data: blob: https://*.tiles.example.gov.cn" in content_security_policy()


def test_hsts_is_sent_over_https_in_production(client: Client, settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    assert "Strict-Transport-Security" in client.get("/login/", secure=True)
    assert "Strict-Transport-Security" not in client.get("/login/")


def test_no_template_carries_inline_script_or_event_handlers() -> None:
    root = Path(gridgov.__file__).resolve().parent
    offenders = []
    for path in root.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", text):
            offenders.append(f"{path.relative_to(root)}: {match.group(0)}")
        if re.search(r"\son[a-z]+\s*=\s*[\"']", text):
            offenders.append(f"{path.relative_to(root)}: an on* handler")
        # Styles come from style sheets too (style-src 'self' without 'unsafe-inline').
        if re.search(r"<style[\s>]", text):
            offenders.append(f"{path.relative_to(root)}: a <style> element")
        if re.search(r"\sstyle\s*=\s*[\"']", text):
            offenders.append(f"{path.relative_to(root)}: a style attribute")
    assert offenders == []

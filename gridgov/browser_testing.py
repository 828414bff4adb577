"""Shared pieces of the browser tests: Playwright driving the system Chromium.

Test modules mark themselves with ``pytestmark = BROWSER_MARKS`` and use the ``browser``
fixture of the root ``conftest.py``; screenshots go to ``var/screenshots/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import sync_playwright

# Playwright's sync API runs an event loop in the test's thread; Django's ORM refuses to be
# called from such a thread unless told that it is safe (a test drives one request at a time).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"

BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="the system Chromium is not installed"),
]


def launch_chromium() -> Iterator[Any]:
    """The system Chromium, headless, for one test module (see the ``browser`` fixture)."""
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

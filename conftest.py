"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded files of a test go to its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module")
def browser():
    """The system Chromium for the browser tests of one module (``gridgov.browser_testing``)."""
    pytest.importorskip("playwright.sync_api")
    from gridgov.browser_testing import launch_chromium

    yield from launch_chromium()

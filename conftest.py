"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest
from django.db.backends.base.operations import BaseDatabaseOperations

_execute_sql_flush = BaseDatabaseOperations.execute_sql_flush


def _flush_through_the_audit_gate(self, sql_list):
    """Between transactional tests Django empties every table; the audit table refuses deletes
    (gridgov/core/audit_guard.py) except inside the maintenance gate, so the flush opens it."""
    from gridgov.core.audit import audit_maintenance

    with audit_maintenance(self.connection.alias):
        _execute_sql_flush(self, sql_list)


BaseDatabaseOperations.execute_sql_flush = _flush_through_the_audit_gate


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


@pytest.fixture(autouse=True)
def _one_session_write_per_page(request):
    """Browser tests: the live server's test database is an in-memory SQLite shared between the
    server's threads, where two writes at once fail at once ("table is locked") instead of
    waiting as a real database does. A page's parallel fetches (the map's areas, htmx parts)
    would each rewrite the session, so these tests save the session only when it changes."""
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    settings = request.getfixturevalue("settings")
    settings.SESSION_SAVE_EVERY_REQUEST = False
    yield

"""Fixtures shared by the whole suite (a pytest plugin, registered from the root ``conftest.py``).

The Taiping demo
================
Many tests act as the demo's named accounts (``center01``, ``grid01``, …) in the demo's town.
Loading the demo through the services (:func:`gridgov.demo.loader.load_demo`) takes most of a
second, and tests ask for it in some forty modules and twenty transactional tests. So:

- ``taiping_snapshot`` (session): the first test of a test process (each xdist worker is one)
  that needs the demo loads it once, in a transaction that is rolled back, and keeps the rows
  it added (:mod:`gridgov.testing.snapshot`). The session's database itself stays empty: tests
  that do not ask for the demo still get the empty database they expect.
- ``taiping`` (module): the snapshot restored by bulk ``INSERT`` inside a transaction around
  the module, rolled back after its last test. Each test runs in pytest-django's own
  transaction (a savepoint inside it) and is rolled back, so every test of the module starts
  from the same demo. A restore costs tens of milliseconds.
- ``demo`` (function): for tests that need real commits (``live_server`` and the browser,
  threads with their own connections, PostgreSQL row locks). It asks for
  ``transactional_db``, restores the snapshot and commits it; pytest-django empties the tables
  after the test (flush), as for any transactional test. Returns the demo password.

Why not a copy of the whole database (SQLite's backup API, PostgreSQL's
``CREATE DATABASE … TEMPLATE``)? Switching databases under a running test session means
closing and reopening every connection and cannot happen inside a transaction; the rows a
loader adds are few (about 1,200) and inserting them back is faster than either, the same on
both databases, and composes with the per-test rollback.

The process caches that the demo's data feeds (the locate index of grids, the working
calendar) are forgotten whenever the demo comes or goes.

The test database
=================
The suite runs with ``--no-migrations`` (``pyproject.toml``): pytest-django creates the tables
straight from the models, a tenth of the time of running the migrations (which matters for a
single test). ``makemigrations --check`` (``make check``) keeps the models and the migrations
the same, and ``DATA_MIGRATIONS`` below writes the rows that data migrations write, so the
database is the one the migrations build. The migrations themselves still run: on SQLite in the
Celery round-trip test (``manage.py migrate`` into the worker's database) and on PostgreSQL in
``make test-pg`` (``--migrations``).

Other shared fixtures: ``people`` (the named demo accounts by username), ``browser`` (the
system Chromium for one module), a media folder per test, and the one-session-write rule of the
browser tests.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from gridgov.testing import snapshot

# The migrations that do more than what the models say (RunPython, RunSQL): without migrations
# their forward operations run here, in this order. gridgov/testing/tests checks the list.
DATA_MIGRATIONS = [
    "gridgov.core.migrations.0004_auditevent_append_only",  # the triggers that refuse UPDATE/DELETE
    "gridgov.workcalendar.migrations.0002_seed_working_periods",
    "gridgov.categories.migrations.0003_table_versions",  # the triggers of the cached tables' versions
    "gridgov.people.migrations.0006_table_versions",
    "gridgov.visits.migrations.0002_default_plans",  # the default visit plan of each care tag
    "gridgov.visits.migrations.0003_unit_visit_plans",  # the default plans of units and key places
    "gridgov.cases.migrations.0018_case_village_index",  # PostgreSQL: a village's cases by date
    "gridgov.cases.migrations.0025_case_text_grams",  # PostgreSQL: the text filter's index
    "gridgov.hotline.migrations.0006_order_text_grams",  # PostgreSQL: the text filter's index
]
# Data migrations that only move rows already there: nothing to do in a new, empty database.
EMPTY_DATABASE_NOOPS = [
    "gridgov.cases.migrations.0008_party_encrypted",
    "gridgov.core.migrations.0003_auditevent_chain_existing_rows",
    "gridgov.hotline.migrations.0003_copy_event_ids_from_data",
    "gridgov.notify.migrations.0003_notification_title_into_params",
    "gridgov.cases.migrations.0010_case_milestones_backfill",
    "gridgov.categories.migrations.0002_category_photo_flags",
    "gridgov.people.migrations.0005_otp_secrets_encrypted",
    "gridgov.cases.migrations.0013_case_handling_minutes",
    "gridgov.assessment.migrations.0002_result_area_of_people",
    "gridgov.visits.migrations.0005_care_tags_encrypted",
    "gridgov.cases.migrations.0016_case_rollup_coarse",  # coarse rows of the grid rows already kept
    "gridgov.cases.migrations.0020_rollup_people_rows",  # the person levels' rows of the cases already kept
    "gridgov.cases.migrations.0021_rollup_day_rows",  # the day levels' rows of the cases already kept
    "gridgov.cases.migrations.0022_ledger_cases_without_a_village_grid",  # imported cases already kept
    "gridgov.cases.migrations.0023_rollup_village_levels",  # coarse rows of the grid rows already kept
    "gridgov.cases.migrations.0024_rollup_dimension_indexes",  # indexes the models declare too
    "gridgov.cases.migrations.0026_case_category_reported",  # an index the model declares too
    "gridgov.cases.migrations.0027_case_open_area",  # an index the model declares too
    "gridgov.cases.migrations.0028_case_department_area",  # an index the model declares too
    "gridgov.cases.migrations.0029_rollup_person_source",  # the person levels' rows of the cases already kept
    "gridgov.cases.migrations.0030_rollup_town_category_source",  # coarse rows of the grid rows already kept
    "gridgov.cases.migrations.0031_rollup_level_area_index",  # an index the model declares too
    "gridgov.cases.migrations.0032_rollup_district_levels",  # coarse rows of the grid rows already kept
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that commits may also use the read replica (a test mirror of the primary,
    ``config/test_settings.py``): a statistics page opened after a commit reads through the
    replica's own connection, as in production (gridgov/core/dbrouter.py). The other tests run
    inside a transaction, where every read goes to the primary, and keep the replica closed (a
    second SQLite connection would stumble on the locks of their transaction)."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if marker is not None and "databases" in marker.kwargs:
            continue
        fixtures = set(getattr(item, "fixturenames", ()))
        committing = bool(marker is not None and (marker.kwargs.get("transaction") or marker.args[:1] == (True,)))
        if not committing and not fixtures & {"transactional_db", "live_server"}:
            continue
        kwargs = {**(marker.kwargs if marker is not None else {}), "databases": "__all__"}
        item.add_marker(pytest.mark.django_db(*(marker.args if marker is not None else ()), **kwargs), append=False)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_use_migrations: bool, django_db_blocker: Any) -> None:
    """pytest-django's test database, with the rows of the data migrations when the tables were
    made from the models."""
    if django_db_use_migrations:
        return
    from django.apps import apps
    from django.db.migrations import RunPython

    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        for name in DATA_MIGRATIONS:
            for operation in importlib.import_module(name).Migration.operations:
                if not isinstance(operation, RunPython):
                    continue  # a schema operation: the models already say it
                forwards: Any = operation.code  # typed for the migrations' historical apps
                forwards(apps, editor)


def forget_process_caches() -> None:
    """The in-process caches built from the demo's rows (the grids' locate index, the
    working calendar) are dropped; they are rebuilt from the database on their next use."""
    from gridgov.areas import locate
    from gridgov.core import tableversions
    from gridgov.workcalendar import calendar

    locate.reset()
    calendar.reset()
    tableversions.reset_all()


def _load_demo() -> None:
    from gridgov.demo.loader import load_demo

    load_demo(allow_production_db=True)


@pytest.fixture(scope="session")
def taiping_snapshot(django_db_setup: Any, django_db_blocker: Any) -> snapshot.Snapshot:
    """The rows of the Taiping demo (areas, departments, categories, people and their roles,
    and the audit rows of their creation), loaded once per test process."""
    with django_db_blocker.unblock():
        taken = snapshot.take(_load_demo)
    forget_process_caches()
    return taken


@pytest.fixture(scope="module")
def taiping(taiping_snapshot: snapshot.Snapshot, django_db_blocker: Any) -> Iterator[None]:
    """The demo's areas, departments, categories and people (no cases, no orders) for one
    test module, inside a transaction rolled back after the module."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            snapshot.restore(taiping_snapshot)
            forget_process_caches()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            forget_process_caches()


def named_people() -> dict[str, Any]:
    """The named demo accounts (``admin``, ``center01``, ``leader01``, ``dept01``, ``dept02``,
    ``gridlead01``, ``grid01``, ``grid02``, ``super01``, ``upstream01``) by username."""
    from gridgov.demo.taiping import generate

    names = [person.username for person in generate().people if person.named]
    return {user.username: user for user in get_user_model().objects.filter(username__in=names)}


@pytest.fixture
def people(taiping: None, db: None) -> dict[str, Any]:
    """The named demo accounts by username (:func:`named_people`)."""
    return named_people()


@pytest.fixture
def demo(transactional_db: None, taiping_snapshot: snapshot.Snapshot) -> Iterator[str]:
    """The demo committed to the database (for tests that need real commits); the tables are
    emptied after the test. Returns the named accounts' password."""
    from gridgov.demo.loader import DEMO_PASSWORD

    if connection.in_atomic_block:
        raise RuntimeError("`demo` commits: a module that uses it cannot also use `taiping`")
    forget_process_caches()
    snapshot.restore(taiping_snapshot)
    yield DEMO_PASSWORD
    forget_process_caches()


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path: Any) -> None:
    """Uploaded files of a test go to its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """The system Chromium for the browser tests of one module (``gridgov.browser_testing``)."""
    from gridgov.browser_testing import launch_chromium

    yield from launch_chromium()


@pytest.fixture(autouse=True)
def _one_session_write_per_page(request: pytest.FixtureRequest) -> Iterator[None]:
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

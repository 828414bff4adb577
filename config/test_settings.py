"""Settings for the test suite: the normal settings with test switches turned on."""

import copy
import os

os.environ.setdefault("GRIDGOV_TESTING", "1")

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
# The embedded default's transport and folders (set for filesystem://) would win over the URL:
# the suite would read the var/celery queue of a demo run on the same checkout.
for _name in ("CELERY_BROKER_TRANSPORT", "CELERY_BROKER_TRANSPORT_OPTIONS"):
    globals().pop(_name, None)
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Reminders are not spaced in the suite (the state machines remind at machine speed); the
# spacing has its own tests (core/tests/test_reminders.py), which set the interval.
GRIDGOV_REMIND_INTERVAL_MINUTES = 0
# The suite's SQLite database is in memory, as Django makes it for its own SQLite backend
# (pytest-django recognises only that backend's name: for another it would name a file after
# the path of the real database).
if DATABASES["default"]["ENGINE"] in SQLITE_ENGINES:  # noqa: F405
    DATABASES["default"].setdefault("TEST", {}).setdefault("NAME", ":memory:")  # noqa: F405
# The read replica (gridgov/core/dbrouter.py) as a test mirror of the primary: its own
# connection to the test database, so the statistics that tests commit are read through it;
# read-only on PostgreSQL, as a replica is.
DATABASES["replica"] = copy.deepcopy(DATABASES["default"])  # noqa: F405
# Readers take no write lock (SQLite's IMMEDIATE transactions would, against the primary's).
DATABASES["replica"].get("OPTIONS", {}).pop("transaction_mode", None)  # noqa: F405
if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["replica"]["OPTIONS"]["options"] += " -c default_transaction_read_only=on"  # noqa: F405
DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # noqa: F405

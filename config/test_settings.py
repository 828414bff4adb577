"""Settings for the test suite: the normal settings with test switches turned on."""

import os

os.environ.setdefault("GRIDGOV_TESTING", "1")

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Reminders are not spaced in the suite (the state machines remind at machine speed); the
# spacing has its own tests (core/tests/test_reminders.py), which set the interval.
GRIDGOV_REMIND_INTERVAL_MINUTES = 0

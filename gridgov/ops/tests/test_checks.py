"""The deployment checks of gridgov/ops/checks.py and `make prod-check`'s settings."""

from __future__ import annotations

from typing import Any

from django.core.checks import run_checks

from scripts.prod_check import EXAMPLE, production_env


def ids(**_: Any) -> set[str]:
    found = run_checks(include_deployment_checks=True)
    return {message.id or "" for message in found if (message.id or "").startswith("ops.")}


def test_a_development_setup_is_told_what_production_needs(settings: Any) -> None:
    settings.GRIDGOV_METRICS_TOKEN = ""
    settings.GRIDGOV_METRICS_ALLOWED_IPS = []
    settings.CSRF_TRUSTED_ORIGINS = []
    found = ids()
    assert {"ops.W002", "ops.W003", "ops.W004", "ops.W005"} <= found  # memory broker, local cache...


def test_a_production_setup_passes(settings: Any) -> None:
    settings.DATABASES = {
        **settings.DATABASES,
        "default": {**settings.DATABASES["default"], "ENGINE": "django.db.backends.postgresql"},
    }
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x/2"}}
    settings.GRIDGOV_METRICS_TOKEN = "t" * 32
    settings.GRIDGOV_METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://gridgov.example.gov.cn"]
    assert ids() == set()


def test_errors(settings: Any) -> None:
    settings.GRIDGOV_2FA_ROLES = []
    settings.GRIDGOV_METRICS_TOKEN = "short"
    settings.GRIDGOV_METRICS_ALLOWED_IPS = ["not-an-address"]
    assert {"ops.E001", "ops.E002", "ops.E003"} <= ids()


def test_the_stored_files_storage_must_import_and_encrypt(settings: Any) -> None:
    default = settings.STORAGES["default"]
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "gridgov.nowhere.Storage"}}
    assert "ops.E004" in ids()
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    assert "ops.W006" in ids()
    settings.STORAGES = {**settings.STORAGES, "default": default}
    assert not {"ops.E004", "ops.W006"} & ids()


def test_the_example_env_has_every_variable_the_settings_read(tmp_path: Any) -> None:
    """deploy/env.example names every variable config/settings.py reads (but the suite's)."""
    import re
    from pathlib import Path

    from django.conf import settings

    source = (Path(settings.BASE_DIR) / "config" / "settings.py").read_text()
    read = set(re.findall(r'env_(?:str|bool|list|int)\(\s*"([A-Z0-9_]+)"', source))
    read |= {"GRIDGOV_VAR_DIR"}
    read -= {"GRIDGOV_TESTING"}
    env = production_env(EXAMPLE, tmp_path)
    missing = read - set(env)
    assert not missing
    assert "CHANGE_ME" not in "".join(env.values())


def test_static_files_are_readable_by_the_web_server() -> None:
    """nginx serves STATIC_ROOT as another user: not the stored files' 0600/0700 (found by
    the deployment trial, docs/deployment.md)."""
    from django.conf import settings

    storage: dict[str, Any] = dict(settings.STORAGES["staticfiles"])
    options = storage["OPTIONS"]
    assert options == {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755}

"""Deployment checks (``manage.py check --deploy``; ``make prod-check`` fails on any): what
docs/deployment.md asks of a production installation beyond Django's own checks."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from gridgov.core.filecrypt import encrypts


@register(Tags.security, deploy=True)
def production_services(app_configs: Any = None, **kwargs: Any) -> list[Error | Warning]:
    found: list[Error | Warning] = []
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        found.append(
            Warning(
                "The database is not PostgreSQL.",
                hint="Set DATABASE_URL=postgres://… (docs/deployment.md); SQLite is for one machine and the demo.",
                id="ops.W001",
            )
        )
    broker = settings.CELERY_BROKER_URL
    if not broker.startswith(("redis://", "rediss://", "amqp://")):
        found.append(
            Warning(
                f"The Celery broker is {broker.split(':', 1)[0]}://, not a server.",
                hint="Set CELERY_BROKER_URL=redis://… so that web and workers on several machines share the queues.",
                id="ops.W002",
            )
        )
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        found.append(
            Warning(
                "The cache is not Redis.",
                hint="Set CACHE_URL=redis://…: the web processes and the workers share version counters there.",
                id="ops.W003",
            )
        )
    found.extend(_media_storage())
    if not settings.GRIDGOV_2FA_ROLES:
        found.append(Error("GRIDGOV_2FA_ROLES is empty: nobody logs in with two-step verification.", id="ops.E001"))
    if not settings.GRIDGOV_METRICS_TOKEN and not settings.GRIDGOV_METRICS_ALLOWED_IPS:
        found.append(
            Warning(
                "/metrics is off: neither GRIDGOV_METRICS_TOKEN nor GRIDGOV_METRICS_ALLOWED_IPS is set.",
                hint="Give the monitoring system a token (docs/operations.md, 'Metrics').",
                id="ops.W004",
            )
        )
    for network in settings.GRIDGOV_METRICS_ALLOWED_IPS:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            found.append(
                Error(f"GRIDGOV_METRICS_ALLOWED_IPS: {network!r} is not an address or network.", id="ops.E002")
            )
    if settings.GRIDGOV_METRICS_TOKEN and len(settings.GRIDGOV_METRICS_TOKEN) < 24:
        found.append(Error("GRIDGOV_METRICS_TOKEN is shorter than 24 characters.", id="ops.E003"))
    if not settings.CSRF_TRUSTED_ORIGINS:
        found.append(
            Warning(
                "CSRF_TRUSTED_ORIGINS is empty.",
                hint="Set it to the https:// address users open, e.g. https://gridgov.example.gov.cn.",
                id="ops.W005",
            )
        )
    return found


def _media_storage() -> list[Error | Warning]:
    backend = settings.STORAGES["default"]["BACKEND"]
    try:
        storage = import_string(backend)
    except ImportError as error:
        return [
            Error(
                f"The stored files' storage {backend} cannot be imported ({error}).",
                hint="MEDIA_S3_BUCKET needs `pip install -r requirements/object-storage.txt` (docs/deployment.md).",
                id="ops.E004",
            )
        ]
    if not encrypts(storage):
        return [
            Warning(
                f"The stored files' storage {backend} does not encrypt them at rest.",
                hint="Use gridgov.core.filecrypt.EncryptedFileSystemStorage or set MEDIA_S3_BUCKET (docs/security.md).",
                id="ops.W006",
            )
        ]
    return []

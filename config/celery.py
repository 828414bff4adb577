"""The Celery application.

The broker comes from ``CELERY_BROKER_URL`` (see settings): the embedded default is
kombu's filesystem transport under ``var/celery`` and needs no server; production sets a
``redis://`` URL.
"""

import os
from datetime import UTC, datetime

from celery import Celery
from celery.signals import before_task_publish

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("gridgov")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@before_task_publish.connect
def _stamp_heartbeat(sender: str | None = None, body: object = None, **_kwargs: object) -> None:
    """Stamp the heartbeat with the time beat published it, so /healthz can tell a
    silent beat from a silent worker (the task records both times)."""
    if sender == "gridgov.core.tasks.heartbeat" and isinstance(body, tuple) and len(body) >= 2:
        kwargs = body[1]
        if isinstance(kwargs, dict) and not kwargs.get("sent_at"):
            kwargs["sent_at"] = datetime.now(UTC).isoformat()

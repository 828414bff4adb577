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
    """When beat publishes the heartbeat task, record beat's own heartbeat and stamp the
    task with the time, so /healthz can tell a silent beat from a silent worker."""
    if sender != "gridgov.core.tasks.heartbeat" or not isinstance(body, tuple) or len(body) < 2:
        return
    now = datetime.now(UTC)
    kwargs = body[1]
    if isinstance(kwargs, dict) and not kwargs.get("sent_at"):
        kwargs["sent_at"] = now.isoformat()
    from gridgov.core import services

    services.heartbeat_record(component="beat", seen_at=now, sent_at=now)

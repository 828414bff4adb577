"""Prometheus metrics (docs/operations.md, "Metrics").

Two kinds:

- Request metrics, counted by :class:`gridgov.ops.middleware.MetricsMiddleware` in each web
  process: requests by view, method and status, and their latency. Under gunicorn each worker
  is a process of its own; with ``PROMETHEUS_MULTIPROC_DIR`` set (deploy/gridgov-web.service)
  the workers write their figures to files there and the scrape adds them up
  (prometheus_client's multiprocess mode; deploy/gunicorn.conf.py empties the folder at start
  and marks dead workers).
- State read at scrape time from the database and the broker (:class:`StateCollector`): the
  queue depth of each Celery queue, the backlog and oldest age of the two outboxes
  (notifications and upstream messages), overdue cases and hotline orders, import runs by
  kind and status, and the age of the beat and worker heartbeats. Nothing is cached: a scrape
  every 15 to 60 seconds costs a few indexed counts.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from typing import Any, Final

from celery import current_app
from django.conf import settings
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gridgov.cases import selectors as case_selectors
from gridgov.core.health import check_components
from gridgov.core.outbox import Backlog
from gridgov.hotline import selectors as hotline_selectors
from gridgov.hotline.importing import selectors as import_selectors
from gridgov.ledger import selectors as ledger_selectors
from gridgov.notify import selectors as notify_selectors
from gridgov.upstream import selectors as upstream_selectors

logger = logging.getLogger("gridgov.ops.metrics")

# Latency buckets for pages and API calls (seconds): most answer in tens of milliseconds, an
# export or a bulletin in seconds.
LATENCY_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter(
    "gridgov_http_requests",
    "HTTP requests answered, by view, method and status code.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "gridgov_http_request_duration_seconds",
    "Time from the request reaching the application to its response, by view and method.",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
)


def observe(view: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(view=view, method=method, status=str(status)).inc()
    LATENCY.labels(view=view, method=method).observe(seconds)


# --- state read at scrape time ------------------------------------------------------------


def queue_depths() -> dict[str, int | None]:
    """Messages waiting in each Celery queue of ``GRIDGOV_QUEUES``; ``None`` when the broker
    did not answer. A queue never used yet counts 0."""
    depths: dict[str, int | None] = dict.fromkeys(settings.GRIDGOV_QUEUES)
    try:
        with current_app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
            channel: Any = connection.default_channel
            for name in depths:
                try:
                    depths[name] = int(channel.queue_declare(queue=name, passive=True).message_count)
                except Exception:  # kombu: a queue that does not exist yet
                    depths[name] = 0
    except Exception:
        logger.warning("The broker did not answer the queue-depth scrape.", exc_info=True)
    return depths


def outbox_state(now: dt.datetime) -> dict[str, Backlog]:
    return {
        "notifications": notify_selectors.delivery_backlog(now),
        "upstream": upstream_selectors.message_backlog(now),
    }


def overdue_counts(now: dt.datetime) -> dict[str, int]:
    """Open cases past their stage's deadline (the red light) and hotline orders past their
    step's or reply's deadline: the same definitions as the workbenches' queues."""
    return {"cases": case_selectors.overdue_count(now), "hotline_orders": hotline_selectors.overdue_count(now)}


def import_runs() -> list[tuple[str, str, int]]:
    """(kind, status, runs) for the hotline imports and the ledger imports."""
    found: list[tuple[str, str, int]] = []
    for kind, counts in (("hotline", import_selectors.status_counts()), ("ledger", ledger_selectors.status_counts())):
        found.extend((kind, status, count) for status, count in counts.items())
    return found


class StateCollector(Collector):
    """The figures read from the database and the broker at each scrape."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        depth = GaugeMetricFamily(
            "gridgov_celery_queue_length", "Messages waiting in a Celery queue (absent: broker down).", labels=["queue"]
        )
        for name, count in queue_depths().items():
            if count is not None:
                depth.add_metric([name], count)
        yield depth

        backlog = GaugeMetricFamily(
            "gridgov_outbox_backlog", "Outbox rows not yet delivered (pending or being sent).", labels=["outbox"]
        )
        oldest = GaugeMetricFamily(
            "gridgov_outbox_oldest_age_seconds",
            "Age of the oldest outbox row not yet delivered (0 when none).",
            labels=["outbox"],
        )
        failed = GaugeMetricFamily(
            "gridgov_outbox_failed", "Outbox rows given up on after the last attempt.", labels=["outbox"]
        )
        for name, figures in outbox_state(now).items():
            backlog.add_metric([name], figures.waiting)
            oldest.add_metric([name], figures.oldest_age_seconds)
            failed.add_metric([name], figures.failed)
        yield backlog
        yield oldest
        yield failed

        overdue = GaugeMetricFamily("gridgov_overdue", "Open items past their deadline.", labels=["kind"])
        for kind, count in overdue_counts(now).items():
            overdue.add_metric([kind], count)
        yield overdue

        imports = GaugeMetricFamily("gridgov_import_runs", "Import runs by kind and status.", labels=["kind", "status"])
        for kind, status, count in import_runs():
            imports.add_metric([kind, status], count)
        yield imports

        heartbeat = GaugeMetricFamily(
            "gridgov_heartbeat_age_seconds",
            "Seconds since beat or the worker last stamped its heartbeat (absent: never).",
            labels=["component"],
        )
        for component in check_components(now):
            if component.age_seconds is not None:
                heartbeat.add_metric([component.component], component.age_seconds)
        yield heartbeat


def render() -> bytes:
    """The exposition text: the request metrics (of every gunicorn worker in multiprocess
    mode, else of this process) and the state read now."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ProcessMetrics())
    registry.register(StateCollector())
    return generate_latest(registry)


class _ProcessMetrics(Collector):
    """This process's own request metrics (and the process/platform ones prometheus_client
    collects), outside multiprocess mode."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()

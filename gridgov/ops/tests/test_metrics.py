"""/metrics: only for the monitoring system; request, outbox, overdue, import and queue figures."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from gridgov.notify.models import Delivery, DeliveryStatus, Notification

TOKEN = "scrape-token-0123456789abcdef"


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in the exposition text."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if wanted else "") + r" ([0-9.e+-]+)$"
    for line in text.splitlines():
        found = re.match(pattern, line)
        if found:
            return float(found.group(1))
    return None


@pytest.fixture
def open_metrics(settings: Any) -> None:
    settings.GRIDGOV_METRICS_TOKEN = TOKEN
    settings.GRIDGOV_METRICS_ALLOWED_IPS = []


@pytest.mark.django_db
def test_metrics_are_off_without_a_token_or_addresses(client: Client, settings: Any) -> None:
    settings.GRIDGOV_METRICS_TOKEN = ""
    settings.GRIDGOV_METRICS_ALLOWED_IPS = []
    assert client.get("/metrics").status_code == 404


@pytest.mark.django_db
def test_the_token_is_required(client: Client, open_metrics: None) -> None:
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 403
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_allowed_addresses(client: Client, settings: Any) -> None:
    settings.GRIDGOV_METRICS_TOKEN = ""
    settings.GRIDGOV_METRICS_ALLOWED_IPS = ["10.8.0.0/24", "::1"]
    assert client.get("/metrics", REMOTE_ADDR="10.8.0.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.8.1.7").status_code == 403
    # The client's own X-Forwarded-For is not believed without a trusted proxy...
    assert client.get("/metrics", REMOTE_ADDR="10.9.0.1", HTTP_X_FORWARDED_FOR="10.8.0.7").status_code == 403
    # ...and is with one.
    settings.GRIDGOV_TRUSTED_PROXY_COUNT = 1
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.8.0.7").status_code == 200


@pytest.mark.django_db
def test_token_and_addresses_together_need_both(client: Client, settings: Any) -> None:
    settings.GRIDGOV_METRICS_TOKEN = TOKEN
    settings.GRIDGOV_METRICS_ALLOWED_IPS = ["10.8.0.0/24"]
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.get("/metrics", REMOTE_ADDR="10.8.0.7", headers=auth).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.9.0.7", headers=auth).status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.8.0.7").status_code == 403


@pytest.mark.django_db
def test_requests_are_counted_by_view_and_status(client: Client, open_metrics: None) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = client.get("/metrics", headers=auth).content.decode()
    client.get("/healthz")
    client.get("/no-such-page-at-all/")
    after = client.get("/metrics", headers=auth).content.decode()

    def delta(**labels: str) -> float:
        return (sample(after, "gridgov_http_requests_total", **labels) or 0) - (
            sample(before, "gridgov_http_requests_total", **labels) or 0
        )

    assert delta(method="GET", status="200", view="healthz") == 1
    assert delta(method="GET", status="404", view="<unresolved>") == 1
    assert "no-such-page" not in after  # a path never becomes a label
    assert sample(after, "gridgov_http_request_duration_seconds_count", method="GET", view="healthz")


@pytest.mark.django_db
def test_the_state_figures(client: Client, open_metrics: None, django_user_model: Any) -> None:
    user = django_user_model.objects.create(username="metrics-reader")
    old = timezone.now() - dt.timedelta(hours=2)
    for index in range(3):
        notification = Notification.objects.create(recipient=user, kind="test", params={"n": index})
        Delivery.objects.create(notification=notification, channel="sms", created_at=old)
    failed = Notification.objects.create(recipient=user, kind="test")
    Delivery.objects.create(notification=failed, channel="sms", status=DeliveryStatus.FAILED)
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()

    assert sample(text, "gridgov_outbox_backlog", outbox="notifications") == 3
    assert sample(text, "gridgov_outbox_failed", outbox="notifications") == 1
    age = sample(text, "gridgov_outbox_oldest_age_seconds", outbox="notifications")
    assert age is not None and 7100 < age < 7300
    assert sample(text, "gridgov_outbox_backlog", outbox="upstream") == 0
    assert sample(text, "gridgov_overdue", kind="cases") == 0
    assert sample(text, "gridgov_overdue", kind="hotline_orders") == 0
    assert sample(text, "gridgov_import_runs", kind="hotline", status="done") == 0
    assert sample(text, "gridgov_import_runs", kind="ledger", status="failed") == 0
    # The suite's broker is memory://: every queue answers, empty.
    for queue in ("celery", "notifications", "upstream", "imports", "reports"):
        assert sample(text, "gridgov_celery_queue_length", queue=queue) == 0


def test_queue_depth_counts_waiting_messages(settings: Any, tmp_path: Any) -> None:
    """Through kombu's filesystem transport (the embedded default broker): messages sent and
    not consumed are counted per queue."""
    from kombu import Connection

    from gridgov.ops import metrics

    folder = tmp_path / "queue"
    folder.mkdir()
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(tmp_path / "control"),
    }
    with Connection("filesystem://", transport_options=options) as connection:
        producer = connection.Producer()
        for _ in range(2):
            producer.publish({"x": 1}, routing_key="imports", declare=[], serializer="json")

    from config.celery import app

    old = {"broker_url": app.conf.broker_url, "broker_transport_options": app.conf.broker_transport_options}
    app.conf.update(broker_url="filesystem://", broker_transport_options=options)
    try:
        depths = metrics.queue_depths()
    finally:
        app.conf.update(old)
    assert depths["imports"] == 2
    assert depths["notifications"] == 0


@pytest.mark.django_db
def test_the_dashboard_and_the_alerts_ask_only_for_metrics_that_exist(client: Client, open_metrics: None) -> None:
    from pathlib import Path

    from django.conf import settings

    client.get("/healthz")
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    exposed = set(re.findall(r"^(?:# TYPE )?(gridgov_\w+)", text, flags=re.MULTILINE))
    deploy = Path(settings.BASE_DIR) / "deploy"
    dashboard = json.loads((deploy / "grafana" / "gridgov-dashboard.json").read_text())
    queries = " ".join(target["expr"] for panel in dashboard["panels"] for target in panel["targets"])
    queries += (deploy / "prometheus" / "alerts.yml").read_text()
    asked = set(re.findall(r"gridgov_\w+", queries))
    assert asked and asked <= exposed, asked - exposed

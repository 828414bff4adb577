"""The request id: answered in a header, on every log line, carried into Celery tasks; JSON logs."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from kombu import Connection

from config.celery import app
from gridgov.core import requestid


@pytest.mark.django_db
def test_each_request_gets_an_id_in_its_response(client: Client) -> None:
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32 and first != second


@pytest.mark.django_db
def test_the_proxys_id_is_kept_and_a_strange_one_replaced(client: Client) -> None:
    nginx_id = "0f3c9a6e21b94d7c8e5a0b1c2d3e4f50"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=nginx_id)["X-Request-ID"] == nginx_id
    hostile = "x\nforged log line"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=hostile)["X-Request-ID"] != hostile
    assert client.get("/healthz", HTTP_X_REQUEST_ID="a" * 200)["X-Request-ID"] != "a" * 200


@pytest.mark.django_db
def test_log_lines_of_a_request_carry_its_id(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(requestid.RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="gridgov.request"):
        response = client.get("/healthz", HTTP_X_REQUEST_ID="req-0000-1111-2222")
    lines = [record for record in caplog.records if record.name == "gridgov.request"]
    assert [record.request_id for record in lines] == ["req-0000-1111-2222"]  # type: ignore[attr-defined]
    line = lines[0]
    assert (line.status, line.view, line.method) == (200, "healthz", "GET")  # type: ignore[attr-defined]
    assert response["X-Request-ID"] == "req-0000-1111-2222"
    # Outside a request the id is "-", and nothing is left bound.
    assert requestid.current() == ""


def test_the_json_format_writes_one_object_a_line_with_the_id() -> None:
    """The "json" formatter and the filter of settings.LOGGING, on a handler of their own."""
    configurator = logging.config.DictConfigurator(settings.LOGGING)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(configurator.configure_formatter(dict(settings.LOGGING["formatters"]["json"])))
    handler.addFilter(requestid.RequestIdFilter())
    logger = logging.getLogger("gridgov.test.json")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        token = requestid.bind("abc12345-request")
        logger.info("hello %s", "world", extra={"case": 7})
        requestid.unbind(token)
        logger.info("outside")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "hello world"
    assert first["request_id"] == "abc12345-request"
    assert first["level"] == "INFO" and first["logger"] == "gridgov.test.json" and first["case"] == 7
    assert first["time"][:2] == "20"
    assert second["request_id"] == "-"


def test_plain_text_stays_the_default() -> None:
    assert settings.GRIDGOV_LOG_FORMAT == "plain"
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "plain"


def test_a_task_published_during_a_request_carries_its_id() -> None:
    """The message on the broker has the header; the worker binds it around the task and
    unbinds it after."""
    from gridgov.core.tasks import ping

    app.conf.task_always_eager = False  # publish to the broker, as outside the suite
    try:
        with Connection("memory://localhost") as connection:
            token = requestid.bind("rid-from-the-web-0001")
            try:
                ping.apply_async(connection=connection, queue="celery")  # type: ignore[call-arg]
            finally:
                requestid.unbind(token)
            message = connection.SimpleQueue("celery").get(timeout=2)
            assert message.headers[requestid.TASK_HEADER] == "rid-from-the-web-0001"
            message.ack()
    finally:
        app.conf.task_always_eager = True

    seen: list[str] = []

    @app.task(name="gridgov.ops.tests.record_request_id", bind=True)
    def record_request_id(self: Any) -> None:
        seen.append(requestid.current())

    record_request_id.apply(headers={requestid.TASK_HEADER: "rid-from-the-web-0001"})
    assert seen == ["rid-from-the-web-0001"]
    assert requestid.current() == ""
    # A task with no id (beat's) runs with none.
    record_request_id.apply()
    assert seen[-1] == ""

"""Fixtures of the notification tests: people to notify, a movable clock and a loopback
HTTP endpoint that stands in for the SMS gateway and the webhook receiver."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from gridgov.people.tests.conftest import clock
from gridgov.people.tests.factories import StaffProfileFactory, UserFactory

__all__ = ["clock"]

SECRET = "webhook-test-secret"
SMS_TOKEN = "sms-test-token"


@dataclass
class Hit:
    path: str
    headers: Message
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Endpoint:
    url: str
    status: int = 200
    hits: list[Hit] = field(default_factory=list)


def _handler(endpoint: Endpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            endpoint.hits.append(Hit(path=self.path, headers=self.headers, body=body))
            self.send_response(endpoint.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def endpoint():
    holder = Endpoint(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(holder))
    holder.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield holder
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def channels_on(settings, endpoint):
    """Both external channels enabled, pointing at the loopback endpoint."""
    settings.GRIDGOV_NOTIFY_CHANNELS = ["sms", "webhook"]
    settings.GRIDGOV_SMS_URL = f"{endpoint.url}/sms"
    settings.GRIDGOV_SMS_TOKEN = SMS_TOKEN
    settings.GRIDGOV_WEBHOOK_URL = f"{endpoint.url}/hook"
    settings.GRIDGOV_WEBHOOK_SECRET = SECRET
    settings.GRIDGOV_NOTIFY_MAX_ATTEMPTS = 8
    return endpoint


def person(username: str, *, phone: str = "13800000000", **kwargs: Any) -> Any:
    user = UserFactory(username=username, **kwargs)
    StaffProfileFactory(user=user, full_name=username, phone=phone)
    return user


@pytest.fixture
def people(db) -> dict[str, Any]:
    return {
        "alice": person("alice", phone="13811112222"),
        "bob": person("bob", phone=""),
        "carol": person("carol"),
        "gone": person("gone", is_active=False),
    }

"""Adapters: how a message reaches an upstream system.

An adapter has a ``code`` and ``send(message, config)``. ``send`` returns the HTTP status when
upstream accepted the message and raises :class:`DeliveryError` for a failure worth retrying.
An adapter whose ``collects`` is true does not send at all: its messages are gathered into a
:class:`~gridgov.upstream.models.FileBatch` that a person hands over (the ``file`` adapter).
Adapters register with :func:`register`; the source system's settings pick one
(``GRIDGOV_UPSTREAM_<SOURCE>_ADAPTER``).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any, TypeVar

from gridgov.notify.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature

from . import conf

if TYPE_CHECKING:
    from .models import UpstreamMessage

MESSAGE_ID_HEADER = "X-GridGov-Message-Id"
USER_AGENT = "GridGov-Upstream/1"


class DeliveryError(Exception):
    """Upstream did not take the message now; it is retried later."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class Adapter:
    code: str = ""
    # True: messages are gathered into file batches instead of being sent.
    collects: bool = False

    def send(self, message: UpstreamMessage, config: conf.SourceConfig) -> int | None:
        raise NotImplementedError


_registry: dict[str, Adapter] = {}
A = TypeVar("A", bound=type[Adapter])


def register(cls: A) -> A:
    """Class decorator: make an adapter available under its ``code``."""
    _registry[cls.code] = cls()
    return cls


def get(code: str) -> Adapter:
    try:
        return _registry[code]
    except KeyError:
        raise DeliveryError(f"unknown upstream adapter {code!r}") from None


def registered_codes() -> list[str]:
    return sorted(_registry)


# --- Webhook -----------------------------------------------------------------------------


def webhook_body(message: UpstreamMessage) -> dict[str, Any]:
    """What the webhook posts: the message with the order's numbers and the payload."""
    return {
        "message_id": message.pk,
        "kind": message.kind,
        "source_system": message.source_system,
        "upstream_number": message.upstream_number,
        "order_id": message.order_id,
        "payload": message.payload,
        "queued_at": message.created_at.isoformat(),
    }


def signed_headers(secret: str, body: bytes, *, timestamp: str | None = None) -> dict[str, str]:
    """The signature headers of the notification webhook (HMAC-SHA256 over ``<ts>.<body>``)."""
    stamp = timestamp or str(int(time.time()))
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature(secret, stamp, body)}


@register
class WebhookAdapter(Adapter):
    """JSON POST to the source's URL, signed with its secret; any 2xx answer is delivery."""

    code = "webhook"

    def send(self, message: UpstreamMessage, config: conf.SourceConfig) -> int | None:
        if not config.url.startswith(("http://", "https://")):
            raise DeliveryError(f"no http(s) URL configured for {config.source_system!r}")
        if not config.secret:
            raise DeliveryError(f"no signing secret configured for {config.source_system!r}")
        body = json.dumps(webhook_body(message), ensure_ascii=False, separators=(",", ":")).encode()
        request = urllib.request.Request(config.url, data=body, method="POST")  # noqa: S310  (scheme checked)
        request.add_header("Content-Type", "application/json; charset=utf-8")
        request.add_header("User-Agent", USER_AGENT)
        request.add_header(MESSAGE_ID_HEADER, str(message.pk))
        for name, value in signed_headers(config.secret, body).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=conf.timeout_seconds()) as response:  # noqa: S310
                response.read(4096)
                status = int(response.status)
        except urllib.error.HTTPError as error:
            detail = error.read(300).decode("utf-8", "replace").strip()
            raise DeliveryError(
                f"HTTP {error.code} from {config.url}" + (f": {detail}" if detail else ""), status_code=error.code
            ) from error
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise DeliveryError(f"{type(error).__name__}: {getattr(error, 'reason', error)}") from error
        if not 200 <= status < 300:
            raise DeliveryError(f"HTTP {status} from {config.url}", status_code=status)
        return status


# --- File ----------------------------------------------------------------------------------


@register
class FileAdapter(Adapter):
    """Messages wait in the source's open file batch; the workbook is downloaded from the
    delivery page and handed over, then the batch is marked sent (see ``workbook.py``)."""

    code = "file"
    collects = True

    def send(self, message: UpstreamMessage, config: conf.SourceConfig) -> int | None:  # pragma: no cover
        raise DeliveryError("file batches are not sent by the worker")

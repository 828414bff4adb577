"""External channels a notification can go out on, besides the in-app list.

A channel has a ``code`` and a ``send(notification, delivery)`` that returns when the
message was accepted. It raises :class:`DeliveryError` for a failure worth retrying and
:class:`DeliverySkipped` when this recipient cannot be reached on it (no phone number).
Channels register themselves with :func:`register`; ``settings.GRIDGOV_NOTIFY_CHANNELS``
lists the enabled codes. See ``docs/notifications.md`` for payloads and the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist

if TYPE_CHECKING:
    from .models import Delivery, Notification

HTTP_TIMEOUT_SECONDS = 10
SMS_MAX_CHARS = 70
SIGNATURE_HEADER = "X-GridGov-Signature"
TIMESTAMP_HEADER = "X-GridGov-Timestamp"


class DeliveryError(Exception):
    """The channel could not deliver now; the delivery is retried later."""


class DeliverySkipped(Exception):
    """The recipient cannot be reached on this channel; the delivery is not retried."""


class Channel:
    code: str = ""

    def send(self, notification: Notification, delivery: Delivery) -> None:
        raise NotImplementedError


_registry: dict[str, Channel] = {}
C = TypeVar("C", bound=type[Channel])


def register(cls: C) -> C:
    """Class decorator: make a channel available under its ``code``."""
    _registry[cls.code] = cls()
    return cls


def get(code: str) -> Channel:
    return _registry[code]


def registered_codes() -> list[str]:
    return sorted(_registry)


def enabled_codes() -> list[str]:
    """The enabled channels that exist, in the order of the setting (unknown codes are
    reported by the system check ``notify.W001``)."""
    seen: list[str] = []
    for code in getattr(settings, "GRIDGOV_NOTIFY_CHANNELS", []):
        if code in _registry and code not in seen:
            seen.append(code)
    return seen


# --- HTTP --------------------------------------------------------------------------------


def post_json(url: str, payload: dict[str, Any], *, headers: dict[str, str] | None = None) -> bytes:
    """POST ``payload`` as UTF-8 JSON; any failure (refused, timeout, non-2xx) is a
    :class:`DeliveryError`. Returns the body that was sent."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    post_body(url, body, headers=headers or {})
    return body


def post_body(url: str, body: bytes, *, headers: dict[str, str]) -> None:
    if not url.startswith(("http://", "https://")):
        raise DeliveryError(f"URL not configured or not http(s): {url!r}")
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310  (scheme checked above)
    request.add_header("Content-Type", "application/json; charset=utf-8")
    request.add_header("User-Agent", "GridGov-Notify/1")
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
            response.read(1024)
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"HTTP {error.code} from {url}") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise DeliveryError(f"{type(error).__name__}: {error}") from error


# --- SMS ---------------------------------------------------------------------------------


def sms_text(title: str, url: str = "") -> str:
    """Title and link in at most :data:`SMS_MAX_CHARS` characters: the title is shortened
    first; a link too long to leave room for a readable title is dropped."""
    title = " ".join(title.split())
    if url and len(url) <= SMS_MAX_CHARS // 2:
        room = SMS_MAX_CHARS - len(url) - 1
        short = title if len(title) <= room else title[: room - 1] + "…"
        return f"{short} {url}"
    return title if len(title) <= SMS_MAX_CHARS else title[: SMS_MAX_CHARS - 1] + "…"


def recipient_phone(notification: Notification) -> str:
    try:
        phone = notification.recipient.profile.phone  # type: ignore[union-attr]
    except ObjectDoesNotExist:
        return ""
    return str(phone or "").strip()


@register
class SmsChannel(Channel):
    """``{"phone": ..., "text": ...}`` to ``GRIDGOV_SMS_URL`` (bearer ``GRIDGOV_SMS_TOKEN``), in
    the installation's language."""

    code = "sms"

    def send(self, notification: Notification, delivery: Delivery) -> None:
        phone = recipient_phone(notification)
        if not phone:
            raise DeliverySkipped("recipient has no phone number")
        headers = {}
        token = getattr(settings, "GRIDGOV_SMS_TOKEN", "")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # Text messages are in the installation's language (the gateway's templates are).
        title = notification.rendered(settings.LANGUAGE_CODE).title
        payload = {"phone": phone, "text": sms_text(title, notification.url)}
        post_json(getattr(settings, "GRIDGOV_SMS_URL", ""), payload, headers=headers)


# --- Webhook -----------------------------------------------------------------------------


def webhook_payload(notification: Notification) -> dict[str, Any]:
    """The notification as its recipient reads it (title and body in their language)."""
    obj = {"type": notification.object_type, "id": notification.object_id} if notification.object_type else None
    return {
        "id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "recipient": notification.recipient.get_username(),
        "object": obj,
        "created_at": notification.created_at.isoformat(),
    }


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256 over ``<timestamp>.<body>``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@register
class WebhookChannel(Channel):
    """The notification as JSON to ``GRIDGOV_WEBHOOK_URL``, signed with ``GRIDGOV_WEBHOOK_SECRET``."""

    code = "webhook"

    def send(self, notification: Notification, delivery: Delivery) -> None:
        secret = getattr(settings, "GRIDGOV_WEBHOOK_SECRET", "")
        if not secret:
            raise DeliveryError("GRIDGOV_WEBHOOK_SECRET is not set")
        body = json.dumps(webhook_payload(notification), ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        headers = {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}
        post_body(getattr(settings, "GRIDGOV_WEBHOOK_URL", ""), body, headers=headers)

"""The outbox of messages to the upstream hotline systems (placeholder: the real outbox follows)."""

from __future__ import annotations

from typing import Any


def enqueue(
    *, source_system: str, kind: str, order_id: int, upstream_number: str, payload: dict[str, Any], actor: Any
) -> Any:
    """Queue one message for upstream in the caller's transaction; delivered after commit."""
    return None

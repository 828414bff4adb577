"""One run at a time of a piece of background work, even when the broker delivers its task
twice at once: a claim held in the shared cache (the database's or Redis's, so every worker
host sees it), given back when the work ends and gone by itself after ``seconds`` if the
worker died holding it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache


@contextmanager
def claim(key: str, seconds: int) -> Iterator[bool]:
    """``with claim(key, seconds) as mine:``: ``mine`` is True when this process holds the
    claim (and gives it back at the end), False when another one does."""
    mine = bool(cache.add(key, 1, seconds))
    try:
        yield mine
    finally:
        if mine:
            cache.delete(key)

"""Keyset cursors of the lists: the sort time and id of the last row seen, as an opaque token."""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from django.utils.dateparse import parse_datetime


def encode(moment: dt.datetime, pk: int) -> str:
    """The cursor after a row sorted at ``moment`` with id ``pk``."""
    raw = f"{moment.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[dt.datetime, int]:
    """``(moment, pk)`` of a cursor; :class:`ValueError` for anything that is not one."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, _sep, pk = base64.urlsafe_b64decode(padded.encode()).decode().partition("|")
        moment = parse_datetime(stamp)
        if moment is None:
            raise ValueError(stamp)
        return moment, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("not a cursor") from exc

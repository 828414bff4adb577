"""The comparable figures of both sides of a reconciliation, as rows for the page and the
workbook. Both sides count the same way (:mod:`.compare`): orders, replied (the list's status
says answered, or it gives a reply time), replied on time (the list's on-time column), and
答复率 = replied / orders, 按时答复率 = replied on time / replied."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from ..models import Reconciliation


def _delta(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    return round(b - a, 1) if isinstance(a, float) or isinstance(b, float) else b - a


def figure_rows(item: Reconciliation) -> list[dict[str, Any]]:
    listed = (item.figures or {}).get("list", {})
    town = (item.figures or {}).get("town", {})
    rows = []
    for key, label in (
        ("orders", _("Orders")),
        ("replied", _("Replied")),
        ("on_time", _("Replied on time")),
        ("reply_rate", _("Reply rate (%) = replied / orders")),
        ("on_time_rate", _("On-time reply rate (%) = replied on time / replied")),
    ):
        a, b = listed.get(key), town.get(key)
        rows.append({"key": key, "label": label, "list": a, "town": b, "delta": _delta(a, b)})
    return rows

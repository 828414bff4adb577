"""Rewrite the generated part of docs/stats.md from the registry of indices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from gridgov.cases.indices import DOCS_END, DOCS_START, definitions_markdown

DOCS = Path(settings.BASE_DIR) / "docs" / "stats.md"


def rewritten(text: str) -> str:
    """``text`` with its generated part replaced by the current definitions."""
    head, _sep, rest = text.partition(DOCS_START)
    _old, _sep, tail = rest.partition(DOCS_END + "\n")
    return head + definitions_markdown() + tail


class Command(BaseCommand):
    help = "Rewrite the definitions of the indices in docs/stats.md"

    def handle(self, *args: Any, **options: Any) -> None:
        DOCS.write_text(rewritten(DOCS.read_text(encoding="utf-8")), encoding="utf-8")
        self.stdout.write(f"{DOCS} written")

"""Signals of the people app, for apps above it (the people app imports none of them)."""

from __future__ import annotations

from django.dispatch import Signal

# A superuser gave itself a role: ``actor`` and ``assignment``. The web app tells the
# security administrators (docs/permissions.md, "Three administrators").
self_granted = Signal()

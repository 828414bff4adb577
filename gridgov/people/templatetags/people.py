"""``{{ user|person }}``: a user as people read it (the staff profile's name, not the login).
A list that shows it selects ``…__profile`` with its rows (else a query per row)."""

from __future__ import annotations

from typing import Any

from django import template

from gridgov.people.selectors import display_name

register = template.Library()


@register.filter
def person(user: Any) -> str:
    return display_name(user) if user is not None else ""

"""``{{ user|person }}``: a user as people read it (the staff profile's name, not the login)."""

from __future__ import annotations

from typing import Any

from django import template

from gridgov.people.selectors import display_name

register = template.Library()


@register.filter
def person(user: Any) -> str:
    return display_name(user) if user is not None else ""

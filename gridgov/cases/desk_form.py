"""What the center's new-case form shows besides its fields: the category tree with pinyin
initials (searchable as on the phone), the grid map picker and the place-name search."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from gridgov.core.pinyin import initials

from .forms import CaseCreateForm
from .forms_field import category_groups
from .views_field import _map_config


def category_tree(chosen: str) -> list[dict[str, Any]]:
    """Major classes with their minor classes, each with its pinyin initials."""
    return [
        {
            "name": group.name,
            "initials": initials(group.name),
            "open": any(option.code == chosen for option in group.options),
            "options": [
                {
                    "code": option.code,
                    "name": option.name,
                    "initials": initials(option.name),
                    "chosen": option.code == chosen,
                }
                for option in group.options
            ],
        }
        for group in category_groups()
    ]


def error_summary(form: CaseCreateForm) -> list[dict[str, str]]:
    """Every error of the form for the summary at the top: the field's label, its message and
    the id to jump to (errors of the whole form have no field)."""
    rows: list[dict[str, str]] = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = str(field.label) if field is not None and field.label else ""
        target = f"id_{name}" if field is not None else ""
        rows.extend({"label": label, "message": str(message), "target": target} for message in errors)
    return rows


def new_case_context(request: HttpRequest, form: CaseCreateForm) -> dict[str, Any]:
    chosen = str(form["category"].value() or "")
    config = _map_config(request)
    config["placesUrl"] = reverse("area-places")
    config["fitAreas"] = True
    config["text"]["noPlace"] = _("No place of this town matches.")
    return {
        "form": form,
        "tree": category_tree(chosen),
        "errors": error_summary(form) if form.is_bound else [],
        "map_config": config,
    }

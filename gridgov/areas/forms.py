"""Form fields of areas for other apps' forms."""

from __future__ import annotations

from typing import Any

from django import forms


class TownChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A choice of towns labelled by their names (an area's ``str`` adds its code, which the
    admin wants and a user of an import page does not)."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)

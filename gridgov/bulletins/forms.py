"""The form that asks for a bulletin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.cases.indices import INDICES
from gridgov.core.forms import MonthInput

from .platform import CODES, MAX_COUNT
from .services import bulletin_areas

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class RequestForm(forms.Form):
    area = forms.ChoiceField(label=_("Town or village"))
    month = forms.DateField(
        label=_("Month of the bulletin"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=MonthInput(format="%Y-%m"),
        error_messages={"invalid": _("Enter a month such as 2026-11.")},
    )

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = bulletin_areas(user).order_by("level", "code")
        field: Any = self.fields["area"]
        field.choices = [(area.code, area.name if area.level == "town" else f"\u3000{area.name}") for area in areas]


class CheckForm(forms.Form):
    """The platform's monthly figures of a town, as published (each optional, one at least)."""

    town = forms.ChoiceField(label=_("Town"))
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=MonthInput(format="%Y-%m"),
        error_messages={"invalid": _("Enter a month such as 2026-11.")},
    )
    platform = forms.CharField(label=_("Platform"), max_length=60, required=False)

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["town"]
        field.choices = [(area.code, area.name) for area in bulletin_areas(user).filter(level="town")]
        for code in CODES:
            self.fields[code] = forms.IntegerField(
                label=str(INDICES[code].label), required=False, min_value=0, max_value=MAX_COUNT
            )


class ExplainForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

"""Forms of the reconciliation pages: the upload, the explanation of a difference."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.areas.selectors import current_towns
from gridgov.hotline.importing import selectors as import_selectors
from gridgov.hotline.models import DifferenceKind, DifferenceState, SourceSystem

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class MonthInput(forms.DateInput):
    input_type = "month"


class UploadForm(forms.Form):
    town = forms.ModelChoiceField(label=_("Town"), queryset=current_towns().none(), empty_label=None)
    source_system = forms.ChoiceField(label=_("Source system"), choices=SourceSystem.choices)
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=MonthInput(format="%Y-%m"),
        error_messages={"invalid": _("Enter a month such as 2026-11.")},
    )
    file = forms.FileField(
        label=_("Monthly list"),
        help_text=_(
            "Excel (.xlsx) or CSV as the upstream system exports it: at least the order number; "
            "the assigned, acknowledged and reply times, the status and an on-time column are "
            "compared when present."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm,.csv,.txt"}),
    )

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        town = self.fields["town"]
        assert isinstance(town, forms.ModelChoiceField)
        town.queryset = import_selectors.import_towns(user)


class DifferenceFilter(forms.Form):
    kind = forms.ChoiceField(label=_("Difference"), choices=[("", _("All")), *DifferenceKind.choices], required=False)
    status = forms.ChoiceField(label=_("State"), choices=[("", _("All")), *DifferenceState.choices], required=False)


class ExplainForm(forms.Form):
    reason = forms.CharField(label=_("Explanation"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

"""Forms of the reconciliation pages: the upload, the explanation of a difference."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.core.forms import MonthInput
from gridgov.hotline.importing.forms import UploadForm as ImportUploadForm
from gridgov.hotline.models import DifferenceKind, DifferenceState

if TYPE_CHECKING:
    pass


class UploadForm(ImportUploadForm):
    """The import's upload (the towns the user imports for, the source system) with the month
    the list covers."""

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

    field_order = ["town", "source_system", "month", "file"]


class DifferenceFilter(forms.Form):
    kind = forms.ChoiceField(label=_("Difference"), choices=[("", _("All")), *DifferenceKind.choices], required=False)
    status = forms.ChoiceField(label=_("State"), choices=[("", _("All")), *DifferenceState.choices], required=False)


class ExplainForm(forms.Form):
    reason = forms.CharField(label=_("Explanation"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

"""Forms of the import pages: the upload, the header row, the column mapping."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.areas.forms import TownChoiceField
from gridgov.areas.selectors import current_towns
from gridgov.hotline.models import SourceSystem

from . import parse, selectors

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class UploadForm(forms.Form):
    town = TownChoiceField(label=_("Town"), queryset=current_towns().none(), empty_label=None)
    source_system = forms.ChoiceField(label=_("Source system"), choices=SourceSystem.choices)
    file = forms.FileField(
        label=_("Export file"),
        help_text=_("Excel (.xlsx) or CSV (UTF-8 or GBK), as exported by the hotline system."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm,.csv,.txt"}),
    )

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        town = self.fields["town"]
        assert isinstance(town, forms.ModelChoiceField)
        town.queryset = selectors.import_towns(user)


class HeaderForm(forms.Form):
    header_row = forms.TypedChoiceField(label=_("Header row"), coerce=int, choices=())

    def __init__(self, *args: Any, candidates: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["header_row"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(number, f"{number}: {text}") for number, text in candidates]


class MappingForm(forms.Form):
    """One choice per order field: the file's column that feeds it (or none)."""

    def __init__(self, *args: Any, columns: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —")), *((name, name) for name in columns)]
        for spec in parse.FIELDS:
            self.fields[spec.name] = forms.ChoiceField(label=spec.label, choices=choices, required=spec.required)

    def mapping(self) -> dict[str, str]:
        return {name: value for name, value in self.cleaned_data.items() if value}

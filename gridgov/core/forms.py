"""One way to put a service's refusal on a form, and the pieces every app's forms share.

A view that calls a service with a form's data shows a refusal on that form: each field's
messages next to the field, the rest above the form. The API's exception handler
(:mod:`gridgov.api.errors`) is the other place that maps the error hierarchy of
:mod:`gridgov.core.errors`; between them every refusal reads alike on a page and in the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .errors import DomainError

# The empty choice of a filter: no filtering on that field.
ANY: tuple[str, Any] = ("", _("All"))
Choices = list[tuple[str, Any]]


def apply_error(
    form: forms.BaseForm,
    error: ValidationError | DomainError,
    aliases: Mapping[str, str] | None = None,
) -> None:
    """Put ``error`` on ``form``: the messages of each field next to the field (named through
    ``aliases`` where the service and the form name it differently), those of a field the form
    does not have and ``__all__`` above the form; the error's message above the form when it
    names no field.

    ``error`` is a :class:`~gridgov.core.errors.DomainError` or Django's ``ValidationError``
    (which services raise for bad input, as model validation does).
    """
    details: Mapping[str, Sequence[str]] | None
    if isinstance(error, ValidationError):
        if not hasattr(error, "error_dict"):
            form.add_error(None, error.messages)
            return
        details, message = error.message_dict, ""
    else:
        details, message = error.details, error.message
    placed = False
    for name, messages in (details or {}).items():
        target = (aliases or {}).get(name, name)
        if messages:
            form.add_error(target if target in form.fields else None, list(messages))
            placed = True
    if not placed and message:
        form.add_error(None, message)


class DateInput(forms.DateInput):
    """The browser's date picker (``YYYY-MM-DD``)."""

    input_type = "date"


class FilterForm(forms.Form):
    """The part every workbench's filters share (all optional; invalid values are ignored with
    an error shown): the queue tab, the status, the department, two dates and a free text.

    A subclass adds its own choice fields, lists every field in ``field_order``, names the dates
    and the text in ``labels`` and ``text_placeholder``, and hands the choices to ``__init__``
    (each list gets "All" first).
    """

    queue = forms.CharField(required=False, widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), required=False)
    department = forms.ChoiceField(label=_("Department"), required=False)
    date_from = forms.DateField(required=False, widget=DateInput)
    date_to = forms.DateField(required=False, widget=DateInput)
    text = forms.CharField(
        required=False, max_length=100, widget=forms.TextInput(attrs={"type": "search", "placeholder": ""})
    )

    labels: ClassVar[Mapping[str, Any]] = {}
    text_placeholder: ClassVar[Any] = ""

    def __init__(self, *args: Any, choices: Mapping[str, Iterable[tuple[str, Any]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        for name, label in self.labels.items():
            fields[name].label = label
        fields["text"].widget.attrs["placeholder"] = self.text_placeholder
        for name, options in choices.items():
            fields[name].choices = [ANY, *options]

    def valid_data(self) -> dict[str, Any]:
        """The valid part of the input (checked now if it was not yet; empty when unbound)."""
        if not self.is_bound:
            return {}
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data


class ActionFormBase(forms.Form):
    """The part every workflow's action form shares: the hidden ``version``, the lead and
    cooperating departments, and only the inputs the action has (``fields_of_action``, besides
    those always kept). The ids are prefixed with the action, so that several forms can stand on
    one page."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    lead = forms.ChoiceField(label=_("Lead department"), required=False)
    cooperating = forms.MultipleChoiceField(
        label=_("Cooperating departments"), required=False, widget=forms.CheckboxSelectMultiple
    )

    fields_of_action: ClassVar[Mapping[str, Sequence[str]]] = {}
    always_kept: ClassVar[frozenset[str]] = frozenset({"version"})

    def __init__(self, *args: Any, action: str, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.action = action
        keep = {*self.always_kept, *self.fields_of_action.get(action, ())}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

    def set_departments(self, departments: Choices, *, empty_label: Any) -> None:
        """The department choices of the lead (after ``empty_label``) and cooperating inputs."""
        fields: Any = self.fields
        if "lead" in fields:
            fields["lead"].choices = [("", empty_label), *departments]
            fields["cooperating"].choices = list(departments)

    def departments(self) -> list[str]:
        """The lead department first, then the cooperating ones (without the lead again)."""
        lead = self.cleaned_data.get("lead") or ""
        cooperating = [code for code in self.cleaned_data.get("cooperating") or [] if code != lead]
        return [lead, *cooperating] if lead else cooperating

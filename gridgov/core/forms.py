"""One way to put a service's refusal on a form, the pieces every app's forms share, and the
one-time key every write form carries.

A view that calls a service with a form's data shows a refusal on that form: each field's
messages next to the field, the rest above the form. The API's exception handler
(:mod:`gridgov.api.errors`) is the other place that maps the error hierarchy of
:mod:`gridgov.core.errors`; between them every refusal reads alike on a page and in the API.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, Final

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .errors import DomainError
from .schemas import FIRST_DATE, LAST_DATE

# The empty choice of a filter: no filtering on that field.
ANY: tuple[str, Any] = ("", _("All"))
Choices = list[tuple[str, Any]]

# Django's forms end every label with ``_(":")`` from its own catalogue, whose Simplified Chinese
# keeps the ASCII colon. The project's catalogue translates it to the full-width colon; naming
# it here keeps the message in the catalogue when ``makemessages`` runs.
LABEL_SUFFIX = _(":")


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


class MonthInput(forms.DateInput):
    """A month picker (``YYYY-MM``); pair it with ``input_formats=["%Y-%m", "%Y-%m-%d"]``."""

    input_type = "month"


def date_param(value: str | None) -> dt.date | None:
    """A date from a query string (ISO), or ``None`` when absent, unreadable or outside the
    dates the pages compute with (:data:`FIRST_DATE` to :data:`LAST_DATE`)."""
    try:
        day = dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None
    return day if FIRST_DATE <= day <= LAST_DATE else None


def month_param(value: str | None, default: dt.date) -> dt.date:
    """The first day of a month from a query string (``YYYY-MM``), else ``default``'s month."""
    try:
        day = dt.datetime.strptime((value or "").strip(), "%Y-%m").date()
    except ValueError:
        return default.replace(day=1)
    return day if FIRST_DATE <= day <= LAST_DATE else default.replace(day=1)


class BoundedDateField(forms.DateField):
    """A date a page computes with: held to :data:`FIRST_DATE` … :data:`LAST_DATE`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators += [MinValueValidator(FIRST_DATE), MaxValueValidator(LAST_DATE)]


class FilterDateField(forms.DateField):
    """A date of a list filter, held to the dates a day's start and end exist for
    (:data:`gridgov.core.schemas.FIRST_DATE` to ``LAST_DATE``)."""

    widget = DateInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.validators += [MinValueValidator(FIRST_DATE), MaxValueValidator(LAST_DATE)]
        self.widget.attrs.update({"min": FIRST_DATE.isoformat(), "max": LAST_DATE.isoformat()})


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
    date_from = FilterDateField()
    date_to = FilterDateField()
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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "lead" in self.fields and not data.get("lead") and data.get("cooperating"):
            # The first cooperating department was taken as the lead without a word.
            self.add_error("lead", _("Choose the lead department: the cooperating ones work with it."))
        return data

    def departments(self) -> list[str]:
        """The lead department first, then the cooperating ones (without the lead again)."""
        lead = self.cleaned_data.get("lead") or ""
        cooperating = [code for code in self.cleaned_data.get("cooperating") or [] if code != lead]
        return [lead, *cooperating] if lead else cooperating


ONE_TIME_KEY: Final = "idempotency_key"


def one_time_key() -> str:
    """A fresh key for one rendering of a form (32 hex digits)."""
    return uuid.uuid4().hex


class OneTimeKeyMixin(forms.BaseForm):
    """A form whose every rendering carries a one-time key, sent back as the service's
    ``idempotency_key``: the same form sent twice (the back button, a double click, a retry
    after a lost answer) does its write once. A bound form keeps the key it was sent with;
    :meth:`renew_key` gives a refused form a new one when its key was already used for
    something else (the page was sent before with other content)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[ONE_TIME_KEY] = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)
        if not self.is_bound:
            self.initial[ONE_TIME_KEY] = one_time_key()

    @property
    def key(self) -> str | None:
        """The key as sent (None when the form carried none, e.g. an older page)."""
        data = getattr(self, "cleaned_data", {})
        return (data.get(ONE_TIME_KEY) or "").strip() or None

    def renew_key(self) -> None:
        data = self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
        data[ONE_TIME_KEY] = one_time_key()
        self.data = data


def key_reused(error: ValidationError | DomainError) -> bool:
    """Whether a refusal is about the one-time key (used before for something else)."""
    return isinstance(error, ValidationError) and ONE_TIME_KEY in getattr(error, "error_dict", {})


TOO_LONG: Final = _(
    "At most %(limit_value)s characters: this has %(show_value)s. Nothing was cut: shorten it and send again."
)


class CountedTextMixin(forms.BaseForm):
    """Text over a field's limit is refused with the count, never cut: the browser gets no
    ``maxlength`` (which silently cuts pasted text) but ``data-maxlength``, which the shell's
    script turns into a live character count."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and field.max_length and not field.widget.is_hidden:
                field.widget.attrs.pop("maxlength", None)
                field.widget.attrs["data-maxlength"] = str(field.max_length)
                field.error_messages["max_length"] = TOO_LONG

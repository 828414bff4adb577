"""One way to put a service's refusal on a form, and the one-time key every write form carries.

A view that calls a service with a form's data shows a refusal on that form: each field's
messages next to the field, the rest above the form. The API's exception handler
(:mod:`gridgov.api.errors`) is the other place that maps the error hierarchy of
:mod:`gridgov.core.errors`; between them every refusal reads alike on a page and in the API.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Final

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .errors import DomainError


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

"""One way to put a service's refusal on a form.

A view that calls a service with a form's data shows a refusal on that form: each field's
messages next to the field, the rest above the form. The API's exception handler
(:mod:`gridgov.api.errors`) is the other place that maps the error hierarchy of
:mod:`gridgov.core.errors`; between them every refusal reads alike on a page and in the API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django import forms
from django.core.exceptions import ValidationError

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

"""The one form helper for service refusals (``gridgov.core.forms.apply_error``)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from gridgov.core.errors import Conflict, Forbidden, Invalid
from gridgov.core.forms import apply_error


class LeaveForm(forms.Form):
    reason = forms.CharField(required=False)
    lead = forms.CharField(required=False)


def bound() -> LeaveForm:
    form = LeaveForm({"reason": "x", "lead": "y"})
    assert form.is_valid()
    return form


def test_the_messages_of_a_field_go_next_to_the_field():
    form = bound()
    apply_error(form, Invalid("The leave is not valid.", details={"reason": ["Too short.", "Say why."]}))
    assert form.errors == {"reason": ["Too short.", "Say why."]}
    assert "reason" not in form.cleaned_data


def test_aliases_name_the_form_field_of_a_service_field():
    form = bound()
    apply_error(form, Invalid.field("departments", "Choose one."), {"departments": "lead"})
    assert form.errors == {"lead": ["Choose one."]}


def test_a_field_the_form_does_not_have_and_the_whole_request_go_above_the_form():
    form = bound()
    apply_error(form, Invalid("Bad.", details={"until": ["Too late."], "__all__": ["Not now."]}))
    assert form.non_field_errors() == ["Too late.", "Not now."]
    assert set(form.errors) == {"__all__"}


def test_an_error_without_details_shows_its_message_above_the_form():
    form = bound()
    apply_error(form, Conflict("Someone else changed it.", code="version_conflict"))
    assert form.non_field_errors() == ["Someone else changed it."]
    other = bound()
    apply_error(other, Forbidden("Not your move."), {"reason": "lead"})
    assert other.non_field_errors() == ["Not your move."]


def test_details_without_messages_fall_back_to_the_message():
    form = bound()
    apply_error(form, Invalid("Bad.", details={}))
    assert form.non_field_errors() == ["Bad."]


def test_djangos_validation_error_is_placed_the_same_way():
    form = bound()
    apply_error(form, ValidationError({"reason": ["Too short."], "grid": ["Unknown grid."]}), {"grid": "lead"})
    assert form.errors == {"reason": ["Too short."], "lead": ["Unknown grid."]}
    whole = bound()
    apply_error(whole, ValidationError(["One.", "Two."]))
    assert whole.non_field_errors() == ["One.", "Two."]

"""The one form helper for service refusals (``gridgov.core.forms.apply_error``) and the
shared filter and action form bases."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from gridgov.core.errors import Conflict, Forbidden, Invalid
from gridgov.core.forms import ActionFormBase, FilterForm, apply_error


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


class LeaveFilters(FilterForm):
    kind = forms.ChoiceField(label="Kind", required=False)

    field_order = ["queue", "kind", "status", "department", "date_from", "date_to"]
    labels = {"date_from": "Starts from", "text": "Search"}
    text_placeholder = "Name"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, choices={"kind": [("annual", "Annual")], "status": [("open", "Open")]}, **kwargs)


def test_a_filter_form_keeps_its_order_labels_and_puts_all_first_in_each_choice():
    form = LeaveFilters()

    assert list(form.fields) == ["queue", "kind", "status", "department", "date_from", "date_to", "text"]
    assert form.fields["date_from"].label == "Starts from"
    assert 'type="search"' in str(form["text"]) and 'placeholder="Name"' in str(form["text"])
    assert [code for code, _label in form.fields["kind"].choices] == ["", "annual"]
    assert 'type="date"' in str(form["date_to"])
    assert LeaveFilters().fields["text"].widget is not form.fields["text"].widget


def test_a_filter_form_gives_only_its_valid_input_and_nothing_unbound():
    form = LeaveFilters({"kind": "annual", "status": "nonsense", "date_from": "2026-10-01"})

    assert form.valid_data()["kind"] == "annual"
    assert "status" not in form.valid_data()
    assert LeaveFilters().valid_data() == {}


class LeaveAction(ActionFormBase):
    days = forms.IntegerField(required=False)
    comment = forms.CharField(required=False)

    fields_of_action = {"approve": ("lead", "cooperating"), "shorten": ("days",)}
    always_kept = frozenset({"version", "comment"})


def test_an_action_form_keeps_the_inputs_of_its_action_and_prefixes_the_ids():
    form = LeaveAction(action="shorten")

    assert list(form.fields) == ["version", "days", "comment"]
    assert form["days"].id_for_label == "id_shorten_days"


def test_an_action_form_gives_the_lead_department_first_and_not_twice():
    form = LeaveAction({"lead": "B", "cooperating": ["A", "B"]}, action="approve")
    form.set_departments([("A", "Roads"), ("B", "Water")], empty_label="-")

    assert form.is_valid(), form.errors
    assert form.departments() == ["B", "A"]
    assert form.fields["lead"].choices[0] == ("", "-")


def test_cooperating_departments_without_a_lead_are_refused_on_the_lead():
    # The first cooperating department became the lead without a word.
    form = LeaveAction({"cooperating": ["A", "B"]}, action="approve")
    form.set_departments([("A", "Roads"), ("B", "Water")], empty_label="-")

    assert not form.is_valid() and list(form.errors) == ["lead"]
    alone = LeaveAction({}, action="approve")
    alone.set_departments([("A", "Roads")], empty_label="-")
    assert alone.is_valid() and alone.departments() == []

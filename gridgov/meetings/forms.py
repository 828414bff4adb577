"""Forms of the meeting pages."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.core.forms import ActionFormBase, OneTimeKeyMixin

from .models import ResolutionKind
from .transitions import MeetingAction, ResolutionAction

Choices = list[tuple[Any, Any]]


class PlanForm(OneTimeKeyMixin, forms.Form):
    area = forms.ChoiceField(label=_("Village or town"))
    title = forms.CharField(label=_("Title"), max_length=120)
    starts_at = forms.DateTimeField(
        label=_("Time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), input_formats=["%Y-%m-%dT%H:%M"]
    )
    place = forms.CharField(label=_("Place"), max_length=120)
    chair = forms.TypedChoiceField(label=_("Chair"), coerce=int)
    invitees = forms.TypedMultipleChoiceField(
        label=_("Invitees"), coerce=int, required=False, widget=forms.SelectMultiple(attrs={"size": 8})
    )
    agenda = forms.CharField(
        label=_("Agenda"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("One item per line. Left empty, the agenda is proposed from the weekly analyses and statistics."),
    )

    def __init__(self, *args: Any, areas: Choices, people: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["area"].choices = areas
        fields["chair"].choices = people
        fields["invitees"].choices = people


class MeetingActionForm(ActionFormBase):
    agenda = forms.CharField(label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 8}))
    minutes = forms.CharField(label=_("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 12}))

    fields_of_action: ClassVar[dict[str, tuple[str, ...]]] = {
        MeetingAction.AGENDA: ("agenda",),
        MeetingAction.HOLD: (),
        MeetingAction.MINUTES: ("minutes",),
        MeetingAction.CLOSE: (),
    }


class ResolutionForm(OneTimeKeyMixin, forms.Form):
    text = forms.CharField(label=_("Resolution"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    kind = forms.ChoiceField(label=_("It becomes"), choices=ResolutionKind.choices)
    department = forms.ChoiceField(label=_("Owner department"), required=False)
    village = forms.ChoiceField(label=_("or owner village"), required=False)
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    category = forms.ChoiceField(label=_("Category of the case"), required=False)
    grid = forms.ChoiceField(label=_("Grid of the case"), required=False)

    def __init__(
        self, *args: Any, departments: Choices, villages: Choices, categories: Choices, grids: Choices, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["department"].choices = [("", "—"), *departments]
        fields["village"].choices = [("", "—"), *villages]
        fields["category"].choices = [("", "—"), *categories]
        fields["grid"].choices = [("", "—"), *grids]


class ResolutionActionForm(ActionFormBase):
    report = forms.CharField(
        label=_("What was done"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000)

    fields_of_action: ClassVar[dict[str, tuple[str, ...]]] = {
        ResolutionAction.REPORT: ("report",),
        ResolutionAction.CONFIRM: ("comment",),
        ResolutionAction.RETURN: ("comment",),
    }

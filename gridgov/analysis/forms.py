"""Forms of the weekly analysis and the monthly summary pages."""

from __future__ import annotations

from typing import Any, ClassVar, Final

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.core.forms import ActionFormBase, BoundedDateField, DateInput, FilterDateField, MonthInput

from .models import WeeklyStatus
from .services import COMMENT_LIMIT, TEXT_LIMIT
from .transitions import SummaryAction, WeeklyAction

TEXT_ROWS: Final = 6


class WeeklyActionForm(ActionFormBase):
    analysis = forms.CharField(
        label=_("Analysis"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": TEXT_ROWS}),
        help_text=_("What the week's figures show: the main problems, where and why, what is left open."),
    )
    measures = forms.CharField(
        label=_("Proposed measures"),
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=COMMENT_LIMIT, widget=forms.Textarea(attrs={"rows": 3})
    )

    fields_of_action: ClassVar[dict[str, tuple[str, ...]]] = {
        WeeklyAction.SAVE: ("analysis", "measures"),
        WeeklyAction.SUBMIT: ("analysis", "measures"),
        WeeklyAction.APPROVE: ("comment",),
        WeeklyAction.SEND_BACK: ("comment",),
        WeeklyAction.ACCEPT: ("comment",),
        WeeklyAction.RETURN: ("comment",),
    }

    def inputs(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


STATE_CHOICES: Final = [
    ("", _("All")),
    ("due", _("Due")),
    ("on_time", _("Submitted on time")),
    ("late", _("Submitted late")),
    ("missing", _("Not submitted")),
]


class WeeklyFilterForm(forms.Form):
    week = FilterDateField(label=_("Week of"), required=False, widget=DateInput())
    area = forms.ChoiceField(label=_("Village"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *WeeklyStatus.choices])
    state = forms.ChoiceField(label=_("Timeliness"), required=False, choices=STATE_CHOICES)

    def __init__(self, *args: Any, villages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["area"]
        field.choices = [("", _("All")), *villages]


class ComposeForm(forms.Form):
    area = forms.ChoiceField(label=_("Town or village"))
    month = BoundedDateField(label=_("Month"), widget=MonthInput(), input_formats=["%Y-%m", "%Y-%m-%d"])

    def __init__(self, *args: Any, areas: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["area"]
        field.choices = areas


class SummaryActionForm(ActionFormBase):
    remarks = forms.CharField(
        label=_("Leader's remarks"), required=False, max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 5})
    )
    comment = forms.CharField(label=_("Reason"), required=False, max_length=COMMENT_LIMIT)

    fields_of_action: ClassVar[dict[str, tuple[str, ...]]] = {
        SummaryAction.REMARK: ("remarks",),
        SummaryAction.RECOMPOSE: (),
        SummaryAction.FINALIZE: (),
        SummaryAction.REOPEN: ("comment",),
    }

"""The discipline office's forms (every check that matters is the services')."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.core.forms import DateInput

from . import registry
from .models import AccountabilityKind, TargetKind


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class SettingsForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(label=_("Why the change"), max_length=200, required=False)

    def __init__(self, *args: Any, values: dict[str, int], disabled: set[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in registry.params():
            self.fields[param.code] = forms.IntegerField(
                label=str(param.label),
                min_value=param.minimum,
                max_value=param.maximum,
                initial=values.get(param.code, param.default),
            )
        self.fields["enabled"] = forms.MultipleChoiceField(
            label=_("Rules shown on the console"),
            choices=[(rule.code, rule.label) for rule in registry.rules()],
            initial=[rule.code for rule in registry.rules() if rule.code not in disabled],
            required=False,
            widget=forms.CheckboxSelectMultiple,
        )

    def param_fields(self) -> list[Any]:
        return [self[param.code] for param in registry.params()]


class IssueForm(forms.Form):
    text = forms.CharField(label=_("What the office asks"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    deadline = forms.DateField(label=_("Answer due by (date)"), widget=DateInput, required=False)
    rule = forms.CharField(widget=forms.HiddenInput, required=False)


class CommentForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    comment = forms.CharField(label=_("Text"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class ConcludeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    conclusion = forms.CharField(label=_("Conclusion"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))


class AccountabilityForm(forms.Form):
    target_kind = forms.ChoiceField(label=_("Who is held to account"), choices=TargetKind.choices)
    user = forms.ChoiceField(label=_("Member of staff"), required=False)
    department = forms.ChoiceField(label=_("Department"), required=False)
    village = forms.ChoiceField(label=_("Village"), required=False)
    kind = forms.ChoiceField(label=_("Measure"), choices=AccountabilityKind.choices)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    evidence = forms.CharField(
        label=_("Evidence: case and order numbers"),
        required=False,
        max_length=2000,
        help_text=_("One per line or separated by commas."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    attachments = forms.FileField(
        label=_("Attachments"),
        required=False,
        widget=MultipleFileInput,
    )

    def __init__(
        self,
        *args: Any,
        users: list[tuple[Any, str]],
        departments: list[tuple[str, str]],
        villages: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        blank = [("", "—")]
        self.fields["user"].choices = blank + users  # type: ignore[attr-defined]
        self.fields["department"].choices = blank + departments  # type: ignore[attr-defined]
        self.fields["village"].choices = blank + villages  # type: ignore[attr-defined]

    def target(self) -> str:
        kind = self.cleaned_data.get("target_kind", "")
        field = kind if kind in ("user", "department", "village") else "user"
        return str(self.cleaned_data.get(field) or "")

    def numbers(self) -> list[str]:
        text = str(self.cleaned_data.get("evidence") or "")
        return [part.strip() for part in text.replace("，", ",").replace("\n", ",").split(",") if part.strip()]

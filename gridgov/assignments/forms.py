"""Forms of the leaders' tasks' pages."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.core.forms import ANY, ActionFormBase, DateInput, FilterDateField

from .figures import FIGURES
from .models import AssignmentStatus, Priority
from .selectors import LIGHTS
from .services import MAX_FILES, Upload
from .transitions import PartAction, TaskAction

Choices = list[tuple[Any, Any]]
# The browser's date picker takes and gives ISO dates, whatever the language.
ISO_DATE = "%Y-%m-%d"
FILE_ACCEPT = ".pdf,.doc,.docx,.wps,.ofd,.xls,.xlsx,.et,.txt,.jpg,.jpeg,.png,.gif,.zip"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none were chosen). Their kind
    and size are checked by the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": FILE_ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        items = data if isinstance(data, list | tuple) else [data]
        files = [single(item, initial) for item in items if item]
        if len(files) > MAX_FILES:
            raise ValidationError(_("At most %(n)s files at a time.") % {"n": MAX_FILES})
        return files


def uploads_of(files: list[Any]) -> list[Upload]:
    """The uploaded files as the services take them (each is at most 15 MB: the service checks
    the size the upload declares before it trusts the content)."""
    return [
        Upload(
            name=str(getattr(item, "name", "") or ""),
            content=item.read(),
            content_type=getattr(item, "content_type", ""),
        )
        for item in files
    ]


WAITING_CHOICES: Choices = [
    ("any", _("Waiting for my decision")),
    ("extension", _("Extension requests")),
    ("submitted", _("Completions submitted")),
]


def owner_groups(owners: Choices) -> Choices:
    """The owner choices grouped by kind (the center, departments, villages) for a list of
    checkboxes: no Ctrl-click needed to pick several."""
    groups: dict[str, list[Any]] = {"center": [], "department": [], "village": []}
    for key, name in owners:
        groups.setdefault(str(key).partition(":")[0], []).append((key, name))
    labels = {"center": _("The center"), "department": _("Departments"), "village": _("Villages")}
    return [(labels.get(kind, kind), items) for kind, items in groups.items() if items]


class ListFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    light = forms.ChoiceField(label=_("Light"), required=False)
    owner = forms.ChoiceField(label=_("Owner"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    text = forms.CharField(
        label=_("Search"), required=False, max_length=100, widget=forms.TextInput(attrs={"type": "search"})
    )
    mine = forms.BooleanField(label=_("My unit's only"), required=False)
    supervision = forms.BooleanField(label=_("Supervision awaiting a reply"), required=False)
    waiting = forms.ChoiceField(label=_("Waiting for a decision"), required=False)
    figure = forms.ChoiceField(required=False, widget=forms.HiddenInput)
    start = FilterDateField(label=_("From"))
    end = FilterDateField(label=_("To"))

    def __init__(self, *args: Any, owners: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["status"].choices = [ANY, *AssignmentStatus.choices]
        labels = {"green": _("On time"), "yellow": _("Due soon"), "red": _("Overdue")}
        fields["light"].choices = [ANY, *[(light, labels[light]) for light in LIGHTS]]
        fields["owner"].choices = [ANY, *owners]
        fields["priority"].choices = [ANY, *Priority.choices]
        fields["waiting"].choices = [ANY, *WAITING_CHOICES]
        fields["figure"].choices = [ANY, *[(name, name) for name in FIGURES]]

    def valid_data(self) -> dict[str, Any]:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if name not in self.errors}


class CreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    requirement = forms.CharField(label=_("Requirement"), max_length=4000, widget=forms.Textarea(attrs={"rows": 5}))
    lead = forms.ChoiceField(label=_("Lead owner"))
    cooperating = forms.MultipleChoiceField(
        label=_("Cooperating owners"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "owner-checks"}),
    )
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput(format=ISO_DATE))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    leader = forms.TypedChoiceField(label=_("Assigning leader"), coerce=int, required=False)
    document_number = forms.CharField(label=_("Document number"), max_length=60, required=False)
    attachments = MultipleFileField(label=_("Document and other files"))
    resolution = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, owners: Choices, leaders: Choices | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["lead"].choices = owners
        fields["cooperating"].choices = owner_groups(owners)
        if leaders is None:
            del fields["leader"]
        else:
            fields["leader"].choices = leaders
            fields["leader"].required = True


class PartActionForm(ActionFormBase):
    comment = forms.CharField(
        label=_("Text"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    percent = forms.IntegerField(label=_("Progress (%)"), required=False, min_value=0, max_value=100)
    until = forms.DateField(label=_("New deadline"), required=False, widget=DateInput(format=ISO_DATE))
    attachments = MultipleFileField(label=_("Files"))

    fields_of_action: ClassVar[dict[str, tuple[str, ...]]] = {
        PartAction.ACCEPT: (),
        PartAction.PROGRESS: ("comment", "percent", "attachments"),
        PartAction.REQUEST_EXTENSION: ("until", "comment"),
        PartAction.GRANT_EXTENSION: ("until", "comment"),
        PartAction.REFUSE_EXTENSION: ("comment",),
        PartAction.SUBMIT: ("comment", "attachments"),
        PartAction.APPROVE: ("comment",),
        PartAction.RETURN: ("comment",),
    }


class TaskActionForm(ActionFormBase):
    comment = forms.CharField(
        label=_("Text"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    until = forms.DateField(label=_("Answer by"), required=False, widget=DateInput(format=ISO_DATE))
    requirement = forms.CharField(
        label=_("Requirement"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    priority = forms.ChoiceField(label=_("Priority"), required=False, choices=Priority.choices)
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=DateInput(format=ISO_DATE))
    cooperating = forms.MultipleChoiceField(
        label=_("Cooperating owners"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "owner-checks"}),
        help_text=_("An owner who has reported progress stays on the task."),
    )

    fields_of_action: ClassVar[dict[str, tuple[str, ...]]] = {
        TaskAction.SUPERVISE: ("comment", "until"),
        TaskAction.REPLY_SUPERVISION: ("comment",),
        TaskAction.EDIT: ("requirement", "priority", "deadline", "cooperating", "comment"),
        TaskAction.CANCEL: ("comment",),
    }

    def __init__(self, *args: Any, action: str, owners: Choices | None = None, **kwargs: Any) -> None:
        super().__init__(*args, action=action, **kwargs)
        fields: Any = self.fields
        if "cooperating" in fields:
            fields["cooperating"].choices = owner_groups(list(owners or []))
        if action in (TaskAction.EDIT, TaskAction.CANCEL):
            fields["comment"].label = _("Reason")
            self.order_fields(["requirement", "priority", "deadline", "cooperating", "comment"])

    def inputs(self) -> dict[str, Any]:
        """What the step takes: the fields filled in (the version travels apart; the
        cooperating owners of an edit even when none is chosen)."""
        found = {k: v for k, v in self.cleaned_data.items() if k != "version" and v not in (None, "", [])}
        if "cooperating" in self.fields:
            found["cooperating"] = list(self.cleaned_data.get("cooperating") or [])
        return found

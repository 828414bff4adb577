"""Forms of the field pages: the report form and the small action forms of the inboxes.

The forms only shape and check what the browser sends; the rules live in
:mod:`gridgov.cases.services`, whose ``ValidationError`` messages are put back next to the
fields by :func:`gridgov.core.forms.apply_error`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.categories.models import Urgency
from gridgov.categories.selectors import active_minors
from gridgov.core.forms import CountedTextMixin, OneTimeKeyMixin

from .forms import MultiplePhotoField
from .models import PartyKind
from .transitions import Action


@dataclass(frozen=True)
class CategoryOption:
    code: str
    name: str
    self_handle: bool


@dataclass(frozen=True)
class CategoryGroup:
    name: str
    options: list[CategoryOption]


def category_groups() -> list[CategoryGroup]:
    """Active minor classes grouped under their active major class, in the configured order."""
    minors = (
        active_minors()
        .filter(parent__is_active=True)
        .order_by("parent__sort_order", "parent__code", "sort_order", "code")
    )
    groups: dict[int, CategoryGroup] = {}
    for minor in minors:
        assert minor.parent is not None
        group = groups.setdefault(minor.parent_id or 0, CategoryGroup(minor.parent.name, []))
        group.options.append(CategoryOption(minor.code, minor.name, minor.self_handle_allowed))
    return list(groups.values())


class ReportForm(CountedTextMixin, OneTimeKeyMixin, forms.Form):
    category = forms.ChoiceField(label=_("Category"), error_messages={"required": _("Choose a category.")})
    description = forms.CharField(
        label=_("Description"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Describe what you found.")},
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lng = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    photos = MultiplePhotoField(label=_("Photos"))
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL, widget=forms.RadioSelect
    )
    party_kind = forms.ChoiceField(label=_("Party kind"), choices=[("", "—"), *PartyKind.choices], required=False)
    party_name = forms.CharField(label=_("Party name"), max_length=100, required=False)
    party_phone = forms.CharField(label=_("Party phone"), max_length=30, required=False)
    self_handle = forms.BooleanField(label=_("Self-handle on the spot"), required=False)
    before_photos = MultiplePhotoField(label=_("Photos before handling"))
    after_photos = MultiplePhotoField(label=_("Photos after handling"))
    comment = forms.CharField(
        label=_("How it was handled"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, groups: Sequence[CategoryGroup] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.groups = list(groups)
        category = self.fields["category"]
        assert isinstance(category, forms.ChoiceField)
        category.choices = [("", "—")] + [
            (option.code, option.name) for group in self.groups for option in group.options
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("lat") is None) != (data.get("lng") is None):
            self.add_error("lat", _("Give both latitude and longitude."))
        if data.get("self_handle"):
            if not data.get("before_photos"):
                self.add_error("before_photos", _("Add a photo taken before handling."))
            if not data.get("after_photos"):
                self.add_error("after_photos", _("Add a photo taken after handling."))
        return data


# The actions the inbox pages offer inline; everything else is on the case page.
INBOX_ACTIONS = (
    Action.ACCEPT,
    Action.ESCALATE,
    Action.ACKNOWLEDGE,
    Action.REPORT_BACK,
    Action.VERIFY_PASS,
    Action.VERIFY_FAIL,
)


class InboxActForm(CountedTextMixin, OneTimeKeyMixin, forms.Form):
    """One action on one case from an inbox card."""

    case = forms.IntegerField(widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=[(a.value, a.value) for a in INBOX_ACTIONS])
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    comment = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    result = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultiplePhotoField(label=_("Photos"))

"""Forms of the case pages: the workbench filters, the center's report form, the action forms.

The forms only read and check input; every write goes through :mod:`gridgov.cases.services`.
Choices (categories, grids, departments) are limited to what the user may see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.access.scope import visible_departments
from gridgov.areas.models import Area, AreaLevel
from gridgov.areas.selectors import areas_visible
from gridgov.categories.models import Category, Urgency
from gridgov.categories.selectors import active_minors
from gridgov.core.forms import ActionFormBase, Choices, CountedTextMixin, FilterForm, OneTimeKeyMixin
from gridgov.people.selectors import lead_also_cooperating

from .models import Light, PartyKind, Satisfaction, Source, Status
from .selectors import CaseFilters
from .services import (
    ACTION_PHOTO_KIND,
    COMMENT_MAX,
    DESCRIPTION_MAX,
    EXTENSION_DAYS_MAX,
    MAX_PHOTOS,
    PHOTO_NEEDED,
    Photo,
)
from .transitions import Action

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp"


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one input; cleans to a list (empty when none were chosen). The
    content is checked by the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": PHOTO_ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        items = data if isinstance(data, list | tuple) else [data]
        files = [single(item, initial) for item in items if item]
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(files) > MAX_PHOTOS:
            raise ValidationError(_("At most %(n)s photos at a time.") % {"n": MAX_PHOTOS})
        return files


def photos_of(files: Sequence[Any], kind: str) -> list[Photo]:
    return [Photo(file=item, kind=kind, name=getattr(item, "name", "photo") or "photo") for item in files]


def category_choices(*, majors: bool) -> list[tuple[Any, Any]]:
    """Minor classes grouped under their major class; with ``majors`` each group starts with
    the whole major class (for filters)."""
    minors = active_minors().order_by("parent__sort_order", "sort_order")
    groups: dict[int, tuple[Category, Choices]] = {}
    for minor in minors:
        assert minor.parent is not None
        parent = minor.parent
        if parent.pk not in groups:
            first: Choices = [(parent.code, _("%(name)s (all)") % {"name": parent.name})] if majors else []
            groups[parent.pk] = (parent, first)
        groups[parent.pk][1].append((minor.code, minor.name))
    return [(parent.name, options) for parent, options in groups.values()]


def _by_parent(areas: Iterable[Area], whole: str | None) -> list[tuple[Any, Any]]:
    """Areas grouped under their parent's name; with ``whole`` (a label with ``%(name)s``)
    each group starts with the whole parent (for filters)."""
    groups: dict[str, tuple[str, Choices]] = {}
    for area in areas:
        parent = area.parent
        key = parent.code if parent else ""
        if key not in groups:
            name = parent.name if parent else ""
            first: Choices = [(key, whole % {"name": name})] if whole and parent else []
            groups[key] = (name, first)
        groups[key][1].append((area.code, area.name))
    return [(name, options) for name, options in groups.values()]


def area_choices(user: User | AnonymousUser, *, villages: bool) -> list[tuple[Any, Any]]:
    """The user's grids grouped by village; with ``villages`` each group starts with the whole
    village (for filters)."""
    grids = areas_visible(user, level=AreaLevel.GRID).order_by("code")
    return _by_parent(grids, str(_("%(name)s (whole village)")) if villages else None)


# Beyond this many visible grids (a district user sees thousands), the workbench's area filter
# lists towns and villages only: a select of 5,000 grids took seconds to build and render and
# nobody scrolls it. A grid is still taken from the URL (the map, the statistics' links) and
# then shown as the chosen option.
FILTER_GRIDS_MAX = 300


def area_filter_choices(user: User | AnonymousUser, selected: object = None) -> list[tuple[Any, Any]]:
    """The workbench's area filter: each village with its grids, as :func:`area_choices`; for a
    user who sees more than :data:`FILTER_GRIDS_MAX` grids, each town with its villages, plus
    the grid or area ``selected`` in the URL when the user may see it."""
    if areas_visible(user, level=AreaLevel.GRID).count() <= FILTER_GRIDS_MAX:
        return area_choices(user, villages=True)
    villages = areas_visible(user, level=AreaLevel.VILLAGE).order_by("parent__code", "code")
    found = _by_parent(villages, str(_("%(name)s (whole town)")))
    listed = {code for _name, options in found for code, _label in options}
    if isinstance(selected, str) and selected and selected not in listed:
        area = areas_visible(user).filter(code=selected).first()
        if area is not None:
            label = f"{area.parent.name} {area.name}" if area.parent else area.name
            found.insert(0, (_("Chosen"), [(area.code, label)]))
    return found


def department_choices(user: User | AnonymousUser, *, code: str | None = None) -> Choices:
    """The departments in service the user may see (with ``code``: that one, if so)."""
    departments = visible_departments(user).filter(is_active=True)
    if code is not None:
        departments = departments.filter(code=code)
    return [(d.code, d.name) for d in departments.order_by("sort_order", "name")]


class CaseFilterForm(FilterForm):
    """The workbench filters (all optional; invalid values are ignored with an error shown)."""

    category = forms.ChoiceField(label=_("Category"), required=False)
    grid = forms.ChoiceField(label=_("Grid / village"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False)
    light = forms.ChoiceField(label=_("Light"), required=False)
    imported = forms.ChoiceField(label=_("Historical ledger"), required=False)

    field_order = [
        "queue",
        "status",
        "category",
        "grid",
        "department",
        "source",
        "light",
        "imported",
        "date_from",
        "date_to",
    ]
    labels = {"date_from": _("Reported from"), "date_to": _("Reported to"), "text": _("Text")}
    text_placeholder = _("Number, description or address")

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        data = (args[0] if args else kwargs.get("data")) or {}
        choices = {
            "status": Status.choices,
            "category": category_choices(majors=True),
            "grid": area_filter_choices(user, data.get("grid")),
            "department": department_choices(user),
            "source": Source.choices,
            "light": [(c, label) for c, label in Light.choices if c != Light.NONE],
            "imported": [("imported", _("Imported")), ("imported_review", _("Imported, to review"))],
        }
        super().__init__(*args, choices=choices, **kwargs)

    def filters(self) -> CaseFilters:
        """The valid part of the input as selector filters."""
        data = self.valid_data()
        status = data.get("status") or ""
        return CaseFilters(
            status=[status] if status else [],
            category=data.get("category") or "",
            grid=data.get("grid") or "",
            department=data.get("department") or "",
            source=data.get("source") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            text=(data.get("text") or "").strip(),
            light=data.get("light") or "",
            queue=data.get("queue") or "",
            imported=data.get("imported") or "",
        )


class CaseCreateForm(CountedTextMixin, OneTimeKeyMixin, forms.Form):
    """A case reported by the center on behalf of a resident or unit."""

    category = forms.ChoiceField(label=_("Category"))
    description = forms.CharField(
        label=_("Description"), max_length=DESCRIPTION_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    grid = forms.ChoiceField(label=_("Grid"), required=False, help_text=_("Choose the grid, or give the location."))
    lat = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    lng = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    source = forms.ChoiceField(label=_("Source"), initial=Source.CENTER)
    party_kind = forms.ChoiceField(label=_("Party kind"), required=False)
    party_name = forms.CharField(label=_("Party name"), max_length=100, required=False)
    party_phone = forms.CharField(label=_("Party phone"), max_length=30, required=False)
    photos = MultiplePhotoField(label=_("Photos"))
    dispatch_now = forms.BooleanField(label=_("Register and dispatch at once"), required=False)
    lead = forms.ChoiceField(label=_("Lead department"), required=False)

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["category"].choices = [("", "—"), *category_choices(majors=False)]
        fields["lead"].choices = [("", _("The category's department")), *department_choices(user)]
        fields["grid"].choices = [("", "—"), *area_choices(user, villages=False)]
        fields["source"].choices = [(c, label) for c, label in Source.choices if c != Source.GRID_REPORT]
        fields["party_kind"].choices = [("", "—"), *PartyKind.choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        located = data.get("grid") or (data.get("lat") is not None and data.get("lng") is not None)
        if not located and "grid" not in self.errors and "lat" not in self.errors:
            self.add_error("grid", _("Choose the grid, or give both latitude and longitude."))
        return data


# Which inputs each action's form has (besides the comment and the hidden version).
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    Action.REGISTER: ("grid",),
    Action.DISPATCH: ("lead", "cooperating"),
    Action.REPORT_BACK: ("result", "photos"),
    Action.MERGE: ("into",),
    Action.REQUEST_EXTENSION: ("days",),
    Action.VERIFY_PASS: ("photos",),
    Action.VERIFY_FAIL: ("photos",),
    Action.CALLBACK: ("satisfaction",),
}
# Service error fields → the form field that shows them.
ERROR_FIELDS: dict[str, str] = {
    "departments": "lead",
    "photos": "photos",
    "grid": "grid",
    "satisfaction": "satisfaction",
    "idempotency_key": "__all__",
}


class ActionForm(CountedTextMixin, OneTimeKeyMixin, ActionFormBase):
    """One action on one case. Only the inputs of :data:`ACTION_FIELDS` are kept."""

    grid = forms.ChoiceField(label=_("Grid (correct it if the report chose the wrong one)"), required=False)
    result = forms.CharField(
        label=_("Result"), max_length=COMMENT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    into = forms.CharField(label=_("Number of the case it duplicates"), max_length=30, required=False)
    days = forms.IntegerField(label=_("Working days"), min_value=1, max_value=EXTENSION_DAYS_MAX, required=False)
    photos = MultiplePhotoField(label=_("Photos"))
    satisfaction = forms.ChoiceField(
        label=_("What the party said"),
        choices=[("", "—"), *Satisfaction.choices],
        required=False,
        help_text=_("Dissatisfied reopens the case: write in the comment what the party is dissatisfied with."),
    )
    comment = forms.CharField(
        label=_("Comment"), max_length=COMMENT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    field_order = [
        "version",
        "grid",
        "lead",
        "cooperating",
        "result",
        "into",
        "days",
        "photos",
        "satisfaction",
        "comment",
    ]
    fields_of_action = ACTION_FIELDS
    always_kept = frozenset({"version", "comment"})

    def __init__(
        self,
        *args: Any,
        action: str,
        comment_required: bool,
        departments: Choices | None = None,
        grids: Choices | None = None,
        photo_required: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, action=action, **kwargs)
        self.set_departments(departments or [], empty_label=_("The category's department"))
        fields: Any = self.fields
        if "grid" in fields:
            fields["grid"].choices = [("", _("Keep the grid")), *(grids or [])]
        if comment_required:
            fields["comment"].required = True
            fields["comment"].label = _("Reason / comment")
        if action == Action.REPORT_BACK:
            fields["result"].required = True
        if action == Action.REQUEST_EXTENSION:
            fields["days"].required = True
        if action == Action.MERGE:
            fields["into"].required = True
        if action == Action.CALLBACK:
            fields["satisfaction"].required = True
        if photo_required and "photos" in fields:
            # The category wants a photo with this action: said before the user submits.
            fields["photos"].required = True
            fields["photos"].help_text = _("This category needs at least one photo with this action.")
            fields["photos"].error_messages["required"] = PHOTO_NEEDED[ACTION_PHOTO_KIND[action]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lead = data.get("lead") or ""
        if lead and lead in (data.get("cooperating") or []):
            # Refused here, in the same words as the service (which the API meets): the form
            # would otherwise leave the lead out of the helpers without a word.
            name = dict(self.fields["lead"].choices).get(lead, lead)  # type: ignore[attr-defined]
            self.add_error("cooperating", lead_also_cooperating(str(name)))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs: dict[str, Any] = {
            "comment": data.get("comment") or "",
            "version": data.get("version"),
            "idempotency_key": self.key,
        }
        if "grid" in self.fields:
            kwargs["grid"] = data.get("grid") or None
        if "lead" in self.fields:
            kwargs["departments"] = self.departments()
        if "result" in self.fields:
            kwargs["result"] = data.get("result") or ""
        if "into" in self.fields:
            kwargs["into"] = data.get("into") or ""
        if "days" in self.fields:
            kwargs["days"] = data.get("days")
        if "satisfaction" in self.fields:
            kwargs["satisfaction"] = data.get("satisfaction") or ""
        if "photos" in self.fields:
            kwargs["photos_in"] = photos_of(data.get("photos") or [], ACTION_PHOTO_KIND.get(self.action, "other"))
        return kwargs


class PhotoAddForm(CountedTextMixin, OneTimeKeyMixin, forms.Form):
    photos = MultiplePhotoField(label=_("Photos"), required=True)
    comment = forms.CharField(label=_("Comment"), max_length=COMMENT_MAX, required=False)

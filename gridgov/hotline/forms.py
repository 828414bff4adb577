"""Forms of the hotline pages: workbench filters, manual entry, the action forms of the order page.

The forms only read and check input; every write goes through :mod:`gridgov.hotline.services`,
whose field errors (``OrderInvalid.details``) are put back next to the fields by
:func:`gridgov.core.forms.apply_error` (through :data:`ERROR_FIELDS`). Choices (departments,
grids) are limited to what the user may see.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.cases.forms import department_choices
from gridgov.core.forms import ActionFormBase, Choices, FilterForm

from . import intake
from .intake import OrderData
from .models import Channel, OrderStatus, OrderType, SourceSystem, UrgencyClass

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

TEXT_MAX: Final = 4000
CONTENT_MAX: Final = 8000


class DateTimeInput(forms.DateTimeInput):
    """A browser date-time picker (``YYYY-MM-DDTHH:MM``, local time)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


DATETIME_FORMATS: Final = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


def local_datetime_field(label: Any, *, required: bool = False, help_text: Any = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, required=required, help_text=help_text, input_formats=DATETIME_FORMATS, widget=DateTimeInput
    )


PERIODS: Final = (
    ("", _("Any time")),
    ("today", _("Today")),
    ("7d", _("Last 7 days")),
    ("30d", _("Last 30 days")),
    ("custom", _("Custom dates")),
)


class OrderFilterForm(FilterForm):
    """The workbench filters (all optional; invalid values are ignored with an error shown)."""

    order_type = forms.ChoiceField(label=_("Type"), required=False)
    urgency_class = forms.ChoiceField(label=_("Urgency class"), required=False)
    source_system = forms.ChoiceField(label=_("Source"), required=False)
    period = forms.ChoiceField(label=_("Arrived"), required=False, choices=PERIODS)

    field_order = [
        "queue",
        "status",
        "order_type",
        "urgency_class",
        "department",
        "source_system",
        "period",
        "date_from",
        "date_to",
    ]
    labels = {"date_from": _("Arrived from"), "date_to": _("Arrived to"), "text": _("Search")}
    text_placeholder = _("Upstream number or content")

    def __init__(self, *args: Any, user: User | AnonymousUser, **kwargs: Any) -> None:
        choices = {
            "status": OrderStatus.choices,
            "order_type": OrderType.choices,
            "urgency_class": UrgencyClass.choices,
            "department": department_choices(user),
            "source_system": SourceSystem.choices,
        }
        super().__init__(*args, choices=choices, **kwargs)

    def dates(self, now: dt.datetime) -> tuple[dt.date | None, dt.date | None]:
        """The arrival dates the period stands for (``custom``: the two date inputs)."""
        data = self.cleaned_data if self.is_bound and hasattr(self, "cleaned_data") else {}
        period = data.get("period") or ""
        today = timezone.localdate(now)
        if period == "today":
            return today, today
        if period == "7d":
            return today - dt.timedelta(days=6), today
        if period == "30d":
            return today - dt.timedelta(days=29), today
        return data.get("date_from"), data.get("date_to")


class OrderNewForm(forms.Form):
    """An order phoned in or handed over to the center (channel "manual")."""

    source_system = forms.ChoiceField(label=_("Source system"), choices=SourceSystem.choices)
    upstream_number = forms.CharField(label=_("Upstream number"), max_length=64)
    received_at = local_datetime_field(_("Received upstream at"), required=True)
    order_type = forms.ChoiceField(label=_("Type"), choices=OrderType.choices)
    urgency_class = forms.ChoiceField(label=_("Urgency class"), choices=UrgencyClass.choices, initial="general")
    complex = forms.BooleanField(
        label=_("Complex order"), required=False, help_text=_("Allows two working days to return it.")
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    content = forms.CharField(label=_("Content"), max_length=CONTENT_MAX, widget=forms.Textarea(attrs={"rows": 5}))
    upstream_category = forms.CharField(label=_("Upstream category"), max_length=200, required=False)
    address = forms.CharField(label=_("Address of the matter"), max_length=300, required=False)
    anonymous = forms.BooleanField(label=_("Anonymous petitioner"), required=False)
    petitioner_name = forms.CharField(label=_("Petitioner name"), max_length=100, required=False)
    petitioner_phone = forms.CharField(label=_("Petitioner phone"), max_length=30, required=False)
    petitioner_address = forms.CharField(label=_("Petitioner address"), max_length=300, required=False)
    upstream_ack_deadline = local_datetime_field(
        _("Acknowledge by"), help_text=_("Only if upstream set it; otherwise the class's limit applies.")
    )
    upstream_deadline = local_datetime_field(
        _("Complete by"), help_text=_("Only if upstream set it; otherwise the type's limit applies.")
    )
    town = forms.ChoiceField(label=_("Handling town"), required=False)

    def __init__(self, *args: Any, towns: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        if len(towns) > 1:
            fields["town"].choices = [("", "—"), *towns]
            fields["town"].required = True
        else:
            del fields["town"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("anonymous"):
            for name in ("petitioner_name", "petitioner_phone", "petitioner_address"):
                data[name] = ""
        received = data.get("received_at")
        if received is not None and received > timezone.now() + dt.timedelta(minutes=5):
            self.add_error("received_at", _("The time lies in the future."))
        # The service's own checks (the phone, the deadlines after the received time, …), so that
        # every field's error shows in one round; a field that failed already keeps its error.
        for field, problems in intake.validate(intake.normalise(self.order_data(data))).items():
            target = field if field in self.fields else None
            if target is not None and target in self.errors:
                continue
            for problem in problems:
                self.add_error(target, problem)
        return data

    def order_data(self, data: dict[str, Any] | None = None) -> OrderData:
        """The order the form describes, as :func:`services.order_receive` takes it."""
        data = self.cleaned_data if data is None else data
        return OrderData(
            source_system=data.get("source_system") or "",
            upstream_number=(data.get("upstream_number") or "").strip(),
            received_at=data.get("received_at"),  # type: ignore[arg-type]  # None when it did not parse: validate() says so
            order_type=data.get("order_type") or "",
            urgency_class=data.get("urgency_class") or "",
            content=(data.get("content") or "").strip(),
            title=(data.get("title") or "").strip(),
            upstream_category=(data.get("upstream_category") or "").strip(),
            address=(data.get("address") or "").strip(),
            upstream_ack_deadline=data.get("upstream_ack_deadline"),
            upstream_deadline=data.get("upstream_deadline"),
            petitioner_name=(data.get("petitioner_name") or "").strip(),
            petitioner_phone=(data.get("petitioner_phone") or "").strip(),
            petitioner_address=(data.get("petitioner_address") or "").strip(),
            anonymous=bool(data.get("anonymous")),
            complex=bool(data.get("complex")),
            town_code=data.get("town") or "",
        )


# Inputs of each action's form (besides the hidden version). Keys are the action codes of
# ``gridgov.hotline.transitions``.
ACTION_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "acknowledge": ("comment",),
    "assign": ("lead", "cooperating", "comment"),
    "instruct": ("instruction", "lead", "cooperating"),
    "draft_reply": ("text",),
    "reject_draft": ("comment",),
    "approve_reply": ("text", "comment"),
    "return_upstream": ("reason", "basis"),
    "request_extension": ("until", "reason"),
    "create_case": ("grid", "comment"),
    "link_case": ("case_number", "comment"),
    "unlink_case": ("comment",),
    "remind": ("comment",),
    "clear_review": ("comment",),
}
REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "instruct": ("instruction", "lead"),
    "assign": ("lead",),
    "draft_reply": ("text",),
    "reject_draft": ("comment",),
    "return_upstream": ("reason", "basis"),
    "request_extension": ("until", "reason"),
    "create_case": ("grid",),
    "link_case": ("case_number",),
}
# Service error fields → the form field that shows them.
ERROR_FIELDS: Final[dict[str, str]] = {
    "departments": "lead",
    "department": "lead",
    "grid_id": "grid",
    "grid": "grid",
    "case_id": "case_number",
    "case": "case_number",
}


class ActionForm(ActionFormBase):
    """One action on one order. Only the inputs of :data:`ACTION_FIELDS` are kept."""

    instruction = forms.CharField(
        label=_("Instruction"), max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    text = forms.CharField(
        label=_("Reply to the petitioner"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    basis = forms.CharField(
        label=_("Legal basis"), max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    until = local_datetime_field(_("Extend until"))
    grid = forms.ChoiceField(label=_("Grid of the case"), required=False)
    case_number = forms.CharField(label=_("Case number"), max_length=30, required=False)
    comment = forms.CharField(
        label=_("Comment"), max_length=TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    field_order = [
        "version",
        "instruction",
        "lead",
        "cooperating",
        "text",
        "reason",
        "basis",
        "until",
        "grid",
        "case_number",
        "comment",
    ]
    fields_of_action = ACTION_FIELDS

    def __init__(
        self,
        *args: Any,
        action: str,
        departments: Choices | None = None,
        grids: Choices | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, action=action, **kwargs)
        self.set_departments(departments or [], empty_label="—")
        fields: Any = self.fields
        if "grid" in fields:
            fields["grid"].choices = [("", "—"), *(grids or [])]
        for name in REQUIRED.get(action, ()):
            fields[name].required = True
        if action == "approve_reply":
            fields["text"].label = _("Reply to the petitioner (correct it if needed)")
        if action == "reject_draft":
            fields["comment"].label = _("What must change")

    def service_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``services.order_act`` this form carries (``link_case``'s
        case number is resolved by the view)."""
        data = self.cleaned_data
        kwargs: dict[str, Any] = {"version": data.get("version")}
        for name in ("comment", "instruction", "text", "reason", "basis"):
            if name in self.fields:
                kwargs[name] = (data.get(name) or "").strip()
        if "lead" in self.fields:
            kwargs["departments"] = self.departments()
        if "until" in self.fields:
            kwargs["until"] = data.get("until")
        return kwargs


class GrantForm(forms.Form):
    """The center lets one department see the petitioner of this order."""

    department = forms.ChoiceField(label=_("Department"))
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, departments: Choices, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_grant_%s")
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["department"].choices = [("", "—"), *departments]


CHANNEL_MANUAL: Final = Channel.MANUAL

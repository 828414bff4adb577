"""The resident's report form, shared by the public page and the public API: the same fields,
checks, honeypot and one-time key, then :func:`services.public_report_submit` (which holds the
abuse limits and the never-twice rule)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.areas.models import Area
from gridgov.cases.services import Photo
from gridgov.categories.selectors import catalogue
from gridgov.core.audit import client_ip
from gridgov.core.forms import OneTimeKeyMixin

from . import services
from .models import PublicReport

MAX_PHOTOS = 3


class ReportForm(OneTimeKeyMixin, forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("What is it about"))
    description = forms.CharField(label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 5}))
    address = forms.CharField(label=gettext_lazy("Address or landmark"), required=False, max_length=200)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=gettext_lazy("Your name (optional)"), required=False, max_length=100)
    phone = forms.CharField(
        label=gettext_lazy("Your phone (optional)"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    # The honeypot: hidden from people, filled by robots.
    website = forms.CharField(required=False, label=gettext_lazy("Leave this field empty"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # No category chosen in advance: a resident who does not choose is asked to.
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", gettext_lazy("Choose what it is about")),
            *((str(major.name), [(minor.code, minor.name) for minor in minors]) for major, minors in catalogue()),
        ]


def report_photos(files: list[UploadedFile]) -> list[Photo]:
    if len(files) > MAX_PHOTOS:
        raise ValidationError({"photos": [_("At most %(n)s photos at a time.") % {"n": MAX_PHOTOS}]})
    return [Photo(file=item, name=item.name or "photo") for item in files]


def client_of(request: HttpRequest) -> str:
    """The address the abuse limits count (the real client's behind trusted proxies)."""
    return client_ip(request) or ""


def report_submit(form: ReportForm, *, area: Area, request: HttpRequest, key: str | None = None) -> PublicReport | None:
    """Submit a valid form (``key``: the one-time key when the form did not carry one, e.g. the
    API's ``Idempotency-Key`` header): ``None`` for a robot (the honeypot filled: answered as received,
    nothing kept), else the report (the first one again for a key already used). Raises the
    service's ``Throttled`` (429) and ``ValidationError`` (422)."""
    data = form.cleaned_data
    if data["website"]:
        return None
    return services.public_report_submit(
        client=client_of(request),
        area=area,
        category=data["category"],
        description=data["description"],
        lat=data["lat"],
        lng=data["lng"],
        address=data["address"],
        name=data["name"],
        phone=data["phone"],
        photos_in=report_photos(request.FILES.getlist("photos")),
        submission_key=form.key or key,
    )

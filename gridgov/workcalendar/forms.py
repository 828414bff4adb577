"""Forms of the working-calendar admin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import schedule
from .models import CalendarDay, WorkingPeriod
from .services import validate_periods

MAX_UPLOAD_BYTES = 256 * 1024


class ScheduleLoadForm(forms.Form):
    """A year and its official schedule, as notice text or date lines, pasted or uploaded."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2999)
    fmt = forms.ChoiceField(
        label=_("Format"),
        choices=[
            (schedule.NOTICE, _("State Council notice text")),
            (schedule.CSV, _("Lines: date,holiday|workday,name")),
        ],
        initial=schedule.NOTICE,
    )
    text = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 14, "cols": 90}))
    upload = forms.FileField(label=_("Or a text file"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year + 1

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("upload")
        if upload is not None:
            if upload.size > MAX_UPLOAD_BYTES:
                raise ValidationError(_("The file is too large."))
            raw = upload.read()
            try:
                data["text"] = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                try:
                    data["text"] = raw.decode("gb18030")
                except UnicodeDecodeError as exc:
                    raise ValidationError(_("The file is not UTF-8 or GB18030 text.")) from exc
        if not (data.get("text") or "").strip():
            raise ValidationError(_("Paste the schedule or upload a file."))
        return data


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "is_workday", "name"]


class WorkingPeriodForm(forms.ModelForm):
    """Checks the edited period against the others before the service replaces them."""

    class Meta:
        model = WorkingPeriod
        fields = ["start", "end"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start is not None and end is not None:
            others = WorkingPeriod.objects.exclude(pk=self.instance.pk).values_list("start", "end")
            validate_periods([*others, (start, end)])
        return data

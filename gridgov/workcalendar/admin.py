"""Admin of the working calendar: every save and delete goes through the services.

The loaded-years list links to "Load a year's official schedule" (paste or upload the State
Council's notice or date lines → preview → confirm) and to a month view of each year.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from collections import Counter
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import calendar, schedule
from .forms import CalendarDayForm, ScheduleLoadForm, WorkingPeriodForm
from .models import CalendarDay, CalendarYear, WorkingPeriod
from .services import (
    day_override_clear,
    day_override_set,
    official_year_load,
    official_year_unload,
    working_periods_set,
)


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        years = CalendarDay.objects.dates("date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(date__year=int(value))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    form = CalendarDayForm
    list_display = ["date", "weekday", "is_workday", "name", "source", "updated_at"]
    list_filter = [YearFilter, "is_workday", "source"]
    search_fields = ["name"]
    date_hierarchy = "date"
    ordering = ["-date"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return formats.date_format(obj.date, "l")

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: ModelForm, change: bool) -> None:
        if change and obj.pk:
            old_date = CalendarDay.objects.filter(pk=obj.pk).values_list("date", flat=True).first()
            if old_date and old_date != obj.date:
                day_override_clear(actor=request.user, date=old_date)
        day = day_override_set(actor=request.user, date=obj.date, is_workday=obj.is_workday, name=obj.name)
        obj.pk = day.pk
        obj.source = day.source

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        day_override_clear(actor=request.user, date=obj.date)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        for d in list(queryset.values_list("date", flat=True)):
            day_override_clear(actor=request.user, date=d)


@admin.register(WorkingPeriod)
class WorkingPeriodAdmin(admin.ModelAdmin):
    form = WorkingPeriodForm
    list_display = ["__str__", "start", "end"]

    def save_model(self, request: HttpRequest, obj: WorkingPeriod, form: ModelForm, change: bool) -> None:
        others = list(WorkingPeriod.objects.exclude(pk=obj.pk).values_list("start", "end")) if obj.pk else None
        if others is None:
            others = list(WorkingPeriod.objects.values_list("start", "end"))
        rows = working_periods_set(actor=request.user, periods=[*others, (obj.start, obj.end)])
        obj.pk = next(row.pk for row in rows if (row.start, row.end) == (obj.start, obj.end))

    def delete_model(self, request: HttpRequest, obj: WorkingPeriod) -> None:
        self._keep(request, WorkingPeriod.objects.exclude(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WorkingPeriod]) -> None:
        self._keep(request, WorkingPeriod.objects.exclude(pk__in=list(queryset.values_list("pk", flat=True))))

    def _keep(self, request: HttpRequest, rest: QuerySet[WorkingPeriod]) -> None:
        try:
            working_periods_set(actor=request.user, periods=list(rest.values_list("start", "end")))
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ["year", "official_dates", "loaded_at", "loaded_by", "note", "calendar_link"]
    readonly_fields = ["year", "loaded_at", "loaded_by", "note"]
    fields = ["year", "loaded_at", "loaded_by", "note"]

    @admin.display(description=_("official dates"))
    def official_dates(self, obj: CalendarYear) -> int:
        return CalendarDay.objects.filter(date__year=obj.year, source="official").count()

    @admin.display(description=_("calendar"))
    def calendar_link(self, obj: CalendarYear) -> str:
        url = reverse("admin:workcalendar_calendaryear_calendar", args=[obj.year])
        return format_html('<a href="{}">{}</a>', url, gettext("View"))

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:workcalendar_calendaryear_load"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: CalendarYear) -> None:
        official_year_unload(actor=request.user, year=obj.year)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarYear]) -> None:
        for year in list(queryset.values_list("year", flat=True)):
            official_year_unload(actor=request.user, year=year)

    def get_urls(self) -> list[URLPattern]:
        return [
            path("load/", self.admin_site.admin_view(self.load_view), name="workcalendar_calendaryear_load"),
            path(
                "calendar/<int:year>/",
                self.admin_site.admin_view(self.calendar_view),
                name="workcalendar_calendaryear_calendar",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        today = timezone.localdate()
        extra = {
            "missing_year": calendar.next_year_missing(today),
            "calendar_years": [today.year, today.year + 1],
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)

    def load_view(self, request: HttpRequest) -> HttpResponse:
        """Paste or upload → preview (nothing written) → confirm (re-parsed, then loaded)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        parsed: schedule.ParsedSchedule | None = None
        form = ScheduleLoadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            parsed = schedule.parse(data["text"], data["year"], data["fmt"])
            if "confirm" in request.POST and parsed.ok:
                try:
                    official_year_load(
                        actor=request.user,
                        year=data["year"],
                        holidays=parsed.holidays,
                        workdays=parsed.workdays,
                        note=data.get("note") or "",
                    )
                except ValidationError as exc:
                    parsed.errors.extend(exc.messages)
                else:
                    self.message_user(
                        request,
                        gettext("The official schedule of %(year)s was loaded.") % {"year": data["year"]},
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(reverse("admin:workcalendar_calendaryear_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Load a year's official schedule"),
            "form": form,
            "parsed": parsed,
            "rows": parsed.rows() if parsed else [],
            "year_known": calendar.year_known(parsed.year) if parsed else False,
        }
        return TemplateResponse(request, "admin/workcalendar/calendaryear/load.html", context)

    def calendar_view(self, request: HttpRequest, year: int) -> HttpResponse:
        """A read-only month grid of one year: holidays and swapped working days coloured."""
        if not self.has_view_permission(request) or not 1900 <= year <= 2999:
            raise PermissionDenied
        days = {info.date: info for info in calendar.year_days(year)}
        months = []
        grid = pycalendar.Calendar(firstweekday=0)
        for month in range(1, 13):
            weeks = [
                [days.get(d) if d.month == month else None for d in week]
                for week in grid.monthdatescalendar(year, month)
            ]
            months.append({"label": formats.date_format(dt.date(year, month, 1), "YEAR_MONTH_FORMAT"), "weeks": weeks})
        weekdays = [formats.date_format(dt.date(2024, 1, i), "D") for i in range(1, 8)]  # 2024-01-01 is a Monday
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Working calendar %(year)s") % {"year": year},
            "year": year,
            "months": months,
            "weekdays": weekdays,
            "year_known": calendar.year_known(year),
            "source": Counter(info.source for info in days.values()).most_common(1)[0][0],
            "previous_year": year - 1,
            "next_year": year + 1,
        }
        return TemplateResponse(request, "admin/workcalendar/calendaryear/calendar.html", context)

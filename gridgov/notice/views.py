"""Pages of the notice: the public pages (no login; cached), the resident's report, tracking
and complaint forms, and the center's pages (publications, posters, spam, complaints)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area, AreaLevel
from gridgov.areas.selectors import town_of
from gridgov.cases.models import Status
from gridgov.core.errors import Conflict, Throttled
from gridgov.core.forms import ONE_TIME_KEY, OneTimeKeyMixin, apply_error, key_reused
from gridgov.core.pages import error_page
from gridgov.people.models import Role

from . import selectors, services
from .complaints import public_state
from .forms import MAX_PHOTOS, ReportForm, client_of, report_submit
from .models import Publication

PAGE_TTL = 600  # seconds; every change to what is published bumps the cache version anyway


def _public_url(request: HttpRequest, area: Area) -> str:
    base = getattr(settings, "GRIDGOV_PUBLIC_BASE_URL", "") or request.build_absolute_uri("/")[:-1]
    return base.rstrip("/") + reverse("notice:public", args=[area.code])


# --- Public pages ------------------------------------------------------------------------------


def _town(area: Area | None) -> Area | None:
    return town_of(area) if area is not None else None


def _public_render(
    request: HttpRequest, template: str, context: dict[str, Any], *, town: Area | None = None, status: int = 200
) -> HttpResponse:
    """A public page, with the town's name in its header (``town``, else the town of ``area``)."""
    context = {**context, "town": town or _town(context.get("area"))}
    return render(request, template, context, status=status)


def _sections(area: Area, grids: list[Area]) -> dict[str, Any]:
    """Each grid's cards; on a village's page its grid leaders once, above the grids (a leader
    serves several grids: repeated in each, one card became five)."""
    cards = [(grid, selectors.grid_cards(grid)) for grid in grids]
    if area.level == AreaLevel.GRID:
        return {"sections": cards, "leaders": []}
    leaders: dict[int, Any] = {}
    for _grid, rows in cards:
        for card in rows:
            if card.role == Role.GRID_LEADER:
                leaders.setdefault(card.user_id, card)
    workers = [(grid, [card for card in rows if card.role != Role.GRID_LEADER]) for grid, rows in cards]
    return {"sections": workers, "leaders": list(leaders.values())}


def _public_context(area: Area) -> dict[str, Any]:
    if area.level == AreaLevel.GRID:
        grids = [area]
    else:
        grids = list(Area.objects.current().filter(parent=area, level=AreaLevel.GRID).order_by("code"))
    features = [
        {"type": "Feature", "properties": {"name": grid.name}, "geometry": grid.boundary}
        for grid in grids
        if grid.boundary
    ]
    return {
        "area": area,
        "town": _town(area),
        "is_grid": area.level == AreaLevel.GRID,
        "village": area.parent if area.level == AreaLevel.GRID else area,
        **_sections(area, grids),
        "supervision_phone": selectors.supervision_phone(area),
        "map_config": {
            "features": features,
            "tileUrl": getattr(settings, "MAP_TILE_URL", ""),
            "tileAttribution": getattr(settings, "MAP_TILE_ATTRIBUTION", ""),
        },
    }


def public_page(request: HttpRequest, code: str) -> HttpResponse:
    """A village's or a grid's staff notice, for anyone. The page holds no form and nothing of
    the viewer, so it is cached whole per area and language until something published changes."""
    key = f"notice:page:{selectors.version()}:{get_language()}:{code}"
    content = cache.get(key)
    if content is None:
        area = selectors.public_area(code)
        if area is None:
            raise Http404
        content = render_to_string("notice/public.html", _public_context(area), request=None)
        cache.set(key, content, PAGE_TTL)
    response = HttpResponse(content)
    response["Cache-Control"] = "public, max-age=60"
    return response


def public_photo(request: HttpRequest, user_id: int) -> FileResponse:
    """A published photo (nothing for anyone not published, or without ``show_photo``)."""
    profile = selectors.published_photo_owner(user_id)
    if profile is None:
        raise Http404
    response = FileResponse(profile.photo.open("rb"), content_type="image/png")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def public_report(request: HttpRequest, code: str) -> HttpResponse:
    """A resident's report of a demand or a hazard, from a village's or a grid's page."""
    area = selectors.public_area(code)
    if area is None:
        raise Http404
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            report = report_submit(form, area=area, request=request)
        except Throttled as throttled:
            form.add_error(None, throttled.message)
            status = 429
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields and field != ONE_TIME_KEY else None, messages)
            if key_reused(error):
                form.renew_key()
            status = 422
        else:
            # A robot (report None) is answered as if received, with a code that leads nowhere;
            # nothing was kept.
            code = report.code if report else services.decoy_code()
            return _public_render(request, "notice/report_done.html", {"area": area, "code": code})
    elif request.method == "POST":
        status = 422
    context = {
        "area": area,
        "form": form,
        "map_config": _public_context(area)["map_config"],
        "max_photos": MAX_PHOTOS,
    }
    return _public_render(request, "notice/report.html", context, status=status)


TRACK_STEPS = [
    (Status.REPORTED, gettext_lazy("Received")),
    ("handling", gettext_lazy("Being handled")),
    (Status.CLOSED, gettext_lazy("Closed")),
]


def track(request: HttpRequest, code: str = "") -> HttpResponse:
    """A report's progress and result by its tracking code: the case's status, dates, category
    and result, never a name, a phone or the staff's accounts."""
    code = code or request.GET.get("code", "")
    report = services.report_by_code(code) if code else None
    if code and report is None:
        return _public_render(request, "notice/track.html", {"code": code, "not_found": True}, status=404)
    context: dict[str, Any] = {"code": code, "report": report}
    if report is not None:
        context["tracking"] = services.tracking(report)
    town = _town(report.case.grid) if report is not None else None
    return _public_render(request, "notice/track.html", context, town=town)


class ComplaintForm(OneTimeKeyMixin, forms.Form):
    concerning = forms.TypedChoiceField(label=gettext_lazy("Who"), coerce=int, required=False, empty_value=None)
    text = forms.CharField(label=gettext_lazy("What happened"), widget=forms.Textarea(attrs={"rows": 6}))
    name = forms.CharField(label=gettext_lazy("Your name (optional)"), required=False, max_length=100)
    phone = forms.CharField(label=gettext_lazy("Your phone (optional)"), required=False, max_length=30)
    website = forms.CharField(required=False, label=gettext_lazy("Leave this field empty"))


def complaint(request: HttpRequest, code: str) -> HttpResponse:
    """A complaint about a member of staff's conduct, for the discipline office only."""
    area = selectors.public_area(code)
    if area is None:
        raise Http404
    cards = selectors.grid_cards(area) if area.level == AreaLevel.GRID else []
    form = ComplaintForm(request.POST or None)
    choices: list[tuple[Any, str]] = [("", _("Not sure / not listed"))]
    choices += [(card.user_id, f"{card.name}（{card.role_label}）") for card in cards]
    form.fields["concerning"].choices = choices  # type: ignore[attr-defined]
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["website"]:
            # A robot: answered as received, with a code that leads nowhere; nothing kept.
            return _public_render(request, "notice/complaint_done.html", {"area": area, "code": services.decoy_code()})
        try:
            received = services.complaint_submit(
                client=client_of(request),
                area=area,
                text=data["text"],
                concerning_id=data["concerning"],
                name=data["name"],
                phone=data["phone"],
                submission_key=form.key,
            )
        except Throttled as throttled:
            form.add_error(None, throttled.message)
            status = 429
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                form.add_error(field if field in form.fields and field != ONE_TIME_KEY else None, messages)
            if key_reused(error):
                form.renew_key()
            status = 422
        else:
            return _public_render(request, "notice/complaint_done.html", {"area": area, "code": received.code})
    elif request.method == "POST":
        status = 422
    return _public_render(request, "notice/complaint.html", {"area": area, "form": form}, status=status)


# --- The center ----------------------------------------------------------------------------------


def _center_only(request: HttpRequest) -> None:
    if not selectors.center_towns(request.user):
        raise PermissionDenied


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    """The center's notice: who is published, each grid's poster and whether to reprint it."""
    _center_only(request)
    rows = selectors.poster_rows(request.user)
    staff = list(selectors.staff_managed(request.user))
    publications = {row.user_id: row for row in Publication.objects.filter(user__in=[s.user_id for s in staff])}
    context = {
        "rows": rows,
        "staff": [(row, publications.get(row.user_id)) for row in staff],
        "towns": [(town, selectors.town_setting(town)) for town in selectors.center_towns(request.user)],
        # Without the public address the posters' QR codes point to the address this page was
        # opened at, which residents outside the intranet cannot reach.
        "qr_base": "" if getattr(settings, "GRIDGOV_PUBLIC_BASE_URL", "") else request.build_absolute_uri("/")[:-1],
    }
    return render(request, "notice/manage.html", context)


class PublicationForm(forms.ModelForm):
    class Meta:
        model = Publication
        fields = ["published", "display_name", "show_photo", "work_phone", "duties", "service_hours"]
        widgets = {"duties": forms.Textarea(attrs={"rows": 3})}


@login_required
def publication_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    _center_only(request)
    rows = list(selectors.staff_managed(request.user).filter(user_id=user_id))
    if not rows:
        raise Http404
    person = get_object_or_404(get_user_model(), pk=user_id)
    instance = Publication.objects.filter(user=person).first() or Publication(user=person)
    form = PublicationForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.publication_save(actor=request.user, user=person, request=request, **data)
        return redirect("notice:manage")
    profile = getattr(person, "profile", None)
    return render(
        request, "notice/publication.html", {"form": form, "person": person, "profile": profile, "rows": rows}
    )


class SettingForm(forms.Form):
    supervision_phone = forms.CharField(
        label=gettext_lazy("Supervision phone"),
        required=False,
        max_length=30,
        help_text=gettext_lazy("The discipline office's phone, on every notice and poster of the town."),
    )
    service_hours = forms.CharField(
        label=gettext_lazy("Service hours"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Shown for anyone published without service hours of their own."),
    )


@login_required
def settings_edit(request: HttpRequest, code: str) -> HttpResponse:
    """A town's supervision phone and default service hours (the center of the town)."""
    _center_only(request)
    town = next((town for town in selectors.center_towns(request.user) if town.code == code), None)
    if town is None:
        raise Http404
    setting = selectors.town_setting(town)
    form = SettingForm(
        request.POST or None,
        initial={"supervision_phone": setting.supervision_phone, "service_hours": setting.service_hours},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.notice_setting_save(actor=request.user, town=town, request=request, **form.cleaned_data)
        except ValidationError as error:
            apply_error(form, error)
        else:
            return redirect("notice:manage")
    return render(request, "notice/settings.html", {"form": form, "town": town}, status=422 if form.errors else 200)


@login_required
@require_POST
def poster_generate(request: HttpRequest, code: str) -> HttpResponse:
    _center_only(request)
    grid = selectors.grid_managed(request.user, code)
    if grid is None:
        raise Http404
    services.poster_generate(actor=request.user, grid=grid, public_url=_public_url(request, grid))
    return redirect("notice:manage")


@login_required
def poster_download(request: HttpRequest, pk: int) -> FileResponse:
    _center_only(request)
    poster = get_object_or_404(selectors.posters_managed(request.user), pk=pk)
    return FileResponse(poster.pdf.open("rb"), as_attachment=True, filename=f"poster-{poster.grid.code}.pdf")


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    """Residents' reports with their cases; the center marks spam here."""
    _center_only(request)
    rows = list(selectors.public_reports_managed(request.user)[:200])
    return render(
        request,
        "notice/reports.html",
        {"rows": rows, "voidable": {Status.REPORTED, Status.REGISTERED, Status.RETURNED}},
    )


@login_required
@require_POST
def report_spam(request: HttpRequest, pk: int) -> HttpResponse:
    _center_only(request)
    report = get_object_or_404(selectors.public_reports_managed(request.user), pk=pk)
    try:
        case = services.report_mark_spam(
            actor=request.user, report=report, reason=request.POST.get("reason", ""), request=request
        )
    except ValidationError as error:
        return error_page(request, " ".join(error.messages), 422)
    except Conflict:
        # Sent twice, or someone else was quicker: the report is already settled.
        messages.info(request, _("This report was already settled; nothing was changed."))
        return redirect("notice:reports")
    messages.success(request, _("Case %(number)s is voided as spam.") % {"number": case.number})
    return redirect("notice:reports")


@login_required
def complaints(request: HttpRequest) -> HttpResponse:
    """The discipline office handles complaints on its own pages (``gridgov.oversight``)."""
    if not scope_for(request.user).has_role(Role.SUPERVISOR):
        raise PermissionDenied
    return redirect("oversight:complaints")


def complaint_track(request: HttpRequest, code: str = "") -> HttpResponse:
    """A complaint's state by its tracking code: the state only, no text, no name, no date of
    any step that could tell who handles it."""
    code = code or request.GET.get("code", "")
    found = services.complaint_by_code(code) if code else None
    if code and found is None:
        return _public_render(request, "notice/complaint_track.html", {"code": code, "not_found": True}, status=404)
    context: dict[str, Any] = {"code": code, "complaint": found}
    if found is not None:
        context["state"] = public_state(found)
    town = found.town if found is not None else None
    return _public_render(request, "notice/complaint_track.html", context, town=town)

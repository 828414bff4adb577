"""Pages of the opinion meetings (民情分析会): the list and the planning form with the proposed
agenda, a meeting (follow-up of earlier resolutions, agenda, sign-in QR code and attendance,
minutes, resolutions), the phone's sign-in page behind the QR code, the resolutions a
department or village owns, and the minutes as Word and PDF."""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

import segno
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.access.scope import scope_for
from gridgov.areas.models import AreaLevel
from gridgov.areas.selectors import areas_visible
from gridgov.cases.forms import area_choices, category_choices, department_choices
from gridgov.core.actors import signed_in
from gridgov.core.audit import record
from gridgov.core.downloads import document_response
from gridgov.core.errors import DomainError
from gridgov.core.forms import apply_error, key_reused
from gridgov.core.pages import ObjectPage, error_page
from gridgov.people.models import Role
from gridgov.people.selectors import display_name, role_assignments, role_holder_ids
from gridgov.workcalendar import calendar

from . import documents, services
from .forms import MeetingActionForm, PlanForm, ResolutionActionForm, ResolutionForm
from .links import resolution_links
from .models import Meeting, MeetingStatus
from .transitions import MeetingAction

LIST_LIMIT: Final = 100
PEOPLE_LIMIT: Final = 400


def _people(request: HttpRequest) -> list[tuple[str, list[tuple[int, str]]]]:
    """Active staff with a role in the user's areas (chairs and invitees), grouped by role, each
    with the area they serve: 82 bare names tell an organiser nothing."""
    areas = areas_visible(request.user).values("pk")
    ids = role_holder_ids(Q(area__in=areas))[:PEOPLE_LIMIT]
    rows = role_assignments(Q(user_id__in=ids, area__in=areas, user__is_active=True)).order_by("role", "area__path")
    labels = dict(Role.choices)
    groups: dict[str, list[tuple[int, str]]] = {}
    seen: set[int] = set()
    for row in rows:
        if row.user_id in seen:
            continue  # listed once, under their first role
        seen.add(row.user_id)
        label = f"{display_name(row.user)} · {row.area.name}" if row.area else display_name(row.user)
        groups.setdefault(str(labels.get(row.role, row.role)), []).append((row.user_id, label))
    return list(groups.items())


@require_http_methods(["GET", "POST"])
@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    areas = services.meeting_areas(request.user)
    organiser_areas = [(a.code, a.name) for a in areas.order_by("code") if services.is_organiser(request.user, a)]
    owned = services.resolutions_owned(request.user)
    has_areas = areas.exists()
    # The menu shows the page to LIST_ROLES; a department has no meeting area of its own, its
    # part is the tasks the meetings give it, listed here (an empty list says so, not 403).
    if not has_areas and not owned.exists() and not scope_for(request.user).has_role(*services.LIST_ROLES):
        return error_page(request, _("You may not open this page."), 403)
    form = None
    status = 200
    if organiser_areas:
        # A week ahead at three in the afternoon, on a working day.
        day = timezone.localdate() + dt.timedelta(days=7)
        day = calendar.next_workday(day)
        start = timezone.make_aware(dt.datetime.combine(day, dt.time(15, 0)))
        initial = {"starts_at": start.strftime("%Y-%m-%dT%H:%M"), "chair": request.user.pk}
        form = PlanForm(request.POST or None, areas=organiser_areas, people=_people(request), initial=initial)
        if request.method == "POST":
            status = 422
            if form.is_valid():
                data = form.cleaned_data
                try:
                    meeting = services.meeting_plan(
                        actor=request.user,
                        area_code=data["area"],
                        title=data["title"],
                        starts_at=data["starts_at"],
                        place=data["place"],
                        chair_id=data["chair"],
                        invitee_ids=data["invitees"],
                        agenda=data["agenda"] or None,
                        submission_key=form.key,
                    )
                except (DomainError, ValidationError) as error:
                    if isinstance(error, DomainError) and error.status != 422:
                        return error_page(request, error.message, error.status)
                    apply_error(form, error)
                    if key_reused(error):
                        form.renew_key()
                else:
                    return redirect("meetings:detail", pk=meeting.pk)
    elif request.method == "POST":
        return error_page(request, _("You may not plan a meeting."), 403)
    items = list(services.meetings_visible(request.user)[:LIST_LIMIT])
    context: dict[str, Any] = {"form": form, "items": items, "owned_count": owned.exclude(status="done").count()}
    if not has_areas:
        context["owned_rows"] = _resolution_rows(request, owned.order_by("status", "deadline", "pk")[:LIST_LIMIT])
    return render(request, "meetings/list.html", context, status=status)


def _visible(request: HttpRequest, pk: int) -> Meeting:
    try:
        return services.meeting_get(request.user, pk)
    except DomainError:
        raise Http404(_("No such meeting.")) from None


def _resolution_rows(request: HttpRequest, resolutions: Any) -> list[dict[str, Any]]:
    rows = []
    resolutions = list(resolutions)
    links = resolution_links(resolutions, request.user)
    for resolution in resolutions:
        own = links.get(resolution.pk, [])
        # Taken over (by a leader's task): its state is the task's, its own steps are hidden.
        taken = next((link.state for link in own if link.state), "")
        actions = [
            {
                "action": action,
                "label": services.RESOLUTIONS.label(action),
                "form": ResolutionActionForm(initial={"version": resolution.version}, action=action),
                "url": reverse("meetings:resolution-act", args=[resolution.pk, action]) + f"?next={request.path}",
                "danger": action == "return",
            }
            for action in services.RESOLUTIONS.allowed_actions(resolution, request.user)
            if not taken
        ]
        rows.append(
            {
                "resolution": resolution,
                "state": services.resolution_state(resolution),
                "taken_state": taken,
                "actions": actions,
                "links": own,
            }
        )
    return rows


def _detail_context(request: HttpRequest, meeting: Meeting, **extra: Any) -> dict[str, Any]:
    failed = extra.get("failed")
    actions = []
    for action in services.MEETINGS.allowed_actions(meeting, request.user):
        initial = {
            "version": meeting.version,
            "agenda": "\n".join(item["title"] for item in meeting.agenda),
            "minutes": meeting.minutes,
        }
        form = failed if failed is not None and getattr(failed, "action", "") == action else None
        actions.append(
            {
                "action": action,
                "label": services.MEETINGS.label(action),
                "form": form or MeetingActionForm(initial=initial, action=action),
                "url": reverse("meetings:act", args=[meeting.pk, action]),
                "open": form is not None or action in (MeetingAction.MINUTES,),
            }
        )
    organiser = services.is_organiser(request.user, meeting.area)
    sign_in_url = request.build_absolute_uri(reverse("meetings:sign-in", args=[meeting.pk, meeting.sign_in_key]))
    resolution_form = None
    if organiser and meeting.status == MeetingStatus.HELD:
        resolution_form = extra.get("resolution_form") or _resolution_form(request, meeting)
    signed = list(meeting.attendance.select_related("user__profile"))
    signed_ids = {a.user_id for a in signed}
    return {
        "meeting": meeting,
        "organiser": organiser,
        "actions": actions,
        "error": extra.get("error", ""),
        "followup": _resolution_rows(request, services.open_resolutions(meeting.area, before=meeting)),
        "resolutions": _resolution_rows(request, meeting.resolutions.select_related("case", "department", "village")),
        "resolution_form": resolution_form,
        "attendance": [(a, display_name(a.user)) for a in signed],
        "absent": [display_name(u) for u in meeting.invitees.select_related("profile") if u.pk not in signed_ids],
        "chair": display_name(meeting.chair),
        "qr": mark_safe(segno.make(sign_in_url, error="m").svg_inline(scale=4)) if organiser else "",  # noqa: S308 - our own SVG
        "sign_in_url": sign_in_url if organiser else "",
    }


def _resolution_form(request: HttpRequest, meeting: Meeting, data: Any = None) -> ResolutionForm:
    villages = list(areas_visible(request.user).filter(level=AreaLevel.VILLAGE).values_list("code", "name"))
    # A village's meeting sends work to its own grids; the town's meeting to any.
    grids = [
        choice
        for _group, options in area_choices(request.user, villages=False)
        for choice in options
        if meeting.area.level != AreaLevel.VILLAGE or choice[0].startswith(meeting.area.code)
    ]
    return ResolutionForm(
        data,
        departments=department_choices(request.user),
        villages=villages,
        categories=category_choices(majors=False),
        grids=grids,
    )


def _page(request: HttpRequest, pk: int) -> ObjectPage:
    return ObjectPage(
        request,
        template="meetings/detail.html",
        context=lambda meeting, **extra: _detail_context(request, meeting, **extra),
        reload=lambda: _visible(request, pk),
        not_found=_("No such meeting."),
        stale=_("Someone else changed this meeting meanwhile. The page shows it as it is now; your text is kept."),
    )


@require_GET
@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, pk).render(_visible(request, pk))


@require_POST
@login_required
def meeting_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return _page(request, pk).post_action(
        _visible(request, pk),
        action,
        actions=MeetingAction,
        form_class=MeetingActionForm,
        service=services.meeting_act,
        labels=services.MEETINGS.label,
        error_fields={"agenda": "agenda", "minutes": "minutes"},
        success_url=reverse("meetings:detail", args=[pk]),
    )


@require_POST
@login_required
def resolution_add(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _visible(request, pk)
    form = _resolution_form(request, meeting, request.POST)
    page = _page(request, pk)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.resolution_add(
                actor=request.user,
                meeting_id=meeting.pk,
                text=data["text"],
                kind=data["kind"],
                deadline=data["deadline"],
                department_code=data["department"],
                village_code=data["village"],
                category=data["category"],
                grid_code=data["grid"],
                submission_key=form.key,
            )
        except (DomainError, ValidationError) as error:
            if isinstance(error, DomainError) and error.status in (403, 404):
                return error_page(request, error.message, error.status)
            apply_error(form, error)
            if key_reused(error):
                form.renew_key()
        else:
            return redirect("meetings:detail", pk=meeting.pk)
    return page.render(meeting, 422, resolution_form=form)


def _next(request: HttpRequest, fallback: str) -> str:
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


@require_POST
@login_required
def resolution_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    form = ResolutionActionForm(request.POST, action=action)
    if not form.is_valid():
        return error_page(request, _("Check what you entered."), 422)
    inputs = {k: v for k, v in form.cleaned_data.items() if k != "version" and v}
    try:
        resolution = services.resolution_act(
            actor=request.user, pk=pk, action=action, inputs=inputs, version=form.cleaned_data.get("version")
        )
    except DomainError as error:
        return error_page(request, error.message, error.status)
    return redirect(_next(request, reverse("meetings:detail", args=[resolution.meeting_id])))


@require_GET
@login_required
def resolution_list(request: HttpRequest) -> HttpResponse:
    """The resolutions the user's department or village owns, open first."""
    owned = services.resolutions_owned(request.user).order_by("status", "deadline", "pk")
    return render(request, "meetings/resolutions.html", {"rows": _resolution_rows(request, owned[:LIST_LIMIT])})


@require_http_methods(["GET", "POST"])
@login_required
def sign_in(request: HttpRequest, pk: int, key: str) -> HttpResponse:
    """The page behind the meeting's QR code: on a phone, one tap signs the user in."""
    meeting = Meeting.objects.filter(pk=pk).select_related("area").first()
    if meeting is None or not services.key_matches(meeting, key):
        return error_page(request, _("This sign-in code is not valid."), 404)
    user = signed_in(request.user)
    if user is None:
        return error_page(request, _("Sign in to the platform first."), 403)
    signed = meeting.attendance.filter(user_id=user.pk).first()
    status = 200
    message = ""
    if request.method == "POST":
        try:
            signed, _created = services.meeting_sign_in(actor=request.user, pk=pk, key=key)
        except DomainError as error:
            status = error.status
            message = error.message
    context = {"meeting": meeting, "signed": signed, "message": message, "name": display_name(user)}
    return render(request, "meetings/sign_in.html", context, status=status)


@require_GET
@login_required
def minutes_download(request: HttpRequest, pk: int, extension: str) -> HttpResponse:
    meeting = _visible(request, pk)
    writer = {"docx": documents.write_docx, "pdf": documents.write_pdf}.get(extension)
    if writer is None:
        raise Http404(_("Unknown format."))
    content = writer(meeting)
    record(action="meeting.download", actor=request.user, obj=meeting, request=request, data={"format": extension})
    return document_response(content, extension, f"meeting-{meeting.pk}-minutes.{extension}")


urlpatterns: list[URLPattern] = [
    path("meetings/", meeting_list, name="list"),
    path("meetings/resolutions/", resolution_list, name="resolutions"),
    path("meetings/resolutions/<int:pk>/act/<str:action>/", resolution_act, name="resolution-act"),
    path("meetings/<int:pk>/", meeting_detail, name="detail"),
    path("meetings/<int:pk>/act/<str:action>/", meeting_act, name="act"),
    path("meetings/<int:pk>/resolutions/", resolution_add, name="resolution-add"),
    path("meetings/<int:pk>/sign-in/<str:key>/", sign_in, name="sign-in"),
    path("meetings/<int:pk>/minutes.<str:extension>", minutes_download, name="download"),
]

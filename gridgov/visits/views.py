"""Pages of basic data and visits: households, units and key places of the grids in scope
(masked, with an audited reveal), their forms and the spreadsheet import with its row report,
the visits, the overdue visits and the monthly coverage."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.cases.forms import MultiplePhotoField
from gridgov.core.downloads import document_response
from gridgov.core.errors import DomainError, Forbidden, Invalid, Throttled
from gridgov.core.forms import OneTimeKeyMixin, apply_error, month_param
from gridgov.core.pages import error_page, forbidden_page
from gridgov.core.pagination import keyset_page

from . import access, importing, selectors, services
from .models import CareTag, Finding, HazardTag, Household, Unit, UnitKind, VisitPhoto

PAGE = 30
REPORT_TTL = 3600


class GridFilterForm(forms.Form):
    grid = forms.CharField(label=gettext_lazy("Area code"), required=False, max_length=30)


class HouseholdForm(forms.Form):
    grid = forms.CharField(label=gettext_lazy("Grid code"), max_length=30)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=services.ADDRESS_MAX)
    head_name = forms.CharField(label=gettext_lazy("Head of household"), max_length=services.NAME_MAX, required=False)
    head_phone = forms.CharField(label=gettext_lazy("Phone"), max_length=services.PHONE_MAX, required=False)
    member_count = forms.IntegerField(
        label=gettext_lazy("Members"), min_value=1, max_value=services.MEMBERS_MAX, required=False
    )
    care_tags = forms.MultipleChoiceField(
        label=gettext_lazy("Care tags"), choices=CareTag.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class UnitForm(forms.Form):
    grid = forms.CharField(label=gettext_lazy("Grid code"), max_length=30)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=UnitKind.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=services.NAME_MAX)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=services.ADDRESS_MAX, required=False)
    contact_name = forms.CharField(label=gettext_lazy("Contact"), max_length=services.NAME_MAX, required=False)
    contact_phone = forms.CharField(label=gettext_lazy("Contact phone"), max_length=services.PHONE_MAX, required=False)
    hazard_tags = forms.MultipleChoiceField(
        label=gettext_lazy("Hazard tags"),
        choices=HazardTag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class VisitForm(OneTimeKeyMixin, forms.Form):
    """A visit recorded on the web (the phone records most): its one-time key is the visit's
    client UUID, so the form sent twice is one visit."""

    visited_at = forms.DateTimeField(
        label=gettext_lazy("Visited at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    finding = forms.ChoiceField(label=gettext_lazy("Finding"), choices=Finding.choices)
    notes = forms.CharField(
        label=gettext_lazy("Notes"),
        required=False,
        max_length=services.NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photos = MultiplePhotoField(label=gettext_lazy("Photos"))


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What the file holds"),
        choices=[("households", gettext_lazy("Resident households")), ("units", gettext_lazy("Units and key places"))],
    )
    file = forms.FileField(label=gettext_lazy("Spreadsheet (.xlsx or .csv)"))


def _grid_code(request: HttpRequest) -> str:
    form = GridFilterForm(request.GET or None)
    return form.cleaned_data["grid"] if form.is_bound and form.is_valid() else ""


def _page(request: HttpRequest, rows: Any, order: tuple[str, ...]) -> Any:
    try:
        return keyset_page(rows, order, request.GET.get("cursor") or None, PAGE)
    except Invalid:
        return keyset_page(rows, order, None, PAGE)


def _query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("cursor", None)
    return params.urlencode()


@require_GET
@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.households_visible(request.user).select_related("grid")
    code = _grid_code(request)
    if code:
        rows = selectors.grid_filter(rows, code)
    if request.GET.get("doubtful"):
        rows = rows.filter(doubtful=True)
    page = _page(request, rows, ("area_path", "id"))
    items = [
        {
            "household": h,
            "address": access.mask_address(h.address),
            "head_name": access.mask_name(h.head_name),
            "head_phone": access.mask_phone(h.head_phone),
            "care": access.mask_care(h.care_tags),
        }
        for h in page.items
    ]
    return render(
        request,
        "visits/households.html",
        {
            "form": GridFilterForm(request.GET or None),
            "items": items,
            "next_cursor": page.next_cursor,
            "first": not request.GET.get("cursor"),
            "query": _query(request),
        },
    )


def _household(request: HttpRequest, pk: int) -> Household:
    try:
        return selectors.household_get(request.user, pk)
    except ObjectDoesNotExist:
        raise Http404(_("No such household.")) from None


def _household_context(
    request: HttpRequest, household: Household, revealed: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "household": household,
        "person": {
            "address": revealed["address"] if revealed else access.mask_address(household.address),
            "name": revealed["head_name"] if revealed else access.mask_name(household.head_name),
            "phone": revealed["head_phone"] if revealed else access.mask_phone(household.head_phone),
            "care": revealed["care_labels"] if revealed else access.mask_care(household.care_tags),
            "revealed": revealed is not None,
        },
        "may_reveal": access.may_reveal(request.user, household),
        "may_edit": access.may_edit(request.user, household.area_path),
        "may_visit": access.may_visit(request.user, household.area_path),
        "visits": selectors.visits_visible(request.user)
        .filter(household=household)
        .select_related("worker", "worker__profile")[:20],
    }


@require_GET
@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    return render(request, "visits/household.html", _household_context(request, household))


@require_POST
@login_required
def household_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    try:
        revealed = services.household_reveal(household, actor=request.user, request=request)
    except Forbidden as refused:
        return forbidden_page(request, refused.message)
    except Throttled as throttled:
        return error_page(request, throttled.message, 429)
    context = _household_context(request, household, revealed)
    template = "visits/_household_person.html" if request.headers.get("HX-Request") else "visits/household.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@login_required
def household_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    household = _household(request, pk) if pk is not None else None
    if household is None and not access.may_edit_somewhere(request.user):
        return forbidden_page(request, _("You may not edit the basic data of this grid."))
    if household is not None and not access.may_edit(request.user, household.area_path):
        return forbidden_page(request, _("You may not edit the basic data of this grid."))
    initial = {}
    if household is not None and request.method == "GET":
        # The form shows the person in full: opening it is a reveal (audited, counted).
        try:
            person = services.household_reveal(household, actor=request.user, request=request)
        except Forbidden as refused:
            return forbidden_page(request, refused.message)
        except Throttled as throttled:
            return error_page(request, throttled.message, 429)
        initial = {
            "grid": household.grid.code,
            "address": person["address"],
            "head_name": person["head_name"],
            "head_phone": person["head_phone"],
            "member_count": household.member_count,
            "care_tags": household.care_tags,
        }
    form = HouseholdForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved, _outcome = services.household_save(
                actor=request.user,
                household=household,
                grid=data["grid"],
                address=data["address"],
                head_name=data["head_name"],
                head_phone=data["head_phone"],
                member_count=data["member_count"],
                care_tags=data["care_tags"],
                request=request,
            )
        except (ValidationError, DomainError) as error:
            apply_error(form, error)
        else:
            return redirect("visits:household", saved.pk)
    return render(
        request,
        "visits/form.html",
        {
            "form": form,
            "title": _("Edit household") if household else _("New household"),
            "note": _("The head's name, the phone and the address are stored encrypted."),
        },
    )


@require_GET
@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    key_places = {"key": True, "units": False}.get(request.GET.get("show", ""))
    rows = selectors.units_visible(request.user, key_places=key_places).select_related("grid")
    code = _grid_code(request)
    if code:
        rows = selectors.grid_filter(rows, code)
    page = _page(request, rows, ("area_path", "name", "id"))
    items = [
        {"unit": u, "contact": _unit_contact(request, u), "may_visit": access.may_visit(request.user, u.area_path)}
        for u in page.items
    ]
    return render(
        request,
        "visits/units.html",
        {
            "form": GridFilterForm(request.GET or None),
            "items": items,
            "next_cursor": page.next_cursor,
            "first": not request.GET.get("cursor"),
            "query": _query(request),
            "show": request.GET.get("show", ""),
        },
    )


def _unit_contact(request: HttpRequest, unit: Unit, revealed: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "name": revealed["contact_name"] if revealed else access.mask_name(unit.contact_name),
        "phone": revealed["contact_phone"] if revealed else access.mask_phone(unit.contact_phone),
        "revealed": revealed is not None,
        "may_reveal": access.may_reveal(request.user, unit),
        "target": f"unit-contact-{unit.pk}",
    }


@require_POST
@login_required
def unit_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """A unit's contact in full (audited ``visits.unit_reveal``, counted with every reveal):
    the list's cell through htmx, else a small page."""
    try:
        unit = selectors.unit_get(request.user, pk)
    except ObjectDoesNotExist:
        raise Http404(_("No such unit.")) from None
    try:
        revealed = services.unit_reveal(unit, actor=request.user, request=request)
    except Forbidden as refused:
        return forbidden_page(request, refused.message)
    except Throttled as throttled:
        return error_page(request, throttled.message, 429)
    context = {"unit": unit, "contact": _unit_contact(request, unit, revealed)}
    template = "visits/_unit_contact.html" if request.headers.get("HX-Request") else "visits/unit_contact.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@login_required
def unit_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    unit: Unit | None = None
    if pk is None and not access.may_edit_somewhere(request.user):
        return forbidden_page(request, _("You may not edit the basic data of this grid."))
    if pk is not None:
        try:
            unit = selectors.unit_get(request.user, pk)
        except ObjectDoesNotExist:
            raise Http404(_("No such unit.")) from None
        if not access.may_edit(request.user, unit.area_path):
            return forbidden_page(request, _("You may not edit the basic data of this grid."))
    initial = {}
    if unit is not None and request.method == "GET":
        # The form shows the contact in full: opening it is a reveal (audited, counted).
        try:
            contact = services.unit_reveal(unit, actor=request.user, request=request)
        except Forbidden as refused:
            return forbidden_page(request, refused.message)
        except Throttled as throttled:
            return error_page(request, throttled.message, 429)
        initial = {
            "grid": unit.grid.code,
            "kind": unit.kind,
            "name": unit.name,
            "address": unit.address,
            "contact_name": contact["contact_name"],
            "contact_phone": contact["contact_phone"],
            "hazard_tags": unit.hazard_tags,
        }
    form = UnitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_save(
                actor=request.user,
                unit=unit,
                request=request,
                lat=unit.lat if unit else None,
                lng=unit.lng if unit else None,
                **form.cleaned_data,
            )
        except (ValidationError, DomainError) as error:
            apply_error(form, error)
        else:
            return redirect("visits:units")
    return render(
        request,
        "visits/form.html",
        {
            "form": form,
            "title": _("Edit unit") if unit else _("New unit or key place"),
            "note": _("The contact's name and phone are stored encrypted."),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    if not access.may_edit_somewhere(request.user):
        return forbidden_page(request, _("You may not edit the basic data of this grid."))
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    token = ""
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = importing.import_basic_data(
            actor=request.user, kind=form.cleaned_data["kind"], handle=upload.file, name=upload.name, request=request
        )
        if not report.refused:
            token = uuid.uuid4().hex
            cache.set(f"visits:import:{request.user.pk}:{token}", report.workbook(), REPORT_TTL)
    refused = request.method == "POST" and (not form.is_valid() or (report is not None and bool(report.refused)))
    return render(
        request, "visits/import.html", {"form": form, "report": report, "token": token}, status=422 if refused else 200
    )


@require_GET
@login_required
def import_report(request: HttpRequest, token: str) -> HttpResponse:
    data = cache.get(f"visits:import:{request.user.pk}:{token}")
    if data is None:
        raise Http404(_("The row report has expired; import the file again to see it."))
    return document_response(data, "xlsx", "row-report.xlsx")


@require_GET
@login_required
def visit_list(request: HttpRequest) -> HttpResponse:
    rows = selectors.visits_visible(request.user)
    code = _grid_code(request)
    if code:
        rows = selectors.grid_filter(rows, code)
    try:
        page = selectors.visit_page(rows, cursor=request.GET.get("cursor") or None, limit=PAGE)
    except Invalid:
        page = selectors.visit_page(rows, limit=PAGE)
    items = [
        {
            "visit": v,
            "label": access.mask_address(v.household.address) if v.household else v.unit.name if v.unit else "",
        }
        for v in page.items
    ]
    return render(
        request,
        "visits/visits.html",
        {
            "form": GridFilterForm(request.GET or None),
            "items": items,
            "next_cursor": page.next_cursor,
            "first": not request.GET.get("cursor"),
            "query": _query(request),
            "findings": Finding,
        },
    )


def _visit_target(request: HttpRequest) -> Household | Unit:
    """The household (``?household=``) or unit (``?unit=``) a visit is recorded for, in scope."""
    try:
        if request.GET.get("unit"):
            return selectors.unit_get(request.user, int(request.GET["unit"]))
        return selectors.household_get(request.user, int(request.GET.get("household", "")))
    except (ValueError, ObjectDoesNotExist):
        raise Http404(_("No such household or unit.")) from None


@require_http_methods(["GET", "POST"])
@login_required
def visit_new(request: HttpRequest) -> HttpResponse:
    """Record a visit to a household or a unit, with photos, on the web."""
    target = _visit_target(request)
    if not access.may_visit(request.user, target.area_path):
        return forbidden_page(request, _("Your role does not record visits."))
    now = timezone.localtime()
    form = VisitForm(
        request.POST or None, request.FILES or None, initial={"visited_at": now.replace(second=0, microsecond=0)}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit, _created = services.visit_record(
                actor=request.user,
                client_id=uuid.UUID(form.key) if form.key else uuid.uuid4(),
                visited_at=data["visited_at"],
                household_id=target.pk if isinstance(target, Household) else None,
                unit_id=target.pk if isinstance(target, Unit) else None,
                finding=data["finding"],
                notes=data["notes"],
                photos_in=data["photos"],
                request=request,
            )
        except ValueError:
            form.add_error(None, _("The form has expired; send it again."))
            form.renew_key()
        except (ValidationError, DomainError) as error:
            apply_error(form, error, {"household_id": "__all__", "unit_id": "__all__"})
        else:
            return redirect("visits:detail", pk=visit.pk)
    label = target.name if isinstance(target, Unit) else access.mask_address(target.address)
    return render(
        request,
        "visits/visit_form.html",
        {"form": form, "target": target, "label": label, "is_unit": isinstance(target, Unit)},
        status=422 if form.errors else 200,
    )


@require_GET
@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One visit with its photos, for whoever may see the visit."""
    try:
        visit = selectors.visit_get(request.user, pk)
    except ObjectDoesNotExist:
        raise Http404(_("No such visit.")) from None
    label = access.mask_address(visit.household.address) if visit.household else visit.unit.name if visit.unit else ""
    case_id = selectors.case_of(visit)
    return render(
        request,
        "visits/visit.html",
        {"visit": visit, "label": label, "case_id": case_id, "photos": list(visit.photos.all())},
    )


@require_GET
@login_required
def visit_photo(request: HttpRequest, pk: int, variant: str) -> FileResponse:
    """One photo of a visit the viewer may see."""
    try:
        handle, content_type = selectors.visit_photo_open(request.user, pk, variant)
    except VisitPhoto.DoesNotExist:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=86400"
    return response


@require_GET
@login_required
def overdue_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = selectors.overdue(request.user, today=today)
    items = []
    for d in rows:
        if d.household is not None:
            item = {
                "address": access.mask_address(d.household.address),
                "contact": access.mask_name(d.household.head_name),
                "tags": [access.mask_care(d.household.care_tags)],
            }
        else:
            assert d.unit is not None
            item = {
                "address": d.unit.address,
                "contact": access.mask_name(d.unit.contact_name),
                "tags": d.unit.plan_labels,
            }
        items.append({"due": d, **item})
    return render(request, "visits/overdue.html", {"items": items, "today": today})


@require_GET
@login_required
def coverage_page(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    chosen = month_param(request.GET.get("month"), today)
    rows = selectors.coverage_for(request.user, year=chosen.year, month=chosen.month)
    due = sum(c.due for _code, _name, c in rows)
    visited = sum(c.visited for _code, _name, c in rows)
    return render(
        request,
        "visits/coverage.html",
        {
            "rows": rows,
            "month": chosen,
            "total_due": due,
            "total_visited": visited,
            "total_rate": visited / due if due else None,
            "households_due": sum(c.households_due for _code, _name, c in rows),
            "households_visited": sum(c.households_visited for _code, _name, c in rows),
            "units_due": sum(c.units_due for _code, _name, c in rows),
            "units_visited": sum(c.units_visited for _code, _name, c in rows),
        },
    )

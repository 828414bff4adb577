"""Admin for areas: edits go through the services; GeoJSON import (check, preview, confirm)
and export."""

from __future__ import annotations

import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _

from gridgov.core.forms import apply_error

from .models import Area, AreaLevel
from .services import AreaImportError, area_create, area_retire, area_update, areas_export, areas_import

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

IMPORT_DIR = "area-imports"
IMPORT_SESSION_KEY = "areas_import_token"
_TOKEN = re.compile(r"[0-9a-f]{32}")


class AreaAdminForm(forms.ModelForm):
    """Validates through the services: the write happens once the model checks passed, so
    that service errors (codes, overlaps) show on the form."""

    actor: User | AnonymousUser | None = None

    class Meta:
        model = Area
        fields = ["code", "name", "level", "parent", "households", "boundary", "valid_from", "valid_to"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.saved: Area | None = None
        if "parent" in self.fields:
            self.fields["parent"].queryset = Area.objects.current().exclude(level=AreaLevel.GRID)  # type: ignore[attr-defined]

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        if self.errors:
            return
        try:
            self.saved = self._write()
        except ValidationError as exc:
            apply_error(self, exc)

    @transaction.atomic
    def _write(self) -> Area:
        """Create, or update and perhaps retire, in one transaction: a refused retire
        undoes the update (the admin view does not roll back a form that fails)."""
        data = self.cleaned_data
        if self.instance.pk is None:
            return area_create(
                actor=self.actor,
                code=data["code"],
                name=data["name"],
                level=data["level"],
                parent=data.get("parent"),
                households=data.get("households") or 0,
                boundary=data.get("boundary"),
                valid_from=data.get("valid_from"),
            )
        stored = Area.objects.get(pk=self.instance.pk)
        area = area_update(
            actor=self.actor,
            area=stored,
            name=data["name"],
            households=data.get("households") or 0,
            boundary=data.get("boundary"),
            valid_from=data.get("valid_from"),
        )
        valid_to = data.get("valid_to")
        if valid_to and stored.valid_to is None:
            area = area_retire(actor=self.actor, area=area, valid_to=valid_to)
        return area


class ImportForm(forms.Form):
    file = forms.FileField(label=_("GeoJSON file"))


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    form = AreaAdminForm
    list_display = ["code", "name", "level", "parent", "households", "valid_from", "valid_to"]
    list_filter = ["level", ("valid_to", admin.EmptyFieldListFilter)]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    readonly_fields = [
        "path",
        "min_lng",
        "min_lat",
        "max_lng",
        "max_lat",
        "center_lng",
        "center_lat",
        "created_at",
        "updated_at",
    ]
    ordering = ["code"]
    change_list_template = "admin/areas/area/change_list.html"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(self.readonly_fields)
        if obj is not None:
            # The code encodes the place in the tree: a new code is a new area.
            fields += ["code", "level", "parent"]
            if obj.valid_to is not None:
                fields.append("valid_to")
        return fields

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        # The services wrote it while the form was validated.
        return form.saved

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        pass

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # no many-to-many fields or inlines on the form

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # areas are retired (valid to), never deleted

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path("import/", self.admin_site.admin_view(self.import_view), name="areas_area_import"),
            path("export/", self.admin_site.admin_view(self.export_view), name="areas_area_export"),
        ]
        return extra + super().get_urls()

    # --- GeoJSON import: upload → check → preview → confirm ---------------------------------

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import GeoJSON"),
        }
        form = ImportForm()
        if request.method == "POST" and "confirm" in request.POST:
            return self._import_confirm(request)
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES)
            if form.is_valid():
                content = form.cleaned_data["file"].read()
                try:
                    collection = json.loads(content.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    form.add_error("file", _("Not a JSON file: %(error)s") % {"error": exc})
                else:
                    try:
                        report = areas_import(actor=request.user, collection=collection, dry_run=True)
                    except AreaImportError as exc:
                        context["problems"] = [str(problem) for problem in exc.problems]
                    else:
                        token = uuid.uuid4().hex
                        default_storage.save(f"{IMPORT_DIR}/{token}.geojson", ContentFile(content))
                        request.session[IMPORT_SESSION_KEY] = token
                        context["report"] = report
                        context["token"] = token
        context["form"] = form
        return TemplateResponse(request, "admin/areas/area/import.html", context)

    def _import_confirm(self, request: HttpRequest) -> HttpResponse:
        token = request.POST.get("token", "")
        changelist = reverse("admin:areas_area_changelist")
        if not _TOKEN.fullmatch(token) or request.session.get(IMPORT_SESSION_KEY) != token:
            messages.error(request, _("The upload has expired; upload the file again."))
            return HttpResponseRedirect(reverse("admin:areas_area_import"))
        name = f"{IMPORT_DIR}/{token}.geojson"
        try:
            with default_storage.open(name) as handle:
                collection = json.loads(handle.read().decode("utf-8"))
        except OSError:
            messages.error(request, _("The upload has expired; upload the file again."))
            return HttpResponseRedirect(reverse("admin:areas_area_import"))
        try:
            report = areas_import(actor=request.user, collection=collection)
        except AreaImportError as exc:
            # The areas changed since the preview.
            for problem in exc.problems[:20]:
                messages.error(request, str(problem))
            return HttpResponseRedirect(reverse("admin:areas_area_import"))
        finally:
            default_storage.delete(name)
            request.session.pop(IMPORT_SESSION_KEY, None)
        messages.success(
            request,
            _("Imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
            % {"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
        )
        return HttpResponseRedirect(changelist)

    # --- GeoJSON export -------------------------------------------------------------------

    def export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        level = request.GET.get("level") or None
        if level not in (None, *AreaLevel.values):
            level = None
        collection = areas_export(level=level)
        response = HttpResponse(
            json.dumps(collection, ensure_ascii=False), content_type="application/geo+json; charset=utf-8"
        )
        filename = f"areas-{level or 'all'}.geojson"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

"""Admin for the classification. Writes go through :mod:`gridgov.categories.services`:
``save_model`` saves the category, ``save_formset`` its time limits; nothing is deleted (a
category is deactivated instead, so old cases keep theirs)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from gridgov.core.forms import apply_error

from .models import Category, CategoryTimeLimit
from .services import category_deactivate, category_save, validate_category


class LevelFilter(admin.SimpleListFilter):
    title = _("level")
    parameter_name = "level"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("major", _("Major classes")), ("minor", _("Minor classes"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Category]) -> QuerySet[Category]:
        if self.value() == "major":
            return queryset.filter(parent__isnull=True)
        if self.value() == "minor":
            return queryset.filter(parent__isnull=False)
        return queryset


class MajorFilter(admin.SimpleListFilter):
    title = _("major class")
    parameter_name = "major"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(major.pk), major.name) for major in Category.objects.majors()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Category]) -> QuerySet[Category]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(parent_id=int(value))
        return queryset


class CategoryAdminForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = [
            "code",
            "name",
            "parent",
            "default_department",
            "self_handle_allowed",
            "verification_required",
            "result_photo_required",
            "verify_photo_required",
            "filing_condition",
            "closing_condition",
            "sort_order",
            "is_active",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "parent" in self.fields:
            self.fields["parent"].queryset = Category.objects.majors()  # type: ignore[attr-defined]
        if self.instance.pk is not None:
            # The code names the category in history and in the API: it never changes.
            for name in ("code", "parent"):
                if name in self.fields:
                    self.fields[name].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            validate_category(
                code=data.get("code", ""),
                name=data.get("name", ""),
                parent=data.get("parent"),
                default_department=data.get("default_department"),
                self_handle_allowed=bool(data.get("self_handle_allowed")),
                verification_required=bool(data.get("verification_required")),
                filing_condition=data.get("filing_condition", ""),
                closing_condition=data.get("closing_condition", ""),
                time_limits=None,
            )
        except ValidationError as exc:
            apply_error(self, exc)
        return data


class TimeLimitFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if self.instance.parent_id is not None:
            return
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if data and not data.get("DELETE") and form.has_changed():
                raise ValidationError(_("Only a minor class has time limits."))


class CategoryTimeLimitInline(admin.TabularInline):
    model = CategoryTimeLimit
    formset = TimeLimitFormSet
    extra = 0
    fields = ["urgency", "stage", "amount", "unit"]


def _save_kwargs(category: Category) -> dict[str, Any]:
    return {
        "code": category.code,
        "name": category.name,
        "parent": category.parent,
        "default_department": category.default_department,
        "self_handle_allowed": category.self_handle_allowed,
        "verification_required": category.verification_required,
        "result_photo_required": category.result_photo_required,
        "verify_photo_required": category.verify_photo_required,
        "filing_condition": category.filing_condition,
        "closing_condition": category.closing_condition,
        "sort_order": category.sort_order,
        "is_active": category.is_active,
    }


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryAdminForm
    list_display = [
        "code",
        "name",
        "parent",
        "default_department",
        "self_handle_allowed",
        "verification_required",
        "result_photo_required",
        "verify_photo_required",
        "is_active",
        "sort_order",
    ]
    list_filter = [LevelFilter, MajorFilter, "is_active", "self_handle_allowed", "default_department"]
    search_fields = ["code", "name"]
    list_select_related = ["parent", "default_department"]
    # Dotted codes sort each major class right before its minor classes.
    ordering = ["code"]
    inlines = [CategoryTimeLimitInline]
    actions = ["deactivate"]

    def get_inlines(self, request: HttpRequest, obj: Category | None) -> list[type[admin.options.InlineModelAdmin]]:
        # Major classes carry no time limits.
        if obj is not None and obj.is_major:
            return []
        return [CategoryTimeLimitInline]

    def has_delete_permission(self, request: HttpRequest, obj: Category | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Category, form: forms.ModelForm, change: bool) -> None:
        saved, _changed = category_save(actor=request.user, **_save_kwargs(obj))
        obj.pk = saved.pk
        obj._state.adding = False

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        if formset.model is not CategoryTimeLimit:
            super().save_formset(request, form, formset, change)
            return
        rows = []
        for inline_form in formset.forms:
            data = getattr(inline_form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            if inline_form.instance.pk is None and not inline_form.has_changed():
                continue
            rows.append((data["urgency"], data["stage"], data["amount"], data["unit"]))
        category = Category.objects.get(pk=form.instance.pk)
        category_save(actor=request.user, time_limits=rows, **_save_kwargs(category))
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    @admin.action(description=_("Deactivate selected categories"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        for category in queryset:
            category_deactivate(actor=request.user, category=category)
        self.message_user(request, _("Deactivated %(count)d categories.") % {"count": len(queryset)}, messages.SUCCESS)

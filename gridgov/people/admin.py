"""Admin for users, departments, role assignments and API tokens.

Every write goes through ``gridgov.people.services`` so that it is validated and audited
like any other change; the admin only collects the input.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from gridgov.core.actors import Actor
from gridgov.core.admin import AuditEventAdmin
from gridgov.core.forms import apply_error
from gridgov.core.models import AuditEvent
from gridgov.people import login, permissions, services, twofactor
from gridgov.people.models import ApiToken, Department, LoginThrottle, Role, RoleAssignment, StaffProfile

User = get_user_model()

if TYPE_CHECKING:
    from django.contrib.auth.models import User as AuthUser

# The admin user behind a password change (the form has no request); set per request.
_password_actor: ContextVar[Actor] = ContextVar("password_actor", default=None)
# Fields of the user form that give rights: the security administrator's.
ACCESS_FIELDS = ("is_staff", "is_superuser", "groups", "user_permissions")
# Fields of the user form about the account itself: the system administrator's.
ACCOUNT_FIELDS = ("email", "is_active")


# --- Users -------------------------------------------------------------------------------


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    max_num = 1
    min_num = 1
    fields = ["full_name", "phone", "title", "duties", "photo"]


class RoleAssignmentInlineForm(forms.ModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["role", "area", "department"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("role") and not cleaned.get("DELETE"):
            services.role_validate(role=cleaned["role"], area=cleaned.get("area"), department=cleaned.get("department"))
        return cleaned

    def validate_unique(self) -> None:
        # The inline's user is set only on save; role_assign is idempotent anyway.
        pass


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    form = RoleAssignmentInlineForm
    extra = 0
    fields = ["role", "area", "department"]
    autocomplete_fields = ["area"]

    def _own(self, request: HttpRequest, obj: Any) -> bool:
        # Nobody but a superuser changes their own roles (separation of duties).
        return obj is not None and obj.pk == request.user.pk and not request.user.is_superuser

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._own(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._own(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._own(request, obj) and super().has_delete_permission(request, obj)


class UserCreateForm(AdminUserCreationForm):
    full_name = forms.CharField(label=_("full name"), max_length=50)
    phone = forms.CharField(label=_("phone"), max_length=30, required=False)


class PasswordForm(AdminPasswordChangeForm):
    def save(self, commit: bool = True) -> Any:
        usable = self.cleaned_data.get("set_usable_password", True)
        services.user_set_password(
            actor=_password_actor.get(), user=self.user, password=self.cleaned_data["password1"] if usable else None
        )
        return self.user


class UserAdmin(DjangoUserAdmin):
    add_form = UserCreateForm
    change_password_form = PasswordForm
    inlines = [StaffProfileInline, RoleAssignmentInline]
    actions = ["unlock_accounts", "reset_twofactor"]
    list_display = ["username", "full_name", "email", "is_active", "is_staff", "last_login"]
    list_select_related = ["profile"]
    search_fields = ["username", "profile__full_name", "email", "profile__phone"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Contact"), {"fields": ("email",)}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "phone", "usable_password")}),
        (None, {"classes": ("wide",), "fields": ("password1", "password2")}),
    )
    readonly_fields = ["last_login", "date_joined"]

    @admin.display(description=_("full name"), ordering="profile__full_name")
    def full_name(self, user: AuthUser) -> str:
        profile = getattr(user, "profile", None)
        return profile.full_name if profile else ""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is None:
            return fields
        fields.append("username")
        # Separation of duties: who grants rights does not run accounts, and the reverse.
        own = obj.pk == request.user.pk and not request.user.is_superuser
        if own or not request.user.has_perm("people.manage_access"):
            fields += ACCESS_FIELDS
        if not request.user.has_perm("people.manage_accounts"):
            fields += ACCOUNT_FIELDS
        return fields

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        if not request.user.has_perm("people.manage_accounts"):
            raise PermissionDenied
        reset = _password_actor.set(request.user)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _password_actor.reset(reset)

    @admin.action(description=_("Unlock the selected accounts"), permissions=["unlock"])
    def unlock_accounts(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = sum(login.account_unlock(actor=request.user, user=user, request=request) for user in queryset)
        self.message_user(request, _("%(count)d accounts unlocked.") % {"count": count}, messages.SUCCESS)

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("people.unlock_login")

    @admin.action(description=_("Reset two-step verification (lost phone)"), permissions=["reset_twofactor"])
    def reset_twofactor(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = sum(twofactor.twofactor_reset(actor=request.user, user=user, request=request) for user in queryset)
        self.message_user(
            request,
            _("Two-step verification reset for %(count)d accounts; they set it up again at their next login.")
            % {"count": count},
            messages.SUCCESS,
        )

    def has_reset_twofactor_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("people.reset_twofactor")

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Groups and user permissions go through the service (audited, separation of duties).
        access = {
            name: form.cleaned_data.pop(name) for name in ("groups", "user_permissions") if name in form.cleaned_data
        }
        super().save_related(request, form, formsets, change)
        if change and access:
            services.user_set_access(actor=request.user, user=form.instance, **access)

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        # The profile is created with the user; roles are added once the user exists.
        return self.inlines if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            data = form.cleaned_data
            usable = data.get("set_usable_password", True)
            created = services.user_create(
                actor=request.user,
                username=data["username"],
                password=data.get("password1") if usable else None,
                full_name=data.get("full_name", ""),
                phone=data.get("phone", ""),
            )
            obj.pk = created.pk
            obj.__dict__.update(created.__dict__)
            return
        fields = {name: form.cleaned_data[name] for name in services.USER_FIELDS if name in form.changed_data}
        if fields:
            services.user_update(actor=request.user, user=obj, **fields)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        user = form.instance
        # The admin's change message reads these lists (formset.save() would set them).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is StaffProfile:
            for profile_form in formset.forms:
                changed = {
                    name: profile_form.cleaned_data.get(name)
                    for name in profile_form.changed_data
                    if name in services.PROFILE_FIELDS
                }
                if changed:
                    services.user_update(actor=request.user, user=user, **changed)
                    formset.changed_objects.append((user.profile, list(changed)))
            return
        if formset.model is RoleAssignment:
            for role_form in formset.forms:
                delete = formset._should_delete_form(role_form)
                if not role_form.has_changed() and not delete:
                    continue
                existing = role_form.instance if role_form.instance.pk else None
                if existing is not None:
                    services.role_revoke(actor=request.user, assignment=existing)
                    formset.deleted_objects.append(existing)
                if delete:
                    continue
                data = role_form.cleaned_data
                assignment, _created = services.role_assign(
                    actor=request.user,
                    user=user,
                    role=data["role"],
                    area=data.get("area"),
                    department=data.get("department"),
                )
                formset.new_objects.append(assignment)
            return
        super().save_formset(request, form, formset, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Staff leave by being deactivated: their history keeps pointing at them.
        return False


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UserAdmin)


# --- Departments -------------------------------------------------------------------------


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "phone", "is_active", "sort_order"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["areas"]
    fields = ["code", "name", "kind", "phone", "areas", "sort_order", "is_active"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["code"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        data = form.cleaned_data
        department, _changed = services.department_save(
            actor=request.user,
            code=obj.code,
            name=data["name"],
            kind=data["kind"],
            areas=data.get("areas") or (),
            phone=data.get("phone", ""),
            sort_order=data.get("sort_order") or 0,
            is_active=data.get("is_active", True),
        )
        obj.pk = department.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The areas were saved by department_save.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deactivate instead: cases and roles refer to departments.
        return False


# --- Role assignments --------------------------------------------------------------------


class RoleAssignmentForm(forms.ModelForm):
    actor: Actor = None

    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "area", "department"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        user = cleaned.get("user")
        if user is not None and self.actor is not None and user.pk == self.actor.pk and not self.actor.is_superuser:
            self.add_error("user", _("You cannot change your own roles; ask the security administrator."))
        if cleaned.get("role"):
            try:
                services.role_validate(
                    role=cleaned["role"], area=cleaned.get("area"), department=cleaned.get("department")
                )
            except ValidationError as error:
                apply_error(self, error)
        return cleaned


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    form = RoleAssignmentForm
    list_display = ["user", "role", "area", "department", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__profile__full_name", "area__code", "area__name", "department__code"]
    list_select_related = ["user", "area", "department"]
    autocomplete_fields = ["user", "area"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # type: ignore[attr-defined]
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # An assignment is revoked and given anew, never edited.
        return ["user", "role", "area", "department"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: RoleAssignment, form: Any, change: bool) -> None:
        if change:
            return
        assignment, _created = services.role_assign(
            actor=request.user, user=obj.user, role=obj.role, area=obj.area, department=obj.department
        )
        obj.pk = assignment.pk
        obj.created_at = assignment.created_at

    def delete_model(self, request: HttpRequest, obj: RoleAssignment) -> None:
        services.role_revoke(actor=request.user, assignment=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoleAssignment]) -> None:
        for assignment in queryset.select_related("user", "area", "department"):
            services.role_revoke(actor=request.user, assignment=assignment)


# --- API tokens --------------------------------------------------------------------------


class TokenIssueForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("user"),
        queryset=User.objects.none(),
        help_text=_("Machine accounts holding the upstream role."),
    )
    name = forms.CharField(label=_("name"), max_length=100)
    days = forms.IntegerField(label=_("valid for (days)"), min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        longest = int(settings.GRIDGOV_TOKEN_DAYS_MACHINE)
        days = self.fields["days"]
        days.initial = longest
        days.max_value = longest  # type: ignore[attr-defined]
        days.validators.append(MaxValueValidator(longest))
        days.widget.attrs["max"] = longest
        self.fields["user"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_active=True, role_assignments__role=Role.UPSTREAM).distinct().order_by("username")
        )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "expires_at", "revoked_at", "last_used_at", "usable"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "user__username"]
    list_select_related = ["user"]
    readonly_fields = ["user", "name", "prefix", "key_hash", "created_at", "expires_at", "revoked_at", "last_used_at"]
    fields = ["user", "name", "prefix", "key_hash", "created_at", "expires_at", "revoked_at", "last_used_at"]
    actions = ["revoke"]
    change_list_template = "admin/people/apitoken/change_list.html"

    @admin.display(description=_("usable"), boolean=True)
    def usable(self, token: ApiToken) -> bool:
        return token.revoked_at is None and token.expires_at > timezone.now()

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            services.token_revoke(actor=request.user, token=token)
            count += 1
        self.message_user(request, _("%(count)d tokens revoked.") % {"count": count}, messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # issued through the "issue token" view or POST /api/v1/auth/token

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoked, never deleted: the audit log refers to them

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        pass  # every field is read-only

    def get_urls(self) -> list[Any]:
        issue = path("issue/", self.admin_site.admin_view(self.issue_view), name="people_apitoken_issue")
        return [issue, *super().get_urls()]

    def issue_view(self, request: HttpRequest) -> HttpResponse:
        """Issue a token for an upstream machine account; the raw token is shown once."""
        if not self.has_change_permission(request) or not request.user.has_perm("people.add_apitoken"):
            raise PermissionDenied
        raw: str | None = None
        token: ApiToken | None = None
        form = TokenIssueForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            token, raw = services.token_issue(
                actor=request.user,
                user=form.cleaned_data["user"],
                name=form.cleaned_data["name"],
                ttl_seconds=int(timedelta(days=form.cleaned_data["days"]).total_seconds()),
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Issue an API token"),
            "form": form,
            "raw_token": raw,
            "token": token,
            "changelist_url": reverse("admin:people_apitoken_changelist"),
        }
        response = TemplateResponse(request, "admin/people/apitoken/issue.html", context)
        response["Cache-Control"] = "no-store"
        return response


# --- Login locks -------------------------------------------------------------------------


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin):
    """Accounts and client addresses with failed logins; the security administrator unlocks."""

    list_display = ["kind", "key", "failures", "locked", "blocked_until", "last_failure_at"]
    list_filter = ["kind", "locked"]
    search_fields = ["key"]
    readonly_fields = ["kind", "key", "failures", "window_started_at", "last_failure_at", "blocked_until", "locked"]
    actions = ["unlock"]

    @admin.action(description=_("Unlock the selected accounts and addresses"), permissions=["unlock"])
    def unlock(self, request: HttpRequest, queryset: QuerySet[LoginThrottle]) -> None:
        count = sum(login.login_unlock(actor=request.user, throttle=row, request=request) for row in queryset)
        self.message_user(request, _("%(count)d unlocked.") % {"count": count}, messages.SUCCESS)

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("people.unlock_login")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: LoginThrottle, form: Any, change: bool) -> None:
        pass  # every field is read-only; unlocking is the action


# --- The audit log: the audit administrator's alone ----------------------------------------


class AuditLogAdmin(AuditEventAdmin):
    """Read-only, and only for the audit administrator (not a superuser, who grants roles)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return permissions.can_read_audit(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return permissions.can_read_audit(request.user)


if admin.site.is_registered(AuditEvent):
    admin.site.unregister(AuditEvent)
admin.site.register(AuditEvent, AuditLogAdmin)

# The devices of django-otp are managed through the user admin's actions only: its own admin
# would let an administrator create a device for someone else and read its secret.
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

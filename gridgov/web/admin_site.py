"""The admin site: Django's, whose login goes through the same two steps as the web's
(throttling, audit, then the second factor for staff), see ``gridgov.web.views_auth``."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from gridgov.people.forms import AdminLoginForm

from .views_auth import LoginView


class AdminLoginView(LoginView):
    # The admin login shows "not authorized" to a logged-in user without the admin site.
    redirect_authenticated_user = False


class GridGovAdminSite(admin.AdminSite):
    login_form = AdminLoginForm

    @method_decorator(never_cache)
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        context: dict[str, Any] = {
            **self.each_context(request),
            "title": _("Log in"),
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        view = AdminLoginView.as_view(
            extra_context=context,
            authentication_form=AdminLoginForm,
            template_name=self.login_template or "admin/login.html",
        )
        return cast(HttpResponse, view(request))

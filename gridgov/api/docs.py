"""Who may read the API's own description: the OpenAPI document and the interactive docs.

In production (``GRIDGOV_API_DOCS_PUBLIC`` off, the default) only someone the API would serve
reads them: a signed-in web session or a usable bearer token (a machine account's included: an
upstream integrator needs the schema). Anyone else gets the API's JSON 401, so the endpoint
list of an installation is not handed to the whole network. A development machine may turn the
setting on."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from gridgov.api.auth import bearer_auth
from gridgov.core.errors import error_body

View = Callable[..., HttpResponse]


def may_read_docs(request: HttpRequest) -> bool:
    if getattr(settings, "GRIDGOV_API_DOCS_PUBLIC", False):
        return True
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return True
    return bearer_auth(request) is not None


def docs_access(view: View) -> View:
    """The decorator of the schema and docs views (``NinjaAPI(docs_decorator=...)``)."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if may_read_docs(request):
            return view(request, *args, **kwargs)
        message = _("Sign in, or send a token, to read the API description.")
        response = JsonResponse(error_body("not_authenticated", message), status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response

    return guarded

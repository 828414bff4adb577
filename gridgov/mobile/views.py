"""The grid worker's phone app at ``/m/``: the app shell, its manifest, its service worker
and the category index with pinyin initials (see ``docs/mobile.md``).

The app itself talks to the API with a bearer token; these pages hold no personal data, so
the shell, the manifest and the service worker need no login. The category index needs a
token (or a session), as ``GET /api/v1/categories`` does.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any, Final

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from gridgov.categories.selectors import catalogue
from gridgov.core.pinyin import initials
from gridgov.people.services import token_lookup

from .strings import catalog

APP_DIR: Final = Path(__file__).resolve().parent
STATIC_DIR: Final = APP_DIR / "static"
THEME_COLOUR: Final = "#0b4f9c"
BACKGROUND_COLOUR: Final = "#f2f4f7"
# Third-party static files the app uses (served from node_modules, see settings).
VENDOR_FILES: Final = ("vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css")


def _own_static() -> list[str]:
    """Static names of the app's own files (``mobile/...``), sorted."""
    root = STATIC_DIR / "mobile"
    return sorted(
        path.relative_to(STATIC_DIR).as_posix()
        for path in root.rglob("*")
        if path.is_file() and path.name != "package.json"
    )


def _digest() -> str:
    """A hash of everything the shell is made of: it names the service worker's cache, so a
    deployment with any change makes the phones fetch the new shell."""
    digest = hashlib.sha256()
    for name in _own_static():
        digest.update(name.encode())
        digest.update((STATIC_DIR / name).read_bytes())
    for template in ("shell.html", "sw.js"):
        digest.update((APP_DIR / "templates" / "mobile" / template).read_bytes())
    for name in VENDOR_FILES:
        folder, _sep, rest = name.removeprefix("vendor/").partition("/")
        path = Path(settings.NODE_MODULES) / folder / "dist" / rest
        if path.exists():
            digest.update(path.read_bytes())
    digest.update(json.dumps(catalog(), sort_keys=True, ensure_ascii=False).encode())
    digest.update(str(getattr(settings, "GRIDGOV_MOBILE_VERSION", "")).encode())
    return digest.hexdigest()[:16]


_cached_digest = cache(_digest)


def app_version() -> str:
    """The shell's version (recomputed on every request while DEBUG is on)."""
    return _digest() if settings.DEBUG else _cached_digest()


def _static_urls(name: str) -> list[str]:
    """The URL of a static file as pages name it (hashed in production) and, when different,
    its plain URL, which the app's relative module imports use."""
    urls = [staticfiles_storage.url(name)]
    plain = settings.STATIC_URL + name
    if plain not in urls:
        urls.append(plain)
    return urls


def precache_urls() -> list[str]:
    urls = [reverse("mobile:shell"), reverse("mobile:manifest")]
    for name in [*_own_static(), *VENDOR_FILES]:
        urls.extend(_static_urls(name))
    return urls


def _config(request: HttpRequest) -> dict[str, Any]:
    return {
        "version": app_version(),
        "api": "/api/v1",
        "shell": reverse("mobile:shell"),
        "sw": reverse("mobile:sw"),
        "categories": reverse("mobile:categories"),
        "leafletJs": staticfiles_storage.url("vendor/leaflet/leaflet.js"),
        "leafletCss": staticfiles_storage.url("vendor/leaflet/leaflet.css"),
        "icon": staticfiles_storage.url("mobile/icons/icon-192.png"),
        "language": get_language(),
        # A patrol's track is thinned on the phone to what the server takes.
        "patrolMaxPoints": int(getattr(settings, "GRIDGOV_PATROL_MAX_POINTS", 2000)),
        # Room on the phone for the thumbnails of the to-verify queue kept for the field.
        "verifyPhotoBytes": int(getattr(settings, "GRIDGOV_MOBILE_VERIFY_PHOTO_MB", 30)) * 1024 * 1024,
        "strings": catalog(),
    }


@require_GET
@cache_control(no_cache=True)
def shell(request: HttpRequest) -> HttpResponse:
    """The one HTML page of the app; the JavaScript modules draw every screen in it."""
    return render(
        request,
        "mobile/shell.html",
        {
            "config": _config(request),
            "theme_colour": THEME_COLOUR,
            "app_js": staticfiles_storage.url("mobile/js/app.js"),
        },
    )


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    icons = [
        {
            "src": staticfiles_storage.url(f"mobile/icons/{name}-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": purpose,
        }
        for name, purpose in (("icon", "any"), ("maskable", "maskable"))
        for size in (192, 512)
    ]
    body = {
        "name": _("GridGov field app"),
        "short_name": _("GridGov"),
        "description": _("Report, verify and patrol in your grid, with or without signal."),
        "lang": "zh-CN",
        "dir": "ltr",
        "start_url": reverse("mobile:shell"),
        "scope": reverse("mobile:shell"),
        "id": reverse("mobile:shell"),
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": icons,
    }
    return HttpResponse(json.dumps(body, ensure_ascii=False), content_type="application/manifest+json; charset=utf-8")


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served from ``/m/`` so that its scope is the app."""
    body = render_to_string(
        "mobile/sw.js",
        {
            "version": app_version(),
            "precache_json": json.dumps(precache_urls()),
            "routes_url": settings.STATIC_URL + "mobile/js/swroutes.js",
            "shell_url": reverse("mobile:shell"),
            "categories_url": reverse("mobile:categories"),
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = reverse("mobile:shell")
    return response


def _authenticated(request: HttpRequest) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() == "bearer" and raw.strip():
        return token_lookup(raw.strip()) is not None
    return bool(request.user.is_authenticated)


@require_GET
def categories(request: HttpRequest) -> HttpResponse:
    """Active minor classes with their major class and pinyin initials, in display order:
    ``[{code, name, major, major_name, initials, self_handle_allowed}]``."""
    if not _authenticated(request):
        response = JsonResponse(
            {"error": {"code": "unauthenticated", "message": _("Authentication required.")}}, status=401
        )
        response["WWW-Authenticate"] = "Bearer"
        return response
    items = [
        {
            "code": minor.code,
            "name": minor.name,
            "major": major.code,
            "major_name": major.name,
            "initials": initials(minor.name),
            "major_initials": initials(major.name),
            "self_handle_allowed": minor.self_handle_allowed,
        }
        for major, minors in catalogue()
        for minor in minors
    ]
    response = JsonResponse(items, safe=False, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-cache"
    return response

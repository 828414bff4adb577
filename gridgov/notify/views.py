"""The notification page: the user's own notifications, newest first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from gridgov.core.errors import Invalid

from . import selectors, services
from .context_processors import Unread


@require_GET
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") in {"1", "true"}
    cursor = request.GET.get("cursor") or None
    try:
        page = selectors.notification_page(
            request.user, cursor=cursor, limit=selectors.DEFAULT_PAGE, unread=unread_only
        )
    except Invalid:  # a cursor that is not one shows the first page
        cursor = None
        page = selectors.notification_page(request.user, limit=selectors.DEFAULT_PAGE, unread=unread_only)
    context = {
        "items": page.items,
        "next_cursor": page.next_cursor,
        "unread_only": unread_only,
        "is_first_page": cursor is None,
    }
    return render(request, "notify/list.html", context)


@require_POST
@login_required
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one read. htmx gets the item back (and the bell's new count, out of band);
    a plain form post goes back to the list."""
    notification = selectors.notification_get(request.user, notification_id)
    services.mark_read(actor=request.user, notification_ids=[notification.pk])
    if request.headers.get("HX-Request"):
        notification.refresh_from_db()
        context = {"item": notification, "bell": Unread(selectors.unread_count(request.user))}
        return render(request, "notify/_item_read.html", context)
    return redirect("notifications")


@require_GET
def unread_count(request: HttpRequest) -> JsonResponse:
    """The bell's count for the page's own once-a-minute refresh (``notify/bell.js``)."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": {"code": "unauthenticated", "message": ""}}, status=401)
    return JsonResponse({"unread": selectors.unread_count(request.user)})


@require_POST
@login_required
def notification_read_all(request: HttpRequest) -> HttpResponse:
    services.mark_read(actor=request.user)
    return redirect("notifications")

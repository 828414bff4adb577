"""The delivery page: what went up to the city and district hotlines, and what did not yet.

Center operators see their town's messages, administrators all of them. A failed (or still
pending) message can be retried at once (htmx; a plain form post works too). Sources on the
file adapter gather their messages in batches: the workbook is downloaded here and the batch
marked sent once handed over.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridgov.core.downloads import document_response
from gridgov.core.pages import forbidden_page
from gridgov.hotline.models import SourceSystem

from . import selectors, services, workbook
from .models import FileBatch, MessageKind, MessageState, UpstreamMessage

PAGE_SIZE = 50
ALL = "all"


class MessageFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("State"), required=False, choices=[("", gettext_lazy("All")), *MessageState.choices]
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False, choices=[("", gettext_lazy("All")), *MessageKind.choices]
    )
    source_system = forms.ChoiceField(
        label=gettext_lazy("Source system"), required=False, choices=[("", gettext_lazy("All")), *SourceSystem.choices]
    )
    text = forms.CharField(label=gettext_lazy("Upstream number"), required=False, max_length=64)

    def filters(self) -> selectors.MessageFilters:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return selectors.MessageFilters(
            state=data.get("state") or "",
            kind=data.get("kind") or "",
            source_system=data.get("source_system") or "",
            text=data.get("text") or "",
        )


def _refuse(request: HttpRequest) -> HttpResponse:
    return forbidden_page(request, _("Only the center and administrators see upstream delivery."))


def _order_url(order_id: int) -> str:
    try:
        return reverse("hotline:detail", args=[order_id])
    except NoReverseMatch:
        return ""


def _row(message: UpstreamMessage) -> dict[str, Any]:
    return {
        "message": message,
        "order_url": _order_url(message.order_id),
        "may_retry": message.state in (MessageState.FAILED, MessageState.PENDING),
    }


@require_GET
@login_required
def delivery(request: HttpRequest) -> HttpResponse:
    if not selectors.may_manage(request.user):
        return _refuse(request)
    form = MessageFilterForm(request.GET or None)
    visible = selectors.messages_visible(request.user)
    query = selectors.apply_filters(visible, form.filters())
    try:
        cursor = int(request.GET.get("cursor") or 0) or None
    except ValueError:
        cursor = None
    result = selectors.page(query, cursor=None if cursor is None else str(cursor), limit=PAGE_SIZE)
    params = request.GET.copy()
    params.pop("cursor", None)
    base_query = params.urlencode()
    next_query = ""
    if result.next_cursor:
        params["cursor"] = result.next_cursor
        next_query = params.urlencode()
    context: dict[str, Any] = {
        "form": form,
        "rows": [_row(message) for message in result.items],
        "cursor": cursor,
        "next_query": next_query,
        "base_query": base_query,
    }
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        return render(request, "upstream/_results.html", context)
    counts = selectors.state_counts(visible)
    current = form.filters().state or ALL
    context["tabs"] = [
        {"code": ALL, "label": _("All"), "count": sum(counts.values()), "active": current == ALL},
        *(
            {"code": code, "label": label, "count": counts.get(code, 0), "active": current == code}
            for code, label in MessageState.choices
        ),
    ]
    batches = list(selectors.batches_visible(request.user).select_related("town", "sent_by")[:20])
    context["batches"] = [
        {"batch": batch, "count": batch.messages.count(), "source_label": SourceSystem(batch.source_system).label}
        for batch in batches
    ]
    return render(request, "upstream/delivery.html", context)


@require_POST
@login_required
def message_retry(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        message = services.retry(message_id=pk, actor=request.user)
    except services.MessageNotFound:
        raise Http404(_("No such upstream message.")) from None
    except services.MessageForbidden:
        return _refuse(request)
    except services.MessageConflict as conflict:
        if request.headers.get("HX-Request"):
            row = selectors.messages_visible(request.user).select_related("order").get(pk=pk)
            return render(request, "upstream/_row.html", {"row": _row(row), "error": conflict.message}, status=409)
        flash.error(request, conflict.message)
        return redirect("upstream:delivery")
    # The retry may have been delivered at once (the task runs after commit): read it again.
    message = selectors.messages_visible(request.user).select_related("order").get(pk=message.pk)
    if request.headers.get("HX-Request"):
        return render(request, "upstream/_row.html", {"row": _row(message), "retried": True})
    flash.success(request, _("The message to upstream is being sent again."))
    return redirect("upstream:delivery")


def _batch(request: HttpRequest, pk: int) -> FileBatch:
    batch = selectors.batches_visible(request.user).filter(pk=pk).first()
    if batch is None:
        raise Http404(_("No such file batch."))
    return batch


@require_GET
@login_required
def batch_download(request: HttpRequest, pk: int) -> HttpResponse:
    if not selectors.may_manage(request.user):
        return _refuse(request)
    batch = _batch(request, pk)
    content = workbook.build(batch.messages.select_related("order__town", "order__lead_department").order_by("id"))
    stamp = timezone.localtime(batch.created_at).strftime("%Y%m%d-%H%M")
    return document_response(content, "xlsx", f"upstream-{batch.source_system}-{batch.pk}-{stamp}.xlsx")


@require_POST
@login_required
def batch_sent(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        batch = services.batch_mark_sent(batch_id=pk, actor=request.user)
    except services.MessageNotFound:
        raise Http404(_("No such file batch.")) from None
    except services.MessageForbidden:
        return _refuse(request)
    except services.MessageConflict as conflict:
        flash.error(request, conflict.message)
    else:
        flash.success(request, _("File batch %(number)s is marked sent.") % {"number": batch.pk})
    return redirect("upstream:delivery")


urlpatterns: list[URLPattern] = [
    path("upstream/", delivery, name="delivery"),
    path("upstream/messages/<int:pk>/retry/", message_retry, name="retry"),
    path("upstream/batches/<int:pk>/download/", batch_download, name="batch-download"),
    path("upstream/batches/<int:pk>/sent/", batch_sent, name="batch-sent"),
]

"""What the pages of every workflow answer alike: the error page, a refused move, and an action
posted from an object's page (a case, a hotline order, …).

An action form posted from an object's page is answered one way everywhere: a refusal
(:class:`~gridgov.core.errors.Forbidden`) shows the error page (403); a conflict
(:class:`~gridgov.core.errors.Conflict`) shows the page again as the object is now, with the
user's text still in the form (409); bad input (:class:`~gridgov.core.errors.Invalid` or
Django's ``ValidationError``) puts the messages next to the fields (422); success says so and
goes back to the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

from .errors import (
    UNAVAILABLE_MESSAGE,
    UNAVAILABLE_RETRY_AFTER_SECONDS,
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Throttled,
    error_body,
)
from .forms import apply_error
from .importjobs import JobProgress

ERROR_TEMPLATE = "errors/page.html"
PLAIN_ERROR_TEMPLATE = "errors/plain.html"
UNAVAILABLE_TEMPLATE = "errors/503.html"
UNAVAILABLE_FRAGMENT = "errors/503_fragment.html"
logger = logging.getLogger(__name__)


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


def posted_int(value: str | None) -> int | None:
    """A whole number a form posted (a version), or None when it is missing or not one."""
    try:
        return int(value) if value else None
    except ValueError:
        return None


def query_without(request: HttpRequest, *names: str) -> str:
    """The request's query string without the parameters ``names`` (e.g. the cursor)."""
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def next_query(request: HttpRequest, next_cursor: str | None) -> str:
    """The request's query string for the next keyset page (empty on the last page)."""
    if not next_cursor:
        return ""
    query = request.GET.copy()
    query["cursor"] = next_cursor
    return query.urlencode()


def department_details(codes: Sequence[str], names: Mapping[str, str]) -> list[tuple[str, str]]:
    """A dispatch in a timeline: the lead department, then the cooperating ones (``names`` by
    code; an unknown code is shown as is)."""
    departments = [names.get(code, code) for code in codes]
    if not departments:
        return []
    details = [(_("Lead department"), departments[0])]
    if len(departments) > 1:
        details.append((_("Cooperating departments"), "、".join(departments[1:])))
    return details


def _title(status: int) -> str:
    if status == 403:
        return _("Not allowed")
    if status == 404:
        return _("Not found")
    return _("Error")


def error_page(request: HttpRequest, message: str, status: int, *, title: str = "") -> HttpResponse:
    """The shell's error page with ``message`` (titled "not allowed", "not found" or "error"
    unless ``title`` says otherwise). When the shell itself cannot be drawn (the error may be
    the database, which the navigation reads), the plain page with the same text."""
    context = {"status": status, "title": title or _title(status), "message": message}
    try:
        content = loader.render_to_string(ERROR_TEMPLATE, context, request)
    except Exception:
        logger.exception("The error page could not be drawn in the shell")
        content = loader.render_to_string(PLAIN_ERROR_TEMPLATE, context)
    return HttpResponse(content, status=status)


def create_page(
    request: HttpRequest,
    form: forms.Form,
    create: Callable[[dict[str, Any]], Any],
    created: Callable[[Any], HttpResponse],
    *,
    template: str,
    context: Callable[[], Mapping[str, Any]],
) -> HttpResponse:
    """A list page with a form that makes a new object (a month's summary, a bulletin): on a
    valid post ``create(cleaned_data)`` runs and ``created(obj)`` answers (a redirect to it); a
    refusal of the service shows the error page with its status, bad input the form again (422)
    with the messages next to its fields."""
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                made = create(form.cleaned_data)
            except DomainError as error:
                if error.status != 422:
                    return error_page(request, error.message, error.status)
                apply_error(form, error)
            else:
                return created(made)
    return render(request, template, {"form": form, **context()}, status=status)


def job_progress(
    request: HttpRequest,
    pk: int,
    *,
    jobs: QuerySet[Any] | None,
    progress: JobProgress,
    not_found: str,
    template: str,
    detail_url: Callable[[Any], str],
) -> HttpResponse:
    """The progress of a running import (a job of ``gridgov.core.importjobs``, one of
    ``jobs``, the jobs the user may see; None: the user may not import): an htmx fragment of
    ``template`` that sends the browser to the job's page once no worker is at it any more, or
    JSON (the progress and ``finished``) for other clients; refused as JSON (403, 404)."""
    if jobs is None:
        return JsonResponse(error_body("forbidden", _("You may not open this page.")), status=403)
    job = jobs.filter(pk=pk).first()
    if job is None:
        return JsonResponse(error_body("not_found", not_found), status=404)
    state, finished = progress.get(job), job.status not in progress.running
    if request.headers.get("HX-Request"):
        response = render(request, template, {"job": job, "progress": state})
        if finished:
            response["HX-Redirect"] = detail_url(job)
        return response
    return JsonResponse({**state, "finished": finished})


def unavailable_page(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The answer to a request that met the database out of reach
    (:func:`~gridgov.core.errors.database_unavailable`): 503 with ``Retry-After``, and one
    warning line (the method, the path and the error's class; no query string, no user).

    A page: the plain frame (the shell's navigation reads the database), which reloads itself
    after ``Retry-After`` seconds when it was a GET; a POST is never sent again by itself, the
    page says to send the form again. An htmx request: a short notice that htmx does not swap
    (``HX-Reswap: none``); the shell's script shows it above the page. Under ``/api/``
    (a session whose loading failed before any endpoint ran): the API's JSON body."""
    logger.warning("Database unavailable in %s %s (%s)", request.method, request.path, type(exc).__name__)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            error_body("unavailable", str(UNAVAILABLE_MESSAGE)),
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        htmx = bool(request.headers.get("HX-Request"))
        reloads = request.method in ("GET", "HEAD") and not htmx
        context = {
            "status": 503,
            "title": _("The system is briefly busy"),
            "reload_seconds": UNAVAILABLE_RETRY_AFTER_SECONDS if reloads else None,
            "reload_url": request.get_full_path() if reloads else "",
            "sent": request.method not in ("GET", "HEAD", "OPTIONS"),
        }
        # No request context: the context processors read the database.
        content = loader.render_to_string(UNAVAILABLE_FRAGMENT if htmx else UNAVAILABLE_TEMPLATE, context)
        response = HttpResponse(content, status=503)
        if htmx:
            response["HX-Reswap"] = "none"
    response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    already_logged(response)
    return response


def already_logged(response: HttpResponse) -> HttpResponse:
    """Mark ``response`` as logged, so Django's request logger adds no "Service Unavailable"
    error line after the warning that was written for it (``django.utils.log.log_response``
    skips a response so marked)."""
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def forbidden_page(request: HttpRequest, message: str = "") -> HttpResponse:
    return error_page(request, message or _("You may not open this page."), 403)


@dataclass(frozen=True)
class ObjectPage:
    """One object's page, as an action posted from it needs it.

    ``context(subject, **extra)`` is the page's context (``failed``: the form that failed,
    ``error``: the message above it); ``reload()`` the object as it is now, for the viewer;
    ``not_found`` the 404 message; ``stale`` what a version conflict says.
    """

    request: HttpRequest
    template: str
    context: Callable[..., dict[str, Any]]
    reload: Callable[[], Versioned]
    not_found: str
    stale: str

    def render(self, subject: Any, status: int = 200, **extra: Any) -> HttpResponse:
        return render(self.request, self.template, self.context(subject, **extra), status=status)

    def invalid(self, subject: Any, form: forms.BaseForm) -> HttpResponse:
        """The page again with ``form``'s errors (422)."""
        return self.render(subject, 422, failed=form)

    def act(
        self,
        subject: Any,
        *,
        form: forms.BaseForm,
        act: Callable[[], object],
        rebuild: Callable[[QueryDict], forms.BaseForm],
        error_fields: Mapping[str, str],
        done: str,
        success_url: str,
    ) -> HttpResponse:
        """Call ``act`` (the service) and answer as the module says; ``rebuild(data)`` makes the
        form again from the posted data with the current version (after a conflict)."""
        try:
            act()
        except NotFound:
            raise Http404(self.not_found) from None
        except Forbidden as refused:
            return forbidden_page(self.request, refused.message)
        except Conflict as conflict:
            current = self.reload()
            message = self.stale if conflict.code == "version_conflict" else conflict.message
            data = self.request.POST.copy()
            data["version"] = str(current.version)
            again = rebuild(data)
            again.is_valid()
            return self.render(current, 409, failed=again, error=message)
        except (ValidationError, Invalid) as invalid:
            apply_error(form, invalid, error_fields)
            return self.invalid(subject, form)
        except Throttled as throttled:
            # Too soon (a reminder again within the interval): the page with the reason, the
            # text kept in the form.
            return self.render(subject, 429, failed=form, error=throttled.message)
        messages.success(self.request, _("Done: %(action)s.") % {"action": done})
        return HttpResponseRedirect(success_url)

    def post_action(
        self,
        subject: Any,
        action: str,
        *,
        actions: Iterable[str],
        form_class: Callable[..., forms.BaseForm],
        service: Callable[..., object],
        labels: Callable[[str], str],
        error_fields: Mapping[str, str],
        success_url: str,
    ) -> HttpResponse:
        """An action posted from a workflow object's page, the whole way: an unknown action is a
        404, the form ``form_class(data, action=action)`` is checked, then ``service(actor=,
        pk=, action=, inputs=, version=)`` runs (inputs: the form's ``inputs()`` when it has
        one, else its cleaned data without the version) and :meth:`act` answers."""
        if action not in set(actions):
            raise Http404(_("Unknown action."))
        form = form_class(self.request.POST, action=action)
        if not form.is_valid():
            return self.invalid(subject, form)
        inputs_of = getattr(form, "inputs", None)
        inputs = inputs_of() if callable(inputs_of) else {k: v for k, v in form.cleaned_data.items() if k != "version"}
        return self.act(
            subject,
            form=form,
            act=lambda: service(
                actor=self.request.user,
                pk=subject.pk,
                action=action,
                inputs=inputs,
                version=form.cleaned_data.get("version"),
            ),
            rebuild=lambda data: form_class(data, action=action),
            error_fields=error_fields,
            done=labels(action),
            success_url=success_url,
        )

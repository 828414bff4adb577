"""One id per web request, in every log line the request writes and in the Celery tasks it
starts (docs/operations.md, "Logs").

The id is the ``X-Request-ID`` the reverse proxy sent (nginx's ``$request_id``, so its access
log and the application's lines share it) when it looks like one, else a new random one. It is
answered in the response's ``X-Request-ID`` header. A task published while the id is set
carries it in a message header; the worker sets it around the task, so the task's log lines,
and the tasks it starts in turn, carry the id of the request that began the work.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any, Final

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.http import HttpRequest, HttpResponse

HEADER: Final = "X-Request-ID"
META_KEY: Final = "HTTP_X_REQUEST_ID"
# The Celery message header that carries the id to the worker.
TASK_HEADER: Final = "gridgov_request_id"
# What an incoming id may look like: nginx's 32 hex digits, a UUID, or a similar token.
_VALID: Final = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
NONE: Final = "-"

_current: ContextVar[str] = ContextVar("gridgov_request_id", default="")
_task_tokens: dict[str, Token[str]] = {}

access_logger = logging.getLogger("gridgov.request")


def current() -> str:
    """The id of the request (or of the request that started the task) being served; ``""``
    outside any."""
    return _current.get()


def new_id() -> str:
    return uuid.uuid4().hex


def accepted(value: str | None) -> str | None:
    """An id sent from outside, if it looks like one; anything else is ignored."""
    if value and _VALID.match(value):
        return value
    return None


def bind(value: str) -> Token[str]:
    """Set the current id (for code that is neither a request nor a task: a command)."""
    return _current.set(value)


def unbind(token: Token[str]) -> None:
    _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every log record (``-`` outside a request or task), for the
    formatters of config/settings.py."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current() or NONE
        return True


class RequestIdMiddleware:
    """The first middleware: binds the id for the whole request, answers it in a header, and
    writes one ``gridgov.request`` line per request (method, path, view, status, duration)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accepted(request.META.get(META_KEY)) or new_id()
        token = _current.set(request_id)
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            match = getattr(request, "resolver_match", None)
            access_logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "view": match.view_name if match is not None else "",
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "user_id": getattr(getattr(request, "user", None), "pk", None),
                },
            )
            return response
        finally:
            _current.reset(token)


# --- Celery ----------------------------------------------------------------------------------


@before_task_publish.connect(dispatch_uid="gridgov.requestid.publish")
def _stamp_task(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    """A task published during a request (or a task) carries the id."""
    request_id = current()
    if request_id and headers is not None and not headers.get(TASK_HEADER):
        headers[TASK_HEADER] = request_id


@task_prerun.connect(dispatch_uid="gridgov.requestid.prerun")
def _bind_task(task_id: str | None = None, task: Any = None, **_kwargs: Any) -> None:
    """The worker runs the task under the id it carries; a task without one (beat's) keeps
    whatever is current (none in a worker, the request's when run eagerly)."""
    request_id = accepted(_header_of(task))
    if request_id and task_id:
        _task_tokens[task_id] = _current.set(request_id)


@task_postrun.connect(dispatch_uid="gridgov.requestid.postrun")
def _unbind_task(task_id: str | None = None, **_kwargs: Any) -> None:
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            _current.reset(token)
        except ValueError:  # set in another context (should not happen); leave it
            _current.set("")


def _header_of(task: Any) -> str | None:
    context = getattr(task, "request", None)
    if context is None:
        return None
    value = getattr(context, TASK_HEADER, None)
    if value is None and isinstance(getattr(context, "headers", None), dict):
        value = context.headers.get(TASK_HEADER)
    return str(value) if value else None

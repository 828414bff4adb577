"""What every part of the case services shares: the errors, the limits of the inputs, the
photo handed to a service, the close hooks and the timeline row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Final

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core import errors
from gridgov.core.actors import signed_in
from gridgov.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from gridgov.core.inserts import insert

from ..access import may_see
from ..models import AttachmentKind, Case, CaseEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
else:
    User = get_user_model()

# The case loop's refusals are the core errors (``gridgov.core.errors``): the names stay for
# the callers that catch them.
CaseError = DomainError
CaseNotFound = NotFound
CaseForbidden = Forbidden
CaseConflict = Conflict

DESCRIPTION_MAX: Final = 2000
COMMENT_MAX: Final = 2000
EXTENSION_DAYS_MAX: Final = 30
MAX_PHOTOS: Final = 9

# Called inside the closing transaction when a case closes, as ``hook(case, actor, at)``.
# Features that wait on cases (hotline orders) add theirs when ready, so the case loop
# imports none of them.
CLOSE_HOOKS: list[Callable[[Case, Any, dt.datetime], None]] = []


@dataclass(frozen=True)
class Photo:
    """A photo handed to a service: its bytes and what it shows."""

    file: IO[bytes]
    kind: str = AttachmentKind.REPORT
    name: str = "photo"


def now_or(at: dt.datetime | None) -> dt.datetime:
    return at or timezone.now()


@contextmanager
def as_validation_error() -> Iterator[None]:
    """A core ``Invalid`` raised inside becomes Django's ``ValidationError`` with the same
    fields and messages: the case loop's services refuse bad input that way."""
    try:
        yield
    except Invalid as refused:
        raise ValidationError(refused.details or {}) from None


def clean_text(value: str | None, field: str, *, required: bool, maximum: int, message: Any = None) -> str:
    """``gridgov.core.errors.clean_text``, refusing with ``ValidationError``."""
    with as_validation_error():
        return errors.clean_text(value, field, maximum, required=required, message=message)


def event_add(
    case: Case,
    action: str,
    *,
    actor: User | AnonymousUser | None,
    at: dt.datetime,
    from_status: str,
    comment: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """One line of the case's timeline (``to_status`` is the case's status now)."""
    event = CaseEvent(
        case=case,
        action=action,
        actor=signed_in(actor),
        at=at,
        from_status=from_status,
        to_status=case.status,
        comment=comment,
        data=data or {},
    )
    insert(event)
    return event


def case_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk])


def case_lock(case_id: int, actor: User | AnonymousUser) -> Case:
    """The case, locked for the transaction, if ``actor`` may see it; else 404 (the same for a
    case that does not exist)."""
    # Read by its key and checked in Python (may_see), rather than filtered by visible_q: the
    # scope's OR of paths and departments costs more to compile and run than the row itself.
    # get(), not first(): first() would order by the model's ordering, compiled for nothing.
    try:
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("category", "grid", "lead_department")
            .get(pk=case_id)
        )
    except Case.DoesNotExist:
        raise CaseNotFound(_("No such case.")) from None
    if not may_see(actor, case):
        raise CaseNotFound(_("No such case."))
    return case

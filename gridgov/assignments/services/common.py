"""What the task services share: deadlines on the working calendar, the owners' users, the
files of a task (checked, stored encrypted, deduplicated) and the notices."""

from __future__ import annotations

import datetime as dt
import hashlib
import mimetypes
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core import filetypes
from gridgov.core.actors import signed_in
from gridgov.core.errors import Invalid
from gridgov.notify.services import notify
from gridgov.people.models import Role
from gridgov.people.selectors import role_holder_ids
from gridgov.workcalendar import calendar, clock
from gridgov.workcalendar.units import TimeUnit

from ..access import VILLAGE_ROLES
from ..models import Assignment, AssignmentEvent, AssignmentFile, AssignmentPart, OwnerKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

TITLE_LIMIT: Final = 120
TEXT_LIMIT: Final = 4000
COMMENT_LIMIT: Final = 2000
MAX_FILES: Final = 10
MAX_FILE_BYTES: Final = 15 * 1024 * 1024
FILE_EXTENSIONS: Final = frozenset(
    {"pdf", "doc", "docx", "wps", "ofd", "xls", "xlsx", "et", "txt", "jpg", "jpeg", "png", "gif", "zip"}
)
# The working calendar's unit for the warn point of a task's deadline.
UNIT: Final = TimeUnit.WORKING_HOURS
# How long an owner has to answer a supervision notice when the notice names no date.
SUPERVISION_ANSWER_DAYS: Final = 2
# How far ahead a deadline may be set.
MAX_DAYS_AHEAD: Final = 730


@dataclass(frozen=True)
class Upload:
    """A file sent with a task or a step (the pages' and the API's uploads become these)."""

    name: str
    content: bytes
    content_type: str = ""


def working_day(day: dt.date) -> dt.date:
    """``day`` when it is a working day, else the next working day (a form's default date)."""
    return day if calendar.is_workday(day) else calendar.next_workday(day)


def end_of_day(day: dt.date) -> dt.datetime:
    """The deadline a date stands for: the end of that working day (the calendar's last office
    period), or of the next working day when the date is a holiday or a weekend."""
    if not calendar.is_workday(day):
        day = calendar.next_workday(day)
    end = calendar.working_periods()[-1][1]
    return timezone.make_aware(dt.datetime.combine(day, end))


def deadline_of(day: dt.date, field: str, now: dt.datetime) -> dt.datetime:
    """The deadline a chosen date gives (:func:`end_of_day`): after ``now``, and within
    :data:`MAX_DAYS_AHEAD` (the working calendar is known that far); 422 on ``field`` otherwise."""
    if day > timezone.localdate(now) + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise Invalid.field(field, _("Choose a date within two years."))
    # A past date is refused as such, before a weekend or holiday rolls it onto a working day.
    if day < timezone.localdate(now):
        raise Invalid.field(field, _("The date has passed."))
    due = end_of_day(day)
    if due <= now:
        raise Invalid.field(field, _("The date has passed."))
    return due


def as_date(value: Any, field: str) -> dt.date:
    """A date an input gives (a date, or ``YYYY-MM-DD``); 422 on ``field`` otherwise."""
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise Invalid.field(field, _("Give a date (YYYY-MM-DD).")) from None


def warn_of(start: dt.datetime, deadline: dt.datetime) -> dt.datetime:
    return clock.warn_point(start, deadline, UNIT)


def files_check(uploads: Sequence[Upload] | None, field: str = "files") -> list[Upload]:
    """The files sent: at most ten, each at most 15 MB, of the kinds a town's documents come in
    (PDF, Word, WPS, OFD, Excel, text, pictures, zip); 422 on ``field`` otherwise."""
    items = list(uploads or [])
    if len(items) > MAX_FILES:
        raise Invalid.field(field, _("At most %(n)s files at a time.") % {"n": MAX_FILES})
    checked = []
    for item in items:
        name = filetypes.display_name(item.name)
        if not name or filetypes.extension(name) not in FILE_EXTENSIONS:
            raise Invalid.field(
                field, _("“%(name)s”: send PDF, Word, WPS, OFD, Excel, text, picture or zip files.") % {"name": name}
            )
        if len(item.content) > MAX_FILE_BYTES:
            raise Invalid.field(field, _("“%(name)s” is larger than 15 MB.") % {"name": name})
        if not item.content:
            raise Invalid.field(field, _("“%(name)s” is empty.") % {"name": name})
        if not filetypes.fits(name, item.content[: filetypes.HEAD_BYTES]):
            raise Invalid.field(field, _("“%(name)s” is not the kind of file its name says.") % {"name": name})
        checked.append(Upload(name, item.content, item.content_type))
    return checked


def files_store(
    assignment: Assignment,
    uploads: Iterable[Upload],
    *,
    kind: str,
    actor: User | AnonymousUser | None,
    part: AssignmentPart | None = None,
    event: AssignmentEvent | None = None,
) -> list[AssignmentFile]:
    """Store checked files with their history row (the same content twice on a task is kept
    once). The default storage encrypts them at rest."""
    known = set(AssignmentFile.objects.filter(assignment=assignment).values_list("sha256", flat=True))
    stored = []
    for item in uploads:
        sha = hashlib.sha256(item.content).hexdigest()
        if sha in known:
            continue
        known.add(sha)
        name = filetypes.display_name(item.name)
        extension = filetypes.extension(name)[:10]
        # The type of what was checked (its extension), not the one the client claimed.
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        row = AssignmentFile(
            assignment=assignment,
            part=part,
            event=event,
            kind=kind,
            name=name,
            content_type=content_type[:100],
            size=len(item.content),
            sha256=sha,
            uploaded_by=signed_in(actor),
        )
        row.file.save(f"{sha[:16]}.{extension}", ContentFile(item.content), save=False)
        row.save()
        stored.append(row)
    return stored


def part_owner_ids(part: AssignmentPart) -> list[int]:
    """The active users who act for a part's owner."""
    if part.owner_kind == OwnerKind.DEPARTMENT:
        query = Q(role=Role.DEPARTMENT_HANDLER, department_id=part.department_id)
    elif part.owner_kind == OwnerKind.VILLAGE:
        query = Q(role__in=VILLAGE_ROLES, area_id=part.area_id)
    else:
        query = Q(role=Role.CENTER_OPERATOR, area_id=part.area_id)
    return role_holder_ids(query)


def users(ids: Iterable[int]) -> list[User]:
    return list(get_user_model().objects.filter(pk__in=sorted(set(ids))))


def detail_url(assignment: Assignment) -> str:
    return reverse("assignments:detail", args=[assignment.pk])


def send(
    assignment: Assignment,
    kind: str,
    recipient_ids: Iterable[int],
    *,
    actor: User | AnonymousUser | None,
    part: AssignmentPart | None = None,
    note: str = "",
) -> None:
    """A notice about the task, stored untranslated (kind and parameters) and rendered in each
    reader's language."""
    deadline = part.deadline if part is not None else assignment.deadline
    notify(
        recipients=users(recipient_ids),
        kind=f"assignment.{kind}",
        params={
            "title": assignment.title,
            "owner": part.owner_name if part is not None else "",
            "deadline": f"{timezone.localtime(deadline):%Y-%m-%d %H:%M}",
        },
        body=note[:500],
        url=detail_url(assignment),
        obj=assignment,
        actor=signed_in(actor) if actor is not None else None,
    )

"""A leader's task sheet (交办单) as Word and PDF (laid out by the bulletin's writers): the task,
its owners' parts, the progress log, the extensions, the supervision notices and their answers,
and the edits; printed in the installation's language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.bulletins import documents as bulletin
from gridgov.bulletins.documents import TEXT, Column, Outline, Section, Table
from gridgov.people.selectors import display_name

from . import selectors, services
from .models import Assignment, AssignmentStatus, PartStatus, Priority
from .transitions import EVENT_LABELS, PartAction, TaskAction

PROGRESS = (PartAction.ACCEPT, PartAction.PROGRESS, PartAction.SUBMIT, PartAction.APPROVE, PartAction.RETURN)
EXTENSIONS = (PartAction.REQUEST_EXTENSION, PartAction.GRANT_EXTENSION, PartAction.REFUSE_EXTENSION)
SUPERVISION = (TaskAction.SUPERVISE, TaskAction.REPLY_SUPERVISION)
CHANGES = (TaskAction.EDIT, TaskAction.CANCEL, "owner_added", "owner_removed", "deadline_moved")


def _at(value: Any, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return f"{timezone.localtime(value):{pattern}}" if value else ""


def _label(action: str) -> str:
    found = services.PARTS.labels.get(action) or services.TASKS.labels.get(action) or EVENT_LABELS.get(action)
    return str(found or action)


def _log(title: str, events: list[Any], actions: tuple[str, ...], detail: Callable[[Any], str]) -> Table:
    return Table(
        title,
        [Column(str(name), TEXT) for name in (_("Time"), _("Owner"), _("Step"), _("By"), _("Details"))],
        [
            [
                _at(event.at),
                event.part.owner_name if event.part is not None else "",
                _label(event.action),
                display_name(event.actor) if event.actor is not None else _("System"),
                detail(event),
            ]
            for event in events
            if event.action in actions
        ],
    )


def outline(assignment: Assignment) -> Outline:
    events = list(selectors.history(assignment))
    facts = Section(
        _("1. The task"),
        paragraphs=[
            _("Task number: %(number)s") % {"number": assignment.pk},
            _("Assigning leader: %(name)s") % {"name": display_name(assignment.leader)},
            _("Given on: %(date)s; priority: %(priority)s; status: %(status)s")
            % {
                "date": _at(assignment.assigned_at),
                "priority": Priority(assignment.priority).label,
                "status": AssignmentStatus(assignment.status).label,
            },
            _("Deadline: %(date)s") % {"date": _at(assignment.deadline)},
            *(
                [_("Document number: %(number)s") % {"number": assignment.document_number}]
                if assignment.document_number
                else []
            ),
            *(
                [_("Cancelled on: %(date)s") % {"date": _at(assignment.cancelled_at)}]
                if assignment.cancelled_at
                else []
            ),
        ],
    )
    requirement = Section(
        _("2. Requirement"), paragraphs=[line for line in assignment.requirement.splitlines() if line.strip()]
    )
    owners = Section(_("3. Owners and their parts"))
    owners.tables.append(
        Table(
            _("Parts per owner"),
            [
                Column(_("Owner"), TEXT),
                Column(_("Role"), TEXT),
                Column(_("Status"), TEXT),
                Column(_("Progress (%)"), TEXT),
                Column(_("Deadline"), TEXT),
                Column(_("Completed"), TEXT),
            ],
            [
                [
                    part.owner_name,
                    _("Lead owner") if part.lead else _("Cooperating owner"),
                    PartStatus(part.status).label,
                    str(part.percent),
                    _at(part.deadline) + (f"（{_('extended')}）" if part.extension_count else ""),
                    _at(part.completed_at)
                    + ("" if part.on_time is None else f"（{_('on time') if part.on_time else _('late')}）"),
                ]
                for part in selectors.parts_of(assignment)
            ],
        )
    )

    def text(event: Any) -> str:
        data = event.data or {}
        extra = [f"{data['percent']}%"] if "percent" in data else []
        extra += [_at(dt.datetime.fromisoformat(data["until"]), "%Y-%m-%d")] if data.get("until") else []
        shown = f"（{'，'.join(extra)}）" if extra else ""
        return f"{event.comment}{shown}" if event.comment else "，".join(extra)

    log = Section(_("4. Progress log"))
    log.tables.append(_log(_("Progress"), events, PROGRESS, text))
    extensions = Section(_("5. Extensions"))
    extensions.tables.append(_log(_("Extension requests and decisions"), events, EXTENSIONS, text))
    supervision = Section(_("6. Supervision and answers"))
    supervision.tables.append(_log(_("Supervision"), events, SUPERVISION, text))
    changes = Section(_("7. Changes by the leader"))
    changes.tables.append(_log(_("Changes"), events, CHANGES, lambda event: event.comment))
    return Outline(
        title=_("Leader's task sheet: %(title)s") % {"title": assignment.title},
        subtitle=_("%(town)s, task %(number)s") % {"town": assignment.town.name, "number": assignment.pk},
        sections=[facts, requirement, owners, log, extensions, supervision, changes],
        footer=_("Printed on %(date)s.") % {"date": _at(timezone.now())},
    )


def write_docx(assignment: Assignment) -> bytes:
    return bulletin.write_in_document_language(lambda: outline(assignment), bulletin.outline_docx)


def write_pdf(assignment: Assignment) -> bytes:
    return bulletin.write_in_document_language(lambda: outline(assignment), bulletin.outline_pdf)

"""A meeting's minutes as Word and PDF (laid out by the bulletin's writers)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.bulletins import documents as bulletin
from gridgov.bulletins.documents import TEXT, Column, Outline, Section, Table
from gridgov.people.selectors import display_name

from .models import Meeting, ResolutionKind
from .services import open_resolutions, resolution_state


def _owner(resolution: Any) -> str:
    if resolution.kind == ResolutionKind.CASE:
        return _("Case %(number)s") % {"number": resolution.case.number if resolution.case else ""}
    return (resolution.department.name if resolution.department else "") or (
        resolution.village.name if resolution.village else ""
    )


def _state(resolution: Any) -> str:
    return {"done": _("Done"), "open": _("Not done yet"), "overdue": _("Overdue")}[resolution_state(resolution)]


def outline(meeting: Meeting) -> Outline:
    when = timezone.localtime(meeting.starts_at)
    attendees = [display_name(a.user) for a in meeting.attendance.select_related("user__profile")]
    facts = Section(
        _("1. Meeting"),
        paragraphs=[
            _("Time: %(time)s; place: %(place)s; chair: %(chair)s.")
            % {"time": f"{when:%Y-%m-%d %H:%M}", "place": meeting.place, "chair": display_name(meeting.chair)},
            _("Signed in (%(n)s): %(names)s") % {"n": len(attendees), "names": "、".join(attendees) or _("None.")},
        ],
    )
    earlier = open_resolutions(meeting.area, before=meeting)
    follow = Section(_("2. Follow-up of earlier resolutions"))
    follow.tables.append(
        Table(
            _("Earlier resolutions not done"),
            [
                Column(_("Resolution"), TEXT),
                Column(_("Owner"), TEXT),
                Column(_("Deadline"), TEXT),
                Column(_("State"), TEXT),
            ],
            [[r.text, _owner(r), f"{r.deadline:%Y-%m-%d}" if r.deadline else "", _state(r)] for r in earlier],
        )
    )
    agenda = Section(_("3. Agenda"), paragraphs=[f"{n}. {item['title']}" for n, item in enumerate(meeting.agenda, 1)])
    minutes = Section(_("4. Minutes"), paragraphs=[line for line in meeting.minutes.splitlines() if line.strip()])
    decided = Section(_("5. Resolutions"))
    decided.tables.append(
        Table(
            _("Resolutions"),
            [
                Column(_("No."), TEXT),
                Column(_("Resolution"), TEXT),
                Column(_("Owner"), TEXT),
                Column(_("Deadline"), TEXT),
                Column(_("State"), TEXT),
            ],
            [
                [str(r.number), r.text, _owner(r), f"{r.deadline:%Y-%m-%d}" if r.deadline else "", _state(r)]
                for r in meeting.resolutions.select_related("case", "department", "village")
            ],
        )
    )
    return Outline(
        title=meeting.title,
        subtitle=_("%(area)s, %(date)s") % {"area": meeting.area.name, "date": f"{when:%Y-%m-%d}"},
        sections=[facts, follow, agenda, minutes, decided],
        footer=_("Minutes printed on %(date)s.") % {"date": f"{timezone.localtime():%Y-%m-%d %H:%M}"},
    )


def write_docx(meeting: Meeting) -> bytes:
    return bulletin.write_in_document_language(lambda: outline(meeting), bulletin.outline_docx)


def write_pdf(meeting: Meeting) -> bytes:
    return bulletin.write_in_document_language(lambda: outline(meeting), bulletin.outline_pdf)

"""The monthly summary as Word and PDF, written from its frozen content only.

The summary's outline reuses the bulletin's writers (:mod:`gridgov.bulletins.documents`): the
bulletin's overview sentences and department table for the month, then the weeks (how many
analyses came in on time, the cases and patrols of the weeks), the grids' analyses and
measures, and the leader's remarks.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.bulletins import documents as bulletin
from gridgov.bulletins.documents import COUNT, TEXT, Column, Outline, Section, Table

from .models import MonthlySummary


def outline(summary: MonthlySummary) -> Outline:
    content = summary.figures
    base = bulletin.outline(content["bulletin"])
    area = content["area"]["name"]
    year, month = content["month"].split("-")
    overview = Section(_("1. The month's cases"), paragraphs=base.sections[0].paragraphs)
    if len(base.sections) > 1:
        overview.tables.extend(base.sections[1].tables[:1])

    weeks = Section(_("2. Weekly analyses"))
    weeks.tables.append(
        Table(
            _("Weeks"),
            [
                Column(_("Week of")),
                Column(_("Grids"), COUNT),
                Column(_("On time"), COUNT),
                Column(_("Late"), COUNT),
                Column(_("Not submitted"), COUNT),
                Column(_("Cases reported"), COUNT),
                Column(_("Overdue at the week's end"), COUNT),
                Column(_("Patrols"), COUNT),
            ],
            [
                [
                    row["week"],
                    row["grids"],
                    row["on_time"],
                    row["late"],
                    row["missing"],
                    row["reported"],
                    row["overdue"],
                    row["patrols"],
                ]
                for row in content["weeks"]
            ],
        )
    )
    written = Section(_("3. The grids' analyses and measures"))
    sent = content.get("analyses_sent", len(content["analyses"]))
    if len(content["analyses"]) < sent:
        written.paragraphs.append(
            _(
                "%(sent)s weekly analyses were submitted to the center this month; below are the %(shown)s "
                "that report open problems (overdue cases, repeated problems or places), the most overdue first."
            )
            % {"sent": sent, "shown": len(content["analyses"])}
        )
    written.tables.append(
        Table(
            _("Analyses"),
            [
                Column(_("Grid"), TEXT),
                Column(_("Week of"), TEXT),
                Column(_("Analysis"), TEXT),
                Column(_("Measures"), TEXT),
            ],
            [[row["grid"], row["week"], row["analysis"], row["measures"]] for row in content["analyses"]],
        )
    )
    remarks = Section(_("4. Leader's remarks"), paragraphs=[summary.remarks or _("None.")])
    return Outline(
        title=_("Monthly summary of grid work"),
        subtitle=_("%(area)s, %(year)s-%(month)s") % {"area": area, "year": year, "month": month},
        sections=[overview, weeks, written, remarks],
        footer=_("Composed by the system from the figures frozen on %(date)s.")
        % {"date": f"{timezone.localtime(summary.composed_at):%Y-%m-%d %H:%M}"},
    )


def write_docx(summary: MonthlySummary) -> bytes:
    return bulletin.write_in_document_language(lambda: outline(summary), bulletin.outline_docx)


def write_pdf(summary: MonthlySummary) -> bytes:
    return bulletin.write_in_document_language(lambda: outline(summary), bulletin.outline_pdf)

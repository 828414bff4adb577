"""What the discipline office takes out of the system: a rule's list and the accountability
records as formula-safe spreadsheets (:mod:`gridgov.core.spreadsheets`), an accountability
decision as Word and PDF (the bulletin's writers, CJK font embedded)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.bulletins import documents as bulletin
from gridgov.bulletins.documents import TEXT, Column, Outline, Section, Table
from gridgov.core.spreadsheets import SafeWorkbook
from gridgov.people.selectors import display_name

from .models import Accountability
from .registry import Rule
from .selectors import evidence_numbers, target_name


def rule_xlsx(rule: Rule, rows: Iterable[Any], definition: str, town: str) -> tuple[bytes, int]:
    book = SafeWorkbook()
    sheet = book.sheet(str(rule.label))
    sheet.append([f"{town} · {rule.label}"], bold=True, size=13)
    sheet.append([definition])
    sheet.append([_("Exported at %(time)s") % {"time": f"{timezone.localtime():%Y-%m-%d %H:%M}"}])
    sheet.blank()
    sheet.header([str(column.label) for column in rule.columns])
    count = 0
    for row in rows:
        sheet.append([column.value(row) for column in rule.columns])
        count += 1
    return book.bytes(), count


def accountability_xlsx(records: Iterable[Accountability], town: str) -> tuple[bytes, int]:
    book = SafeWorkbook()
    sheet = book.sheet(_("Accountability"))
    sheet.widths([8, 14, 18, 20, 60, 30, 18, 12])
    sheet.append([f"{town} · {_('Accountability decisions')}"], bold=True, size=13)
    sheet.blank()
    sheet.header(
        [
            _("No."),
            _("Decided at"),
            _("Who is held to account"),
            _("Measure"),
            _("Reason"),
            _("Evidence"),
            _("Decided by"),
        ]
    )
    count = 0
    for record in records:
        sheet.append(
            [
                record.pk,
                timezone.localtime(record.decided_at),
                f"{record.get_target_kind_display()}：{target_name(record)}",
                record.get_kind_display(),
                record.reason,
                "、".join(evidence_numbers(record)),
                display_name(record.decided_by),
            ]
        )
        count += 1
    return book.bytes(), count


def outline(record: Accountability) -> Outline:
    decided = timezone.localtime(record.decided_at)
    facts = Section(
        _("1. Decision"),
        paragraphs=[
            _("Held to account: %(who)s (%(kind)s).")
            % {"who": target_name(record), "kind": record.get_target_kind_display()},
            _("Measure: %(measure)s.") % {"measure": record.get_kind_display()},
            _("Decided by %(name)s on %(date)s.")
            % {"name": display_name(record.decided_by), "date": f"{decided:%Y-%m-%d}"},
        ],
    )
    reason = Section(_("2. Reason"), paragraphs=[line for line in record.reason.splitlines() if line.strip()])
    evidence = Section(_("3. Evidence"))
    rows: list[list[Any]] = [
        [case.number, _("Case"), case.category.name, case.get_status_display()]
        for case in record.cases.select_related("category")
    ]
    rows += [
        [order.upstream_number, _("12345 hotline order"), order.title, order.get_status_display()]
        for order in record.orders.all()
    ]
    evidence.tables.append(
        Table(
            _("Cases and orders"),
            [Column(_("Number"), TEXT), Column(_("Kind"), TEXT), Column(_("Subject"), TEXT), Column(_("Status"), TEXT)],
            rows,
        )
    )
    attachments = [attachment.name for attachment in record.attachments.all()]
    files = Section(_("4. Attachments"), paragraphs=attachments or [_("None.")])
    return Outline(
        title=_("Accountability decision No. %(number)s") % {"number": record.pk},
        subtitle=_("Discipline office of %(town)s") % {"town": record.town.name},
        sections=[facts, reason, evidence, files],
        footer=_("Printed on %(date)s.") % {"date": f"{timezone.localtime():%Y-%m-%d %H:%M}"},
    )


def write_docx(record: Accountability) -> bytes:
    return bulletin.write_in_document_language(lambda: outline(record), bulletin.outline_docx)


def write_pdf(record: Accountability) -> bytes:
    return bulletin.write_in_document_language(lambda: outline(record), bulletin.outline_pdf)

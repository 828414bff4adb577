"""A period's results as the town's meeting reads them: Word (and PDF, the bulletin's writers
with the CJK font) and a formula-safe workbook, written from the snapshot in force, the
adjustments of upheld appeals, the decided appeals and the confirmed rewards and penalties.

Sections: the period and schemes (items, weights, rules), a ranking table per target type,
rewards and penalties, appeals decided."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.bulletins import documents as bulletin
from gridgov.bulletins.documents import TEXT, Column, Outline, Section, Table
from gridgov.core.spreadsheets import SafeWorkbook

from .indicators import INDICATORS
from .models import AppealStatus, Period, SanctionStatus, TargetType


def rule_text(item: dict[str, Any]) -> str:
    """A rule in words, e.g. "linear 60 %→0, 100 %→full" or "≥95 %: 100 %; ≥90 %: 80 %"."""
    rule = item.get("rule") or {}
    if item["kind"] == "manual":
        return _("scored by the assessor with evidence")
    if rule.get("type") == "linear":
        return _("linear: %(low)s%% scores nothing, %(high)s%% the full weight") % {
            "low": f"{rule['low']:g}",
            "high": f"{rule['high']:g}",
        }
    sign = "≥" if rule.get("direction") == "at_least" else "≤"
    steps = "; ".join(f"{sign}{bound:g}%: {share:g}%" for bound, share in rule.get("steps", []))
    return _("%(steps)s; otherwise %(otherwise)s%%") % {"steps": steps, "otherwise": f"{rule.get('otherwise', 0):g}"}


def outline(period: Period) -> Outline:
    snapshot = period.current
    sections: list[Section] = []
    schemes = Section(_("1. Period and schemes"))
    schemes.paragraphs.append(
        _("Assessment of %(town)s from %(start)s to %(end)s (%(kind)s), computed on %(at)s (snapshot %(number)s).")
        % {
            "town": period.town.name,
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "kind": period.get_kind_display(),
            "at": f"{timezone.localtime(snapshot.finished_at or snapshot.created_at):%Y-%m-%d %H:%M}"
            if snapshot
            else "—",
            "number": snapshot.number if snapshot else "—",
        }
    )
    frozen = snapshot.inputs.get("schemes", {}) if snapshot else {}
    for scheme in frozen.values():
        rows = [
            [
                item["label"],
                str(INDICATORS[item["indicator"]].label) if item["indicator"] in INDICATORS else _("Manual"),
                item["weight"],
                rule_text(item),
            ]
            for item in scheme["items"]
        ]
        rows.append([_("Bonus / penalty"), "", f"+{scheme['bonus_cap']} / -{scheme['penalty_cap']}", _("caps")])
        schemes.tables.append(
            Table(
                _("%(name)s (version %(version)s)") % {"name": scheme["name"], "version": scheme["version"]},
                [Column(_("Item")), Column(_("Figure")), Column(_("Weight")), Column(_("Scoring rule"))],
                rows,
            )
        )
    sections.append(schemes)
    ranking = Section(_("2. Ranking"))
    if snapshot is not None:
        for target_type in TargetType:
            results = list(snapshot.results.filter(target_type=target_type).order_by("rank", "target_key"))
            if not results:
                continue
            scheme = frozen[str(results[0].scheme_id)]
            columns = [Column(_("Rank")), Column(_("Assessed"))]
            columns += [Column(f"{item['label']}({item['weight']})") for item in scheme["items"]]
            columns += [Column(_("Bonus")), Column(_("Penalty")), Column(_("Adjusted")), Column(_("Total"))]
            rows = []
            for result in results:
                points = {line["code"]: line.get("points") for line in result.breakdown["items"]}
                rows.append(
                    [
                        str(result.rank),
                        result.label,
                        *[points.get(item["code"]) or "—" for item in scheme["items"]],
                        result.breakdown["bonus"],
                        result.breakdown["penalty"],
                        str(result.adjustment) if result.adjustment else "",
                        str(result.total),
                    ]
                )
            ranking.tables.append(Table(str(target_type.label), columns, rows))
    sections.append(ranking)
    sanctions = Section(_("3. Rewards and penalties"))
    sanctions.tables.append(
        Table(
            _("Confirmed"),
            [
                Column(_("Kind")),
                Column(_("Assessed")),
                Column(_("Measure")),
                Column(_("Amount (yuan)")),
                Column(_("Reason")),
            ],
            [
                [s.get_kind_display(), s.result.label, s.measure, str(s.amount or ""), s.reason]
                for s in period.sanctions.filter(status=SanctionStatus.CONFIRMED).select_related("result")
            ],
        )
    )
    sections.append(sanctions)
    appeals = Section(_("4. Appeals decided"))
    appeals.tables.append(
        Table(
            _("Appeals"),
            [
                Column(_("Assessed")),
                Column(_("Reason")),
                Column(_("Decision")),
                Column(_("Score change")),
                Column(_("Opinion")),
            ],
            [
                [a.result.label, a.reason, a.get_decision_display(), str(a.delta), a.opinion]
                for a in period.appeals.filter(status=AppealStatus.DECIDED).select_related("result")
            ],
        )
    )
    sections.append(appeals)
    return Outline(
        title=period.title,
        subtitle=period.town.name,
        sections=sections,
        footer=_("Written by the system from the frozen snapshot on %(date)s.")
        % {"date": f"{timezone.localtime():%Y-%m-%d %H:%M}"},
    )


def write_docx(period: Period) -> bytes:
    return bulletin.write_in_document_language(lambda: outline(period), bulletin.outline_docx)


def write_pdf(period: Period) -> bytes:
    return bulletin.write_in_document_language(lambda: outline(period), bulletin.outline_pdf)


def write_xlsx(period: Period) -> bytes:
    return bulletin.write_in_document_language(lambda: outline(period), _workbook)


def _workbook(text: Outline) -> bytes:
    book = SafeWorkbook()
    first = book.sheet(_("Assessment"))
    first.widths([100])
    first.append([text.title], bold=True, size=14)
    first.append([text.subtitle])
    for section in text.sections:
        for paragraph in section.paragraphs:
            first.append([paragraph])
    first.append([text.footer])
    for section in text.sections:
        for table in section.tables:
            sheet = book.sheet(table.title)
            sheet.widths([24 if column.kind == TEXT else 12 for column in table.columns])
            sheet.header([column.title for column in table.columns])
            for row in table.rows:
                sheet.append([_number(value) for value in row])
            if not table.rows:
                sheet.append([_("None in this period.")])  # not a header over blank rows
            sheet.freeze_header()
    return book.bytes()


def _number(value: Any) -> Any:
    """Scores as numbers (a workbook sums them), the rest as safe text."""
    try:
        return float(value) if isinstance(value, str) and value.replace(".", "", 1).lstrip("-").isdigit() else value
    except ValueError:
        return value

"""Reading a year's official holiday schedule from text, for preview before loading.

Two formats:

* plain lines ``date,holiday|workday,name`` (``2027-02-06,holiday,春节``; ``#`` starts a comment);
* the State Council's notice as published, e.g.
  ``二、春节：2月15日（农历腊月二十八）至23日（农历正月初七）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。``

Parsing never writes: the result lists the dates, the errors that block loading and the
warnings an administrator should read; ``official_year_load`` does the write.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

NOTICE = "notice"
CSV = "csv"

_NUMERAL = "一二三四五六七八九十"
_ITEM = re.compile(rf"(?:^|(?<=[\s。;]))[{_NUMERAL}]{{1,3}}、\s*([^:\n。;]{{1,30}}?)\s*:")
_TITLE_YEAR = re.compile(r"(\d{4})\s*年\s*(?:部分)?\s*节假日")
_DATE = r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日"
_RANGE = re.compile(_DATE + r"(?:\s*(?:至|到|~|-|—|–)\s*(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日)?")
_COUNT = re.compile(r"(?:共|放假)\s*(\d{1,2})\s*天")
_PARENS = re.compile(r"\([^()]*\)")
_ISO = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_HOLIDAY_WORDS = {"holiday", "off", "rest", "休", "放假", "假", "节假日"}
_WORKDAY_WORDS = {"workday", "work", "working", "班", "上班", "调休上班", "工作日"}


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    date: dt.date
    is_workday: bool
    name: str
    problems: tuple[str, ...] = ()


@dataclass
class ParsedSchedule:
    year: int
    holidays: list[tuple[dt.date, str]] = field(default_factory=list)
    workdays: list[tuple[dt.date, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.holidays or self.workdays)

    def rows(self) -> list[ScheduleRow]:
        """Every listed date in order, with what is wrong or unusual about it."""
        kinds: dict[dt.date, set[bool]] = {}
        for is_workday, items in ((False, self.holidays), (True, self.workdays)):
            for d, _name in items:
                kinds.setdefault(d, set()).add(is_workday)
        rows: list[ScheduleRow] = []
        for is_workday, items in ((False, self.holidays), (True, self.workdays)):
            for d, name in items:
                problems: list[str] = []
                if d.year != self.year:
                    problems.append(_("not in %(year)s") % {"year": self.year})
                if len(kinds[d]) > 1:
                    problems.append(_("listed both as holiday and as working day"))
                if is_workday and d.weekday() < 5:
                    problems.append(_("already a weekday"))
                rows.append(ScheduleRow(date=d, is_workday=is_workday, name=name, problems=tuple(problems)))
        rows.sort(key=lambda row: (row.date, row.is_workday))
        return rows

    def _finish(self) -> ParsedSchedule:
        self.holidays = _dedupe(self.holidays)
        self.workdays = _dedupe(self.workdays)
        both = {d for d, _n in self.holidays} & {d for d, _n in self.workdays}
        for d in sorted(both):
            self.errors.append(_("%(date)s is listed both as a holiday and as a working day.") % {"date": d})
        for d, _n in [*self.holidays, *self.workdays]:
            if d.year != self.year:
                self.errors.append(_("%(date)s is not in %(year)s.") % {"date": d, "year": self.year})
        for d, _n in self.workdays:
            if d.weekday() < 5:
                self.warnings.append(_("%(date)s is a working day anyway (a weekday).") % {"date": d})
        if not self.holidays and not self.workdays and not self.errors:
            self.errors.append(_("No dates were found."))
        return self


def _dedupe(items: list[tuple[dt.date, str]]) -> list[tuple[dt.date, str]]:
    seen: dict[dt.date, str] = {}
    for d, name in items:
        seen.setdefault(d, name)
    return sorted(seen.items())


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("；", ";").replace("，", ",").replace("－", "-")


def _make_date(year: int, month: int, day: int, errors: list[str], where: str) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        errors.append(_("Not a valid date: %(text)s") % {"text": where})
        return None


def _ranges(text: str, year: int, errors: list[str]) -> list[dt.date]:
    """All dates named in ``text``: single dates and ranges (``9月30日至10月7日``, ``1月1日至3日``)."""
    dates: list[dt.date] = []
    for match in _RANGE.finditer(text):
        y0, m0, d0, y1, m1, d1 = match.groups()
        start_year = int(y0) if y0 else year
        first = _make_date(start_year, int(m0), int(d0), errors, match.group(0))
        if first is None:
            continue
        if d1 is None:
            dates.append(first)
            continue
        end_month = int(m1) if m1 else first.month
        end_year = int(y1) if y1 else (start_year + 1 if end_month < first.month else start_year)
        last = _make_date(end_year, end_month, int(d1), errors, match.group(0))
        if last is None:
            continue
        if last < first or (last - first).days > 40:
            errors.append(_("Not a plausible range: %(text)s") % {"text": match.group(0)})
            continue
        dates.extend(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return dates


def parse_notice(text: str, year: int) -> ParsedSchedule:
    """Read the items of a State Council notice (``一、元旦：…放假…。…上班。``)."""
    result = ParsedSchedule(year=year)
    text = _PARENS.sub("", _PARENS.sub("", _normalize(text)))
    title = _TITLE_YEAR.search(text)
    if title and int(title.group(1)) != year:
        result.errors.append(_("The notice is for %(found)s, not %(year)s.") % {"found": title.group(1), "year": year})
    headers = list(_ITEM.finditer(text))
    if not headers:
        result.errors.append(_("No items like “一、元旦：…” were found."))
        return result._finish()
    for index, header in enumerate(headers):
        name = header.group(1).strip()
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        body = text[header.end() : end].split("\n\n")[0]
        _parse_item(result, name, body, year)
    return result._finish()


def _parse_item(result: ParsedSchedule, name: str, body: str, year: int) -> None:
    for sentence in re.split(r"[。;\n]", body):
        holidays: list[dt.date] = []
        counted = False
        for clause in sentence.split(","):
            clause = clause.strip()
            if not clause:
                continue
            if "放假" in clause:
                before = clause.split("放假", 1)[0]
                holidays = _ranges(before, year, result.errors)
                result.holidays.extend((d, name) for d in holidays)
            elif "上班" in clause:
                workdays = _ranges(clause, year, result.errors)
                result.workdays.extend((d, name) for d in workdays)
                continue
            elif _RANGE.search(clause):
                result.warnings.append(_("Ignored: %(text)s") % {"text": clause})
            count = _COUNT.search(clause)
            if count and holidays and not counted:
                counted = True
                if int(count.group(1)) != len(holidays):
                    result.errors.append(
                        _("%(name)s: the notice says %(said)s days but the dates give %(found)s.")
                        % {"name": name, "said": count.group(1), "found": len(holidays)}
                    )


def parse_csv(text: str, year: int) -> ParsedSchedule:
    """Read lines ``date,holiday|workday,name`` (a header line and ``#`` comments are skipped)."""
    result = ParsedSchedule(year=year)
    for number, raw in enumerate(_normalize(text).split("\n"), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = [part.strip() for part in re.split(r"[,\t]", line)]
        if number == 1 and parts[0].lower() in {"date", "日期"}:
            continue
        if len(parts) < 2:
            result.errors.append(_("Line %(n)s: expected “date,holiday|workday,name”.") % {"n": number})
            continue
        match = _ISO.match(parts[0])
        d = None
        if match:
            y, m, day = (int(g) for g in match.groups())
            d = _make_date(y, m, day, result.errors, parts[0])
        if d is None:
            if not match:
                result.errors.append(_("Line %(n)s: not a date: %(text)s") % {"n": number, "text": parts[0]})
            continue
        kind = parts[1].lower()
        name = parts[2] if len(parts) > 2 else ""
        if kind in _HOLIDAY_WORDS:
            result.holidays.append((d, name))
        elif kind in _WORKDAY_WORDS:
            result.workdays.append((d, name))
        else:
            result.errors.append(
                _("Line %(n)s: “%(kind)s” is neither holiday nor workday.") % {"n": number, "kind": parts[1]}
            )
    return result._finish()


def parse(text: str, year: int, fmt: str) -> ParsedSchedule:
    return parse_csv(text, year) if fmt == CSV else parse_notice(text, year)

"""Importing a grid's basic data from a spreadsheet, synchronously, with a row report.

The first sheet of an ``.xlsx`` (or a CSV) is read through :mod:`gridgov.core.uploads` (its
ceilings hold). The first row holding the expected titles is the header; each following row is
checked and saved on its own through the services (each its own transaction and audit row), so
a bad row loses nothing already accepted. Each row ends as:

- ``good``: saved as it was;
- ``doubtful``: saved but flagged on the record (``doubtful``, ``doubts``) for a person to
  check: a phone that is not a mobile number, a member count missing, a care tag not known;
- ``bad``: not saved (no grid, a grid outside the importer's scope, no address or name).

A household's natural key is its grid and address, a unit's its grid and name: importing the
same file again updates the same records (``unchanged`` when nothing differs).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any, Final

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from gridgov.core.errors import Forbidden
from gridgov.core.spreadsheets import SafeWorkbook
from gridgov.core.uploads import UploadLimits, UploadRefused, open_table

from . import services
from .access import mask_address, mask_phone
from .models import CareTag, HazardTag, UnitKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest

LIMITS: Final = UploadLimits(max_bytes=5 * 1024 * 1024, max_rows=5_000, max_columns=30)
MOBILE_RE: Final = re.compile(r"^1[3-9]\d{9}$")

# Column titles accepted for each field (Chinese as in the town's ledgers, and English).
HOUSEHOLD_COLUMNS: Final = {
    "grid": ("网格编码", "grid"),
    "address": ("地址", "住址", "address"),
    "head_name": ("户主", "户主姓名", "head"),
    "head_phone": ("联系电话", "电话", "phone"),
    "member_count": ("人口数", "家庭人口", "members"),
    "care_tags": ("关爱标签", "标签", "care tags"),
}
UNIT_COLUMNS: Final = {
    "grid": ("网格编码", "grid"),
    "kind": ("类型", "kind"),
    "name": ("名称", "单位名称", "name"),
    "address": ("地址", "address"),
    "contact_name": ("联系人", "contact"),
    "contact_phone": ("联系电话", "电话", "phone"),
    "hazard_tags": ("隐患标签", "风险标签", "hazard tags"),
}
# Tag and kind names as written in a ledger.
CARE_NAMES: Final = {
    "独居老人": CareTag.ELDERLY_ALONE,
    "残疾人": CareTag.DISABLED,
    "留守儿童": CareTag.LEFT_BEHIND_CHILD,
    "低保户": CareTag.LOW_INCOME,
    **{tag.value: tag for tag in CareTag},
}
KIND_NAMES: Final = {
    "商铺": UnitKind.SHOP,
    "企业": UnitKind.ENTERPRISE,
    "学校": UnitKind.SCHOOL,
    "隐患点": UnitKind.HAZARD_POINT,
    "工地": UnitKind.CONSTRUCTION_SITE,
    "其他": UnitKind.OTHER,
    **{kind.value: kind for kind in UnitKind},
}
HAZARD_NAMES: Final = {
    "消防": HazardTag.FIRE,
    "燃气": HazardTag.GAS,
    "危化品": HazardTag.CHEMICALS,
    "人员密集": HazardTag.CROWD,
    "危房": HazardTag.STRUCTURE,
    "内涝": HazardTag.FLOOD,
    **{tag.value: tag for tag in HazardTag},
}
SEPARATORS: Final = re.compile(r"[,，、;；/\s]+")


@dataclass
class RowResult:
    number: int
    status: str  # good, doubtful, bad
    outcome: str = ""  # created, updated, unchanged (saved rows)
    label: str = ""  # what the row names (a masked address, a unit's name)
    messages: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The messages in one line, joined by "；" (a message's own full stop dropped, but the
        last one's)."""
        if not self.messages:
            return ""
        joined = "；".join(message.rstrip("。. ") for message in self.messages)
        return joined + ("。" if self.messages[-1].endswith("。") else "")


@dataclass
class ImportReport:
    kind: str
    rows: list[RowResult] = field(default_factory=list)
    refused: str = ""  # the whole file was refused (unreadable, no header)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {status: self.count(status) for status in ("good", "doubtful", "bad")}

    def workbook(self) -> bytes:
        """The row report as a spreadsheet (formula-safe)."""
        book = SafeWorkbook()
        sheet = book.sheet(_("Row report"))
        sheet.header([_("Row"), _("Result"), _("Saved"), _("Record"), _("Hints")])
        labels = {"good": _("Good"), "doubtful": _("Doubtful"), "bad": _("Not imported")}
        saved = {"created": _("Created"), "updated": _("Updated"), "unchanged": _("Unchanged"), "": ""}
        for row in self.rows:
            sheet.append([row.number, labels[row.status], saved[row.outcome], row.label, row.text])
        return book.bytes()


def _header(cells: list[Any], columns: dict[str, tuple[str, ...]]) -> dict[str, int] | None:
    titles = [str(c).strip().lower() if c is not None else "" for c in cells]
    found: dict[str, int] = {}
    for name, accepted in columns.items():
        for index, title in enumerate(titles):
            if title in {a.lower() for a in accepted}:
                found[name] = index
                break
    required = {"grid", "address"} if "head_name" in columns else {"grid", "name", "kind"}
    return found if required <= set(found) else None


def _cell(cells: list[Any], index: int | None) -> str:
    if index is None or index >= len(cells) or cells[index] is None:
        return ""
    value = cells[index]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _tags(text: str, names: Mapping[str, str], doubts: list[str], what: str) -> list[str]:
    tags: list[str] = []
    for part in SEPARATORS.split(text):
        if not part:
            continue
        tag = names.get(part) or names.get(part.lower())
        if tag is None:
            doubts.append(_("Unknown %(what)s “%(tag)s” left out.") % {"what": what, "tag": part})
        elif tag not in tags:
            tags.append(tag)
    return tags


def _phone(text: str, doubts: list[str]) -> str:
    phone = re.sub(r"[\s\-]", "", text)
    if phone and not MOBILE_RE.match(phone):
        # Masked: the doubts are stored in the clear.
        doubts.append(_("The phone “%(phone)s” is not a mobile number.") % {"phone": mask_phone(phone[:30])})
    if phone and not services.PHONE_RE.match(phone):
        doubts.append(_("The phone is not a phone number and was left out."))
        return ""
    return phone


def _household_row(cells: list[Any], cols: dict[str, int], doubts: list[str]) -> dict[str, Any]:
    members_text = _cell(cells, cols.get("member_count"))
    members: int | None = None
    if not members_text:
        doubts.append(_("The number of members is missing."))
    elif members_text.isdigit() and 0 < int(members_text) <= services.MEMBERS_MAX:
        members = int(members_text)
    else:
        doubts.append(_("The number of members “%(n)s” is not believable.") % {"n": members_text[:10]})
    if not _cell(cells, cols.get("head_name")):
        doubts.append(_("The head of household is missing."))
    return {
        "grid": _cell(cells, cols["grid"]),
        "address": _cell(cells, cols["address"]),
        "head_name": _cell(cells, cols.get("head_name")),
        "head_phone": _phone(_cell(cells, cols.get("head_phone")), doubts),
        "member_count": members,
        "care_tags": _tags(_cell(cells, cols.get("care_tags")), CARE_NAMES, doubts, _("care tag")),
    }


def _unit_row(cells: list[Any], cols: dict[str, int], doubts: list[str]) -> dict[str, Any]:
    kind_text = _cell(cells, cols["kind"])
    kind = KIND_NAMES.get(kind_text)
    if kind is None:
        doubts.append(_("Unknown kind “%(kind)s”: imported as another unit.") % {"kind": kind_text[:20]})
        kind = UnitKind.OTHER
    return {
        "grid": _cell(cells, cols["grid"]),
        "kind": kind,
        "name": _cell(cells, cols["name"]),
        "address": _cell(cells, cols.get("address")),
        "contact_name": _cell(cells, cols.get("contact_name")),
        "contact_phone": _phone(_cell(cells, cols.get("contact_phone")), doubts),
        "hazard_tags": _tags(_cell(cells, cols.get("hazard_tags")), HAZARD_NAMES, doubts, _("hazard tag")),
    }


def _messages(error: ValidationError | Forbidden, titles: dict[str, str]) -> list[str]:
    """The refusal's messages, each naming its column (as titled in the file) when it is about
    one: "地址：此项为必填项。"."""
    if isinstance(error, Forbidden):
        return [error.message]
    if hasattr(error, "error_dict"):
        return [
            f"{titles[name]}：{message}" if name in titles else str(message)
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return [str(m) for m in error.messages]


def _titles(cells: list[Any], cols: dict[str, int], columns: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Each field's column title: the file's own, else the usual one (a column the file lacks)."""
    titles = {name: accepted[0] for name, accepted in columns.items()}
    for name, index in cols.items():
        title = str(cells[index]).strip() if index < len(cells) and cells[index] is not None else ""
        titles[name] = title or titles[name]
    return titles


def import_basic_data(
    *, actor: User | AnonymousUser, kind: str, handle: IO[bytes], name: str, request: HttpRequest | None = None
) -> ImportReport:
    """Import households (``kind="households"``) or units (``"units"``, key places
    included) and answer the row report."""
    columns = HOUSEHOLD_COLUMNS if kind == "households" else UNIT_COLUMNS
    report = ImportReport(kind=kind)
    # The whole file is read (within its limits) before any row is saved: a file refused for
    # its size or a bad cell leaves nothing half imported.
    try:
        with open_table(handle, name, LIMITS) as table:
            rows = list(table.rows())
    except UploadRefused as refused:
        report.refused = refused.message
        return report
    cols: dict[str, int] | None = None
    titles: dict[str, str] = {}
    for number, cells in rows:
        if cols is None:
            cols = _header(cells, columns)
            if cols is not None:
                titles = _titles(cells, cols, columns)
            continue
        report.rows.append(_import_row(actor, kind, number, cells, cols, titles, request))
    if cols is None:
        report.refused = _("No header row with the expected column titles was found.")
    return report


def _import_row(
    actor: User | AnonymousUser,
    kind: str,
    number: int,
    cells: list[Any],
    cols: dict[str, int],
    titles: dict[str, str],
    request: HttpRequest | None,
) -> RowResult:
    doubts: list[str] = []
    values = _household_row(cells, cols, doubts) if kind == "households" else _unit_row(cells, cols, doubts)
    label = values["name"] if kind == "units" else mask_address(values["address"])
    try:
        if kind == "households":
            outcome = services.household_save(actor=actor, doubts=doubts, via="import", request=request, **values)[1]
        else:
            outcome = services.unit_save(actor=actor, doubts=doubts, via="import", request=request, **values)[1]
    except (ValidationError, Forbidden) as error:
        return RowResult(number, "bad", label=label, messages=_messages(error, titles) + doubts)
    return RowResult(number, "doubtful" if doubts else "good", outcome=outcome, label=label, messages=doubts)

"""What the demo's cases are about: a table of realistic cases per minor category.

Each row of ``scenes.tsv`` (beside this module, tab-separated, UTF-8) is one case a grid worker
in Taiping would meet: the category's code, a typical place (written after the village's name,
as in 太平村农贸市场东门), what the reporter saw, what the department (or the village) did,
and the verification comment of the grid worker who checked it on site, or the center's closing
note for the categories closed without verification. A demo case picks one row of its own
category, so the description, the result and the verification always tell the same story: no
parking case answered "已维修完成".

The table is data, meant to be read and edited by people who know the town; the tests check
that it covers every seed category and that its texts fit the case fields.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

TABLE_PATH: Final = Path(__file__).with_name("scenes.tsv")
COLUMNS: Final = ("category", "place", "description", "result", "check")
# Said when a category has no row in the table (an installation's own category).
FALLBACK: Final = (
    "村委会附近",
    "现场情况需要相关部门处理",
    "已到现场处置，现场已恢复正常",
    "现场核查处置情况属实",
)


@dataclass(frozen=True)
class Scene:
    category: str  # the minor category's code, e.g. parking.minor
    place: str
    description: str
    result: str
    check: str

    def description_at(self, village: str) -> str:
        """The case's description: where, then what was seen."""
        return f"{self.where(village)}：{self.description}。"

    def where(self, village: str) -> str:
        return f"{village}{self.place}"

    @property
    def result_text(self) -> str:
        return f"{self.result}。"

    @property
    def check_text(self) -> str:
        return f"{self.check}。"


@cache
def scenes() -> dict[str, tuple[Scene, ...]]:
    """The table's rows by category code, in the table's order."""
    by_category: dict[str, list[Scene]] = {}
    with TABLE_PATH.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{TABLE_PATH.name}: the columns must be {', '.join(COLUMNS)}")
        for line, row in enumerate(reader, start=2):
            values = {name: (row.get(name) or "").strip() for name in COLUMNS}
            if not all(values.values()):
                raise ValueError(f"{TABLE_PATH.name}, line {line}: every column needs a value")
            by_category.setdefault(values["category"], []).append(Scene(**values))
    return {code: tuple(rows) for code, rows in by_category.items()}


def closest(category_code: str, text: str) -> Scene:
    """The row of the category whose description is most like ``text`` (shared pairs of
    characters): the story of a case whose description was written elsewhere, e.g. by the
    hotline for an order's field work."""
    rows = scenes().get(category_code)
    if not rows:
        return pick(random.Random(0), category_code)
    wanted = _pairs(text)
    return max(rows, key=lambda scene: len(wanted & _pairs(scene.description)))


def _pairs(text: str) -> set[str]:
    return {text[index : index + 2] for index in range(len(text) - 1)}


def pick(rng: random.Random, category_code: str) -> Scene:
    """A row of the category's own scenes (a neutral one for a category the table lacks)."""
    rows = scenes().get(category_code)
    if not rows:
        place, description, result, check = FALLBACK
        return Scene(category_code, place, description, result, check)
    return rng.choice(rows)


# What people write with the other steps of a case. These fit any category: the story of the
# case itself (what was seen, what was done, what the check found) comes from its scene.
ACTION_COMMENTS: Final[dict[str, tuple[str, ...]]] = {
    "void": ("经核实不属于事件范围，作废。", "重复上报且信息不全，作废。", "现场核实问题不存在。"),
    "return": ("经核实该事项不属于本单位职责，申请退回重新派遣。", "事发地不在本单位管辖范围。"),
    "verify_fail": ("现场核查问题仍然存在，请继续处置。", "处置不彻底，仍有残留，返工。"),
    "request_extension": ("需协调多个单位共同处置，申请延期。", "需联系责任人到场整改，时限内难以办结，申请延期。"),
    "approve_extension": ("同意延期，请按期办结。",),
    "reject_extension": ("时限内可以办结，不同意延期。", "理由不充分，请按原时限办理。"),
    "park": ("涉及历史遗留问题，需待规划调整后处理，暂时挂账。", "需上级部门统筹解决，先行挂账。"),
    "resume": ("条件已具备，恢复办理。",),
    "remind": ("请抓紧办理，注意时限。", "群众再次反映，请尽快处置。"),
    "supervise": ("群众反映强烈，请限期办结并报告办理情况。", "请高度重视，按时办结。"),
    "reply_supervision": ("已按要求加快办理，预计本周内办结。", "已落实专人负责，正在处置。"),
    "reopen": ("群众反映问题反弹，重新办理。", "核查发现问题复发，重新立案。"),
    "escalate": ("超出村级处置能力，提请中心协调。",),
    "accept": ("村里可以处理，由村委会负责。",),
    "merge": ("与已有事件重复，合并办理。",),
}
REMARKS: Final = ("请尽快处理。", "周边居民意见较大。", "群众多次反映。", "", "")


def action_comment(rng: random.Random, action: str) -> str:
    return rng.choice(ACTION_COMMENTS.get(action, ("",)))

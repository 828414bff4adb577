"""Set-up of the import tests: a town with its people, and the deliberately messy export."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from openpyxl import Workbook

from gridgov.areas.models import AreaLevel
from gridgov.areas.tests.factories import AreaFactory, make_tree
from gridgov.hotline.intake import OrderData
from gridgov.people.models import Role
from gridgov.people.tests.factories import DepartmentFactory, RoleAssignmentFactory, UserFactory

PHONE = "13812348888"


@dataclass
class Town:
    town: Any
    other_town: Any
    users: dict[str, Any]


def make_town() -> Town:
    district, town, _villages, grids = make_tree(villages=1, grids_per_village=1)
    other = AreaFactory(level=AreaLevel.TOWN, code="120116222000", name="Other town", parent=district)
    department: Any = DepartmentFactory(code="imp_urban", name="城管")
    department.areas.add(town)
    users: dict[str, Any] = {}
    for name, role, area, dept in (
        ("center", Role.CENTER_OPERATOR, town, None),
        ("other_center", Role.CENTER_OPERATOR, other, None),
        ("leader", Role.TOWN_LEADER, town, None),
        ("handler", Role.DEPARTMENT_HANDLER, None, department),
        ("worker", Role.GRID_WORKER, grids[0], None),
        ("supervisor", Role.SUPERVISOR, None, None),
        ("admin", Role.ADMIN, None, None),
    ):
        user = UserFactory(username=f"imp_{name}")
        RoleAssignmentFactory(user=user, role=role, area=area, department=dept)
        users[name] = user
    users["nobody"] = UserFactory(username="imp_nobody")
    users["superuser"] = get_user_model().objects.create_superuser("imp_root", "", "x")
    return Town(town=town, other_town=other, users=users)


def upload(actor: Any, town: Any, content: bytes, name: str = "export.xlsx", source_system: str = "district") -> Any:
    """An upload as the center makes it, then read by the worker (the hand-over after the
    commit runs here, as the worker would): the job as reading left it."""
    from django.test import TestCase

    from gridgov.hotline.importing import services

    with TestCase.captureOnCommitCallbacks(execute=True):
        job = services.import_upload(actor=actor, town=town, source_system=source_system, name=name, content=content)
    job.refresh_from_db()
    return job


def local(*args: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime(*args))  # type: ignore[arg-type]


def order_data(number: str, town: Any, **overrides: Any) -> OrderData:
    values: dict[str, Any] = {
        "source_system": "district",
        "upstream_number": number,
        "received_at": local(2026, 3, 4, 9, 0),
        "order_type": "help",
        "urgency_class": "general",
        "content": "路灯不亮",
        "title": "路灯故障",
        "upstream_category": "市政设施",
        "address": "太平路1号",
        "upstream_deadline": local(2026, 3, 20, 23, 59, 59),
        "petitioner_name": "李四",
        "petitioner_phone": "13900001234",
        "town_code": town.code,
    }
    values.update(overrides)
    return OrderData(**values)


HEADER = [
    "序号",
    "工单编号",
    "来电时间",
    "诉求类型",
    "紧急程度",
    "标题",
    "诉求内容",
    "问题分类",
    "事发地址",
    "办结时限",
    "来电人",
    "联系电话",
    "备注",
    "内部编码",
]

# The data rows of the messy workbook, as (sheet row, cells); rows 15 is blank.
MESSY_ROWS: list[tuple[int, list[Any]]] = [
    (
        5,
        [
            1,
            "HL-001",
            dt.datetime(2026, 3, 5, 14, 30),
            "咨询",
            "一般",
            "咨询办事",
            "询问社保办理地点",
            "社会保障",
            "太平镇",
            "2026-03-09",
            "王五",
            "138 1234 8888",
            "无",
            "X1",
        ],
    ),
    (
        6,
        [
            2,
            "HL-002",
            "2026/3/5 14:30:00",
            "投诉",
            "紧急",
            "噪音",
            "夜间施工噪音扰民",
            "环境保护",
            "太平村",
            "2026年3月20日",
            "赵六",
            "+86-139-0000-1111",
            "",
            "X2",
        ],
    ),
    (
        7,
        [3, "HL-003", "2026年3月5日 14时30分", "求助", "", "", "老人走失求助", "", "", None, "", "", "", ""],
    ),
    (
        8,
        [
            4,
            "HL-004",
            46086.604166666664,
            "建议",
            "水电气热",
            "供暖",
            "建议延长供暖期",
            "供热",
            "幸福村",
            46101,
            "",
            "022-2345 6789",
            "",
            "",
        ],
    ),
    (9, [5, "HL-005", "2026-13-45 25:00", "咨询", "一般", "", "日期错误的行", "", "", None, "", "", "", ""]),
    (10, [6, None, "2026-03-05 10:00", "咨询", "一般", "", "没有编号的行", "", "", None, "", "", "", ""]),
    (11, [7, "HL-007", "2026-03-05", "其他", "一般", "", "类型未知的行", "", "", None, "", "", "", ""]),
    (
        12,
        [
            8,
            "HL-001",
            dt.datetime(2026, 3, 5, 14, 30),
            "咨询",
            "一般",
            "咨询办事",
            "询问社保办理地点",
            "社会保障",
            "太平镇",
            "2026-03-09",
            "王五",
            "13812348888",
            "重复",
            "X1",
        ],
    ),
    (
        13,
        [
            9,
            "HL-900",
            "2026-03-04 09:00",
            "求助",
            "一般",
            "路灯故障",
            "路灯不亮",
            "市政设施",
            "太平路1号",
            "2026-03-20",
            "李四",
            "13900001234",
            "",
            "",
        ],
    ),
    (
        14,
        [
            10,
            "HL-901",
            "2026-03-04 09:00",
            "求助",
            "一般",
            "路灯故障",
            "路灯不亮，已经三天了",
            "市政设施",
            "太平路1号",
            "2026-03-20",
            "李四",
            "13900001234",
            "",
            "",
        ],
    ),
    (16, [11, "HL-010", "2026-03-06", "举报", "一般", "", "占道经营", "市容环境", "太平街", None, "", "", "", ""]),
    (17, [12, "HL-011", "2026-03-06 08:15", "表扬", "一般", "", "感谢社区工作人员", None, None, None, "", "", "", ""]),
]

# What each row of the messy workbook becomes: sheet row → (outcome, number).
MESSY_EXPECTED_PREVIEW = {
    5: ("create", "HL-001"),
    6: ("create", "HL-002"),
    7: ("create", "HL-003"),
    8: ("create", "HL-004"),
    9: ("skip", "HL-005"),
    10: ("skip", ""),
    11: ("create", "HL-007"),  # an unknown type: imported, flagged for review
    12: ("skip", "HL-001"),
    13: ("unchanged", "HL-900"),
    14: ("update", "HL-901"),
    16: ("create", "HL-010"),
    17: ("create", "HL-011"),
}


def messy_workbook() -> bytes:
    """An export as they come: a merged title, an export note, a blank row, the header on row 4,
    extra columns, mixed date formats, an Excel serial date, a bad date, a missing number, an
    unknown type, a duplicate, orders already known, a blank row and a category merged over two
    rows."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "工单导出"
    sheet["A1"] = "滨海新区12345热线工单导出"
    sheet.merge_cells("A1:N1")
    sheet["A2"] = "导出时间：2026-03-06 09:00"
    sheet.merge_cells("A2:D2")
    for column, title in enumerate(HEADER, start=1):
        sheet.cell(row=4, column=column, value=title)
    for row_number, cells in MESSY_ROWS:
        for column, value in enumerate(cells, start=1):
            if value is not None and value != "":
                sheet.cell(row=row_number, column=column, value=value)
    # 问题分类 (column H) of rows 16 and 17 is one merged cell; 事发地址 (I) likewise.
    sheet.merge_cells("H16:H17")
    sheet.merge_cells("I16:I17")
    # A footer a human typed below the table is data too: it is not added here on purpose.
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


GBK_CSV_TEXT = (
    "工单号,受理时间,工单类型,紧急程度,工单内容,诉求人,联系电话,联系地址,无关列\r\n"
    "GB-001,2026/3/5 8:05,求助,危及生命财产安全,燃气泄漏求助,孙七,(0086)13700001111,太平镇幸福村3排5号,x\r\n"
    "GB-002,2026-03-05 09:10,建议,,建议增设公交站,,,,y\r\n"
    "\r\n"
    "GB-003,昨天,咨询,一般,日期看不懂,,,,z\r\n"
)


def gbk_csv() -> bytes:
    return GBK_CSV_TEXT.encode("gbk")

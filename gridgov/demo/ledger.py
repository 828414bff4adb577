"""The demo's historical ledger: the town's cases of the six months before its live history, as
the old platform's export (an Excel file written here), brought in through the ledger import
(``docs/ledger.md``) so the statistics page shows a longer trend.

About two hundred closed cases with the demo's categories, grids, villages and departments;
most handled within their limits, some late, a few rows doubtful the way real ledgers are (a
village instead of a grid, a category spelt another way, a missing close time), and two rows
without a number, which the import refuses.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from typing import Final

import openpyxl
from django.contrib.auth import get_user_model
from django.utils import timezone

from gridgov.areas.models import Area, AreaLevel
from gridgov.ledger import services
from gridgov.ledger.models import LedgerImport, LedgerStatus

from .cast import Cast
from .loader import check_allowed
from .scenes import pick
from .taiping import TOWN_CODE

DEFAULT_ROWS: Final = 200
LEDGER_SEED: Final = 20240601
# The live history covers the last 182 days (gridgov.demo.cases); the ledger the 182 before.
LIVE_DAYS: Final = 182
LEDGER_DAYS: Final = 182
HEADER: Final = [
    "案件编号",
    "上报时间",
    "立案时间",
    "派遣时间",
    "处置时间",
    "核查时间",
    "结案时间",
    "问题类型",
    "所属网格",
    "处置部门",
    "问题描述",
    "处置结果",
    "案件来源",
]
SOURCES: Final = ("网格员上报", "网格员上报", "网格员上报", "12345热线", "巡查发现", "群众来访")


def _moment(start: dt.datetime, rng: random.Random) -> dt.datetime:
    day = start + dt.timedelta(days=rng.randrange(LEDGER_DAYS))
    local = timezone.localtime(day)
    return local.replace(hour=rng.randint(8, 17), minute=rng.randrange(60), second=0, microsecond=0)


def _text(moment: dt.datetime | None) -> str:
    return "" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def ledger_workbook(cast: Cast, *, rows: int = DEFAULT_ROWS, now: dt.datetime | None = None) -> bytes:
    """The old platform's export of the six months before the live history."""
    rng = random.Random(LEDGER_SEED)
    now = now or timezone.now()
    start = now - dt.timedelta(days=LIVE_DAYS + LEDGER_DAYS)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["太平镇网格化管理平台 案件台账（旧平台导出）"])
    sheet.append(HEADER)
    villages = {grid.parent_id: grid.parent for grid in cast.grids if grid.parent is not None}
    lines = []
    for index in range(rows):
        category = rng.choice(cast.categories)
        grid = rng.choice(cast.grids)
        department = category.default_department or rng.choice(cast.departments)
        scene = pick(rng, category.code)
        village_name = grid.parent.name if grid.parent is not None else ""
        reported = _moment(start, rng)
        registered = reported + dt.timedelta(minutes=rng.randint(10, 120))
        dispatched = registered + dt.timedelta(minutes=rng.randint(10, 240))
        late = rng.random() < 0.12
        handled = dispatched + dt.timedelta(hours=rng.randint(100, 400) if late else rng.randint(2, 40))
        verified = handled + dt.timedelta(hours=rng.randint(1, 20))
        closed: dt.datetime | None = verified
        place = grid.name
        category_name = category.name
        doubt = rng.random()
        if doubt < 0.05 and grid.parent_id in villages:
            place = villages[grid.parent_id].name  # only the village
        elif doubt < 0.08:
            category_name = f"{category.name}问题"  # spelt another way: matched approximately
        elif doubt < 0.10:
            closed = None  # no close time: the last time is taken
        number = f"TP{timezone.localtime(reported):%Y%m}{index + 1:04d}"
        if index in (57, 141):
            number = ""  # refused: no number
        lines.append(
            (
                reported,
                [
                    number,
                    _text(reported),
                    _text(registered),
                    _text(dispatched),
                    _text(handled),
                    _text(verified),
                    _text(closed),
                    category_name,
                    place,
                    department.name,
                    scene.description_at(village_name),
                    scene.result,
                    rng.choice(SOURCES),
                ],
            )
        )
    for _reported, line in sorted(lines, key=lambda item: item[0]):
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def load_demo_ledger(*, rows: int = DEFAULT_ROWS, allow_production_db: bool = False) -> int:
    """Import the demo town's historical ledger (once: nothing when any ledger import exists);
    returns how many cases it brought in."""
    check_allowed(allow_production_db=allow_production_db)
    town = Area.objects.current().filter(level=AreaLevel.TOWN, code=TOWN_CODE).first()
    center = get_user_model().objects.filter(username="center01").first()
    if town is None or center is None or LedgerImport.objects.exists():
        return 0
    content = ledger_workbook(Cast.load(TOWN_CODE), rows=rows)
    job = services.ledger_upload(actor=center, town=town, name="太平镇历史案件台账.xlsx", content=content)
    # The steps run here, not in the worker (a task queued meanwhile finds them done).
    job = services.ledger_read(job_id=job.pk)
    if job.status != LedgerStatus.UPLOADED:
        return 0
    services.ledger_map(actor=center, job_id=job.pk, mapping=job.mapping)
    services.ledger_start(actor=center, job_id=job.pk)
    job = services.ledger_run(job_id=job.pk, actor=center)
    return job.created_count + job.updated_count

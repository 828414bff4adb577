"""The demo's monthly bulletins: the town's last three whole months, as the monthly schedule
would have generated them on each first working day (frozen figures and the three documents),
so the bulletin pages open on something and the PDF can be looked at."""

from __future__ import annotations

import datetime as dt
from typing import Final

from django.contrib.auth import get_user_model
from django.utils import timezone

from gridgov.areas.models import Area, AreaLevel
from gridgov.bulletins.models import Bulletin
from gridgov.bulletins.platform import check_enter, check_explain, our_figures
from gridgov.bulletins.services import bulletin_generate_now, month_start

from .loader import check_allowed

MONTHS: Final = 3


def load_demo_bulletins(*, months: int = MONTHS, allow_production_db: bool = False) -> int:
    """Generate the town's bulletins of the last ``months`` whole months (in this process, not
    the worker); returns how many (0 when any bulletin exists already)."""
    check_allowed(allow_production_db=allow_production_db)
    if Bulletin.objects.exists():
        return 0
    made = 0
    month = month_start(timezone.localdate())
    for town in Area.objects.current().filter(level=AreaLevel.TOWN):
        for _number in range(months):
            month = month_start(month - dt.timedelta(days=1))
            bulletin_generate_now(town, month)
            made += 1
        month = month_start(timezone.localdate())
    _demo_check()
    return made


def _demo_check() -> None:
    """Last month checked against the city platform: it counted two more reports (duplicates
    the center merged) and one closure fewer (closed on the month's last evening), one of the
    two explained."""
    center = get_user_model().objects.filter(username="center01").first()
    town = Area.objects.current().filter(level=AreaLevel.TOWN).first()
    if center is None or town is None:
        return
    month = month_start(month_start(timezone.localdate()) - dt.timedelta(days=1))
    ours = our_figures(town.code, month)
    figures = {**ours, "reported": ours["reported"] + 2, "closed": max(0, ours["closed"] - 1)}
    check = check_enter(actor=center, town_code=town.code, month=month, platform="", figures=figures)
    check_explain(actor=center, pk=check.pk, code="reported", reason="平台将中心合并的 2 件重复上报分别计数")

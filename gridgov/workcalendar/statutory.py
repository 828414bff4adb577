"""The statutory public holidays of any year, computed from the rules.

The State Council's 《全国年节及纪念日放假办法》 (revised in 2024, in force since 2025-01-01) gives
every citizen 13 days off:

- 元旦 (New Year's Day): January 1;
- 春节 (Spring Festival): 4 days, lunar New Year's Eve (除夕, the last day of the 12th lunar
  month, the 29th in the years that month is short) to the 3rd day of the 1st month (初三);
- 清明节 (Qingming): the day of the Qingming solar term (April 4 or 5);
- 劳动节 (Labour Day): May 1 and 2;
- 端午节 (Dragon Boat Festival): the 5th day of the 5th lunar month;
- 中秋节 (Mid-Autumn Festival): the 15th day of the 8th lunar month;
- 国庆节 (National Day): October 1 to 3.

Lunar dates and the solar term come from ``lunar-python`` (6tail), never from a hand-written
conversion. What the rules cannot give are the yearly notice's swaps (调休) and make-up days
(补休): only the loaded notice knows them (see ``docs/calendar.md``). A day on which two
holidays fall (Mid-Autumn on October 1–3, as in 2028) carries both names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from lunar_python import Lunar, Solar

NEW_YEAR = "元旦"
SPRING_FESTIVAL = "春节"
QINGMING = "清明节"
LABOUR_DAY = "劳动节"
DRAGON_BOAT = "端午节"
MID_AUTUMN = "中秋节"
NATIONAL_DAY = "国庆节"

# The solar term's name as lunar-python spells it.
_QINGMING_TERM = "清明"
_ONE_DAY = dt.timedelta(days=1)


def _date(solar: Solar) -> dt.date:
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def lunar_date(year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of ``day`` of the (non-leap) lunar ``month`` of lunar ``year``."""
    return _date(Lunar.fromYmd(year, month, day).getSolar())


def new_years_eve(year: int) -> dt.date:
    """除夕: the day before the lunar New Year that falls in ``year``."""
    return _date(Lunar.fromYmd(year, 1, 1).next(-1).getSolar())


def qingming(year: int) -> dt.date:
    """The day of the Qingming solar term in ``year``."""
    # Any day of April lies in the lunar year whose table holds that year's Qingming.
    return _date(Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()[_QINGMING_TERM])


@lru_cache(maxsize=256)
def holidays(year: int) -> Mapping[dt.date, str]:
    """Every statutory holiday of ``year`` with its name (12 or 13 dates), computed once per year."""
    eve = new_years_eve(year)
    rules: list[tuple[str, list[dt.date]]] = [
        (NEW_YEAR, [dt.date(year, 1, 1)]),
        (SPRING_FESTIVAL, [eve + i * _ONE_DAY for i in range(4)]),
        (QINGMING, [qingming(year)]),
        (LABOUR_DAY, [dt.date(year, 5, 1), dt.date(year, 5, 2)]),
        (DRAGON_BOAT, [lunar_date(year, 5, 5)]),
        (NATIONAL_DAY, [dt.date(year, 10, i) for i in (1, 2, 3)]),
        (MID_AUTUMN, [lunar_date(year, 8, 15)]),
    ]
    days: dict[dt.date, str] = {}
    for name, dates in rules:
        for d in dates:
            if d.year == year:
                days[d] = f"{days[d]}、{name}" if d in days else name
    return MappingProxyType(dict(sorted(days.items())))

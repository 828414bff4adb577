"""Fixtures of the working-calendar tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.workcalendar import calendar

NOTICE_2027 = """国务院办公厅关于2027年部分节假日安排的通知
国办发明电〔2026〕9号

各省、自治区、直辖市人民政府，国务院各部委、各直属机构：
经国务院批准，现将2027年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周五）至3日（周日）放假，共3天。
二、春节：2月5日（农历除夕）至13日（农历正月初八）放假调休，共9天。1月31日（周日）、2月20日（周六）上班。
三、清明节：4月3日（周六）至5日（周一）放假，共3天。
四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。4月25日（周日）、5月8日（周六）上班。
五、端午节：6月9日（周三）放假，共1天。
六、中秋节：9月15日（周三）放假，共1天。
七、国庆节：9月30日（周四）至10月7日（周四）放假调休，共8天。9月26日（周日）、10月9日（周六）上班。
鼓励各单位结合带薪年休假等制度落实，安排职工在除夕（2月5日）休息。

节假日期间，各地区、各部门要妥善安排好值班和安全、保卫、疾控等工作，遇有重大突发事件，要按规定及时报告并妥善处置，确保人民群众祥和平安度过节日假期。

国务院办公厅
2026年11月4日
"""
"""A fictional notice for 2027 in the State Council's format (the real one is not out yet)."""


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """An aware datetime in the project's time zone (Asia/Shanghai)."""
    return timezone.make_aware(dt.datetime(year, month, day, hour, minute), timezone.get_default_timezone())


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """Each test starts and ends with empty in-process calendar tables."""
    calendar.reset()
    yield
    calendar.reset()

"""Reading the State Council's notice and date lines."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
from django.utils import translation

from gridgov.workcalendar.schedule import parse_csv, parse_notice

from .conftest import NOTICE_2027

NOTICE_2026 = """国务院办公厅关于2026年部分节假日安排的通知
一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
二、春节：2月15日（农历腊月二十八）至23日（农历正月初七）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。
三、清明节：4月4日（周六）至6日（周一）放假，共3天。
四、劳动节：5月1日（周五）至5日（周二）放假调休，共5天。5月9日（周六）上班。
五、端午节：6月19日（周五）至21日（周日）放假，共3天。
六、中秋节：9月25日（周五）至27日（周日）放假，共3天。
七、国庆节：10月1日（周四）至7日（周三）放假调休，共7天。9月20日（周日）、10月10日（周六）上班。
"""


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def test_the_2026_notice_gives_exactly_the_packages_2026_data():
    parsed = parse_notice(NOTICE_2026, 2026)
    assert parsed.ok and not parsed.errors and not parsed.warnings
    year = chinese_calendar.get_dates(d("2026-01-01"), d("2026-12-31"))
    named_holidays = {
        x for x in year if chinese_calendar.get_holiday_detail(x)[0] and chinese_calendar.get_holiday_detail(x)[1]
    }
    assert {x for x, _n in parsed.holidays} == named_holidays
    swapped = [x for x in chinese_calendar.get_workdays(d("2026-01-01"), d("2026-12-31")) if x.weekday() >= 5]
    assert [x for x, _n in parsed.workdays] == swapped


def test_a_full_2027_notice_is_read_item_by_item():
    parsed = parse_notice(NOTICE_2027, 2027)
    assert parsed.errors == []
    holidays = dict(parsed.holidays)
    workdays = dict(parsed.workdays)
    assert len(holidays) == 3 + 9 + 3 + 5 + 1 + 1 + 8
    assert holidays[d("2027-01-01")] == "元旦"
    assert [x for x in holidays if holidays[x] == "春节"] == [d("2027-02-05") + dt.timedelta(days=i) for i in range(9)]
    assert holidays[d("2027-06-09")] == "端午节"
    assert holidays[d("2027-09-30")] == "国庆节"  # a range across months
    assert holidays[d("2027-10-07")] == "国庆节"
    assert workdays == {
        d("2027-01-31"): "春节",
        d("2027-02-20"): "春节",
        d("2027-04-25"): "劳动节",
        d("2027-05-08"): "劳动节",
        d("2027-09-26"): "国庆节",
        d("2027-10-09"): "国庆节",
    }
    # The date in "除夕（2月5日）" and the signature date are not schedule dates.
    assert all(x.weekday() >= 5 for x in workdays)


def test_the_preview_rows_show_weekday_status_and_problems():
    parsed = parse_notice("一、春节：2月5日至13日放假调休，共9天。2月8日（周一）、2月20日（周六）上班。", 2027)
    rows = {row.date: row for row in parsed.rows()}
    assert rows[d("2027-02-20")].is_workday and rows[d("2027-02-20")].problems == ()
    assert rows[d("2027-02-05")].name == "春节"
    # Feb 8 is listed both ways: an error that blocks loading.
    assert not parsed.ok
    assert any("2027-02-08" in error for error in parsed.errors)
    assert len(rows[d("2027-02-08")].problems) >= 1


def test_a_wrong_day_count_is_an_error():
    parsed = parse_notice("一、春节：2月5日至13日放假调休，共8天。", 2027)
    assert not parsed.ok
    assert "8" in parsed.errors[0] and "9" in parsed.errors[0]


def test_a_notice_for_another_year_is_refused():
    parsed = parse_notice("国务院办公厅关于2026年部分节假日安排的通知\n一、元旦：1月1日放假，共1天。", 2027)
    assert not parsed.ok


def test_explicit_years_and_ranges_across_the_new_year():
    parsed = parse_notice("一、元旦：2026年12月31日至2027年1月2日放假调休，共3天。", 2027)
    assert [x for x, _n in parsed.holidays] == [d("2026-12-31"), d("2027-01-01"), d("2027-01-02")]
    assert any("2026-12-31" in error for error in parsed.errors)


def test_a_single_day_holiday_with_the_weekend_wording():
    parsed = parse_notice("一、元旦：1月1日放假，与周末连休。\n二、清明节：4月5日（星期一）放假1天。", 2027)
    assert parsed.ok
    assert parsed.holidays == [(d("2027-01-01"), "元旦"), (d("2027-04-05"), "清明节")]


def test_text_without_items_is_an_error():
    assert not parse_notice("春节放假", 2027).ok
    assert not parse_notice("", 2027).ok


def test_date_lines_with_comments_header_and_chinese_words():
    text = (
        "date,kind,name\n# 2027\n2027-02-05,holiday,春节\n2027/02/06,休,春节\n"
        "2027-01-31,workday,春节\n2027年2月20日,班\n\n"
    )
    parsed = parse_csv(text, 2027)
    assert parsed.ok
    assert parsed.holidays == [(d("2027-02-05"), "春节"), (d("2027-02-06"), "春节")]
    assert parsed.workdays == [(d("2027-01-31"), "春节"), (d("2027-02-20"), "")]


def test_bad_date_lines_are_reported_by_line_number():
    text = "2027-02-30,holiday,x\nhello\n2027-03-01,maybe,x\n2028-01-01,holiday,x"
    with translation.override("en"):
        parsed = parse_csv(text, 2027)
    assert not parsed.ok
    assert len(parsed.errors) == 4
    assert "Line 2" in " ".join(parsed.errors) and "Line 3" in " ".join(parsed.errors)
    with translation.override("zh-hans"):
        assert "第 2 行" in " ".join(str(error) for error in parse_csv(text, 2027).errors)


def test_a_swapped_workday_on_a_weekday_is_only_a_warning():
    parsed = parse_csv("2027-03-01,workday,x", 2027)
    assert parsed.ok
    assert parsed.warnings

"""Showing that a deadline is provisional: the template filters and the API schema helper."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import translation
from ninja import Schema

from gridgov.workcalendar.schemas import PROVISIONAL_DESCRIPTION, provisional_field, provisional_resolver
from gridgov.workcalendar.services import official_year_load

from .conftest import at

pytestmark = pytest.mark.django_db


def render(text: str, **context) -> str:
    return Template("{% load workcalendar %}" + text).render(Context(context))


def test_a_deadline_in_a_provisional_year_gets_a_mark_with_a_chinese_tooltip():
    with translation.override("zh-hans"):
        html = render("{{ deadline|provisional_mark }}", deadline=at(2027, 2, 9, 16))
    assert 'data-testid="provisional-mark"' in html
    assert ">暂定</span>" in html
    assert 'title="该期限所在年份的国务院放假安排尚未发布或尚未导入，暂按法定节假日推算，导入后将重新计算。"' in html


def test_a_deadline_in_a_known_year_or_no_deadline_gets_no_mark():
    assert render("{{ deadline|provisional_mark }}", deadline=at(2026, 12, 31, 17)) == ""
    assert render("{{ deadline|provisional_mark }}", deadline=None) == ""
    assert render("{% if deadline|is_provisional %}yes{% endif %}", deadline=at(2026, 12, 31, 17)) == ""
    assert render("{% if deadline|is_provisional %}yes{% endif %}", deadline=at(2027, 1, 4, 9)) == "yes"


def test_the_mark_goes_once_the_year_is_loaded():
    official_year_load(actor=None, year=2027, holidays=[(dt.date(2027, 2, 8), "春节")], workdays=[])
    assert render("{{ deadline|provisional_mark }}", deadline=at(2027, 2, 9, 16)) == ""


class DeadlineOut(Schema):
    deadline: dt.datetime | None
    deadline_provisional: bool = provisional_field()
    resolve_deadline_provisional = provisional_resolver("deadline")


def test_the_schema_helper_answers_the_flag_beside_the_deadline():
    class Row:
        def __init__(self, deadline):
            self.deadline = deadline

    assert DeadlineOut.from_orm(Row(at(2027, 2, 9, 16))).deadline_provisional is True
    assert DeadlineOut.from_orm(Row(at(2026, 12, 31, 17))).deadline_provisional is False
    assert DeadlineOut.from_orm(Row(None)).deadline_provisional is False
    assert DeadlineOut.model_validate({"deadline": at(2027, 2, 9, 16)}).deadline_provisional is True
    schema = DeadlineOut.model_json_schema()
    assert schema["properties"]["deadline_provisional"]["description"] == PROVISIONAL_DESCRIPTION

"""The API schema pieces every app shares (``gridgov.core.schemas``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace

from ninja import Field, Schema

from gridgov.core.schemas import CodeName, code_name, code_names, filters_from_query, split_values


@dataclass
class Filters:
    status: list[str] = field(default_factory=list)
    grid: str = ""
    date_from: dt.date | None = None
    text: str = ""


class Query(Schema):
    status: list[str] = Field(default_factory=list)
    grid: str = ""
    date_from: dt.date | None = None
    q: str = ""
    cursor: str = ""


def test_filters_take_the_query_fields_of_the_same_names_stripped_and_q_as_text():
    query = Query(status=["reported"], grid=" G01 ", date_from=dt.date(2026, 10, 1), q="  pothole ", cursor="x")

    assert filters_from_query(query, Filters) == Filters(
        status=["reported"], grid="G01", date_from=dt.date(2026, 10, 1), text="pothole"
    )


def test_a_repeated_or_comma_separated_parameter_gives_its_values():
    assert split_values("a, b,,c") == ["a", "b", "c"]
    assert split_values(["a,b", " c "]) == ["a", "b", "c"]
    assert split_values(None) == []


def test_code_name_of_nothing_is_nothing_and_several_come_in_code_order():
    second, first = SimpleNamespace(code="B", name="乙"), SimpleNamespace(code="A", name="甲")

    assert code_name(None) is None
    assert code_name(first) == CodeName(code="A", name="甲")
    assert code_names([second, first]) == [CodeName(code="A", name="甲"), CodeName(code="B", name="乙")]

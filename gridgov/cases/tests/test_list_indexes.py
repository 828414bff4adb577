"""The workbench's filters on both databases: the text filter's rule (any case, any of the
three columns, wildcards as plain characters), and the village filter, which PostgreSQL asks
by the village's id in the path (the index of villages and report dates, migration 0018)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridgov.areas.models import Area
from gridgov.cases import selectors, services
from gridgov.cases.models import Case
from gridgov.cases.selectors import CaseFilters
from gridgov.categories.models import Category
from gridgov.testing.fixtures import named_people

from .loop_helpers import UNVERIFIED, VERIFIED, grid_point

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(taiping: None) -> dict[str, Case]:
    people = named_people()
    lat, lng = grid_point(people["grid01"])

    def new(description: str, address: str = "") -> Case:
        case, _created = services.case_create(
            actor=people["grid01"], category=VERIFIED, description=description, address=address, lat=lat, lng=lng
        )
        return case

    return {
        "lamp": new("东街路灯不亮，晚上很黑", address="幸福里3号楼"),
        "latin": new("Street LAMP broken near the bus stop"),
        "rubbish": new("垃圾桶满了没人清运"),
    }


def found(text: str) -> set[str]:
    center = named_people()["center01"]
    query = selectors.apply_filters(center, selectors.cases_visible(center), CaseFilters(text=text))
    return set(query.values_list("description", flat=True))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("路灯", {"lamp"}),
        ("路", {"lamp"}),
        ("幸福里", {"lamp"}),  # in the address
        ("lamp", {"latin"}),  # any case
        ("LAMP BROKEN", {"latin"}),
        ("灯不亮，晚", {"lamp"}),  # punctuation inside
        ("路灯不", {"lamp"}),
        ("灯路", set()),  # the same characters in another order
        ("不亮\n幸福", set()),  # across two columns is no match
        ("50%", set()),  # LIKE's wildcards are plain characters
        ("没人 清运", set()),  # a space is a character too
    ],
)
def test_the_filter_finds_what_icontains_finds(cases: dict[str, Case], text: str, expected: set[str]) -> None:
    assert found(text) == {cases[name].description for name in expected}


def plan(query: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = query.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_village_filter_finds_the_villages_cases(cases: dict[str, Case]) -> None:
    people = named_people()
    center = people["center01"]
    elsewhere = services.case_create(
        actor=people["grid02"],
        category=VERIFIED,
        description="另一个村的事件",
        lat=grid_point(people["grid02"])[0],
        lng=grid_point(people["grid02"])[1],
    )[0]
    grid_id = cases["lamp"].grid_id
    assert grid_id is not None
    village = Area.objects.get(pk=grid_id).parent
    assert village is not None and elsewhere.area_path.split("/")[3] != str(village.pk)
    query = selectors.apply_filters(center, selectors.cases_visible(center), CaseFilters(grid=village.code))
    assert set(query.values_list("pk", flat=True)) == {case.pk for case in cases.values()}
    ordered = selectors.page(query).items
    assert [case.pk for case in ordered] == sorted((case.pk for case in cases.values()), reverse=True)
    if connection.vendor == "postgresql":
        assert "case_village_reported" in plan(query.order_by("-reported_at", "-id")[:51])


def test_a_case_number_is_found(cases: dict[str, Case]) -> None:
    number = cases["rubbish"].number
    assert found(number) == {cases["rubbish"].description}
    assert found(number[-4:]) >= {cases["rubbish"].description}


def test_a_category_the_form_refuses_still_narrows_the_list(cases: dict[str, Case], client: Any) -> None:
    """A link with a retired category lists none of the other categories' cases."""
    Category.objects.filter(code=UNVERIFIED).update(is_active=False)
    client.force_login(named_people()["center01"])
    page = client.get("/cases/", {"category": UNVERIFIED}).content.decode()
    assert cases["lamp"].number not in page
    assert cases["lamp"].number in client.get("/cases/", {"category": VERIFIED}).content.decode()


# --- the index of characters and pairs (PostgreSQL, gridgov/core/textsearch.py) -------------

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the side tables are PostgreSQL's")

# Chinese, ASCII in both cases, digits, full-width forms, punctuation, spaces and a character
# outside the basic plane: what a description or an address holds.
_ALPHABET = "路灯不亮垃圾清运幸福里号楼aAbBzZ0129５Ｌ，。、-_%·  \u00df\u0130\u03a3\U00020000"


@postgresql_only
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=_ALPHABET, min_size=0, max_size=30), st.data())
def test_a_text_that_contains_a_word_has_every_gram_of_the_word(db: None, text: str, data: Any) -> None:
    start = data.draw(st.integers(0, len(text)))
    length = data.draw(st.integers(1, 6))
    word = data.draw(st.one_of(st.just(text[start : start + length]), st.text(_ALPHABET, max_size=4)))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT upper(%s) LIKE '%%' || upper(%s) || '%%', gridgov_grams(%s) @> gridgov_grams(%s)",
            [text, word.replace("%", "").replace("_", ""), text, word.replace("%", "").replace("_", "")],
        )
        contains, has_grams = cursor.fetchone()
    assert has_grams or not contains, (text, word)


def side_grams(case: Case) -> list[int] | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT grams FROM cases_case_text WHERE id = %s", [case.pk])
        row = cursor.fetchone()
    return row[0] if row else None


def grams(text: str) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT gridgov_grams(%s)", [text])
        return cursor.fetchone()[0]


@postgresql_only
def test_the_side_table_follows_every_write_of_a_case(cases: dict[str, Case]) -> None:
    lamp = cases["lamp"]
    assert side_grams(lamp) == grams(f"{lamp.number} {lamp.description} {lamp.address}")
    Case.objects.filter(pk=lamp.pk).update(description="井盖缺失")  # a write that skips save()
    lamp.refresh_from_db()
    assert side_grams(lamp) == grams(f"{lamp.number} 井盖缺失 {lamp.address}")
    assert found("井盖") == {"井盖缺失"} and found("路灯") == set()
    Case.objects.filter(pk=lamp.pk).update(urgency=lamp.urgency)  # no text changed: the row stays
    assert side_grams(lamp) == grams(f"{lamp.number} 井盖缺失 {lamp.address}")
    Case.objects.filter(pk=lamp.pk).delete()
    assert side_grams(lamp) is None


@postgresql_only
def test_the_filter_asks_the_side_table_and_finds_the_same_cases_without_it(
    cases: dict[str, Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridgov.core import textsearch

    assert textsearch.candidates("default", "cases_case", "路灯") == [cases["lamp"].pk]
    assert textsearch.candidates("default", "cases_case", "地震") == []
    assert textsearch.candidates("default", "cases_case", "，") is None  # no gram: any case may have it
    words = ["路灯", "路", "幸福里", "lamp", "LAMP BROKEN", "灯不亮，晚", "灯路", "50%", "没人 清运", "地震"]
    with_index = {word: found(word) for word in words}
    monkeypatch.setattr(textsearch, "FEW", 0)  # the keys as one array
    assert {word: found(word) for word in words} == with_index
    monkeypatch.setattr(textsearch, "CAP", 0)
    assert textsearch.candidates("default", "cases_case", "路灯") is None  # more than the cap
    assert {word: found(word) for word in words} == with_index


def test_a_word_is_asked_of_the_side_table_unless_it_has_no_gram_or_is_frequent() -> None:
    from gridgov.core.textsearch import Stats, worth_asking

    stats = Stats(rows=1_000_000, common={1: 0.5, 2: 0.02, 3: 0.001}, read_at=0)
    assert not worth_asking([], stats, 2000)  # no gram: every row would do
    assert not worth_asking([1, 2], stats, 2000)  # the least common is in 20,000 rows
    assert worth_asking([1, 3], stats, 2000)  # in 1,000 rows
    assert worth_asking([1, 4], stats, 2000)  # 4 is not among the most common: maybe rare
    assert worth_asking([1], Stats(rows=None, common={}, read_at=0), 2000)  # never analysed


@postgresql_only
def test_a_frequent_word_skips_the_side_table_after_analyse(
    cases: dict[str, Case], monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.test.utils import CaptureQueriesContext

    from gridgov.core import textsearch

    lamp = cases["lamp"]
    for _ in range(9):
        services.case_create(
            actor=named_people()["grid01"], category=VERIFIED, description="路灯又坏了", lat=lamp.lat, lng=lamp.lng
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_case_text")
    monkeypatch.setattr(textsearch, "_STATS", {})
    monkeypatch.setattr(textsearch, "CAP", 1)
    stats = textsearch._stats(connection, "cases_case_text")
    assert stats is not None and stats.rows == 12 and len(stats.common) > 3
    with CaptureQueriesContext(connection) as asked:
        assert len(found("路灯")) == 2  # the two descriptions, ten cases
    assert not any("cases_case_text WHERE" in query["sql"] for query in asked.captured_queries)
    with CaptureQueriesContext(connection) as asked:
        assert found("垃圾") == {"垃圾桶满了没人清运"}  # one case: asked
    assert any("cases_case_text WHERE" in query["sql"] for query in asked.captured_queries)


@postgresql_only
def test_the_side_tables_keep_ten_thousand_most_common_grams() -> None:
    """The frequent-word rule needs the statistics of the grams' whole long tail: the side
    tables' statistics target is set where they are made, not left to the server's default."""
    from gridgov.core import textsearch

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attrelid::regclass::text, attstattarget FROM pg_attribute "
            "WHERE attrelid IN (to_regclass('cases_case_text'), to_regclass('hotline_hotlineorder_text')) "
            "AND attname = 'grams' ORDER BY 1"
        )
        targets = cursor.fetchall()
    assert targets == [("cases_case_text", textsearch.STATISTICS), ("hotline_hotlineorder_text", textsearch.STATISTICS)]


@postgresql_only
def test_the_category_index_migration_replaces_an_invalid_leftover() -> None:
    """An interrupted ``CREATE INDEX CONCURRENTLY`` leaves an invalid index of the name: running
    migration 0026 again builds it anew instead of keeping it (and dropping the key's index)."""
    import importlib

    migration = importlib.import_module("gridgov.cases.migrations.0026_case_category_reported")

    def valid() -> bool | None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", [migration.NAME])
            row = cursor.fetchone()
        return row[0] if row else None

    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cursor.fetchone()[0]:
            pytest.skip("marking an index invalid needs a superuser")
        cursor.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = to_regclass(%s)", [migration.NAME])
    assert valid() is False
    from django.apps import apps

    build = migration.Migration.operations[0].database_operations[0].code  # the migration's own step
    with connection.schema_editor() as editor:
        build(apps, editor)
    assert valid() is True


def test_the_check_finds_and_repairs_a_side_table_that_drifted(cases: dict[str, Case]) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    if connection.vendor != "postgresql":
        call_command("textsearch_check", stdout=out)
        assert "no side tables" in out.getvalue()
        return
    call_command("textsearch_check", stdout=out)
    assert "cases_case: 0 missing, 0 orphaned, 0 stale, ok" in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cases_case_text WHERE id = %s", [cases["lamp"].pk])
        cursor.execute("UPDATE cases_case_text SET grams = '{1}' WHERE id = %s", [cases["latin"].pk])
        cursor.execute("INSERT INTO cases_case_text (id, grams) VALUES (%s, '{2}')", [10**12])
    assert found("路灯") == set()  # a case without its side row is not found: what the check is for
    with pytest.raises(CommandError):
        call_command("textsearch_check", stdout=(out := StringIO()))
    assert "cases_case: 1 missing, 1 orphaned, 1 stale, differ" in out.getvalue()
    call_command("textsearch_check", "--repair", stdout=(out := StringIO()))
    assert "cases_case: 1 missing, 1 orphaned, 1 stale, repaired" in out.getvalue()
    call_command("textsearch_check", stdout=StringIO())
    assert found("路灯") == {cases["lamp"].description}

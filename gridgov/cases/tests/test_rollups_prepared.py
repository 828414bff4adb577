"""A report's rollup statements are written before its transaction (``rollups.prepare``): the
rows come out as a recount gives them, and a case changed after the statements were written is
counted as it is inserted, not as it was prepared."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest

from gridgov.cases import rollups
from gridgov.cases.models import Case
from gridgov.categories.models import Category

from .loop_helpers import report

pytestmark = pytest.mark.django_db


def test_reports_keep_the_rows_a_recount_gives(people: dict[str, Any]) -> None:
    with mock.patch.object(rollups.Upsert, "run", autospec=True, side_effect=rollups.Upsert.run) as run:
        for by in ("grid01", "grid02", "grid01"):
            report(people, by=by)
    assert run.call_count == 6  # two tables a report, the prepared statements
    assert not rollups.check().differences


def test_a_case_changed_after_it_was_prepared_is_counted_as_inserted(people: dict[str, Any]) -> None:
    first = report(people)
    other = Category.objects.filter(parent__isnull=False, is_active=True).exclude(pk=first.category_id)[0]
    case = Case.objects.get(pk=first.pk)
    case.pk = None
    case._state.adding = True
    case.number = "2099-000-000009"
    rollups.prepare(case)
    case.category = other  # after the statements were written
    case.save(force_insert=True)
    assert not rollups.check().differences

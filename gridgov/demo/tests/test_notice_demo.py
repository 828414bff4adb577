"""The demo's staff public notice: numbers an official would take for real office lines."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

import pytest

from gridgov.demo.notice import load_demo_notice, work_phones
from gridgov.notice.models import Publication

pytestmark = pytest.mark.django_db


def test_work_phones_are_different_tianjin_office_numbers_not_placeholders() -> None:
    phones = work_phones(200)
    assert len(set(phones)) == 200 and phones == work_phones(200)
    for phone in phones:
        assert re.fullmatch(r"022-6\d{7}", phone), phone
        tail = phone[-4:]
        assert len(set(tail)) >= 3 and not tail.startswith("0"), phone
    # Not numbered in order: neighbours differ by more than one.
    assert sum(abs(int(a[-4:]) - int(b[-4:])) <= 1 for a, b in pairwise(phones)) < 5


def test_the_published_staff_have_varied_work_phones(people: dict[str, Any]) -> None:
    assert load_demo_notice(allow_production_db=True, reports=False) > 0
    phones = list(Publication.objects.filter(published=True).values_list("work_phone", flat=True))
    assert len(phones) > 50 and len(set(phones)) == len(phones)
    assert not {"022-63320000", "022-63329999"} & set(phones)
    assert all(len(set(phone[-4:])) >= 3 for phone in phones)

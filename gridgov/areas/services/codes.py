"""Area codes: statistics division codes checked against the level and the parent's code."""

from __future__ import annotations

import re
from typing import Any, Final

from ..models import AreaLevel

CODE_LENGTH: Final = {
    AreaLevel.DISTRICT: 12,
    AreaLevel.TOWN: 12,
    AreaLevel.VILLAGE: 12,
    AreaLevel.GRID: 14,
}
_DIGITS = re.compile(r"[0-9]+")


def code_problems(code: Any, level: str, parent_code: str | None) -> list[str]:
    """What is wrong with ``code`` for an area of ``level`` under ``parent_code``.

    Codes are statistics division codes (DOMAIN.md §3): county 6 + township 3 + village 3
    digits, and a grid adds 2 digits to its village's code. A district ends in ``000000``; a
    town shares its district's first 6 digits and ends in ``000``; a village shares its
    town's first 9 digits.
    """
    if not isinstance(code, str) or not _DIGITS.fullmatch(code):
        return ["code must be digits only"]
    if level not in CODE_LENGTH:
        return [f"unknown level {level!r}"]
    length = CODE_LENGTH[AreaLevel(level)]
    if len(code) != length:
        return [f"a {level} code has {length} digits"]
    problems: list[str] = []
    if level == AreaLevel.DISTRICT:
        if code[6:] != "000000":
            problems.append("a district code ends in 000000")
        if parent_code:
            problems.append("a district has no parent")
        return problems
    if not parent_code:
        return [f"a {level} needs a parent code"]
    if level == AreaLevel.TOWN:
        if code[6:9] == "000" or code[9:] != "000":
            problems.append("a town code has a township part (digits 7-9) and ends in 000")
        if code[:6] != parent_code[:6]:
            problems.append("a town code starts with its district's first 6 digits")
    elif level == AreaLevel.VILLAGE:
        if code[9:] == "000":
            problems.append("a village code does not end in 000")
        if code[:9] != parent_code[:9]:
            problems.append("a village code starts with its town's first 9 digits")
    elif level == AreaLevel.GRID and code[:12] != parent_code:
        problems.append("a grid code is its village's code and 2 more digits")
    return problems

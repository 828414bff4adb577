"""Pinyin initials of Chinese names, for searches by initials ("wztc" finds 违章停车): the phone
app's and the desk's category choosers, the desk's place-name search.

The 3,755 level-1 characters of GB2312 (0xB0A1-0xD7F9) are ordered by pinyin, so the first
letter of one of them follows from its code: the table below holds the first character of
each initial letter, and a character's initial is that of the last boundary at or below its
code. Level-2 characters (ordered by radical) and anything outside GB2312 keep no initial;
ASCII letters and digits stand for themselves. No dictionary is needed at run time.
"""

from __future__ import annotations

from bisect import bisect_right
from functools import cache
from typing import Final

# The first level-1 character of each initial (there are no level-1 syllables in i, u, v).
_FIRSTS: Final = "啊芭擦搭蛾发噶哈击喀垃妈拿哦啪期然撒塌挖昔压匝"
_LETTERS: Final = "ABCDEFGHJKLMNOPQRSTWXYZ"
_LEVEL1_END: Final = 0xD7F9


@cache
def _bounds() -> list[int]:
    return [int.from_bytes(char.encode("gb2312"), "big") for char in _FIRSTS]


def initial(char: str) -> str:
    """The upper-case pinyin initial of one character, or "" when unknown."""
    if char.isascii():
        return char.upper() if char.isalnum() else ""
    try:
        raw = char.encode("gb2312")
    except UnicodeEncodeError:
        return ""
    code = int.from_bytes(raw, "big")
    bounds = _bounds()
    if len(raw) != 2 or code < bounds[0] or code > _LEVEL1_END:
        return ""
    return _LETTERS[bisect_right(bounds, code) - 1]


def initials(text: str) -> str:
    """The initials of a name, characters without one left out: 违章停车 -> WZTC."""
    return "".join(initial(char) for char in text)

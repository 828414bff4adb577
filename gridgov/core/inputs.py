"""What text a request may carry, checked once for every page and endpoint.

Refused wherever they come in (the query string, form fields, a JSON body's keys and strings,
whatever type the body declares, and JSON held in a form field such as the API's multipart
``payload``):

- control characters (C0 and C1) other than tab, line feed and carriage return (``\\u0000`` in an address
  made every export of a town fail, and PostgreSQL refuses NUL in text), and the bidirectional
  overrides, embeddings and isolates (a text shown in another order than it is stored);
- lone surrogates (``"\\ud800"`` in JSON decodes to a string no database or file can store);
- JSON nested deeper than :data:`MAX_JSON_DEPTH` (100,000 levels made the parser recurse until it
  failed with a 500).

:func:`first_problem` names the first offending field; the middleware
(:class:`gridgov.core.middleware.InputGuardMiddleware`) answers before any view runs: 422 with
the field for text, 400 for a body that is not readable JSON or too deep.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

# C0 controls but tab, LF, CR; DEL and the C1 controls; the bidirectional embeddings, overrides and isolates (they
# make a text display in another order than it is stored: a number or a name that reads as
# another one in a list or a spreadsheet); the surrogate range (only ever lone in a Python str).
BAD_TEXT: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# Characters that show nothing and are not whitespace to ``str.strip``: zero-width space,
# non-joiner, joiner, the left-to-right and right-to-left marks, the Arabic letter mark, word
# joiner, byte-order mark, soft hyphen, the Mongolian vowel separator and the Hangul fillers.
# Trimmed from the ends of a text like spaces (a description of only these was taken as written).
INVISIBLE: Final = "\u200b\u200c\u200d\u200e\u200f\u061c\u2060\ufeff\u00ad\u180e\u115f\u1160\u3164\uffa0"
MAX_JSON_DEPTH: Final = 64


@dataclass(frozen=True)
class Problem:
    """Where the input is refused: the field (dotted path, ``__all__`` for the whole body) and
    whether the body itself is unreadable (400) rather than a value (422)."""

    field: str
    unreadable: bool = False


def stripped(value: str) -> str:
    """``value`` without whitespace or invisible characters (:data:`INVISIBLE`) at its ends."""
    while True:
        trimmed = value.strip().strip(INVISIBLE)
        if trimmed == value:
            return value
        value = trimmed


def bad_text(value: str) -> bool:
    return BAD_TEXT.search(value) is not None


def _walk(value: Any, path: str, depth: int) -> Problem | None:
    if depth > MAX_JSON_DEPTH:
        return Problem(path or "__all__", unreadable=True)
    if isinstance(value, str):
        return Problem(path or "__all__") if bad_text(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if bad_text(str(key)):
                return Problem(where)
            found = _walk(item, where, depth + 1)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _walk(item, f"{path}.{index}" if path else str(index), depth + 1)
            if found is not None:
                return found
    return None


def json_problem(body: bytes, *, declared: bool = True) -> Problem | None:
    """The first problem of a JSON body (None for an empty or clean one). A body not
    ``declared`` JSON (``text/plain``, no type: the API parses it as JSON all the same) is
    checked when it reads as JSON, and left to the endpoint when it does not."""
    if not body.strip():
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Problem("__all__", unreadable=True) if declared else None
    if not declared and not text.lstrip().startswith(("{", "[")):
        return None
    if _too_deep(text):
        return Problem("__all__", unreadable=True)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None  # not JSON: the endpoint answers its own 400
    return _walk(data, "", 0)


def _too_deep(text: str) -> bool:
    """Brackets nested deeper than the limit, counted outside strings (cheap, no recursion)."""
    depth = 0
    in_string = False
    escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False


def pairs_problem(pairs: Iterable[tuple[str, list[str]]]) -> Problem | None:
    """The first problem of query or form fields (``QueryDict.lists()``); a field holding JSON
    (the API's multipart ``payload``) is checked as JSON too, since its escapes (``\\u202e``)
    only become characters when it is parsed."""
    for key, values in pairs:
        if bad_text(key) or any(bad_text(value) for value in values):
            return Problem(key if not bad_text(key) else "__all__")
        for value in values:
            if value.lstrip().startswith(("{", "[")):
                found = json_problem(value.encode("utf-8"), declared=False)
                if found is not None:
                    return Problem(f"{key}.{found.field}" if found.field != "__all__" else key, found.unreadable)
    return None

"""A column holding an area's path (``/1/2/3/``) whose prefix filter SQLite can answer from an
index.

Django writes ``path__startswith=p`` as ``LIKE 'p%' ESCAPE '\\'``. SQLite's ``LIKE`` ignores
case, so SQLite can only turn it into a range of an index whose column ignores case too; on the
project's columns (binary, as Django makes them) it checks the pattern row by row, after
reading every row the rest of the index allows. ``GLOB`` is case-sensitive, as ``startswith``
means, and SQLite reads a fixed ``GLOB`` prefix as a range of a binary index. PostgreSQL keeps
``LIKE``: an index with a pattern operator class serves it there (``cases/0031``).

Only a village's prefix or a narrower one becomes a ``GLOB`` (``GLOB_MIN_DEPTH``). SQLite has
no statistics here (the application never runs ``ANALYZE`` on it), so it takes any usable
range of the path over the period's: for a town's or a district's prefix that would read all
the area's months instead of the period's (a town's month on the grid rows 3.5 → 88 ms, a
district's 1.5 s), where checking ``LIKE`` on the period's rows costs little.

The field stores and migrates as a ``CharField`` (``deconstruct``): only the lookup differs.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.lookups import StartsWith

GLOB_SPECIAL = str.maketrans({"*": "[*]", "?": "[?]", "[": "[[]"})
# Paths are /district/town/village/grid/: three parts or more are a village's or a grid's.
GLOB_MIN_DEPTH = 3


def parts(path: str) -> list[str]:
    """The ids a path names, from the top (``/1/2/``: ``["1", "2"]``)."""
    return [part for part in path.split("/") if part]


def depth(path: str) -> int:
    """How many areas a path names (``/1/2/``: 2)."""
    return len(parts(path))


def glob_prefix(prefix: str) -> str:
    """A ``GLOB`` pattern matching the strings that start with ``prefix``, and only them."""
    return prefix.translate(GLOB_SPECIAL) + "*"


class PathStartsWith(StartsWith):
    """``startswith`` as a ``GLOB`` prefix on SQLite when the prefix is a value at least a
    village deep; else as Django writes it."""

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        if not self.rhs_is_direct_value() or not isinstance(self.rhs, str) or depth(self.rhs) < GLOB_MIN_DEPTH:
            return self.as_sql(compiler, connection)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs_sql} GLOB %s", [*lhs_params, glob_prefix(self.rhs)]


class PathField(models.CharField):  # type: ignore[type-arg]  # generic only in the stubs
    """An area path; ``startswith`` through :class:`PathStartsWith`."""

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs


PathField.register_lookup(PathStartsWith)

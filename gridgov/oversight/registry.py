"""The registry of the discipline office's console rules.

A :class:`Rule` is one figure of the console: a code, a label and a definition in the reader's
language (with the town's thresholds filled in), the thresholds it reads (:class:`Param`), and
**one queryset** (``rows``) that both the count and the list read, so that a figure is always
the length of the list it opens. Its columns say how a row is shown and exported.

Apps register rules with :func:`register` when they are ready: this app's own rules are in
:mod:`gridgov.oversight.rules`; apps of higher layers (the assessment's appeals) add theirs from
their ``apps.py``, the leaders' tasks theirs once merged. Nothing else changes: the console,
the lists, the exports, the settings page and the API read :func:`rules`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.areas.models import Area


@dataclass(frozen=True)
class Param:
    """A threshold a town may set; ``label`` names it on the settings page."""

    code: str
    label: Promise | str
    default: int
    minimum: int = 1
    maximum: int = 10000


def local_time(value: dt.datetime | None) -> dt.datetime | None:
    """A moment as a column shows it: in the installation's time zone (the list and the
    spreadsheet format it)."""
    return timezone.localtime(value) if value is not None else None


@dataclass(frozen=True)
class Column:
    """One column of a rule's list and export: its heading and the value of a row."""

    label: Promise | str
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class Context:
    """What a rule is computed for: the viewer (the rows are inside their scope), the town, the
    town's thresholds and the moment."""

    viewer: User | AnonymousUser
    town: Area
    values: Mapping[str, int]
    now: dt.datetime

    def value(self, code: str) -> int:
        return int(self.values[code])

    @property
    def since(self) -> dt.datetime:
        """The start of the window the period rules look at (the last ``period_days`` days)."""
        return self.now - dt.timedelta(days=self.value(PERIOD.code))


# The window of the rules about what happened lately (returns, reworks, reveals…).
PERIOD: Final = Param("period_days", _("Days the console looks back"), 30, 1, 366)
# The default time a supervision notice gives for the answer.
ANSWER_DAYS: Final = Param("answer_days", _("Working days given for the answer to a supervision notice"), 3, 1, 30)
GENERAL_PARAMS: Final = (PERIOD, ANSWER_DAYS)


@dataclass(frozen=True)
class Rule:
    code: str
    label: Promise | str
    # The definition shown on the page and in the documentation; ``%(param)s`` placeholders
    # are filled with the town's values.
    definition: Promise | str
    rows: Callable[[Context], QuerySet[Any]]
    columns: tuple[Column, ...]
    params: tuple[Param, ...] = ()
    # What a row is: "case" or "order" rows may get a supervision notice from the list.
    target: str = ""
    link: Callable[[Any], str] | None = None
    # Where **Supervise** leads for rows that are not cases or orders (a leaders' task's own page,
    # whose `supervise` step is the notice); an empty string leaves the row without it.
    supervise: Callable[[Any], str] | None = None
    order: int = 100
    group: Promise | str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def describe(self, values: Mapping[str, int]) -> str:
        return str(self.definition) % {**values}

    def queryset(self, context: Context) -> QuerySet[Any]:
        return self.rows(context)


_RULES: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add a rule to the console (registering the same code again replaces it)."""
    _RULES[rule.code] = rule
    return rule


def rules() -> list[Rule]:
    return sorted(_RULES.values(), key=lambda rule: (rule.order, rule.code))


def rule(code: str) -> Rule | None:
    return _RULES.get(code)


def params() -> list[Param]:
    """Every threshold: the general ones, then each rule's, once."""
    found: dict[str, Param] = {param.code: param for param in GENERAL_PARAMS}
    for each in rules():
        for param in each.params:
            found.setdefault(param.code, param)
    return list(found.values())


def defaults() -> dict[str, int]:
    return {param.code: param.default for param in params()}

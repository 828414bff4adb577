"""Weekly analyses and monthly summaries: generation, the two workflows, who sees what, the
overdue sweep and the figures the statistics and the assessment read.

- :func:`weekly_generate` makes the drafts of a week (one per grid, once; the figures frozen),
  :func:`schedule_weekly` is the beat task that does it every Monday for the week before (and
  catches up a week it missed); :func:`weekly_act` runs an action of the table; the sweep
  :func:`sweep_overdue` tells the worker and the grid leader once when a draft is overdue.
- :func:`weekly_timeliness` is the figure "weekly analyses on time" of an area and a period
  (defined once here, shown on the list page and read by the assessment).
- :func:`summary_compose` composes a month's summary of a village or the town,
  :func:`summary_act` runs an action on it; :mod:`gridgov.analysis.documents` prints it.

The parts:

- :mod:`.common`: the roles, the limits, the deadline of a week, who sees which analysis;
- :mod:`.weekly`: the weekly workflow (:data:`WEEKLY`) and :func:`weekly_act`;
- :mod:`.generation`: the drafts of a week, the beat task and the overdue sweep;
- :mod:`.ontime`: the figure "weekly analyses on time" and what waits for whom;
- :mod:`.summaries`: monthly summaries, composed and on their workflow (:data:`SUMMARIES`).

Every public name is importable from here, as callers always did.
"""

from __future__ import annotations

from .common import (
    CENTER_ROLES,
    COMMENT_LIMIT,
    OPEN,
    READER_ROLES,
    SUMMARY_EXCERPT,
    TEXT_LIMIT,
    TOWN_ANALYSES,
    analyses_visible,
    analysis_get,
    due_of,
    due_workdays,
    may_read,
)
from .generation import current_grids, last_complete_week, schedule_weekly, sweep_overdue, weekly_generate
from .ontime import STATES, Timeliness, overdue_for, panel_counts, state_q, timeliness, to_do_for, weekly_timeliness
from .summaries import (
    SUMMARIES,
    SUMMARY_LEVELS,
    SummaryActor,
    SummaryFlow,
    compose,
    month_weeks,
    summaries_visible,
    summary_act,
    summary_areas,
    summary_compose,
    summary_get,
)
from .weekly import WEEKLY, WeeklyActor, WeeklyFlow, allowed_actions, weekly_act

__all__ = [
    "CENTER_ROLES",
    "COMMENT_LIMIT",
    "OPEN",
    "READER_ROLES",
    "STATES",
    "SUMMARIES",
    "SUMMARY_EXCERPT",
    "SUMMARY_LEVELS",
    "TEXT_LIMIT",
    "TOWN_ANALYSES",
    "WEEKLY",
    "SummaryActor",
    "SummaryFlow",
    "Timeliness",
    "WeeklyActor",
    "WeeklyFlow",
    "allowed_actions",
    "analyses_visible",
    "analysis_get",
    "compose",
    "current_grids",
    "due_of",
    "due_workdays",
    "last_complete_week",
    "may_read",
    "month_weeks",
    "overdue_for",
    "panel_counts",
    "schedule_weekly",
    "state_q",
    "summaries_visible",
    "summary_act",
    "summary_areas",
    "summary_compose",
    "summary_get",
    "sweep_overdue",
    "timeliness",
    "to_do_for",
    "weekly_act",
    "weekly_generate",
    "weekly_timeliness",
]

"""Assessment services: schemes and their versions, periods and their computation into frozen
snapshots, manual scores, bonus and penalty points, publication, appeals with their adjustment,
and rewards and penalties; with who sees what.

Every write is a service here or a step of the three workflows (:mod:`..transitions`), in a
transaction, with its audit row (``assessment.*``).

The parts:

- :mod:`.access`: who sees what (towns run and read, results, periods, schemes, appeals,
  rewards and penalties), and the period a manager locks to score it;
- :mod:`.schemes`: schemes and their versions, and a scheme as a snapshot freezes it;
- :mod:`.targets`: who a scheme assesses in a town;
- :mod:`.periods`: creating a period, its workflow (``PERIODS``: compute, publish, finalize)
  and the progress of its computation;
- :mod:`.scores`: manual scores and bonus and penalty points;
- :mod:`.snapshots`: computing a period into a snapshot (the worker), and a result's breakdown;
- :mod:`.appeals`: appeals and their workflow (``APPEALS``), with the adjustment they make;
- :mod:`.sanctions`: rewards and penalties and their workflow (``SANCTIONS``);
- :mod:`.common`: the roles and limits, numbers read from a form and attached files.

Every public name is importable from here, as callers always did.
"""

from __future__ import annotations

from .access import (
    appeal_get,
    appeals_visible,
    is_manager,
    is_reader,
    led_results_q,
    managed_towns,
    own_results_q,
    period_get,
    periods_visible,
    read_towns,
    result_get,
    results_visible,
    sanction_get,
    sanctions_visible,
    scheme_get,
    schemes_visible,
    seen_results_q,
    towns_with,
)
from .appeals import APPEALS, AppealFlow, adjust, appeal_act, appeal_submit, check_delta, may_appeal
from .common import (
    CLAIM_TTL,
    FILE_LIMIT,
    FILE_TYPES,
    MANAGER_ROLES,
    MAX_FILES,
    OPEN_APPEALS,
    PROGRESS_TTL,
    READER_ROLES,
    SEEN_BY_ASSESSED,
    TEXT_LIMIT,
    VILLAGE_ROLES,
    FlowActor,
)
from .periods import (
    EARLIEST_PERIOD,
    PERIODS,
    PeriodFlow,
    enqueue,
    inputs_changed,
    period_act,
    period_bounds,
    period_create,
    progress,
    progress_set,
)
from .sanctions import (
    EVIDENCE_ITEMS,
    SANCTIONS,
    SanctionFlow,
    evidence_of,
    sanction_act,
    sanction_add,
    sanctions_propose,
)
from .schemes import clean_items, current_schemes, scheme_frozen, scheme_save
from .scores import entry_add, entry_withdraw, manual_score_set, manual_scores_set
from .snapshots import (
    breakdown,
    freeze_inputs,
    refs_of,
    rerank,
    rescore,
    score_inputs,
    snapshot_compute,
    target_entries,
)
from .targets import KEY_KINDS, target_of, targets_of

__all__ = [
    "APPEALS",
    "CLAIM_TTL",
    "EARLIEST_PERIOD",
    "EVIDENCE_ITEMS",
    "FILE_LIMIT",
    "FILE_TYPES",
    "KEY_KINDS",
    "MANAGER_ROLES",
    "MAX_FILES",
    "OPEN_APPEALS",
    "PERIODS",
    "PROGRESS_TTL",
    "READER_ROLES",
    "SANCTIONS",
    "SEEN_BY_ASSESSED",
    "TEXT_LIMIT",
    "VILLAGE_ROLES",
    "AppealFlow",
    "FlowActor",
    "PeriodFlow",
    "SanctionFlow",
    "adjust",
    "appeal_act",
    "appeal_get",
    "appeal_submit",
    "appeals_visible",
    "breakdown",
    "check_delta",
    "clean_items",
    "current_schemes",
    "enqueue",
    "entry_add",
    "entry_withdraw",
    "evidence_of",
    "freeze_inputs",
    "inputs_changed",
    "is_manager",
    "is_reader",
    "led_results_q",
    "managed_towns",
    "manual_score_set",
    "manual_scores_set",
    "may_appeal",
    "own_results_q",
    "period_act",
    "period_bounds",
    "period_create",
    "period_get",
    "periods_visible",
    "progress",
    "progress_set",
    "read_towns",
    "refs_of",
    "rerank",
    "rescore",
    "result_get",
    "results_visible",
    "sanction_act",
    "sanction_add",
    "sanction_get",
    "sanctions_propose",
    "sanctions_visible",
    "scheme_frozen",
    "scheme_get",
    "scheme_save",
    "schemes_visible",
    "score_inputs",
    "seen_results_q",
    "snapshot_compute",
    "target_entries",
    "target_of",
    "targets_of",
    "towns_with",
]

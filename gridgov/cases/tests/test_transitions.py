"""The transition table walked row by row: every action, in every status, by every demo role.

The expectations below are written from the issue, independently of ``transitions.TABLE``;
one test checks that the table says the same, the walk checks that ``case_act`` enforces it:
invisible → CaseNotFound, visible but not the actor's move → CaseForbidden, wrong status or a
failed guard → CaseConflict, otherwise the case moves to the expected status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from gridgov.cases import services
from gridgov.cases.models import OPEN_STATUSES, Case, CaseEvent
from gridgov.cases.services import CaseConflict, CaseForbidden, CaseNotFound
from gridgov.cases.transitions import PARKED_FROM, SAME, TABLE, Action

from .loop_helpers import COMMENT, USERS, VARIANTS, action_photo, build, report

REPORTED, REGISTERED, DISPATCHED = "reported", "registered", "dispatched"
IN_PROGRESS, AWAITING, CLOSED = "in_progress", "awaiting_verification", "closed"
VOIDED, PARKED, RETURNED = "voided", "parked", "returned"


@dataclass(frozen=True)
class Row:
    sources: frozenset[str]
    target: str  # a status, "=" for unchanged, "<parked_from>" for the status before parking
    parties: frozenset[str]
    comment_required: bool = False


def row(sources: set[str], target: str, parties: set[str], comment: bool = False) -> Row:
    return Row(frozenset(sources), target, frozenset(parties), comment)


OPEN = set(OPEN_STATUSES)
HANDLING = {DISPATCHED, IN_PROGRESS}
SPEC: dict[str, Row] = {
    "accept": row({REPORTED}, IN_PROGRESS, {"village_leader"}),
    "escalate": row({REPORTED}, SAME, {"village_leader"}),
    "register": row({REPORTED}, REGISTERED, {"center"}),
    "void": row({REPORTED, REGISTERED, RETURNED}, VOIDED, {"center"}, comment=True),
    "merge": row({REPORTED, REGISTERED, RETURNED}, VOIDED, {"center"}),
    "dispatch": row({REGISTERED, RETURNED}, DISPATCHED, {"center"}),
    "acknowledge": row({DISPATCHED}, IN_PROGRESS, {"lead_department"}),
    "report_back": row({IN_PROGRESS}, AWAITING, {"handler"}),
    "return": row(HANDLING, RETURNED, {"handler"}, comment=True),
    "verify_pass": row({AWAITING}, CLOSED, {"grid_worker"}),
    "verify_fail": row({AWAITING}, IN_PROGRESS, {"grid_worker"}, comment=True),
    "close": row({AWAITING}, CLOSED, {"center"}),
    "request_extension": row(HANDLING, SAME, {"handler"}, comment=True),
    "approve_extension": row(HANDLING, SAME, {"center"}),
    "reject_extension": row(HANDLING, SAME, {"center"}, comment=True),
    "park": row({REGISTERED, DISPATCHED, IN_PROGRESS, RETURNED}, PARKED, {"center"}, comment=True),
    "resume": row({PARKED}, PARKED_FROM, {"center"}),
    "remind": row(OPEN - {PARKED}, SAME, {"center", "leader"}),
    "supervise": row(OPEN, SAME, {"leader"}, comment=True),
    "reply_supervision": row(OPEN | {CLOSED, VOIDED}, SAME, {"handler", "center"}, comment=True),
    "reopen": row({CLOSED}, REGISTERED, {"center"}, comment=True),
    # A dissatisfied answer reopens (test_callback.py); none of the variants left a phone.
    "callback": row({CLOSED}, SAME, {"center"}),
}

DISPATCHED_VARIANTS = {
    "dispatched",
    "in_progress",
    "in_progress_extension",
    "in_progress_supervised",
    "awaiting_verification",
    "awaiting_unverified",
    "closed",
    "parked",
    "returned",
}


def parties(user: str, variant: str) -> set[str] | None:
    """How each demo account relates to a variant's case (grid01's grid, village 1, dispatched
    to traffic_police with urban_mgmt cooperating); None when the case is invisible to it."""
    dispatched = variant in DISPATCHED_VARIANTS
    village_handles = variant == "in_progress_village"
    return {
        "center01": {"center"},
        "leader01": {"leader"},
        "super01": {"leader"},
        "gridlead01": {"village_leader", "village"} | ({"handler"} if village_handles else set()),
        "grid01": {"grid_worker"},
        "grid02": None,
        "dept01": {"lead_department", "handler"} if dispatched else None,
        "dept02": set() if dispatched else None,
        "admin": set(),
    }[user]


def failed_guard(action: str, variant: str) -> str | None:
    """The guard code that refuses ``action`` on the variant's case, if any."""
    if action in ("accept", "escalate") and variant == "reported_escalated":
        return "already_escalated"
    if action == "close" and variant != "awaiting_unverified":
        return "verification_required"
    if action == "request_extension" and variant == "in_progress_extension":
        return "extension_not_allowed"
    if action in ("approve_extension", "reject_extension") and variant != "in_progress_extension":
        return "no_extension_pending"
    if action == "reply_supervision" and variant != "in_progress_supervised":
        return "no_supervision_pending"
    if action == "callback":
        return "callback_not_due"
    return None


def expected(user: str, action: str, variant: str, status: str) -> type[Exception] | None:
    related = parties(user, variant)
    spec = SPEC[action]
    if related is None:
        return CaseNotFound
    if not related & spec.parties:
        return CaseForbidden
    if status not in spec.sources or failed_guard(action, variant):
        return CaseConflict
    return None


def test_the_table_says_what_the_issue_says() -> None:
    assert {str(a) for a in TABLE} == set(SPEC) == {a.value for a in Action}
    for action, transition in TABLE.items():
        spec = SPEC[action]
        assert transition.sources == spec.sources, action
        assert transition.target == spec.target, action
        assert {str(p) for p in transition.parties} == spec.parties, action
        assert transition.comment_required == spec.comment_required, action


def _inputs(people: dict[str, Any], action: str, merge_into: Case | None) -> dict[str, Any]:
    extra: dict[str, Any] = {"comment": COMMENT}
    if action == "report_back":
        extra["result"] = "已处理完毕"
    if action == "request_extension":
        extra["days"] = 2
    if action == "merge":
        assert merge_into is not None
        extra["into"] = merge_into.number
    if action == "callback":
        extra["satisfaction"] = "satisfied"
    extra["photos_in"] = action_photo(action)
    return extra


def _status_of(variant: str) -> str:
    return {
        "reported_escalated": REPORTED,
        "in_progress_village": IN_PROGRESS,
        "in_progress_extension": IN_PROGRESS,
        "in_progress_supervised": IN_PROGRESS,
        "awaiting_unverified": AWAITING,
    }.get(variant, variant)


@pytest.mark.parametrize("action", list(SPEC))
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_case_act_follows_the_table_for_every_role(people: dict[str, Any], variant: str, action: str) -> None:
    case = build(people, variant)
    status = _status_of(variant)
    assert case.status == status
    merge_into = report(people) if action == "merge" else None
    before_version = case.version
    for user in USERS:
        want = expected(user, action, variant, status)
        with transaction.atomic():
            try:
                changed = services.case_act(case.pk, action, actor=people[user], **_inputs(people, action, merge_into))
            except (CaseNotFound, CaseForbidden, CaseConflict) as error:
                assert type(error) is want, f"{user} {action} on {variant}: got {error!r}, expected {want}"
                if want is CaseConflict:
                    wrong_status = status not in SPEC[action].sources
                    assert error.code == ("invalid_transition" if wrong_status else failed_guard(action, variant))
            else:
                assert want is None, f"{user} {action} on {variant} succeeded, expected {want}"
                target = SPEC[action].target
                if target == SAME:
                    target = status
                elif target == PARKED_FROM:
                    target = DISPATCHED  # the parked variant was parked while dispatched
                assert changed.status == target
                stored = Case.objects.get(pk=case.pk)
                bump = 0 if TABLE[Action(action)].nudge else 1  # a reminder leaves the version
                assert stored.status == target and stored.version == before_version + bump
                last = CaseEvent.objects.filter(case=case).order_by("-id").first()
                assert last is not None
                assert (last.action, last.from_status, last.to_status) == (action, status, target)
            transaction.set_rollback(True)
    assert Case.objects.get(pk=case.pk).version == before_version


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_allowed_actions_are_exactly_the_moves_that_succeed(people: dict[str, Any], variant: str) -> None:
    case = build(people, variant)
    case = Case.objects.select_related("category").get(pk=case.pk)
    status = _status_of(variant)
    for user in USERS:
        allowed = {str(a) for a in services.allowed_actions(case, people[user])}
        assert allowed == {a for a in SPEC if expected(user, a, variant, status) is None}, user


@pytest.mark.parametrize("action", [a for a, spec in SPEC.items() if spec.comment_required])
def test_actions_that_need_a_reason_refuse_an_empty_comment(people: dict[str, Any], action: str) -> None:
    from django.core.exceptions import ValidationError

    variant = {
        "void": "registered",
        "return": "in_progress",
        "verify_fail": "awaiting_verification",
        "request_extension": "in_progress",
        "reject_extension": "in_progress_extension",
        "park": "registered",
        "supervise": "in_progress",
        "reply_supervision": "in_progress_supervised",
        "reopen": "closed",
    }[action]
    case = build(people, variant)
    user = next(u for u in USERS if expected(u, action, variant, _status_of(variant)) is None)
    extra = _inputs(people, action, None)
    extra["comment"] = "   "
    with pytest.raises(ValidationError) as caught:
        services.case_act(case.pk, action, actor=people[user], **extra)
    assert "comment" in caught.value.message_dict
    assert Case.objects.get(pk=case.pk).version == case.version


def test_docs_cases_md_shows_the_table_as_it_is() -> None:
    """docs/cases.md carries the transition table; this keeps it from drifting from the code."""
    from pathlib import Path

    from django.conf import settings

    from gridgov.cases.models import Status

    doc = (Path(settings.BASE_DIR) / "docs" / "cases.md").read_text(encoding="utf-8")
    for action, row in TABLE.items():
        sources = ", ".join(f"`{status}`" for status in Status.values if status in row.sources)
        target = {SAME: "unchanged", PARKED_FROM: "the status before parking"}.get(row.target, f"`{row.target}`")
        who = ", ".join(sorted(str(party) for party in row.parties))
        guard = row.guard.code if row.guard else ""
        reason = "yes" if row.comment_required else ""
        line = f"| `{action.value}` | {sources} | {target} | {who} | {guard} | {reason} |"
        assert line in doc, f"docs/cases.md is out of date for {action.value}: expected\n{line}"

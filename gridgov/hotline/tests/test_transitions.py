"""The transition table walked row by row: every action, in every status, by every demo role.

The expectations below are written from the issue, independently of ``transitions.TABLE``; one
test checks that the table says the same, the walk checks that ``order_act`` enforces it:
invisible → OrderNotFound, visible but not the actor's move → OrderForbidden, wrong status or a
failed guard → OrderConflict, otherwise the order moves to the expected status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from gridgov.hotline import services
from gridgov.hotline.errors import OrderConflict, OrderForbidden, OrderNotFound
from gridgov.hotline.models import HotlineOrder, OrderEvent
from gridgov.hotline.transitions import SAME, TABLE, Action

from .core_helpers import DRAFT, INSTRUCT, USERS, VARIANTS, build, extension_until, home_grid, open_case

RECEIVED, ACKNOWLEDGED, INSTRUCTED, DRAFTED = "received", "acknowledged", "instructed", "drafted"
REPLIED, CLOSED, RETURNED = "replied", "closed", "returned_upstream"


@dataclass(frozen=True)
class Row:
    sources: frozenset[str]
    target: str
    parties: frozenset[str]
    comment_required: bool = False


def row(sources: set[str], target: str, parties: set[str], comment: bool = False) -> Row:
    return Row(frozenset(sources), target, frozenset(parties), comment)


WORKING = {ACKNOWLEDGED, INSTRUCTED, DRAFTED}
SPEC: dict[str, Row] = {
    "acknowledge": row({RECEIVED}, ACKNOWLEDGED, {"center"}),
    "assign": row({ACKNOWLEDGED}, INSTRUCTED, {"center"}),
    "instruct": row({ACKNOWLEDGED}, INSTRUCTED, {"leader"}),
    "draft_reply": row({INSTRUCTED}, DRAFTED, {"lead_department"}),
    "reject_draft": row({DRAFTED}, INSTRUCTED, {"center"}, comment=True),
    "approve_reply": row({DRAFTED}, REPLIED, {"center"}),
    "return_upstream": row({RECEIVED, ACKNOWLEDGED, INSTRUCTED}, RETURNED, {"center"}),
    "request_extension": row(WORKING, SAME, {"center", "lead_department"}),
    "create_case": row({ACKNOWLEDGED, INSTRUCTED}, SAME, {"center"}),
    "link_case": row({ACKNOWLEDGED, INSTRUCTED}, SAME, {"center"}),
    "unlink_case": row(WORKING, SAME, {"center"}),
    "remind": row({INSTRUCTED}, SAME, {"center"}),
    # An imported order with doubtful values: the center clears its review flag, in any status.
    "clear_review": row({RECEIVED, *WORKING, REPLIED, CLOSED, RETURNED}, SAME, {"center"}),
}

LED = {"instructed", "instructed_case_open", "instructed_extension", "drafted", "replied", "closed"}


def parties(user: str, variant: str) -> set[str] | None:
    """How each demo account relates to a variant's order (Taiping's; led by urban_mgmt with
    traffic_police cooperating once instructed); None when the order is invisible to it."""
    led = variant in LED
    return {
        "center01": {"center"},
        "leader01": {"leader"},
        "super01": set(),
        "admin": set(),
        "upstream01": set(),
        "gridlead01": None,
        "grid01": None,
        "grid02": None,
        "dept02": {"lead_department"} if led else None,
        "dept01": {"department"} if led else None,
    }[user]


def failed_guard(action: str, variant: str) -> str | None:
    if action == "assign" and variant != "acknowledged_enquiry":
        return "instruction_required"
    if action == "draft_reply" and variant == "instructed_case_open":
        return "case_open"
    if action == "request_extension" and variant == "instructed_extension":
        return "extension_not_allowed"
    if action in ("create_case", "link_case") and variant == "instructed_case_open":
        return "case_linked"
    if action == "unlink_case" and variant != "instructed_case_open":
        return "no_case"
    if action == "clear_review":
        return "no_review_flag"  # none of the variants was imported with doubtful values
    return None


def status_of(variant: str) -> str:
    return variant.split("_")[0] if variant != "returned_upstream" else RETURNED


def expected(user: str, action: str, variant: str) -> type[Exception] | None:
    related = parties(user, variant)
    spec = SPEC[action]
    if related is None:
        return OrderNotFound
    if not related & spec.parties:
        return OrderForbidden
    if status_of(variant) not in spec.sources or failed_guard(action, variant):
        return OrderConflict
    return None


def test_the_table_says_what_the_issue_says() -> None:
    assert {str(a) for a in TABLE} == set(SPEC) == {a.value for a in Action}
    for action, transition in TABLE.items():
        spec = SPEC[action]
        assert transition.sources == spec.sources, action
        assert transition.target == spec.target, action
        assert {str(p) for p in transition.parties} == spec.parties, action
        assert transition.comment_required == spec.comment_required, action


def _inputs(people: dict[str, Any], order: HotlineOrder, action: str, case_id: int) -> dict[str, Any]:
    extra: dict[str, Any] = {"comment": "情况说明"}
    if action in ("instruct", "assign"):
        extra.update(INSTRUCT)
    if action == "draft_reply":
        extra.update(DRAFT)
    if action == "return_upstream":
        extra.update({"reason": "不属于本镇职责", "basis": "《天津市政务服务便民热线管理办法》"})
    if action == "request_extension":
        extra.update({"reason": "需协调多个部门", "until": extension_until(order)})
    if action == "create_case":
        extra["grid_id"] = home_grid(people["grid01"]).pk
    if action == "link_case":
        extra["case_id"] = case_id
    return extra


@pytest.mark.parametrize("action", list(SPEC))
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_order_act_follows_the_table_for_every_role(people: dict[str, Any], variant: str, action: str) -> None:
    order = build(people, variant)
    status = status_of(variant)
    assert order.status == status
    case_id = open_case(people).pk
    before_version = order.version
    for user in USERS:
        want = expected(user, action, variant)
        with transaction.atomic():
            try:
                changed = services.order_act(
                    order_id=order.pk, action=action, actor=people[user], **_inputs(people, order, action, case_id)
                )
            except (OrderNotFound, OrderForbidden, OrderConflict) as error:
                assert type(error) is want, f"{user} {action} on {variant}: got {error!r}, expected {want}"
                if want is OrderConflict:
                    wrong_status = status not in SPEC[action].sources
                    assert error.code == ("invalid_transition" if wrong_status else failed_guard(action, variant))
            else:
                assert want is None, f"{user} {action} on {variant} succeeded, expected {want}"
                target = status if SPEC[action].target == SAME else SPEC[action].target
                assert changed.status == target
                stored = HotlineOrder.objects.get(pk=order.pk)
                assert stored.status == target and stored.version == before_version + 1
                last = OrderEvent.objects.filter(order=order).order_by("-id").first()
                assert last is not None
                assert (last.action, last.from_status, last.to_status) == (action, status, target)
            transaction.set_rollback(True)
    assert HotlineOrder.objects.get(pk=order.pk).version == before_version


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_allowed_actions_are_exactly_the_moves_that_succeed(people: dict[str, Any], variant: str) -> None:
    order = build(people, variant)
    for user in USERS:
        allowed = set(services.allowed_actions(order, people[user]))
        assert allowed == {a for a in SPEC if expected(user, a, variant) is None}, user


def test_an_unknown_action_is_not_found(people: dict[str, Any]) -> None:
    order = build(people, "received")
    with pytest.raises(OrderNotFound) as refused:
        services.order_act(order_id=order.pk, action="teleport", actor=people["center01"])
    assert refused.value.code == "unknown_action"

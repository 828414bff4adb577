"""The case loop as declared on the core workflow engine: the engine runs the table of
``transitions``, one effect per action that does more than move the status, and the case's
own hooks (the resume target, the refusal texts, the typed extension request)."""

from __future__ import annotations

from django.utils import translation

from gridgov.cases.models import Case, PendingExtension, Status
from gridgov.cases.services import CASE_WORKFLOW, CaseConflict, CaseError, CaseForbidden, CaseNotFound
from gridgov.cases.transitions import ACTION_LABELS, PARKED_FROM, TABLE, Action, resumed_status
from gridgov.core import errors

# Actions that change nothing but the status (closing's closed_at is the stage clock's).
STATUS_ONLY = {Action.VOID, Action.ACKNOWLEDGE, Action.VERIFY_PASS, Action.CLOSE}


def test_the_engine_runs_the_table_of_transitions() -> None:
    assert list(CASE_WORKFLOW.table) == [action.value for action in TABLE]
    for action, transition in TABLE.items():
        assert CASE_WORKFLOW.table[action.value] is transition
        assert CASE_WORKFLOW.label(action) == str(ACTION_LABELS[action])


def test_every_action_but_the_status_only_ones_has_its_effect() -> None:
    registered = set(CASE_WORKFLOW._effects)
    assert registered == {action.value for action in Action} - STATUS_ONLY
    assert not registered & STATUS_ONLY


def test_the_case_errors_are_the_core_errors() -> None:
    assert CaseError is errors.DomainError
    assert (CaseNotFound.status, CaseForbidden.status, CaseConflict.status) == (404, 403, 409)
    assert issubclass(CaseConflict, CaseError) and issubclass(CaseNotFound, CaseError)


def test_resume_goes_back_to_the_status_before_parking() -> None:
    assert TABLE[Action.RESUME].target == PARKED_FROM
    assert resumed_status(Case(status=Status.PARKED, parked_from=Status.DISPATCHED)) == Status.DISPATCHED
    assert resumed_status(Case(status=Status.PARKED, parked_from="")) == Status.REGISTERED


def test_a_move_in_the_wrong_status_names_the_action_and_the_status() -> None:
    with translation.override("en"):
        message = CASE_WORKFLOW.invalid_message(Case(status=Status.CLOSED), TABLE[Action.REGISTER])
    assert message == "“Register” is not possible while the case is Closed."


def test_a_pending_extension_round_trips_through_its_stored_form() -> None:
    request = PendingExtension(days=3, reason="需协调", by=7, stage="handle")
    stored = request.to_json()
    assert stored == {"days": 3, "reason": "需协调", "by": 7, "stage": "handle"}
    assert PendingExtension.from_json(stored) == request
    assert PendingExtension.from_json(None) is None
    assert Case(pending_extension=stored).extension_request == request
    assert Case(pending_extension=None).extension_request is None

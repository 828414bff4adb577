"""The deadline sweep: the warnings at the warn point and the overdue notices that fell due
since the last sweep, each once per stage (run by beat every minute)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Final

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from gridgov.notify.services import notify

from ..models import Case, CaseStage, Status
from ..transitions import DEADLINE_WARNING, OVERDUE, Party
from .clock import open_stage
from .common import case_url, event_add, now_or
from .notifications import parties_notify, recipient_ids, responsible

if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()

SWEEP_KINDS: Final = {"overdue": "case.overdue", "warnings": "case.warning"}
# The most case numbers a digest lists.
DIGEST_NUMBERS: Final = 20

# What each person is told in one sweep: (outcome, case, party) by user id.
Digest = dict[int, list[tuple[str, Case, str]]]
# Where a digest links to, by the party the reader stands in for its first case.
DIGEST_PAGES: Final[dict[str, str]] = {
    Party.CENTER: "cases:workbench",
    Party.LEADER: "cases:workbench",
    Party.VILLAGE_LEADER: "cases:village",
    Party.VILLAGE: "cases:village",
    Party.GRID_WORKER: "cases:verify",
    Party.LEAD_DEPARTMENT: "cases:department",
    Party.HANDLER: "cases:department",
}


def sweep_due(now: dt.datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Send the 80 % warnings and overdue notices that fell due since the last sweep.

    Reads only cases whose ``next_alert_at`` has passed (an indexed range), each in its own
    short transaction, so a million open cases cost nothing while nothing crosses a line.
    """
    now = now_or(now)
    counts = {"warnings": 0, "overdue": 0}
    # One notice per person and sweep: the notice itself when it is one case, else one
    # digest of all the cases that crossed a line for that person (no burst of messages).
    digest: Digest = {}
    # Keyset on (next_alert_at, id), the order of the index: the read stays a range of the
    # index even when nothing is due (ordering by id alone makes SQLite scan the table).
    after: tuple[dt.datetime | None, int] | None = None
    while True:
        due = Case.objects.filter(next_alert_at__lte=now)
        if after is not None:
            due = due.filter(Q(next_alert_at__gt=after[0]) | Q(next_alert_at=after[0], id__gt=after[1]))
        rows = list(due.order_by("next_alert_at", "id").values_list("next_alert_at", "id")[:batch])
        if not rows:
            break
        for _at, case_id in rows:
            outcome = _sweep_one(case_id, now, digest)
            if outcome:
                counts[outcome] += 1
        after = rows[-1]
    if digest:
        _send_digest(digest, now)
    return counts


@transaction.atomic
def _send_digest(digest: Digest, now: dt.datetime) -> None:
    """Each person's part of a sweep: the notice itself for a single case, else one digest
    that counts the cases and links to the reader's queue."""
    users = {user.pk: user for user in User.objects.filter(pk__in=list(digest))}
    for user_id, items in digest.items():
        user = users.get(user_id)
        if user is None:
            continue
        if len(items) == 1:
            outcome, case, _party = items[0]
            notify(
                recipients=[user],
                kind=SWEEP_KINDS[outcome],
                params={"number": case.number},
                body=case.description[:120],
                url=case_url(case),
                obj=case,
            )
            continue
        notify(recipients=[user], kind="case.digest", params=_digest_params(items), url=_digest_url(items))


def _digest_params(items: list[tuple[str, Case, str]]) -> dict[str, Any]:
    overdue = sum(1 for outcome, _case, _party in items if outcome == "overdue")
    return {
        "cases": len(items),
        "overdue": overdue,
        "warned": len(items) - overdue,
        "numbers": [case.number for _outcome, case, _party in items[:DIGEST_NUMBERS]],
        "more": max(len(items) - DIGEST_NUMBERS, 0),
    }


def _digest_url(items: list[tuple[str, Case, str]]) -> str:
    """The reader's queue: the workbench's overdue (or warning) tab for the center and the
    leaders, the inbox of the village, the department or the verifier otherwise."""
    page = DIGEST_PAGES.get(items[0][2], "cases:workbench")
    overdue = any(outcome == "overdue" for outcome, _case, _party in items)
    if page == "cases:workbench":
        return reverse(page) + ("?queue=overdue" if overdue else "?queue=warning")
    if page == "cases:department" and overdue:
        return reverse(page) + "?light=red"
    return reverse(page)


def _crossed(case: Case, stage: CaseStage | None, now: dt.datetime) -> str | None:
    """Which line the case's open stage crossed by ``now`` that was not yet told (None:
    none), with the case's next look moved past it."""
    if stage is None or stage.deadline is None or case.status == Status.PARKED:
        case.next_alert_at = None
        return None
    if now > stage.deadline and not stage.overdue_sent:
        stage.overdue_sent = True
        stage.warning_sent = True
        case.next_alert_at = None
        return "overdue"
    if stage.warn_at is not None and now >= stage.warn_at and not stage.warning_sent:
        stage.warning_sent = True
        case.next_alert_at = stage.deadline
        return "warnings"
    case.next_alert_at = None if stage.overdue_sent else stage.deadline
    return None


@transaction.atomic
def _sweep_one(case_id: int, now: dt.datetime, digest: Digest | None = None) -> str | None:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("category", "lead_department")
        .filter(pk=case_id, next_alert_at__lte=now)
        .first()
    )
    if case is None:
        return None
    stage = open_stage(case)
    outcome = _crossed(case, stage, now)
    if stage is not None:
        stage.save(update_fields=["warning_sent", "overdue_sent"])
    case.save(update_fields=["next_alert_at"])
    if outcome is not None:
        _tell(case, outcome, now, digest)
    return outcome


def _tell(case: Case, outcome: str, now: dt.datetime, digest: Digest | None) -> None:
    """The timeline entry of a crossed line and the notices to whoever must act (overdue: the
    center too); with a digest every reader's part goes into it (one message per person and
    sweep), without one each is told at once."""
    action = OVERDUE if outcome == "overdue" else DEADLINE_WARNING
    event_add(case, action, actor=None, at=now, from_status=case.status, data={"stage": case.stage})
    parties: list[str] = list(responsible(case))
    if outcome == "overdue" and Party.CENTER not in parties:
        parties.append(Party.CENTER)
    if digest is None:
        parties_notify(case, parties, SWEEP_KINDS[outcome], actor=None)
        return
    seen: set[int] = set()
    for party in parties:
        for user_id in recipient_ids(case, Party(party)):
            if user_id not in seen:
                seen.add(user_id)
                digest.setdefault(user_id, []).append((outcome, case, str(party)))

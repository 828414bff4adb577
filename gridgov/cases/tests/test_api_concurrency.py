"""Real concurrency: 20 identical submissions with one Idempotency-Key make exactly one case;
two people acting on one case at once cannot both win; retries of one action with one key
make one effect.

Real concurrency needs real transactions and row locks, so this runs on PostgreSQL only,
with committed demo data and one database connection per thread.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.test import Client

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area
from gridgov.cases.models import Case, IdempotencyKey
from gridgov.people.services import token_issue

THREADS = 20


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_submissions_make_one_case(demo: None) -> None:
    user = get_user_model().objects.get(username="grid01")
    _token, raw = token_issue(actor=user, user=user, name="phone")
    area_id = next(a for _r, a, _d in scope_for(user).assignments if a)
    grid = Area.objects.get(pk=area_id)
    body = json.dumps(
        {"category": "parking.long_term", "description": "占道经营", "lat": grid.center_lat, "lng": grid.center_lng}
    )
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def submit() -> None:
        try:
            client = Client(headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": "c0ffee00-0000-4000-8000-1"})
            barrier.wait(timeout=30)
            response = client.post("/api/v1/cases", data=body, content_type="application/json")
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    statuses = sorted(status for status, _body in results)
    assert statuses == [200] * (THREADS - 1) + [201], results
    assert len({body["id"] for _status, body in results}) == 1
    assert Case.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_two_people_acting_at_once_cannot_both_win(demo: None) -> None:
    """Two center operators register the same case at the same moment with the version they
    both saw: one wins, the other gets 409 ``version_conflict`` and nothing is written twice."""
    from gridgov.cases import services
    from gridgov.people.models import Role
    from gridgov.people.services import role_assign

    users = get_user_model().objects
    grid01, center01 = users.get(username="grid01"), users.get(username="center01")
    town_id = next(a for r, a, _d in scope_for(center01).assignments if r == Role.CENTER_OPERATOR)
    assert town_id is not None
    town = Area.objects.get(pk=town_id)
    second = users.create_user("center-desk-2")
    role_assign(actor=None, user=second, role=Role.CENTER_OPERATOR, area=town)
    area_id = next(a for _r, a, _d in scope_for(grid01).assignments if a)
    grid = Area.objects.get(pk=area_id)
    case, _created = services.case_create(
        actor=grid01, category="parking.long_term", description="占道", lat=grid.center_lat, lng=grid.center_lng
    )
    tokens = [token_issue(actor=user, user=user, name="desk")[1] for user in (center01, second)]
    barrier = threading.Barrier(2)
    results: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def register(raw: str) -> None:
        try:
            client = Client(headers={"Authorization": f"Bearer {raw}"})
            barrier.wait(timeout=30)
            response = client.post(
                f"/api/v1/cases/{case.pk}/actions/register",
                data=json.dumps({"version": case.version}),
                content_type="application/json",
            )
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(raw,)) for raw in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(status for status, _body in results) == [200, 409], results
    loser = next(body for status, body in results if status == 409)
    assert loser["error"]["code"] == "version_conflict" and loser["error"]["message"]
    case.refresh_from_db()
    assert case.status == "registered" and case.version == 2
    assert case.events.filter(action="register").count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_of_one_action_with_one_key_make_one_effect(demo: None) -> None:
    """A phone retrying a verification with its Idempotency-Key while the first request is
    still running: every retry answers 200 with the closed case, one verification is written."""
    from gridgov.cases.models import CaseEvent
    from gridgov.cases.tests.loop_helpers import build
    from gridgov.categories.models import Category

    users = get_user_model().objects
    people = {name: users.get(username=name) for name in ("grid01", "center01", "dept01")}
    case = build(people, "awaiting_verification")
    # Retries here are about the key, not the photo: this category asks for none.
    Category.objects.filter(pk=case.category_id).update(verify_photo_required=False)
    _token, raw = token_issue(actor=people["grid01"], user=people["grid01"], name="phone")
    body = json.dumps({"comment": "现场已恢复", "version": case.version})
    key = "5b1d0c4e-7a8f-4c1e-9d2b-00000000c0c0"
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def submit() -> None:
        try:
            client = Client(headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": key})
            barrier.wait(timeout=30)
            response = client.post(
                f"/api/v1/cases/{case.pk}/actions/verify_pass", data=body, content_type="application/json"
            )
            with lock:
                results.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert [status for status, _body in results] == [200] * THREADS, results
    assert {body["status"] for _status, body in results} == {"closed"}
    assert CaseEvent.objects.filter(case=case, action="verify_pass").count() == 1
    assert IdempotencyKey.objects.filter(key=key).count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_a_report_and_an_action_reusing_one_key_queue_and_the_later_is_refused(demo: None) -> None:
    """A report waits for its town's number (another report of the town holds it) while a desk
    action by the same user reuses the report's Idempotency-Key: the action goes through, the
    report is refused on its key; neither is a deadlock (found by a break-it review)."""
    import time

    from django.core.exceptions import ValidationError
    from django.db import transaction

    from gridgov.cases import services
    from gridgov.cases.models import CaseNumberSequence

    center = get_user_model().objects.get(username="center01")
    grids = list(Area.objects.current().filter(level="grid").order_by("code").values_list("code", flat=True)[:2])
    waiting, _created = services.case_create(
        actor=center, category="parking.long_term", description="待登记", grid=grids[0]
    )
    assert CaseNumberSequence.objects.filter(town_id=waiting.town_id).exists()
    held, release = threading.Event(), threading.Event()
    outcomes: dict[str, Any] = {}

    def another_report_of_the_town() -> None:  # holds the town's number row
        try:
            with transaction.atomic():
                CaseNumberSequence.objects.filter(town_id=waiting.town_id).select_for_update().get()
                held.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    def run(name: str, call: Any) -> None:
        try:
            outcomes[name] = call()
        except Exception as error:  # reported by the main thread
            outcomes[name] = error
        finally:
            connections.close_all()

    def report() -> Any:
        return services.case_create(
            actor=center, category="parking.long_term", description="新报", grid=grids[1], idempotency_key="K-1"
        )

    def register() -> Any:
        return services.case_act(waiting.pk, "register", actor=center, idempotency_key="K-1")

    blocker = threading.Thread(target=another_report_of_the_town)
    blocker.start()
    assert held.wait(timeout=30)
    threads = [threading.Thread(target=run, args=("report", report))]
    threads[0].start()
    time.sleep(1)  # the report waits for the number
    threads.append(threading.Thread(target=run, args=("register", register)))
    threads[1].start()
    time.sleep(1)
    release.set()
    for thread in [blocker, *threads]:
        thread.join(timeout=60)
    assert not isinstance(outcomes["register"], Exception), outcomes
    assert isinstance(outcomes["report"], ValidationError), outcomes
    assert "idempotency_key" in outcomes["report"].message_dict
    assert Case.objects.get(pk=waiting.pk).status == "registered"
    assert not Case.objects.filter(description="新报").exists()
    assert not Case.objects.filter(number__startswith="~").exists()

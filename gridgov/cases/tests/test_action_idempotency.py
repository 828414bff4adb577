"""An action or added photos sent again with the same Idempotency-Key (the phone's retry after
a lost answer) are not applied twice: the same key answers with the case as it is now; the key
used for anything else is refused with 422. (Concurrent retries on PostgreSQL:
``test_api_concurrency.py``, whose tests need no open module transaction.)"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gridgov.cases import services
from gridgov.cases.models import Case, CaseAttachment, CaseEvent, IdempotencyKey
from gridgov.cases.tests.loop_helpers import build, jpeg, report
from gridgov.categories.models import Category
from gridgov.people.services import token_issue

URL = "/api/v1/cases"
KEY = "5b1d0c4e-7a8f-4c1e-9d2b-000000000001"


def api(user: Any) -> Client:
    _token, raw = token_issue(actor=user, user=user, name="test")
    return Client(headers={"Authorization": f"Bearer {raw}"})


def post_json(client: Client, url: str, body: Any, **headers: str) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)


def photo(colour: tuple[int, int, int], name: str = "p.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg(colour).getvalue(), content_type="image/jpeg")


# --- actions ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_photo_rule(people: Any) -> None:
    """Idempotency does not depend on photos: these categories ask for none here (the photo
    rule is tested in test_services)."""
    Category.objects.update(result_photo_required=False, verify_photo_required=False)


def test_a_verification_sent_twice_with_one_key_is_done_once_and_answers_200_both_times(people):
    case = build(people, "awaiting_verification")
    client = api(people["grid01"])
    body = {"comment": "现场已恢复", "version": case.version}

    first = post_json(client, f"{URL}/{case.pk}/actions/verify_pass", body, **{"Idempotency-Key": KEY})
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "closed"

    # Without the key the retry is refused (its version is stale, and the move is gone); with
    # it, it is the same answer.
    without = post_json(client, f"{URL}/{case.pk}/actions/verify_pass", body)
    assert without.status_code == 409 and without.json()["error"]["code"] == "version_conflict"
    unversioned = post_json(client, f"{URL}/{case.pk}/actions/verify_pass", {"comment": "现场已恢复"})
    assert unversioned.status_code == 409 and unversioned.json()["error"]["code"] == "invalid_transition"
    again = post_json(client, f"{URL}/{case.pk}/actions/verify_pass", body, **{"Idempotency-Key": KEY})
    assert again.status_code == 200, again.content
    assert again.json()["status"] == "closed" and again.json()["version"] == first.json()["version"]

    assert CaseEvent.objects.filter(case=case, action="verify_pass").count() == 1
    stored = IdempotencyKey.objects.get(user=people["grid01"], key=KEY)
    assert (stored.case_id, stored.action) == (case.pk, "verify_pass")
    assert stored.event == CaseEvent.objects.get(case=case, action="verify_pass")


def test_a_retry_answers_with_the_case_as_it_is_now(people):
    """Someone acted after the first request: the retry shows their change too (nothing is
    replayed from a stored response)."""
    case = build(people, "in_progress")
    dept = api(people["dept01"])
    first = post_json(dept, f"{URL}/{case.pk}/actions/report_back", {"result": "已拖离"}, **{"Idempotency-Key": KEY})
    assert first.status_code == 200 and first.json()["status"] == "awaiting_verification"
    services.case_act(case.pk, "verify_fail", actor=people["grid01"], comment="车辆仍在")

    again = post_json(dept, f"{URL}/{case.pk}/actions/report_back", {"result": "已拖离"}, **{"Idempotency-Key": KEY})
    assert again.status_code == 200
    assert again.json()["status"] == "in_progress"
    assert CaseEvent.objects.filter(case=case, action="report_back").count() == 1


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("verify_pass", {"comment": "另一段说明"}),  # same case and action, other body
        ("verify_fail", {"comment": "现场已恢复"}),  # other action
    ],
)
def test_the_same_key_for_another_request_is_refused_with_422(people, path, body):
    case = build(people, "awaiting_verification")
    client = api(people["grid01"])
    first = post_json(
        client, f"{URL}/{case.pk}/actions/verify_pass", {"comment": "现场已恢复"}, **{"Idempotency-Key": KEY}
    )
    assert first.status_code == 200
    version = Case.objects.get(pk=case.pk).version

    refused = post_json(client, f"{URL}/{case.pk}/actions/{path}", body, **{"Idempotency-Key": KEY})
    assert refused.status_code == 422, refused.content
    assert "idempotency_key" in refused.json()["error"]["details"]
    assert Case.objects.get(pk=case.pk).version == version


def test_the_same_key_on_another_case_or_after_a_creation_is_refused(people):
    first, second = build(people, "awaiting_verification"), build(people, "awaiting_verification")
    client = api(people["grid01"])
    assert post_json(client, f"{URL}/{first.pk}/actions/verify_pass", {}, **{"Idempotency-Key": KEY}).status_code == 200
    other_case = post_json(client, f"{URL}/{second.pk}/actions/verify_pass", {}, **{"Idempotency-Key": KEY})
    assert other_case.status_code == 422
    assert Case.objects.get(pk=second.pk).status == "awaiting_verification"

    # A key that created a case cannot act, and a key that acted cannot create.
    created = report(people, idempotency_key="creation-key")
    reused = post_json(client, f"{URL}/{second.pk}/actions/verify_pass", {}, **{"Idempotency-Key": "creation-key"})
    assert reused.status_code == 422
    with pytest.raises(ValidationError):
        report(people, idempotency_key=KEY)
    assert Case.objects.filter(pk=created.pk).exists()


def test_a_key_is_per_user_and_refusals_store_no_key(people):
    case = build(people, "in_progress")
    # Not dept01's move yet in another status: the refusal keeps the key unused.
    refused = post_json(api(people["dept01"]), f"{URL}/{case.pk}/actions/acknowledge", {}, **{"Idempotency-Key": KEY})
    assert refused.status_code == 409
    assert not IdempotencyKey.objects.filter(key=KEY).exists()
    ok = post_json(
        api(people["dept01"]), f"{URL}/{case.pk}/actions/report_back", {"result": "好了"}, **{"Idempotency-Key": KEY}
    )
    assert ok.status_code == 200
    # Another user's same key is their own key.
    mine = post_json(api(people["grid01"]), f"{URL}/{case.pk}/actions/verify_pass", {}, **{"Idempotency-Key": KEY})
    assert mine.status_code == 200
    assert IdempotencyKey.objects.filter(key=KEY).count() == 2


def test_a_blank_or_too_long_key_is_refused(people):
    case = build(people, "awaiting_verification")
    with pytest.raises(ValidationError):
        services.case_act(case.pk, "verify_pass", actor=people["grid01"], idempotency_key="k" * 65)
    with pytest.raises(ValidationError):
        services.case_act(case.pk, "verify_pass", actor=people["grid01"], idempotency_key="  ")
    assert Case.objects.get(pk=case.pk).status == "awaiting_verification"


def test_a_retry_after_losing_sight_of_the_case_is_not_found(people):
    case = build(people, "awaiting_verification")
    services.case_act(case.pk, "verify_pass", actor=people["grid01"], idempotency_key=KEY)
    response = post_json(api(people["grid02"]), f"{URL}/{case.pk}/actions/verify_pass", {}, **{"Idempotency-Key": KEY})
    assert response.status_code == 404


# --- photos -------------------------------------------------------------------------------


def test_photos_sent_twice_with_one_key_are_stored_once_and_answer_200_with_the_first_result(people):
    case = build(people, "awaiting_verification")
    client = api(people["grid01"])
    url = f"{URL}/{case.pk}/attachments"

    def send(*colours: tuple[int, int, int], comment: str = "核查照片") -> Any:
        files = [photo(colour) for colour in colours]
        return client.post(
            url, {"photos": files, "kind": "verify", "comment": comment}, headers={"Idempotency-Key": KEY}
        )

    first = send((10, 20, 30), (30, 20, 10))
    assert first.status_code == 201, first.content
    again = send((10, 20, 30), (30, 20, 10))
    assert again.status_code == 200, again.content
    assert again.json() == first.json()
    assert CaseAttachment.objects.filter(case=case).count() == 2
    assert CaseEvent.objects.filter(case=case, action="attach").count() == 1

    # Other photos or another comment under the same key: refused, nothing stored.
    assert send((99, 99, 99)).status_code == 422
    assert send((10, 20, 30), (30, 20, 10), comment="别的").status_code == 422
    assert CaseAttachment.objects.filter(case=case).count() == 2

    # After the case closed, the retry still answers with what was stored.
    services.case_act(case.pk, "verify_pass", actor=people["grid01"])
    late = send((10, 20, 30), (30, 20, 10))
    assert late.status_code == 200 and late.json() == first.json()

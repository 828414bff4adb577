"""/api/v1/notifications: a user lists and reads only their own notifications."""

from __future__ import annotations

import pytest

from gridgov.notify.models import Notification
from gridgov.notify.services import notify

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications"


def several(user, count: int) -> list[Notification]:
    return [notify(recipients=[user], kind="case.reminder", title=f"催办 {i}")[0] for i in range(count)]


def test_the_list_is_the_users_own_newest_first_with_the_unread_count(client, people):
    mine = several(people["alice"], 3)
    several(people["carol"], 2)
    client.force_login(people["alice"])
    body = client.get(URL).json()
    assert [item["id"] for item in body["items"]] == [n.pk for n in reversed(mine)]
    assert body["unread"] == 3
    assert body["next_cursor"] is None
    item = body["items"][0]
    assert set(item) == {"id", "kind", "title", "body", "url", "object", "created_at", "read_at"}


def test_the_list_pages_by_cursor_and_filters_unread(client, people):
    mine = several(people["alice"], 5)
    client.force_login(people["alice"])
    first = client.get(URL, {"limit": 2}).json()
    assert [i["id"] for i in first["items"]] == [mine[4].pk, mine[3].pk]
    second = client.get(URL, {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in second["items"]] == [mine[2].pk, mine[1].pk]
    third = client.get(URL, {"limit": 2, "cursor": second["next_cursor"]}).json()
    assert [i["id"] for i in third["items"]] == [mine[0].pk]
    assert third["next_cursor"] is None
    client.post(f"{URL}/{mine[4].pk}/read")
    unread = client.get(URL, {"unread": "true"}).json()
    assert mine[4].pk not in [i["id"] for i in unread["items"]]
    assert unread["unread"] == 4


def test_reading_one_marks_it_and_another_users_id_is_not_found(client, people):
    (mine,) = several(people["alice"], 1)
    (theirs,) = several(people["carol"], 1)
    client.force_login(people["alice"])
    response = client.post(f"{URL}/{mine.pk}/read")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    response = client.post(f"{URL}/{theirs.pk}/read")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert client.post(f"{URL}/999999/read").status_code == 404


def test_read_all_marks_only_the_users_own(client, people):
    several(people["alice"], 3)
    several(people["carol"], 1)
    client.force_login(people["alice"])
    assert client.post(f"{URL}/read-all").json() == {"marked": 3, "unread": 0}
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_an_anonymous_request_is_refused(client, people):
    assert client.get(URL).status_code == 401
    assert client.post(f"{URL}/read-all").status_code == 401


def test_a_limit_outside_the_range_is_clamped(client, people):
    several(people["alice"], 2)
    client.force_login(people["alice"])
    assert len(client.get(URL, {"limit": 0}).json()["items"]) == 1
    assert len(client.get(URL, {"limit": 1000}).json()["items"]) == 2

"""The bell in the header and the /notifications/ page."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse

from gridgov.notify.context_processors import unread
from gridgov.notify.models import Notification
from gridgov.notify.services import notify

pytestmark = pytest.mark.django_db


def test_the_page_needs_a_login(client):
    response = client.get(reverse("notifications"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_page_lists_only_the_users_own_unread_in_bold_with_links(client, people):
    notify(recipients=[people["alice"]], kind="case.assigned", title="旧的通知", url="/cases/1/")
    (new,) = notify(recipients=[people["alice"]], kind="case.overdue", title="新的通知", url="/cases/2/")
    notify(recipients=[people["carol"]], kind="case.assigned", title="别人的通知")
    client.force_login(people["alice"])
    Notification.objects.filter(params__text="旧的通知").update(read_at=new.created_at)
    html = client.get(reverse("notifications")).content.decode()
    assert html.index("新的通知") < html.index("旧的通知")
    assert "别人的通知" not in html
    assert f'class="notify-item unread" id="notification-{new.pk}"' in html
    assert 'href="/cases/2/"' in html
    assert 'data-testid="notify-count">1<' in html  # the bell


def test_the_bell_shows_the_unread_count_on_every_page(client, people):
    for _ in range(3):
        notify(recipients=[people["alice"]], kind="case.reminder", title="催办")
    client.force_login(people["alice"])
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="notify-bell"' in html
    assert 'data-testid="notify-count">3<' in html
    client.force_login(people["carol"])
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="notify-bell"' in html
    assert 'data-testid="notify-count"' not in html


def test_the_bell_refresh_answers_the_count_without_renewing_the_session(client, people):
    from django.conf import settings

    url = reverse("notifications-unread")
    assert client.get(url).status_code == 401
    for _ in range(2):
        notify(recipients=[people["alice"]], kind="case.reminder", title="催办")
    client.force_login(people["alice"])
    response = client.get(url, headers={"X-GridGov-Background": "1"})
    assert response.json() == {"unread": 2}
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    html = client.get(reverse("home")).content.decode()
    assert f'data-bell-url="{url}"' in html and "notify/bell.js" in html


def test_the_unread_count_is_one_query_and_none_for_anonymous(people, django_assert_num_queries):
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert unread(request) == {}
    request.user = people["alice"]
    notify(recipients=[people["alice"]], kind="case.reminder", title="催办")
    with django_assert_num_queries(0):
        context = unread(request)
    with django_assert_num_queries(1):
        assert str(context["notify_unread"]) == "1"


def test_marking_one_read_by_htmx_returns_the_item_and_the_new_count(client, people):
    first, second = (notify(recipients=[people["alice"]], kind="a", title=f"通知{i}")[0] for i in range(2))
    client.force_login(people["alice"])
    response = client.post(reverse("notification-read", args=[first.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'class="notify-item" id="notification-{first.pk}"' in html
    assert 'id="notify-bell-count" hx-swap-oob="true"' in html
    assert 'data-testid="notify-count">1<' in html
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None


def test_marking_one_read_without_htmx_goes_back_to_the_list(client, people):
    (mine,) = notify(recipients=[people["alice"]], kind="a", title="通知")
    client.force_login(people["alice"])
    response = client.post(reverse("notification-read", args=[mine.pk]))
    assert response["Location"] == reverse("notifications")


def test_another_users_notification_cannot_be_marked(client, people):
    (theirs,) = notify(recipients=[people["carol"]], kind="a", title="通知")
    client.force_login(people["alice"])
    assert client.post(reverse("notification-read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read(client, people):
    for _ in range(2):
        notify(recipients=[people["alice"], people["carol"]], kind="a", title="通知")
    client.force_login(people["alice"])
    html = client.get(reverse("notifications")).content.decode()
    assert 'data-testid="read-all"' in html
    response = client.post(reverse("notifications-read-all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=people["alice"], read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=people["carol"], read_at__isnull=True).count() == 2
    assert 'data-testid="read-all"' not in client.get(reverse("notifications")).content.decode()


def test_the_page_pages_by_cursor(client, people):
    for i in range(55):
        notify(recipients=[people["alice"]], kind="a", title=f"通知-{i:02d}")
    client.force_login(people["alice"])
    html = client.get(reverse("notifications")).content.decode()
    assert html.count('class="notify-item') == 50
    assert "通知-54" in html and "通知-05" in html and "通知-04" not in html
    older = Notification.objects.get(params__text="通知-05").pk
    html = client.get(reverse("notifications"), {"cursor": older}).content.decode()
    assert html.count('class="notify-item') == 5


def test_the_list_page_needs_a_fixed_number_of_queries(client, people, django_assert_max_num_queries):
    for _ in range(20):
        notify(recipients=[people["alice"]], kind="a", title="通知")
    client.force_login(people["alice"])
    with django_assert_max_num_queries(12):
        client.get(reverse("notifications"))

"""Notifications are stored as a kind and parameters and read in the reader's language: on the
list page, in the API and the webhook in the language the reader chose, by SMS in the
installation's; whatever language the person who caused them was using."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from gridgov.notify import rendering
from gridgov.notify.models import Delivery, Notification
from gridgov.notify.services import notify
from gridgov.notify.tasks import deliver
from gridgov.people.models import StaffProfile

pytestmark = pytest.mark.django_db

ORDER = {"number": "BHX2026112800017", "type": "help", "class": "general"}
ZH_TITLE, EN_TITLE = "新热线工单 BHX2026112800017", "New hotline order BHX2026112800017"
ZH_BODY, EN_BODY = "求助 · 一般 · 138****5678", "Request for help · General · 138****5678"


def speaks(user: Any, language: str) -> None:
    StaffProfile.objects.filter(user=user).update(language=language)


def notice_from_an_english_speaking_actor(people: dict[str, Any], **kwargs: Any) -> list[Notification]:
    with translation.override("en"):
        return notify(
            recipients=[people["alice"], people["bob"]],
            kind="hotline.received",
            params=ORDER,
            body="138****5678",
            url="/hotline/7/",
            actor=people["carol"],
            **kwargs,
        )


@pytest.fixture
def readers(people: dict[str, Any]) -> dict[str, Any]:
    """alice reads Chinese (the installation's language, never changed); bob chose English."""
    speaks(people["bob"], "en")
    return people


def test_what_is_stored_is_codes_and_the_note_never_a_rendered_text(readers):
    for notification in notice_from_an_english_speaking_actor(readers):
        stored = Notification.objects.values("kind", "params", "note").get(pk=notification.pk)
        assert stored == {"kind": "hotline.received", "params": ORDER, "note": "138****5678"}


def test_the_list_page_shows_each_reader_their_language(client, readers):
    notice_from_an_english_speaking_actor(readers)
    client.force_login(readers["alice"])
    html = client.get(reverse("notifications")).content.decode()
    assert ZH_TITLE in html and ZH_BODY in html and EN_TITLE not in html
    client.force_login(readers["bob"])
    html = client.get(reverse("notifications")).content.decode()
    assert EN_TITLE in html and EN_BODY in html and ZH_TITLE not in html


def test_the_api_answers_each_reader_in_their_language(client, readers):
    notice_from_an_english_speaking_actor(readers)
    client.force_login(readers["alice"])
    (item,) = client.get("/api/v1/notifications").json()["items"]
    assert (item["title"], item["body"]) == (ZH_TITLE, ZH_BODY)
    client.force_login(readers["bob"])
    (item,) = client.get("/api/v1/notifications").json()["items"]
    assert (item["title"], item["body"]) == (EN_TITLE, EN_BODY)
    assert item["kind"] == "hotline.received"


def test_the_webhook_speaks_the_readers_language_and_sms_the_installations(readers, channels_on):
    StaffProfile.objects.filter(user=readers["bob"]).update(phone="13900001111")
    notice_from_an_english_speaking_actor(readers)
    for delivery in Delivery.objects.all():
        assert deliver(delivery.pk) == "sent"
    hooks = {hit.json["recipient"]: hit.json for hit in channels_on.hits if hit.path == "/hook"}
    assert (hooks["alice"]["title"], hooks["alice"]["body"]) == (ZH_TITLE, ZH_BODY)
    assert (hooks["bob"]["title"], hooks["bob"]["body"]) == (EN_TITLE, EN_BODY)
    texts = {hit.json["phone"]: hit.json["text"] for hit in channels_on.hits if hit.path == "/sms"}
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert texts == {"13811112222": f"{ZH_TITLE} /hotline/7/", "13900001111": f"{ZH_TITLE} /hotline/7/"}


def test_switching_the_language_in_the_web_ui_switches_what_one_reads(client, people):
    notify(recipients=[people["alice"]], kind="case.overdue", params={"number": "TP-2026-0001"})
    client.force_login(people["alice"])
    assert "TP-2026-0001 已超期" in client.get(reverse("notifications")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert StaffProfile.objects.get(user=people["alice"]).language == "en"
    assert "TP-2026-0001 is overdue" in client.get("/api/v1/notifications").json()["items"][0]["title"]
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})  # not offered: ignored
    assert StaffProfile.objects.get(user=people["alice"]).language == "en"


def test_a_language_chosen_on_the_login_page_is_kept_at_login(client, people):
    people["carol"].set_password("a-long-test-password-1")
    people["carol"].save()
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})  # not signed in yet
    assert StaffProfile.objects.get(user=people["carol"]).language == ""
    client.post(reverse("login"), {"username": "carol", "password": "a-long-test-password-1"})
    assert StaffProfile.objects.get(user=people["carol"]).language == "en"


def test_without_a_choice_one_reads_the_installations_language(people, settings):
    (notice,) = notify(recipients=[people["alice"]], kind="case.overdue", params={"number": "TP-1"})
    assert notice.title == "TP-1 已超期"
    settings.LANGUAGE_CODE = "en"
    assert Notification.objects.get(pk=notice.pk).title == "TP-1 is overdue"


def test_a_title_given_as_is_reads_the_same_in_every_language(readers):
    (alices, bobs) = notify(recipients=[readers["alice"], readers["bob"]], kind="case.overdue", title="已超期")
    assert alices.title == bobs.title == "已超期"
    assert alices.params == {"text": "已超期"}


def test_free_text_a_person_typed_stays_as_typed(readers):
    with translation.override("en"):
        notify(
            recipients=[readers["bob"]],
            kind="case.return",
            params={"number": "TP-2026-0002", "action": "return"},
            body="照片不清楚，请重拍",
        )
    notice = Notification.objects.get(recipient=readers["bob"])
    assert (notice.title, notice.body) == ("TP-2026-0002 Return", "照片不清楚，请重拍")
    assert notice.rendered("zh-hans").title == "TP-2026-0002 回退"


def test_params_a_renderer_cannot_read_show_the_kind_rather_than_fail(people, client):
    (notice,) = notify(recipients=[people["alice"]], kind="case.overdue", params={"numero": "TP-1"})
    assert notice.title == "case.overdue"
    client.force_login(people["alice"])
    assert client.get(reverse("notifications")).status_code == 200


def test_a_kind_needs_a_renderer_or_a_title_and_params_take_no_translated_labels(people):
    with pytest.raises(ValueError):
        notify(recipients=[people["alice"]], kind="nobody.renders_this", params={"number": "1"})
    with pytest.raises(TypeError):
        notify(recipients=[people["alice"]], kind="case.overdue", params={"number": gettext_lazy("Overdue")})
    assert not Notification.objects.exists()


def test_a_family_renderer_covers_its_kinds_and_a_kind_of_its_own_wins():
    assert rendering.renderer_for("case.dispatch") is rendering.renderer_for("case.return")
    assert rendering.renderer_for("case.overdue") is not rendering.renderer_for("case.dispatch")
    assert rendering.renderer_for("nobody.renders_this") is None

"""Photos of a visit: from the API (multipart, as the phone's outbox sends them) and the web
form, checked as a case's, stored encrypted with a thumbnail, served only to who may see the
visit, once per client UUID, and carried by the case made from the finding."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.utils import timezone
from PIL import Image

from gridgov.cases.models import Case, CaseAttachment
from gridgov.visits import services
from gridgov.visits.models import Visit, VisitPhoto

from .conftest import api, home_grid, new_id
from .test_visits import household, unit

pytestmark = pytest.mark.usefixtures("clean_basic_data")
URL = "/api/v1/visits"


def jpeg(colour: tuple[int, int, int] = (40, 90, 160), name: str = "p.jpg") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def send(client: Client, body: dict[str, Any], key: str, *photos: io.BytesIO) -> Any:
    data: dict[str, Any] = {"payload": json.dumps(body), "photos": list(photos)}
    return client.post(URL, data, headers={"Idempotency-Key": key})


def test_the_phone_sends_a_visit_with_photos_once(people: Any, django_capture_on_commit_callbacks: Any) -> None:
    worker = people["grid01"]
    home = household(worker)
    body = {"household_id": home.pk, "visited_at": timezone.now().isoformat(), "finding": "need", "notes": "漏水"}
    key = new_id()
    with django_capture_on_commit_callbacks(execute=True):
        first = send(api(worker), body, key, jpeg(), jpeg((200, 10, 10)))
    assert first.status_code == 201, first.content
    again = send(api(worker), body, key, jpeg(), jpeg((200, 10, 10)))
    assert again.status_code == 200
    assert Visit.objects.count() == 1 and VisitPhoto.objects.count() == 2
    answer = first.json()
    assert len(answer["photos"]) == 2 and answer["photos"] == again.json()["photos"]
    photo = VisitPhoto.objects.order_by("pk").first()
    assert photo is not None and photo.thumbnail and photo.width == 64
    # Encrypted at rest: the file on disk is not a JPEG.
    assert not default_storage.raw_bytes(photo.file.name).startswith(b"\xff\xd8")  # type: ignore[attr-defined]
    thumb = api(worker).get(answer["photos"][0]["thumbnail_url"])
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    assert api(people["gridlead01"]).get(answer["photos"][0]["url"]).status_code == 200
    for outsider in ("grid02", "dept01"):
        assert api(people[outsider]).get(answer["photos"][0]["url"]).status_code == 404
    assert api(worker).get(answer["photos"][0]["url"].replace("display", "nonsense")).status_code == 404


def test_a_bad_photo_refuses_the_visit_and_keeps_nothing(people: Any) -> None:
    worker = people["grid01"]
    home = household(worker)
    body = {"household_id": home.pk, "visited_at": timezone.now().isoformat()}
    broken = io.BytesIO(b"not a picture")
    broken.name = "x.jpg"
    refused = send(api(worker), body, new_id(), broken)
    assert refused.status_code == 422 and "photos" in refused.json()["error"]["details"]
    too_many = send(api(worker), body, new_id(), *[jpeg((n, n, n)) for n in range(services.MAX_PHOTOS + 1)])
    assert too_many.status_code == 422
    assert not Visit.objects.exists() and not VisitPhoto.objects.exists()


def test_the_web_form_records_a_visit_with_a_photo_and_the_page_shows_it(people: Any) -> None:
    worker = people["grid01"]
    shop = unit(worker)
    client = Client()
    client.force_login(worker)
    page = client.get(f"/visits/new/?unit={shop.pk}")
    assert page.status_code == 200 and "太平超市" in page.content.decode()
    key = page.context["form"].initial["idempotency_key"]
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    form = {"visited_at": when, "finding": "hazard", "notes": "灭火器过期", "idempotency_key": key}
    response = client.post(f"/visits/new/?unit={shop.pk}", {**form, "photos": [jpeg()]})
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.unit_id == shop.pk and visit.photos.count() == 1
    # The same form sent again is the same visit.
    assert client.post(f"/visits/new/?unit={shop.pk}", {**form, "photos": [jpeg()]}).status_code == 302
    assert Visit.objects.count() == 1 and VisitPhoto.objects.count() == 1
    photo = visit.photos.get()
    detail = client.get(f"/visits/{visit.pk}/").content.decode()
    assert f"/visits/photos/{photo.pk}/thumbnail/" in detail
    assert client.get(f"/visits/photos/{photo.pk}/thumbnail/").status_code == 200
    leader = Client()
    leader.force_login(people["gridlead01"])
    assert leader.get(f"/visits/{visit.pk}/").status_code == 200
    other = Client()
    other.force_login(people["grid02"])
    assert other.get(f"/visits/{visit.pk}/").status_code == 404
    assert other.get(f"/visits/photos/{photo.pk}/display/").status_code == 404
    assert other.get(f"/visits/new/?unit={shop.pk}").status_code == 404
    center = Client()
    center.force_login(people["center01"])
    assert center.get(f"/visits/new/?unit={shop.pk}").status_code == 403  # the center sees, does not visit
    bad = client.post(f"/visits/new/?unit={shop.pk}", {**form, "idempotency_key": new_id(), "visited_at": "x"})
    assert bad.status_code == 422


def test_the_case_from_a_finding_carries_the_visit_s_photos(people: Any) -> None:
    worker = people["grid01"]
    home = household(worker)
    visit = services.visit_record(
        actor=worker,
        client_id=new_id(),
        household_id=home.pk,
        visited_at=timezone.now() - dt.timedelta(minutes=5),
        finding="hazard",
        notes="楼道堆放杂物",
        photos_in=[jpeg(), jpeg((1, 200, 1))],
    )[0]
    from gridgov.categories.models import Category

    category = Category.objects.filter(parent__isnull=False, is_active=True).order_by("code").first()
    assert category is not None and home_grid(worker) is not None
    case, created = services.visit_case_create(visit, actor=worker, category=category.code)
    assert created and Case.objects.count() == 1
    shas = set(visit.photos.values_list("sha256", flat=True))
    assert set(CaseAttachment.objects.filter(case=case).values_list("sha256", flat=True)) == shas

"""The area admin: edits through the services, GeoJSON import and export."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gridgov.areas.models import Area
from gridgov.areas.services import areas_import
from gridgov.areas.tests.conftest import tree_collection
from gridgov.areas.tests.factories import square
from gridgov.core.models import AuditEvent
from gridgov.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/areas/area/import/"


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


def upload(data: object, name: str = "areas.geojson") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, json.dumps(data).encode(), content_type="application/geo+json")


def test_the_change_list_offers_import_and_export(superuser_client):
    areas_import(actor=None, collection=tree_collection())
    page = superuser_client.get("/admin/areas/area/").content.decode()
    assert IMPORT_URL in page
    assert "/admin/areas/area/export/" in page
    assert "Xinhe Village" in page


def test_an_upload_is_checked_then_previewed_then_imported_on_confirm(superuser_client):
    response = superuser_client.get(IMPORT_URL)
    assert response.status_code == 200

    preview = superuser_client.post(IMPORT_URL, {"file": upload(tree_collection())})
    assert preview.status_code == 200
    assert preview.context["report"].created == 5
    assert not Area.objects.exists()

    done = superuser_client.post(IMPORT_URL, {"confirm": "1", "token": preview.context["token"]})
    assert done.status_code == 302
    assert Area.objects.count() == 5
    assert AuditEvent.objects.get(action="areas.import").actor.username == "root"


def test_an_upload_with_problems_lists_them_by_name_and_imports_nothing(superuser_client):
    collection = tree_collection()
    collection["features"][2]["geometry"] = square(117.205, 38.6)
    response = superuser_client.post(IMPORT_URL, {"file": upload(collection)})
    assert response.status_code == 200
    assert "Grid 1 (12011610420101): overlaps Grid 2 (12011610420102)" in response.content.decode()
    assert "token" not in response.context
    assert not Area.objects.exists()


def test_a_file_that_is_not_json_is_refused_on_the_form(superuser_client):
    response = superuser_client.post(IMPORT_URL, {"file": SimpleUploadedFile("x.geojson", b"\xff{not json")})
    assert response.context["form"].errors["file"]


def test_a_confirm_with_a_foreign_token_does_nothing(superuser_client):
    response = superuser_client.post(IMPORT_URL, {"confirm": "1", "token": "0" * 32})
    assert response.status_code == 302
    assert not Area.objects.exists()


def test_the_export_downloads_geojson(superuser_client):
    areas_import(actor=None, collection=tree_collection())
    response = superuser_client.get("/admin/areas/area/export/?level=grid")
    assert response["Content-Disposition"] == 'attachment; filename="areas-grid.geojson"'
    assert len(json.loads(response.content)["features"]) == 2


def test_adding_an_area_in_the_admin_goes_through_the_services(superuser_client):
    areas_import(actor=None, collection=tree_collection())
    village = Area.objects.get(code="120116104201")
    response = superuser_client.post(
        "/admin/areas/area/add/",
        {
            "code": "12011610420103",
            "name": "Grid 3",
            "level": "grid",
            "parent": village.pk,
            "households": "12",
            "boundary": json.dumps(square(117.2, 38.605, 0.005)),  # overlaps grid 1
            "valid_from": "",
            "valid_to": "",
        },
    )
    assert response.status_code == 200
    assert "overlaps Grid 1" in response.content.decode()

    response = superuser_client.post(
        "/admin/areas/area/add/",
        {
            "code": "12011610420103",
            "name": "Grid 3",
            "level": "grid",
            "parent": village.pk,
            "households": "12",
            "boundary": "null",
            "valid_from": "",
            "valid_to": "",
        },
    )
    assert response.status_code == 302
    grid = Area.objects.get(code="12011610420103")
    assert grid.path == f"{village.path}{grid.pk}/"
    assert AuditEvent.objects.filter(action="area.create", object_id=str(grid.pk)).exists()


def test_changing_an_area_in_the_admin_updates_it_through_the_services(superuser_client):
    areas_import(actor=None, collection=tree_collection())
    grid = Area.objects.get(code="12011610420101")
    response = superuser_client.post(
        f"/admin/areas/area/{grid.pk}/change/",
        {
            "name": "Grid One",
            "households": "330",
            "boundary": json.dumps(grid.boundary),
            "valid_from": "",
            "valid_to": "",
        },
    )
    assert response.status_code == 302
    grid.refresh_from_db()
    assert (grid.name, grid.households) == ("Grid One", 330)
    assert AuditEvent.objects.filter(action="area.update", object_id=str(grid.pk)).exists()


def test_the_add_and_change_pages_render_with_derived_fields_read_only(superuser_client):
    areas_import(actor=None, collection=tree_collection())
    grid = Area.objects.get(code="12011610420101")
    assert superuser_client.get("/admin/areas/area/add/").status_code == 200
    response = superuser_client.get(f"/admin/areas/area/{grid.pk}/change/")
    assert response.status_code == 200
    assert "code" not in response.context["adminform"].form.fields
    assert "path" not in response.context["adminform"].form.fields


def test_a_refused_retirement_leaves_the_other_edits_of_the_same_save_unwritten(superuser_client):
    areas_import(actor=None, collection=tree_collection())
    village = Area.objects.get(code="120116104201")  # still has two current grids
    response = superuser_client.post(
        f"/admin/areas/area/{village.pk}/change/",
        {
            "name": "Renamed Village",
            "households": str(village.households),
            "boundary": json.dumps(village.boundary),
            "valid_from": "",
            "valid_to": "2026-12-31",
        },
    )
    assert response.status_code == 200  # the form is shown again with the error
    village.refresh_from_db()
    assert village.name == "Xinhe Village"
    assert village.valid_to is None
    assert not AuditEvent.objects.filter(action="area.update", object_id=str(village.pk)).exists()

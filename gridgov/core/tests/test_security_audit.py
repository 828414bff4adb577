"""Security events no service records: refusals (403), probes (404), downloads, admin changes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.http import HttpResponse
from django.test import RequestFactory

from gridgov.core.audit import record
from gridgov.core.middleware import DOWNLOAD, FORBIDDEN, NOT_FOUND, SecurityAuditMiddleware
from gridgov.core.models import AuditEvent
from gridgov.people.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def through_middleware(response: HttpResponse, user, path: str = "/api/v1/cases/7/reveal", view_records=False):
    request = RequestFactory().post(path, REMOTE_ADDR="10.2.3.4")
    request.user = user

    def view(request):
        if view_records:
            record(action="case.export", actor=user, request=request)
        return response

    return SecurityAuditMiddleware(view)(request)


def test_a_refusal_of_a_signed_in_user_is_recorded_with_the_path(db):
    user = UserFactory()
    through_middleware(HttpResponse(status=403), user)
    event = AuditEvent.objects.get(action=FORBIDDEN)
    assert event.actor == user and not event.success
    assert event.data == {"method": "POST", "path": "/api/v1/cases/7/reveal", "status": 403}
    assert event.ip_address == "10.2.3.4"


def test_a_probe_for_a_missing_or_hidden_object_is_recorded(db):
    user = UserFactory()
    through_middleware(HttpResponse(status=404), user, path="/api/v1/cases/999999")
    assert AuditEvent.objects.get(action=NOT_FOUND).data["path"] == "/api/v1/cases/999999"


def test_anonymous_requests_and_static_files_are_not_recorded(db):
    from django.contrib.auth.models import AnonymousUser

    through_middleware(HttpResponse(status=404), AnonymousUser())
    through_middleware(HttpResponse(status=404), UserFactory(), path="/static/missing.css")
    assert not AuditEvent.objects.exists()


def test_a_download_is_recorded_unless_its_view_recorded_an_export(db):
    user = UserFactory()
    attachment = HttpResponse(b"x")
    attachment["Content-Disposition"] = 'attachment; filename="report.xlsx"'
    through_middleware(attachment, user, path="/hotline/import/3/report.xlsx")
    event = AuditEvent.objects.get(action=DOWNLOAD)
    assert event.data["disposition"] == 'attachment; filename="report.xlsx"'
    through_middleware(attachment, user, path="/cases/export.xlsx", view_records=True)
    assert AuditEvent.objects.filter(action=DOWNLOAD).count() == 1
    assert AuditEvent.objects.filter(action="case.export").count() == 1


def test_a_missing_object_through_the_api_is_recorded(client, db):
    user = UserFactory()
    client.force_login(user)
    assert client.get("/api/v1/departments/nope").status_code == 404
    assert AuditEvent.objects.filter(action=NOT_FOUND, actor=user, data__path="/api/v1/departments/nope").exists()


def test_an_admin_change_without_a_service_is_mirrored_into_the_audit_log(client, db):
    from gridgov.people import services
    from gridgov.people.tests.factories import TEST_PASSWORD

    root = services.user_create(actor=None, username="root", password=TEST_PASSWORD, is_staff=True, is_superuser=True)
    client.force_login(root)
    response = client.post("/admin/auth/group/add/", {"name": "hotline-desk"})
    assert response.status_code == 302
    group = Group.objects.get(name="hotline-desk")
    event = AuditEvent.objects.get(action="admin.addition")
    assert event.actor == root
    assert (event.object_type, event.object_id) == ("auth.group", str(group.pk))
    assert event.data["repr"] == "hotline-desk"

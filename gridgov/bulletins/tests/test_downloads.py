"""A bulletin's document is downloaded under the name of its town and month, with a
``Content-Disposition`` that old clients read too (RFC 6266), and still only through the
application's check (the files are encrypted at rest: no X-Accel-Redirect)."""

from __future__ import annotations

import urllib.parse
from typing import Any

from django.test import Client
from django.urls import reverse

from gridgov.bulletins import services
from gridgov.bulletins.models import Bulletin
from gridgov.cases.models import Case
from gridgov.cases.tests.test_indices import month  # noqa: F401 - the hand-built March
from gridgov.core.downloads import attachment_disposition

from .test_bulletins import MARCH, client_for, town


def test_a_download_is_named_for_its_town_and_month(people: dict[str, Any], month: dict[str, Case]) -> None:  # noqa: F811
    bulletin = services.bulletin_request(actor=people["center01"], area_code=town().code, month=MARCH)
    assert services.download_name(bulletin, "docx") == "太平镇2026年3月月度通报（第1版）.docx"
    services.bulletin_generate(pk=bulletin.pk)
    client: Client = client_for(people["center01"])
    for url in (
        reverse("bulletins:download", args=[bulletin.pk, "pdf"]),
        f"/api/v1/bulletins/{bulletin.pk}/file.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        disposition = response["Content-Disposition"]
        assert disposition.startswith(f"attachment; filename=\"{town().code}-2026-03-r1.pdf\"; filename*=UTF-8''")
        assert urllib.parse.unquote(disposition.split("''", 1)[1]) == "太平镇2026年3月月度通报（第1版）.pdf"
        assert response["Cache-Control"] == "private, no-store"
    assert Bulletin.objects.get(pk=bulletin.pk).pdf.name.endswith(f"{town().code}-2026-03-r1.pdf")  # stored by code


def test_the_content_disposition_follows_rfc_6266() -> None:
    assert attachment_disposition("cases-20260301.xlsx") == 'attachment; filename="cases-20260301.xlsx"'
    named = attachment_disposition("太平镇 “月报”.pdf", "taiping.pdf")
    encoded = "%E5%A4%AA%E5%B9%B3%E9%95%87%20%E2%80%9C%E6%9C%88%E6%8A%A5%E2%80%9D.pdf"
    assert named == f"attachment; filename=\"taiping.pdf\"; filename*=UTF-8''{encoded}"
    # Without a fallback, an ASCII stand-in; a quote or a backslash never reaches the quoted name.
    assert attachment_disposition('Café "x".pdf').startswith('attachment; filename="Cafe _x.pdf"; filename*=')
    assert attachment_disposition("通报.pdf").startswith('attachment; filename="download.pdf"; filename*=')

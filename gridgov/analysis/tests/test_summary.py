"""Monthly summaries: composed once per area and month from the bulletin's figures and the
weeks, remarked on, recomposed while a draft, made final and reopened only with a reason;
printed as Word and PDF; only the center and the village's own people compose them."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from docx import Document

from gridgov.analysis import services
from gridgov.analysis.models import MonthlySummary, SummaryStatus, WeeklyAnalysis
from gridgov.analysis.tests.test_weekly import TEXT, client_for
from gridgov.areas.models import Area, AreaLevel
from gridgov.cases.tests.loop_helpers import home_grid, report
from gridgov.core.errors import Conflict, Forbidden, Invalid

pytestmark = pytest.mark.django_db


def last_month() -> dt.date:
    return (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def village_of(people: dict[str, Any], who: str = "grid01") -> Area:
    village = home_grid(people[who]).parent
    assert village is not None and village.level == AreaLevel.VILLAGE
    return village


def test_month_weeks_are_the_weeks_ending_in_the_month() -> None:
    assert services.month_weeks(dt.date(2026, 11, 1)) == [
        dt.date(2026, 10, 26),
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 9),
        dt.date(2026, 11, 16),
        dt.date(2026, 11, 23),
    ]


def test_compose_remark_finalize_and_print(people: dict[str, Any]) -> None:
    month = last_month()
    village = village_of(people)
    report(people, at=timezone.make_aware(dt.datetime.combine(month + dt.timedelta(days=3), dt.time(10))))
    week = services.month_weeks(month)[0]
    services.weekly_generate(week, grids=Area.objects.filter(pk=home_grid(people["grid01"]).pk))
    analysis = WeeklyAnalysis.objects.get(week=week, grid=home_grid(people["grid01"]))
    services.weekly_act(actor=people["grid01"], pk=analysis.pk, action="submit", inputs=TEXT)
    services.weekly_act(actor=people["gridlead01"], pk=analysis.pk, action="approve")

    summary = services.summary_compose(actor=people["gridlead01"], area_code=village.code, month=month)
    assert services.summary_compose(actor=people["center01"], area_code=village.code, month=month).pk == summary.pk
    content = summary.figures
    assert content["bulletin"]["cases"]["reported"]["num"] == 1
    assert content["weeks"][0]["late"] == 1  # submitted today, weeks after its deadline
    assert content["analyses"][0]["measures"] == TEXT["measures"]

    services.summary_act(
        actor=people["gridlead01"], pk=summary.pk, action="remark", inputs={"remarks": "继续抓好占道治理。"}
    )
    with pytest.raises(Forbidden):  # a village's leader does not make it final
        services.summary_act(actor=people["gridlead01"], pk=summary.pk, action="finalize")
    services.summary_act(actor=people["center01"], pk=summary.pk, action="finalize")
    summary.refresh_from_db()
    assert summary.status == SummaryStatus.FINAL and summary.remarks == "继续抓好占道治理。"
    with pytest.raises(Conflict):
        services.summary_act(actor=people["center01"], pk=summary.pk, action="recompose")
    with pytest.raises(Invalid):
        services.summary_act(actor=people["center01"], pk=summary.pk, action="reopen")

    client = client_for(people["center01"])
    docx = client.get(reverse("analysis:summary-download", args=[summary.pk, "docx"]))
    assert docx.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "继续抓好占道治理。" in text and village.name in text
    assert zipfile.is_zipfile(io.BytesIO(docx.content))
    pdf = client.get(reverse("analysis:summary-download", args=[summary.pk, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    page = client.get(reverse("analysis:summary-detail", args=[summary.pk]))
    assert page.status_code == 200 and "继续抓好占道治理。" in page.content.decode()


def test_who_may_compose(people: dict[str, Any]) -> None:
    month = last_month()
    town = Area.objects.current().get(level=AreaLevel.TOWN)
    with pytest.raises(Forbidden):
        services.summary_compose(actor=people["grid01"], area_code=village_of(people).code, month=month)
    with pytest.raises(Forbidden):  # a village leader does not compose the town's
        services.summary_compose(actor=people["gridlead01"], area_code=town.code, month=month)
    with pytest.raises(Invalid):
        services.summary_compose(
            actor=people["center01"], area_code=town.code, month=timezone.localdate() + dt.timedelta(days=40)
        )
    summary = services.summary_compose(actor=people["center01"], area_code=town.code, month=month)
    assert (
        client_for(people["gridlead01"]).get(reverse("analysis:summary-detail", args=[summary.pk])).status_code == 404
    )
    assert client_for(people["dept01"]).get(reverse("analysis:summary-list")).status_code == 403


def test_the_pages(people: dict[str, Any]) -> None:
    client: Client = client_for(people["center01"])
    town = Area.objects.current().get(level=AreaLevel.TOWN)
    assert client.get(reverse("analysis:summary-list")).status_code == 200
    bad = client.post(reverse("analysis:summary-list"), {"area": town.code, "month": "never"})
    assert bad.status_code == 422
    made = client.post(reverse("analysis:summary-list"), {"area": town.code, "month": last_month().strftime("%Y-%m")})
    assert made.status_code == 302
    summary = MonthlySummary.objects.get(area=town)
    empty = client.post(reverse("analysis:summary-act", args=[summary.pk, "remark"]), {"version": summary.version})
    assert empty.status_code == 422
    done = client.post(
        reverse("analysis:summary-act", args=[summary.pk, "remark"]), {"version": summary.version, "remarks": "好"}
    )
    assert done.status_code == 302
    stale = client.post(
        reverse("analysis:summary-act", args=[summary.pk, "remark"]), {"version": summary.version, "remarks": "再"}
    )
    assert stale.status_code == 409

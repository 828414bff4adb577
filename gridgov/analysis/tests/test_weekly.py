"""Weekly analyses: the draft's frozen figures, the generation (once per grid and week), the
workflow (worker → grid leader → center, returns, the on-time flag frozen at the first
submission), the overdue sweep, who sees and does what, the figure "weekly analyses on time"
whose every count opens exactly the analyses it counts, and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gridgov.analysis import figures, services
from gridgov.analysis.models import WeeklyAnalysis, WeeklyStatus
from gridgov.areas.models import Area
from gridgov.cases import indices
from gridgov.cases.indices import Dimensions
from gridgov.cases.models import Case
from gridgov.cases.tests.loop_helpers import build, home_grid, report
from gridgov.core.errors import Conflict, Forbidden, Invalid, NotFound
from gridgov.notify.models import Notification
from gridgov.patrols.tests.test_api import stored
from gridgov.people.services import token_issue

pytestmark = pytest.mark.django_db


def monday(weeks_ago: int = 1) -> dt.date:
    return figures.week_of(timezone.localdate()) - dt.timedelta(days=7 * weeks_ago)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def draft(people: dict[str, Any], who: str = "grid01", week: dt.date | None = None) -> WeeklyAnalysis:
    grid = home_grid(people[who])
    week = week or monday()
    services.weekly_generate(week, grids=Area.objects.filter(pk=grid.pk))
    return WeeklyAnalysis.objects.get(grid=grid, week=week)


TEXT = {"analysis": "本周占道停车问题集中在市场周边。", "measures": "联合交警早晚高峰劝导。"}


# --- the figures ------------------------------------------------------------------------------------


def test_the_draft_freezes_the_weeks_figures(people: dict[str, Any]) -> None:
    week = monday()
    before = report(people, at=at(week - dt.timedelta(days=10)))  # carried over, still open
    report(people, at=at(week))
    report(people, at=at(week + dt.timedelta(days=2)))
    report(people, by="grid02", at=at(week + dt.timedelta(days=1)))  # another grid
    stored(people["grid01"], at(week + dt.timedelta(days=1), 9))
    stored(people["grid01"], at(week + dt.timedelta(days=3), 9))

    grid = home_grid(people["grid01"])
    content = figures.compute(grid, week, figures.week_case_figures([grid], week)[grid.path])

    assert content["cases"]["reported"]["num"] == 2
    assert content["categories"] == [{"code": "parking.long_term", "name": "长时间占道停车", "count": 2}] or (
        content["categories"][0]["count"] == 2
    )
    assert content["repeated_categories"][0]["count"] == 2
    assert content["carried_count"] == 1
    assert [row["number"] for row in content["carried"]] == [before.number]
    assert content["open_at_end"] == 3
    assert content["patrols"] == {"count": 2, "distance_m": content["patrols"]["distance_m"], "minutes": 60, "days": 2}


def test_the_weeks_grids_counted_together_give_each_grid_its_own_figures(people: dict[str, Any]) -> None:
    """One query for all the grids of a week gives what the statistics give with the grid as
    the area filter, for every grid (with cases or without) and every figure."""
    last = monday()
    for variant in ("registered", "dispatched", "awaiting_verification", "closed", "voided"):
        build(people, variant)
    report(people, at=at(last))
    report(people, by="grid02", at=at(last + dt.timedelta(days=1)))
    report(people, by="grid02", at=at(last - dt.timedelta(days=3)))
    grids = list(services.current_grids().order_by("code"))
    counted = 0
    for week in (last, figures.week_of(timezone.localdate())):
        together = figures.week_case_figures(grids, week)
        assert set(together) == {grid.path for grid in grids}
        for grid in grids:
            alone = indices.figures(
                Case.objects.all(), figures.week_period(week), Dimensions(area=grid.code), figures.CASE_CODES
            )
            assert together[grid.path].by_code == alone.by_code, (grid.code, week)
            counted += bool(alone["reported"].num)
    assert counted >= 3


def test_generation_makes_one_draft_per_grid_and_week(people: dict[str, Any]) -> None:
    week = monday()
    made = services.weekly_generate(week)
    grids = services.current_grids().count()
    assert made == grids > 2
    assert services.weekly_generate(week) == 0
    assert WeeklyAnalysis.objects.filter(week=week).count() == grids
    analysis = WeeklyAnalysis.objects.filter(week=week).first()
    assert analysis is not None and analysis.status == WeeklyStatus.DRAFT
    assert analysis.due_at > figures.week_period(week).end_at
    assert analysis.events.get().action == "generate"
    with pytest.raises(ValueError):
        services.weekly_generate(week + dt.timedelta(days=1))


def test_the_schedule_makes_last_week_and_catches_up_a_missed_one(people: dict[str, Any]) -> None:
    today = timezone.localdate()
    grid = home_grid(people["grid01"])
    only = Area.objects.filter(pk=grid.pk)
    services.weekly_generate(monday(3), grids=only)
    services.schedule_weekly(today)
    weeks = set(WeeklyAnalysis.objects.filter(grid=grid).values_list("week", flat=True))
    assert {monday(1), monday(2), monday(3)} <= weeks


# --- the workflow ---------------------------------------------------------------------------------


def test_worker_leader_center_with_a_return(people: dict[str, Any]) -> None:
    analysis = draft(people)
    services.weekly_act(actor=people["grid01"], pk=analysis.pk, action="save", inputs={"analysis": "草稿"})
    analysis.refresh_from_db()
    assert analysis.status == WeeklyStatus.DRAFT and analysis.analysis == "草稿"

    submitted_at = analysis.due_at - dt.timedelta(hours=1)
    services.weekly_act(actor=people["grid01"], pk=analysis.pk, action="submit", inputs=TEXT, at=submitted_at)
    analysis.refresh_from_db()
    assert analysis.status == WeeklyStatus.CHECKING
    assert analysis.on_time is True and analysis.submitted_at == submitted_at
    assert Notification.objects.filter(recipient=people["gridlead01"], kind="weekly.submit").exists()

    services.weekly_act(actor=people["gridlead01"], pk=analysis.pk, action="approve", inputs={"comment": "同意"})
    assert Notification.objects.filter(recipient=people["center01"], kind="weekly.approve").exists()
    services.weekly_act(actor=people["center01"], pk=analysis.pk, action="return", inputs={"comment": "措施不具体"})
    analysis.refresh_from_db()
    assert analysis.status == WeeklyStatus.RETURNED and analysis.return_count == 1
    assert Notification.objects.filter(recipient=people["grid01"], kind="weekly.return").exists()

    # Written again after the deadline: still on time (frozen at the first submission).
    late = analysis.due_at + dt.timedelta(days=2)
    services.weekly_act(actor=people["grid01"], pk=analysis.pk, action="submit", inputs=TEXT, at=late)
    services.weekly_act(actor=people["gridlead01"], pk=analysis.pk, action="approve")
    services.weekly_act(actor=people["center01"], pk=analysis.pk, action="accept")
    analysis.refresh_from_db()
    assert analysis.status == WeeklyStatus.ACCEPTED
    assert analysis.on_time is True and analysis.submitted_at == submitted_at
    assert list(analysis.events.order_by("pk").values_list("action", flat=True)) == [
        "generate",
        "save",
        "submit",
        "approve",
        "return",
        "submit",
        "approve",
        "accept",
    ]


def test_refusals(people: dict[str, Any]) -> None:
    analysis = draft(people)
    with pytest.raises(NotFound):  # another grid's worker does not see it
        services.weekly_act(actor=people["grid02"], pk=analysis.pk, action="save", inputs=TEXT)
    with pytest.raises(Forbidden):  # not the leader's step
        services.weekly_act(actor=people["gridlead01"], pk=analysis.pk, action="submit", inputs=TEXT)
    with pytest.raises(Invalid):  # nothing written
        services.weekly_act(actor=people["grid01"], pk=analysis.pk, action="submit", inputs={"analysis": " "})
    with pytest.raises(Invalid):
        services.weekly_act(
            actor=people["grid01"], pk=analysis.pk, action="save", inputs={"analysis": "长" * (services.TEXT_LIMIT + 1)}
        )
    with pytest.raises(Conflict) as stale:
        services.weekly_act(actor=people["grid01"], pk=analysis.pk, action="save", inputs=TEXT, version=99)
    assert stale.value.code == "version_conflict"
    with pytest.raises(Conflict):  # not yet with the center
        services.weekly_act(actor=people["center01"], pk=analysis.pk, action="accept")
    services.weekly_act(actor=people["grid01"], pk=analysis.pk, action="submit", inputs=TEXT)
    with pytest.raises(Invalid):  # sending back needs a reason
        services.weekly_act(actor=people["gridlead01"], pk=analysis.pk, action="send_back")
    with pytest.raises(Forbidden):  # the supervisor reads, does not act
        services.weekly_act(actor=people["super01"], pk=analysis.pk, action="approve")
    analysis.refresh_from_db()
    assert analysis.status == WeeklyStatus.CHECKING


def test_a_grid_without_a_grid_leader_goes_to_the_center(people: dict[str, Any]) -> None:
    from gridgov.people.models import Role, RoleAssignment

    analysis = draft(people)
    RoleAssignment.objects.filter(role=Role.GRID_LEADER, area_id__in=analysis.grid.ancestor_ids()).delete()
    services.weekly_act(actor=people["grid01"], pk=analysis.pk, action="submit", inputs=TEXT)
    analysis.refresh_from_db()
    assert analysis.status == WeeklyStatus.SUBMITTED


def test_late_and_missing_and_the_sweep(people: dict[str, Any]) -> None:
    week = monday()
    services.weekly_generate(week)
    mine = WeeklyAnalysis.objects.get(grid=home_grid(people["grid01"]), week=week)
    other = WeeklyAnalysis.objects.get(grid=home_grid(people["grid02"]), week=week)
    services.weekly_act(
        actor=people["grid01"], pk=mine.pk, action="submit", inputs=TEXT, at=mine.due_at + dt.timedelta(hours=3)
    )
    now = mine.due_at + dt.timedelta(days=1)
    counted = services.timeliness(WeeklyAnalysis.objects.filter(week=week), now)
    total = WeeklyAnalysis.objects.filter(week=week).count()
    assert (counted.due, counted.on_time, counted.late, counted.missing) == (total, 0, 1, total - 1)

    sent = services.sweep_overdue(now)
    assert sent == total - 1
    assert services.sweep_overdue(now) == 0
    assert Notification.objects.filter(recipient=people["grid02"], kind="weekly.overdue").count() == 1
    assert other.events.filter(action="overdue").count() == 1
    assert not mine.events.filter(action="overdue").exists()


def test_timeliness_of_a_period_counts_by_deadline(people: dict[str, Any]) -> None:
    grid = Area.objects.filter(pk=home_grid(people["grid01"]).pk)
    for weeks_ago in (1, 2, 3):
        services.weekly_generate(monday(weeks_ago), grids=grid)
    start = at(monday(2), 0)
    end = at(monday(1), 0) + dt.timedelta(days=7)
    counted = services.weekly_timeliness(WeeklyAnalysis.objects.all(), start, end, end + dt.timedelta(days=30))
    assert counted.due == 2 and counted.missing == 2 and counted.rate == 0.0


# --- pages ------------------------------------------------------------------------------------------


def test_every_tile_of_the_list_opens_the_analyses_it_counts(people: dict[str, Any]) -> None:
    week = monday(2)  # deadlines have come
    services.weekly_generate(week)
    mine = WeeklyAnalysis.objects.get(grid=home_grid(people["grid01"]), week=week)
    services.weekly_act(actor=people["grid01"], pk=mine.pk, action="submit", inputs=TEXT, at=mine.due_at)
    client = client_for(people["center01"])
    page = client.get(reverse("analysis:weekly-list"), {"week": week.isoformat()})
    assert page.status_code == 200
    tiles = page.context["tiles"]
    assert [tile["count"] for tile in tiles][:2] == [WeeklyAnalysis.objects.filter(week=week).count(), 1]
    for tile in tiles:
        listed = client.get(reverse("analysis:weekly-list") + tile["url"])
        assert len(listed.context["items"]) == tile["count"], tile


def test_the_pages_of_a_worker(people: dict[str, Any]) -> None:
    analysis = draft(people)
    client = client_for(people["grid01"])
    page = client.get(reverse("analysis:weekly-detail", args=[analysis.pk]))
    assert page.status_code == 200
    # One form for the two texts: submit, and a second button that saves.
    assert [item["action"] for item in page.context["actions"]] == ["submit"]
    assert page.content.decode().count('name="analysis"') == 1
    assert page.content.decode().count('name="measures"') == 1
    save_url = reverse("analysis:weekly-act", args=[analysis.pk, "save"])
    assert f'formaction="{save_url}"' in page.content.decode()
    answer = client.post(
        reverse("analysis:weekly-act", args=[analysis.pk, "submit"]), {"version": analysis.version, "analysis": ""}
    )
    assert answer.status_code == 422
    answer = client.post(
        reverse("analysis:weekly-act", args=[analysis.pk, "submit"]), {"version": analysis.version, **TEXT}
    )
    assert answer.status_code == 302
    analysis.refresh_from_db()
    assert analysis.status == WeeklyStatus.CHECKING
    stale = client.post(reverse("analysis:weekly-act", args=[analysis.pk, "save"]), {"version": 1, **TEXT})
    assert stale.status_code in (403, 409)
    assert client.get(reverse("analysis:weekly-list")).status_code == 200
    other = draft(people, "grid02")
    assert client.get(reverse("analysis:weekly-detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("home")).status_code == 200


def test_the_rollup_and_who_may_read(people: dict[str, Any]) -> None:
    services.weekly_generate(monday())
    page = client_for(people["center01"]).get(reverse("analysis:weekly-rollup"), {"week": monday().isoformat()})
    assert page.status_code == 200
    assert page.context["total"]["grids"] == WeeklyAnalysis.objects.filter(week=monday()).count()
    assert client_for(people["dept01"]).get(reverse("analysis:weekly-list")).status_code == 403
    assert client_for(people["dept01"]).get(reverse("analysis:weekly-rollup")).status_code == 403
    seen = client_for(people["grid02"]).get(reverse("analysis:weekly-list"), {"week": monday().isoformat()})
    assert [item.grid.code for item, _light in seen.context["items"]] == [home_grid(people["grid02"]).code]


# --- API ----------------------------------------------------------------------------------------------


def test_the_api(people: dict[str, Any]) -> None:
    analysis = draft(people)
    _token, raw = token_issue(actor=people["grid01"], user=people["grid01"], name="test")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    listed = api.get("/api/v1/analysis/weekly", {"week": monday().isoformat()}).json()
    assert [item["id"] for item in listed["items"]] == [analysis.pk]
    one = api.get(f"/api/v1/analysis/weekly/{analysis.pk}").json()
    assert one["allowed_actions"] == ["save", "submit"] and one["figures"]["format"] == figures.FORMAT
    refused = api.post(f"/api/v1/analysis/weekly/{analysis.pk}/submit", {}, content_type="application/json")
    assert refused.status_code == 422
    done = api.post(
        f"/api/v1/analysis/weekly/{analysis.pk}/submit",
        {**TEXT, "version": one["version"]},
        content_type="application/json",
    )
    assert done.status_code == 200 and done.json()["status"] == WeeklyStatus.CHECKING
    stale = api.post(
        f"/api/v1/analysis/weekly/{analysis.pk}/save",
        {**TEXT, "version": one["version"]},
        content_type="application/json",
    )
    assert stale.status_code == 409


def test_a_step_sent_twice_with_one_key_is_taken_once(people: dict[str, Any]) -> None:
    """The phone's path: an outbox record is sent with its UUID as the Idempotency-Key and the
    version it was written on; the first answer is lost, the retry answers the same result."""
    analysis = draft(people)
    _token, raw = token_issue(actor=people["grid01"], user=people["grid01"], name="phone")
    phone = Client(headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": "5f0c6a52-0d4e-4f3b-9a57-1c2b3d4e"})
    url = f"/api/v1/analysis/weekly/{analysis.pk}/submit"
    body = {**TEXT, "version": analysis.version}
    first = phone.post(url, body, content_type="application/json")
    again = phone.post(url, body, content_type="application/json")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json() and first.json()["status"] == WeeklyStatus.CHECKING
    assert analysis.events.filter(action="submit").count() == 1
    assert Notification.objects.filter(recipient=people["gridlead01"], kind="weekly.submit").count() == 1
    # The key sent with other texts is refused, nothing is taken.
    other = phone.post(url, {**body, "measures": "另一条措施。"}, content_type="application/json")
    assert other.status_code == 422
    analysis.refresh_from_db()
    assert analysis.measures == TEXT["measures"] and analysis.events.count() == 2
    # The leader's step with their own key: twice, once.
    _token, lead = token_issue(actor=people["gridlead01"], user=people["gridlead01"], name="phone")
    leader = Client(headers={"Authorization": f"Bearer {lead}", "Idempotency-Key": "leader-key-1"})
    back = f"/api/v1/analysis/weekly/{analysis.pk}/send_back"
    sent = {"comment": "措施再具体些。", "version": analysis.version}
    assert leader.post(back, sent, content_type="application/json").status_code == 200
    assert leader.post(back, sent, content_type="application/json").json()["status"] == WeeklyStatus.RETURNED
    assert analysis.events.filter(action="send_back").count() == 1


def test_without_a_key_a_second_step_is_refused_as_before(people: dict[str, Any]) -> None:
    analysis = draft(people)
    services.weekly_act(actor=people["grid01"], pk=analysis.pk, action="submit", inputs=TEXT, version=analysis.version)
    with pytest.raises(Conflict):
        services.weekly_act(
            actor=people["grid01"], pk=analysis.pk, action="submit", inputs=TEXT, version=analysis.version
        )


def test_grids_and_villages_come_in_the_order_of_their_codes(people: dict[str, Any]) -> None:
    week = monday()
    services.weekly_generate(week)
    center = client_for(people["center01"])
    page = center.get(reverse("analysis:weekly-list"), {"week": week.isoformat()})
    codes = [item.grid.code for item, _light in page.context["items"]]
    assert len(codes) > 10 and codes == sorted(codes)
    _token, raw = token_issue(actor=people["center01"], user=people["center01"], name="test")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    listed = api.get("/api/v1/analysis/weekly", {"week": week.isoformat()})
    grids = [item["grid"] for item in listed.json()["items"]]
    assert grids == codes
    rollup = center.get(reverse("analysis:weekly-rollup"), {"week": week.isoformat()})
    names = [entry["name"] for entry in rollup.context["villages"]]
    villages = list(Area.objects.current().filter(level="village").order_by("code").values_list("name", flat=True))
    assert names == [name for name in villages if name in names]
    choices = [area.code for area in rollup.context["areas"]]
    assert choices == sorted(choices)

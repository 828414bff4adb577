from gridgov.areas.models import Area
from gridgov.cases import services
from gridgov.cases.models import Case, Status
from gridgov.cases.tests.loop_helpers import action_photo


def _grid_point(user):
    from gridgov.access.scope import scope_for

    area_id = next(a for r, a, d in scope_for(user).assignments if a)
    grid = Area.objects.get(pk=area_id)
    return grid.center_lat, grid.center_lng


def test_whole_loop(people):
    grid01 = people["grid01"]
    lat, lng = _grid_point(grid01)
    case, created = services.case_create(
        actor=grid01, category="parking.long_term", description="车辆长期占道", lat=lat, lng=lng, idempotency_key="k1"
    )
    assert created and case.status == Status.REPORTED and case.stage_deadline
    again, created = services.case_create(
        actor=grid01, category="parking.long_term", description="车辆长期占道", lat=lat, lng=lng, idempotency_key="k1"
    )
    assert not created and again.pk == case.pk
    center = people["center01"]
    services.case_act(case.pk, "register", actor=center)
    services.case_act(case.pk, "dispatch", actor=center, departments=["traffic_police"])
    services.case_act(case.pk, "acknowledge", actor=people["dept01"])
    services.case_act(
        case.pk, "report_back", actor=people["dept01"], result="已拖离", photos_in=action_photo("report_back")
    )
    case = services.case_act(
        case.pk, "verify_pass", actor=grid01, comment="现场已恢复", photos_in=action_photo("verify_pass")
    )
    assert case.status == Status.CLOSED
    assert list(case.events.values_list("action", flat=True)) == [
        "report",
        "register",
        "dispatch",
        "acknowledge",
        "report_back",
        "verify_pass",
    ]
    assert case.stages.filter(on_time__isnull=True).count() == 0
    assert Case.objects.count() == 1

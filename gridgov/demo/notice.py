"""The staff public notice for the demo: Taiping's grid workers and grid leaders published (their
drawn avatars, a work phone, duties, service hours), the discipline office's supervision phone,
posters of a few grids (one of them to reprint after a change), residents' reports in various
states with their tracking codes, and one conduct complaint. Everything goes through the
notice's services; it runs only while no public report exists."""

from __future__ import annotations

import datetime as dt
import random
from typing import Final

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from gridgov.areas.models import Area
from gridgov.cases.services import Action, case_act
from gridgov.categories.models import Category
from gridgov.notice import selectors, services
from gridgov.notice.models import Publication, PublicReport
from gridgov.people.models import Role
from gridgov.people.selectors import role_assignments
from gridgov.workcalendar import calendar

from .loader import check_allowed
from .taiping import TOWN_CODE
from .timing import working_before

SUPERVISION_PHONE: Final = "022-63320110"
SERVICE_HOURS: Final = "周一至周五 8:30-12:00、14:00-17:30"
DUTIES: Final = {
    Role.GRID_WORKER: "网格巡查、信息采集、矛盾纠纷排查、政策宣传、群众诉求收集上报",
    Role.GRID_LEADER: "统筹本村网格工作、督促网格员履职、协调处置上报事项",
}
HOURS: Final = "工作日 8:30—17:30，紧急情况随时联系"
# Work phones: Tianjin numbers (022) of the town's exchanges, the last four digits drawn so that
# they look like real office lines (no 0000, 9999 or a run of one digit), each used once.
PHONE_SEED: Final = 20260067
PHONE_EXCHANGES: Final = ("6332", "6333", "6339")
# The residents' reports: (the category's name, text, state, working minutes before the load
# when it came in). The center registers or voids a report within the hour of office time.
REPORTS: Final = (
    ("路灯不亮", "路灯不亮，晚上行人看不清路，请尽快维修。", "reported", 12),
    ("井盖缺失或破损", "小区门口的下水道井盖松动，车辆经过有响声，存在安全隐患。", "registered", 150),
    ("乱张贴小广告", "出售各类发票，联系电话见图。", "spam", 420),
)


def work_phones(count: int, *, seed: int = PHONE_SEED) -> list[str]:
    """``count`` different office numbers like ``022-63324817``, the same for the same seed."""
    rng = random.Random(seed)
    phones: list[str] = []
    while len(phones) < count:
        tail = f"{rng.randrange(10_000):04d}"
        if len(set(tail)) < 3 or tail[0] == "0":
            continue  # 0000, 9999, 1100: numbers an official would take for placeholders
        phone = f"022-{rng.choice(PHONE_EXCHANGES)}{tail}"
        if phone not in phones:
            phones.append(phone)
    return phones


def _public_url(grid: Area) -> str:
    base = getattr(settings, "GRIDGOV_PUBLIC_BASE_URL", "") or "http://localhost:8000"
    return base.rstrip("/") + reverse("notice:public", args=[grid.code])


def load_demo_notice(*, allow_production_db: bool = False, reports: bool = True, now: dt.datetime | None = None) -> int:
    """Publish the notice and add its demo rows (the residents' reports, which are cases, and the
    complaint only with ``reports``); returns how many people were published. The reports and the
    complaint came in before ``now``, each at a time of its own."""
    check_allowed(allow_production_db=allow_production_db)
    now = now or timezone.now()
    if PublicReport.objects.exists() or Publication.objects.exists():
        return 0
    town = Area.objects.current().get(code=TOWN_CODE)
    center = get_user_model().objects.get(username="center01")
    services.notice_setting_save(
        actor=center, town=town, supervision_phone=SUPERVISION_PHONE, service_hours=SERVICE_HOURS
    )
    published = 0
    public = Q(role__in=selectors.PUBLIC_ROLES, area__path__startswith=town.path)
    rows = list(role_assignments(public).order_by("user_id"))
    # One more than the people: grid01's new number after the posters are printed.
    phones = work_phones(len(rows) + 1)
    for row, phone in zip(rows, phones, strict=False):
        services.publication_save(
            actor=center,
            user=row.user,
            published=True,
            display_name="",
            show_photo=True,
            work_phone=phone,
            duties=DUTIES[Role(row.role)],
            # Grid leaders show the town's service hours.
            service_hours=HOURS if row.role == Role.GRID_WORKER else "",
        )
        published += 1
    worker = get_user_model().objects.get(username="grid01")
    home = Area.objects.get(
        pk=role_assignments(Q(user=worker, role=Role.GRID_WORKER)).values_list("area_id", flat=True)[0]
    )
    grids = [home, *selectors.town_grids(town).exclude(pk=home.pk)[:3]]
    for grid in grids:
        services.poster_generate(actor=center, grid=grid, public_url=_public_url(grid))
    # A change after printing: the home grid's board is to reprint.
    publication = worker.publication
    services.publication_save(
        actor=center,
        user=worker,
        published=True,
        display_name=publication.display_name,
        show_photo=True,
        work_phone=phones[-1],
        duties=publication.duties,
        service_hours=publication.service_hours,
    )
    if not reports:
        return published
    minors = Category.objects.filter(parent__isnull=False, is_active=True).order_by("code")
    for number, (name, text, state, before) in enumerate(REPORTS):
        category = minors.filter(name=name).first() or minors.first()
        assert category is not None
        received = working_before(now, before)
        handled = calendar.add_working_minutes(received, min(before / 3, 60))
        report = services.public_report_submit(
            client=f"demo-{number}",
            area=home,
            category=category.code,
            description=text,
            name="" if number else "李女士",
            phone="" if number else "13612345678",
            at=received,
        )
        if state == "registered":
            case_act(report.case_id, Action.REGISTER, actor=center, at=handled)
        elif state == "spam":
            services.report_mark_spam(actor=center, report=report, reason="广告信息", at=handled)
    # Sent last night from the grid's page (at least six hours before ``now``, so just after
    # midnight it is the night before); the office has not taken it up yet.
    evening = timezone.localtime(now - dt.timedelta(days=1)).replace(hour=21, minute=17, second=0, microsecond=0)
    if now - evening < dt.timedelta(hours=6):
        evening -= dt.timedelta(days=1)
    services.complaint_submit(
        client="demo-complaint",
        area=home,
        concerning_id=worker.pk,
        text="上门办事时态度生硬，让我们自己去镇里问，没有帮忙上报。",
        name="",
        phone="",
        at=evening,
    )
    return published

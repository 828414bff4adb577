"""Assessment services: schemes and their versions, periods and their computation into frozen
snapshots, manual scores, bonus and penalty points, publication, appeals with their adjustment,
and rewards and penalties; with who sees what.

Every write is a service here or a step of the three workflows (:mod:`.transitions`), in a
transaction, with its audit row (``assessment.*``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gridgov.access.scope import scope_for
from gridgov.areas.models import Area, AreaLevel
from gridgov.areas.selectors import areas_visible
from gridgov.core.actors import Actor, signed_in, signed_in_user
from gridgov.core.audit import record
from gridgov.core.claims import claim
from gridgov.core.errors import Conflict, Forbidden, Invalid, NotFound
from gridgov.core.workflow import Step, Workflow
from gridgov.people.models import DepartmentKind, Role
from gridgov.people.selectors import active_departments, area_role_assignments, display_name, role_holder_ids
from gridgov.workcalendar.calendar import add_working_days

from .. import scoring
from ..indicators import INDICATORS, Target, Window, misses
from ..models import (
    Adjustment,
    Appeal,
    AppealStatus,
    Attachment,
    Decision,
    Entry,
    EntryKind,
    ItemKind,
    ManualScore,
    NoData,
    Period,
    PeriodKind,
    PeriodStatus,
    Result,
    Sanction,
    SanctionKind,
    SanctionStatus,
    Scheme,
    SchemeItem,
    Snapshot,
    SnapshotStatus,
    TargetType,
)
from ..transitions import (
    APPEAL_LABELS,
    APPEAL_ROWS,
    PERIOD_LABELS,
    PERIOD_ROWS,
    SANCTION_LABELS,
    SANCTION_ROWS,
    AppealAction,
    Party,
    PeriodAction,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    from gridgov.core.models import AuditEvent

logger = logging.getLogger("gridgov.assessment")

# Who runs the assessment (schemes, periods, scores, decisions): the center.
MANAGER_ROLES: Final = frozenset({Role.CENTER_OPERATOR, Role.ADMIN})
# Who reads every result of the town at any time: the center, the town's leaders, the discipline office.
READER_ROLES: Final = frozenset({*MANAGER_ROLES, Role.TOWN_LEADER, Role.SUPERVISOR})
VILLAGE_ROLES: Final = frozenset({Role.GRID_LEADER, Role.VILLAGE_STAFF})
SEEN_BY_ASSESSED: Final = (PeriodStatus.PUBLISHED, PeriodStatus.FINAL)
OPEN_APPEALS: Final = (AppealStatus.SUBMITTED, AppealStatus.PROPOSED)
TEXT_LIMIT: Final = 4000
PROGRESS_TTL: Final = 3600
CLAIM_TTL: Final = 15 * 60
MAX_FILES: Final = 5
FILE_LIMIT: Final = 10 * 1024 * 1024
FILE_TYPES: Final = (".pdf", ".jpg", ".jpeg", ".png", ".docx", ".xlsx")


# --- who sees what --------------------------------------------------------------------------------


def towns_with(user: User | AnonymousUser, roles: Iterable[str]) -> QuerySet[Area]:
    """The towns over which ``user`` holds one of ``roles`` (a superuser: every town)."""
    wanted = set(roles)
    towns = areas_visible(user).filter(level=AreaLevel.TOWN)
    if getattr(user, "is_superuser", False):
        return towns
    scope = scope_for(user)
    return towns.filter(pk__in=[town.pk for town in towns if scope.roles_for_area(town) & wanted])


def managed_towns(user: User | AnonymousUser) -> QuerySet[Area]:
    return towns_with(user, MANAGER_ROLES)


def read_towns(user: User | AnonymousUser) -> QuerySet[Area]:
    return towns_with(user, READER_ROLES)


def is_manager(user: User | AnonymousUser, town_id: int) -> bool:
    return managed_towns(user).filter(pk=town_id).exists()


def own_results_q(user: User | AnonymousUser) -> Q:
    """The results that are the user's own: as a person, as a village's leader or staff, as a
    department's handler."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    scope = scope_for(user)
    villages = [area for role, area, _d in scope.assignments if role in VILLAGE_ROLES and area]
    mine = Q(user_id=user.pk, target_type__in=(TargetType.GRID_WORKER, TargetType.GRID_LEADER))
    mine |= Q(target_type=TargetType.VILLAGE, area_id__in=villages)
    if scope.department_ids:
        mine |= Q(target_type=TargetType.DEPARTMENT, department_id__in=scope.department_ids)
    return mine


def led_results_q(user: User | AnonymousUser) -> Q:
    """The results of the grid workers a grid leader leads: those of the grids of their villages
    (a grid leader follows their workers' results with them; the workers' appeals, rewards and
    penalties stay theirs and the center's)."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    led = Q(pk__in=[])
    for path in scope_for(user).paths_for_roles(Role.GRID_LEADER):
        led |= Q(target_type=TargetType.GRID_WORKER, area__path__startswith=path)
    return led


def seen_results_q(user: User | AnonymousUser) -> Q:
    """The results the assessed see once published: their own, and a grid leader's workers'."""
    return own_results_q(user) | led_results_q(user)


def results_visible(user: User | AnonymousUser) -> QuerySet[Result]:
    """Every result of the town for its readers (any snapshot); for the assessed their own (and a
    grid leader's workers'), of the snapshot in force of a published or final period."""
    if not getattr(user, "is_authenticated", False):
        return Result.objects.none()
    readable = Q(snapshot__period__town__in=read_towns(user).values("pk"))
    published = Q(snapshot__period__status__in=SEEN_BY_ASSESSED, snapshot__period__current_id=F("snapshot_id"))
    return Result.objects.filter(readable | (published & seen_results_q(user))).select_related(
        "snapshot__period", "scheme"
    )


def periods_visible(user: User | AnonymousUser) -> QuerySet[Period]:
    """Every period of the reader's towns; for the assessed, the published and final periods in
    which they have a result."""
    if not getattr(user, "is_authenticated", False):
        return Period.objects.none()
    mine = Result.objects.filter(seen_results_q(user), snapshot__period__status__in=SEEN_BY_ASSESSED).values(
        "snapshot__period_id"
    )
    query = Q(town__in=read_towns(user).values("pk")) | Q(pk__in=mine)
    return Period.objects.filter(query).select_related("town", "current")


def period_get(user: User | AnonymousUser, pk: int) -> Period:
    try:
        return periods_visible(user).get(pk=pk)
    except Period.DoesNotExist:
        raise NotFound(_("No such assessment period.")) from None


def is_reader(user: User | AnonymousUser, period: Period) -> bool:
    return read_towns(user).filter(pk=period.town_id).exists()


def result_get(user: User | AnonymousUser, pk: int) -> Result:
    try:
        return results_visible(user).get(pk=pk)
    except Result.DoesNotExist:
        raise NotFound(_("No such result.")) from None


def schemes_visible(user: User | AnonymousUser) -> QuerySet[Scheme]:
    return Scheme.objects.filter(town__in=read_towns(user).values("pk")).select_related("town")


def scheme_get(user: User | AnonymousUser, pk: int) -> Scheme:
    try:
        return schemes_visible(user).get(pk=pk)
    except Scheme.DoesNotExist:
        raise NotFound(_("No such scheme.")) from None


def appeals_visible(user: User | AnonymousUser) -> QuerySet[Appeal]:
    if not getattr(user, "is_authenticated", False):
        return Appeal.objects.none()
    query = Q(period__town__in=read_towns(user).values("pk")) | Q(appellant_id=user.pk)
    return Appeal.objects.filter(query).select_related("result", "period", "appellant")


def appeal_get(user: User | AnonymousUser, pk: int) -> Appeal:
    try:
        return appeals_visible(user).get(pk=pk)
    except Appeal.DoesNotExist:
        raise NotFound(_("No such appeal.")) from None


def sanctions_visible(user: User | AnonymousUser) -> QuerySet[Sanction]:
    """The town's for its readers; the assessed see their own confirmed ones once published."""
    if not getattr(user, "is_authenticated", False):
        return Sanction.objects.none()
    own = Q(
        result__in=Result.objects.filter(own_results_q(user)).values("pk"),
        status=SanctionStatus.CONFIRMED,
        period__status__in=SEEN_BY_ASSESSED,
    )
    query = Q(period__town__in=read_towns(user).values("pk")) | own
    return Sanction.objects.filter(query).select_related("result", "period")


def sanction_get(user: User | AnonymousUser, pk: int) -> Sanction:
    try:
        return sanctions_visible(user).get(pk=pk)
    except Sanction.DoesNotExist:
        raise NotFound(_("No such reward or penalty.")) from None


# --- schemes --------------------------------------------------------------------------------------


def _decimal(value: Any, field: str, low: Decimal = Decimal(0), high: Decimal = Decimal(1000)) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Invalid.field(field, _("Write a number.")) from None
    if not number.is_finite() or not low <= number <= high:
        raise Invalid.field(field, _("Write a number from %(low)s to %(high)s.") % {"low": low, "high": high})
    return scoring.money(number)


def clean_items(target_type: str, items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The scheme's items checked: codes unique, automatic items on a figure of the registry that
    applies to the target type with a valid rule, weights adding up to 100."""
    if not items:
        raise Invalid.field("items", _("A scheme needs at least one item."))
    found: list[dict[str, Any]] = []
    codes: set[str] = set()
    total = Decimal(0)
    for number, item in enumerate(items, start=1):
        field = f"items.{number}"
        code = str(item.get("code") or "").strip()[:40]
        label = str(item.get("label") or "").strip()[:80]
        if not code or not code.replace("_", "").replace("-", "").isalnum() or not code.isascii():
            raise Invalid.field(field, _("Item %(n)s: give it a code (letters, digits, _).") % {"n": number})
        if code in codes:
            raise Invalid.field(field, _("Item %(n)s: the code %(code)s is used twice.") % {"n": number, "code": code})
        codes.add(code)
        if not label:
            raise Invalid.field(field, _("Item %(n)s: give it a name.") % {"n": number})
        kind = item.get("kind")
        weight = _decimal(item.get("weight"), field, Decimal(0), Decimal(100))
        no_data = item.get("no_data") or NoData.FULL
        if no_data not in NoData.values:
            raise Invalid.field(field, _("Item %(n)s: choose what it scores without data.") % {"n": number})
        clean: dict[str, Any] = {
            "code": code,
            "label": label,
            "kind": kind,
            "weight": str(weight),
            "no_data": no_data,
            "indicator": "",
            "rule": {},
        }
        if kind == ItemKind.AUTO:
            indicator = INDICATORS.get(str(item.get("indicator") or ""))
            if indicator is None:
                raise Invalid.field(field, _("Item %(n)s: choose the figure it reads.") % {"n": number})
            if target_type not in indicator.targets:
                raise Invalid.field(
                    field, _("Item %(n)s: this figure does not apply to the assessed chosen.") % {"n": number}
                )
            clean["indicator"] = indicator.code
            clean["rule"] = scoring.check_rule(item.get("rule") or {}, field)
        elif kind != ItemKind.MANUAL:
            raise Invalid.field(field, _("Item %(n)s: choose automatic or scored by the assessor.") % {"n": number})
        total += weight
        found.append(clean)
    if total != 100:
        raise Invalid.field("items", _("The weights add up to %(total)s; they must add up to 100.") % {"total": total})
    return found


def scheme_save(
    *,
    actor: User | AnonymousUser,
    town_code: str,
    family: str,
    name: str,
    target_type: str,
    items: Sequence[Mapping[str, Any]],
    bonus_cap: Any = 5,
    penalty_cap: Any = 10,
    note: str = "",
) -> Scheme:
    """Create a scheme, or change one: its current version in place while no computed period
    used it, else a new version (the old one stays frozen, and periods keep using it)."""
    town = managed_towns(actor).filter(code=town_code).first()
    if town is None:
        raise Forbidden(_("You may not configure the assessment of this town."))
    if target_type not in TargetType.values:
        raise Invalid.field("target_type", _("Choose who is assessed."))
    family = str(family).strip()[:40]
    if not family or not family.replace("-", "").replace("_", "").isalnum() or not family.isascii():
        raise Invalid.field("family", _("Give the scheme a code (letters, digits, -)."))
    name = str(name).strip()[:120]
    if not name:
        raise Invalid.field("name", _("Give the scheme a name."))
    clean = clean_items(target_type, list(items))
    bonus = _decimal(bonus_cap, "bonus_cap", high=Decimal(100))
    penalty = _decimal(penalty_cap, "penalty_cap", high=Decimal(100))
    user = signed_in_user(actor)
    with transaction.atomic():
        current = Scheme.objects.select_for_update().filter(town=town, family=family, replaced=False).first()
        if current is not None and current.target_type != target_type:
            raise Invalid.field("target_type", _("A scheme keeps who it assesses; make a new scheme instead."))
        if current is not None and current.frozen_at is None:
            scheme = current
            scheme.name, scheme.bonus_cap, scheme.penalty_cap, scheme.note = name, bonus, penalty, note[:TEXT_LIMIT]
            scheme.save(update_fields=["name", "bonus_cap", "penalty_cap", "note"])
            scheme.items.all().delete()
            action = "assessment.scheme_change"
        else:
            version = 1
            if current is not None:
                current.replaced = True
                current.save(update_fields=["replaced"])
                version = current.version + 1
            scheme = Scheme.objects.create(
                town=town,
                family=family,
                version=version,
                name=name,
                target_type=target_type,
                bonus_cap=bonus,
                penalty_cap=penalty,
                note=note[:TEXT_LIMIT],
                created_by=user,
            )
            action = "assessment.scheme_version" if current is not None else "assessment.scheme_create"
        SchemeItem.objects.bulk_create(
            SchemeItem(
                scheme=scheme,
                position=position,
                code=item["code"],
                label=item["label"],
                kind=item["kind"],
                indicator=item["indicator"],
                weight=Decimal(item["weight"]),
                rule=item["rule"],
                no_data=item["no_data"],
            )
            for position, item in enumerate(clean)
        )
        record(
            action=action,
            actor=actor,
            obj=scheme,
            data={"family": family, "version": scheme.version, "items": [i["code"] for i in clean]},
        )
    return scheme


def scheme_frozen(scheme: Scheme) -> dict[str, Any]:
    """The scheme as a snapshot keeps it."""
    return {
        "id": scheme.pk,
        "family": scheme.family,
        "version": scheme.version,
        "name": scheme.name,
        "target_type": scheme.target_type,
        "bonus_cap": str(scheme.bonus_cap),
        "penalty_cap": str(scheme.penalty_cap),
        "items": [
            {
                "code": item.code,
                "label": item.label,
                "kind": item.kind,
                "indicator": item.indicator,
                "weight": str(item.weight),
                "rule": item.rule,
                "no_data": item.no_data,
            }
            for item in scheme.items.all()
        ],
    }


def current_schemes(town: Area) -> QuerySet[Scheme]:
    return Scheme.objects.filter(town=town, replaced=False)


# --- targets --------------------------------------------------------------------------------------


def targets_of(town: Area, target_type: str, key: str = "") -> list[Target]:
    """Everyone a scheme of ``target_type`` assesses in ``town``, in a stable order (only the
    one whose key is ``key``, when given)."""
    kind, _sep, value = key.partition(":")
    inside = Q(area__path__startswith=town.path)
    if kind == "user":
        inside &= Q(user_id=int(value) if value.isdigit() else 0)
    if target_type in (TargetType.GRID_WORKER, TargetType.GRID_LEADER):
        role = Role.GRID_WORKER if target_type == TargetType.GRID_WORKER else Role.GRID_LEADER
        by_user: dict[int, list[Any]] = {}
        users: dict[int, Any] = {}
        for assignment in area_role_assignments(role, inside & Q(user__is_active=True)).order_by("area__path"):
            by_user.setdefault(assignment.user_id, []).append(assignment.area)
            users[assignment.user_id] = assignment.user
        found = []
        for user_id, areas in by_user.items():
            if target_type == TargetType.GRID_WORKER:
                grids = [a for a in areas if a.level == AreaLevel.GRID]
            else:
                grids = list(Area.objects.current().filter(level=AreaLevel.GRID, parent__in=areas).order_by("code"))
            found.append(
                Target(
                    type=target_type,
                    key=f"user:{user_id}",
                    label=display_name(users[user_id]),
                    user_id=user_id,
                    area_id=areas[0].pk,
                    area_code=areas[0].code if len(areas) == 1 else "",
                    paths=tuple(a.path for a in areas),
                    grid_ids=tuple(g.pk for g in grids),
                )
            )
        return sorted(found, key=lambda t: (t.paths, t.key))
    if target_type == TargetType.VILLAGE:
        villages = Area.objects.current().filter(level=AreaLevel.VILLAGE, path__startswith=town.path).order_by("code")
        if kind == "area":
            villages = villages.filter(code=value)
        return [
            Target(
                type=target_type,
                key=f"area:{village.code}",
                label=village.name,
                area_id=village.pk,
                area_code=village.code,
                paths=(village.path,),
                grid_ids=tuple(
                    Area.objects.current().filter(level=AreaLevel.GRID, parent=village).values_list("pk", flat=True)
                ),
            )
            for village in villages
        ]
    above = [int(part) for part in town.path.strip("/").split("/") if part]
    # A village committee is a department in the register but is assessed as its village.
    departments = (
        active_departments()
        .exclude(kind=DepartmentKind.VILLAGE)
        .filter(Q(areas__path__startswith=town.path) | Q(areas__pk__in=above))
        .distinct()
        .order_by("sort_order", "code")
    )
    if kind == "dept":
        departments = departments.filter(code=value)
    return [
        Target(
            type=target_type,
            key=f"dept:{department.code}",
            label=department.name,
            department_id=department.pk,
            department_code=department.code,
        )
        for department in departments
    ]


KEY_KINDS: Final = {
    "user": (TargetType.GRID_WORKER, TargetType.GRID_LEADER),
    "area": (TargetType.VILLAGE,),
    "dept": (TargetType.DEPARTMENT,),
}


def target_of(period: Period, key: str) -> Target | None:
    """The target of ``key`` among those the period's schemes assess."""
    kinds = KEY_KINDS.get(key.partition(":")[0], ())
    for scheme in period.schemes.filter(target_type__in=kinds):
        for target in targets_of(period.town, scheme.target_type, key):
            if target.key == key:
                return target
    return None


# --- periods --------------------------------------------------------------------------------------


EARLIEST_PERIOD: Final = dt.date(2000, 1, 1)


def period_bounds(kind: str, start: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month, quarter or year that ``start`` falls in."""
    if kind == PeriodKind.MONTH:
        first = start.replace(day=1)
        months = 1
    elif kind == PeriodKind.QUARTER:
        first = dt.date(start.year, (start.month - 1) // 3 * 3 + 1, 1)
        months = 3
    elif kind == PeriodKind.YEAR:
        first = dt.date(start.year, 1, 1)
        months = 12
    else:
        raise Invalid.field("kind", _("Choose a month, a quarter or a year."))
    month = first.month - 1 + months
    following = dt.date(first.year + month // 12, month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def period_create(
    *,
    actor: User | AnonymousUser,
    town_code: str,
    kind: str,
    start: dt.date,
    scheme_ids: list[int] | None = None,
    appeal_days: int = 5,
    today: dt.date | None = None,
) -> Period:
    """A new period of the town with its schemes (by default the current version of each)."""
    town = managed_towns(actor).filter(code=town_code).first()
    if town is None:
        raise Forbidden(_("You may not run the assessment of this town."))
    today = today or timezone.localdate()
    if not EARLIEST_PERIOD <= start <= today + dt.timedelta(days=366):
        raise Invalid.field(
            "start", _("Choose a period from %(year)s up to this year.") % {"year": EARLIEST_PERIOD.year}
        )
    first, last = period_bounds(kind, start)
    if first > today:
        raise Invalid.field("start", _("This period has not begun yet."))
    if not 1 <= int(appeal_days) <= 30:
        raise Invalid.field("appeal_days", _("Give between 1 and 30 working days for appeals."))
    schemes = list(current_schemes(town) if scheme_ids is None else Scheme.objects.filter(town=town, pk__in=scheme_ids))
    if not schemes:
        raise Invalid.field("schemes", _("Choose at least one scheme."))
    types = [s.target_type for s in schemes]
    if len(types) != len(set(types)):
        raise Invalid.field("schemes", _("Choose one scheme for each kind of assessed."))
    try:
        with transaction.atomic():
            period = Period.objects.create(
                town=town,
                kind=kind,
                start=first,
                end=last,
                appeal_days=int(appeal_days),
                created_by=signed_in_user(actor),
            )
            period.schemes.set(schemes)
            record(
                action="assessment.period_create",
                actor=actor,
                obj=period,
                data={"kind": kind, "start": first.isoformat(), "schemes": [s.pk for s in schemes]},
            )
    except IntegrityError:
        raise Invalid.field("start", _("This period exists already.")) from None
    return period


def _open_for_scores(period: Period) -> None:
    if period.status not in (PeriodStatus.OPEN, PeriodStatus.COMPUTED):
        raise Conflict(
            _("Scores can change only before the results are published (compute again afterwards)."),
            code="period_locked",
        )


def _check_files(files: list[Any]) -> None:
    if len(files) > MAX_FILES:
        raise Invalid.field("files", _("At most %(n)s files.") % {"n": MAX_FILES})
    for handle in files:
        name = str(getattr(handle, "name", ""))
        if not name.lower().endswith(FILE_TYPES):
            raise Invalid.field("files", _("Attach PDF, pictures, Word or Excel files."))
        if int(getattr(handle, "size", 0) or 0) > FILE_LIMIT:
            raise Invalid.field("files", _("Each file must be at most 10 MB."))


def _store_files(files: list[Any], actor: User | AnonymousUser, **owner: Any) -> None:
    user = signed_in_user(actor)
    for handle in files:
        Attachment.objects.create(
            file=handle, name=str(handle.name)[:200], size=int(handle.size or 0), uploaded_by=user, **owner
        )


def _locked_period(actor: User | AnonymousUser, period_id: int) -> Period:
    period = Period.objects.select_for_update().filter(pk=period_id, town__in=read_towns(actor).values("pk")).first()
    if period is None:
        raise NotFound(_("No such assessment period."))
    if not is_manager(actor, period.town_id):
        raise Forbidden(_("Only the center scores the assessment."))
    return period


def _scheme_item(period: Period, target: Target, item_code: str) -> SchemeItem:
    item = SchemeItem.objects.filter(
        scheme__in=period.schemes.all(), scheme__target_type=target.type, code=item_code, kind=ItemKind.MANUAL
    ).first()
    if item is None:
        raise Invalid.field("item", _("Choose an item the assessor scores."))
    return item


def manual_score_set(
    *,
    actor: User | AnonymousUser,
    period_id: int,
    target_key: str,
    item_code: str,
    score: Any,
    evidence: str,
    files: list[Any] | None = None,
) -> ManualScore:
    """Score a manual item for one target, with the evidence (text, and files)."""
    return manual_scores_set(
        actor=actor, period_id=period_id, item_code=item_code, scores={target_key: (score, evidence)}, files=files
    )[0]


def manual_scores_set(
    *,
    actor: User | AnonymousUser,
    period_id: int,
    item_code: str,
    scores: Mapping[str, tuple[Any, str]],
    files: list[Any] | None = None,
) -> list[ManualScore]:
    """Score a manual item for several targets at once (``{target key: (score, evidence)}``,
    the assessor's table), each with its evidence; all or nothing. Files go with each score."""
    files = list(files or [])
    _check_files(files)
    found: list[ManualScore] = []
    with transaction.atomic():
        period = _locked_period(actor, period_id)
        _open_for_scores(period)
        known: dict[str, Target] = {}
        for key in scores:
            target = known.get(key) or target_of(period, key)
            if target is None:
                raise Invalid.field("target", _("Choose someone this period assesses."))
            known[key] = target
        items = {t.type: _scheme_item(period, t, item_code) for t in known.values()}
        for key, (score, evidence) in scores.items():
            text = str(evidence).strip()
            if not text:
                raise Invalid.field("evidence", _("Write the evidence for the score."))
            item = items[known[key].type]
            value = _decimal(score, "score", Decimal(0), item.weight)
            manual, created = ManualScore.objects.update_or_create(
                period=period,
                target_key=key,
                item_code=item_code,
                defaults={"score": value, "evidence": text[:TEXT_LIMIT], "assessor": signed_in_user(actor)},
            )
            _store_files(files, actor, manual=manual)
            record(
                action="assessment.manual_score",
                actor=actor,
                obj=manual,
                data={"period": period.pk, "target": key, "item": item_code, "score": str(value), "new": created},
            )
            found.append(manual)
    return found


def entry_add(
    *,
    actor: User | AnonymousUser,
    period_id: int,
    target_key: str,
    kind: str,
    points: Any,
    reason: str,
    files: list[Any] | None = None,
) -> Entry:
    """Bonus or penalty points for one target (capped per scheme when scored)."""
    files = list(files or [])
    _check_files(files)
    if kind not in EntryKind.values:
        raise Invalid.field("kind", _("Choose bonus or penalty."))
    reason = str(reason).strip()
    if not reason:
        raise Invalid.field("reason", _("Write the reason."))
    value = _decimal(points, "points", Decimal("0.01"), Decimal(100))
    with transaction.atomic():
        period = _locked_period(actor, period_id)
        _open_for_scores(period)
        if target_of(period, target_key) is None:
            raise Invalid.field("target", _("Choose someone this period assesses."))
        entry = Entry.objects.create(
            period=period,
            target_key=target_key,
            kind=kind,
            points=value,
            reason=reason[:TEXT_LIMIT],
            created_by=signed_in_user(actor),
        )
        _store_files(files, actor, entry=entry)
        record(
            action="assessment.entry_add",
            actor=actor,
            obj=entry,
            data={"period": period.pk, "target": target_key, "kind": kind, "points": str(value)},
        )
    return entry


def entry_withdraw(*, actor: User | AnonymousUser, pk: int) -> Entry:
    with transaction.atomic():
        entry = Entry.objects.select_for_update().filter(pk=pk).first()
        if entry is None:
            raise NotFound(_("No such entry."))
        period = _locked_period(actor, entry.period_id)
        _open_for_scores(period)
        entry.withdrawn = True
        entry.save(update_fields=["withdrawn"])
        record(action="assessment.entry_withdraw", actor=actor, obj=entry, data={"period": period.pk})
    return entry


# --- the period's workflow ------------------------------------------------------------------------

FlowActor: TypeAlias = Actor


class PeriodFlow(Workflow[Period, FlowActor]):
    model = Period
    forbidden_message = _("Only the center runs the assessment.")

    def parties(self, actor: FlowActor, subject: Period) -> set[str]:
        if actor is None:
            return {Party.WORKER}
        return {Party.CENTER} if is_manager(actor, subject.town_id) else set()

    def visible(self, actor: FlowActor) -> Q:
        return Q() if actor is None else Q(pk__in=periods_visible(actor).values("pk"))

    def status_label(self, status: str) -> str:
        return str(PeriodStatus(status).label) if status in PeriodStatus.values else status

    def record(self, step: Step[Period, FlowActor]) -> AuditEvent:
        success = step.action != PeriodAction.FAIL
        return record(
            action=f"assessment.{step.action}", actor=step.actor, obj=step.subject, success=success, data=step.data
        )


PERIODS = PeriodFlow("assessment_period", PERIOD_ROWS, labels=PERIOD_LABELS)


def _queue(step: Step[Period, FlowActor], reason: str) -> None:
    period = step.subject
    number = (period.snapshots.aggregate(n=Max("number"))["n"] or 0) + 1
    snapshot = Snapshot.objects.create(period=period, number=number, reason=reason, created_by=signed_in(step.actor))
    step.set(queued_at=step.now)
    step.data.update({"snapshot": snapshot.pk, "number": number, "reason": reason[:500]})
    progress_set(period.pk, 0, 1)
    transaction.on_commit(partial(enqueue, snapshot.pk))


@PERIODS.effect(PeriodAction.COMPUTE)
def _compute(step: Step[Period, FlowActor]) -> None:
    _queue(step, "")


@PERIODS.effect(PeriodAction.RECOMPUTE)
def _recompute(step: Step[Period, FlowActor]) -> None:
    reason = str(step.input("reason")).strip()
    if not reason:
        raise Invalid.field("reason", _("Write why the period is computed again."))
    step.data["previous"] = step.subject.current_id
    _queue(step, reason[:TEXT_LIMIT])


@PERIODS.effect(PeriodAction.RETRY)
def _retry(step: Step[Period, FlowActor]) -> None:
    running = step.subject.snapshots.filter(status=SnapshotStatus.RUNNING).order_by("-number").first()
    if running is None:
        _queue(step, "")
        return
    step.set(queued_at=step.now)
    step.data["snapshot"] = running.pk
    transaction.on_commit(partial(enqueue, running.pk))


@PERIODS.effect(PeriodAction.COMPLETE)
def _complete(step: Step[Period, FlowActor]) -> None:
    snapshot = Snapshot.objects.get(pk=step.input("snapshot"), period=step.subject)
    step.set(current=snapshot)
    step.data.update({"snapshot": snapshot.pk, "number": snapshot.number, "results": snapshot.results.count()})
    # The schemes a computed period used never change again.
    step.subject.schemes.filter(frozen_at__isnull=True).update(frozen_at=step.now)


@PERIODS.effect(PeriodAction.FAIL)
def _fail(step: Step[Period, FlowActor]) -> None:
    step.data["error"] = str(step.input("reason"))[:500]
    if step.subject.current_id is not None:
        step.target = PeriodStatus.COMPUTED


def inputs_changed(period: Period) -> bool:
    """Whether a manual score or a bonus/penalty entry of the period's targets changed since its
    current snapshot froze them (so publishing it would show old figures)."""
    snapshot = period.current
    if snapshot is None:
        return False
    inputs = snapshot.inputs
    manual_codes = {
        key: {i["code"] for i in scheme["items"] if i["kind"] == ItemKind.MANUAL}
        for key, scheme in inputs.get("schemes", {}).items()
    }
    frozen_scores: dict[tuple[str, str], Any] = {}
    frozen_entries: set[int] = set()
    for target in inputs.get("targets", []):
        key = target["target"]["key"]
        for code in manual_codes.get(target["scheme"], set()):
            frozen_scores[(key, code)] = (target["items"].get(code) or {}).get("value")
        frozen_entries.update(int(e["id"]) for e in target.get("entries", []))
    keys = {key for key, _code in frozen_scores} | {t["target"]["key"] for t in inputs.get("targets", [])}
    live_scores = {
        (m.target_key, m.item_code): str(m.score)
        for m in period.manual_scores.filter(target_key__in=keys)
        if (m.target_key, m.item_code) in frozen_scores
    }
    if any(live_scores.get(slot) != value for slot, value in frozen_scores.items()):
        return True
    live_entries = set(period.entries.filter(withdrawn=False, target_key__in=keys).values_list("pk", flat=True))
    return live_entries != frozen_entries


@PERIODS.effect(PeriodAction.PUBLISH)
def _publish(step: Step[Period, FlowActor]) -> None:
    if inputs_changed(step.subject):
        raise Conflict(
            _("Scores or entries changed since the period was computed: compute it again first."),
            code="inputs_changed",
        )
    until = add_working_days(step.now, step.subject.appeal_days)
    step.set(published_at=step.now, appeal_until=until)
    step.data.update({"snapshot": step.subject.current_id, "appeal_until": until.isoformat()})
    step.after.append(lambda _event: _notify_published(step.subject))


@PERIODS.effect(PeriodAction.FINALIZE)
def _finalize(step: Step[Period, FlowActor]) -> None:
    step.set(final_at=step.now)
    step.data["snapshot"] = step.subject.current_id


PERIODS.check_complete()


def _notify_published(period: Period) -> None:
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from gridgov.notify.services import notify

    if period.current is None:
        return
    results = period.current.results
    users = [r.user for r in results.filter(user__isnull=False).select_related("user") if r.user]
    # A village's result is its grid leaders' and staff's, a department's its handlers'.
    villages = list(results.filter(target_type=TargetType.VILLAGE).values_list("area_id", flat=True))
    departments = list(results.filter(target_type=TargetType.DEPARTMENT).values_list("department_id", flat=True))
    responsible = role_holder_ids(Q(role__in=VILLAGE_ROLES, area_id__in=villages) | Q(department_id__in=departments))
    known = {u.pk for u in users}
    users += list(get_user_model().objects.filter(pk__in=[pk for pk in responsible if pk not in known]))
    from ..notices import PUBLISHED_KIND, published_params

    notify(
        recipients=users,
        kind=PUBLISHED_KIND,
        params=published_params(period),
        url=reverse("assessment:period", args=[period.pk]),
        obj=period,
    )


def period_act(
    *,
    actor: User | AnonymousUser,
    pk: int,
    action: str,
    inputs: dict[str, Any] | None = None,
    version: int | None = None,
) -> Period:
    if action in (PeriodAction.COMPLETE, PeriodAction.FAIL):
        raise NotFound(_("Unknown action."), code="unknown_action")
    return PERIODS.act(pk, action, actor=actor, inputs=inputs or {}, version=version)


def enqueue(snapshot_pk: int) -> None:
    from ..tasks import compute_snapshot

    compute_snapshot.delay(snapshot_pk)


# --- progress -------------------------------------------------------------------------------------


def _progress_key(period_pk: int) -> str:
    return f"gridgov:assessment:{period_pk}"


def progress_set(period_pk: int, done: int, total: int) -> None:
    cache.set(_progress_key(period_pk), {"done": done, "total": total}, PROGRESS_TTL)


def progress(period: Period) -> dict[str, Any]:
    """How far the computation is: targets done of all, and the percent."""
    if period.status != PeriodStatus.COMPUTING:
        return {"done": 0, "total": 0, "percent": 100, "label": str(period.get_status_display())}
    value = cache.get(_progress_key(period.pk)) or {}
    done, total = int(value.get("done", 0)), int(value.get("total", 0))
    if not total:
        return {"done": 0, "total": 0, "percent": 0, "label": _("Waiting for the worker")}
    return {
        "done": done,
        "total": total,
        "percent": min(99, round(100 * done / total)),
        "label": _("Measured %(done)s of %(total)s assessed") % {"done": done, "total": total},
    }


# --- computing (the worker) -----------------------------------------------------------------------


def freeze_inputs(period: Period, now: dt.datetime, report: Any = None) -> dict[str, Any]:
    """Every input of the period, frozen: the schemes as they are, and for each target its
    automatic measures (with the objects behind them), manual scores and entries."""
    window = Window(period.start, period.end, now)
    schemes = {str(s.pk): scheme_frozen(s) for s in period.schemes.prefetch_related("items").order_by("target_type")}
    manual = {(m.target_key, m.item_code): m for m in period.manual_scores.all()}
    entries: dict[str, list[dict[str, Any]]] = {}
    for entry in period.entries.filter(withdrawn=False).order_by("pk"):
        entries.setdefault(entry.target_key, []).append(
            {"id": entry.pk, "kind": entry.kind, "points": str(entry.points), "reason": entry.reason}
        )
    plan = [
        (key, target) for key, scheme in schemes.items() for target in targets_of(period.town, scheme["target_type"])
    ]
    memo: dict[Any, Any] = {}
    targets = []
    for done, (scheme_key, target) in enumerate(plan):
        if report is not None:
            report(done, len(plan))
        items: dict[str, Any] = {}
        for item in schemes[scheme_key]["items"]:
            if item["kind"] == ItemKind.AUTO:
                measured = INDICATORS[item["indicator"]].measure(target, window, memo)
                items[item["code"]] = measured.as_json() if measured else {"value": None, "refs": {}, "link": {}}
            else:
                given = manual.get((target.key, item["code"]))
                items[item["code"]] = (
                    {"value": str(given.score), "evidence": given.evidence, "manual": given.pk, "by": given.assessor_id}
                    if given
                    else {"value": None}
                )
        targets.append(
            {"target": target.as_json(), "scheme": scheme_key, "items": items, "entries": entries.get(target.key, [])}
        )
    return {
        "window": {"start": period.start.isoformat(), "end": period.end.isoformat(), "at": now.isoformat()},
        "schemes": schemes,
        "targets": targets,
    }


def score_inputs(inputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The results scored from frozen inputs alone (no other read): what a snapshot holds, and
    what scoring it again gives."""
    found = []
    for target in inputs["targets"]:
        scheme = inputs["schemes"][target["scheme"]]
        scored = scoring.score(scheme, target)
        found.append({"target": target["target"], "scheme": scheme["id"], **scored})
    by_type: dict[str, list[tuple[str, Decimal]]] = {}
    for result in found:
        by_type.setdefault(result["target"]["type"], []).append((result["target"]["key"], Decimal(result["score"])))
    ranked = {key: rank for pairs in by_type.values() for key, rank in scoring.ranks(pairs).items()}
    for result in found:
        result["rank"] = ranked[result["target"]["key"]]
    return found


def rescore(snapshot: Snapshot) -> list[dict[str, Any]]:
    """Score a snapshot again from its frozen inputs (the reproducibility check)."""
    return score_inputs(snapshot.inputs)


def snapshot_compute(*, pk: int, now: dt.datetime | None = None) -> Snapshot:
    """Compute a queued snapshot (the Celery task): freeze the inputs, score them, store the
    results and complete the period in one transaction; any error fails it with the reason. A
    second delivery, or a snapshot already done, does nothing."""
    with translation.override(settings.LANGUAGE_CODE):
        snapshot = Snapshot.objects.select_related("period__town").get(pk=pk)
        if snapshot.status != SnapshotStatus.RUNNING:
            return snapshot
        with claim(f"gridgov:assessment-claim:{pk}", CLAIM_TTL) as mine:
            return _compute_snapshot(snapshot, now or timezone.now()) if mine else snapshot


def _compute_snapshot(snapshot: Snapshot, now: dt.datetime) -> Snapshot:
    period = snapshot.period
    try:
        inputs = freeze_inputs(period, now, report=lambda done, total: progress_set(period.pk, done, total))
        scored = score_inputs(inputs)
        with transaction.atomic():
            Snapshot.objects.filter(pk=snapshot.pk).update(inputs=inputs, status=SnapshotStatus.DONE, finished_at=now)
            Result.objects.bulk_create(_result_row(snapshot, item) for item in scored)
            PERIODS.act(period.pk, PeriodAction.COMPLETE, actor=None, inputs={"snapshot": snapshot.pk})
    except Conflict:
        Snapshot.objects.filter(pk=snapshot.pk, status=SnapshotStatus.RUNNING).update(status=SnapshotStatus.FAILED)
    except Exception as error:
        logger.exception("assessment snapshot %s could not be computed", snapshot.pk)
        reason = _(
            "The period could not be computed (%(error)s). Try again; if it fails again, tell the administrator."
        ) % {"error": type(error).__name__}
        Snapshot.objects.filter(pk=snapshot.pk).update(status=SnapshotStatus.FAILED, error=reason)
        with contextlib.suppress(Conflict):
            PERIODS.act(period.pk, PeriodAction.FAIL, actor=None, inputs={"reason": reason})
    progress_set(period.pk, 0, 0)
    return Snapshot.objects.get(pk=snapshot.pk)


def _result_row(snapshot: Snapshot, item: Mapping[str, Any]) -> Result:
    target = item["target"]
    total = Decimal(item["score"])
    return Result(
        snapshot=snapshot,
        target_type=target["type"],
        target_key=target["key"],
        label=target["label"][:120],
        user_id=target["user"] if target["type"] in (TargetType.GRID_WORKER, TargetType.GRID_LEADER) else None,
        # A person's result keeps their (first) area as computed: a grid worker's grid, which
        # places it under a grid leader's village (``led_results_q``).
        area_id=target["area"] if target["type"] != TargetType.DEPARTMENT else None,
        department_id=target["department"],
        scheme_id=item["scheme"],
        score=total,
        total=total,
        rank=item["rank"],
        breakdown={k: item[k] for k in ("items", "base", "bonus", "penalty", "score")},
    )


def rerank(snapshot: Snapshot, target_type: str) -> None:
    results = list(Result.objects.filter(snapshot=snapshot, target_type=target_type))
    ranked = scoring.ranks([(r.target_key, r.total) for r in results])
    for result in results:
        if result.rank != ranked[result.target_key]:
            result.rank = ranked[result.target_key]
            result.save(update_fields=["rank"])


# --- the breakdown --------------------------------------------------------------------------------


def breakdown(result: Result) -> list[dict[str, Any]]:
    """Each item of a result with its scheme line, its frozen inputs and its points."""
    inputs = result.snapshot.inputs
    scheme = inputs["schemes"][str(result.scheme_id)]
    lines = {line["code"]: line for line in result.breakdown["items"]}
    rows = []
    for item in scheme["items"]:
        line = lines.get(item["code"], {})
        indicator = INDICATORS.get(item["indicator"])
        rows.append(
            {
                **item,
                "value": line.get("value"),
                "num": line.get("num"),
                "den": line.get("den"),
                "points": line.get("points"),
                "evidence": line.get("evidence", ""),
                "refs": line.get("refs") or {},
                "link": line.get("link") or {},
                "indicator_label": str(indicator.label) if indicator else "",
                "ref_kind": indicator.ref_kind if indicator else "",
            }
        )
    return rows


def target_entries(result: Result) -> list[dict[str, Any]]:
    for target in result.snapshot.inputs.get("targets", []):
        if target["target"]["key"] == result.target_key:
            return list(target.get("entries", []))
    return []


def refs_of(result: Result, item_code: str, part: str) -> tuple[str, list[list[Any]]]:
    """The objects behind one part of one item of a result, as the snapshot froze them."""
    for line in breakdown(result):
        if line["code"] == item_code:
            return line["ref_kind"], list(line["refs"].get(part, []))
    raise NotFound(_("No such item."))


# --- appeals --------------------------------------------------------------------------------------


def may_appeal(user: User | AnonymousUser, result: Result) -> bool:
    return Result.objects.filter(pk=result.pk).filter(own_results_q(user)).exists()


def appeal_submit(
    *,
    actor: User | AnonymousUser,
    result_id: int,
    reason: str,
    item_code: str = "",
    files: list[Any] | None = None,
    now: dt.datetime | None = None,
) -> Appeal:
    """An appeal of one's own published result, within the window."""
    files = list(files or [])
    _check_files(files)
    now = now or timezone.now()
    reason = str(reason).strip()
    if not reason:
        raise Invalid.field("reason", _("Write why you appeal."))
    with transaction.atomic():
        result = (
            Result.objects.select_for_update().filter(pk__in=results_visible(actor).values("pk"), pk=result_id).first()
        )
        if result is None:
            raise NotFound(_("No such result."))
        if not may_appeal(actor, result):
            raise Forbidden(_("Only the assessed may appeal their result."))
        period = result.snapshot.period
        if period.status != PeriodStatus.PUBLISHED or period.current_id != result.snapshot_id:
            raise Conflict(_("The results are not open to appeal."), code="appeal_closed")
        if period.appeal_until is None or now >= period.appeal_until:
            raise Conflict(_("The appeal window has closed."), code="appeal_window_closed")
        if item_code and item_code not in {line["code"] for line in result.breakdown["items"]}:
            raise Invalid.field("item", _("Choose an item of your result."))
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(
                    period=period,
                    result=result,
                    appellant=signed_in_user(actor),
                    item_code=item_code,
                    reason=reason[:TEXT_LIMIT],
                    submitted_at=now,
                )
        except IntegrityError:
            raise Conflict(_("An appeal of this result is already open."), code="appeal_open") from None
        _store_files(files, actor, appeal=appeal)
        record(
            action="assessment.appeal_submit", actor=actor, obj=appeal, data={"result": result.pk, "item": item_code}
        )
    return appeal


def _discipline(user: User | AnonymousUser, town_id: int) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    town = Area.objects.filter(pk=town_id).first()
    return town is not None and Role.SUPERVISOR in scope_for(user).roles_for_area(town)


class AppealFlow(Workflow[Appeal, FlowActor]):
    model = Appeal
    forbidden_message = _("This step of the appeal is not yours to take.")

    def parties(self, actor: FlowActor, subject: Appeal) -> set[str]:
        if actor is None:
            return set()
        found: set[str] = set()
        if is_manager(actor, subject.period.town_id):
            found.add(Party.CENTER)
        if _discipline(actor, subject.period.town_id):
            found.add(Party.DISCIPLINE)
        if subject.appellant_id == actor.pk:
            found.add(Party.APPELLANT)
        return found

    def visible(self, actor: FlowActor) -> Q:
        return Q() if actor is None else Q(pk__in=appeals_visible(actor).values("pk"))

    def status_label(self, status: str) -> str:
        return str(AppealStatus(status).label) if status in AppealStatus.values else status

    def record(self, step: Step[Appeal, FlowActor]) -> AuditEvent:
        data = {"result": step.subject.result_id, **step.data}
        return record(action=f"assessment.appeal_{step.action}", actor=step.actor, obj=step.subject, data=data)


APPEALS = AppealFlow("assessment_appeal", APPEAL_ROWS, labels=APPEAL_LABELS)


def check_delta(result: Result, item_code: str, delta: Decimal) -> None:
    """Refuse a change that would put the appealed item outside 0 to its weight, or the total
    outside the scale (its penalty cap below 0 to 100 plus its bonus cap)."""
    scheme = result.snapshot.inputs.get("schemes", {}).get(str(result.scheme_id), {})
    if item_code:
        weights = {i["code"]: Decimal(str(i["weight"])) for i in scheme.get("items", [])}
        points = {line["code"]: line.get("points") for line in result.breakdown.get("items", [])}
        if points.get(item_code) is not None and item_code in weights:
            now = Decimal(str(points[item_code]))
            if not 0 <= now + delta <= weights[item_code]:
                raise Invalid.field(
                    "delta",
                    _("The item would get %(points)s points; it allows 0 to %(max)s.")
                    % {"points": now + delta, "max": weights[item_code]},
                )
    top = Decimal(100) + Decimal(str(scheme.get("bonus_cap", 0)))
    low = -Decimal(str(scheme.get("penalty_cap", 0)))
    if not low <= result.total + delta <= top:
        raise Invalid.field(
            "delta",
            _("The total would be %(total)s; the scale allows %(low)s to %(high)s.")
            % {"total": result.total + delta, "low": low, "high": top},
        )


@APPEALS.effect(AppealAction.PROPOSE)
def _propose(step: Step[Appeal, FlowActor]) -> None:
    decision = step.input("decision")
    if decision not in Decision.values:
        raise Invalid.field("decision", _("Propose to uphold or to reject the appeal."))
    delta = _decimal(step.input("delta") or 0, "delta", Decimal(-100), Decimal(100))
    if decision == Decision.UPHELD and delta == 0:
        raise Invalid.field("delta", _("An upheld appeal changes the score: give the change."))
    if decision == Decision.REJECTED:
        delta = Decimal(0)
    check_delta(step.subject.result, step.subject.item_code, delta)
    opinion = str(step.input("opinion")).strip()[:TEXT_LIMIT]
    step.set(decision=decision, delta=delta, opinion=opinion, review_comment="")
    step.data.update({"decision": decision, "delta": str(delta)})
    if step.subject.period.status != PeriodStatus.PUBLISHED:
        raise Conflict(_("The period's results are final."), code="period_locked")


@APPEALS.effect(AppealAction.AGREE)
def _agree(step: Step[Appeal, FlowActor]) -> None:
    appeal = step.subject
    step.set(decided_at=step.now, review_comment=str(step.input("comment") or "")[:TEXT_LIMIT])
    step.data.update({"decision": appeal.decision, "delta": str(appeal.delta)})
    if appeal.decision == Decision.UPHELD and appeal.delta:
        check_delta(Result.objects.get(pk=appeal.result_id), appeal.item_code, appeal.delta)
        adjust(
            result_id=appeal.result_id,
            delta=appeal.delta,
            reason=appeal.opinion,
            actor=signed_in_user(step.actor),
            appeal=appeal,
            now=step.now,
        )


@APPEALS.effect(AppealAction.SEND_BACK)
def _send_back(step: Step[Appeal, FlowActor]) -> None:
    step.set(review_comment=str(step.input("comment"))[:TEXT_LIMIT])


@APPEALS.effect(AppealAction.WITHDRAW)
def _withdraw(step: Step[Appeal, FlowActor]) -> None:
    step.set(decided_at=step.now)


APPEALS.check_complete()


def adjust(
    *, result_id: int, delta: Decimal, reason: str, actor: User, appeal: Appeal | None, now: dt.datetime
) -> Adjustment:
    """Change a published score (kept apart from the computed one) and rank again; audited."""
    result = Result.objects.select_for_update().get(pk=result_id)
    adjustment = Adjustment.objects.create(
        result=result, appeal=appeal, delta=delta, reason=reason, actor=actor, at=now
    )
    result.adjustment += delta
    result.total = result.score + result.adjustment
    result.save(update_fields=["adjustment", "total"])
    rerank(result.snapshot, result.target_type)
    record(
        action="assessment.adjust",
        actor=actor,
        obj=result,
        data={"delta": str(delta), "appeal": appeal.pk if appeal else None, "total": str(result.total)},
    )
    return adjustment


def appeal_act(
    *,
    actor: User | AnonymousUser,
    pk: int,
    action: str,
    inputs: dict[str, Any] | None = None,
    version: int | None = None,
) -> Appeal:
    return APPEALS.act(pk, action, actor=actor, inputs=inputs or {}, version=version)


# --- rewards and penalties ------------------------------------------------------------------------


class SanctionFlow(Workflow[Sanction, FlowActor]):
    model = Sanction
    forbidden_message = _("Only the center decides rewards and penalties.")

    def parties(self, actor: FlowActor, subject: Sanction) -> set[str]:
        return {Party.CENTER} if actor is not None and is_manager(actor, subject.period.town_id) else set()

    def visible(self, actor: FlowActor) -> Q:
        return Q() if actor is None else Q(pk__in=sanctions_visible(actor).values("pk"))

    def status_label(self, status: str) -> str:
        return str(SanctionStatus(status).label) if status in SanctionStatus.values else status

    def record(self, step: Step[Sanction, FlowActor]) -> AuditEvent:
        return record(action=f"assessment.sanction_{step.action}", actor=step.actor, obj=step.subject, data=step.data)


SANCTIONS = SanctionFlow("assessment_sanction", SANCTION_ROWS, labels=SANCTION_LABELS)


@SANCTIONS.effect("confirm")
def _confirm(step: Step[Sanction, FlowActor]) -> None:
    step.set(confirmed_at=step.now)


@SANCTIONS.effect("drop")
def _drop(step: Step[Sanction, FlowActor]) -> None:
    step.set(comment=str(step.input("comment"))[:TEXT_LIMIT])


SANCTIONS.check_complete()


def sanction_act(
    *,
    actor: User | AnonymousUser,
    pk: int,
    action: str,
    inputs: dict[str, Any] | None = None,
    version: int | None = None,
) -> Sanction:
    return SANCTIONS.act(pk, action, actor=actor, inputs=inputs or {}, version=version)


EVIDENCE_ITEMS: Final = ("on_time_closure_rate", "rework_rate", "on_time_verification_rate")


def evidence_of(result: Result, limit: int = 20) -> list[dict[str, Any]]:
    """The cases behind a result that count against it (not closed on time, reworked, not
    verified on time), from its snapshot."""
    found: list[dict[str, Any]] = []
    for line in breakdown(result):
        if line["indicator"] in EVIDENCE_ITEMS:
            for pk, label in misses(line["indicator"], line)[:limit]:
                found.append({"kind": "case", "id": pk, "label": label, "why": line["indicator"]})
    return found


def sanction_add(
    *,
    actor: User | AnonymousUser,
    result_id: int,
    kind: str,
    measure: str,
    reason: str,
    amount: Any = None,
) -> Sanction:
    """A reward or penalty proposed for one result of a computed period (evidence attached from
    the snapshot for a penalty)."""
    if kind not in SanctionKind.values:
        raise Invalid.field("kind", _("Choose reward or penalty."))
    measure = str(measure).strip()[:120]
    if not measure:
        raise Invalid.field("measure", _("Write the measure (e.g. a commendation)."))
    reason = str(reason).strip()
    if not reason:
        raise Invalid.field("reason", _("Write the reason."))
    money = None if amount in (None, "") else _decimal(amount, "amount", Decimal(0), Decimal(100000))
    with transaction.atomic():
        result = (
            Result.objects.filter(pk__in=results_visible(actor).values("pk"), pk=result_id)
            .select_related("snapshot__period")
            .first()
        )
        if result is None:
            raise NotFound(_("No such result."))
        period = _locked_period(actor, result.snapshot.period_id)
        if period.status not in (PeriodStatus.COMPUTED, PeriodStatus.PUBLISHED, PeriodStatus.FINAL):
            raise Conflict(_("Compute the period first."), code="period_not_computed")
        sanction = Sanction.objects.create(
            period=period,
            result=result,
            kind=kind,
            measure=measure,
            amount=money,
            reason=reason[:TEXT_LIMIT],
            evidence=evidence_of(result) if kind == SanctionKind.PENALTY else [],
            proposed_by=signed_in_user(actor),
        )
        record(
            action="assessment.sanction_propose",
            actor=actor,
            obj=sanction,
            data={"result": result.pk, "kind": kind, "evidence": len(sanction.evidence)},
        )
    return sanction


def sanctions_propose(
    *,
    actor: User | AnonymousUser,
    period_id: int,
    target_type: str,
    top: int = 3,
    bottom: int = 3,
    reward: str = "",
    penalty: str = "",
) -> list[Sanction]:
    """Rewards for the top ``top`` and penalties for the bottom ``bottom`` of one ranking (those
    already proposed are left as they are)."""
    period = period_get(actor, period_id)
    if period.current is None:
        raise Conflict(_("Compute the period first."), code="period_not_computed")
    results = list(period.current.results.filter(target_type=target_type).order_by("rank", "target_key"))
    taken = set(period.sanctions.exclude(status=SanctionStatus.DROPPED).values_list("result_id", "kind"))
    made = []
    best = results[: max(0, int(top))]
    worst = [r for r in results[::-1][: max(0, int(bottom))] if r not in best]
    # What is stored is written in the installation's language, whoever proposes it.
    with translation.override(settings.LANGUAGE_CODE):
        planned = [
            *[(r, SanctionKind.REWARD, reward or _("Commendation")) for r in best],
            *[(r, SanctionKind.PENALTY, penalty or _("Talk with the center")) for r in worst],
        ]
        reasons = {
            r.pk: _("Rank %(rank)s of %(count)s, %(total)s points.")
            % {"rank": r.rank, "count": len(results), "total": r.total}
            for r in results
        }
    for result, kind, measure in planned:
        if (result.pk, kind) in taken:
            continue
        reason = reasons[result.pk]
        made.append(sanction_add(actor=actor, result_id=result.pk, kind=kind, measure=measure, reason=reason))
    return made

"""Writes of the areas app: create, update and retire areas; import and export GeoJSON.

Every function takes keyword-only arguments and an ``actor``, runs in one transaction and
writes its audit row in that transaction. Any change tells the locate index to rebuild once
the transaction commits.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

import shapely
from django.core.exceptions import ValidationError
from django.db import transaction
from shapely.geometry.base import BaseGeometry

from gridgov.core.audit import record
from gridgov.core.errors import Invalid

from . import geometry, locate
from .geojson import feature_collection, level_rank
from .models import LEVEL_ORDER, PARENT_LEVEL, Area, AreaLevel

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

# --- Codes -------------------------------------------------------------------------------

CODE_LENGTH: Final = {
    AreaLevel.DISTRICT: 12,
    AreaLevel.TOWN: 12,
    AreaLevel.VILLAGE: 12,
    AreaLevel.GRID: 14,
}
_DIGITS = re.compile(r"[0-9]+")


def code_problems(code: Any, level: str, parent_code: str | None) -> list[str]:
    """What is wrong with ``code`` for an area of ``level`` under ``parent_code``.

    Codes are statistics division codes (DOMAIN.md §3): county 6 + township 3 + village 3
    digits, and a grid adds 2 digits to its village's code. A district ends in ``000000``; a
    town shares its district's first 6 digits and ends in ``000``; a village shares its
    town's first 9 digits.
    """
    if not isinstance(code, str) or not _DIGITS.fullmatch(code):
        return ["code must be digits only"]
    if level not in CODE_LENGTH:
        return [f"unknown level {level!r}"]
    length = CODE_LENGTH[AreaLevel(level)]
    if len(code) != length:
        return [f"a {level} code has {length} digits"]
    problems: list[str] = []
    if level == AreaLevel.DISTRICT:
        if code[6:] != "000000":
            problems.append("a district code ends in 000000")
        if parent_code:
            problems.append("a district has no parent")
        return problems
    if not parent_code:
        return [f"a {level} needs a parent code"]
    if level == AreaLevel.TOWN:
        if code[6:9] == "000" or code[9:] != "000":
            problems.append("a town code has a township part (digits 7-9) and ends in 000")
        if code[:6] != parent_code[:6]:
            problems.append("a town code starts with its district's first 6 digits")
    elif level == AreaLevel.VILLAGE:
        if code[9:] == "000":
            problems.append("a village code does not end in 000")
        if code[:9] != parent_code[:9]:
            problems.append("a village code starts with its town's first 9 digits")
    elif level == AreaLevel.GRID and code[:12] != parent_code:
        problems.append("a grid code is its village's code and 2 more digits")
    return problems


# --- Spatial checks ----------------------------------------------------------------------


def _shape_or_none(boundary: Any) -> BaseGeometry | None:
    if not boundary:
        return None
    try:
        return geometry.to_shape(geometry.normalize(boundary))
    except (geometry.GeometryError, ValueError, TypeError, AttributeError):
        return None


def _bbox_filter(geom: BaseGeometry) -> dict[str, float]:
    min_lng, min_lat, max_lng, max_lat = geom.bounds
    return {"max_lng__gte": min_lng, "min_lng__lte": max_lng, "max_lat__gte": min_lat, "min_lat__lte": max_lat}


def _spatial_problems(
    *, level: str, parent: Area | None, geom: BaseGeometry, exclude_pk: int | None = None
) -> list[str]:
    """Overlaps with current siblings, sticking out of the parent, children sticking out."""
    problems: list[str] = []
    siblings = Area.objects.current().filter(level=level, boundary__isnull=False, **_bbox_filter(geom))
    siblings = siblings.filter(parent=parent) if parent is not None else siblings.filter(parent__isnull=True)
    if exclude_pk is not None:
        siblings = siblings.exclude(pk=exclude_pk)
    for sibling in siblings.only("code", "name", "boundary"):
        other = _shape_or_none(sibling.boundary)
        if other is not None and geometry.overlap_share(geom, other) > geometry.AREA_TOLERANCE:
            problems.append(f"overlaps {sibling.name} ({sibling.code})")
    if parent is not None:
        parent_geom = _shape_or_none(parent.boundary)
        if parent_geom is not None and geometry.outside_share(geom, parent_geom) > geometry.AREA_TOLERANCE:
            problems.append(f"sticks out of its parent {parent.name} ({parent.code})")
    if exclude_pk is not None:
        for child in Area.objects.current().filter(parent_id=exclude_pk, boundary__isnull=False):
            child_geom = _shape_or_none(child.boundary)
            if child_geom is not None and geometry.outside_share(child_geom, geom) > geometry.AREA_TOLERANCE:
                problems.append(f"{child.name} ({child.code}) would stick out of it")
    return problems


def _apply_bounds(area: Area, geom: BaseGeometry | None) -> None:
    if geom is None:
        area.min_lng = area.min_lat = area.max_lng = area.max_lat = None
        area.center_lng = area.center_lat = None
        return
    bounds = geometry.bounds_of(geom)
    area.min_lng, area.min_lat = bounds.min_lng, bounds.min_lat
    area.max_lng, area.max_lat = bounds.max_lng, bounds.max_lat
    area.center_lng, area.center_lat = bounds.center_lng, bounds.center_lat


def _insert(
    *,
    code: str,
    name: str,
    level: str,
    parent: Area | None,
    households: int,
    boundary: dict[str, Any] | None,
    geom: BaseGeometry | None,
    valid_from: date | None,
) -> Area:
    area = Area(
        code=code,
        name=name,
        level=level,
        parent=parent,
        households=households,
        boundary=boundary,
        valid_from=valid_from,
    )
    _apply_bounds(area, geom)
    area.save()
    area.path = f"{parent.path if parent else '/'}{area.pk}/"
    Area.objects.filter(pk=area.pk).update(path=area.path)
    return area


def _invalidate_on_commit() -> None:
    transaction.on_commit(locate.invalidate)


def _validate_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": "A name is required."})
    name = name.strip()
    if len(name) > 100:
        raise ValidationError({"name": "A name has at most 100 characters."})
    return name


def _validate_households(households: Any) -> int:
    if isinstance(households, bool) or not isinstance(households, int) or households < 0:
        raise ValidationError({"households": "Households must be a whole number, 0 or more."})
    return households


def _validate_boundary(boundary: Any) -> tuple[dict[str, Any] | None, BaseGeometry | None]:
    if boundary is None:
        return None, None
    try:
        return geometry.validate(boundary)
    except geometry.GeometryError as exc:
        raise ValidationError({"boundary": str(exc)}) from exc


# --- Single areas ------------------------------------------------------------------------


@transaction.atomic
def area_create(
    *,
    actor: User | AnonymousUser | None,
    code: str,
    name: str,
    level: str,
    parent: Area | None,
    households: int = 0,
    boundary: dict[str, Any] | None = None,
    valid_from: date | None = None,
) -> Area:
    """Create an area under ``parent``: checks the code against the level and the parent's
    code, the parent's level, the boundary and its fit among siblings and inside the parent."""
    if level not in AreaLevel.values:
        raise ValidationError({"level": f"Unknown level {level!r}."})
    name = _validate_name(name)
    households = _validate_households(households)
    expected_parent = PARENT_LEVEL.get(AreaLevel(level))
    if expected_parent is None and parent is not None:
        raise ValidationError({"parent": "A district has no parent."})
    if expected_parent is not None:
        if parent is None:
            raise ValidationError({"parent": f"A {level} needs a parent {expected_parent}."})
        if parent.level != expected_parent:
            raise ValidationError({"parent": f"The parent of a {level} is a {expected_parent}."})
        if not parent.is_current:
            raise ValidationError({"parent": "The parent area is retired."})
    problems = code_problems(code, level, parent.code if parent else None)
    if problems:
        raise ValidationError({"code": problems})
    if Area.objects.current().filter(code=code).exists():
        raise ValidationError({"code": f"An area with code {code} exists."})
    normalized, geom = _validate_boundary(boundary)
    if geom is not None:
        spatial = _spatial_problems(level=level, parent=parent, geom=geom)
        if spatial:
            raise ValidationError({"boundary": spatial})
    area = _insert(
        code=code,
        name=name,
        level=level,
        parent=parent,
        households=households,
        boundary=normalized,
        geom=geom,
        valid_from=valid_from,
    )
    record(action="area.create", actor=actor, obj=area, data={"code": code, "level": level})
    _invalidate_on_commit()
    return area


class _Unset(Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET


@transaction.atomic
def area_update(
    *,
    actor: User | AnonymousUser | None,
    area: Area,
    name: str | _Unset = UNSET,
    households: int | _Unset = UNSET,
    boundary: dict[str, Any] | _Unset | None = UNSET,
    valid_from: date | _Unset | None = UNSET,
) -> Area:
    """Change an area's name, households, boundary (``None`` removes it) or start date.
    Arguments left out stay as they are; nothing is written when nothing changes."""
    area = Area.objects.select_for_update().get(pk=area.pk)
    changed: list[str] = []
    if not isinstance(name, _Unset):
        name = _validate_name(name)
        if name != area.name:
            area.name = name
            changed.append("name")
    if not isinstance(households, _Unset):
        households = _validate_households(households)
        if households != area.households:
            area.households = households
            changed.append("households")
    if not isinstance(valid_from, _Unset) and valid_from != area.valid_from:
        area.valid_from = valid_from
        changed.append("valid_from")
    if not isinstance(boundary, _Unset):
        normalized, geom = _validate_boundary(boundary)
        if normalized != area.boundary:
            if geom is not None:
                spatial = _spatial_problems(level=area.level, parent=area.parent, geom=geom, exclude_pk=area.pk)
                if spatial:
                    raise ValidationError({"boundary": spatial})
            area.boundary = normalized
            _apply_bounds(area, geom)
            changed.append("boundary")
    if not changed:
        return area
    derived = ["min_lng", "min_lat", "max_lng", "max_lat", "center_lng", "center_lat"] if "boundary" in changed else []
    area.save(update_fields=[*changed, *derived, "updated_at"])
    record(action="area.update", actor=actor, obj=area, data={"code": area.code, "fields": changed})
    _invalidate_on_commit()
    return area


@transaction.atomic
def area_retire(*, actor: User | AnonymousUser | None, area: Area, valid_to: date) -> Area:
    """End an area's validity. Refused while it has current children (retire them first)."""
    area = Area.objects.select_for_update().get(pk=area.pk)
    if not area.is_current:
        raise ValidationError({"valid_to": "The area is already retired."})
    if Area.objects.current().filter(parent=area).exists():
        raise ValidationError({"valid_to": "Retire the areas inside it first."})
    if area.valid_from and valid_to < area.valid_from:
        raise ValidationError({"valid_to": "The end date is before the start date."})
    area.valid_to = valid_to
    area.save(update_fields=["valid_to", "updated_at"])
    record(action="area.retire", actor=actor, obj=area, data={"code": area.code, "valid_to": valid_to.isoformat()})
    _invalidate_on_commit()
    return area


# --- GeoJSON import ----------------------------------------------------------------------


IMPORT_BATCH = 500


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with the file, named by the area it concerns."""

    code: str
    name: str
    message: str

    def __str__(self) -> str:
        label = f"{self.name} ({self.code})" if self.name and self.code else self.name or self.code or "file"
        return f"{label}: {self.message}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    dry_run: bool = False
    created_codes: list[str] = field(default_factory=list)
    updated_codes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


class AreaImportError(Invalid):
    """The file has problems (``problems``); nothing was written."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        shown = "; ".join(str(problem) for problem in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{len(problems)} problem(s): {shown}{more}")


@dataclass
class _Row:
    index: int
    code: str
    name: str
    level: str
    parent_code: str | None
    households: int | None
    valid_from: date | None
    has_valid_from: bool
    boundary: dict[str, Any] | None
    geom: BaseGeometry | None


def _label(properties: dict[str, Any], index: int) -> tuple[str, str]:
    code = properties.get("code")
    name = properties.get("name")
    return (
        code if isinstance(code, str) else "",
        name if isinstance(name, str) and name.strip() else f"feature {index + 1}",
    )


def _check_name(raw_name: Any, problem: Callable[[str], None]) -> None:
    if not isinstance(raw_name, str) or not raw_name.strip():
        problem("name is missing")
    elif len(raw_name.strip()) > 100:
        problem("name is longer than 100 characters")


def _check_code(properties: dict[str, Any], code: str, parent_code: Any, problem: Callable[[str], None]) -> None:
    level = properties.get("level")
    if level not in AreaLevel.values:
        problem(f"level must be one of {', '.join(AreaLevel.values)}")
    if parent_code is not None and not isinstance(parent_code, str):
        problem("parent_code must be a string")
    if not isinstance(properties.get("code"), str):
        problem("code is missing")
    elif level in AreaLevel.values:
        for message in code_problems(code, level, parent_code if isinstance(parent_code, str) else None):
            problem(message)


def _households(properties: dict[str, Any], problem: Callable[[str], None]) -> Any:
    households = properties.get("households")
    if households is not None and (isinstance(households, bool) or not isinstance(households, int) or households < 0):
        problem("households must be a whole number, 0 or more")
    return households


def _valid_from(properties: dict[str, Any], problem: Callable[[str], None]) -> date | None:
    raw_date = properties.get("valid_from")
    if raw_date is None:
        return None
    try:
        valid_from = date.fromisoformat(raw_date) if isinstance(raw_date, str) else None
    except ValueError:
        valid_from = None
    if valid_from is None:
        problem("valid_from must be a date (YYYY-MM-DD)")
    return valid_from


def _geometry(feature: dict[str, Any], problem: Callable[[str], None]) -> tuple[dict[str, Any] | None, Any]:
    if feature.get("geometry") is None:
        return None, None
    try:
        return geometry.validate(feature["geometry"])
    except geometry.GeometryError as exc:
        problem(str(exc))
        return None, None


def _parse_feature(index: int, feature: Any, problems: list[ImportProblem]) -> _Row | None:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        problems.append(ImportProblem("", f"feature {index + 1}", "not a GeoJSON Feature"))
        return None
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        problems.append(ImportProblem("", f"feature {index + 1}", "properties are missing"))
        return None
    code, name = _label(properties, index)
    before = len(problems)

    def problem(message: str) -> None:
        problems.append(ImportProblem(code, name, message))

    raw_name = properties.get("name")
    _check_name(raw_name, problem)
    parent_code = properties.get("parent_code")
    _check_code(properties, code, parent_code, problem)
    if parent_code == "":
        parent_code = None
    households = _households(properties, problem)
    valid_from = _valid_from(properties, problem)
    boundary, geom = _geometry(feature, problem)
    if len(problems) > before:
        return None
    return _Row(
        index=index,
        code=code,
        name=str(raw_name).strip(),
        level=str(properties.get("level")),
        parent_code=parent_code,
        households=households,
        valid_from=valid_from,
        has_valid_from="valid_from" in properties,
        boundary=boundary,
        geom=geom,
    )


@dataclass
class _Member:
    """A current area as it will be after the import: from the file, or as stored."""

    code: str
    name: str
    geom: BaseGeometry | None
    from_file: bool


def _check_overlaps(members: list[_Member], problems: list[ImportProblem]) -> None:
    """Report every pair of overlapping siblings where at least one comes from the file."""
    placed = [member for member in members if member.geom is not None]
    shapes: list[BaseGeometry] = [member.geom for member in placed if member.geom is not None]
    if len(placed) < 2:
        return
    tree = shapely.STRtree(shapes)
    for i, member in enumerate(placed):
        if not member.from_file:
            continue
        for j in tree.query(member.geom, predicate="intersects"):
            other = placed[int(j)]
            if int(j) == i or (other.from_file and int(j) < i):
                continue  # the pair is reported once
            assert member.geom is not None and other.geom is not None
            if geometry.overlap_share(member.geom, other.geom) > geometry.AREA_TOLERANCE:
                problems.append(ImportProblem(member.code, member.name, f"overlaps {other.name} ({other.code})"))


def _check_parents(
    rows: list[_Row], by_code: dict[str, _Row], stored: dict[str, Area], problems: list[ImportProblem]
) -> None:
    """Each row agrees with the database (level, parent) and has a parent of the level above."""
    for row in rows:
        existing = stored.get(row.code)
        if existing is not None and existing.level != row.level:
            problems.append(ImportProblem(row.code, row.name, f"is a {existing.level} in the database"))
        if existing is not None and (existing.parent.code if existing.parent else None) != row.parent_code:
            problems.append(ImportProblem(row.code, row.name, "parent differs from the database"))
        if row.parent_code is None:
            continue
        expected = PARENT_LEVEL.get(AreaLevel(row.level))
        parent_row = by_code.get(row.parent_code)
        parent_level = parent_row.level if parent_row else getattr(stored.get(row.parent_code), "level", None)
        if parent_level is None:
            problems.append(ImportProblem(row.code, row.name, f"unknown parent {row.parent_code}"))
        elif parent_level != expected:
            problems.append(
                ImportProblem(row.code, row.name, f"parent {row.parent_code} is a {parent_level}, not a {expected}")
            )


@dataclass
class _Shapes:
    """The geometry each code will have after the import: the file's, else the stored one."""

    by_code: dict[str, _Row]
    stored: dict[str, Area]

    def geom(self, code: str) -> BaseGeometry | None:
        row = self.by_code.get(code)
        if row is not None and row.geom is not None:
            return row.geom
        area = self.stored.get(code)
        return _shape_or_none(area.boundary) if area is not None else None

    def name(self, code: str) -> str:
        row = self.by_code.get(code)
        return row.name if row else self.stored[code].name


def _check_sibling_overlaps(rows: list[_Row], shapes: _Shapes, problems: list[ImportProblem]) -> None:
    """Overlapping siblings, one group per parent (districts: the group of all districts)."""
    groups: dict[str | None, list[_Row]] = defaultdict(list)
    for row in rows:
        groups[row.parent_code].append(row)
    for parent_code, group in sorted(groups.items(), key=lambda item: item[0] or ""):
        members = [_Member(row.code, row.name, shapes.geom(row.code), True) for row in group]
        if parent_code is None:
            siblings = Area.objects.current().filter(level=AreaLevel.DISTRICT)
        elif parent_code in shapes.stored:
            siblings = Area.objects.current().filter(parent=shapes.stored[parent_code])
        else:
            siblings = Area.objects.none()  # a parent new in this file has no stored children
        members += [
            _Member(area.code, area.name, _shape_or_none(area.boundary), False)
            for area in siblings.filter(boundary__isnull=False).only("code", "name", "boundary")
            if area.code not in shapes.by_code
        ]
        _check_overlaps(members, problems)


def _check_containment(rows: list[_Row], shapes: _Shapes, problems: list[ImportProblem]) -> None:
    """Children inside their parents, and stored children (not in the file) inside a parent
    whose boundary the file changes."""
    for row in rows:
        if row.parent_code is None:
            continue
        child_geom = shapes.geom(row.code)
        parent_geom = shapes.geom(row.parent_code)
        if child_geom is None or parent_geom is None:
            continue
        if geometry.outside_share(child_geom, parent_geom) > geometry.AREA_TOLERANCE:
            problems.append(
                ImportProblem(
                    row.code,
                    row.name,
                    f"sticks out of its parent {shapes.name(row.parent_code)} ({row.parent_code})",
                )
            )
    reshaped = [row for row in rows if row.geom is not None and row.code in shapes.stored]
    for row in reshaped:
        assert row.geom is not None
        children = Area.objects.current().filter(parent=shapes.stored[row.code], boundary__isnull=False)
        for child in children.only("code", "name", "boundary"):
            if child.code in shapes.by_code:
                continue
            child_geom = _shape_or_none(child.boundary)
            if child_geom is not None and geometry.outside_share(child_geom, row.geom) > geometry.AREA_TOLERANCE:
                problems.append(ImportProblem(row.code, row.name, f"{child.name} ({child.code}) would stick out of it"))


def _plan(rows: list[_Row], problems: list[ImportProblem]) -> dict[str, Area]:
    """Check parents, levels and geometry against the file and the database. Returns the
    stored current areas by code that the file refers to."""
    by_code: dict[str, _Row] = {}
    for row in rows:
        if row.code in by_code:
            problems.append(ImportProblem(row.code, row.name, "code appears more than once in the file"))
        else:
            by_code[row.code] = row
    wanted = set(by_code) | {row.parent_code for row in rows if row.parent_code}
    stored = {area.code: area for area in Area.objects.current().filter(code__in=wanted).select_related("parent")}
    _check_parents(rows, by_code, stored, problems)
    if problems:
        return stored
    shapes = _Shapes(by_code, stored)
    _check_sibling_overlaps(rows, shapes, problems)
    _check_containment(rows, shapes, problems)
    return stored


def _normalized(boundary: Any) -> Any:
    try:
        return geometry.normalize(boundary)
    except geometry.GeometryError:
        return boundary


def _changes(row: _Row, area: Area) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if row.name != area.name:
        changes["name"] = row.name
    if row.households is not None and row.households != area.households:
        changes["households"] = row.households
    if row.has_valid_from and row.valid_from != area.valid_from:
        changes["valid_from"] = row.valid_from
    if row.boundary is not None and row.boundary != _normalized(area.boundary):
        changes["boundary"] = row.boundary
    return changes


def _bulk_insert(rows: list[_Row], by_code: dict[str, Area]) -> None:
    """Insert new areas of one level, then set their paths; adds them to ``by_code``."""
    areas = []
    for row in rows:
        area = Area(
            code=row.code,
            name=row.name,
            level=row.level,
            parent=by_code[row.parent_code] if row.parent_code else None,
            households=row.households or 0,
            boundary=row.boundary,
            valid_from=row.valid_from,
        )
        _apply_bounds(area, row.geom)
        areas.append(area)
    Area.objects.bulk_create(areas, batch_size=IMPORT_BATCH)
    for area in areas:
        area.path = f"{area.parent.path if area.parent else '/'}{area.pk}/"
        by_code[area.code] = area
    Area.objects.bulk_update(areas, ["path"], batch_size=IMPORT_BATCH)


@transaction.atomic
def areas_import(*, actor: User | AnonymousUser | None, collection: Any, dry_run: bool = False) -> ImportReport:
    """Import areas from a GeoJSON FeatureCollection (see ``docs/areas.md``).

    Each feature's properties carry ``code``, ``name``, ``level``, ``parent_code`` and
    optionally ``households`` and ``valid_from``. Parents come from the file or the
    database. A feature without geometry keeps the stored boundary. Any problem raises
    :class:`AreaImportError` listing all of them, and nothing is written. An import that
    changes nothing writes nothing (no audit row either); otherwise one audit row holds the
    counts.
    """
    problems: list[ImportProblem] = []
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise AreaImportError([ImportProblem("", "", "the file is not a GeoJSON FeatureCollection")])
    features = collection.get("features")
    if not isinstance(features, list):
        raise AreaImportError([ImportProblem("", "", "the FeatureCollection has no list of features")])
    rows = [row for index, feature in enumerate(features) if (row := _parse_feature(index, feature, problems))]
    if problems:
        raise AreaImportError(problems)
    rows.sort(key=lambda row: (level_rank(row.level), row.code))
    stored = _plan(rows, problems)
    if problems:
        raise AreaImportError(problems)

    report = ImportReport(dry_run=dry_run)
    planned: list[tuple[_Row, Area | None, dict[str, Any]]] = []
    for row in rows:
        existing = stored.get(row.code)
        if existing is None:
            report.created += 1
            report.created_codes.append(row.code)
            planned.append((row, None, {}))
            continue
        changes = _changes(row, existing)
        if changes:
            report.updated += 1
            report.updated_codes.append(row.code)
            planned.append((row, existing, changes))
        else:
            report.unchanged += 1
    if dry_run or not report.changed:
        return report

    by_code = dict(stored)
    for level in LEVEL_ORDER:
        # One level at a time: a parent's id (and so its path) exists before its children.
        new_rows = [row for row, existing, _changes_ in planned if existing is None and row.level == level]
        if new_rows:
            _bulk_insert(new_rows, by_code)
    for row, existing, changes in planned:
        if existing is None:
            continue
        for name, value in changes.items():
            setattr(existing, name, value)
        fields = list(changes)
        if "boundary" in changes:
            _apply_bounds(existing, row.geom)
            fields += ["min_lng", "min_lat", "max_lng", "max_lat", "center_lng", "center_lat"]
        existing.save(update_fields=[*fields, "updated_at"])
    record(
        action="areas.import",
        actor=actor,
        object_type="areas.area",
        data={"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
    )
    _invalidate_on_commit()
    return report


# --- GeoJSON export ----------------------------------------------------------------------


def areas_export(*, level: str | None = None, root: Area | None = None) -> dict[str, Any]:
    """Current areas as a FeatureCollection that :func:`areas_import` accepts back, parents
    first. ``root`` limits it to that subtree (root included), ``level`` to one level."""
    areas = Area.objects.current().select_related("parent")
    if level is not None:
        if level not in AreaLevel.values:
            raise ValidationError({"level": f"Unknown level {level!r}."})
        areas = areas.filter(level=level)
    if root is not None:
        areas = areas.filter(path__startswith=root.path)
    return feature_collection(areas)

"""Importing areas from a GeoJSON FeatureCollection: every feature checked (codes, parents,
levels, overlaps, containment) before anything is written, then one level at a time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import shapely
from django.db import transaction
from shapely.geometry.base import BaseGeometry

from gridgov.core.audit import record
from gridgov.core.errors import Invalid

from .. import geometry
from ..geojson import level_rank
from ..models import LEVEL_ORDER, PARENT_LEVEL, Area, AreaLevel
from .checks import apply_bounds, invalidate_on_commit, shape_or_none
from .codes import code_problems

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


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
        return shape_or_none(area.boundary) if area is not None else None

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
            _Member(area.code, area.name, shape_or_none(area.boundary), False)
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
            child_geom = shape_or_none(child.boundary)
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
        apply_bounds(area, row.geom)
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
            apply_bounds(existing, row.geom)
            fields += ["min_lng", "min_lat", "max_lng", "max_lat", "center_lng", "center_lat"]
        existing.save(update_fields=[*fields, "updated_at"])
    record(
        action="areas.import",
        actor=actor,
        object_type="areas.area",
        data={"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
    )
    invalidate_on_commit()
    return report

"""Patrols: a grid worker's round through the grid, recorded on the phone with its route.

A patrol arrives whole from the phone once it has ended (the phone keeps it while it runs and
while there is no signal); :func:`gridgov.patrols.services.patrol_record` stores it once per
client UUID. The track is one JSON column of compact points, not a row per point: a patrol is
read and written whole, and 2,000 points stay under about 80 KB.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .coverage import Checkpoint


class CoverageMeasure(models.TextChoices):
    AREA = "area", _("Share of the grid's area")
    ROADS = "roads", _("Share of the grid's road length")


class PatrolStatus(models.TextChoices):
    COMPLETE = "complete", _("Complete")
    NO_TRACK = "no_track", _("Without a route")


class Patrol(models.Model):
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("grid worker"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey("areas.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    # The grid's area path, copied for scoped lists without a join (as on cases).
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    # The phone's UUID for the patrol: the same UUID from the same worker is the same patrol.
    client_id = models.UUIDField(_("client id"))
    fingerprint = models.CharField(max_length=64, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=PatrolStatus.choices, default=PatrolStatus.COMPLETE)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"))
    # The worker agreed to have the route recorded (shown on the phone before it starts).
    consent = models.BooleanField(_("consent to record the route"), default=False)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    distance_m = models.PositiveIntegerField(_("distance (m)"), default=0)
    point_count = models.PositiveIntegerField(_("points"), default=0)
    # [[seconds since started_at, lat, lng, accuracy in metres or null], ...] in time order.
    track = models.JSONField(default=list, blank=True)
    # Frozen when the patrol is stored (docs/patrols.md, "Coverage"): the share (0-1) of the
    # grid within 50 m of the route (null for a grid without a boundary), and the names of
    # the grid standard's checkpoints the route passed, out of how many it had then.
    coverage = models.FloatField(_("coverage"), null=True, blank=True)
    # Which share ``coverage`` is: of the grid's road lines when it had any then, else its area.
    coverage_measure = models.CharField(
        _("coverage measure"), max_length=5, choices=CoverageMeasure.choices, default=CoverageMeasure.AREA
    )
    checkpoints_passed = models.JSONField(_("checkpoints passed"), default=list, blank=True)
    checkpoint_total = models.PositiveSmallIntegerField(_("checkpoints in the standard"), default=0)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "client_id"], name="patrol_client_id_unique"),
            models.CheckConstraint(condition=Q(ended_at__gt=models.F("started_at")), name="patrol_ends_after_start"),
            models.CheckConstraint(condition=Q(consent=True), name="patrol_has_consent"),
        ]
        indexes = [
            models.Index(fields=["-started_at", "-id"], name="patrol_started"),
            models.Index(fields=["worker", "-started_at", "-id"], name="patrol_worker_started"),
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def duration_s(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds())

    @property
    def duration_minutes(self) -> int:
        return round(self.duration_s / 60)

    @property
    def distance_km(self) -> float:
        return self.distance_m / 1000

    @property
    def coverage_percent(self) -> float | None:
        return None if self.coverage is None else round(self.coverage * 100, 1)

    def points(self) -> list[dict[str, Any]]:
        """The track as ``{"t", "lat", "lng", "accuracy"}`` dicts with absolute times."""
        return [
            {"t": self.started_at + dt.timedelta(seconds=offset), "lat": lat, "lng": lng, "accuracy": accuracy}
            for offset, lat, lng, accuracy in self.track
        ]


class PatrolFinding(models.Model):
    """A case reported during a patrol, named by the phone with the case's client UUID (its
    ``Idempotency-Key``). ``case`` stays empty while that report has not reached the server;
    reads look it up again."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="findings")
    client_id = models.CharField(_("client id"), max_length=64)
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["patrol_id", "id"]
        constraints = [models.UniqueConstraint(fields=["patrol", "client_id"], name="patrol_finding_unique")]

    def __str__(self) -> str:
        return f"{self.patrol_id}: {self.client_id}"


class PatrolStandard(models.Model):
    """What is expected of the patrols of one grid: a minimum of minutes per working day, and
    checkpoints to pass (a point and a radius), some of them key places with a number of
    visits per week. Changed only through
    :func:`gridgov.patrols.services.standard_set`, which keeps the history in the audit log."""

    grid = models.OneToOneField(
        "areas.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="patrol_standard"
    )
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    min_minutes_per_day = models.PositiveSmallIntegerField(_("minimum minutes per working day"), default=0)
    # [{"name", "lat", "lng", "radius_m", "visits_per_week"}, ...]
    checkpoints = models.JSONField(_("checkpoints"), default=list, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("patrol standard")
        verbose_name_plural = _("patrol standards")
        ordering = ["area_path"]

    def __str__(self) -> str:
        return f"{self.grid_id}: {self.min_minutes_per_day} min"

    def checkpoint_list(self) -> list[Checkpoint]:
        return [
            Checkpoint(
                name=str(item["name"]),
                lat=float(item["lat"]),
                lng=float(item["lng"]),
                radius_m=float(item.get("radius_m") or 30),
                visits_per_week=int(item.get("visits_per_week") or 0),
            )
            for item in self.checkpoints
        ]


class RoadLine(models.Model):
    """A road of a grid as a line (GeoJSON ``LineString`` or ``MultiLineString``, lng/lat),
    loaded from GeoJSON by the center (``manage.py load_roads`` or the import page). A grid with
    road lines has its patrol coverage measured on them (docs/patrols.md, "Coverage")."""

    grid = models.ForeignKey("areas.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    geometry = models.JSONField(_("line"))
    # Inside the grid's boundary, in metres (computed on import).
    length_m = models.PositiveIntegerField(_("length (m)"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("road line")
        verbose_name_plural = _("road lines")
        ordering = ["grid_id", "name"]
        constraints = [models.UniqueConstraint(fields=["grid", "name"], name="road_line_name_unique_per_grid")]

    def __str__(self) -> str:
        return self.name

"""The area tree: district → town → village → grid."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AreaLevel(models.TextChoices):
    DISTRICT = "district", _("District")
    TOWN = "town", _("Town")
    VILLAGE = "village", _("Village")
    GRID = "grid", _("Grid")


LEVEL_ORDER = [AreaLevel.DISTRICT, AreaLevel.TOWN, AreaLevel.VILLAGE, AreaLevel.GRID]
# The level a parent must have for each level.
PARENT_LEVEL = {
    AreaLevel.TOWN: AreaLevel.DISTRICT,
    AreaLevel.VILLAGE: AreaLevel.TOWN,
    AreaLevel.GRID: AreaLevel.VILLAGE,
}


class AreaQuerySet(models.QuerySet["Area"]):
    def current(self) -> AreaQuerySet:
        """Areas in force now: retired versions have ``valid_to`` set."""
        return self.filter(valid_to__isnull=True)

    def grids(self) -> AreaQuerySet:
        return self.filter(level=AreaLevel.GRID)


class Area(models.Model):
    """One node of the area tree.

    Codes follow the statistics division codes (DOMAIN.md §3): districts, towns and villages
    have 12 digits (6 county + 3 township + 3 village), grids 14 (the village's 12 + 2).
    ``path`` is the materialized path of ids (``/1/5/23/``) so that a subtree is one
    indexed ``startswith`` filter. ``boundary`` is a GeoJSON Polygon or MultiPolygon in
    WGS84 (lng, lat); the bounding box and centroid are derived from it on save by the
    services.
    """

    code = models.CharField(_("code"), max_length=14, db_index=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=AreaLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False, default="")
    households = models.PositiveIntegerField(_("households"), default=0)
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    min_lng = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lng = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    center_lng = models.FloatField(null=True, blank=True, editable=False)
    center_lat = models.FloatField(null=True, blank=True, editable=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(valid_to__isnull=True), name="area_code_unique_current"
            ),
            models.CheckConstraint(
                condition=Q(level="district", parent__isnull=True) | ~Q(level="district"),
                name="area_district_has_no_parent",
            ),
            models.CheckConstraint(
                condition=Q(level="district") | Q(parent__isnull=False),
                name="area_non_district_has_parent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to and including this area."""
        return [int(part) for part in self.path.strip("/").split("/") if part]


class PlaceKind(models.TextChoices):
    ROAD = "road", _("Road")
    LANDMARK = "landmark", _("Landmark")
    COMMUNITY = "community", _("Residential community")


class Place(models.Model):
    """A named place of a town that is not an area of the tree (a road, a landmark, a
    residential community), with a point: what a caller names on the phone ("太平大街",
    "镇卫生院"), for the center's place search. No outside geocoder is asked."""

    town = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="places", verbose_name=_("town"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=PlaceKind.choices)
    lat = models.FloatField(_("latitude"))
    lng = models.FloatField(_("longitude"))
    # Upper-case pinyin initials of the name (太平大街 -> TPDJ), kept for the search.
    initials = models.CharField(max_length=100, blank=True, db_index=True, editable=False)

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["town", "name"]
        constraints = [models.UniqueConstraint(fields=["town", "name"], name="place_name_unique_per_town")]

    def __str__(self) -> str:
        return self.name

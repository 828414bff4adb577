"""Basic data of a grid and the daily visits (日走访) of its worker.

A grid holds households (the head of household's name and phone and the address are personal
data: encrypted at rest, masked, revealed with an audit row, as a hotline petitioner) and
units: shops, enterprises, schools, and the key places (hazard points, construction sites),
which are units of a key kind (``UnitKind.KEY_KINDS``), not areas of the tree. A visit is one
call of a worker on one household or one unit, recorded on the phone, once per client UUID.
How often a care-tagged household must be visited is a :class:`VisitPlan` per care tag.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.core.crypto import EncryptedTextField


class CareTag(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("Elderly living alone")
    DISABLED = "disabled", _("Person with a disability")
    LEFT_BEHIND_CHILD = "left_behind_child", _("Left-behind child")
    LOW_INCOME = "low_income", _("Low-income household")


class UnitKind(models.TextChoices):
    SHOP = "shop", _("Shop")
    ENTERPRISE = "enterprise", _("Enterprise")
    SCHOOL = "school", _("School")
    HAZARD_POINT = "hazard_point", _("Hazard point")
    CONSTRUCTION_SITE = "construction_site", _("Construction site")
    OTHER = "other", _("Other unit")


# Kinds that are the grid's key places (重点场所) rather than its units.
KEY_KINDS: Final = frozenset({UnitKind.HAZARD_POINT, UnitKind.CONSTRUCTION_SITE})


class HazardTag(models.TextChoices):
    FIRE = "fire", _("Fire")
    GAS = "gas", _("Gas")
    CHEMICALS = "chemicals", _("Chemicals")
    CROWD = "crowd", _("Crowded place")
    STRUCTURE = "structure", _("Unsafe structure")
    FLOOD = "flood", _("Flooding")


class UnitPlanTag(models.TextChoices):
    """What a unit's visit plan is for: one of its hazard tags, or its key-place kind."""

    FIRE = "fire", _("Fire")
    GAS = "gas", _("Gas")
    CHEMICALS = "chemicals", _("Chemicals")
    CROWD = "crowd", _("Crowded place")
    STRUCTURE = "structure", _("Unsafe structure")
    FLOOD = "flood", _("Flooding")
    HAZARD_POINT = "hazard_point", _("Hazard point")
    CONSTRUCTION_SITE = "construction_site", _("Construction site")


class Finding(models.TextChoices):
    NOTHING = "nothing", _("Nothing to report")
    NEED = "need", _("A need")
    DISPUTE = "dispute", _("A dispute")
    HAZARD = "hazard", _("A hazard")


class Household(models.Model):
    grid = models.ForeignKey("areas.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    # The grid's area path, copied for scoped lists without a join (as on cases).
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    # Encrypted at rest; ``address_key`` (a keyed digest of the normalised address) is the
    # natural key inside the grid: a re-import updates the household instead of adding one.
    address = EncryptedTextField(_("address"))
    address_key = models.CharField(max_length=64, editable=False)
    head_name = EncryptedTextField(_("head of household"), blank=True)
    head_phone = EncryptedTextField(_("phone"), blank=True)
    member_count = models.PositiveSmallIntegerField(_("members"), null=True, blank=True)
    # Care tags are health and welfare data (issue 15): encrypted at rest, the tags joined by
    # commas; use the ``care_tags`` property. ``cared`` (any tag at all) is the only index kept
    # in clear, for the due lists: it says no more than the masked "关怀对象 ●●" of the lists.
    care_tags_sealed = EncryptedTextField(_("care tags"), blank=True, default="")
    cared = models.BooleanField(_("care-tagged"), default=False, editable=False)
    # Kept but flagged: an import row with something doubtful (see ``doubts``).
    doubtful = models.BooleanField(_("doubtful"), default=False)
    doubts = models.TextField(_("doubts"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("registered at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["area_path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "address_key"], name="household_address_unique_per_grid"),
        ]

    def __str__(self) -> str:
        return f"household {self.pk}"

    @property
    def care_tags(self) -> list[str]:
        """The care tags in clear (decrypted); show them masked unless revealed or allowed."""
        return [tag for tag in (self.care_tags_sealed or "").split(",") if tag]

    @care_tags.setter
    def care_tags(self, tags: Iterable[str]) -> None:
        tags = [str(tag) for tag in tags if tag]
        self.care_tags_sealed = ",".join(tags)
        self.cared = bool(tags)

    @property
    def care_labels(self) -> list[str]:
        return [str(CareTag(tag).label) for tag in self.care_tags if tag in CareTag.values]


class Unit(models.Model):
    grid = models.ForeignKey("areas.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # A person's name and phone: encrypted and masked like a household's head.
    contact_name = EncryptedTextField(_("contact"), blank=True)
    contact_phone = EncryptedTextField(_("contact phone"), blank=True)
    hazard_tags = models.JSONField(_("hazard tags"), default=list, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    doubtful = models.BooleanField(_("doubtful"), default=False)
    doubts = models.TextField(_("doubts"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("registered at"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["area_path", "name", "id"]
        constraints = [models.UniqueConstraint(fields=["grid", "name"], name="unit_name_unique_per_grid")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_key_place(self) -> bool:
        return self.kind in KEY_KINDS

    @property
    def hazard_labels(self) -> list[str]:
        return [str(HazardTag(tag).label) for tag in self.hazard_tags if tag in HazardTag.values]

    @property
    def plan_tags(self) -> list[str]:
        """The tags a unit's visit plans follow: its hazard tags and, for a key place, its kind."""
        tags = [tag for tag in self.hazard_tags if tag in HazardTag.values]
        return [*tags, self.kind] if self.kind in KEY_KINDS else tags

    @property
    def plan_labels(self) -> list[str]:
        return [str(UnitPlanTag(tag).label) for tag in self.plan_tags]


class VisitPlan(models.Model):
    """How often a household with ``care_tag`` must be visited. A household with several tags
    follows the shortest interval among its tags' active plans."""

    care_tag = models.CharField(_("care tag"), max_length=20, choices=CareTag.choices, unique=True)
    interval_days = models.PositiveSmallIntegerField(_("visit at least every (days)"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("visit plan")
        verbose_name_plural = _("visit plans")
        ordering = ["care_tag"]
        constraints = [models.CheckConstraint(condition=Q(interval_days__gte=1), name="visit_plan_interval_positive")]

    def __str__(self) -> str:
        return f"{self.care_tag}: {self.interval_days}"


class UnitVisitPlan(models.Model):
    """How often a unit with a hazard tag, or a key place of a kind, must be visited. A unit
    follows the shortest interval among its tags' active plans (as a household's care tags)."""

    tag = models.CharField(_("hazard tag or key-place kind"), max_length=20, choices=UnitPlanTag.choices, unique=True)
    interval_days = models.PositiveSmallIntegerField(_("visit at least every (days)"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit visit plan")
        verbose_name_plural = _("unit visit plans")
        ordering = ["tag"]
        constraints = [
            models.CheckConstraint(condition=Q(interval_days__gte=1), name="unit_visit_plan_interval_positive")
        ]

    def __str__(self) -> str:
        return f"{self.tag}: {self.interval_days}"


class Visit(models.Model):
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("grid worker"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey("areas.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    area_path = models.CharField(max_length=255, db_index=True, editable=False)
    household = models.ForeignKey(
        Household, verbose_name=_("household"), null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    # The phone's UUID for the visit (its Idempotency-Key): the same UUID from the same worker
    # is the same visit.
    client_id = models.UUIDField(_("client id"))
    fingerprint = models.CharField(max_length=64, editable=False)
    visited_at = models.DateTimeField(_("visited at"), db_index=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    accuracy = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    finding = models.CharField(_("finding"), max_length=10, choices=Finding.choices, default=Finding.NOTHING)
    notes = models.TextField(_("notes"), blank=True)
    # The case a finding became: linked at once when made on the server, or named by the
    # phone with the case's client UUID and looked up again on reading.
    case = models.ForeignKey(
        "cases.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    case_client_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["worker", "client_id"], name="visit_client_id_unique"),
            models.CheckConstraint(
                condition=(Q(household__isnull=False) & Q(unit__isnull=True))
                | (Q(household__isnull=True) & Q(unit__isnull=False)),
                name="visit_one_target",
            ),
        ]
        indexes = [
            models.Index(fields=["-visited_at", "-id"], name="visit_visited"),
            models.Index(fields=["household", "-visited_at"], name="visit_household_latest"),
            models.Index(fields=["unit", "-visited_at"], name="visit_unit_latest"),
        ]

    def __str__(self) -> str:
        return f"visit {self.pk}"

    @property
    def target(self) -> Household | Unit:
        return self.household if self.household_id else self.unit  # type: ignore[return-value]


class VisitPhoto(models.Model):
    """A photo taken on a visit: checked, stored encrypted (the default storage) and copied to
    a thumbnail and display copy without EXIF by the worker, as a case's photos
    (:mod:`gridgov.cases.photos`); served only to who may see the visit."""

    visit = models.ForeignKey(Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("file"), upload_to="visits/%Y/%m/")
    display = models.FileField(null=True, blank=True, upload_to="visits/display/%Y/%m/")
    thumbnail = models.FileField(null=True, blank=True, upload_to="visits/thumbs/%Y/%m/")
    content_type = models.CharField(max_length=40)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    taken_at = models.DateTimeField(null=True, blank=True)
    exif_lat = models.FloatField(null=True, blank=True)
    exif_lng = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        ordering = ["visit_id", "id"]
        constraints = [models.UniqueConstraint(fields=["visit", "sha256"], name="visit_photo_unique_content")]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.sha256[:8]}"

"""The staff public notice (上岗公示): what the town publishes about each grid worker and grid
leader, the posters printed for the grids' boards, residents' public reports (a tracking code
per case) and conduct complaints about staff (for the discipline office only)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridgov.core.crypto import EncryptedTextField


class Publication(models.Model):
    """What the center chose to publish about one member of staff; nothing is shown unless
    ``published``, and only the fields filled here (never the profile's personal phone)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="publication"
    )
    published = models.BooleanField(_("published"), default=False)
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    show_photo = models.BooleanField(_("show the photo"), default=True)
    work_phone = models.CharField(_("work phone"), max_length=30, blank=True)
    duties = models.TextField(_("duties"), max_length=500, blank=True)
    service_hours = models.CharField(_("service hours"), max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")

    def __str__(self) -> str:
        return self.display_name or str(self.user_id)


class NoticeSetting(models.Model):
    """A town's settings of the notice: the discipline office's supervision phone and the
    service hours shown for anyone published without hours of their own."""

    town = models.OneToOneField("areas.Area", verbose_name=_("town"), on_delete=models.PROTECT, related_name="+")
    supervision_phone = models.CharField(_("supervision phone"), max_length=30, blank=True)
    service_hours = models.CharField(_("service hours"), max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notice setting")
        verbose_name_plural = _("notice settings")

    def __str__(self) -> str:
        return self.supervision_phone


class Poster(models.Model):
    """One generated A4 poster of a grid; the newest of a grid is the one on its board. It needs
    a reprint when the grid's published staff no longer match its ``fingerprint``."""

    grid = models.ForeignKey("areas.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField(_("generated at"), db_index=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fingerprint = models.CharField(max_length=64)
    pdf = models.FileField(_("PDF"), upload_to="posters/")

    class Meta:
        verbose_name = _("poster")
        verbose_name_plural = _("posters")
        ordering = ["-generated_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.generated_at:%Y-%m-%d}"


class PublicReport(models.Model):
    """A case a resident reported from a public page: the tracking code they were given. The
    tracking page shows the case's progress, never anyone's personal data."""

    code = models.CharField(_("tracking code"), max_length=16, unique=True)
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="public_report")
    created_at = models.DateTimeField(auto_now_add=True)
    spam = models.BooleanField(_("spam"), default=False)
    # The report form's one-time key: the same form sent twice (a double tap, a retry after a
    # lost answer) makes one case and answers with the same tracking code.
    submission_key = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("public report")
        verbose_name_plural = _("public reports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.code


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    INVESTIGATING = "investigating", _("Under investigation")
    CONCLUDED = "concluded", _("Concluded")
    TRANSFERRED = "transferred", _("Transferred")
    DISMISSED = "dismissed", _("Not taken up")


class ConductComplaint(models.Model):
    """A resident's complaint about a member of staff's conduct. It goes to the discipline
    office only: its text and contact are encrypted, shown masked to supervisors, and each
    reveal is audited. It moves on the workflow of :mod:`gridgov.notice.complaints` (received →
    investigating → concluded, or transferred / not taken up), each step a
    :class:`ComplaintEvent`; the resident follows only its state by ``code``."""

    town = models.ForeignKey("areas.Area", verbose_name=_("town"), on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(
        "areas.Area", verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    concerning = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff concerned"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = EncryptedTextField(_("complaint"))
    contact_name = EncryptedTextField(_("name"), blank=True)
    contact_phone = EncryptedTextField(_("phone"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ComplaintStatus.choices, default=ComplaintStatus.RECEIVED
    )
    received_at = models.DateTimeField(_("received at"), db_index=True)
    # The resident's tracking code (the public page shows the state only); null for complaints
    # received before codes were given.
    code = models.CharField(_("tracking code"), max_length=16, null=True, blank=True, unique=True)
    # The discipline office's conclusion (encrypted: it names the staff and what was found).
    conclusion = EncryptedTextField(_("conclusion"), blank=True)
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("conduct complaint")
        verbose_name_plural = _("conduct complaints")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"#{self.pk}"


class ComplaintEvent(models.Model):
    """One step of a complaint's handling: who, when, from and to which status, and the note
    (encrypted, as the complaint)."""

    complaint = models.ForeignKey(ConductComplaint, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("time"))
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    comment = EncryptedTextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("complaint step")
        verbose_name_plural = _("complaint steps")
        ordering = ["complaint_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.action}"


class PublicLimit(models.Model):
    """How many public reports (or complaints) one client or one phone had accepted in one
    window (an hour, a day). Counted in the database inside the report's own transaction, so
    parallel requests cannot all pass the limit; ``key`` is a digest (no address nor phone)."""

    key = models.CharField(max_length=80)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("public report limit")
        verbose_name_plural = _("public report limits")
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="notice_limit_key_window")]
        indexes = [models.Index(fields=["window_start"], name="notice_limit_window")]

    def __str__(self) -> str:
        return f"{self.key} {self.window_start:%Y-%m-%d %H:%M}: {self.count}"

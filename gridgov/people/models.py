"""Departments, staff profiles, role assignments and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DepartmentKind(models.TextChoices):
    TOWN_OFFICE = "town_office", _("Town office")
    OUTSIDE_BODY = "outside_body", _("Outside body")
    VILLAGE = "village", _("Village committee")


class Department(models.Model):
    """Who handles dispatched work: a town office or an outside body (e.g. traffic police)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=DepartmentKind.choices)
    areas = models.ManyToManyField("areas.Area", verbose_name=_("areas served"), related_name="departments", blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """The public face of a member of staff (used by the staff notice and contact lists)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="profile"
    )
    full_name = models.CharField(_("full name"), max_length=50)
    photo = models.ImageField(_("photo"), upload_to="staff/", blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    title = models.CharField(_("title"), max_length=50, blank=True)
    duties = models.TextField(_("duties"), blank=True)
    # The language the person chose in the web UI (a code of settings.LANGUAGES); what they
    # read in it: notifications. Empty: the installation's language (settings.LANGUAGE_CODE).
    language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return self.full_name


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("Grid worker")
    GRID_LEADER = "grid_leader", _("Grid leader")
    VILLAGE_STAFF = "village_staff", _("Village staff")
    CENTER_OPERATOR = "center_operator", _("Center operator")
    TOWN_LEADER = "town_leader", _("Town leader")
    DEPARTMENT_HANDLER = "department_handler", _("Department handler")
    SUPERVISOR = "supervisor", _("Discipline supervisor")
    ADMIN = "admin", _("Administrator")
    UPSTREAM = "upstream", _("Upstream system")
    # The three administrators of MLPS level 3 (docs/permissions.md): they see no cases;
    # their rights are in the admin site, fixed in gridgov/people/permissions.py.
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDIT_ADMIN = "audit_admin", _("Audit administrator")


# Roles held over an area, and the area level each expects.
AREA_ROLES = {
    Role.GRID_WORKER: "grid",
    Role.GRID_LEADER: "village",
    Role.VILLAGE_STAFF: "village",
    Role.CENTER_OPERATOR: "town",
    Role.TOWN_LEADER: "town",
}
# Roles whose area is optional: without one they span the whole installation.
OPTIONAL_AREA_ROLES = {Role.SUPERVISOR, Role.UPSTREAM, Role.ADMIN}
DEPARTMENT_ROLES = {Role.DEPARTMENT_HANDLER}
# Roles held over nothing (no area, no department); one user holds at most one of them.
ADMIN_ROLES = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}
# The center's desk: the roles that open the town-wide workbenches (cases, hotline orders), their
# lists and statistics.
DESK_ROLES = frozenset({Role.CENTER_OPERATOR, Role.TOWN_LEADER, Role.SUPERVISOR, Role.ADMIN})


class RoleAssignment(models.Model):
    """A role a user holds over an area or a department. A user can hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices, db_index=True)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("area"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["user_id", "role"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="department_handler") | Q(department__isnull=False, area__isnull=True),
                name="role_department_handler_has_department",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=["grid_worker", "grid_leader", "village_staff", "center_operator", "town_leader"])
                | Q(area__isnull=False, department__isnull=True),
                name="role_area_role_has_area",
            ),
            models.CheckConstraint(
                condition=~Q(role__in=["system_admin", "security_admin", "audit_admin"])
                | Q(area__isnull=True, department__isnull=True),
                name="role_admin_role_has_no_target",
            ),
            # One row per user, role and target. Three partial constraints instead of one with
            # nulls_distinct=False, which SQLite does not enforce.
            models.UniqueConstraint(
                fields=["user", "role", "area"],
                condition=Q(area__isnull=False, department__isnull=True),
                name="role_assignment_unique_area",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "department"],
                condition=Q(department__isnull=False, area__isnull=True),
                name="role_assignment_unique_department",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(area__isnull=True, department__isnull=True),
                name="role_assignment_unique_global",
            ),
        ]

    def __str__(self) -> str:
        target = self.area or self.department or "*"
        return f"{self.user} {self.role} {target}"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A bearer token for devices and upstream systems. Only its SHA-256 hash is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class ThrottleKind(models.TextChoices):
    ACCOUNT = "account", _("Account")
    CLIENT = "client", _("Client address")


class LoginThrottle(models.Model):
    """Failed-login bookkeeping for one username or one client address.

    Counted in the database under a row lock before the password is checked, so parallel
    attempts cannot slip past the limit (see :mod:`gridgov.people.login`).
    """

    kind = models.CharField(_("kind"), max_length=8, choices=ThrottleKind.choices)
    # The username (lower case) for an account, the address for a client.
    key = models.CharField(_("key"), max_length=150)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    window_started_at = models.DateTimeField(_("first failure"), null=True, blank=True)
    last_failure_at = models.DateTimeField(_("last failure"), null=True, blank=True)
    # No attempt is checked before this time: a short delay, or a lock when ``locked``.
    blocked_until = models.DateTimeField(_("blocked until"), null=True, blank=True)
    locked = models.BooleanField(_("locked"), default=False)

    class Meta:
        verbose_name = _("login lock")
        verbose_name_plural = _("login locks")
        ordering = ["-last_failure_at"]
        permissions = [("unlock_login", _("Can unlock accounts and client addresses"))]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="login_throttle_unique_key")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class UserSession(models.Model):
    """A login session of a user: the index that lets every session of one user be ended
    (password change, deactivation, a role taken away), whatever the session store."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("user session")
        verbose_name_plural = _("user sessions")

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at}"


class AccountSecurity(models.Model):
    """Password state of an account: must it change its password at the next login (set
    when an administrator created or reset it), and when it was last changed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="security"
    )
    must_change_password = models.BooleanField(_("must change password"), default=False)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("account security")
        verbose_name_plural = _("account security")
        permissions = [
            ("manage_accounts", _("Can manage accounts: profiles, passwords, deactivation")),
            ("manage_access", _("Can grant roles, groups, permissions and the staff flags")),
            ("reset_twofactor", _("Can reset a user's two-step verification")),
        ]

    def __str__(self) -> str:
        return str(self.user_id)


class PasswordHistory(models.Model):
    """Hashes of a user's recent passwords (never the passwords), to refuse reusing one."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    password = models.CharField(_("password hash"), max_length=128)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("password history")
        verbose_name_plural = _("password history")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at}"

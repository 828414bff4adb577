"""GridGov settings, read from the environment.

Development defaults are safe to run on a laptop. With ``DEBUG`` off the process refuses
to start on the development secret key or an empty ``ALLOWED_HOSTS`` (see
``docs/deployment.md``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GRIDGOV_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


# --- Core -------------------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)
DEV_SECRET_KEY = "gridgov-development-key-do-not-use-in-production"  # noqa: S105  (refused when DEBUG is off)
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "gridgov.web.views_errors.csrf_failure"
# Keys that encrypt personal data at rest (gridgov/core/crypto.py): Fernet keys, newest first,
# comma separated; make one with
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
# Without keys a development key derived from SECRET_KEY is used, refused when DEBUG is off.
GRIDGOV_FIELD_KEYS = env_list("GRIDGOV_FIELD_KEYS")

if not DEBUG and not env_bool("GRIDGOV_TESTING", False):
    if SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random value of at least 32 characters when DEBUG is off."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
    if not GRIDGOV_FIELD_KEYS:
        raise ImproperlyConfigured("GRIDGOV_FIELD_KEYS must be set when DEBUG is off (see docs/deployment.md).")

INSTALLED_APPS = [
    "gridgov.web.admin_apps.GridGovAdminConfig",  # django.contrib.admin with the two-step login
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "gridgov.core",
    "gridgov.workcalendar",
    "gridgov.areas",
    "gridgov.people",
    "gridgov.categories",
    "gridgov.cases",
    "gridgov.notify",
    "gridgov.hotline",
    "gridgov.upstream",
    "gridgov.patrols",
    "gridgov.visits",
    "gridgov.mobile",
    "gridgov.bulletins",
    "gridgov.analysis",
    "gridgov.meetings",
    "gridgov.assessment",
    "gridgov.assignments",
    "gridgov.ledger",
    "gridgov.notice",
    "gridgov.oversight",
    "gridgov.web",
    "gridgov.ops",
    "gridgov.demo",
]

MIDDLEWARE = [
    "gridgov.core.requestid.RequestIdMiddleware",  # the request id in every log line and task
    "gridgov.ops.middleware.MetricsMiddleware",  # requests by view and status, latency (/metrics)
    "gridgov.core.middleware.RequestVersionsMiddleware",  # the cached tables' versions read once a request
    "django.middleware.security.SecurityMiddleware",
    "gridgov.core.middleware.SecurityHeadersMiddleware",  # CSP, Permissions-Policy, no-store
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "gridgov.core.middleware.IdleSessionMiddleware",  # Django's, but background refreshes are not activity
    "gridgov.web.middleware.DefaultLanguageMiddleware",  # Chinese unless the user switches
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gridgov.core.middleware.DatabaseUnavailableMiddleware",  # 503 and a page that reloads, not a 500
    "gridgov.core.middleware.SecurityAuditMiddleware",  # 403s, 404s and downloads of signed-in users
    "gridgov.core.middleware.InputGuardMiddleware",  # control characters, lone surrogates, deep JSON
    "gridgov.core.middleware.SessionAbsoluteTimeoutMiddleware",
    "gridgov.core.middleware.HtmxLoginRedirectMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "gridgov.web.middleware.AccountPolicyMiddleware",  # the password change the policy asks for
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# Django's form renderer, with select boxes written in Python (gridgov/core/renderers.py).
FORM_RENDERER = "gridgov.core.renderers.Renderer"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "gridgov" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "gridgov.web.context_processors.shell",
                "gridgov.notify.context_processors.unread",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------

SQLITE_PATH = VAR_DIR / "db.sqlite3"
SQLITE_ENGINES = ("django.db.backends.sqlite3", "gridgov.core.sqlite")
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{SQLITE_PATH}")


# Persistent connections (DB_CONN_MAX_AGE) are checked before a request reuses one: after a
# database restart every thread's kept connection is dead, and without the check each answered
# its next request with a 500 (bench/load/run.py, docs/benchmarks.md "Load with faults").
def _database(url: str) -> dict[str, Any]:
    db: dict[str, Any] = dict(
        dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 0), conn_health_checks=True)
    )
    if db["ENGINE"] in SQLITE_ENGINES:
        # WAL lets readers run beside the one writer; IMMEDIATE transactions take the write lock
        # up front so two writers queue instead of failing mid-transaction, and the backend
        # queues them on a lock of its own that wakes the next one at once, where SQLite's busy
        # handler sleeps up to 100 ms between tries (gridgov/core/sqlite/base.py).
        db["ENGINE"] = "gridgov.core.sqlite"
        db["OPTIONS"] = {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA temp_store=MEMORY;"
                "PRAGMA cache_size=-64000;"
                "PRAGMA mmap_size=268435456;"
            ),
        }
    elif db["ENGINE"] == "django.db.backends.postgresql":
        # No JIT compilation: the statistics' aggregates are estimated costly enough for it, and
        # compiling them took 0.7-2 s where the query itself took 12 ms (bench/stats.py at ten
        # million cases; docs/benchmarks.md). Also in deploy/postgresql/gridgov.conf.
        db.setdefault("OPTIONS", {})["options"] = "-c jit=off"
    return db


DATABASES = {"default": _database(DATABASE_URL)}
# A read replica for the statistics pages, the cockpit and the bulletins' figures
# (gridgov/core/dbrouter.py; docs/deployment.md, "Several machines"); unset: one database.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = _database(DATABASE_REPLICA_URL)
    DATABASES["replica"].get("OPTIONS", {}).pop("transaction_mode", None)  # a reader takes no write lock
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        # Belt and braces: the router never writes there, and the server would refuse it too.
        DATABASES["replica"]["OPTIONS"]["options"] += " -c default_transaction_read_only=on"
DATABASE_ROUTERS = ["gridgov.core.dbrouter.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_cache_url = env_str("CACHE_URL")
if _cache_url.startswith("redis"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_url}}
else:
    # A file cache is shared by the web and worker processes of one machine (version
    # counters that invalidate in-process indexes live there); production sets CACHE_URL.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Authentication and sessions (MLPS level 3 / OWASP ASVS level 2 baseline) -----------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "gridgov.people.passwords.CharacterClassesValidator"},
    {"NAME": "gridgov.people.passwords.PasswordHistoryValidator"},
]
# Kinds of character a password mixes (of lower case, upper case, digits, symbols).
GRIDGOV_PASSWORD_MIN_CLASSES = env_int("GRIDGOV_PASSWORD_MIN_CLASSES", 2)
# A new password may not be one of the last N.
GRIDGOV_PASSWORD_HISTORY = env_int("GRIDGOV_PASSWORD_HISTORY", 5)
# Passwords older than this many days must be changed at the next request; 0 = never.
GRIDGOV_PASSWORD_MAX_AGE_DAYS = env_int("GRIDGOV_PASSWORD_MAX_AGE_DAYS", 0)
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # The fixed rights of the system, security and audit administrators (docs/permissions.md).
    "gridgov.people.permissions.RolePermissionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Idle timeout: the cookie lives 30 minutes and is renewed on each request.
# The API's OpenAPI document and interactive docs without signing in (gridgov/api/docs.py):
# off in production; a development machine may turn it on.
GRIDGOV_API_DOCS_PUBLIC = env_bool("GRIDGOV_API_DOCS_PUBLIC", False)
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
# Absolute timeout, enforced by SessionAbsoluteTimeoutMiddleware.
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and not env_bool("GRIDGOV_TESTING"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Login throttling (gridgov/people/login.py): per account, a delay after LOGIN_DELAY_AFTER
# failures (LOGIN_DELAY_SECONDS, doubling), a lock at LOGIN_FAILURE_LIMIT failures within
# LOGIN_LOCKOUT_SECONDS; per client address, a lock at LOGIN_CLIENT_FAILURE_LIMIT failures.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
LOGIN_DELAY_AFTER = env_int("LOGIN_DELAY_AFTER", 3)
LOGIN_DELAY_SECONDS = env_int("LOGIN_DELAY_SECONDS", 2)
LOGIN_CLIENT_FAILURE_LIMIT = env_int("LOGIN_CLIENT_FAILURE_LIMIT", 20)
LOGIN_CLIENT_LOCKOUT_SECONDS = env_int("LOGIN_CLIENT_LOCKOUT_SECONDS", 15 * 60)
# Proxies in front of the application that append to X-Forwarded-For; 0 = trust only
# REMOTE_ADDR (the header is then the client's word and ignored).
GRIDGOV_TRUSTED_PROXY_COUNT = env_int("GRIDGOV_TRUSTED_PROXY_COUNT", 0)
NINJA_NUM_PROXIES = GRIDGOV_TRUSTED_PROXY_COUNT
# Two-step verification (TOTP): required for these role codes, and for the account flags
# "superuser" and "staff"; empty = nobody is required (a demo without an authenticator app).
GRIDGOV_2FA_ROLES = env_list("GRIDGOV_2FA_ROLES", "superuser,staff,admin,system_admin,security_admin,audit_admin")
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "GridGov")
# API bearer tokens: lifetime for people and for machine accounts (the upstream role).
GRIDGOV_TOKEN_DAYS_PERSON = env_int("GRIDGOV_TOKEN_DAYS_PERSON", 30)
GRIDGOV_TOKEN_DAYS_MACHINE = env_int("GRIDGOV_TOKEN_DAYS_MACHINE", 365)
API_TOKEN_TTL_SECONDS = env_int("API_TOKEN_TTL_SECONDS", GRIDGOV_TOKEN_DAYS_PERSON * 24 * 60 * 60)
# The audit log keeps at least this many days (Cybersecurity Law art. 21: six months);
# `manage.py archive_audit` refuses to cut younger rows.
GRIDGOV_AUDIT_RETENTION_DAYS = max(180, env_int("GRIDGOV_AUDIT_RETENTION_DAYS", 180))

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# How many people's details (case parties, petitioners, their attachments) one user may reveal
# in an hour; beyond it reveals are refused and the discipline office is told. 0: no limit.
GRIDGOV_REVEALS_PER_HOUR = env_int("GRIDGOV_REVEALS_PER_HOUR", 40)
# The same person reminds the same case or order at most once in this many minutes (0: no limit).
GRIDGOV_REMIND_INTERVAL_MINUTES = env_int("GRIDGOV_REMIND_INTERVAL_MINUTES", 60)
# All the photos of one request together (cases/services/attachments.py photos_check).
GRIDGOV_PHOTO_MEGAPIXELS_PER_REQUEST = env_int("GRIDGOV_PHOTO_MEGAPIXELS_PER_REQUEST", 150)
# HSTS, sent by Django over HTTPS only: a year in production unless set (0 turns it off).
SECURE_HSTS_SECONDS = env_int("GRIDGOV_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_REFERRER_POLICY = "same-origin"
# Behind the reference nginx (deploy/nginx/gridgov.conf), which terminates TLS and sets
# X-Forwarded-Proto: the application then knows a request came over HTTPS (HSTS, secure
# redirects) and sends any plain-HTTP request that reached it to HTTPS, except the health and
# metrics endpoints that the local monitoring asks over the loopback.
GRIDGOV_BEHIND_TLS_PROXY = env_bool("GRIDGOV_BEHIND_TLS_PROXY", False)
if GRIDGOV_BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("GRIDGOV_SSL_REDIRECT", GRIDGOV_BEHIND_TLS_PROXY)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
# System checks an installation has decided to silence, with its reason in its env file
# (deploy/env.example: HSTS preload and subdomains on an intranet name).
SILENCED_SYSTEM_CHECKS = env_list("GRIDGOV_SILENCED_CHECKS")
if DATABASES["default"]["ENGINE"] in SQLITE_ENGINES:
    # The open cases' index (cases.Case, "case_open") includes columns for PostgreSQL's
    # index-only scans; SQLite builds it without them, which is all this warning says.
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "models.W040"]

# --- Internationalization ---------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
NODE_MODULES = BASE_DIR / "node_modules"
# Front-end libraries are served straight from their npm packages (installed by make).
STATICFILES_DIRS = [
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Stored files in an S3-compatible object store (MinIO on the intranet, say) instead of MEDIA_ROOT,
# still encrypted (gridgov/core/objectstorage.py; needs requirements/object-storage.txt): for web
# and worker processes on several machines without a shared folder.
MEDIA_S3_BUCKET = env_str("MEDIA_S3_BUCKET")
_media_storage: dict[str, Any] = {
    "BACKEND": env_str("MEDIA_STORAGE_BACKEND", "gridgov.core.filecrypt.EncryptedFileSystemStorage")
}
if MEDIA_S3_BUCKET:
    _media_storage = {
        "BACKEND": "gridgov.core.objectstorage.EncryptedS3Storage",
        "OPTIONS": {
            "bucket_name": MEDIA_S3_BUCKET,
            "endpoint_url": env_str("MEDIA_S3_ENDPOINT_URL") or None,
            "region_name": env_str("MEDIA_S3_REGION") or None,
            "access_key": env_str("MEDIA_S3_ACCESS_KEY_ID") or None,
            "secret_key": env_str("MEDIA_S3_SECRET_ACCESS_KEY") or None,
            "location": env_str("MEDIA_S3_PREFIX"),
            "verify": env_bool("MEDIA_S3_VERIFY_TLS", True),
            "addressing_style": env_str("MEDIA_S3_ADDRESSING_STYLE") or None,  # "path" for MinIO
        },
    }
STORAGES: dict[str, dict[str, Any]] = {
    # Every stored file is encrypted at rest (gridgov/core/filecrypt.py, docs/security.md).
    "default": _media_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("GRIDGOV_TESTING") or env_bool("GRIDGOV_STATIC_FINDERS")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
        # Static files are public and nginx (another user) serves them: readable by all, unlike
        # the stored files (FILE_UPLOAD_PERMISSIONS below).
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
# The local demo server (`make run`, DEBUG off) serves static files through WhiteNoise straight
# from the apps and npm packages, without `collectstatic`; production collects them.
WHITENOISE_USE_FINDERS = DEBUG or env_bool("GRIDGOV_STATIC_FINDERS")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Stored files (photos, order attachments, imports) are readable by the service's user only
# (issue 13, item 6): files 0600 in directories 0700, whatever the umask.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# --- Maps -------------------------------------------------------------------------------

# Empty: grid polygons are drawn on a plain background (no outside tiles on an intranet).
MAP_TILE_URL = env_str("MAP_TILE_URL")
# The address residents reach the public notice pages at (the posters' QR codes point there);
# empty: the address of the request that generated the poster.
GRIDGOV_PUBLIC_BASE_URL = env_str("GRIDGOV_PUBLIC_BASE_URL").rstrip("/")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION")
AREAS_INDEX_CHECK_SECONDS = env_int("AREAS_INDEX_CHECK_SECONDS", 10)  # locate index: DB signature check

# --- Background work (Celery) ------------------------------------------------------------

CELERY_QUEUE_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem"):
    # kombu's filesystem transport, writing each message whole before it is visible.
    CELERY_BROKER_TRANSPORT = "gridgov.core.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_QUEUE_DIR / "queue"),
        "data_folder_out": str(CELERY_QUEUE_DIR / "queue"),
        "control_folder": str(CELERY_QUEUE_DIR / "control"),
        "store_processed": False,
        # The folder is polled: with late acks and a prefetch of one, each worker process takes
        # its next task only at the next poll (the default second made the demo's 400 thumbnail
        # tasks hold a bulletin back for minutes).
        "polling_interval": 0.1,
    }
    for _folder in ("queue", "control"):
        (CELERY_QUEUE_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Queues (docs/operations.md, "Queues"): production runs one worker per queue so that a long
# import or bulletin never holds back a notification; a worker started without -Q (make run,
# the Procfile) consumes all of them. Tasks not routed below go to "celery" (the heartbeat, the
# deadline sweeps, thumbnails, purges): Celery's own default name, so that what was queued
# before the split, and any client that names no queue, is still consumed.
CELERY_TASK_DEFAULT_QUEUE = "celery"
GRIDGOV_QUEUES = ("celery", "notifications", "upstream", "imports", "reports")
CELERY_TASK_QUEUES = {name: {"routing_key": name} for name in GRIDGOV_QUEUES}
CELERY_TASK_ROUTES = {
    "gridgov.notify.tasks.*": {"queue": "notifications"},
    "gridgov.upstream.tasks.*": {"queue": "upstream"},
    "gridgov.hotline.importing.tasks.*": {"queue": "imports"},
    "gridgov.hotline.reconcile.tasks.*": {"queue": "imports"},
    "gridgov.ledger.tasks.*": {"queue": "imports"},
    "gridgov.bulletins.tasks.*": {"queue": "reports"},
    "gridgov.analysis.tasks.*": {"queue": "reports"},
    "gridgov.assessment.tasks.*": {"queue": "reports"},
}
# The worker logs through LOGGING below (JSON in production), not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
HEARTBEAT_SECONDS = env_int("HEARTBEAT_SECONDS", 30)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "heartbeat": {"task": "gridgov.core.tasks.heartbeat", "schedule": float(HEARTBEAT_SECONDS)},
    "notify-deliver-due": {"task": "gridgov.notify.tasks.deliver_due", "schedule": 60.0},
    "cases-sweep-deadlines": {"task": "gridgov.cases.tasks.sweep_deadlines", "schedule": 60.0},
    "hotline-sweep-deadlines": {"task": "gridgov.hotline.tasks.sweep_deadlines", "schedule": 60.0},
    "upstream-deliver-due": {"task": "gridgov.upstream.tasks.deliver_due", "schedule": 60.0},
    "hotline-import-purge-files": {"task": "gridgov.hotline.importing.tasks.purge_files", "schedule": 86400.0},
    "people-purge-login-throttles": {"task": "gridgov.people.tasks.purge_login_throttles", "schedule": 86400.0},
    # Last month's bulletins on the first working day of a month (the task checks the day).
    "bulletins-schedule-monthly": {
        "task": "gridgov.bulletins.tasks.schedule_monthly",
        "schedule": crontab(hour=7, minute=30),
    },
    # Last week's weekly analysis drafts (daily: a missed Monday is caught up), and the sweep
    # that tells the grid worker and leader once when one is overdue.
    "analysis-schedule-weekly": {
        "task": "gridgov.analysis.tasks.schedule_weekly",
        "schedule": crontab(hour=6, minute=10),
    },
    "analysis-sweep-overdue": {"task": "gridgov.analysis.tasks.sweep_overdue", "schedule": 1800.0},
    # Leaders' tasks: the reminder at 80 % of a part's time and the overdue notice.
    "assignments-sweep-deadlines": {"task": "gridgov.assignments.tasks.sweep_deadlines", "schedule": 600.0},
}

# --- Case loop (see docs/cases.md) --------------------------------------------------------

# Largest photo accepted, in bytes.
GRIDGOV_MAX_PHOTO_BYTES = env_int("GRIDGOV_MAX_PHOTO_BYTES", 15 * 1024 * 1024)
# Duplicate hint at report time: open cases of the same category this close, this recent.
GRIDGOV_DUPLICATE_RADIUS_M = env_int("GRIDGOV_DUPLICATE_RADIUS_M", 150)
GRIDGOV_DUPLICATE_WINDOW_DAYS = env_int("GRIDGOV_DUPLICATE_WINDOW_DAYS", 14)

# --- Notifications (see docs/notifications.md) -------------------------------------------

# External channels besides the in-app list, e.g. "sms,webhook"; empty = in-app only.
GRIDGOV_NOTIFY_CHANNELS = env_list("GRIDGOV_NOTIFY_CHANNELS")
GRIDGOV_NOTIFY_MAX_ATTEMPTS = env_int("GRIDGOV_NOTIFY_MAX_ATTEMPTS", 8)
GRIDGOV_SMS_URL = env_str("GRIDGOV_SMS_URL")
GRIDGOV_SMS_TOKEN = env_str("GRIDGOV_SMS_TOKEN")
GRIDGOV_WEBHOOK_URL = env_str("GRIDGOV_WEBHOOK_URL")
GRIDGOV_WEBHOOK_SECRET = env_str("GRIDGOV_WEBHOOK_SECRET")

# --- Logging ----------------------------------------------------------------------------

# GRIDGOV_LOG_FORMAT: "plain" (the default, for a terminal) or "json" (one JSON object a line,
# for a log collector). Every line carries the request id (gridgov/core/requestid.py).
GRIDGOV_LOG_FORMAT = env_str("GRIDGOV_LOG_FORMAT", "plain")
if GRIDGOV_LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured("GRIDGOV_LOG_FORMAT must be plain or json.")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "gridgov.core.requestid.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(process)d",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": GRIDGOV_LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint logs every step of every PDF at INFO, and font subsetting chatters too.
    # One line per request (gridgov.request) is for production's JSON logs; the development
    # server prints its own.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "gridgov.request": {
            "level": env_str("GRIDGOV_REQUEST_LOG_LEVEL", "INFO" if GRIDGOV_LOG_FORMAT == "json" else "WARNING")
        },
    },
}

# --- Operations (docs/operations.md) ------------------------------------------------------

# /metrics (Prometheus): a bearer token and/or the addresses allowed to scrape (CIDR, comma
# separated); with neither the endpoint answers 404. With both, both are required.
GRIDGOV_METRICS_TOKEN = env_str("GRIDGOV_METRICS_TOKEN")
GRIDGOV_METRICS_ALLOWED_IPS = env_list("GRIDGOV_METRICS_ALLOWED_IPS")
# Where backups are written (manage.py backup) unless --out is given.
GRIDGOV_BACKUP_DIR = Path(env_str("GRIDGOV_BACKUP_DIR", str(VAR_DIR / "backups")))


# --- Hotline work orders (see docs/hotline.md) ----------------------------------------------

# Time limits and rules of hotline orders; a key left out takes its default from
# gridgov/hotline/conf.py. Units are those of the case loop's time limits.
GRIDGOV_HOTLINE = {
    # Acknowledge (签收) per urgency class, from the order's arrival.
    "ACK_LIMITS": {
        "life_safety": [15, "calendar_minutes"],
        "utilities": [30, "calendar_minutes"],
        "general": [1, "working_days"],
    },
    # Reply per order type, in working days from arrival, unless upstream gives a deadline.
    "REPLY_LIMIT_DAYS": {"enquiry": 2, "help": 10, "suggestion": 10, "complaint": 15, "report": 15, "praise": 2},
    # The town leader's instruction, from the acknowledgement.
    "INSTRUCT_LIMIT": [1, "working_days"],
    # Return (退单) within this many working days of arrival (complex orders: the second).
    "RETURN_WINDOW_DAYS": 1,
    "RETURN_WINDOW_DAYS_COMPLEX": 2,
    # Types the center may assign to a department without a leader's instruction.
    "SKIP_INSTRUCT_TYPES": ["enquiry"],
    # Category of a case created from an order when none is named.
    "CASE_CATEGORY": "visits.petition",
    # Reminder at this share of a step's time.
    "WARN_FRACTION": 0.8,
}

# --- Upstream adapter (see docs/hotline.md, "Upstream") -------------------------------------

# Where each source system's messages go: GRIDGOV_UPSTREAM_<SOURCE>_ADAPTER (webhook or file),
# _URL and _SECRET (HMAC key of the webhook signature). In development (DEBUG) both sources
# default to the hotline simulator on the loopback (`manage.py hotline_simulator serve`).
GRIDGOV_UPSTREAM_SIMULATOR_URL = "http://127.0.0.1:8765/"
GRIDGOV_UPSTREAM_DEV_SECRET = "gridgov-upstream-simulator-secret"  # noqa: S105  (development only)
GRIDGOV_UPSTREAM = {
    source: {
        "adapter": env_str(f"GRIDGOV_UPSTREAM_{source.upper()}_ADAPTER", "webhook"),
        "url": env_str(f"GRIDGOV_UPSTREAM_{source.upper()}_URL", GRIDGOV_UPSTREAM_SIMULATOR_URL if DEBUG else ""),
        "secret": env_str(f"GRIDGOV_UPSTREAM_{source.upper()}_SECRET", GRIDGOV_UPSTREAM_DEV_SECRET if DEBUG else ""),
    }
    for source in ("city", "district")
}
# Attempts before a message is `failed` (backoff 1, 2, 4 … 60 minutes between them).
GRIDGOV_UPSTREAM_MAX_ATTEMPTS = env_int("GRIDGOV_UPSTREAM_MAX_ATTEMPTS", 12)
GRIDGOV_UPSTREAM_TIMEOUT_SECONDS = env_int("GRIDGOV_UPSTREAM_TIMEOUT_SECONDS", 10)

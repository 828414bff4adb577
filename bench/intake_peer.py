"""The peer of ``bench/intake.py --peer``: django-helpdesk creating tickets over its REST API.

Builds (once) a separate virtual environment under ``var/bench/peer-venv`` with
``django-helpdesk==2.6.1`` from PyPI (it brings its own Django, Django REST framework and the
rest) plus gunicorn and psycopg, writes a minimal Django project for it into the run's
temporary folder, migrates it on a database of the same kind as GridGov's (a SQLite file with
the same pragmas, or a new PostgreSQL database on the same server, dropped afterwards), creates
one staff user with a DRF token per client and one queue, and serves it with the same gunicorn
settings. Clients create tickets with ``POST /helpdesk/api/tickets/`` and
``Authorization: Token …``, the peer's own public way of creating tickets over HTTP.

Nothing of the peer is kept in this repository: the project files below are generated here,
the package comes from PyPI into the git-ignored ``var/`` folder.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.common import ROOT

PEER_PACKAGE = "django-helpdesk==2.6.1"
PEER_VENV = ROOT / "var" / "bench" / "peer-venv"
PEER_TICKETS_PATH = "/helpdesk/api/tickets/"

# The generated project. Only the pieces a ticket creation needs: Django's default apps and
# middleware (as ``startproject`` writes them), helpdesk without teams, DRF with tokens.
SETTINGS_TEMPLATE = """\
import os

SECRET_KEY = {secret!r}
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "helpdesk",
]
SITE_ID = 1
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peerproject.urls"
TEMPLATES = [
    {{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {{
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        }},
    }},
]
WSGI_APPLICATION = "peerproject.wsgi.application"
DATABASES = {{"default": {database!r}}}
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DB_CONN_MAX_AGE", "0"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
STATIC_URL = "static/"
MEDIA_ROOT = {media!r}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HELPDESK_TEAMS_MODE_ENABLED = False
HELPDESK_API_ENABLED = True
REST_FRAMEWORK = {{
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.TokenAuthentication"],
}}
LOGIN_URL = "/helpdesk/login/"
"""

URLS = """\
from django.urls import include, path

urlpatterns = [path("helpdesk/", include("helpdesk.urls", namespace="helpdesk"))]
"""

WSGI = """\
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerproject.settings")
application = get_wsgi_application()
"""

# Run in the peer's environment after migrate: staff users with tokens, one queue.
SEED = """\
import json
import sys

import django

django.setup()
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from helpdesk.models import Queue

count = int(sys.argv[1])
queue = Queue.objects.create(title="Intake", slug="intake", allow_public_submission=False)
tokens = []
for index in range(count):
    user = get_user_model().objects.create_user(f"bench{index}", password=None, is_staff=True)
    tokens.append(Token.objects.create(user=user).key)
print(json.dumps({"queue": queue.pk, "tokens": tokens}))
"""


def ensure_venv() -> Path:
    """The peer's Python, installing it on first use."""
    python = PEER_VENV / "bin" / "python"
    marker = PEER_VENV / "installed.txt"
    if not python.exists() or not marker.exists() or marker.read_text().strip() != PEER_PACKAGE:
        print(f"peer:                installing {PEER_PACKAGE} into {PEER_VENV.relative_to(ROOT)} …", flush=True)
        subprocess.run(["python3", "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", PEER_PACKAGE, "gunicorn", "psycopg[binary]"],
            check=True,
        )
        marker.write_text(PEER_PACKAGE + "\n")
    return python


def peer_version(python: Path) -> str:
    script = "import django, helpdesk, rest_framework; print(django.get_version(), rest_framework.VERSION)"
    versions = subprocess.run([str(python), "-c", script], capture_output=True, text=True, check=True).stdout.split()
    return f"{PEER_PACKAGE}, Django {versions[0]}, DRF {versions[1]}"


def peer_database(workdir: Path, gridgov_url: str) -> tuple[dict[str, Any], Callable[[], None]]:
    """A database of the same kind as GridGov's: a SQLite file with the same options, or a new
    PostgreSQL database on the same server (dropped by the returned function)."""
    parts = urlsplit(gridgov_url)
    if parts.scheme.startswith("sqlite"):
        from django.conf import settings

        options = dict(settings.DATABASES["default"].get("OPTIONS", {}))
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(workdir / "peer.sqlite3"), "OPTIONS": options}
        return database, lambda: None
    import psycopg

    name = f"gridgov_bench_peer_{secrets.token_hex(4)}"
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    database = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
    }
    return database, drop


def prepare_peer(workdir: Path, gridgov_url: str, clients: int) -> tuple[Path, dict[str, str], Callable[[], None]]:
    """Write, migrate and seed the peer project. Returns its folder, environment and a drop."""
    import os

    python = ensure_venv()
    project = workdir / "peer"
    package = project / "peerproject"
    package.mkdir(parents=True)
    database, drop = peer_database(workdir, gridgov_url)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(
        SETTINGS_TEMPLATE.format(secret=secrets.token_urlsafe(40), database=database, media=str(workdir / "peer-media"))
    )
    (package / "urls.py").write_text(URLS)
    (package / "wsgi.py").write_text(WSGI)
    (project / "seed.py").write_text(SEED)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_", "PYTHON"))}
    env.update({"DJANGO_SETTINGS_MODULE": "peerproject.settings", "PYTHONPATH": str(project)})
    try:
        subprocess.run(
            [str(python), "-m", "django", "migrate", "-v", "0"], cwd=project, env=env, check=True, capture_output=True
        )
        seeded = subprocess.run(
            [str(python), "seed.py", str(clients)], cwd=project, env=env, check=True, capture_output=True, text=True
        )
    except subprocess.CalledProcessError as error:
        drop()
        raise SystemExit(f"The peer's set-up failed:\n{error.stderr[-3000:] if error.stderr else error}") from error
    (project / "seeded.json").write_text(seeded.stdout)
    return project, env, drop


def peer_seed(project: Path) -> tuple[int, list[str]]:
    data = json.loads((project / "seeded.json").read_text())
    return int(data["queue"]), list(data["tokens"])


def peer_gunicorn(project: Path) -> str:
    return str(PEER_VENV / "bin" / "gunicorn")


def peer_ticket_count(project: Path, env: dict[str, str]) -> int:
    script = textwrap.dedent(
        """
        import django
        django.setup()
        from helpdesk.models import FollowUp, Ticket
        print(Ticket.objects.count(), FollowUp.objects.count())
        """
    )
    output = subprocess.run(
        [str(PEER_VENV / "bin" / "python"), "-c", script], cwd=project, env=env, capture_output=True, text=True
    )
    return int(output.stdout.split()[0]) if output.returncode == 0 and output.stdout else -1

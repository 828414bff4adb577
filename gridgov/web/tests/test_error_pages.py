"""The project's own Chinese error pages, in the shell, never Django's plain or technical ones;
and the local demo server's settings (`make run` serves with DEBUG off)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.urls import get_resolver

from gridgov.people.tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def test_an_unknown_page_is_the_projects_chinese_404_inside_the_shell(client, world):
    client.login(username="center01", password=TEST_PASSWORD)
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'data-testid="error-page"' in html and "找不到页面" in html
    assert 'class="mainnav"' in html  # the shell's navigation
    assert "Page not found" not in html and "Not Found" not in html


def test_a_page_of_another_role_is_the_projects_chinese_403(client, world):
    client.login(username="grid01", password=TEST_PASSWORD)
    response = client.get("/cases/department/")
    html = response.content.decode()
    assert response.status_code == 403
    assert 'data-testid="error-page"' in html and "无权" in html
    assert "403 Forbidden" not in html


def test_a_server_error_is_the_projects_chinese_500(world):
    request = RequestFactory().get("/boom/")
    request.user = world.users["center01"]
    response = get_resolver().resolve_error_handler(500)(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert 'data-testid="error-page"' in html and "出错" in html
    assert "Server Error" not in html


def test_a_refused_form_is_the_projects_page_not_djangos_csrf_page(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.login(username="center01", password=TEST_PASSWORD)
    response = client.post("/cases/new/", {"description": "x"})
    html = response.content.decode()
    assert response.status_code == 403
    assert 'data-testid="error-page"' in html and "CSRF" not in html


def test_the_local_demo_settings_are_written_once_private_and_load_with_debug_off(tmp_path):
    target = tmp_path / "var" / "local.env"
    script = ROOT / "scripts" / "local_env.py"
    subprocess.run([sys.executable, str(script), str(target)], check=True, capture_output=True)
    first = target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    subprocess.run([sys.executable, str(script), str(target)], check=True, capture_output=True)
    assert target.read_text() == first  # kept: the demo data stays readable
    values = dict(line.split("=", 1) for line in first.splitlines() if line and not line.startswith("#"))
    env = {k: v for k, v in os.environ.items() if k not in {"GRIDGOV_TESTING", "DJANGO_SETTINGS_MODULE"}}
    env.update(values, DEBUG="0", DJANGO_SETTINGS_MODULE="config.settings")
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.WHITENOISE_USE_FINDERS, s.SESSION_COOKIE_SECURE)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "True", "False"]


def test_make_run_serves_with_debug_off():
    makefile = (ROOT / "Makefile").read_text()
    run = makefile[makefile.index("\nrun:") :].split("\n\n")[0]
    assert "DEBUG=0" in run and "DEBUG=1" not in run and "$(WITH_LOCAL_ENV)" in run

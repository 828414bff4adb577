"""`make prod-check`: Django's deployment checks and the project's own, with the production
settings of deploy/env.example (every CHANGE_ME replaced by a generated secret), in a throwaway
state folder; then gunicorn reads deploy/gunicorn.conf.py. Fails on any warning."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "deploy" / "env.example"
# Variables whose value the server's operator chooses, and how to make one here.
GENERATED = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(50),
    "GRIDGOV_FIELD_KEYS": lambda: Fernet.generate_key().decode(),
}


def production_env(path: Path, var_dir: Path) -> dict[str, str]:
    """The variables of the example file with generated secrets, and the state folders moved
    into ``var_dir``."""
    env: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or name != name.strip() or not name.replace("_", "").isalnum():
            raise SystemExit(f"{path.name}:{number}: not VARIABLE=value: {line!r}")
        if "CHANGE_ME" in value:
            value = value.replace("CHANGE_ME", GENERATED.get(name, lambda: secrets.token_urlsafe(32))())
        env[name] = value
    for name, sub in (("GRIDGOV_VAR_DIR", "var"), ("MEDIA_ROOT", "media"), ("STATIC_ROOT", "static"),
                      ("GRIDGOV_BACKUP_DIR", "backups"), ("PROMETHEUS_MULTIPROC_DIR", "metrics")):  # fmt: skip
        env[name] = str(var_dir / sub)
        Path(env[name]).mkdir(parents=True, exist_ok=True)
    return env


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="gridgov-prod-check-") as folder:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", folder), "LANG": "C.UTF-8"}
        env.update(production_env(EXAMPLE, Path(folder)))
        env["DJANGO_SETTINGS_MODULE"] = "config.settings"
        python = sys.executable
        steps = [
            [python, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            [str(Path(python).parent / "gunicorn"), "--check-config", "-c", "deploy/gunicorn.conf.py", "config.wsgi"],
        ]
        for command in steps:
            print("$", " ".join(Path(command[0]).name if index == 0 else part for index, part in enumerate(command)))
            result = subprocess.run(command, cwd=ROOT, env=env, check=False)  # noqa: S603
            if result.returncode != 0:
                return result.returncode
    print("prod-check passed: the production settings of deploy/env.example pass every deployment check.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

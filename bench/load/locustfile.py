"""Locust users of the load-with-faults scenario (bench/load/run.py starts Locust with it).

A district's busy morning: grid workers report cases with a photo from their phones, the
center desk registers and dispatches cases and acknowledges hotline orders, departments
acknowledge and report back, the upstream hotline pushes orders and events, and people look
at lists and the map. Every write carries its client key (an ``Idempotency-Key``, the
order's upstream number, the event's ``event_id``) and is retried with the same key on a
connection error or a 5xx, as a phone's outbox or upstream's sender does. Each
acknowledged write (a 2xx) is written to the acknowledgements file for the driver to check
against the database.

The scenario (tokens, points, photo) comes from the JSON file named by ``LOAD_SCENARIO``.
Runs in its own virtualenv (Locust and gevent only): it imports nothing of the project.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from typing import Any

from locust import HttpUser, between, events, task

SCENARIO: dict[str, Any] = json.loads(open(os.environ["LOAD_SCENARIO"], encoding="utf-8").read())  # noqa: SIM115
PHOTO: bytes = open(SCENARIO["photo"], "rb").read()  # noqa: SIM115
API = "/api/v1"
# How long a client keeps retrying one write (a phone keeps it in its outbox for days).
RETRY_SECONDS = 60.0
_acks = open(SCENARIO["acks"], "a", encoding="utf-8", buffering=1)  # noqa: SIM115
_requests = open(SCENARIO["requests"], "a", encoding="utf-8", buffering=1)  # noqa: SIM115


@events.request.add_listener
def _log_request(name: str, response: Any, exception: BaseException | None, **_kwargs: Any) -> None:
    """One line per request: when it ended, what it was, whether the service answered (no
    connection error, no 5xx; a 4xx is an answer)."""
    status = getattr(response, "status_code", 0) or 0
    ok = 0 < status < 500
    _requests.write(json.dumps({"t": round(time.time(), 3), "name": name, "status": status, "ok": ok}) + "\n")


def acknowledge(kind: str, **fields: Any) -> None:
    _acks.write(json.dumps({"kind": kind, "t": round(time.time(), 3), **fields}, ensure_ascii=False) + "\n")


class Client(HttpUser):
    abstract = True
    token = ""

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **extra}

    def write(self, name: str, path: str, **kwargs: Any) -> Any:
        """POST until a definite answer: a 2xx, or a 4xx that retrying will not change.
        Connection errors and 5xx (a killed worker, a restarting database) are retried with
        the same body and key after a short, growing pause. Returns the final response, or
        None if the retries ran out."""
        deadline = time.monotonic() + RETRY_SECONDS
        pause = 0.3
        while True:
            with self.client.post(path, name=name, catch_response=True, **kwargs) as response:
                status = response.status_code or 0
                if 0 < status < 500:
                    # 409 (someone else acted first) and 422 are answers, not failures.
                    response.success()
                    return response
                response.failure(f"{status} {str(response.error or '')[:100]}")
            if time.monotonic() > deadline:
                return None
            time.sleep(pause)
            pause = min(pause * 1.6, 3.0)

    def read(self, name: str, path: str, **params: Any) -> Any:
        with self.client.get(path, name=name, params=params, headers=self.headers(), catch_response=True) as response:
            if response.status_code == 200:
                response.success()
                try:
                    return response.json()
                except ValueError:
                    return None
            response.failure(f"{response.status_code}")
            return None

    def case_action(self, case: dict[str, Any], action: str, **body: Any) -> None:
        key = str(uuid.uuid4())
        detail = self.read("GET /cases/{id}", f"{API}/cases/{case['id']}")
        if not detail:
            return
        payload = {"version": detail["version"], **body}
        response = self.write(
            f"POST /cases/{{id}}/actions/{action}",
            f"{API}/cases/{case['id']}/actions/{action}",
            json=payload,
            headers=self.headers(**{"Idempotency-Key": key}),
        )
        if response is not None and response.status_code == 200:
            acknowledge("case_action", user=self.username, key=key, case=case["id"], action=action)


class GridWorker(Client):
    """A grid worker's phone: reports with a photo, its home screen, its own cases."""

    weight = 10
    wait_time = between(3, 8)

    def on_start(self) -> None:
        self.me = random.choice(SCENARIO["grid"])
        self.token, self.username = self.me["token"], self.me["username"]

    @task(3)
    def report(self) -> None:
        key = str(uuid.uuid4())
        lat, lng = random.choice(self.me["points"])
        body = {
            "category": random.choice(self.me["categories"]),
            # The key in the text too: a duplicate case would show even without the key row.
            "description": f"早高峰压测上报：路边有车辆长期占道。[load:{key}]",
            "lat": lat,
            "lng": lng,
            "address": "压测地址",
        }
        response = self.write(
            "POST /cases (photo)",
            f"{API}/cases",
            data={"payload": json.dumps(body, ensure_ascii=False)},
            files={"photos": ("photo.jpg", PHOTO, "image/jpeg")},
            headers=self.headers(**{"Idempotency-Key": key}),
        )
        if response is not None and response.status_code in (200, 201):
            acknowledge("case", user=self.username, key=key, id=response.json()["id"])

    @task(2)
    def home(self) -> None:
        self.read("GET /work", f"{API}/work")

    @task(1)
    def mine(self) -> None:
        self.read("GET /cases?queue=mine", f"{API}/cases", queue="mine", limit=20)


class CenterDesk(Client):
    """A center operator: registers and dispatches cases, acknowledges hotline orders (each
    acknowledgement goes upstream through the outbox)."""

    weight = 3
    wait_time = between(1, 3)

    def on_start(self) -> None:
        me = random.choice(SCENARIO["center"])
        self.token, self.username = me["token"], me["username"]

    @task(3)
    def register(self) -> None:
        page = self.read("GET /cases?queue=to_register", f"{API}/cases", queue="to_register", limit=10)
        if page and page["items"]:
            self.case_action(random.choice(page["items"]), "register")

    @task(3)
    def dispatch(self) -> None:
        page = self.read("GET /cases?queue=to_dispatch", f"{API}/cases", queue="to_dispatch", limit=10)
        if page and page["items"]:
            self.case_action(random.choice(page["items"]), "dispatch")

    @task(3)
    def acknowledge_order(self) -> None:
        page = self.read("GET /hotline/orders?status=received", f"{API}/hotline/orders", status="received", limit=10)
        if not page or not page["items"]:
            return
        order = random.choice(page["items"])
        response = self.write(
            "POST /hotline/orders/{id}/actions/acknowledge",
            f"{API}/hotline/orders/{order['id']}/actions/acknowledge",
            json={},
            headers=self.headers(),
        )
        if response is not None and response.status_code == 200:
            acknowledge("order_action", user=self.username, order=order["id"], action="acknowledge")


class Department(Client):
    """A department handler: acknowledges dispatched cases and reports back."""

    weight = 2
    wait_time = between(2, 5)

    def on_start(self) -> None:
        me = random.choice(SCENARIO["department"])
        self.token, self.username = me["token"], me["username"]

    @task
    def work(self) -> None:
        page = self.read("GET /cases?queue=department", f"{API}/cases", queue="department", limit=20)
        if not page:
            return
        items = [item for item in page["items"] if item["status"] in ("dispatched", "acknowledged")]
        if not items:
            return
        case = random.choice(items)
        if case["status"] == "dispatched":
            self.case_action(case, "acknowledge")
        else:
            self.case_action(case, "report_back", result="已现场处置，车辆已挪走。")


class Upstream(Client):
    """The district hotline's system: pushes orders and sends events (remind, supervise)."""

    weight = 2
    wait_time = between(2, 5)

    def on_start(self) -> None:
        me = random.choice(SCENARIO["upstream"])
        self.token, self.username = me["token"], me["username"]
        self.town_codes: list[str] = me["towns"]
        self.orders: list[int] = []

    @task(3)
    def push(self) -> None:
        number = f"LD{uuid.uuid4().hex[:16].upper()}"
        body = {
            "source_system": "district",
            "upstream_number": number,
            "received_at": time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.localtime(time.time() - 60)),
            "order_type": random.choice(["complaint", "help", "report"]),
            "content": f"小区门口道路积水严重，请尽快处理。{number}",
            "petitioner": {"name": "张三", "phone": "13812348888"},
            "town_code": random.choice(self.town_codes),
        }
        response = self.write("POST /hotline/orders", f"{API}/hotline/orders", json=body, headers=self.headers())
        if response is not None and response.status_code in (200, 201):
            order_id = response.json()["id"]
            self.orders.append(order_id)
            acknowledge("order", user=self.username, number=number, id=order_id)

    @task(2)
    def event(self) -> None:
        if not self.orders:
            return
        order_id = random.choice(self.orders[-50:])
        event_id = f"ev-{uuid.uuid4().hex}"
        kind = random.choice(["remind", "supervise"])
        response = self.write(
            "POST /hotline/orders/{id}/events",
            f"{API}/hotline/orders/{order_id}/events",
            json={"type": kind, "event_id": event_id, "comment": "请加快办理"},
            headers=self.headers(),
        )
        if response is not None and response.status_code == 200:
            acknowledge("event", user=self.username, order=order_id, event_id=event_id)


class Viewer(Client):
    """Leaders and the center looking at lists and the map."""

    weight = 3
    wait_time = between(2, 5)

    def on_start(self) -> None:
        me = random.choice(SCENARIO["center"] + SCENARIO["leader"])
        self.token, self.username = me["token"], me["username"]

    @task(2)
    def cases(self) -> None:
        self.read("GET /cases", f"{API}/cases", limit=50)

    @task(1)
    def overdue(self) -> None:
        self.read("GET /cases?queue=overdue", f"{API}/cases", queue="open", light="red", limit=50)

    @task(1)
    def map(self) -> None:
        self.read("GET /cases/map", f"{API}/cases/map")

    @task(1)
    def orders(self) -> None:
        self.read("GET /hotline/orders", f"{API}/hotline/orders", limit=50)


class Dashboard(HttpUser):
    """A town leader or center operator in the browser: signed in once, then the cockpit, the
    statistics page and the case workbench, as web pages (session, not token)."""

    weight = 2
    wait_time = between(4, 10)

    def on_start(self) -> None:
        self.username = random.choice(SCENARIO["center"] + SCENARIO["leader"])["username"]
        self.signed_in = False
        for _ in range(5):
            with self.client.get("/login/", name="GET /login/", catch_response=True) as page:
                if page.status_code != 200:
                    page.failure(f"{page.status_code}")
                    time.sleep(1)
                    continue
            token = self.client.cookies.get("csrftoken", "")
            form = {"username": self.username, "password": SCENARIO["password"], "csrfmiddlewaretoken": token}
            with self.client.post("/login/", name="POST /login/", data=form, catch_response=True) as response:
                self.signed_in = response.status_code == 200 and "/login/" not in response.url
                if self.signed_in:
                    return
                response.failure(f"{response.status_code} not signed in")
            time.sleep(1)

    def page(self, name: str, path: str) -> None:
        if not self.signed_in:
            return
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code == 200 and "/login/" not in response.url:
                response.success()
            else:
                response.failure(f"{response.status_code}")

    @task(2)
    def cockpit(self) -> None:
        self.page("GET /cases/cockpit/ (page)", "/cases/cockpit/")

    @task(1)
    def statistics(self) -> None:
        self.page("GET /cases/stats/ (page)", "/cases/stats/")

    @task(2)
    def workbench(self) -> None:
        self.page("GET /cases/ (page)", "/cases/")

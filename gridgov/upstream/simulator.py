"""A small stand-in for the city or district 12345 hotline system, for the demo and the tests.

It is a real HTTP server on the loopback (:class:`HotlineSimulator`, ``http.server``) that
plays both halves of upstream:

* **Receiving**: it takes what GridGov's webhook adapter posts (acknowledgements, replies,
  returns, extension requests), checks the HMAC signature and the timestamp, keeps the
  messages in memory (a message sent twice is kept once) and answers ``200``. Tests can make
  it answer an error (``fail_with = 503``) to play an upstream that is down.
* **Sending**: with GridGov's address and an upstream-role bearer token it pushes new orders
  (``POST /api/v1/hotline/orders``) and posts events (``POST …/orders/{id}/events``). After a
  reply it calls the petitioner back and closes the order, ``close_after`` seconds later (or
  when :meth:`HotlineSimulator.run_due` is called, if ``close_after`` is ``None``); after an
  extension request it answers with an approval.

``GET /`` (or ``/messages``) answers the received messages as JSON. Orders it makes up are
about Taiping town in Binhai New Area (:func:`fake_order`).
"""

from __future__ import annotations

import hmac
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

from gridgov.notify.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature

logger = logging.getLogger("gridgov.upstream.simulator")

DEFAULT_PORT = 8765
# Signed requests older (or newer) than this are refused.
MAX_CLOCK_SKEW_SECONDS = 300
MAX_BODY_BYTES = 1024 * 1024
CHINA = ZoneInfo("Asia/Shanghai")


@dataclass
class Received:
    """One message GridGov delivered."""

    message_id: int
    kind: str
    source_system: str
    upstream_number: str
    order_id: int
    payload: dict[str, Any]
    received_at: float
    deliveries: int = 1


@dataclass
class Action:
    """Something the simulator will post to GridGov when it is due."""

    due_at: float
    order_id: int
    event: dict[str, Any]


@dataclass
class Outcome:
    """What GridGov answered to one of the simulator's requests."""

    status: int
    body: Any


class SimulatorError(Exception):
    pass


class HotlineSimulator:
    """The upstream hotline on ``host:port`` (port 0: any free port). ``secrets`` maps each
    source system to the key GridGov signs its messages with (a plain string: one key for
    all)."""

    def __init__(
        self,
        *,
        secrets: Mapping[str, str] | str,
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        gridgov_url: str = "",
        token: str = "",
        close_after: float | None = 20.0,
        satisfaction: str = "satisfied",
        answer_extensions: bool = True,
    ) -> None:
        self.secrets: dict[str, str] = (
            {"*": secrets} if isinstance(secrets, str) else {key: value for key, value in secrets.items() if value}
        )
        self.client = GridGovClient(gridgov_url=gridgov_url, token=token)
        self.close_after = close_after
        self.satisfaction = satisfaction
        self.answer_extensions = answer_extensions
        # Answer every delivery with this status instead of accepting it (None: accept).
        self.fail_with: int | None = None
        self.received: list[Received] = []
        self.refused: list[dict[str, Any]] = []
        self.actions: list[Action] = []
        self.events_posted: list[tuple[int, dict[str, Any], Outcome]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._threads: list[threading.Thread] = []

    # --- running ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    def start(self) -> HotlineSimulator:
        """Serve in background threads (the HTTP server and the action runner)."""
        for target in (self._server.serve_forever, self._run_actions):
            thread = threading.Thread(target=target, daemon=True, name=f"hotline-simulator-{target.__name__}")
            thread.start()
            self._threads.append(thread)
        return self

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the action runner runs beside it)."""
        runner = threading.Thread(target=self._run_actions, daemon=True, name="hotline-simulator-actions")
        runner.start()
        try:
            self._server.serve_forever()
        finally:
            self._stopping.set()
            self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._threads:  # shutdown() waits for a serve_forever() that must have started
            self._server.shutdown()
        self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> HotlineSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- receiving ----------------------------------------------------------------------------

    def secret_for(self, source_system: str) -> str:
        return self.secrets.get(source_system) or self.secrets.get("*", "")

    def verify(self, headers: Mapping[str, str] | Message, body: bytes) -> tuple[bool, str, dict[str, Any] | None]:
        """Check the signature and timestamp of a delivery; returns (ok, reason, message)."""
        try:
            message = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return False, "body is not JSON", None
        if not isinstance(message, dict):
            return False, "body is not a JSON object", None
        stamp = headers.get(TIMESTAMP_HEADER, "")
        given = headers.get(SIGNATURE_HEADER, "")
        secret = self.secret_for(str(message.get("source_system", "")))
        if not secret:
            return False, "no key for this source system", message
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > MAX_CLOCK_SKEW_SECONDS:
            return False, "timestamp missing or too far off", message
        if not hmac.compare_digest(signature(secret, stamp, body), given):
            return False, "signature does not match", message
        return True, "", message

    def accept(self, message: dict[str, Any]) -> Received:
        """Keep a verified message (once per message id) and plan the answer to it."""
        with self._lock:
            message_id = int(message.get("message_id") or 0)
            for seen in self.received:
                if seen.message_id == message_id:
                    seen.deliveries += 1
                    return seen
            received = Received(
                message_id=message_id,
                kind=str(message.get("kind", "")),
                source_system=str(message.get("source_system", "")),
                upstream_number=str(message.get("upstream_number", "")),
                order_id=int(message.get("order_id") or 0),
                payload=dict(message.get("payload") or {}),
                received_at=time.time(),
            )
            self.received.append(received)
            self._plan(received)
        self._wake.set()
        return received

    def messages(self, kind: str = "", upstream_number: str = "") -> list[Received]:
        with self._lock:
            return [
                m
                for m in self.received
                if (not kind or m.kind == kind) and (not upstream_number or m.upstream_number == upstream_number)
            ]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Poll ``predicate`` until it returns something truthy (or raise after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise SimulatorError("timed out waiting for the simulator")
            time.sleep(0.05)

    # --- answering ----------------------------------------------------------------------------

    def _plan(self, received: Received) -> None:
        delay = self.close_after if self.close_after is not None else 0.0
        due = time.time() + delay if self.close_after is not None else float("inf")
        ref = f"sim-{received.source_system}-{received.message_id}"
        if received.kind == "reply":
            solved = self.satisfaction != "dissatisfied"
            self.actions.append(
                Action(
                    due,
                    received.order_id,
                    {
                        "type": "callback",
                        "event_id": f"{ref}-callback",
                        "satisfaction": self.satisfaction,
                        "solved": solved,
                        "comment": "回访：来电人对答复表示认可。" if solved else "回访：来电人表示问题未解决。",
                    },
                )
            )
            if solved:
                self.actions.append(
                    Action(
                        due, received.order_id, {"type": "close", "event_id": f"{ref}-close", "comment": "工单已办结。"}
                    )
                )
        elif received.kind == "extension_request" and self.answer_extensions:
            until = received.payload.get("until")
            self.actions.append(
                Action(
                    due,
                    received.order_id,
                    {
                        "type": "extension_answer",
                        "event_id": f"{ref}-answer",
                        "approved": True,
                        "until": until,
                        "comment": "同意延期。",
                    },
                )
            )

    def run_due(self, *, everything: bool = False) -> list[Outcome]:
        """Post the planned events that are due (all of them with ``everything``, or when the
        simulator runs without a timer). Returns GridGov's answers."""
        now = time.time()
        with self._lock:
            manual = everything or self.close_after is None
            due = [a for a in self.actions if manual or a.due_at <= now]
            self.actions = [a for a in self.actions if a not in due]
        outcomes = []
        for action in due:
            outcome = self.post_event(action.order_id, action.event)
            outcomes.append(outcome)
        return outcomes

    def _run_actions(self) -> None:
        while not self._stopping.is_set():
            if self.close_after is not None and self.client.token:
                try:
                    self.run_due()
                except Exception:  # keep serving whatever GridGov answers
                    logger.exception("The simulator could not post an event")
            self._wake.wait(timeout=1.0)
            self._wake.clear()

    # --- talking to GridGov ---------------------------------------------------------------------

    def push_order(self, order: dict[str, Any]) -> Outcome:
        return self.client.push_order(order)

    def post_event(self, order_id: int, event: dict[str, Any]) -> Outcome:
        outcome = self.client.post_event(order_id, event)
        with self._lock:
            self.events_posted.append((order_id, event, outcome))
        if outcome.status >= 300:
            logger.warning(
                "GridGov answered %s to the %s event on order %s: %s",
                outcome.status,
                event.get("type"),
                order_id,
                outcome.body,
            )
        return outcome


class GridGovClient:
    """The simulator's sending half: GridGov's API with an upstream-role bearer token."""

    def __init__(self, *, gridgov_url: str, token: str, timeout: float = 30.0) -> None:
        self.gridgov_url = gridgov_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def request(self, method: str, path: str, payload: Any = None) -> Outcome:
        if not self.gridgov_url.startswith(("http://", "https://")) or not self.token:
            raise SimulatorError("the simulator needs GridGov's http(s) address and a bearer token to send")
        data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        request = urllib.request.Request(f"{self.gridgov_url}{path}", data=data, method=method)  # noqa: S310
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json; charset=utf-8")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310  (scheme checked)
                return Outcome(response.status, _json(response.read()))
        except urllib.error.HTTPError as error:
            return Outcome(error.code, _json(error.read()))

    def push_order(self, order: dict[str, Any]) -> Outcome:
        """``POST /api/v1/hotline/orders``: 201 for a new order, 200 for one already known."""
        return self.request("POST", "/api/v1/hotline/orders", order)

    def post_event(self, order_id: int, event: dict[str, Any]) -> Outcome:
        """``POST /api/v1/hotline/orders/{id}/events``."""
        return self.request("POST", f"/api/v1/hotline/orders/{order_id}/events", event)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw.decode("utf-8", "replace")


def _handler_for(simulator: HotlineSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "HotlineSimulator/1"

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("%s " + format, self.address_string(), *args)

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.rstrip("/") not in ("", "/messages"):
                self._answer(HTTPStatus.NOT_FOUND, {"error": "not found"})
                return
            with simulator._lock:
                items = [vars(m) for m in simulator.received]
            self._answer(HTTPStatus.OK, {"received": items, "refused": len(simulator.refused)})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "too large"})
                return
            body = self.rfile.read(length)
            if simulator.fail_with is not None:
                self._answer(simulator.fail_with, {"error": "the simulator is told to fail"})
                return
            ok, reason, message = simulator.verify(self.headers, body)
            if not ok:
                with simulator._lock:
                    simulator.refused.append({"reason": reason, "message": message})
                self._answer(HTTPStatus.UNAUTHORIZED, {"error": reason})
                return
            assert message is not None
            received = simulator.accept(message)
            self._answer(HTTPStatus.OK, {"ok": True, "message_id": received.message_id})

    return Handler


# --- made-up orders ----------------------------------------------------------------------------

VILLAGES = (
    "太平村", "东兴村", "西兴村", "南河村", "北苑村", "永安村", "前进村",
    "新立村", "红星村", "丰收村", "和平村", "长青村", "郭庄村",
)  # fmt: skip
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = ("建国", "秀英", "桂兰", "志强", "海燕", "立新", "丽娟", "宝华", "春生", "玉梅", "振华", "淑珍", "文杰", "国庆")


@dataclass(frozen=True)
class Template:
    order_type: str
    urgency_class: str
    category: str
    title: str
    content: str
    complex: bool = False


TEMPLATES: tuple[Template, ...] = (
    Template("complaint", "general", "城市管理/占道经营", "{village}商户占道经营",
             "来电人反映{village}{place}附近有商户长期占道经营，摊位堆放杂物，影响车辆和行人通行，希望有关部门尽快处理。"),
    Template("help", "utilities", "供水/停水", "{village}停水",
             "来电人反映{village}{row}排自来水从昨天下午开始停水，一直未见停水通知，家中有老人生活不便，请求尽快恢复供水。"),
    Template("help", "life_safety", "电力/线路隐患", "{village}电线脱落",
             "来电人反映{village}{place}旁一根电线脱落下垂，距地面不足两米，附近常有儿童玩耍，存在触电危险，请求紧急处理。"),
    Template("enquiry", "general", "社会保障/医疗保险", "城乡居民医保缴费咨询",
             "来电人咨询2027年度城乡居民医疗保险的缴费时间、缴费标准和在太平镇的办理地点。"),
    Template("suggestion", "general", "市政设施/路灯", "建议增设路灯",
             "来电人建议在{village}{place}增设路灯，目前夜间照明不足，村民晚上活动和出行不安全。"),
    Template("report", "general", "生态环境/焚烧", "{village}夜间焚烧",
             "来电人举报{village}{place}附近近几天夜间有人焚烧垃圾和秸秆，烟雾较大、气味刺鼻，影响周边居民休息。"),
    Template("complaint", "general", "环境噪声/施工噪声", "{village}工地夜间施工",
             "来电人反映{village}附近一处工地连续多日夜间十点以后仍在施工，噪声扰民，多次与施工方沟通无果。", True),
    Template("help", "utilities", "供热/供暖", "{village}暖气不热",
             "来电人反映{village}{row}排住户暖气不热，室内温度不足16度，家中有老人和婴儿，请求供热单位尽快排查。"),
    Template("help", "general", "道路交通/道路破损", "{village}道路坑洼积水",
             "来电人反映{village}通往太平镇区的道路有多处坑洼，雨后积水严重，电动车和行人通行困难，请求修补。"),
    Template("complaint", "general", "物业管理/垃圾清运", "{village}垃圾未及时清运",
             "来电人反映{village}{place}的垃圾箱已满溢多日，无人清运，气味难闻，请求环卫部门处理。"),
    Template("praise", "general", "表扬/工作人员", "表扬网格员",
             "来电人表扬{village}网格员工作认真负责，主动上门帮助其解决了老人就医登记的问题，希望予以表扬。"),
    Template("enquiry", "general", "民政/养老服务", "高龄津贴申领咨询",
             "来电人咨询家中八十岁以上老人申领高龄津贴需要准备哪些材料，到太平镇哪个窗口办理。"),
)  # fmt: skip
PLACES = ("村委会", "文化广场", "村口", "卫生室", "小学门口", "健身广场", "农贸市场", "公交站")


def fake_order(
    rng: random.Random,
    *,
    source_system: str = "district",
    now: datetime | None = None,
    sequence: int | None = None,
    town_code: str = "",
) -> dict[str, Any]:
    """One realistic order about Taiping town, in the shape ``POST /api/v1/hotline/orders``
    takes. The upstream number is unique per ``sequence`` (random when not given)."""
    moment = (now or datetime.now(CHINA)).astimezone(CHINA) - timedelta(minutes=rng.randint(1, 30))
    template = rng.choice(TEMPLATES)
    village = rng.choice(VILLAGES)
    values = {"village": village, "place": rng.choice(PLACES), "row": rng.randint(1, 24)}
    number = sequence if sequence is not None else rng.randint(0, 99999)
    prefix = "SZX" if source_system == "city" else "BHX"
    anonymous = rng.random() < 0.1
    order: dict[str, Any] = {
        "source_system": source_system,
        "upstream_number": f"{prefix}{moment:%Y%m%d}{number:05d}",
        "received_at": moment.isoformat(),
        "order_type": template.order_type,
        "urgency_class": template.urgency_class,
        "title": template.title.format(**values),
        "content": template.content.format(**values),
        "upstream_category": template.category,
        "address": f"天津市滨海新区太平镇{village}{values['place']}",
        "complex": template.complex,
        "anonymous": anonymous,
        "petitioner": None
        if anonymous
        else {
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "phone": f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}",
            "address": f"天津市滨海新区太平镇{village}{values['row']}排{rng.randint(1, 40)}号",
        },
    }
    if town_code:
        order["town_code"] = town_code
    return order


def fake_orders(count: int, *, seed: int | None = None, source_system: str = "district") -> list[dict[str, Any]]:
    rng = random.Random(seed)  # noqa: S311  (made-up demo data)
    start = rng.randint(0, 90000)
    return [fake_order(rng, source_system=source_system, sequence=start + i) for i in range(count)]

"""End to end against the simulator, over real HTTP with bearer tokens: upstream pushes an
order; the center acknowledges, a leader instructs, the department drafts, the center rejects
the draft, the department drafts again, the center approves; the reply reaches the simulator,
which calls the petitioner back and closes the order."""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request
from typing import Any

from django.contrib.auth import get_user_model

from gridgov.people.services import token_issue
from gridgov.upstream.models import MessageState, UpstreamMessage
from gridgov.upstream.simulator import HotlineSimulator, fake_order

from .conftest import SECRET, point_upstream_at

LEAD = "urban_mgmt"  # dept02's department
COOPERATING = "traffic_police"  # dept01's


def token(username: str) -> str:
    user = get_user_model().objects.get(username=username)
    return token_issue(actor=None, user=user, name="end-to-end test")[1]


class Api:
    def __init__(self, base: str, username: str) -> None:
        self.base = base.rstrip("/")
        self.token = token(username)

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        request = urllib.request.Request(f"{self.base}/api/v1{path}", data=data, method=method)  # noqa: S310
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def act(self, order_id: int, action: str, **body: Any) -> dict[str, Any]:
        status, answer = self.call("POST", f"/hotline/orders/{order_id}/actions/{action}", body)
        assert status == 200, (action, answer)
        return answer


def test_an_order_goes_from_push_to_closure_with_a_call_back(demo, live_server, settings):
    upstream_token = token("upstream01")
    with HotlineSimulator(
        secrets=SECRET, port=0, gridgov_url=live_server.url, token=upstream_token, close_after=None
    ) as sim:
        point_upstream_at(settings, sim.url)
        center, leader, department = (Api(live_server.url, name) for name in ("center01", "leader01", "dept02"))

        # Upstream pushes a new order; the same order again is the same order.
        order = fake_order(random.Random(7), source_system="district", sequence=1)
        pushed = sim.push_order(order)
        assert pushed.status == 201, pushed.body
        order_id = pushed.body["id"]
        assert pushed.body["status"] == "received"
        again = sim.push_order(order)
        assert (again.status, again.body["id"]) == (200, order_id)

        center.act(order_id, "acknowledge")
        acknowledged = sim.wait_for(lambda: sim.messages("acknowledge"))
        assert acknowledged[0].upstream_number == order["upstream_number"]
        assert acknowledged[0].order_id == order_id

        leader.act(
            order_id, "instruct", instruction="请城管中队会同交警核实处理，按时答复。", departments=[LEAD, COOPERATING]
        )
        department.act(order_id, "draft_reply", text="已处理。")
        center.act(order_id, "reject_draft", comment="请写明处理经过和结果。")
        reply_text = "经城管中队现场核实，占道摊位已于当日清理，并已告知商户不得再次占道经营。"
        department.act(order_id, "draft_reply", text=reply_text)
        replied = center.act(order_id, "approve_reply")
        assert replied["status"] == "replied"

        (reply,) = sim.wait_for(lambda: sim.messages("reply"))
        assert reply.payload["reply"] == reply_text
        assert "petitioner" not in json.dumps(reply.payload)
        assert not sim.refused

        # The simulator calls the petitioner back and closes the order.
        outcomes = sim.run_due()
        assert [o.status for o in outcomes] == [200, 200], [o.body for o in outcomes]

    status, final = center.call("GET", f"/hotline/orders/{order_id}")
    assert status == 200
    assert final["status"] == "closed"
    assert final["callback"]["satisfaction"] == "satisfied"
    upstream_events = [h["action"] for h in final["history"] if h["origin"] == "upstream"]
    assert upstream_events[-2:] == ["callback", "close"]
    # Both messages went up and are recorded as delivered, once each.
    messages = list(UpstreamMessage.objects.filter(order_id=order_id).order_by("id"))
    assert [(m.kind, m.state, m.attempts) for m in messages] == [
        ("acknowledge", MessageState.DELIVERED, 1),
        ("reply", MessageState.DELIVERED, 1),
    ]


def test_the_push_command_sends_new_orders_to_a_running_gridgov(demo, live_server):
    from io import StringIO

    from django.core.management import call_command

    from gridgov.hotline.models import HotlineOrder

    out = StringIO()
    call_command("hotline_simulator", "push", "3", "--url", live_server.url, "--seed", "5", stdout=out)
    assert "3 new, 0 already known" in out.getvalue()
    assert HotlineOrder.objects.filter(channel="api").count() == 3
    call_command("hotline_simulator", "push", "3", "--url", live_server.url, "--seed", "5", stdout=out)
    assert "0 new, 3 already known" in out.getvalue()
    assert HotlineOrder.objects.count() == 3

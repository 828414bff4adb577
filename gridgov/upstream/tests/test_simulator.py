"""The simulator on its own: made-up orders, and the answers it plans to what it receives."""

from __future__ import annotations

import random

from gridgov.hotline.models import OrderType, SourceSystem, UrgencyClass
from gridgov.upstream.simulator import HotlineSimulator, Outcome, fake_order, fake_orders


def test_made_up_orders_are_about_taiping_and_have_unique_numbers():
    orders = fake_orders(40, seed=3)
    assert len({o["upstream_number"] for o in orders}) == 40
    for order in orders:
        assert order["source_system"] == SourceSystem.DISTRICT
        assert order["order_type"] in OrderType.values
        assert order["urgency_class"] in UrgencyClass.values
        assert "太平镇" in order["address"]
        assert order["content"]
        if order["anonymous"]:
            assert order["petitioner"] is None
        else:
            assert len(order["petitioner"]["phone"]) == 11
    assert fake_order(random.Random(1), sequence=9, town_code="120116111000")["town_code"] == "120116111000"


def plays(sim, kind, payload=None, message_id=1):
    sim.accept(
        {"message_id": message_id, "kind": kind, "source_system": "district", "upstream_number": "BHX1",
         "order_id": 42, "payload": payload or {}}
    )  # fmt: skip


def test_after_a_reply_it_calls_back_and_closes_and_after_an_extension_request_it_approves(monkeypatch):
    sim = HotlineSimulator(secrets="k", port=0, close_after=0.0, gridgov_url="http://127.0.0.1:1", token="t")
    posted = []
    monkeypatch.setattr(
        sim.client, "post_event", lambda order_id, event: posted.append((order_id, event)) or Outcome(200, {})
    )
    try:
        plays(sim, "acknowledge")
        plays(sim, "reply", {"reply": "已处理。"}, message_id=2)
        plays(sim, "reply", {"reply": "已处理。"}, message_id=2)  # delivered twice: answered once
        plays(sim, "extension_request", {"until": "2026-12-10T18:00:00+08:00"}, message_id=3)
        sim.run_due()
    finally:
        sim.stop()
    assert [(order, event["type"]) for order, event in posted] == [
        (42, "callback"),
        (42, "close"),
        (42, "extension_answer"),
    ]
    assert posted[0][1]["satisfaction"] == "satisfied" and posted[0][1]["solved"] is True
    assert posted[2][1]["approved"] is True and posted[2][1]["until"] == "2026-12-10T18:00:00+08:00"
    assert len({event["event_id"] for _o, event in posted}) == 3


def test_a_dissatisfied_petitioner_gets_a_call_back_but_no_closure(monkeypatch):
    sim = HotlineSimulator(secrets="k", port=0, close_after=None, satisfaction="dissatisfied")
    posted = []
    monkeypatch.setattr(sim.client, "post_event", lambda order_id, event: posted.append(event) or Outcome(200, {}))
    try:
        plays(sim, "reply", {"reply": "已处理。"})
        assert posted == []  # without a timer nothing goes out until asked
        sim.run_due()
    finally:
        sim.stop()
    assert [(e["type"], e["satisfaction"], e["solved"]) for e in posted] == [("callback", "dissatisfied", False)]

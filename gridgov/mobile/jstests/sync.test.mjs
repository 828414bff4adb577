// The sync loop against a fake server: one at a time, stops without network or token, and a
// lost answer retried with the same key does not make a second case.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Kind, Outcome, State, newRecord } from "../static/mobile/js/outbox.js";
import { MemoryStore, SyncEngine } from "../static/mobile/js/sync.js";

function report(id, now) {
  return newRecord({ id, kind: Kind.REPORT, payload: { description: id }, now });
}

// A server keyed by Idempotency-Key, as the case API is.
class FakeServer {
  constructor() {
    this.cases = new Map();
    this.calls = [];
    this.dropNextAnswer = false;
    this.down = false;
  }
  async send(record) {
    this.calls.push(record.id);
    if (this.down) return { type: Outcome.RETRY, status: 0, reason: "network" };
    const existed = this.cases.has(record.id);
    if (!existed) this.cases.set(record.id, { id: this.cases.size + 1, payload: record.payload });
    if (this.dropNextAnswer) {
      this.dropNextAnswer = false;
      throw new TypeError("the answer was lost");
    }
    return { type: Outcome.SENT, status: existed ? 200 : 201, body: this.cases.get(record.id) };
  }
}

function engine(store, server, clock, extra = {}) {
  return new SyncEngine({ store, send: (r) => server.send(r), now: () => clock.now, random: () => 0.5, ...extra });
}

test("the queue is sent oldest first, each once", async () => {
  const clock = { now: 100 };
  const store = new MemoryStore([report("b", 20), report("a", 10), report("c", 30)]);
  const server = new FakeServer();
  const summary = await engine(store, server, clock).run();
  assert.equal(summary.sent, 3);
  assert.deepEqual(server.calls, ["a", "b", "c"]);
  assert.ok((await store.all()).every((r) => r.state === State.SENT));
  await engine(store, server, clock).run();
  assert.equal(server.calls.length, 3, "nothing is sent twice");
});

test("without network the pass stops at the first record and tries later", async () => {
  const clock = { now: 0 };
  const store = new MemoryStore([report("a", 0), report("b", 1)]);
  const server = new FakeServer();
  server.down = true;
  const sync = engine(store, server, clock);
  const summary = await sync.run();
  assert.equal(summary.stopped, "retry");
  assert.deepEqual(server.calls, ["a"]);
  assert.equal(await sync.wakeup(), 1, "b may go as soon as it was made");
  clock.now = 1;
  server.down = false;
  await sync.run();
  const byId = Object.fromEntries((await store.all()).map((r) => [r.id, r.state]));
  assert.deepEqual(byId, { a: State.WAITING, b: State.SENT }, "a waits out its backoff, b goes");
});

test("a lost answer: the retry with the same key returns the same case, not a second", async () => {
  const clock = { now: 0 };
  const store = new MemoryStore([report("k1", 0)]);
  const server = new FakeServer();
  server.dropNextAnswer = true;
  const sync = engine(store, server, clock);
  await sync.run();
  let [r] = await store.all();
  assert.equal(r.state, State.WAITING);
  assert.equal(r.attempts, 1);
  assert.equal(server.cases.size, 1, "the server stored it");
  clock.now = r.nextAttemptAt;
  await sync.run();
  [r] = await store.all();
  assert.equal(r.state, State.SENT);
  assert.equal(r.result.id, 1);
  assert.equal(server.cases.size, 1);
  assert.deepEqual(server.calls, ["k1", "k1"]);
});

test("a refusal does not stop the others", async () => {
  const clock = { now: 0 };
  const store = new MemoryStore([report("bad", 0), report("good", 1)]);
  const send = async (record) =>
    record.id === "bad" ? { type: Outcome.REFUSED, status: 422, code: "invalid", message: "no" } : { type: Outcome.SENT, status: 201, body: {} };
  clock.now = 5;
  const summary = await new SyncEngine({ store, send, now: () => clock.now }).run();
  assert.deepEqual(summary, { sent: 1, failed: 1, retry: 0, stopped: null });
  const bad = await store.get("bad");
  assert.equal(bad.state, State.FAILED);
  assert.equal(bad.error.message, "no");
});

test("a 401 stops the loop, keeps the queue and asks to log in", async () => {
  const store = new MemoryStore([report("a", 0), report("b", 1)]);
  let asked = 0;
  const send = async () => ({ type: Outcome.AUTH, status: 401 });
  const summary = await new SyncEngine({ store, send, now: () => 5, onAuth: () => (asked += 1) }).run();
  assert.equal(summary.stopped, "auth");
  assert.equal(asked, 1);
  const all = await store.all();
  assert.equal(all.length, 2);
  assert.ok(all.every((r) => r.state === State.WAITING && r.attempts === 0));
});

test("no token or no signal: nothing is tried; another account's records wait for it", async () => {
  const store = new MemoryStore([report("a", 0), { ...report("b", 1), owner: "grid02" }]);
  const server = new FakeServer();
  let allowed = false;
  const sync = engine(store, server, { now: 5 }, { canSend: () => allowed, accepts: (r) => !r.owner || r.owner === "grid01" });
  assert.equal((await sync.run()).stopped, "paused");
  assert.deepEqual(server.calls, []);
  allowed = true;
  await sync.run();
  assert.deepEqual(server.calls, ["a"]);
  assert.equal((await store.get("b")).state, State.WAITING);
});

test("records left sending by a closed tab are sent again on start", async () => {
  const stuck = { ...report("a", 0), state: State.SENDING };
  const store = new MemoryStore([stuck]);
  const server = new FakeServer();
  const sync = engine(store, server, { now: 5 });
  await sync.run();
  assert.deepEqual(server.calls, [], "a sending record is not picked twice");
  await sync.recover();
  await sync.run();
  assert.deepEqual(server.calls, ["a"]);
});

test("calls during a pass make it look again instead of running two at once", async () => {
  const store = new MemoryStore([report("a", 0)]);
  let inFlight = 0;
  let most = 0;
  const send = async () => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight -= 1;
    return { type: Outcome.SENT, status: 201, body: {} };
  };
  const sync = new SyncEngine({ store, send, now: () => 5 });
  const first = sync.run();
  await store.put(report("b", 1));
  const second = sync.run();
  assert.equal(first, second);
  await first;
  assert.equal(most, 1);
  assert.equal((await store.get("b")).state, State.SENT);
});

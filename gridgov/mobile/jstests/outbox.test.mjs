// The outbox state machine and the backoff schedule.
import assert from "node:assert/strict";
import { test } from "node:test";

import { BASE_MS, MAX_MS, backoffDelay, retryAfterMs } from "../static/mobile/js/backoff.js";
import {
  Kind,
  Outcome,
  State,
  applyOutcome,
  counts,
  dueRecords,
  edit,
  isDiscardable,
  isEditable,
  markSending,
  newRecord,
  nextWakeup,
  prunable,
  recover,
  retryNow,
  visitLabel,
} from "../static/mobile/js/outbox.js";

const half = () => 0.5; // no jitter

function record(id, now = 1000, extra = {}) {
  return { ...newRecord({ id, kind: Kind.REPORT, payload: { description: id }, now }), ...extra };
}

test("the backoff doubles from 5 s and stops at 10 min", () => {
  const delays = [1, 2, 3, 4, 5].map((n) => backoffDelay(n, { random: half }));
  assert.deepEqual(delays, [5000, 10000, 20000, 40000, 80000]);
  assert.equal(backoffDelay(0, { random: half }), 0);
  assert.equal(backoffDelay(50, { random: half }), MAX_MS);
  assert.equal(backoffDelay(1000, { random: () => 1 }), MAX_MS);
});

test("the jitter spreads a delay by at most a fifth either way", () => {
  assert.equal(backoffDelay(1, { random: () => 0 }), BASE_MS * 0.8);
  assert.equal(backoffDelay(1, { random: () => 1 }), BASE_MS * 1.2);
});

test("Retry-After is read as seconds or as a date", () => {
  assert.equal(retryAfterMs("120", 0), 120000);
  assert.equal(retryAfterMs(new Date(61_000).toUTCString(), 1000), 60000);
  assert.equal(retryAfterMs(null, 0), null);
  assert.equal(retryAfterMs("soon", 0), null);
});

test("a new record waits and is due at once", () => {
  const r = record("a");
  assert.equal(r.state, State.WAITING);
  assert.equal(r.attempts, 0);
  assert.deepEqual(dueRecords([r], 1000).map((x) => x.id), ["a"]);
  assert.throws(() => newRecord({ id: "", kind: Kind.REPORT, payload: {}, now: 0 }));
  assert.throws(() => newRecord({ id: "x", kind: "other", payload: {}, now: 0 }));
});

test("a 2xx answer makes the record sent with the server's body", () => {
  const sent = applyOutcome(markSending(record("a"), 2000), { type: Outcome.SENT, status: 201, body: { id: 7 } }, 3000);
  assert.equal(sent.state, State.SENT);
  assert.deepEqual(sent.result, { id: 7 });
  assert.equal(sent.sentAt, 3000);
  assert.deepEqual(dueRecords([sent], 10_000), []);
});

test("no network puts the record back with a growing wait", () => {
  let r = record("a");
  const waits = [];
  for (let i = 0; i < 3; i += 1) {
    r = applyOutcome(markSending(r, 1000), { type: Outcome.RETRY, reason: "network" }, 1000, { random: half });
    waits.push(r.nextAttemptAt - 1000);
    assert.equal(r.state, State.WAITING);
  }
  assert.deepEqual(waits, [5000, 10000, 20000]);
  assert.equal(r.attempts, 3);
  assert.deepEqual(dueRecords([r], 20_999), []);
  assert.equal(dueRecords([r], 21_000).length, 1);
});

test("a Retry-After longer than the backoff is respected", () => {
  const r = applyOutcome(markSending(record("a"), 0), { type: Outcome.RETRY, status: 429, retryAfterMs: 60_000 }, 0, { random: half });
  assert.equal(r.nextAttemptAt, 60_000);
});

test("a refusal keeps the record, failed, with the server's reason, editable", () => {
  const outcome = { type: Outcome.REFUSED, status: 422, code: "invalid", message: "bad", details: { category: ["closed"] } };
  const failed = applyOutcome(markSending(record("a"), 0), outcome, 5);
  assert.equal(failed.state, State.FAILED);
  assert.deepEqual(failed.error, { status: 422, code: "invalid", message: "bad", details: { category: ["closed"] } });
  assert.ok(isEditable(failed));
  assert.ok(isDiscardable(failed));
  assert.deepEqual(dueRecords([failed], 1e12), []);
  const fixed = edit(failed, { description: "new" }, 10);
  assert.equal(fixed.state, State.WAITING);
  assert.equal(fixed.id, "a", "the key stays: the server stored nothing");
  assert.equal(fixed.error, null);
  assert.equal(fixed.attempts, 0);
  assert.deepEqual(fixed.payload, { description: "new" });
});

test("a lost token puts the record back without counting an attempt", () => {
  const r = applyOutcome(markSending(record("a"), 0), { type: Outcome.AUTH, status: 401 }, 5);
  assert.equal(r.state, State.WAITING);
  assert.equal(r.attempts, 0);
  assert.equal(r.nextAttemptAt, 5);
});

test("a record left sending by a closed tab is recovered", () => {
  const stuck = markSending(record("a"), 0);
  assert.equal(recover(stuck, 9).state, State.WAITING);
  assert.equal(recover(stuck, 9).nextAttemptAt, 9);
  const sent = { ...stuck, state: State.SENT };
  assert.equal(recover(sent, 9), sent);
});

test("only a waiting record can be sent; sent records cannot be edited", () => {
  const sent = { ...record("a"), state: State.SENT };
  assert.throws(() => markSending(sent, 0));
  assert.throws(() => edit(sent, {}, 0));
  assert.equal(retryNow(sent, 0), sent);
  assert.ok(!isEditable(sent));
});

test("try again now skips the wait", () => {
  const r = applyOutcome(markSending(record("a"), 0), { type: Outcome.RETRY }, 0, { random: half });
  assert.equal(retryNow(r, 1).nextAttemptAt, 1);
});

test("records go oldest first, and a patrol waits for its findings", () => {
  const finding = record("f", 2000);
  const patrol = { ...newRecord({ id: "p", kind: Kind.PATROL, payload: {}, dependsOn: ["f"], now: 3000 }) };
  const older = record("o", 1000);
  assert.deepEqual(dueRecords([patrol, finding, older], 5000).map((r) => r.id), ["o", "f"]);
  const sentFinding = { ...finding, state: State.SENT };
  assert.deepEqual(dueRecords([patrol, sentFinding], 5000).map((r) => r.id), ["p"]);
  const failedFinding = { ...finding, state: State.FAILED };
  assert.deepEqual(dueRecords([patrol, failedFinding], 5000), []);
  assert.deepEqual(dueRecords([patrol], 5000).map((r) => r.id), ["p"], "a discarded finding does not block it");
});

test("counts, the next wakeup and pruning", () => {
  const rs = [
    record("a", 0, { nextAttemptAt: 50 }),
    record("b", 0, { state: State.FAILED }),
    record("c", 0, { state: State.SENT, sentAt: 0 }),
    record("d", 0, { nextAttemptAt: 20 }),
  ];
  assert.deepEqual(counts(rs), { waiting: 2, sending: 0, sent: 1, failed: 1, pending: 3 });
  assert.equal(nextWakeup(rs), 20);
  assert.equal(nextWakeup([rs[1]]), null);
  assert.ok(prunable(rs[2], 8 * 24 * 3600_000));
  assert.ok(!prunable(rs[2], 3600_000));
  assert.ok(!prunable(rs[0], 1e12));
});

test("a queued visit is labelled by its place, kept in the record when the due list is gone", () => {
  assert.equal(visitLabel({ kind: "household", address: "太平村3排5号", household_id: 3 }, null, 3), "太平村3排5号");
  assert.equal(visitLabel({ kind: "unit", name: "太平超市", address: "太平村" }, null, 4), "太平超市");
  const queued = { meta: { label: "太平村3排5号" } };
  assert.equal(visitLabel(null, queued, 3), "太平村3排5号");
  assert.equal(visitLabel(null, { meta: {} }, 3), "#3");
  assert.equal(visitLabel(null, null, 3), "#3");
});

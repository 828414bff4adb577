// The outbox: every report, verification, self-handle record, patrol, visit and weekly-analysis
// step is first a record here, kept in IndexedDB, then sent by the sync loop. This module is
// the state machine of a record; it is pure (no DOM, no storage, the time is passed in) so
// Node can test it.
//
//   waiting --(picked by the sync loop)--> sending --(2xx)--> sent
//   sending --(no network, 5xx, 408, 429)--> waiting, with a backoff delay
//   sending --(401: the token is gone)--> waiting, no delay counted; the app asks to log in
//   sending --(any other refusal: 400/403/404/409/422)--> failed, with the server's reason
//   failed --(edited or "try again")--> waiting
//   sending --(the app was closed mid-way: found on start)--> waiting
//
// The record's `id` is a client UUID sent as `Idempotency-Key`: a retry after an answer that
// never arrived gets the record the server already stored, never a second one.

import { backoffDelay } from "./backoff.js";

export const State = Object.freeze({ WAITING: "waiting", SENDING: "sending", SENT: "sent", FAILED: "failed" });
export const Kind = Object.freeze({ REPORT: "report", SELF_HANDLE: "self_handle", VERIFY: "verify", PATROL: "patrol", VISIT: "visit", ANALYSIS: "analysis" });
export const Outcome = Object.freeze({ SENT: "sent", RETRY: "retry", REFUSED: "refused", AUTH: "auth" });

// Sent records stay visible for a week, then are pruned.
export const KEEP_SENT_MS = 7 * 24 * 3600_000;

export function newRecord({ id, kind, payload, photos = [], title = "", dependsOn = [], now }) {
  if (!id) throw new Error("a record needs an id");
  if (!Object.values(Kind).includes(kind)) throw new Error(`unknown kind ${kind}`);
  return {
    id,
    kind,
    payload,
    photos,
    title,
    dependsOn,
    state: State.WAITING,
    attempts: 0,
    createdAt: now,
    updatedAt: now,
    nextAttemptAt: now,
    error: null,
    result: null,
    sentAt: null,
  };
}

// A visit's place as the outbox shows it: a unit's name or a household's address, kept in the
// record's meta when it is queued (the cached due list may have changed, or be gone, when the
// record is opened again); the target's number only when nothing better is known.
export function visitLabel(item, record, targetId) {
  if (item) return (item.kind === "unit" ? item.name : item.address) || item.address || `#${targetId}`;
  if (record && record.meta && record.meta.label) return record.meta.label;
  return `#${targetId}`;
}

function dependenciesSent(record, byId) {
  return (record.dependsOn || []).every((id) => {
    const other = byId.get(id);
    return !other || other.state === State.SENT;
  });
}

// Records the sync loop may send now, oldest first. A patrol waits for its findings.
export function dueRecords(records, now) {
  const byId = new Map(records.map((r) => [r.id, r]));
  return records
    .filter((r) => r.state === State.WAITING && r.nextAttemptAt <= now && dependenciesSent(r, byId))
    .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
}

// When the loop should look again: the earliest retry time of a waiting record, or null.
export function nextWakeup(records) {
  const times = records.filter((r) => r.state === State.WAITING).map((r) => r.nextAttemptAt);
  return times.length ? Math.min(...times) : null;
}

export function markSending(record, now) {
  if (record.state !== State.WAITING) throw new Error(`cannot send a ${record.state} record`);
  return { ...record, state: State.SENDING, updatedAt: now };
}

// The record after the server's answer (see `classify` in requests.js).
export function applyOutcome(record, outcome, now, { random = Math.random } = {}) {
  switch (outcome.type) {
    case Outcome.SENT:
      return { ...record, state: State.SENT, result: outcome.body ?? null, error: null, sentAt: now, updatedAt: now };
    case Outcome.AUTH:
      return { ...record, state: State.WAITING, nextAttemptAt: now, updatedAt: now };
    case Outcome.REFUSED:
      return {
        ...record,
        state: State.FAILED,
        attempts: record.attempts + 1,
        updatedAt: now,
        error: {
          status: outcome.status,
          code: outcome.code || "",
          message: outcome.message || "",
          details: outcome.details || null,
        },
      };
    case Outcome.RETRY: {
      const attempts = record.attempts + 1;
      const delay = Math.max(backoffDelay(attempts, { random }), outcome.retryAfterMs || 0);
      return {
        ...record,
        state: State.WAITING,
        attempts,
        nextAttemptAt: now + delay,
        updatedAt: now,
        error: { status: outcome.status || 0, code: outcome.reason || "network", message: "", details: null },
      };
    }
    default:
      throw new Error(`unknown outcome ${outcome.type}`);
  }
}

// On start: a record left "sending" by a closed tab goes back to the queue (its key makes the
// second sending safe).
export function recover(record, now) {
  if (record.state !== State.SENDING) return record;
  return { ...record, state: State.WAITING, nextAttemptAt: now, updatedAt: now };
}

// A refused record, corrected by the worker, goes back to the queue with the same key (the
// server stored nothing when it refused).
export function edit(record, payload, now, photos = record.photos) {
  if (record.state !== State.FAILED && record.state !== State.WAITING) {
    throw new Error(`cannot edit a ${record.state} record`);
  }
  return { ...record, payload, photos, state: State.WAITING, attempts: 0, nextAttemptAt: now, error: null, updatedAt: now };
}

// "Try again now": also skips the backoff wait of a waiting record.
export function retryNow(record, now) {
  if (record.state !== State.FAILED && record.state !== State.WAITING) return record;
  return { ...record, state: State.WAITING, nextAttemptAt: now, updatedAt: now };
}

export function isEditable(record) {
  return record.state === State.FAILED;
}

// A failed record may be discarded by the worker; nothing else is ever dropped.
export function isDiscardable(record) {
  return record.state === State.FAILED;
}

export function prunable(record, now, keepMs = KEEP_SENT_MS) {
  return record.state === State.SENT && record.sentAt !== null && now - record.sentAt > keepMs;
}

export function counts(records) {
  const result = { waiting: 0, sending: 0, sent: 0, failed: 0, pending: 0 };
  for (const record of records) {
    result[record.state] += 1;
    if (record.state !== State.SENT) result.pending += 1;
  }
  return result;
}

// The sync loop: sends the outbox one record at a time, oldest first. It knows nothing of
// IndexedDB or fetch: the app passes a `store` ({all, put}) and a `send(record)` that returns
// an outcome, so Node tests drive it with fakes. `canSend()` pauses it (no token, no signal);
// `accepts(record)` keeps another account's records for that account.

import { Outcome, State, applyOutcome, dueRecords, markSending, nextWakeup, recover } from "./outbox.js";

export class SyncEngine {
  constructor({ store, send, canSend = () => true, accepts = () => true, now = () => Date.now(), random = Math.random, onChange = () => {}, onAuth = () => {} }) {
    this.store = store;
    this.send = send;
    this.canSend = canSend;
    this.accepts = accepts;
    this.now = now;
    this.random = random;
    this.onChange = onChange;
    this.onAuth = onAuth;
    this.running = null;
    this.again = false;
  }

  // On app start: records a closed tab left "sending" go back to the queue.
  async recover() {
    const now = this.now();
    for (const record of await this.store.all()) {
      if (record.state === State.SENDING) await this.store.put(recover(record, now));
    }
  }

  // One pass; a call while a pass runs makes that pass look once more at its end.
  run() {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let summary;
      try {
        do {
          this.again = false;
          summary = await this.pass();
        } while (this.again && !summary.stopped);
      } finally {
        this.running = null;
      }
      return summary;
    })();
    return this.running;
  }

  async pass() {
    const summary = { sent: 0, failed: 0, retry: 0, stopped: null };
    const tried = new Set();
    for (;;) {
      if (!this.canSend()) {
        summary.stopped = "paused";
        break;
      }
      const due = dueRecords(await this.store.all(), this.now()).filter((r) => !tried.has(r.id) && this.accepts(r));
      if (!due.length) break;
      const record = due[0];
      tried.add(record.id);
      const sending = markSending(record, this.now());
      await this.store.put(sending);
      this.onChange();
      let outcome;
      try {
        outcome = await this.send(sending);
      } catch (error) {
        outcome = { type: Outcome.RETRY, status: 0, reason: "network" };
      }
      await this.store.put(applyOutcome(sending, outcome, this.now(), { random: this.random }));
      this.onChange();
      if (outcome.type === Outcome.SENT) summary.sent += 1;
      else if (outcome.type === Outcome.REFUSED) summary.failed += 1;
      else if (outcome.type === Outcome.AUTH) {
        summary.stopped = "auth";
        this.onAuth();
        break;
      } else {
        // No network or a busy server: the others would fare no better now.
        summary.retry += 1;
        summary.stopped = "retry";
        break;
      }
    }
    return summary;
  }

  async wakeup() {
    return nextWakeup(await this.store.all());
  }
}

// A store in memory with the same interface as the IndexedDB one (for tests and fallbacks).
export class MemoryStore {
  constructor(records = []) {
    this.map = new Map(records.map((r) => [r.id, structuredClone(r)]));
  }
  async all() {
    return [...this.map.values()].map((r) => structuredClone(r));
  }
  async get(id) {
    const found = this.map.get(id);
    return found ? structuredClone(found) : undefined;
  }
  async put(record) {
    this.map.set(record.id, structuredClone(record));
  }
  async delete(id) {
    this.map.delete(id);
  }
}

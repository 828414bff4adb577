// When to try a record again after a failed attempt: exponential backoff with jitter.
// Pure: no DOM, no clock (the caller passes the time), tested with `node --test`.

export const BASE_MS = 5_000;
export const MAX_MS = 10 * 60_000;
export const JITTER = 0.2;

// The wait before attempt `attempt + 1`, after `attempt` failures (1, 2, 3, ...):
// 5 s, 10 s, 20 s, 40 s ... capped at 10 min, each spread by ±20 % so that phones coming
// back into signal together do not all knock at once.
export function backoffDelay(attempt, { base = BASE_MS, max = MAX_MS, jitter = JITTER, random = Math.random } = {}) {
  if (!Number.isFinite(attempt) || attempt < 1) return 0;
  const raw = Math.min(max, base * 2 ** Math.min(attempt - 1, 30));
  const spread = raw * jitter;
  return Math.round(Math.min(max, Math.max(0, raw - spread + random() * 2 * spread)));
}

// A `Retry-After` header (seconds, or an HTTP date) as milliseconds from `now`; null if absent
// or unreadable.
export function retryAfterMs(value, now) {
  if (value === null || value === undefined || value === "") return null;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}

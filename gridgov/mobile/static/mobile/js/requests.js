// How an outbox record becomes an HTTP request, and how the answer is read. Pure: it only
// uses the standard FormData and Blob (present in browsers and in Node), so Node tests it.

import { retryAfterMs } from "./backoff.js";
import { Kind, Outcome } from "./outbox.js";

function multipart(payload, photos) {
  const form = new FormData();
  const kinds = photos.map((photo) => photo.kind).filter(Boolean);
  const body = kinds.length === photos.length && kinds.length ? { ...payload, photo_kinds: kinds } : payload;
  form.append("payload", JSON.stringify(body));
  photos.forEach((photo, index) => {
    form.append("photos", photo.blob, photo.name || `photo-${index + 1}.jpg`);
  });
  return form;
}

// {url, method, headers, body} for a record. `token` is the bearer token; `api` the API root.
export function buildRequest(record, { api, token }) {
  const headers = { Accept: "application/json", "Idempotency-Key": record.id };
  if (token) headers.Authorization = `Bearer ${token}`;
  const photos = record.photos || [];
  const payload = record.payload || {};
  switch (record.kind) {
    case Kind.REPORT:
    case Kind.SELF_HANDLE:
      return { url: `${api}/cases`, method: "POST", headers, body: multipart(payload, photos) };
    case Kind.VERIFY: {
      const { caseId, passed, ...rest } = payload;
      const action = passed ? "verify_pass" : "verify_fail";
      return {
        url: `${api}/cases/${encodeURIComponent(caseId)}/actions/${action}`,
        method: "POST",
        headers,
        body: multipart(rest, photos),
      };
    }
    case Kind.VISIT:
      // With photos, multipart like a report; without, JSON.
      if (photos.length) return { url: `${api}/visits`, method: "POST", headers, body: multipart(payload, photos) };
      return { url: `${api}/visits`, method: "POST", headers: { ...headers, "Content-Type": "application/json" }, body: JSON.stringify(payload) };
    case Kind.ANALYSIS: {
      // A step on a weekly analysis, with the version the worker wrote on: the server refuses
      // it (409) if the analysis moved on meanwhile; the record's UUID as Idempotency-Key makes
      // a retry after a lost answer the same step, answered with the analysis as it is now.
      const { analysisId, action, ...rest } = payload;
      return {
        url: `${api}/analysis/weekly/${encodeURIComponent(analysisId)}/${action}`,
        method: "POST",
        headers: { ...headers, "Content-Type": "application/json" },
        body: JSON.stringify(rest),
      };
    }
    case Kind.PATROL:
      return {
        url: `${api}/patrols`,
        method: "POST",
        headers: { ...headers, "Content-Type": "application/json" },
        body: JSON.stringify(payload),
      };
    default:
      throw new Error(`unknown kind ${record.kind}`);
  }
}

// Statuses worth another try later: the server or a proxy is busy, or timed out.
const TRANSIENT = new Set([408, 425, 429, 500, 502, 503, 504]);

// The outcome of an answer: `status`, a `headers.get`, and the body already parsed as JSON
// (null when it was not JSON). `now` is for a Retry-After date.
export function classify({ status, headers, body }, now = Date.now()) {
  if (status >= 200 && status < 300) return { type: Outcome.SENT, status, body };
  if (status === 401) return { type: Outcome.AUTH, status };
  const error = (body && body.error) || {};
  if (TRANSIENT.has(status) || status >= 500) {
    const after = headers && typeof headers.get === "function" ? retryAfterMs(headers.get("Retry-After"), now) : null;
    return { type: Outcome.RETRY, status, reason: error.code || `http_${status}`, retryAfterMs: after };
  }
  return {
    type: Outcome.REFUSED,
    status,
    code: error.code || `http_${status}`,
    message: error.message || "",
    details: error.details || null,
  };
}

// A fetch that threw (no network, aborted, the answer cut off): try again later.
export function classifyError(error) {
  return { type: Outcome.RETRY, status: 0, reason: error && error.name === "AbortError" ? "aborted" : "network" };
}

// The field messages of a 422 as one list of lines, for the outbox card; `labels` names the
// fields for people.
export function errorLines(error, labels = {}) {
  if (!error) return [];
  const lines = [];
  if (error.message) lines.push(error.message);
  const details = error.details || {};
  for (const [field, messages] of Object.entries(details)) {
    const list = Array.isArray(messages) ? messages : [messages];
    for (const message of list) lines.push(field === "__all__" ? String(message) : `${labels[field] || field}: ${message}`);
  }
  return lines;
}

// Building the requests of outbox records and reading the answers.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Kind, Outcome, newRecord } from "../static/mobile/js/outbox.js";
import { buildRequest, classify, classifyError, errorLines } from "../static/mobile/js/requests.js";

const API = "/api/v1";

function headers(map = {}) {
  return { get: (name) => map[name] ?? null };
}

test("a report is a multipart POST with the key, the token, the payload and the photos", async () => {
  const photo = new Blob([new Uint8Array([255, 216, 255])], { type: "image/jpeg" });
  const record = newRecord({
    id: "7f1c",
    kind: Kind.REPORT,
    payload: { category: "parking.minor", description: "车", lat: 39.1, lng: 117.2 },
    photos: [{ blob: photo, name: "a.jpg", kind: "report" }],
    now: 0,
  });
  const request = buildRequest(record, { api: API, token: "tok" });
  assert.equal(request.url, "/api/v1/cases");
  assert.equal(request.method, "POST");
  assert.equal(request.headers["Idempotency-Key"], "7f1c");
  assert.equal(request.headers.Authorization, "Bearer tok");
  assert.ok(!("Content-Type" in request.headers), "the browser sets the multipart boundary");
  const payload = JSON.parse(request.body.get("payload"));
  assert.deepEqual(payload, { category: "parking.minor", description: "车", lat: 39.1, lng: 117.2, photo_kinds: ["report"] });
  const files = request.body.getAll("photos");
  assert.equal(files.length, 1);
  assert.equal(files[0].name, "a.jpg");
  assert.equal(files[0].size, 3);
});

test("a self-handled case names its before and after photos", () => {
  const blob = new Blob(["x"]);
  const record = newRecord({
    id: "k",
    kind: Kind.SELF_HANDLE,
    payload: { category: "parking.minor", description: "d", self_handle: true },
    photos: [
      { blob, kind: "before" },
      { blob, kind: "after" },
    ],
    now: 0,
  });
  const request = buildRequest(record, { api: API, token: "t" });
  const payload = JSON.parse(request.body.get("payload"));
  assert.equal(payload.self_handle, true);
  assert.deepEqual(payload.photo_kinds, ["before", "after"]);
  assert.deepEqual(request.body.getAll("photos").map((f) => f.name), ["photo-1.jpg", "photo-2.jpg"]);
});

test("a verification goes to the case's action, pass or fail", () => {
  const pass = newRecord({ id: "v1", kind: Kind.VERIFY, payload: { caseId: 42, passed: true, comment: "ok" }, now: 0 });
  const fail = newRecord({ id: "v2", kind: Kind.VERIFY, payload: { caseId: 42, passed: false, comment: "no" }, now: 0 });
  const a = buildRequest(pass, { api: API, token: "t" });
  const b = buildRequest(fail, { api: API, token: "t" });
  assert.equal(a.url, "/api/v1/cases/42/actions/verify_pass");
  assert.equal(b.url, "/api/v1/cases/42/actions/verify_fail");
  assert.deepEqual(JSON.parse(a.body.get("payload")), { comment: "ok" });
  assert.equal(a.headers["Idempotency-Key"], "v1");
});

test("a patrol is JSON with its track and findings", () => {
  const payload = { started_at: "s", ended_at: "e", consent: true, track: [{ t: "s", lat: 1, lng: 2, accuracy: 5 }], findings: ["f1"] };
  const request = buildRequest(newRecord({ id: "p", kind: Kind.PATROL, payload, now: 0 }), { api: API, token: "t" });
  assert.equal(request.url, "/api/v1/patrols");
  assert.equal(request.headers["Content-Type"], "application/json");
  assert.deepEqual(JSON.parse(request.body), payload);
});

test("a visit is JSON under its client UUID, the patrol's way", () => {
  const payload = { household_id: 7, visited_at: "v", finding: "need", notes: "n", case_client_id: "k" };
  const request = buildRequest(newRecord({ id: "v1", kind: Kind.VISIT, payload, now: 0 }), { api: API, token: "t" });
  assert.equal(request.url, "/api/v1/visits");
  assert.equal(request.method, "POST");
  assert.equal(request.headers["Idempotency-Key"], "v1");
  assert.equal(request.headers["Content-Type"], "application/json");
  assert.deepEqual(JSON.parse(request.body), payload);
});

test("a visit with photos is multipart, its payload as JSON text", () => {
  const payload = { unit_id: 3, visited_at: "v", finding: "hazard" };
  const photos = [{ blob: new Blob(["x"], { type: "image/jpeg" }), name: "a.jpg", kind: "" }];
  const request = buildRequest(newRecord({ id: "v2", kind: Kind.VISIT, payload, photos, now: 0 }), { api: API, token: "t" });
  assert.equal(request.url, "/api/v1/visits");
  assert.equal(request.headers["Idempotency-Key"], "v2");
  assert.equal(request.headers["Content-Type"], undefined);
  assert.deepEqual(JSON.parse(request.body.get("payload")), payload);
  assert.equal(request.body.getAll("photos").length, 1);
  assert.equal(request.body.get("photo_kinds"), null);
});

test("answers are classified: sent, retry, refused, auth", () => {
  assert.equal(classify({ status: 201, headers: headers(), body: { id: 1 } }).type, Outcome.SENT);
  assert.equal(classify({ status: 200, headers: headers(), body: { id: 1 } }).type, Outcome.SENT, "the same key again");
  assert.equal(classify({ status: 401, headers: headers(), body: null }).type, Outcome.AUTH);
  for (const status of [408, 429, 500, 502, 503, 504]) {
    assert.equal(classify({ status, headers: headers(), body: null }).type, Outcome.RETRY, String(status));
  }
  const busy = classify({ status: 503, headers: headers({ "Retry-After": "30" }), body: null }, 0);
  assert.equal(busy.retryAfterMs, 30_000);
  for (const status of [400, 403, 404, 409, 422]) {
    assert.equal(classify({ status, headers: headers(), body: null }).type, Outcome.REFUSED, String(status));
  }
  const refused = classify({
    status: 422,
    headers: headers(),
    body: { error: { code: "invalid", message: "The request is not valid.", details: { category: ["This category is closed."] } } },
  });
  assert.deepEqual(refused, {
    type: Outcome.REFUSED,
    status: 422,
    code: "invalid",
    message: "The request is not valid.",
    details: { category: ["This category is closed."] },
  });
  assert.deepEqual(errorLines(refused), ["The request is not valid.", "category: This category is closed."]);
  assert.deepEqual(errorLines(refused, { category: "事项分类" }), ["The request is not valid.", "事项分类: This category is closed."]);
});

test("a fetch that throws is retried", () => {
  assert.equal(classifyError(new TypeError("Failed to fetch")).type, Outcome.RETRY);
  const aborted = new Error("x");
  aborted.name = "AbortError";
  assert.equal(classifyError(aborted).reason, "aborted");
});

test("a weekly analysis step is JSON with its version, to the analysis's action", () => {
  const payload = { analysisId: 12, action: "submit", version: 3, analysis: "a", measures: "m" };
  const request = buildRequest(newRecord({ id: "w1", kind: Kind.ANALYSIS, payload, now: 0 }), { api: API, token: "t" });
  assert.equal(request.url, "/api/v1/analysis/weekly/12/submit");
  assert.equal(request.method, "POST");
  assert.equal(request.headers["Content-Type"], "application/json");
  // The record's UUID: the server takes a step sent twice (a lost answer) once.
  assert.equal(request.headers["Idempotency-Key"], "w1");
  assert.deepEqual(JSON.parse(request.body), { version: 3, analysis: "a", measures: "m" });
});

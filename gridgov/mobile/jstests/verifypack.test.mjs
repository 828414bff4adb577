// The to-verify pack kept on the phone: which thumbnails fit the budget, which cases still show.
import assert from "node:assert/strict";
import { test } from "node:test";

import { GUESS_BYTES, packRows, planThumbnails, verifyModel } from "../static/mobile/js/verifypack.js";

const item = (id, version, ...thumbs) => ({ id, version, photos: thumbs.map((url) => ({ url: `${url}/full`, thumbnail_url: url })) });

test("thumbnails are kept in the queue's order until the budget is spent", () => {
  const items = [item(1, 3, "a", "b"), item(2, 1, "c"), item(3, 2, "d")];
  const plan = planThumbnails(items, new Map(), GUESS_BYTES * 3);
  assert.deepEqual(plan.keep, ["a", "b", "c"]);
  assert.deepEqual(plan.fetch, ["a", "b", "c"]);
  assert.deepEqual(plan.drop, []);
});

test("kept thumbnails count with their real size and are not fetched again; others are dropped", () => {
  const items = [item(1, 3, "a"), item(2, 1, "c")];
  const kept = new Map([
    ["a", 1000],
    ["old", 5000],
  ]);
  const plan = planThumbnails(items, kept, 1000 + GUESS_BYTES);
  assert.deepEqual(plan.keep, ["a", "c"]);
  assert.deepEqual(plan.fetch, ["c"]);
  assert.deepEqual(plan.drop, ["old"]);
});

test("a thumbnail that does not fit stops the plan, so the earliest deadlines win", () => {
  const plan = planThumbnails([item(1, 1, "a"), item(2, 1, "b")], new Map([["b", 10]]), GUESS_BYTES - 1);
  assert.deepEqual(plan.keep, []);
  assert.deepEqual(plan.drop, ["b"]);
});

test("a verification sent for this round hides the case; one in the outbox marks it", () => {
  const items = [item(1, 3), item(2, 1), item(3, 5)];
  const records = [
    { kind: "verify", state: "sent", payload: { caseId: 1, version: 3 } },
    { kind: "verify", state: "waiting", payload: { caseId: 2, version: 1 } },
    { kind: "verify", state: "sent", payload: { caseId: 3, version: 4 } }, // an earlier round
    { kind: "report", state: "waiting", payload: {} },
  ];
  assert.deepEqual(
    packRows(items, records).map((row) => [row.item.id, row.pending, row.failed]),
    [
      [2, true, false],
      [3, false, false],
    ],
  );
  const refused = packRows([item(4, 2)], [{ kind: "verify", state: "failed", payload: { caseId: 4, version: 2 } }]);
  assert.deepEqual([refused[0].pending, refused[0].failed], [true, true]);
});

test("the verify screen reads a full case and a pack item alike", () => {
  const full = {
    history: [
      { action: "report_back", data: { result: "first" }, comment: "", actor: { name: "A" }, at: "t1" },
      { action: "verify_fail", data: {}, comment: "no", actor: null, at: "t2" },
      { action: "report_back", data: {}, comment: "second", actor: { name: "B" }, at: "t3" },
    ],
    attachments: [
      { kind: "report", url: "r" },
      { kind: "result", url: "x" },
    ],
    actions: [{ code: "verify_pass", photo_required: true }],
  };
  const fromCase = verifyModel(full);
  assert.equal(fromCase.result.text, "second");
  assert.deepEqual(fromCase.photos.map((p) => p.url), ["x"]);
  assert.equal(fromCase.photoRequired, true);
  const packed = { id: 1, result: { text: "done", actor: null, at: "t" }, photos: [{ url: "y" }] };
  const fromPack = verifyModel(packed);
  assert.equal(fromPack.result.text, "done");
  assert.deepEqual(fromPack.photos.map((p) => p.url), ["y"]);
  assert.equal(fromPack.photoRequired, false);
});

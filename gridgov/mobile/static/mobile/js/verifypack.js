// The to-verify queue kept on the phone: every case the worker has to verify, with the
// department's result and the thumbnails of its photos, fetched while there is signal so that a
// worker who goes out in the morning can verify all of them without it. See docs/mobile.md.
//
// The pack (GET /cases/verify-pack) is kept like every read (kv "cache:verify-pack"); the
// thumbnails as Blobs under "cache:blob:<url>" with their sizes listed in "cache:blobs", so that
// logging out or another account's login clears them with the rest of the cached data.

import { kv } from "./store.js";

export const PACK_KEY = "verify-pack";
export const BLOB_PREFIX = "cache:blob:";
const INDEX_KEY = "cache:blobs";
// A thumbnail not fetched yet counts this much against the budget (they are ~20-40 kB).
export const GUESS_BYTES = 40_000;
// The pack is fetched again at most this often unless asked (every screen that shows it asks).
const REFRESH_MS = 60_000;

// Which thumbnails to keep: the queue's, in its order (earliest deadline first), until the
// budget is spent; `kept` maps the URLs on the phone to their sizes. Pure, for the tests.
export function planThumbnails(items, kept, budget) {
  const wanted = [];
  let spent = 0;
  for (const item of items || []) {
    for (const photo of item.photos || []) {
      const url = photo.thumbnail_url || photo.url;
      if (!url || wanted.includes(url)) continue;
      const size = kept.has(url) ? kept.get(url) : GUESS_BYTES;
      if (spent + size > budget) return finish(wanted, kept);
      spent += size;
      wanted.push(url);
    }
  }
  return finish(wanted, kept);
}

function finish(wanted, kept) {
  return {
    keep: wanted,
    fetch: wanted.filter((url) => !kept.has(url)),
    drop: [...kept.keys()].filter((url) => !wanted.includes(url)),
  };
}

// The cases of the pack still to be verified on this phone: a verification already sent for
// the same round (same case version) hides its case until the next pack; one still waiting in
// the outbox is marked.
export function packRows(items, records) {
  const byCase = new Map();
  for (const record of records || []) {
    if (record.kind !== "verify") continue;
    byCase.set(`${record.payload.caseId}:${record.payload.version}`, record);
  }
  const rows = [];
  for (const item of items || []) {
    const record = byCase.get(`${item.id}:${item.version}`);
    if (record && record.state === "sent") continue;
    rows.push({ item, pending: Boolean(record) });
  }
  return rows;
}

let last = 0;
let running = null;

// Fetch the pack and its thumbnails (at most once a minute unless `force`); answers the pack as
// read ({data, offline, at}), or null when it was fresh enough and nobody forced it.
export function refreshPack(api, { budget, force = false }) {
  if (running) return running;
  if (!force && Date.now() - last < REFRESH_MS) return Promise.resolve(null);
  running = (async () => {
    const read = await api.read(`${api.base}/cases/verify-pack`, { cacheKey: PACK_KEY });
    if (read.offline) return read;
    last = Date.now();
    await keepThumbnails(api, read.data.items, budget);
    return read;
  })().finally(() => {
    running = null;
  });
  return running;
}

async function keepThumbnails(api, items, budget) {
  const kept = new Map(((await kv.get(INDEX_KEY)) || []).map((entry) => [entry.url, entry.size]));
  const plan = planThumbnails(items, kept, budget);
  for (const url of plan.drop) {
    await kv.delete(BLOB_PREFIX + url);
    kept.delete(url);
  }
  let spent = [...kept.values()].reduce((sum, size) => sum + size, 0);
  for (const url of plan.fetch) {
    let blob;
    try {
      blob = await api.fetchBlob(url);
    } catch (error) {
      break; // the signal went: what is kept stays, the rest comes next time
    }
    if (spent + blob.size > budget) break;
    await kv.set(BLOB_PREFIX + url, blob);
    kept.set(url, blob.size);
    spent += blob.size;
    await kv.set(INDEX_KEY, [...kept].map(([key, size]) => ({ url: key, size })));
  }
  await kv.set(INDEX_KEY, [...kept].map(([key, size]) => ({ url: key, size })));
}

// A kept thumbnail, or null.
export function keptBlob(url) {
  return kv.get(BLOB_PREFIX + url);
}

// What the verify screen shows, from a full case (GET /cases/<id>) or a pack item.
export function verifyModel(item) {
  if (item.history) {
    const event = [...item.history].reverse().find((entry) => entry.action === "report_back");
    return {
      item,
      result: event ? { text: (event.data && event.data.result) || event.comment || "", actor: event.actor, at: event.at } : null,
      photos: item.attachments.filter((attachment) => attachment.kind === "result"),
      photoRequired: (item.actions || []).some((action) => action.code.startsWith("verify_") && action.photo_required),
    };
  }
  return { item, result: item.result, photos: item.photos || [], photoRequired: Boolean(item.photo_required) };
}

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
// the outbox is marked, and one the server refused is marked as needing the worker.
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
    rows.push({ item, pending: Boolean(record), failed: Boolean(record) && record.state === "failed" });
  }
  return rows;
}

// A thumbnail is small (the server makes them ~20-40 kB); a bigger answer is the original the
// server sends while the thumbnail is not made yet: not kept, fetched again next time.
export const THUMBNAIL_MAX_BYTES = 200_000;

// The fetch in flight and the time of the last one, for the account whose token made them: a
// logout or another login forgets both (forgetPack), and a fetch of an account that is no longer
// logged in stops writing.
let last = 0;
let running = null;
let runningToken = null;

export function forgetPack() {
  last = 0;
  running = null;
  runningToken = null;
}

// Fetch the pack and its thumbnails (at most once a minute unless `force`); answers the pack as
// read ({data, offline, at}), or null when it was fresh enough and nobody forced it.
export function refreshPack(api, { budget, force = false }) {
  if (running && runningToken === api.token) return running;
  if (!force && runningToken === api.token && Date.now() - last < REFRESH_MS) return Promise.resolve(null);
  const token = api.token;
  const current = (async () => {
    const read = await api.read(`${api.base}/cases/verify-pack`, { cacheKey: PACK_KEY });
    if (read.offline || api.token !== token) return read;
    last = Date.now();
    await keepThumbnails(api, read.data.items, budget, token);
    return read;
  })().finally(() => {
    if (running === current) {
      running = null;
    }
  });
  running = current;
  runningToken = token;
  return current;
}

async function keepThumbnails(api, items, budget, token) {
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
      if (error && error.status) continue; // this photo is refused or missing: the others still come
      break; // the signal went: what is kept stays, the rest comes next time
    }
    if (api.token !== token) return; // logged out meanwhile: keep nothing more
    if (blob.size > THUMBNAIL_MAX_BYTES) continue;
    if (spent + blob.size > budget) break;
    await kv.set(BLOB_PREFIX + url, blob);
    kept.set(url, blob.size);
    spent += blob.size;
    await kv.set(INDEX_KEY, [...kept].map(([key, size]) => ({ url: key, size })));
  }
  if (api.token === token) await kv.set(INDEX_KEY, [...kept].map(([key, size]) => ({ url: key, size })));
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
      // The last report-back's own photos (an earlier round's show a refused result).
      photos: event && event.photos && event.photos.length ? event.photos : item.attachments.filter((attachment) => attachment.kind === "result"),
      photoRequired: (item.actions || []).some((action) => action.code.startsWith("verify_") && action.photo_required),
    };
  }
  return { item, result: item.result, photos: item.photos || [], photoRequired: Boolean(item.photo_required) };
}

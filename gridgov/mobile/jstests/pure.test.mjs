// The category picker's order and search, geometry and route sampling, the service worker's
// routing, the photo size.
import assert from "node:assert/strict";
import { test } from "node:test";

import { matchScore, orderCategories, recordUse, searchCategories } from "../static/mobile/js/categories.js";
import { capTrack, contains, distanceM, locateLocal, shouldSample, trackDistance } from "../static/mobile/js/geo.js";
import { fitWithin } from "../static/mobile/js/image.js";
import { cacheNames, staleCaches, strategyFor } from "../static/mobile/js/swroutes.js";

const CATEGORIES = [
  { code: "parking.minor", name: "违规停车劝导", initials: "WGTCQD", major_name: "交通秩序", major_initials: "JTZX" },
  { code: "parking.fire_lane", name: "占用消防通道停车", initials: "ZYXFTDTC", major_name: "交通秩序", major_initials: "JTZX" },
  { code: "appearance.garbage", name: "暴露垃圾", initials: "BLLJ", major_name: "市容环境", major_initials: "SRHJ" },
  { code: "appearance.street_vendor", name: "占道经营", initials: "ZDJY", major_name: "市容环境", major_initials: "SRHJ" },
  { code: "civility.dog", name: "不文明养犬", initials: "BWMYQ", major_name: "文明行为", major_initials: "WMXW" },
];

test("pinyin initials find a category, the name too", () => {
  assert.deepEqual(searchCategories(CATEGORIES, "wgtc").map((c) => c.code), ["parking.minor"]);
  assert.deepEqual(searchCategories(CATEGORIES, "ZD").map((c) => c.code), ["appearance.street_vendor"]);
  assert.deepEqual(searchCategories(CATEGORIES, "垃圾").map((c) => c.code), ["appearance.garbage"]);
  assert.deepEqual(searchCategories(CATEGORIES, "消防").map((c) => c.code), ["parking.fire_lane"]);
  assert.equal(searchCategories(CATEGORIES, "qqqq").length, 0);
});

test("a major class's name finds its minors; better matches first", () => {
  assert.deepEqual(searchCategories(CATEGORIES, "市容").map((c) => c.code), ["appearance.garbage", "appearance.street_vendor"]);
  assert.ok(matchScore(CATEGORIES[1], "zyxftdtc") > matchScore(CATEGORIES[1], "tdtc"));
  assert.ok(matchScore(CATEGORIES[1], "tdtc") > matchScore(CATEGORIES[1], "jtzx"));
});

test("frequent use breaks ties in a search", () => {
  const usage = { "appearance.street_vendor": { count: 5, last: 1 } };
  assert.deepEqual(searchCategories(CATEGORIES, "sr", usage).map((c) => c.code), ["appearance.street_vendor", "appearance.garbage"]);
});

test("recent and frequent categories come first, each once", () => {
  let usage = {};
  usage = recordUse(usage, "civility.dog", 1);
  usage = recordUse(usage, "appearance.garbage", 2);
  usage = recordUse(usage, "appearance.garbage", 3);
  usage = recordUse(usage, "parking.minor", 10);
  assert.deepEqual(usage["appearance.garbage"], { count: 2, last: 3 });
  const { recent, frequent, rest } = orderCategories(CATEGORIES, usage);
  assert.deepEqual(recent.map((c) => c.code), ["parking.minor", "appearance.garbage", "civility.dog"]);
  assert.deepEqual(frequent, []);
  assert.deepEqual(rest.map((c) => c.code), ["parking.fire_lane", "appearance.street_vendor"]);
  const none = orderCategories(CATEGORIES, {});
  assert.equal(none.rest.length, CATEGORIES.length);
});

const SQUARE = {
  type: "Polygon",
  coordinates: [
    [[117, 39], [117.01, 39], [117.01, 39.01], [117, 39.01], [117, 39]],
    [[117.004, 39.004], [117.006, 39.004], [117.006, 39.006], [117.004, 39.006], [117.004, 39.004]],
  ],
};

test("a point is found in its grid, not in a hole or outside", () => {
  assert.ok(contains(SQUARE, 39.002, 117.002));
  assert.ok(!contains(SQUARE, 39.005, 117.005));
  assert.ok(!contains(SQUARE, 39.02, 117.002));
  assert.ok(contains({ type: "MultiPolygon", coordinates: [SQUARE.coordinates] }, 39.002, 117.002));
  const grid = { properties: { name: "第1网格" }, geometry: SQUARE };
  assert.equal(locateLocal([grid], 39.002, 117.002), grid);
  assert.equal(locateLocal([grid], 40, 117), null);
});

test("distances and the patrol's sampling: every 30 s or 50 m, never within 5 s", () => {
  const a = { t: 0, lat: 39, lng: 117 };
  const tenMetresNorth = { lat: 39 + 10 / 111_195, lng: 117 };
  assert.equal(Math.round(distanceM(a, tenMetresNorth)), 10);
  assert.ok(shouldSample(null, a));
  assert.ok(!shouldSample(a, { ...tenMetresNorth, t: 10_000 }));
  assert.ok(shouldSample(a, { ...tenMetresNorth, t: 30_000 }));
  const far = { lat: 39 + 60 / 111_195, lng: 117 };
  assert.ok(shouldSample(a, { ...far, t: 6_000 }));
  assert.ok(!shouldSample(a, { ...far, t: 4_000 }));
  assert.equal(trackDistance([a, { ...far, t: 1 }, a]), 120);
  assert.equal(trackDistance([]), 0);
});

test("a long patrol's track is thinned to what the server takes, keeping its first and last points", () => {
  // An e-bike patrol: a point every 5 to 10 s for 6 hours is more than the server's 2,000.
  let track = [];
  for (let i = 0; i < 3000; i += 1) track = capTrack([...track, { t: i, lat: 39 + i / 1e5, lng: 117 }], 2000);
  assert.ok(track.length <= 2000 && track.length > 1000, String(track.length));
  assert.equal(track[0].t, 0);
  assert.equal(track[track.length - 1].t, 2999);
  assert.ok(track.every((p, i) => i === 0 || p.t > track[i - 1].t));
  const short = [{ t: 0 }, { t: 1 }, { t: 2 }];
  assert.equal(capTrack(short, 2000), short);
  assert.deepEqual(capTrack([...short, { t: 3 }], 3), [{ t: 0 }, { t: 2 }, { t: 3 }]);
  assert.deepEqual(capTrack([], undefined), []);
});

test("photos are shrunk to 1600 px on the long side, never enlarged", () => {
  assert.deepEqual(fitWithin(4000, 3000), { width: 1600, height: 1200 });
  assert.deepEqual(fitWithin(3000, 4000), { width: 1200, height: 1600 });
  assert.deepEqual(fitWithin(800, 600), { width: 800, height: 600 });
});

test("the service worker: the shell from the cache, read-only data network first, writes untouched", () => {
  const origin = "https://gridgov.example";
  const precached = new Set(["/static/mobile/js/app.js"]);
  const at = (path, method = "GET") => strategyFor({ url: origin + path, method, origin, precached });
  assert.equal(at("/m/"), "shell");
  assert.equal(at("/m/?source=pwa"), "shell");
  assert.equal(at("/static/mobile/js/app.js"), "shell");
  assert.equal(at("/m/categories.json"), "data");
  assert.equal(at("/api/v1/me"), "data");
  assert.equal(at("/api/v1/cases?queue=mine"), "data");
  assert.equal(at("/api/v1/cases/12"), "data");
  assert.equal(at("/api/v1/areas?level=grid"), "data");
  assert.equal(at("/api/v1/cases/attachments/3/thumbnail"), "data");
  assert.equal(at("/api/v1/areas/locate?lat=1&lng=2"), "network");
  assert.equal(at("/api/v1/cases/duplicates?category=x&lat=1&lng=2"), "network");
  assert.equal(at("/api/v1/cases", "POST"), "network");
  assert.equal(at("/api/v1/auth/token", "POST"), "network");
  assert.equal(at("/cases/12/"), "network");
  assert.equal(strategyFor({ url: "https://elsewhere.example/m/", method: "GET", origin, precached }), "network");
});

test("a new version deletes the old shell caches and keeps the data", () => {
  const names = cacheNames("v2");
  assert.deepEqual(names, { shell: "gridgov-m-shell-v2", data: "gridgov-m-data" });
  assert.deepEqual(staleCaches(["gridgov-m-shell-v1", "gridgov-m-shell-v2", "gridgov-m-data", "other"], "v2"), ["gridgov-m-shell-v1"]);
});

test("no inline style attribute in the app's elements (the phone's CSP refuses them)", async () => {
  const { readdir, readFile } = await import("node:fs/promises");
  const dir = new URL("../static/mobile/js/", import.meta.url);
  for (const name of (await readdir(dir)).filter((n) => n.endsWith(".js"))) {
    const source = await readFile(new URL(name, dir), "utf8");
    assert.doesNotMatch(source, /\bstyle:\s*["'`]/, `${name} sets an inline style`);
  }
});

test("the weekly tile shows an overdue unwritten week before a passed latest week", async () => {
  const { isOverdue, mostUrgent } = await import("../static/mobile/js/weeklystate.js");
  const now = Date.parse("2026-12-05T12:00:00Z");
  const passed = { id: 3, week: "2026-11-23", status: "passed", due_at: "2026-12-01T10:00:00Z" };
  const late = { id: 2, week: "2026-11-16", status: "draft", due_at: "2026-11-24T10:00:00Z" };
  const open = { id: 4, week: "2026-11-30", status: "draft", due_at: "2026-12-08T10:00:00Z" };
  assert.ok(isOverdue(late, now) && !isOverdue(passed, now) && !isOverdue(open, now));
  assert.equal(mostUrgent([passed, late], now).id, 2);
  assert.equal(mostUrgent([open, passed, late], now).id, 2);
  assert.equal(mostUrgent([open, passed], now).id, 4);
  assert.equal(mostUrgent([passed, { ...passed, id: 1, week: "2026-11-16" }], now).id, 3);
  assert.equal(mostUrgent([], now), null);
});

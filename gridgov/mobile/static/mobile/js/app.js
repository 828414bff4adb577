// The phone app: boot, the login gate, the router, the sync scheduler, and the home, login
// and outbox screens. Report and self-handle are in report.js; verify, patrol and my cases in
// screens.js. See docs/mobile.md.

import { Api, AuthLost, Offline } from "./api.js";
import { errorLines } from "./requests.js";
import { Kind, State, counts, isDiscardable, isEditable, newRecord, prunable, retryNow } from "./outbox.js";
import { SyncEngine } from "./sync.js";
import { kv, outboxStore } from "./store.js";
import { formatTime, h, mount, setStrings, t, toast } from "./ui.js";
import { reportScreen } from "./report.js";
import { forgetPack, refreshPack } from "./verifypack.js";
import { DUE_KEY, PLACES_KEY, dueUrl, placesUrl, targetKey, visitScreen, visitsScreen } from "./visits.js";
import { WEEKLY_KEY, weeklyListScreen, weeklyScreen, weeklyTile, weeklyUrl } from "./weekly.js";
import { caseScreen, casesScreen, patrolScreen, resumePatrol, verifyListScreen, verifyScreen } from "./screens.js";

const config = JSON.parse(document.getElementById("m-config").textContent);
setStrings(config.strings, config.language);

const view = document.getElementById("view");
const titleEl = document.getElementById("title");
const netEl = document.getElementById("net");
const badgeEl = document.getElementById("outbox-badge");
const SYNC_PERIOD_MS = 30_000;

let currentUser = null;
let authMessage = "";
let cleanups = [];
let timer = null;

const api = new Api({
  base: config.api,
  onAuthLost: () => {
    currentUser = null;
    authMessage = t("Your login has expired. Log in again: nothing in the outbox is lost.");
    go("#/login");
  },
});

const sync = new SyncEngine({
  store: outboxStore,
  send: (record) => api.send(record),
  canSend: () => Boolean(api.token) && navigator.onLine !== false,
  accepts: (record) => !record.owner || record.owner === currentUser,
  onChange: () => {
    refreshBadge();
    if (routeName() === "outbox") render();
  },
});

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// --- sync scheduling ----------------------------------------------------------------------

async function schedule() {
  clearTimeout(timer);
  try {
    await sync.run();
  } catch (error) {
    console.error(error);
  }
  const wake = await sync.wakeup();
  let delay = SYNC_PERIOD_MS;
  if (wake !== null) delay = Math.min(delay, Math.max(1000, wake - Date.now()));
  timer = setTimeout(schedule, delay);
  refreshBadge();
}

async function refreshBadge() {
  const records = await outboxStore.all();
  const { pending, failed } = counts(records);
  badgeEl.textContent = pending ? String(pending) : "";
  badgeEl.hidden = !pending;
  badgeEl.classList.toggle("failed", failed > 0);
}

function refreshNet() {
  const online = navigator.onLine !== false;
  netEl.textContent = online ? "" : t("Offline");
  netEl.hidden = online;
}

// --- the context screens work with ---------------------------------------------------------

const ctx = {
  api,
  config,
  view,
  uuid,
  go,
  schedule,
  user: () => currentUser,
  setTitle(text) {
    titleEl.textContent = text;
    document.title = `${text} · ${t("GridGov")}`;
  },
  onCleanup(fn) {
    cleanups.push(fn);
  },
  async enqueue({ id = uuid(), kind, payload, photos = [], title = "", dependsOn = [], meta = {} }) {
    const record = { ...newRecord({ id, kind, payload, photos, title, dependsOn, now: Date.now() }), owner: currentUser, meta };
    await outboxStore.put(record);
    refreshBadge();
    schedule();
    return record;
  },
  async cached(key, url, { keep = true } = {}) {
    try {
      return (await api.read(url, { cacheKey: key, keep })).data;
    } catch (error) {
      if (error instanceof AuthLost) throw error;
      if (error instanceof Offline) return null;
      throw error;
    }
  },
  categories() {
    return ctx.cached("categories", config.categories);
  },
  grids() {
    return ctx.cached("grids", `${config.api}/areas?level=grid`);
  },
};

// What the worker needs without signal, fetched while there is some (after login, on start).
async function prefetch() {
  if (!api.token || navigator.onLine === false) return;
  try {
    await ctx.categories();
    await ctx.grids();
    await keepVerifyPack(true);
    await ctx.cached(DUE_KEY, dueUrl(config));
    await ctx.cached(PLACES_KEY, placesUrl(config));
    await prefetchWeekly();
  } catch (error) {
    console.warn("prefetch", error);
  }
}

// The worker's analyses of the last complete week, each with its figures, for writing it
// without signal (quiet for those who may not read analyses).
async function prefetchWeekly() {
  let data = null;
  try {
    data = await ctx.cached(WEEKLY_KEY, weeklyUrl(config));
  } catch (error) {
    if (error.status === 403) return;
    throw error;
  }
  for (const item of data ? data.items : []) await ctx.cached(`weekly:${item.id}`, `${config.api}/analysis/weekly/${item.id}`);
}

// The to-verify queue with its thumbnails, kept for the field (see verifypack.js); quiet on
// failure, the copy kept before stays.
async function keepVerifyPack(force = false) {
  if (!api.token || navigator.onLine === false) return;
  try {
    await refreshPack(api, { budget: config.verifyPhotoBytes, force });
  } catch (error) {
    if (!(error instanceof AuthLost) && !(error instanceof Offline)) console.warn("verify pack", error);
  }
}

// --- router -------------------------------------------------------------------------------

function parseRoute() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = raw.split("?");
  const [name = "", id = ""] = path.split("/");
  return { name: name || "home", id, params: new URLSearchParams(query) };
}

function routeName() {
  return parseRoute().name;
}

function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

const SCREENS = {
  home: homeScreen,
  login: loginScreen,
  outbox: outboxScreen,
  report: (c, route) => reportScreen(c, route, { selfHandle: false }),
  self: (c, route) => reportScreen(c, route, { selfHandle: true }),
  verify: (c, route) => (route.id ? verifyScreen(c, route) : verifyListScreen(c, route)),
  patrol: patrolScreen,
  visits: visitsScreen,
  visit: visitScreen,
  cases: casesScreen,
  case: caseScreen,
  weekly: (c, route) => (route.id ? weeklyScreen(c, route) : weeklyListScreen(c, route)),
};

let rendering = 0;

async function render() {
  const route = parseRoute();
  for (const fn of cleanups.splice(0)) {
    try {
      fn();
    } catch (error) {
      console.error(error);
    }
  }
  const mine = ++rendering;
  if (!api.token && route.name !== "login") {
    go("#/login");
    return;
  }
  document.querySelectorAll("#tabs a").forEach((a) => a.classList.toggle("active", a.dataset.route === route.name));
  document.getElementById("tabs").hidden = route.name === "login";
  const screen = SCREENS[route.name] || homeScreen;
  // Each render draws into a container of its own: a screen still awaiting (its cache, the
  // outbox) when another route is opened fills a container no longer shown, never the page.
  const current = () => mine === rendering;
  const screenView = h("div", { class: "contents" });
  view.replaceChildren(screenView);
  const screenCtx = Object.assign(Object.create(ctx), {
    view: screenView,
    setTitle: (text) => current() && ctx.setTitle(text),
  });
  try {
    await screen(screenCtx, route, current);
  } catch (error) {
    if (error instanceof AuthLost) return;
    console.error(error);
    mount(screenView, h("p", { class: "error" }, t("Something went wrong: %(message)s", { message: error.message })));
  }
  view.focus({ preventScroll: true });
}

// --- login ---------------------------------------------------------------------------------

async function loginScreen(c) {
  ctx.setTitle(t("Log in"));
  const pending = counts(await outboxStore.all()).pending;
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const username = h("input", { name: "username", id: "m-username", autocomplete: "username", required: true, autocapitalize: "off" });
  const password = h("input", { name: "password", id: "m-password", type: "password", autocomplete: "current-password", required: true });
  const button = h("button", { type: "submit", class: "btn primary big", "data-testid": "login-submit" }, t("Log in"));
  const form = h(
    "form",
    {
      class: "card form",
      onsubmit: async (event) => {
        event.preventDefault();
        button.disabled = true;
        error.hidden = true;
        try {
          // Whose read-only copies this phone keeps (the last login may have expired
          // without a logout): another account must not see them without signal.
          const before = await kv.get("cache:me");
          await api.login(username.value.trim(), password.value);
          currentUser = username.value.trim();
          authMessage = "";
          const me = await ctx.cached("me", `${config.api}/me`, { keep: false });
          if (me) currentUser = me.username;
          if (!before || !before.data || before.data.username !== currentUser) await clearReadCaches();
          if (me) await kv.set("cache:me", { data: me, at: Date.now() });
          go("#/home");
          schedule();
          prefetch();
        } catch (failure) {
          if (failure instanceof TypeError) error.textContent = t("No signal: logging in needs the network.");
          else error.textContent = failure.message;
          error.hidden = false;
        } finally {
          button.disabled = false;
        }
      },
    },
    authMessage ? h("p", { class: "notice", "data-testid": "auth-message" }, authMessage) : null,
    pending ? h("p", { class: "notice" }, t("%(count)s records wait in the outbox; they are sent after you log in.", { count: pending })) : null,
    h("label", { for: "m-username" }, t("Username")),
    username,
    h("label", { for: "m-password" }, t("Password")),
    password,
    error,
    button,
  );
  mount(c.view, h("div", { class: "login" }, h("img", { src: config.icon, alt: "", class: "login-icon", width: 96, height: 96 }), form));
}

// --- home ----------------------------------------------------------------------------------

function caseItem(item, href) {
  return h(
    "li",
    {},
    h(
      "a",
      { href, class: "row" },
      h("span", { class: "row-main" }, h("strong", {}, item.category ? item.category.name : item.number), h("span", { class: "muted" }, item.description || item.number)),
      h("span", { class: `pill light-${item.light || "none"}` }, item.status_label || item.status),
    ),
  );
}

function section(title, testid, body) {
  return h("section", { class: "card", "data-testid": testid }, h("h2", {}, title), body);
}

function offlineNote() {
  return h("p", { class: "muted" }, t("Not available without signal."));
}

async function homeScreen(c, _route, current) {
  c.setTitle(t("Today's work"));
  const records = await outboxStore.all();
  const tally = counts(records);
  const toVerify = h("div", {}, h("p", { class: "muted" }, t("Loading…")));
  const returned = h("div", {}, h("p", { class: "muted" }, t("Loading…")));
  const notes = h("div", {}, h("p", { class: "muted" }, t("Loading…")));
  const weekly = h("span", { class: "contents" });
  const patrol = await kv.get("patrol");
  mount(
    c.view,
    tally.pending
      ? h(
          "a",
          { href: "#/outbox", class: `card banner ${tally.failed ? "failed" : ""}`, "data-testid": "home-outbox" },
          t("%(count)s records in the outbox", { count: tally.pending }),
          tally.failed ? h("span", {}, ` · ${t("%(count)s need your attention", { count: tally.failed })}`) : null,
        )
      : null,
    h(
      "div",
      { class: "actions" },
      h("a", { href: "#/report", class: "btn primary big", "data-testid": "go-report" }, t("Report a case")),
      h("a", { href: "#/self", class: "btn big", "data-testid": "go-self" }, t("Self-handle")),
      h("a", { href: "#/verify", class: "btn big", "data-testid": "go-verify" }, t("Verify")),
      h("a", { href: "#/patrol", class: `btn big ${patrol ? "running" : ""}`, "data-testid": "go-patrol" }, patrol ? t("Patrol running") : t("Go on patrol")),
      h("a", { href: "#/visits", class: "btn big", "data-testid": "go-visits" }, t("Today's visits")),
      weekly,
    ),
    section(t("To verify"), "home-verify", toVerify),
    section(t("Returned to me"), "home-returned", returned),
    section(t("Reminders and notifications"), "home-notifications", notes),
    h(
      "p",
      { class: "footer" },
      h("span", { class: "muted" }, currentUser || ""),
      " ",
      h("button", { type: "button", class: "link", "data-testid": "logout", onclick: logout }, t("Log out")),
    ),
  );
  const work = await c.cached("work", `${config.api}/work`);
  if (!current()) return;
  const list = (block, href, empty) =>
    block.items.length ? h("ul", { class: "list" }, block.items.map((item) => caseItem(item, href(item)))) : h("p", { class: "muted" }, empty);
  if (work && work.view === "oversight") {
    oversightHome(c.view, work, list);
    return;
  }
  mount(
    toVerify,
    work ? list(work.to_verify, (item) => `#/verify/${item.id}`, t("Nothing to verify.")) : offlineNote(),
    work && work.to_verify.count > work.to_verify.items.length
      ? h("a", { href: "#/verify", class: "more", "data-testid": "home-verify-more" }, t("All %(count)s to verify", { count: work.to_verify.count }))
      : null,
  );
  // Keep the whole queue on the phone for verifying without signal (in the background).
  keepVerifyPack();
  mount(returned, work ? list(work.returned, (item) => `#/case/${item.id}`, t("No case came back to you.")) : offlineNote());
  const unread = await c.cached("notifications", `${config.api}/notifications?unread=true&limit=5`);
  if (!current()) return;
  mount(
    notes,
    work ? h("p", { "data-testid": "home-counts" }, t("%(unread)s unread, %(reminders)s reminders", { unread: work.unread_notifications, reminders: work.reminders })) : null,
    unread
      ? unread.items.length
        ? h(
            "ul",
            { class: "list" },
            unread.items.map((item) =>
              h("li", {}, h("div", { class: "row" }, h("span", { class: "row-main" }, h("strong", {}, item.title), h("span", { class: "muted" }, formatTime(item.created_at))))),
            ),
          )
        : h("p", { class: "muted" }, t("No unread notifications."))
      : offlineNote(),
  );
  const tile = await weeklyTile(c);
  if (!current()) return;
  mount(weekly, tile);
}

// A town leader's or the supervisor's home: the queues they act on (overdue, warning, under
// supervision) in their scope, opened case by case; no report, verify or patrol buttons.
function oversightHome(target, work, list) {
  // A leader or the supervisor does not report from the phone: no report tab.
  const reportTab = document.querySelector("#tabs a[data-route=report]");
  if (reportTab) reportTab.hidden = true;
  const more = (block, queue) =>
    block.count > block.items.length ? h("a", { href: `/cases/?queue=${queue}`, class: "more" }, t("All %(count)s on the desk site", { count: block.count })) : null;
  const queueSection = (title, testid, block, queue, empty) =>
    section(`${title} (${block.count})`, testid, h("div", {}, list(block, (item) => `#/case/${item.id}`, empty), more(block, queue)));
  mount(
    target,
    h("p", { class: "muted", "data-testid": "oversight-note" }, t("Reminding and supervising are done on a case's page.")),
    queueSection(t("Overdue"), "home-overdue", work.overdue, "overdue", t("Nothing is overdue.")),
    queueSection(t("Warning"), "home-warning", work.warning, "warning", t("Nothing is close to its deadline.")),
    queueSection(t("Under supervision"), "home-supervision", work.supervision, "supervision", t("No case is under supervision.")),
    h("p", { "data-testid": "home-counts" }, t("%(unread)s unread, %(reminders)s reminders", { unread: work.unread_notifications, reminders: work.reminders })),
    h(
      "p",
      { class: "footer" },
      h("span", { class: "muted" }, currentUser || ""),
      " ",
      h("button", { type: "button", class: "link", "data-testid": "logout", onclick: logout }, t("Log out")),
    ),
  );
}

async function logout() {
  const pending = counts((await outboxStore.all()).filter((r) => r.owner === currentUser)).pending;
  if (pending && !confirm(t("%(count)s records are not sent yet. They stay on this phone and are sent after you log in again. Log out?", { count: pending }))) {
    return;
  }
  await api.logout({ revoke: true });
  await clearReadCaches();
  currentUser = null;
  go("#/login");
}

// Forget the copies of read-only data (the app's and the service worker's); the outbox stays.
async function clearReadCaches() {
  forgetPack();
  for (const key of await kv.keys()) if (String(key).startsWith("cache:")) await kv.delete(key);
  const worker = navigator.serviceWorker && navigator.serviceWorker.controller;
  if (!worker) return;
  // Wait for the worker to have deleted its copies, so that what is read next is kept.
  await new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(resolve, 2000);
    channel.port1.onmessage = () => {
      clearTimeout(timer);
      resolve();
    };
    worker.postMessage({ type: "clear-data" }, [channel.port2]);
  });
}

// --- outbox --------------------------------------------------------------------------------

const KIND_LABELS = () => ({
  [Kind.REPORT]: t("Report"),
  [Kind.SELF_HANDLE]: t("Self-handled case"),
  [Kind.VERIFY]: t("Verification"),
  [Kind.PATROL]: t("Patrol record"),
  [Kind.VISIT]: t("Visit"),
  [Kind.ANALYSIS]: t("Weekly analysis"),
});

const STATE_LABELS = () => ({
  [State.WAITING]: t("Waiting"),
  [State.SENDING]: t("Sending"),
  [State.SENT]: t("Sent"),
  [State.FAILED]: t("Refused"),
});

const fieldLabels = () => ({
  category: t("Category"),
  description: t("Description"),
  address: t("Address"),
  lat: t("Location"),
  lng: t("Location"),
  photos: t("Photos"),
  comment: t("Comment"),
  self_handle: t("Self-handle"),
  version: t("Case"),
  analysis: t("Analysis"),
  measures: t("Proposed measures"),
});

function editHref(record) {
  if (record.kind === Kind.REPORT) return `#/report?edit=${record.id}`;
  if (record.kind === Kind.SELF_HANDLE) return `#/self?edit=${record.id}`;
  if (record.kind === Kind.VERIFY) return `#/verify/${record.payload.caseId}?edit=${record.id}`;
  if (record.kind === Kind.VISIT) return `#/visit/${targetKey(record.payload)}?edit=${record.id}`;
  if (record.kind === Kind.ANALYSIS) return `#/weekly/${record.payload.analysisId}`;
  return null;
}

function outboxCard(record, all) {
  const kinds = KIND_LABELS();
  const states = STATE_LABELS();
  const now = Date.now();
  const lines = record.state === State.FAILED ? errorLines(record.error, fieldLabels()) : [];
  const blocked =
    record.state === State.WAITING && (record.dependsOn || []).some((id) => all.some((other) => other.id === id && other.state !== State.SENT));
  const result = record.result || {};
  const href = editHref(record);
  return h(
    "li",
    { class: `card outbox-item state-${record.state}`, "data-testid": "outbox-item", "data-state": record.state, "data-id": record.id, "data-attempts": record.attempts },
    h("div", { class: "row" }, h("span", { class: "row-main" }, h("strong", {}, record.title || kinds[record.kind]), h("span", { class: "muted" }, `${kinds[record.kind]} · ${formatTime(record.createdAt)}`)), h("span", { class: `pill state ${record.state}` }, states[record.state])),
    record.owner && record.owner !== currentUser ? h("p", { class: "muted" }, t("Saved by %(user)s: sent when they log in.", { user: record.owner })) : null,
    record.photos && record.photos.length ? h("p", { class: "muted" }, t("%(count)s photos", { count: record.photos.length })) : null,
    blocked ? h("p", { class: "muted" }, t("Sent after its findings.")) : null,
    record.state === State.WAITING && record.attempts
      ? h("p", { class: "muted" }, t("Tried %(count)s times; next try %(time)s.", { count: record.attempts, time: formatTime(Math.max(now, record.nextAttemptAt)) }))
      : null,
    lines.length ? h("ul", { class: "error", "data-testid": "outbox-error" }, lines.map((line) => h("li", {}, line))) : null,
    record.state === State.SENT && result.number
      ? h("p", { "data-testid": "outbox-case" }, `${t("Case number")}: `, result.id ? h("a", { href: `#/case/${result.id}` }, result.number) : result.number)
      : null,
    h(
      "div",
      { class: "buttons" },
      record.state === State.WAITING || record.state === State.FAILED
        ? h("button", { type: "button", class: "btn small", "data-testid": "outbox-retry", onclick: () => retry(record) }, t("Try again now"))
        : null,
      isEditable(record) && href ? h("a", { class: "btn small", href, "data-testid": "outbox-edit" }, t("Edit")) : null,
      isDiscardable(record) ? h("button", { type: "button", class: "btn small danger", onclick: () => discard(record) }, t("Discard")) : null,
    ),
  );
}

async function retry(record) {
  const fresh = await outboxStore.get(record.id);
  if (fresh) await outboxStore.put(retryNow(fresh, Date.now()));
  schedule();
  render();
}

async function discard(record) {
  if (!confirm(t("Discard this record? It has not reached the server and cannot be recovered."))) return;
  await outboxStore.delete(record.id);
  refreshBadge();
  render();
}

async function outboxScreen(c) {
  c.setTitle(t("Outbox"));
  const now = Date.now();
  let records = await outboxStore.all();
  for (const record of records.filter((r) => prunable(r, now))) await outboxStore.delete(record.id);
  records = records.filter((r) => !prunable(r, now)).sort((a, b) => b.createdAt - a.createdAt);
  const tally = counts(records);
  mount(
    c.view,
    h(
      "div",
      { class: "card summary", "data-testid": "outbox-summary" },
      h("span", {}, t("Waiting: %(count)s", { count: tally.waiting + tally.sending })),
      h("span", {}, t("Refused: %(count)s", { count: tally.failed })),
      h("span", {}, t("Sent: %(count)s", { count: tally.sent })),
      h("button", { type: "button", class: "btn small primary", "data-testid": "sync-now", onclick: () => schedule() }, t("Send now")),
    ),
    navigator.onLine === false ? h("p", { class: "notice" }, t("No signal: records are kept on this phone and sent when the network returns.")) : null,
    records.length
      ? h("ul", { class: "outbox", "data-testid": "outbox-list" }, records.map((record) => outboxCard(record, records)))
      : h("p", { class: "muted" }, t("The outbox is empty.")),
  );
}

// --- boot ----------------------------------------------------------------------------------

async function boot() {
  refreshNet();
  window.addEventListener("online", () => {
    refreshNet();
    schedule();
    keepVerifyPack();
  });
  window.addEventListener("offline", refreshNet);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") schedule();
  });
  const auth = await api.load();
  currentUser = auth ? auth.username : null;
  if (auth) {
    const me = await kv.get("cache:me");
    if (me && me.data) currentUser = me.data.username;
  }
  await sync.recover();
  resumePatrol(ctx);
  if ("serviceWorker" in navigator && config.sw) {
    navigator.serviceWorker.register(config.sw, { scope: config.shell, type: "module" }).catch((error) => console.warn("service worker", error));
  }
  // Only now: a hash changed while the saved sign-in was still being read would otherwise
  // render without it and send a signed-in worker to the login screen.
  window.addEventListener("hashchange", render);
  await render();
  schedule();
  prefetch();
}

boot();

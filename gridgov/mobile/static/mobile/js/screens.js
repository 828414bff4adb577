// Verify, patrol and "my cases" screens of the phone app.

import { capTrack, shouldSample, trackDistance } from "./geo.js";
import { Kind, State, edit as editRecord } from "./outbox.js";
import { photoInput } from "./report.js";
import { Offline } from "./api.js";
import { kv, outboxStore } from "./store.js";
import { formatTime, h, mount, t, toast } from "./ui.js";
import { PACK_KEY, packRows, refreshPack, verifyModel } from "./verifypack.js";

function offline() {
  return h("p", { class: "muted" }, t("Not available without signal."));
}

function photosOf(c, list) {
  const box = h("div", { class: "photos" });
  (async () => {
    for (const photo of list) {
      try {
        const url = await c.api.blobUrl(photo.thumbnail_url || photo.url);
        c.onCleanup(() => URL.revokeObjectURL(url));
        box.append(h("figure", { class: "thumb" }, h("img", { src: url, alt: photo.kind })));
      } catch (error) {
        box.append(h("figure", { class: "thumb missing" }, t("No signal")));
      }
    }
  })();
  return box;
}

function caseHead(item) {
  return h(
    "div",
    { class: "card" },
    h("div", { class: "row" }, h("span", { class: "row-main" }, h("strong", { "data-testid": "case-number" }, item.number), h("span", { class: "muted" }, item.category.name)), h("span", { class: `pill status-${item.status}`, "data-testid": "case-status" }, item.status_label)),
    h("p", {}, item.description),
    item.address ? h("p", { class: "muted" }, item.address) : null,
    item.grid ? h("p", { class: "muted" }, t("Grid: %(name)s", { name: item.grid.name })) : null,
  );
}

// --- verify ------------------------------------------------------------------------------

export async function verifyListScreen(c) {
  c.setTitle(t("To verify"));
  let read = null;
  try {
    read = await refreshPack(c.api, { budget: c.config.verifyPhotoBytes, force: true });
  } catch (error) {
    if (!(error instanceof Offline)) throw error;
  }
  const rows = read ? packRows(read.data.items, await outboxStore.all()) : [];
  mount(
    c.view,
    read && read.offline ? h("p", { class: "notice", "data-testid": "verify-offline" }, t("No signal: the copy kept at %(time)s.", { time: formatTime(read.at) })) : null,
    read
      ? rows.length
        ? h(
            "ul",
            { class: "list card", "data-testid": "verify-list" },
            rows.map(({ item, pending, failed }) =>
              h("li", {}, h("a", { href: `#/verify/${item.id}`, class: "row" }, h("span", { class: "row-main" }, h("strong", {}, `${item.number} · ${item.category.name}`), h("span", { class: "muted" }, item.description)), failed ? h("span", { class: "pill failed" }, t("Needs your attention")) : pending ? h("span", { class: "pill" }, t("In the outbox")) : null)),
            ),
          )
        : h("p", { class: "muted card" }, t("Nothing to verify."))
      : offline(),
    read && read.data.truncated ? h("p", { class: "muted" }, t("%(count)s more after these are done.", { count: read.data.count - read.data.items.length })) : null,
  );
}

// The case to verify: the server's full case with signal; without, the fresher of the case
// opened before and the to-verify pack's copy.
async function caseToVerify(c, id) {
  let detail = null;
  try {
    detail = await c.api.read(`${c.config.api}/cases/${encodeURIComponent(id)}`, { cacheKey: `case:${id}` });
  } catch (error) {
    if (!(error instanceof Offline)) throw error;
  }
  if (detail && !detail.offline) return detail.data;
  const pack = await kv.get(`cache:${PACK_KEY}`);
  const packed = pack ? pack.data.items.find((entry) => String(entry.id) === String(id)) : null;
  if (packed && (!detail || pack.at >= detail.at)) return packed;
  return detail ? detail.data : null;
}

export async function verifyScreen(c, route) {
  c.setTitle(t("Verify"));
  const editing = route.params.get("edit") ? await outboxStore.get(route.params.get("edit")) : null;
  const found = await caseToVerify(c, route.id);
  if (!found) return mount(c.view, offline());
  const { item, result, photos: resultPhotos, photoRequired } = verifyModel(found);
  const photos = editing ? editing.photos.map((p) => ({ ...p, url: URL.createObjectURL(p.blob) })) : [];
  let passed = editing ? Boolean(editing.payload.passed) : null;
  const comment = h("textarea", { id: "m-comment", rows: 3, "data-testid": "verify-comment", maxlength: 2000 });
  comment.value = editing ? editing.payload.comment || "" : "";
  const errors = h("ul", { class: "error", hidden: true, "data-testid": "form-errors" });
  const passButton = h("button", { type: "button", class: "btn big choice", "data-testid": "verify-pass", onclick: () => choose(true) }, t("Passed"));
  const failButton = h("button", { type: "button", class: "btn big choice", "data-testid": "verify-fail", onclick: () => choose(false) }, t("Not solved"));
  function choose(value) {
    passed = value;
    passButton.classList.toggle("chosen", value === true);
    failButton.classList.toggle("chosen", value === false);
  }
  if (passed !== null) choose(passed);

  async function save(event) {
    event.preventDefault();
    const problems = [];
    if (passed === null) problems.push(t("Choose passed or not solved."));
    if (passed === false && !comment.value.trim()) problems.push(t("Say what is still wrong."));
    if (photoRequired && !photos.length) problems.push(t("This category needs a photo taken on site."));
    if (problems.length) {
      mount(errors, problems.map((p) => h("li", {}, p)));
      errors.hidden = false;
      return;
    }
    const payload = { caseId: item.id, passed, comment: comment.value.trim(), version: item.version };
    const kept = photos.map((p) => ({ blob: p.blob, name: p.name, kind: "verify" }));
    const title = `${item.number} · ${passed ? t("Passed") : t("Not solved")}`;
    if (editing) {
      await outboxStore.put({ ...editRecord(editing, payload, Date.now(), kept), title });
      c.schedule();
    } else {
      await c.enqueue({ kind: Kind.VERIFY, payload, photos: kept, title, meta: { number: item.number } });
    }
    toast(t("Saved on the phone: it is sent as soon as there is signal."));
    c.go("#/outbox");
  }

  mount(
    c.view,
    caseHead(item),
    h(
      "section",
      { class: "card", "data-testid": "department-result" },
      h("h2", {}, t("The department's result")),
      result
        ? [
            h("p", {}, result.text || t("No text.")),
            h("p", { class: "muted" }, `${result.actor ? result.actor.name : ""} · ${formatTime(result.at)}`),
          ]
        : h("p", { class: "muted" }, t("No result reported.")),
      resultPhotos.length ? photosOf(c, resultPhotos) : null,
    ),
    item.status !== "awaiting_verification" && !editing
      ? h("p", { class: "notice" }, t("This case is not awaiting verification."))
      : h(
          "form",
          { class: "form", onsubmit: save, novalidate: true, "data-testid": "verify-form" },
          photoInput(c, { list: photos, kind: "verify", label: photoRequired ? t("Photo on site (this category needs one)") : t("Photo on site"), testid: "photo-verify" }),
          h("div", { class: "choices" }, passButton, failButton),
          h("div", { class: "field" }, h("label", { for: "m-comment" }, t("Comment")), comment),
          errors,
          h("button", { type: "submit", class: "btn primary big", "data-testid": "verify-submit" }, t("Save and send")),
        ),
  );
}

// --- patrol ------------------------------------------------------------------------------

let watchId = null;

function startWatch(c) {
  if (watchId !== null || !navigator.geolocation) return;
  watchId = navigator.geolocation.watchPosition(
    async (pos) => {
      const patrol = await kv.get("patrol");
      if (!patrol) return stopWatch();
      const point = { t: Date.now(), lat: pos.coords.latitude, lng: pos.coords.longitude, accuracy: Math.round(pos.coords.accuracy) };
      const last = patrol.track[patrol.track.length - 1];
      if (!shouldSample(last ? { ...last, t: Date.parse(last.t) } : null, point)) return;
      patrol.track = capTrack([...patrol.track, { ...point, t: new Date(point.t).toISOString() }], c.config.patrolMaxPoints);
      await kv.set("patrol", patrol);
      document.dispatchEvent(new CustomEvent("patrol-sample"));
    },
    () => {},
    { enableHighAccuracy: true, maximumAge: 10000 },
  );
}

function stopWatch() {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
}

// On app start: a patrol still running goes on sampling.
export async function resumePatrol(c) {
  if (await kv.get("patrol")) startWatch(c);
}

export async function patrolScreen(c) {
  c.setTitle(t("My patrol"));
  const patrol = await kv.get("patrol");
  if (!patrol) {
    const consent = h("input", { type: "checkbox", id: "m-consent", "data-testid": "patrol-consent" });
    const error = h("p", { class: "error", hidden: true });
    mount(
      c.view,
      h(
        "section",
        { class: "card", "data-testid": "patrol-consent-text" },
        h("h2", {}, t("Before you start")),
        h("p", {}, t("While the patrol runs, this phone records your position about every 30 seconds or 50 metres, only while the app is open, and sends the route with the patrol when you stop. Nothing is recorded outside a patrol.")),
        h("label", { class: "check" }, consent, " ", t("I agree that my route is recorded during this patrol.")),
        error,
        h(
          "button",
          {
            type: "button",
            class: "btn primary big",
            "data-testid": "patrol-start",
            onclick: async () => {
              if (!consent.checked) {
                error.textContent = t("Tick the box to agree first.");
                error.hidden = false;
                return;
              }
              await kv.set("patrol", { id: c.uuid(), started_at: new Date().toISOString(), consent: true, consent_at: new Date().toISOString(), track: [], findings: [] });
              startWatch(c);
              c.go("#/patrol");
            },
          },
          t("Start patrol"),
        ),
      ),
    );
    return;
  }
  const stats = h("p", { "data-testid": "patrol-stats" });
  function drawStats(current) {
    stats.dataset.points = String(current.track.length);
    mount(stats, t("Since %(time)s · %(points)s points · %(metres)s m · %(findings)s findings", {
      time: formatTime(current.started_at),
      points: current.track.length,
      metres: trackDistance(current.track),
      findings: current.findings.length,
    }));
  }
  drawStats(patrol);
  const onSample = async () => drawStats((await kv.get("patrol")) || patrol);
  document.addEventListener("patrol-sample", onSample);
  c.onCleanup(() => document.removeEventListener("patrol-sample", onSample));
  mount(
    c.view,
    h(
      "section",
      { class: "card", "data-testid": "patrol-running" },
      h("h2", {}, t("Patrol running")),
      stats,
      h("p", { class: "muted" }, t("Your route is being recorded.")),
      h("a", { href: "#/report?patrol=1", class: "btn big", "data-testid": "patrol-finding" }, t("Report a finding")),
      h(
        "button",
        {
          type: "button",
          class: "btn primary big",
          "data-testid": "patrol-stop",
          onclick: async () => {
            const current = (await kv.get("patrol")) || patrol;
            stopWatch();
            const track = capTrack(current.track, c.config.patrolMaxPoints);
            const payload = {
              started_at: current.started_at,
              consent_at: current.consent_at || current.started_at,
              ended_at: new Date().toISOString(),
              consent: true,
              track,
              findings: current.findings,
              distance_m: trackDistance(track),
            };
            await c.enqueue({ id: current.id, kind: Kind.PATROL, payload, dependsOn: current.findings, title: t("Patrol of %(time)s", { time: formatTime(current.started_at) }) });
            await kv.delete("patrol");
            toast(t("Patrol saved: it is sent as soon as there is signal."));
            c.go("#/outbox");
          },
        },
        t("Stop patrol"),
      ),
    ),
  );
}

// --- my cases ----------------------------------------------------------------------------

export async function casesScreen(c) {
  c.setTitle(t("My cases"));
  const data = await c.cached("queue:mine", `${c.config.api}/cases?queue=mine&limit=50`);
  const unsent = (await outboxStore.all()).filter((r) => (r.kind === Kind.REPORT || r.kind === Kind.SELF_HANDLE) && r.state !== State.SENT);
  mount(
    c.view,
    unsent.length
      ? h("a", { href: "#/outbox", class: "card banner" }, t("%(count)s reports not sent yet", { count: unsent.length }))
      : null,
    data
      ? data.items.length
        ? h(
            "ul",
            { class: "list card", "data-testid": "mine-list" },
            data.items.map((item) =>
              h("li", {}, h("a", { href: `#/case/${item.id}`, class: "row" }, h("span", { class: "row-main" }, h("strong", {}, `${item.number} · ${item.category.name}`), h("span", { class: "muted" }, `${formatTime(item.reported_at)} · ${item.description}`)), h("span", { class: `pill light-${item.light}` }, item.status_label))),
            ),
          )
        : h("p", { class: "muted card" }, t("You have not reported any case yet."))
      : offline(),
  );
}

export async function caseScreen(c, route) {
  c.setTitle(t("Case"));
  const item = await c.cached(`case:${route.id}`, `${c.config.api}/cases/${encodeURIComponent(route.id)}`);
  if (!item) return mount(c.view, offline());
  mount(
    c.view,
    caseHead(item),
    item.attachments.length ? h("section", { class: "card" }, h("h2", {}, t("Photos")), photosOf(c, item.attachments)) : null,
    h(
      "section",
      { class: "card" },
      h("h2", {}, t("Timeline")),
      h(
        "ol",
        { class: "timeline", "data-testid": "timeline" },
        item.history.map((event) =>
          h(
            "li",
            {},
            h("strong", {}, event.action_label),
            h("span", { class: "muted" }, ` ${formatTime(event.at)}${event.actor ? ` · ${event.actor.name}` : ""}`),
            event.data && event.data.result ? h("p", {}, event.data.result) : null,
            event.comment ? h("p", {}, event.comment) : null,
          ),
        ),
      ),
    ),
    item.status === "awaiting_verification" && item.actions.some((a) => a.code === "verify_pass")
      ? h("a", { href: `#/verify/${item.id}`, class: "btn primary big" }, t("Verify"))
      : null,
  );
}

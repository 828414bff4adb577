// Daily visits (日走访) on the phone: "today's visits" (the care-tagged households, and the
// units and key places with a visit plan, of the worker's grids whose visit is due or overdue,
// kept for use without signal), "all places" under it (every household and unit of the
// worker's grids, planned or not, at most 2,000, kept likewise and searched on the phone) and
// the visit form. A visit is an outbox record of kind "visit" like any report: kept on the phone first,
// sent by the sync loop with its client UUID as Idempotency-Key, never twice. A finding can
// become a case in one tap: the visit is saved with the client UUID the report will use, and
// the report form opens with the notes; the server links the two when both have arrived.

import { Kind, edit as editRecord, visitLabel } from "./outbox.js";
import { photoInput } from "./report.js";
import { outboxStore } from "./store.js";
import { formatTime, h, mount, t, toast } from "./ui.js";

export const DUE_KEY = "visits:due";
export const PLACES_KEY = "visits:places";
// The most matches the "all places" list shows at once (type to narrow it).
const PLACES_SHOWN = 50;

export function dueUrl(config) {
  return `${config.api}/visits/due`;
}

export function placesUrl(config) {
  return `${config.api}/visits/places`;
}

// The places whose name, address, grid or tags contain every word of `query`.
export function searchPlaces(items, query) {
  const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return items;
  return items.filter((item) => {
    const text = [item.name, item.address, item.grid && item.grid.name, item.grid && item.grid.code, ...(item.tag_labels || [])].join(" ").toLowerCase();
    return words.every((word) => text.includes(word));
  });
}

const FINDINGS = () => [
  ["nothing", t("Nothing to report")],
  ["need", t("A need")],
  ["dispute", t("A dispute")],
  ["hazard", t("A hazard")],
];

// A visit's target in the route and the outbox: "12" a household, "u12" a unit.
export function targetKey(target) {
  return target.unit_id ? `u${target.unit_id}` : `${target.household_id}`;
}

// Targets whose visit waits in the outbox are marked, not hidden: the list is the server's.
function pendingTargets(records) {
  return new Set(records.filter((r) => r.kind === Kind.VISIT && r.state !== "sent").map((r) => targetKey(r.payload)));
}

function itemTitle(item) {
  return item.kind === "unit" ? item.name : item.address;
}

function itemDetail(item) {
  return [item.head_name, item.tag_labels.join("、")].filter(Boolean).join(" · ");
}

function placeRow(item, pending) {
  return h(
    "li",
    {},
    h(
      "a",
      { href: `#/visit/${targetKey(item)}`, class: "row", "data-testid": "visit-place", "data-target": targetKey(item) },
      h("span", { class: "row-main" }, h("strong", {}, itemTitle(item)), h("span", { class: "muted" }, [item.kind === "unit" ? item.address : "", itemDetail(item), item.last_visit ? t("Last visit %(time)s", { time: formatTime(item.last_visit) }) : t("Never visited")].filter(Boolean).join(" · "))),
      pending.has(targetKey(item)) ? h("span", { class: "pill", "data-testid": "visit-place-pending" }, t("In the outbox")) : null,
    ),
  );
}

// "All places": a visit to a household or unit that is not due (or has no plan at all).
function placesSection(data, pending) {
  if (!data) return h("section", { class: "card" }, h("h2", {}, t("All places")), h("p", { class: "muted" }, t("Not available without signal.")));
  const list = h("ul", { class: "list", "data-testid": "visit-places" });
  const more = h("p", { class: "muted small", "data-testid": "visit-places-more" });
  const search = h("input", { type: "search", id: "m-places-search", placeholder: t("Search by name, address or tag"), "data-testid": "visit-places-search", autocomplete: "off" });
  function show() {
    const found = searchPlaces(data.items, search.value);
    mount(list, found.slice(0, PLACES_SHOWN).map((item) => placeRow(item, pending)));
    const lines = [];
    if (found.length > PLACES_SHOWN) lines.push(t("%(shown)s of %(count)s shown: type to narrow the list.", { shown: PLACES_SHOWN, count: found.length }));
    if (!found.length) lines.push(t("No place matches."));
    if (data.truncated) lines.push(t("The phone keeps %(kept)s of your %(count)s places: find the others on the web.", { kept: data.items.length, count: data.count }));
    mount(more, lines.join(" "));
  }
  search.addEventListener("input", show);
  show();
  return h(
    "section",
    { class: "card" },
    h("h2", {}, t("All places")),
    h("p", { class: "muted small" }, t("Record a visit to any household or unit of your grids, due or not.")),
    h("div", { class: "field" }, h("label", { for: "m-places-search" }, t("Search")), search),
    list,
    more,
  );
}

export async function visitsScreen(c) {
  c.setTitle(t("Today's visits"));
  const data = await c.cached(DUE_KEY, dueUrl(c.config));
  const places = await c.cached(PLACES_KEY, placesUrl(c.config));
  const pending = pendingTargets(await outboxStore.all());
  mount(
    c.view,
    data
      ? data.items.length
        ? h(
            "ul",
            { class: "list card", "data-testid": "visit-due-list" },
            data.items.map((item) =>
              h(
                "li",
                {},
                h(
                  "a",
                  { href: `#/visit/${targetKey(item)}`, class: "row", "data-testid": "visit-due", "data-target": targetKey(item), "data-household": item.household_id ?? "" },
                  h("span", { class: "row-main" }, h("strong", {}, itemTitle(item)), h("span", { class: "muted" }, itemDetail(item))),
                  pending.has(targetKey(item))
                    ? h("span", { class: "pill", "data-testid": "visit-pending" }, t("In the outbox"))
                    : h("span", { class: `pill ${item.overdue_days > 0 ? "status-overdue" : ""}` }, item.overdue_days > 0 ? t("%(days)s days overdue", { days: item.overdue_days }) : t("Due today")),
                ),
              ),
            ),
          )
        : h("p", { class: "card muted", "data-testid": "visit-none" }, t("No visit is due today."))
      : h("p", { class: "muted" }, t("Not available without signal.")),
    placesSection(places, pending),
  );
}

function position(draft, text) {
  if (!navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(
    (fix) => {
      draft.lat = fix.coords.latitude;
      draft.lng = fix.coords.longitude;
      draft.accuracy = fix.coords.accuracy;
      mount(text, t("Position ±%(metres)s m", { metres: Math.round(fix.coords.accuracy) }));
      text.dataset.ready = "1";
    },
    () => mount(text, t("No position: the visit is saved without it.")),
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
  );
}

export async function visitScreen(c, route) {
  c.setTitle(t("Visit"));
  const editing = route.params.get("edit") ? await outboxStore.get(route.params.get("edit")) : null;
  const isUnit = String(route.id).startsWith("u");
  const targetId = Number(isUnit ? String(route.id).slice(1) : route.id);
  const key = isUnit ? `u${targetId}` : `${targetId}`;
  const due = await c.cached(DUE_KEY, dueUrl(c.config));
  let item = due ? due.items.find((i) => targetKey(i) === key) : null;
  if (!item) {
    const places = await c.cached(PLACES_KEY, placesUrl(c.config));
    item = places ? places.items.find((i) => targetKey(i) === key) || null : null;
  }
  const payload = editing ? editing.payload : {};
  const draft = { lat: payload.lat ?? null, lng: payload.lng ?? null, accuracy: payload.accuracy ?? null };
  const photos = editing ? (editing.photos || []).map((p) => ({ ...p, url: URL.createObjectURL(p.blob) })) : [];
  const finding = h("select", { id: "m-finding", "data-testid": "visit-finding" }, FINDINGS().map(([value, label]) => h("option", { value }, label)));
  finding.value = payload.finding || "nothing";
  const notes = h("textarea", { id: "m-notes", rows: 3, maxlength: 2000, "data-testid": "visit-notes" });
  notes.value = payload.notes || "";
  const where = h("p", { class: "muted", "data-testid": "visit-position" }, t("Finding your position…"));
  const caseButton = h("button", { type: "button", class: "btn big", "data-testid": "visit-to-case", hidden: finding.value === "nothing" }, t("Save and report as a case"));
  finding.addEventListener("change", () => {
    caseButton.hidden = finding.value === "nothing";
  });

  async function save(asCase) {
    const body = {
      ...(isUnit ? { unit_id: targetId } : { household_id: targetId }),
      visited_at: payload.visited_at || new Date().toISOString(),
      finding: finding.value,
      notes: notes.value.trim(),
      lat: draft.lat,
      lng: draft.lng,
      accuracy: draft.accuracy,
      case_client_id: payload.case_client_id || "",
    };
    if (asCase && !body.case_client_id) body.case_client_id = c.uuid();
    if (body.finding === "nothing") body.case_client_id = "";
    const label = visitLabel(item, editing, targetId);
    const title = t("Visit: %(address)s", { address: label });
    const kept = photos.map((p) => ({ blob: p.blob, name: p.name, kind: "" }));
    if (editing) {
      await outboxStore.put({ ...editRecord(editing, body, Date.now(), kept), title, meta: { ...(editing.meta || {}), label } });
      c.schedule();
    } else {
      await c.enqueue({ kind: Kind.VISIT, payload: body, photos: kept, title, meta: { label } });
    }
    toast(t("Saved on the phone: it is sent as soon as there is signal."));
    if (asCase) {
      const params = new URLSearchParams({ visit: body.case_client_id, description: body.notes });
      c.go(`#/report?${params.toString()}`);
    } else {
      c.go("#/visits");
    }
  }

  mount(
    c.view,
    h(
      "form",
      { class: "form", novalidate: true, "data-testid": "visit-form", onsubmit: (event) => { event.preventDefault(); save(false); } },
      editing && editing.error ? h("p", { class: "notice" }, t("The server refused this record: correct it and save again.")) : null,
      item
        ? h("div", { class: "card" }, h("strong", {}, itemTitle(item)), h("p", { class: "muted" }, [...(item.kind === "unit" ? [item.tag_labels.join("、"), item.address] : []), item.head_name, item.last_visit ? t("Last visit %(time)s", { time: formatTime(item.last_visit) }) : t("Never visited")].filter(Boolean).join(" · ")))
        : null,
      h("div", { class: "field" }, h("label", { for: "m-finding" }, t("What was found")), finding),
      h("div", { class: "field" }, h("label", { for: "m-notes" }, t("Notes")), notes),
      photoInput(c, { list: photos, kind: "", label: t("Take a photo"), testid: "visit-photo" }),
      where,
      h("button", { type: "submit", class: "btn primary big", "data-testid": "visit-save" }, t("Save the visit")),
      caseButton,
    ),
  );
  caseButton.addEventListener("click", () => save(true));
  position(draft, where);
}

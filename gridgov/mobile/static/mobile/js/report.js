// Report a case, or record a self-handled one: category (recent and frequent first, pinyin
// initials search), description, photos from the camera (shrunk on the phone), the GPS
// position with its accuracy on a small map of the grid, the grid's name, possible
// duplicates. Saving writes an outbox record; the sync loop sends it.

import { orderCategories, recordUse, searchCategories } from "./categories.js";
import { locateLocal } from "./geo.js";
import { downscale } from "./image.js";
import { loadLeaflet, PointPicker } from "./map.js";
import { Kind, edit as editRecord } from "./outbox.js";
import { kv, outboxStore } from "./store.js";
import { h, mount, t, toast } from "./ui.js";

export const MAX_PHOTOS = 9;

function photoStrip(list, { onRemove, testid }) {
  return h(
    "div",
    { class: "photos", "data-testid": testid },
    list.map((photo, index) =>
      h(
        "figure",
        { class: "thumb" },
        h("img", { src: photo.url, alt: t("Photo %(n)s", { n: index + 1 }) }),
        h("button", { type: "button", class: "remove", "aria-label": t("Remove photo"), onclick: () => onRemove(index) }, "×"),
      ),
    ),
  );
}

// A photo input (the camera on a phone) that shrinks each picture and keeps it in `list`.
export function photoInput(c, { list, kind, label, testid, onChange }) {
  const strip = h("div");
  const input = h("input", {
    type: "file",
    accept: "image/*",
    capture: "environment",
    multiple: true,
    class: "file",
    "data-testid": testid,
    onchange: async () => {
      for (const file of [...input.files]) {
        if (list.length >= MAX_PHOTOS) break;
        try {
          const small = await downscale(file);
          list.push({ blob: small.blob, name: small.name, kind, url: URL.createObjectURL(small.blob) });
        } catch (error) {
          toast(t("This photo could not be read."));
        }
      }
      input.value = "";
      draw();
      onChange && onChange();
    },
  });
  function draw() {
    mount(strip, photoStrip(list, { testid: `${testid}-list`, onRemove: (index) => { URL.revokeObjectURL(list[index].url); list.splice(index, 1); draw(); } }));
  }
  c.onCleanup(() => list.forEach((photo) => photo.url && URL.revokeObjectURL(photo.url)));
  draw();
  return h("div", { class: "field" }, h("label", { class: "btn photo-btn" }, label, input), strip);
}

function categoryPicker(categories, usage, { onPick }) {
  const results = h("div", { class: "picker-results" });
  const search = h("input", {
    type: "search",
    placeholder: t("Search: name or pinyin initials"),
    "data-testid": "category-search",
    oninput: () => draw(),
  });
  function option(category) {
    return h(
      "li",
      {},
      h("button", { type: "button", class: "option", "data-code": category.code, onclick: () => onPick(category) }, h("strong", {}, category.name), h("span", { class: "muted" }, category.major_name)),
    );
  }
  function draw() {
    const query = search.value.trim();
    if (query) {
      const found = searchCategories(categories, query, usage);
      mount(results, found.length ? h("ul", { class: "list" }, found.map(option)) : h("p", { class: "muted" }, t("No category matches.")));
      return;
    }
    const { recent, frequent, rest } = orderCategories(categories, usage);
    mount(
      results,
      recent.length ? [h("h3", {}, t("Recent")), h("ul", { class: "list" }, recent.map(option))] : null,
      frequent.length ? [h("h3", {}, t("Frequent")), h("ul", { class: "list" }, frequent.map(option))] : null,
      h("h3", {}, t("All categories")),
      h("ul", { class: "list" }, rest.map(option)),
    );
  }
  draw();
  return { element: h("div", { class: "picker", "data-testid": "category-picker" }, search, results), focus: () => search.focus() };
}

function positionText(draft) {
  if (draft.lat === null) return t("No position yet.");
  const where = `${draft.lat.toFixed(5)}, ${draft.lng.toFixed(5)}`;
  if (draft.manual) return t("%(where)s, set on the map", { where });
  return t("%(where)s, accuracy ±%(metres)s m", { where, metres: Math.round(draft.accuracy || 0) });
}

export async function reportScreen(c, route, { selfHandle }) {
  c.setTitle(selfHandle ? t("Self-handle") : t("Report a case"));
  const editing = route.params.get("edit") ? await outboxStore.get(route.params.get("edit")) : null;
  const patrol = await kv.get("patrol");
  const fromPatrol = !selfHandle && !editing && route.params.get("patrol") === "1" && patrol;
  // A visit's finding reported in one tap: the report's id is the one the visit named.
  const fromVisit = !selfHandle && !editing ? route.params.get("visit") : null;
  const all = (await c.categories()) || [];
  const categories = selfHandle ? all.filter((cat) => cat.self_handle_allowed) : all;
  const usage = (await kv.get("usage")) || {};
  const gridData = await c.grids();
  const grids = gridData ? gridData.features.filter((f) => f.geometry) : [];

  const payload = editing ? editing.payload : {};
  const draft = {
    category: categories.find((cat) => cat.code === payload.category) || null,
    lat: payload.lat ?? null,
    lng: payload.lng ?? null,
    accuracy: editing && editing.meta ? editing.meta.accuracy ?? null : null,
    manual: Boolean(editing && editing.meta && editing.meta.manual),
  };
  const photos = editing ? editing.photos.filter((p) => p.kind !== "after").map((p) => ({ ...p, url: URL.createObjectURL(p.blob) })) : [];
  if (fromVisit) {
    // The case carries the visit's photos: copied from the visit's outbox record.
    const visit = (await outboxStore.all()).find((r) => r.kind === Kind.VISIT && r.payload.case_client_id === fromVisit);
    for (const p of (visit && visit.photos) || []) photos.push({ blob: p.blob, name: p.name, kind: "report", url: URL.createObjectURL(p.blob) });
  }
  const after = editing ? editing.photos.filter((p) => p.kind === "after").map((p) => ({ ...p, url: URL.createObjectURL(p.blob) })) : [];

  const categoryButton = h("button", { type: "button", class: "select", "data-testid": "category-button" });
  const description = h("textarea", { id: "m-description", rows: 3, required: true, "data-testid": "description", maxlength: 2000 });
  description.value = payload.description || (fromVisit ? route.params.get("description") || "" : "");
  const address = h("input", { id: "m-address", "data-testid": "address", maxlength: 200 });
  address.value = payload.address || "";
  const position = h("p", { class: "muted", "data-testid": "position" });
  const gridName = h("p", { class: "grid-name", "data-testid": "grid-name" });
  const duplicates = h("div", { "data-testid": "duplicates" });
  const errors = h("ul", { class: "error", "data-testid": "form-errors", hidden: true });
  const mapEl = h("div", { class: "map", "data-testid": "map" });
  let picker = null;
  let pickerOpen = null;

  function drawCategory() {
    mount(categoryButton, draft.category ? draft.category.name : t("Choose a category"));
    categoryButton.classList.toggle("empty", !draft.category);
  }

  async function showGrid() {
    if (draft.lat === null) return mount(gridName, "");
    let name = "";
    if (navigator.onLine !== false) {
      try {
        const found = await c.api.read(`${c.config.api}/areas/locate?lat=${draft.lat}&lng=${draft.lng}`, { keep: false });
        name = found.data.grid.name;
      } catch (error) {
        if (error.status === 404) name = "";
        else name = null;
      }
    } else name = null;
    if (name === null) {
      const local = locateLocal(grids, draft.lat, draft.lng);
      name = local ? local.properties.name : "";
    }
    mount(gridName, name ? t("Grid: %(name)s", { name }) : t("Outside every grid: check the position."));
  }

  async function showDuplicates() {
    if (selfHandle || !draft.category || draft.lat === null || navigator.onLine === false) return mount(duplicates, "");
    try {
      const found = await c.api.read(
        `${c.config.api}/cases/duplicates?category=${encodeURIComponent(draft.category.code)}&lat=${draft.lat}&lng=${draft.lng}`,
        { keep: false },
      );
      if (!found.data.length) return mount(duplicates, "");
      mount(
        duplicates,
        h(
          "div",
          { class: "card notice" },
          h("h3", {}, t("Possible duplicates nearby")),
          h("p", { class: "muted" }, t("If one of these is the same problem, you need not report it again.")),
          h(
            "ul",
            { class: "list" },
            found.data.map((item) =>
              h("li", {}, h("a", { href: `#/case/${item.id}`, class: "row" }, h("span", { class: "row-main" }, h("strong", {}, item.number), h("span", { class: "muted" }, item.description)), h("span", { class: "pill" }, t("%(metres)s m", { metres: item.distance_m })))),
            ),
          ),
        ),
      );
    } catch (error) {
      mount(duplicates, "");
    }
  }

  function moved(lat, lng, manual, accuracy = null) {
    draft.lat = lat;
    draft.lng = lng;
    draft.manual = manual;
    if (!manual) draft.accuracy = accuracy;
    mount(position, positionText(draft));
    position.dataset.ready = "1";
    showGrid();
    showDuplicates();
  }

  function locate() {
    if (!navigator.geolocation) return mount(position, t("This phone gives no position: tap the map."));
    mount(position, t("Finding your position…"));
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        moved(pos.coords.latitude, pos.coords.longitude, false, pos.coords.accuracy);
        if (picker) picker.place(draft.lat, draft.lng, draft.accuracy, { fit: true });
      },
      () => mount(position, t("No position from GPS: tap the map where the problem is.")),
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 },
    );
  }

  function openPicker() {
    const overlay = h("div", { class: "overlay", role: "dialog", "aria-label": t("Choose a category") });
    const chosen = categoryPicker(categories, usage, {
      onPick: (category) => {
        draft.category = category;
        drawCategory();
        overlay.remove();
        pickerOpen = null;
        showDuplicates();
      },
    });
    mount(overlay, h("div", { class: "overlay-head" }, h("strong", {}, t("Choose a category")), h("button", { type: "button", class: "link", onclick: () => overlay.remove() }, t("Close the list"))), chosen.element);
    document.body.append(overlay);
    pickerOpen = overlay;
    chosen.focus();
  }
  categoryButton.addEventListener("click", openPicker);
  c.onCleanup(() => pickerOpen && pickerOpen.remove());

  const saveButton = h("button", { type: "submit", class: "btn primary big", "data-testid": "report-submit" }, selfHandle ? t("Handled: record it") : t("Save and send"));

  async function save(event) {
    event.preventDefault();
    const problems = [];
    if (!draft.category) problems.push(t("Choose a category."));
    if (!description.value.trim()) problems.push(t("Describe the problem."));
    if (draft.lat === null) problems.push(t("Set the position: wait for GPS or tap the map."));
    if (selfHandle && !photos.length) problems.push(t("Add a photo from before."));
    if (selfHandle && !after.length) problems.push(t("Add a photo from after."));
    if (problems.length) {
      mount(errors, problems.map((p) => h("li", {}, p)));
      errors.hidden = false;
      errors.scrollIntoView({ block: "center" });
      return;
    }
    saveButton.disabled = true;
    const body = {
      category: draft.category.code,
      description: description.value.trim(),
      address: address.value.trim(),
      lat: draft.lat,
      lng: draft.lng,
    };
    if (selfHandle) body.self_handle = true;
    if ((editing && editing.payload.source) || fromPatrol) body.source = "patrol";
    // When the worker recorded it: kept beside the server's receive time (deadlines start there).
    body.occurred_at = (editing && editing.payload.occurred_at) || new Date().toISOString();
    const kept = selfHandle
      ? [...photos.map((p) => ({ blob: p.blob, name: p.name, kind: "before" })), ...after.map((p) => ({ blob: p.blob, name: p.name, kind: "after" }))]
      : photos.map((p) => ({ blob: p.blob, name: p.name, kind: "report" }));
    const meta = { accuracy: draft.accuracy, manual: draft.manual };
    const title = `${draft.category.name} · ${body.description.slice(0, 24)}`;
    if (editing) {
      await outboxStore.put({ ...editRecord(editing, body, Date.now(), kept), title, meta });
      c.schedule();
    } else {
      const id = fromVisit || undefined;
      const record = await c.enqueue({ id, kind: selfHandle ? Kind.SELF_HANDLE : Kind.REPORT, payload: body, photos: kept, title, meta });
      if (fromPatrol) {
        const running = await kv.get("patrol");
        if (running) await kv.set("patrol", { ...running, findings: [...running.findings, record.id] });
      }
    }
    await kv.set("usage", recordUse(usage, draft.category.code, Date.now()));
    toast(t("Saved on the phone: it is sent as soon as there is signal."));
    c.go(fromPatrol ? "#/patrol" : fromVisit ? "#/visits" : "#/outbox");
  }

  drawCategory();
  mount(position, positionText(draft));
  if (draft.lat !== null) position.dataset.ready = "1";
  mount(
    c.view,
    h(
      "form",
      { class: "form", onsubmit: save, novalidate: true, "data-testid": selfHandle ? "self-form" : "report-form" },
      editing && editing.error ? h("p", { class: "notice" }, t("The server refused this record: correct it and save again.")) : null,
      fromPatrol ? h("p", { class: "notice" }, t("Finding of the running patrol.")) : null,
      fromVisit ? h("p", { class: "notice", "data-testid": "report-from-visit" }, t("Finding of a visit.")) : null,
      h("div", { class: "field" }, h("label", {}, t("Category")), categoryButton),
      h("div", { class: "field" }, h("label", { for: "m-description" }, selfHandle ? t("What was the problem and what did you do?") : t("Description")), description),
      selfHandle
        ? [
            photoInput(c, { list: photos, kind: "before", label: t("Photo before"), testid: "photo-before" }),
            photoInput(c, { list: after, kind: "after", label: t("Photo after"), testid: "photo-after" }),
          ]
        : photoInput(c, { list: photos, kind: "report", label: t("Take a photo"), testid: "photo-input" }),
      h(
        "div",
        { class: "field" },
        h("div", { class: "label-row" }, h("label", {}, t("Location")), h("button", { type: "button", class: "link", "data-testid": "locate-me", onclick: locate }, t("Use my position"))),
        position,
        mapEl,
        gridName,
      ),
      h("div", { class: "field" }, h("label", { for: "m-address" }, t("Address or landmark (optional)")), address),
      duplicates,
      errors,
      saveButton,
    ),
  );

  loadLeaflet(c.config)
    .then((L) => {
      if (!mapEl.isConnected) return;
      picker = new PointPicker(L, mapEl, { grids, onMove: (lat, lng) => moved(lat, lng, true) });
      c.onCleanup(() => picker.destroy());
      if (draft.lat !== null) picker.place(draft.lat, draft.lng, draft.accuracy, { fit: true });
    })
    .catch(() => mapEl.remove());
  if (draft.lat === null) locate();
  else {
    showGrid();
    showDuplicates();
  }
}

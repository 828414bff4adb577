// The weekly analysis (周分析) on the phone: the worker's recent analyses (kept for reading
// without signal, like today's visits), and an analysis with its frozen figures and the two
// texts. Saving and submitting are outbox records of kind "analysis" carrying the version the
// worker wrote on: kept on the phone first, sent by the sync loop; a refusal (409: the analysis
// moved on; 422: a text is missing) shows on the outbox card and the text stays in the record.
// One analysis has at most one unsent record: a second step taken before it left replaces it
// (a save then a submit offline is one submit, not two requests with the same version).

import { Kind, State, edit as editRecord } from "./outbox.js";
import { outboxStore } from "./store.js";
import { h, mount, t, toast } from "./ui.js";
import { isOverdue, mostUrgent } from "./weeklystate.js";

export const WEEKLY_KEY = "weekly";
// The list shows the last complete week and the weeks before it.
const RECENT_WEEKS = 4;

export function weeklyUrl(config, week = "") {
  return `${config.api}/analysis/weekly${week ? `?week=${week}` : ""}`;
}

function detailKey(id) {
  return `weekly:${id}`;
}

function weekBefore(iso, weeks) {
  const day = new Date(`${iso}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - 7 * weeks);
  return day.toISOString().slice(0, 10);
}

function localDay(iso) {
  return iso ? new Date(iso).toLocaleDateString("zh-CN") : "";
}

// The unsent record of an analysis (waiting, sending or refused), or the last one sent.
async function recordsOf(id) {
  return (await outboxStore.all()).filter((r) => r.kind === Kind.ANALYSIS && r.payload.analysisId === id).sort((a, b) => b.createdAt - a.createdAt);
}

// One line for an analysis: what the worker has to do about it.
export function stateLine(item) {
  if (isOverdue(item, Date.now())) return t("Past its deadline (due %(date)s)", { date: localDay(item.due_at) });
  if (item.status === "draft") return t("To write, due %(date)s", { date: localDay(item.due_at) });
  if (item.status === "returned") {
    const comment = item.center_comment || item.leader_comment;
    return comment ? t("Returned: %(comment)s", { comment }) : item.status_label;
  }
  return item.status_label;
}

// The worker's analyses of the last complete week and the weeks before it (as cached).
async function recentItems(c, latest) {
  const items = [...latest.items];
  for (let n = 1; n < RECENT_WEEKS; n += 1) {
    const week = weekBefore(latest.week, n);
    const older = await c.cached(`${WEEKLY_KEY}:${week}`, weeklyUrl(c.config, week));
    if (older) items.push(...older.items);
  }
  return items;
}

// The home's tile: the most urgent of the worker's recent analyses, an overdue unwritten week
// before a passed latest one (quiet for those who may not read analyses).
export async function weeklyTile(c) {
  let data = null;
  try {
    data = await c.cached(WEEKLY_KEY, weeklyUrl(c.config));
  } catch (error) {
    if (error.status !== 403) throw error;
    return null;
  }
  const item = data ? mostUrgent(await recentItems(c, data), Date.now()) : null;
  return h(
    "a",
    // The label on one line, the state on the next (side by side, a half-width tile squeezed the
    // label to one character per line).
    { href: "#/weekly", class: `btn big stacked ${item && ["draft", "returned"].includes(item.status) ? "running" : ""}`, "data-testid": "go-weekly" },
    h("span", {}, t("Weekly analysis")),
    item ? h("span", { class: `btn-note ${isOverdue(item, Date.now()) ? "status-overdue" : "muted"}`, "data-testid": "weekly-state" }, stateLine(item)) : null,
  );
}

export async function weeklyListScreen(c) {
  c.setTitle(t("Weekly analysis"));
  const latest = await c.cached(WEEKLY_KEY, weeklyUrl(c.config));
  if (!latest) {
    mount(c.view, h("p", { class: "muted" }, t("Not available without signal.")));
    return;
  }
  const items = await recentItems(c, latest);
  const pending = new Set((await outboxStore.all()).filter((r) => r.kind === Kind.ANALYSIS && r.state !== State.SENT).map((r) => r.payload.analysisId));
  mount(
    c.view,
    items.length
      ? h(
          "ul",
          { class: "list card", "data-testid": "weekly-list" },
          items.map((item) =>
            h(
              "li",
              {},
              h(
                "a",
                { href: `#/weekly/${item.id}`, class: "row", "data-testid": "weekly-item", "data-id": item.id },
                h("span", { class: "row-main" }, h("strong", {}, `${item.grid_name} · ${t("Week of %(date)s", { date: item.week })}`), h("span", { class: "muted" }, stateLine(item))),
                pending.has(item.id)
                  ? h("span", { class: "pill", "data-testid": "weekly-pending" }, t("In the outbox"))
                  : isOverdue(item, Date.now())
                    ? h("span", { class: "pill status-overdue", "data-testid": "weekly-overdue" }, t("Past its deadline"))
                    : h("span", { class: "pill" }, item.status_label),
              ),
            ),
          ),
        )
      : h("p", { class: "card muted", "data-testid": "weekly-none" }, t("No weekly analysis yet.")),
  );
}

function caseList(rows) {
  if (!rows || !rows.length) return h("p", { class: "muted" }, t("None."));
  return h(
    "ul",
    {},
    rows.map((row) => h("li", {}, `${row.number} · ${row.category}${row.due_at ? ` · ${t("Deadline")} ${row.due_at.slice(0, 16).replace("T", " ")}` : ""}`)),
  );
}

// The same figures, in the same words, as the web's page of the analysis
// (analysis/weekly_detail.html): both read the frozen content.
function figuresCard(item) {
  const content = item.figures || {};
  const labels = item.figure_labels || {};
  const rows = Object.entries(content.cases || {}).map(([code, figure]) =>
    h("tr", {}, h("th", {}, labels[code] || code), h("td", {}, figure.den == null ? String(figure.num) : figure.value == null ? "—" : `${figure.value}%`)),
  );
  if (content.open_at_end != null) rows.push(h("tr", {}, h("th", {}, t("Open at the week's end")), h("td", {}, String(content.open_at_end))));
  const patrols = content.patrols;
  if (patrols)
    rows.push(
      h("tr", {}, h("th", {}, t("Patrols")), h("td", {}, t("%(count)s patrols on %(days)s days, %(minutes)s minutes", { count: patrols.count, days: patrols.days, minutes: patrols.minutes }))),
    );
  const categories = (content.categories || []).map((row) => `${row.name || row.code}：${row.count}`).join("、");
  const repeated = [
    ...(content.repeated_categories || []).map((row) => `${row.name} × ${row.count}`),
    ...(content.repeated_places || []).map((row) => `${row.address} × ${row.count} ${t("(30 days)")}`),
  ];
  return h(
    "section",
    { class: "card", "data-testid": "weekly-figures" },
    h("h2", {}, t("The week's figures")),
    h("table", {}, h("tbody", {}, rows)),
    h("h3", {}, t("Cases by category")),
    categories ? h("p", {}, categories) : h("p", { class: "muted" }, t("None.")),
    h("h3", {}, t("Repeated problems and places")),
    repeated.length ? h("ul", { "data-testid": "weekly-repeated" }, repeated.map((line) => h("li", {}, line))) : h("p", { class: "muted" }, t("None.")),
    h("h3", {}, t("Overdue at the week's end (%(n)s)", { n: content.overdue_count ?? 0 })),
    caseList(content.overdue),
    h("h3", {}, t("Carried over from earlier weeks (%(n)s)", { n: content.carried_count ?? 0 })),
    caseList(content.carried),
  );
}

export async function weeklyScreen(c, route) {
  c.setTitle(t("Weekly analysis"));
  const id = Number(route.id);
  let item = await c.cached(detailKey(id), `${c.config.api}/analysis/weekly/${id}`);
  const records = await recordsOf(id);
  const unsent = records.find((r) => r.state !== State.SENT) || null;
  // What the phone sent last is newer than a copy kept before it.
  const sent = records.find((r) => r.state === State.SENT && r.result);
  if (sent && (!item || sent.result.version > item.version)) item = sent.result;
  if (!item) {
    mount(c.view, h("p", { class: "muted" }, t("Not available without signal.")));
    return;
  }
  const writable = ["draft", "returned"].includes(item.status);
  const texts = unsent ? unsent.payload : item;
  const limit = item.text_limit || 4000;
  const analysis = h("textarea", { id: "m-analysis", rows: 6, maxlength: limit, "data-testid": "weekly-analysis", disabled: !writable });
  analysis.value = texts.analysis || "";
  const measures = h("textarea", { id: "m-measures", rows: 4, maxlength: limit, "data-testid": "weekly-measures", disabled: !writable });
  measures.value = texts.measures || "";
  const error = h("p", { class: "error", role: "alert", hidden: true });

  async function act(action) {
    const body = { analysisId: id, action, version: item.version, analysis: analysis.value.trim(), measures: measures.value.trim() };
    if (action === "submit" && (!body.analysis || !body.measures)) {
      error.textContent = t("Write the analysis and the measures before submitting.");
      error.hidden = false;
      return;
    }
    const title = t("Weekly analysis: %(grid)s, week of %(date)s", { grid: item.grid_name, date: item.week });
    const fresh = unsent ? await outboxStore.get(unsent.id) : null;
    if (fresh && (fresh.state === State.WAITING || fresh.state === State.FAILED)) {
      // Replaces the step not sent yet; a submit is not undone by a later save.
      if (fresh.payload.action === "submit" && fresh.state === State.WAITING) body.action = "submit";
      await outboxStore.put({ ...editRecord(fresh, body, Date.now()), title });
      c.schedule();
    } else {
      await c.enqueue({ kind: Kind.ANALYSIS, payload: body, title });
    }
    toast(t("Saved on the phone: it is sent as soon as there is signal."));
    c.go("#/weekly");
  }

  const comment = item.status === "returned" ? item.center_comment || item.leader_comment : "";
  mount(
    c.view,
    h(
      "form",
      { class: "form", novalidate: true, "data-testid": "weekly-form", onsubmit: (event) => { event.preventDefault(); act("save"); } },
      h("div", { class: "card" }, h("strong", {}, `${item.grid_name} · ${t("Week of %(date)s", { date: item.week })}`), h("p", { class: "muted", "data-testid": "weekly-status" }, stateLine(item))),
      unsent && unsent.state === State.FAILED ? h("p", { class: "notice" }, t("The server refused this record: correct it and save again.")) : null,
      unsent && unsent.state !== State.FAILED ? h("p", { class: "notice", "data-testid": "weekly-pending" }, t("In the outbox")) : null,
      comment ? h("p", { class: "notice", "data-testid": "weekly-comment" }, comment) : null,
      figuresCard(item),
      h("div", { class: "field" }, h("label", { for: "m-analysis" }, t("Analysis")), analysis),
      h("div", { class: "field" }, h("label", { for: "m-measures" }, t("Proposed measures")), measures),
      error,
      writable ? h("button", { type: "submit", class: "btn big", "data-testid": "weekly-save" }, t("Save")) : null,
      writable ? h("button", { type: "button", class: "btn primary big", "data-testid": "weekly-submit", onclick: () => act("submit") }, t("Submit")) : null,
    ),
  );
}

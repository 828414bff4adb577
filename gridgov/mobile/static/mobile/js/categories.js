// The category picker's ordering and search. Pure (tested in Node).
// `usage` is {code: {count, last}} kept on the phone: what this worker reports most and last.

export const RECENT = 4;
export const FREQUENT = 4;

export function recordUse(usage, code, now) {
  const entry = usage[code] || { count: 0, last: 0 };
  return { ...usage, [code]: { count: entry.count + 1, last: now } };
}

// {recent, frequent, rest}: the last used first, then the most used (not already listed),
// then every other category in the server's order.
export function orderCategories(categories, usage = {}) {
  const known = categories.filter((c) => usage[c.code]);
  const recent = [...known].sort((a, b) => usage[b.code].last - usage[a.code].last).slice(0, RECENT);
  const taken = new Set(recent.map((c) => c.code));
  const frequent = [...known]
    .filter((c) => !taken.has(c.code))
    .sort((a, b) => usage[b.code].count - usage[a.code].count || usage[b.code].last - usage[a.code].last)
    .slice(0, FREQUENT);
  frequent.forEach((c) => taken.add(c.code));
  return { recent, frequent, rest: categories.filter((c) => !taken.has(c.code)) };
}

function normal(text) {
  return String(text || "").toLowerCase().replace(/\s+/g, "");
}

// How well a category matches a query (0: not at all). Pinyin initials ("wztc" for 违章停车)
// count as much as the name; the major class's name and initials find its minors too.
export function matchScore(category, query) {
  const q = normal(query);
  if (!q) return 1;
  const name = normal(category.name);
  const initials = normal(category.initials);
  if (name === q || initials === q) return 100;
  if (name.startsWith(q) || initials.startsWith(q)) return 80;
  if (name.includes(q) || initials.includes(q)) return 60;
  if (normal(category.code).includes(q)) return 40;
  const major = normal(category.major_name);
  const majorInitials = normal(category.major_initials);
  if (major.includes(q) || majorInitials.startsWith(q)) return 20;
  return 0;
}

// The categories matching a query, best first; frequent use breaks ties.
export function searchCategories(categories, query, usage = {}) {
  return categories
    .map((category, index) => ({ category, index, score: matchScore(category, query) }))
    .filter((item) => item.score > 0)
    .sort(
      (a, b) =>
        b.score - a.score ||
        (usage[b.category.code]?.count || 0) - (usage[a.category.code]?.count || 0) ||
        a.index - b.index,
    )
    .map((item) => item.category);
}

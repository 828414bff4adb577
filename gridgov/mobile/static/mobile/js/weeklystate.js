// Which weekly analysis needs the worker most (pure, tested in node): an unwritten or returned
// week past its deadline comes first (the oldest first), then one still to write or correct,
// then the latest week as it stands.

const OPEN = ["draft", "returned"];

export function isOverdue(item, now) {
  return Boolean(item && OPEN.includes(item.status) && item.due_at && Date.parse(item.due_at) < now);
}

export function mostUrgent(items, now) {
  const list = (items || []).filter(Boolean);
  if (!list.length) return null;
  const byWeek = (a, b) => String(a.week).localeCompare(String(b.week));
  const overdue = list.filter((item) => isOverdue(item, now)).sort(byWeek);
  if (overdue.length) return overdue[0];
  const open = list.filter((item) => OPEN.includes(item.status)).sort(byWeek);
  if (open.length) return open[0];
  return [...list].sort(byWeek).at(-1);
}

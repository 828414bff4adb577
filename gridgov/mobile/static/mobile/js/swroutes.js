// Which answer the service worker gives to a request. Pure (tested in Node); sw.js uses it.

export const CACHE_PREFIX = "gridgov-m-";

export function cacheNames(version) {
  return { shell: `${CACHE_PREFIX}shell-${version}`, data: `${CACHE_PREFIX}data` };
}

// Read-only data the app may show without signal (what a grid worker needs in the field).
const DATA_PATHS = [
  /^\/api\/v1\/me$/,
  /^\/api\/v1\/categories$/,
  /^\/api\/v1\/areas(\/.*)?$/,
  /^\/api\/v1\/cases$/,
  /^\/api\/v1\/cases\/\d+$/,
  /^\/api\/v1\/cases\/attachments\/\d+\/(display|thumbnail)$/,
  /^\/api\/v1\/notifications$/,
  /^\/api\/v1\/patrols$/,
  /^\/api\/v1\/work$/,
];

// "shell": from the precache (the app's page and static files), else the network;
// "data": the network first, the last good answer without signal;
// "network": not touched (writes, other pages, other origins).
export function strategyFor({ url, method, origin, precached, shellPath = "/m/", categoriesPath = "/m/categories.json" }) {
  const parsed = new URL(url);
  if (method !== "GET" || parsed.origin !== origin) return "network";
  if (parsed.pathname === shellPath) return "shell";
  if (precached.has(parsed.pathname)) return "shell";
  if (parsed.pathname === categoriesPath) return "data";
  if (parsed.pathname === "/api/v1/areas/locate" || parsed.pathname === "/api/v1/cases/duplicates") return "network";
  if (DATA_PATHS.some((pattern) => pattern.test(parsed.pathname))) return "data";
  return "network";
}

// Old caches to delete when a new version activates.
export function staleCaches(keys, version) {
  const keep = new Set(Object.values(cacheNames(version)));
  return keys.filter((key) => key.startsWith(CACHE_PREFIX) && !keep.has(key));
}

// Distances, the local "which grid am I in" and the patrol's route sampling. Pure.

const EARTH_M = 6_371_000;

export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

function inRing(ring, lng, lat) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lng < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

// Whether a GeoJSON Polygon or MultiPolygon contains the point (holes respected).
export function contains(geometry, lat, lng) {
  if (!geometry) return false;
  const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
  return polygons.some((rings) => rings.length && inRing(rings[0], lng, lat) && !rings.slice(1).some((hole) => inRing(hole, lng, lat)));
}

// The grid feature (from /api/v1/areas) at a point, without signal; null when none.
export function locateLocal(features, lat, lng) {
  return (features || []).find((feature) => contains(feature.geometry, lat, lng)) || null;
}

export const SAMPLE_MS = 30_000;
export const SAMPLE_M = 50;
export const MIN_GAP_MS = 5_000;

// Whether a new position goes into the patrol's track: the first one, then every ~30 s or
// every ~50 m, whichever comes first, never more often than every 5 s.
export function shouldSample(last, point, { everyMs = SAMPLE_MS, everyM = SAMPLE_M, minGapMs = MIN_GAP_MS } = {}) {
  if (!last) return true;
  const elapsed = point.t - last.t;
  if (elapsed < minGapMs) return false;
  return elapsed >= everyMs || distanceM(last, point) >= everyM;
}

export function trackDistance(track) {
  let total = 0;
  for (let i = 1; i < track.length; i += 1) total += distanceM(track[i - 1], track[i]);
  return Math.round(total);
}

// The track kept within `max` points (what the server takes): past it, every second point is
// dropped, the first and the last kept, so that a long patrol keeps its whole route at a
// coarser step instead of being refused.
export function capTrack(track, max) {
  let points = track;
  while (max >= 2 && points.length > max) points = points.filter((_p, i) => i % 2 === 0 || i === points.length - 1);
  return points;
}

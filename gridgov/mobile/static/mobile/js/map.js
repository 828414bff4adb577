// The small map of the report form: the worker's grid drawn on a plain background (no
// outside tiles), the GPS position with its accuracy circle, and a pin the worker can drag or
// move with a tap. Leaflet comes from the site's own static files.

import { t } from "./ui.js";

let loading = null;

// Leaflet's zoom buttons' tooltips in the app's language, for every map made afterwards.
function localise(L) {
  L.Control.Zoom.mergeOptions({ zoomInTitle: t("Zoom in"), zoomOutTitle: t("Zoom out") });
  return L;
}

export function loadLeaflet(config) {
  if (window.L) return Promise.resolve(localise(window.L));
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = config.leafletCss;
      document.head.append(css);
      const script = document.createElement("script");
      script.src = config.leafletJs;
      script.onload = () => resolve(localise(window.L));
      script.onerror = () => {
        loading = null;
        reject(new Error("Leaflet could not be loaded"));
      };
      document.head.append(script);
    });
  }
  return loading;
}

export class PointPicker {
  constructor(L, element, { grids = [], onMove = () => {} } = {}) {
    this.L = L;
    this.onMove = onMove;
    this.map = L.map(element, { zoomControl: true, attributionControl: false, tap: true });
    this.gridLayer = L.geoJSON(grids, { style: { color: "#0b4f9c", weight: 2, fillOpacity: 0.08 } }).addTo(this.map);
    this.accuracy = null;
    const bounds = this.gridLayer.getBounds();
    if (bounds.isValid()) this.map.fitBounds(bounds, { padding: [8, 8] });
    else this.map.setView([39.0, 117.4], 13);
    const icon = L.divIcon({ className: "m-pin", iconSize: [28, 28], iconAnchor: [14, 28] });
    this.pin = L.marker(this.map.getCenter(), { icon, draggable: true, autoPan: true, keyboard: false });
    this.pin.on("dragend", () => {
      const at = this.pin.getLatLng();
      this.onMove(at.lat, at.lng, true);
    });
    this.map.on("click", (event) => {
      this.place(event.latlng.lat, event.latlng.lng, null);
      this.onMove(event.latlng.lat, event.latlng.lng, true);
    });
  }

  place(lat, lng, accuracy, { fit = false } = {}) {
    const L = this.L;
    this.pin.setLatLng([lat, lng]);
    if (!this.map.hasLayer(this.pin)) this.pin.addTo(this.map);
    if (this.accuracy) {
      this.accuracy.remove();
      this.accuracy = null;
    }
    if (accuracy) {
      this.accuracy = L.circle([lat, lng], { radius: accuracy, weight: 1, color: "#c8202f", fillOpacity: 0.1, interactive: false }).addTo(this.map);
    }
    if (fit) {
      // The whole grid when the point is in it (the worker sees where its edges are).
      const grid = this.gridLayer.getBounds();
      if (grid.isValid() && grid.contains([lat, lng])) this.map.fitBounds(grid, { padding: [8, 8] });
      else this.map.setView([lat, lng], Math.max(this.map.getZoom(), 16));
    }
  }

  destroy() {
    this.map.remove();
  }
}

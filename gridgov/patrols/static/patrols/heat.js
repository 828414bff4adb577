/* A grid's month of patrols: every route drawn as a wide, faint line over the grid's polygon,
   so streets walked often add up to a dark band (a heat layer without a plugin). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("patrol-map-config").textContent);
  var element = document.getElementById("patrol-map");
  if (!element || !window.L) {
    return;
  }
  var map = L.map(element, { zoomSnap: 0.25, attributionControl: Boolean(config.tileUrl), preferCanvas: true });
  map.setView([39.0, 117.7], 15);
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "", maxZoom: 19 }).addTo(map);
  }
  var heat = L.featureGroup();
  config.tracks.forEach(function (track) {
    if (track.length > 1) {
      L.polyline(track, { color: "#c8202f", weight: 7, opacity: 0.12, lineCap: "round", interactive: false }).addTo(heat);
    }
  });
  heat.addTo(map);
  (config.roads || []).forEach(function (road) {
    L.geoJSON(road.geometry, { style: { color: "#0b4f9c", weight: 3, opacity: 0.8, dashArray: "6 4" }, interactive: false }).addTo(map);
  });
  if (config.tracks.length) {
    map.fitBounds(heat.getBounds(), { padding: [20, 20], animate: false });
  }
  fetch(config.areaUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) {
      return r.ok ? r.json() : null;
    })
    .then(function (feature) {
      if (!feature || !feature.geometry) {
        return;
      }
      var layer = L.geoJSON(feature, {
        style: { color: "#0b4f9c", weight: 2, fillColor: "#dbe6f3", fillOpacity: 0.4 }
      }).addTo(map);
      layer.bringToBack();
      map.fitBounds(layer.getBounds(), { padding: [20, 20], animate: false });
    })
    .catch(function () {});
})();

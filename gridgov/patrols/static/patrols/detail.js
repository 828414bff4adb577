/* Patrol page: the route as a line over the grid's polygon, on a plain background unless a
   tile server is configured. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("patrol-map-config").textContent);
  var element = document.getElementById("patrol-map");
  if (!element || !window.L) {
    return;
  }
  var map = L.map(element, { zoomSnap: 0.25, attributionControl: Boolean(config.tileUrl) });
  map.setView(config.track.length ? config.track[0] : [39.0, 117.7], 15);
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "", maxZoom: 19 }).addTo(map);
  }
  var route = null;
  if (config.track.length) {
    route = L.polyline(config.track, { color: "#c8202f", weight: 3, opacity: 0.9 }).addTo(map);
    var ends = [
      [config.track[0], "#1a7f37", config.labels.start],
      [config.track[config.track.length - 1], "#c8202f", config.labels.end]
    ];
    ends.forEach(function (end) {
      L.circleMarker(end[0], { radius: 6, color: "#ffffff", weight: 2, fillColor: end[1], fillOpacity: 1 })
        .bindTooltip(end[2])
        .addTo(map);
    });
    // Not animated: Leaflet drops a second fit asked while a zoom animation still runs.
    map.fitBounds(route.getBounds(), { padding: [20, 20], animate: false });
  }
  if (config.areaUrl) {
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
        var bounds = layer.getBounds();
        if (route) {
          bounds.extend(route.getBounds());
        }
        map.fitBounds(bounds, { padding: [20, 20], animate: false });
      })
      .catch(function () {});
  }
})();

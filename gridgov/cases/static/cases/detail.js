/* Case page: the location on a small map with the grid's polygon, and photos shown full size
   in a dialog. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("case-location-config").textContent);
  var element = document.getElementById("case-location-map");
  if (element && window.L) {
    var map = L.map(element, { zoomSnap: 0.25, attributionControl: Boolean(config.tileUrl) });
    map.setView([config.lat || 39.0, config.lng || 117.7], 15);
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    var point = null;
    if (config.lat !== null && config.lng !== null) {
      point = L.circleMarker([config.lat, config.lng], {
        radius: 7, color: "#ffffff", weight: 2, fillColor: "#c8202f", fillOpacity: 1
      }).addTo(map);
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
          if (point) {
            point.bringToFront();
          }
          map.fitBounds(layer.getBounds(), { padding: [10, 10] });
        })
        .catch(function () {});
    }
  }

  var dialog = document.getElementById("photo-dialog");
  if (dialog && typeof dialog.showModal === "function") {
    var image = dialog.querySelector("img");
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a.photo-link") : null;
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey) {
        return;
      }
      event.preventDefault();
      image.src = link.getAttribute("data-full");
      dialog.showModal();
    });
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) {
        dialog.close();
      }
    });
  }
})();

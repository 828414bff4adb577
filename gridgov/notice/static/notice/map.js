/* The public notice's map: the grid outlines on a plain background (a tile layer when one is
   configured). On the report form a tap marks the place into the hidden lat/lng fields. */
(function () {
  "use strict";
  var element = document.getElementById("notice-map");
  var source = document.getElementById("notice-map-config");
  if (!element || !source || !window.L) {
    return;
  }
  var config = JSON.parse(source.textContent);
  var map = L.map(element, { zoomSnap: 0.25, attributionControl: Boolean(config.tileUrl) });
  map.setView([39.0, 117.7], 13);
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "", maxZoom: 19 }).addTo(map);
  }
  if (config.features && config.features.length) {
    var layer = L.geoJSON({ type: "FeatureCollection", features: config.features }, {
      style: { color: "#0b4f9c", weight: 2, fillColor: "#dbe6f3", fillOpacity: 0.4 },
      onEachFeature: function (feature, item) {
        item.bindTooltip(feature.properties.name);
      }
    }).addTo(map);
    map.fitBounds(layer.getBounds(), { padding: [10, 10], animate: false });
  }
  if (element.getAttribute("data-pick")) {
    var lat = document.getElementById("id_lat");
    var lng = document.getElementById("id_lng");
    var marker = null;
    map.on("click", function (event) {
      if (marker) {
        marker.setLatLng(event.latlng);
      } else {
        marker = L.marker(event.latlng).addTo(map);
      }
      lat.value = event.latlng.lat.toFixed(6);
      lng.value = event.latlng.lng.toFixed(6);
    });
  }
})();

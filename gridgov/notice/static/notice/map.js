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
    var mark = function (latlng) {
      if (marker) {
        marker.setLatLng(latlng);
      } else {
        marker = L.marker(latlng).addTo(map);
      }
      lat.value = latlng.lat.toFixed(6);
      lng.value = latlng.lng.toFixed(6);
    };
    map.on("click", function (event) {
      mark(event.latlng);
    });
    // "Use my location": the browser's position (asked only on the tap), marked as a tap would.
    var locate = document.getElementById("notice-locate");
    var status = document.getElementById("notice-locate-status");
    if (locate && navigator.geolocation) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        locate.disabled = true;
        navigator.geolocation.getCurrentPosition(
          function (position) {
            locate.disabled = false;
            var here = L.latLng(position.coords.latitude, position.coords.longitude);
            mark(here);
            map.setView(here, Math.max(map.getZoom(), 16));
            if (status) {
              status.textContent = "";
            }
          },
          function () {
            locate.disabled = false;
            if (status) {
              status.textContent = locate.getAttribute("data-failed");
            }
          },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
        );
      });
    }
  }
})();

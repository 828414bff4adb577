/* Case workbench: the map of the filtered cases (grid polygons from the areas API, one dot per
   case coloured by its traffic light). The map follows the filter form after every htmx swap. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("case-map-config").textContent);
  var text = config.text;
  var status = document.getElementById("case-map-status");
  var form = document.getElementById("filter-form");
  var COLOURS = { green: "#1e9e47", yellow: "#e0a800", red: "#d62d20", none: "#7a8594" };

  var map = L.map("case-map", { zoomSnap: 0.25, attributionControl: Boolean(config.tileUrl) });
  map.setView([39.0, 117.7], 11);
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "", maxZoom: 19 }).addTo(map);
  }
  var gridsLayer = L.featureGroup().addTo(map);
  var casesLayer = L.featureGroup().addTo(map);
  var lastQuery = null;

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (ch) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
    });
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) {
        throw new Error("HTTP " + r.status);
      }
      return r.json();
    });
  }

  function filterQuery() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value !== "" && key !== "cursor") {
        params.append(key, value);
      }
    });
    return params.toString();
  }

  function showStatus(message) {
    status.textContent = message;
    status.hidden = !message;
  }

  function drawCases(data) {
    casesLayer.clearLayers();
    data.cases.forEach(function (item) {
      // A case placed at its grid's centre (no coordinates) gets a dashed outline.
      var marker = L.circleMarker([item.lat, item.lng], {
        radius: 6,
        color: item.approximate ? "#1f2933" : "#ffffff",
        dashArray: item.approximate ? "2 2" : null,
        weight: 1.5,
        fillColor: COLOURS[item.light] || COLOURS.none,
        fillOpacity: 0.95
      });
      marker.bindPopup(
        "<strong>" + escapeHtml(item.number) + "</strong><br>" +
        escapeHtml(item.category) + " · " + escapeHtml(item.status) + " · " +
        escapeHtml(config.lights[item.light] || "") + "<br>" +
        '<a href="' + escapeHtml(item.url) + '">' + escapeHtml(text.open) + "</a>"
      );
      casesLayer.addLayer(marker);
    });
    if (data.truncated) {
      showStatus(text.truncated);
    } else if (!data.cases.length) {
      showStatus(text.none);
    } else {
      showStatus("");
    }
  }

  function loadCases() {
    var query = filterQuery();
    if (query === lastQuery) {
      return;
    }
    lastQuery = query;
    getJson(config.dataUrl + (query ? "?" + query : ""))
      .then(function (data) {
        if (query === lastQuery) {
          drawCases(data);
        }
      })
      .catch(function () {
        showStatus(text.loadFailed);
      });
  }

  getJson(config.areasUrl + "?level=grid")
    .then(function (grids) {
      L.geoJSON(grids, {
        style: function () {
          return { color: "#0b4f9c", weight: 1, fillColor: "#dbe6f3", fillOpacity: 0.35 };
        },
        onEachFeature: function (feature, layer) {
          layer.bindTooltip(escapeHtml(feature.properties.name), { sticky: true });
        }
      }).eachLayer(function (layer) {
        gridsLayer.addLayer(layer);
      });
      if (gridsLayer.getLayers().length) {
        map.fitBounds(gridsLayer.getBounds(), { padding: [12, 12] });
      }
      gridsLayer.bringToBack();
    })
    .catch(function () {
      showStatus(text.loadFailed);
    })
    .then(loadCases);

  // Empty filters stay out of the request (and of the address bar).
  document.body.addEventListener("htmx:configRequest", function (event) {
    var data = event.detail.formData;
    if (!data || event.detail.elt !== form) {
      return;
    }
    var empty = [];
    data.forEach(function (value, key) {
      if (value === "") {
        empty.push(key);
      }
    });
    empty.forEach(function (key) {
      data.delete(key);
    });
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "case-results") {
      loadCases();
    }
  });
  // The map sits in a <details>: Leaflet needs a size check when it is opened again.
  var details = document.querySelector(".map-card");
  if (details) {
    details.addEventListener("toggle", function () {
      if (details.open) {
        map.invalidateSize();
      }
    });
  }
})();

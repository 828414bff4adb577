/* Map page: the villages and grids the user may see, drawn from the areas API with Leaflet.
   No tile layer unless the server configures one; a click looks up the grid at that point. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var text = config.text;
  var status = document.getElementById("map-status");
  var info = document.getElementById("map-info");
  var list = document.getElementById("village-list");
  // Distinct, calm fills for neighbouring grids.
  var PALETTE = ["#4e79a7", "#59a14f", "#edc948", "#f28e2b", "#b07aa1", "#76b7b2", "#e15759", "#9c755f", "#ff9da7", "#bab0ac"];
  var VILLAGE_STYLE = { color: "#0b3d78", weight: 2.5, fill: false, dashArray: "6 4", interactive: false };
  var SELECTED_STYLE = { color: "#c8202f", weight: 3, fillColor: "#c8202f", fillOpacity: 0.35 };

  L.Icon.Default.imagePath = config.imagePath;
  var map = L.map("map", { zoomSnap: 0.25, attributionControl: Boolean(config.tileUrl) });
  map.setView([39.0, 117.7], 11);
  if (config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "", maxZoom: 19 }).addTo(map);
  }

  var villagesLayer = L.featureGroup().addTo(map);
  var gridsLayer = L.featureGroup().addTo(map);
  var gridByCode = {};
  var gridStyles = {};
  var selected = null;

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (ch) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
    });
  }

  function describe(props) {
    return (
      "<strong>" + escapeHtml(props.name) + "</strong><br>" +
      escapeHtml(text.code) + ": " + escapeHtml(props.code) + "<br>" +
      escapeHtml(text.households) + ": " + escapeHtml(props.households)
    );
  }

  function gridStyle(index) {
    var colour = PALETTE[index % PALETTE.length];
    return { color: "#ffffff", weight: 1.2, fillColor: colour, fillOpacity: 0.45 };
  }

  function fetchLevel(level) {
    return fetch(config.areasUrl + "?level=" + level, {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    });
  }

  function select(code) {
    if (selected) {
      selected.setStyle(gridStyles[selected.feature.properties.code]);
    }
    selected = gridByCode[code] || null;
    if (selected) {
      selected.setStyle(SELECTED_STYLE);
      selected.bringToFront();
    }
  }

  function addLegend() {
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var box = L.DomUtil.create("div", "map-legend");
      box.innerHTML =
        "<strong>" + escapeHtml(text.legend) + "</strong>" +
        '<span><i class="swatch swatch-village"></i>' + escapeHtml(text.village) + "</span>" +
        '<span><i class="swatch swatch-grid"></i>' + escapeHtml(text.grid) + "</span>" +
        '<span><i class="swatch swatch-selected"></i>' + escapeHtml(text.selected) + "</span>";
      return box;
    };
    legend.addTo(map);
  }

  function fitAll() {
    var bounds = L.latLngBounds([]);
    [villagesLayer, gridsLayer].forEach(function (layer) {
      if (layer.getLayers().length) {
        bounds.extend(layer.getBounds());
      }
    });
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [16, 16] });
    }
  }

  function addVillageToList(props, layer) {
    var item = document.createElement("li");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "village-button";
    button.innerHTML = escapeHtml(props.name) + ' <span class="muted">' + escapeHtml(props.code) + "</span>";
    button.addEventListener("click", function () {
      if (layer) {
        map.fitBounds(layer.getBounds(), { padding: [16, 16] });
      }
    });
    item.appendChild(button);
    list.appendChild(item);
  }

  function draw(villages, grids) {
    var villageLayers = {};
    L.geoJSON(villages, {
      style: function () {
        return VILLAGE_STYLE;
      },
      onEachFeature: function (feature, layer) {
        villageLayers[feature.properties.code] = layer;
        layer.bindTooltip(escapeHtml(feature.properties.name), {
          permanent: true,
          direction: "center",
          className: "village-label"
        });
      }
    }).eachLayer(function (layer) {
      villagesLayer.addLayer(layer);
    });

    // Colours cycle within each village so that neighbouring grids differ.
    var indexInVillage = {};
    grids.features.forEach(function (feature) {
      var parent = feature.properties.parent_code || "";
      indexInVillage[parent] = (indexInVillage[parent] || 0) + 1;
      gridStyles[feature.properties.code] = gridStyle(indexInVillage[parent] - 1);
    });
    L.geoJSON(grids, {
      style: function (feature) {
        return gridStyles[feature.properties.code];
      },
      onEachFeature: function (feature, layer) {
        gridByCode[feature.properties.code] = layer;
        layer.bindTooltip(describe(feature.properties), { sticky: true });
      }
    }).eachLayer(function (layer) {
      gridsLayer.addLayer(layer);
    });
    villagesLayer.bringToFront();

    // The side list: villages with a boundary, else the villages the grids belong to.
    villages.features.forEach(function (feature) {
      addVillageToList(feature.properties, villageLayers[feature.properties.code]);
    });
    if (!villages.features.length) {
      grids.features.forEach(function (feature) {
        addVillageToList(feature.properties, gridByCode[feature.properties.code]);
      });
    }

    var drawn = villagesLayer.getLayers().length + gridsLayer.getLayers().length;
    if (drawn) {
      status.hidden = true;
      fitAll();
    } else {
      status.textContent = text.noAreas;
    }
  }

  function locate(event) {
    var point = event.latlng;
    info.innerHTML = '<p class="muted">' + escapeHtml(text.locating) + "</p>";
    var url = config.locateUrl + "?lat=" + point.lat.toFixed(6) + "&lng=" + point.lng.toFixed(6);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 404) {
          return null;
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (found) {
        if (!found) {
          select(null);
          info.innerHTML = '<p class="muted">' + escapeHtml(text.noGrid) + "</p>";
          return;
        }
        select(found.grid.code);
        var html =
          '<dl class="map-found" data-testid="located-grid">' +
          "<dt>" + escapeHtml(text.grid) + "</dt><dd>" + escapeHtml(found.grid.name) +
          ' <span class="muted">' + escapeHtml(found.grid.code) + "</span></dd>";
        if (found.village) {
          html +=
            "<dt>" + escapeHtml(text.village) + "</dt><dd>" + escapeHtml(found.village.name) +
            ' <span class="muted">' + escapeHtml(found.village.code) + "</span></dd>";
        }
        info.innerHTML = html + "</dl>";
        L.popup({ autoPan: false })
          .setLatLng(point)
          .setContent("<strong>" + escapeHtml(found.grid.name) + "</strong><br>" + escapeHtml(found.grid.code))
          .openOn(map);
      })
      .catch(function () {
        info.innerHTML = '<p class="error">' + escapeHtml(text.loadFailed) + "</p>";
      });
  }

  addLegend();
  document.getElementById("map-fit-all").addEventListener("click", fitAll);
  map.on("click", locate);
  Promise.all([fetchLevel("village"), fetchLevel("grid")])
    .then(function (results) {
      draw(results[0], results[1]);
    })
    .catch(function () {
      status.textContent = text.loadFailed;
    });
})();

/* Report form: the position (browser geolocation, a draggable marker on a small map, or typed
   coordinates), the grid at that point, the self-handle part for categories that allow it,
   and one submission only. No tile layer unless the server configures one. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("report-map-config").textContent);
  var text = config.text;
  var form = document.getElementById("report-form");
  var latInput = document.getElementById("id_lat");
  var lngInput = document.getElementById("id_lng");
  var gridName = document.getElementById("grid-name");
  var category = document.getElementById("id_category");
  var selfBox = document.getElementById("self-handle");
  var selfCheck = document.getElementById("id_self_handle");
  var selfFields = document.getElementById("self-handle-fields");
  var submit = document.getElementById("report-submit");

  // --- self-handle ------------------------------------------------------------------------
  function syncSelfHandle() {
    if (!selfBox) {
      return;
    }
    var option = category.options[category.selectedIndex];
    var allowed = Boolean(option && option.getAttribute("data-self-handle"));
    selfBox.hidden = !allowed;
    if (!allowed) {
      selfCheck.checked = false;
    }
    selfFields.hidden = !selfCheck.checked;
  }
  category.addEventListener("change", syncSelfHandle);
  if (selfCheck) {
    selfCheck.addEventListener("change", syncSelfHandle);
  }
  syncSelfHandle();

  // --- one submission ---------------------------------------------------------------------
  form.addEventListener("submit", function (event) {
    if (form.getAttribute("data-sent")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "1");
    submit.setAttribute("aria-busy", "true");
    submit.classList.add("is-busy");
  });

  // --- map and position -------------------------------------------------------------------
  var map = null;
  var marker = null;
  var lookup = 0;

  function readPoint() {
    var lat = parseFloat(latInput.value);
    var lng = parseFloat(lngInput.value);
    if (isNaN(lat) || isNaN(lng)) {
      return null;
    }
    return [lat, lng];
  }

  function announce() {
    document.body.dispatchEvent(new CustomEvent("located"));
  }

  function findGrid(point) {
    var ticket = ++lookup;
    gridName.textContent = text.lookingUp;
    var url = config.locateUrl + "?lat=" + encodeURIComponent(point[0]) + "&lng=" + encodeURIComponent(point[1]);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (ticket !== lookup) {
          return null;
        }
        if (!response.ok) {
          gridName.textContent = text.noGrid;
          gridName.classList.add("error");
          return null;
        }
        return response.json().then(function (body) {
          if (ticket !== lookup) {
            return;
          }
          gridName.classList.remove("error");
          var village = body.village ? body.village.name + " · " : "";
          gridName.textContent = text.grid + ": " + village + body.grid.name;
        });
      })
      .catch(function () {
        if (ticket === lookup) {
          gridName.textContent = "";
        }
      });
  }

  function placeMarker(point, pan) {
    if (!map) {
      return;
    }
    if (!marker) {
      marker = L.marker(point, { draggable: true, keyboard: true }).addTo(map);
      marker.on("dragend", function () {
        var at = marker.getLatLng();
        setPoint([at.lat, at.lng], false);
      });
    } else {
      marker.setLatLng(point);
    }
    if (pan) {
      map.setView(point, Math.max(map.getZoom(), 15));
    }
  }

  function setPoint(point, pan) {
    latInput.value = point[0].toFixed(6);
    lngInput.value = point[1].toFixed(6);
    placeMarker(point, pan);
    findGrid(point);
    announce();
  }

  function typed() {
    var point = readPoint();
    if (point) {
      placeMarker(point, true);
      findGrid(point);
    } else {
      gridName.textContent = "";
    }
    announce();
  }
  latInput.addEventListener("change", typed);
  lngInput.addEventListener("change", typed);

  document.getElementById("locate-me").addEventListener("click", function () {
    if (!navigator.geolocation) {
      gridName.textContent = text.noGeolocation;
      return;
    }
    gridName.textContent = text.locating;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        setPoint([position.coords.latitude, position.coords.longitude], true);
      },
      function () {
        gridName.textContent = text.geolocationFailed;
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });

  if (window.L) {
    L.Icon.Default.imagePath = config.imagePath;
    map = L.map("report-map", { zoomSnap: 0.5, attributionControl: Boolean(config.tileUrl) });
    map.setView(config.center, 14);
    if (config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    map.on("click", function (event) {
      setPoint([event.latlng.lat, event.latlng.lng], false);
    });
    fetch(config.areasUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (collection) {
        if (!collection) {
          return;
        }
        var layer = L.geoJSON(collection, {
          interactive: false,
          style: { color: "#0b4f9c", weight: 1, fillColor: "#0b4f9c", fillOpacity: 0.06 }
        }).addTo(map);
        // The desk works for the whole town: show all of it until a place is chosen.
        if (config.fitAreas && !readPoint() && layer.getBounds().isValid()) {
          map.fitBounds(layer.getBounds(), { padding: [8, 8] });
        }
      })
      .catch(function () {});
  }

  var start = readPoint();
  if (start) {
    placeMarker(start, true);
    findGrid(start);
  }
})();

/* The center's new-case form: the category tree (search by name or pinyin initials, as on the
   phone) and the search over the town's own place names (no outside geocoder). The map, the
   grid lookup and the single submission are field_report.js's. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("report-map-config").textContent);
  var hidden = document.getElementById("id_category");
  var chosen = document.getElementById("category-chosen");
  var search = document.getElementById("category-search");
  var groups = Array.prototype.slice.call(document.querySelectorAll(".tree-group"));

  function normal(text) {
    return String(text || "").toLowerCase().replace(/\s+/g, "");
  }
  function matches(element, query) {
    var name = normal(element.getAttribute("data-name"));
    var initials = normal(element.getAttribute("data-initials"));
    return name.indexOf(query) >= 0 || initials.indexOf(query) === 0;
  }
  function showChosen() {
    var picked = document.querySelector('input[name="category_pick"]:checked');
    chosen.textContent = picked ? picked.parentNode.textContent.trim() : "";
  }
  document.querySelectorAll('input[name="category_pick"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      hidden.value = radio.value;
      showChosen();
      hidden.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });
  search.addEventListener("input", function () {
    var query = normal(search.value);
    groups.forEach(function (group) {
      var groupHit = query && matches(group, query);
      var any = false;
      group.querySelectorAll(".tree-option").forEach(function (option) {
        var hit = !query || groupHit || matches(option, query);
        option.parentNode.hidden = !hit;
        any = any || hit;
      });
      group.hidden = !any;
      group.open = Boolean(query) && any;
    });
  });
  // The browser restores the ticked radio on "back" but may not restore the hidden input.
  function syncPicked() {
    var picked = document.querySelector('input[name="category_pick"]:checked');
    if (picked && hidden.value !== picked.value) {
      hidden.value = picked.value;
    }
    showChosen();
  }
  syncPicked();
  window.addEventListener("pageshow", syncPicked);

  // --- places -----------------------------------------------------------------------------
  var placeInput = document.getElementById("place-search");
  var results = document.getElementById("place-results");
  var lat = document.getElementById("id_lat");
  var lng = document.getElementById("id_lng");
  var address = document.getElementById("id_address");
  var ticket = 0;
  function choose(place) {
    lat.value = Number(place.lat).toFixed(6);
    lng.value = Number(place.lng).toFixed(6);
    if (address && !address.value) {
      address.value = place.name;
    }
    results.hidden = true;
    placeInput.value = place.name;
    lat.dispatchEvent(new Event("change", { bubbles: true }));
  }
  placeInput.addEventListener("input", function () {
    var query = placeInput.value.trim();
    var mine = ++ticket;
    if (!query) {
      results.hidden = true;
      return;
    }
    fetch(config.placesUrl + "?q=" + encodeURIComponent(query), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { places: [] }; })
      .then(function (body) {
        if (mine !== ticket) {
          return;
        }
        results.textContent = "";
        if (!body.places.length) {
          var none = document.createElement("li");
          none.className = "muted";
          none.textContent = config.text.noPlace;
          results.appendChild(none);
        }
        body.places.forEach(function (place) {
          var item = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.className = "place-option";
          button.setAttribute("data-testid", "place-option");
          button.textContent = place.name;
          button.addEventListener("click", function () { choose(place); });
          item.appendChild(button);
          results.appendChild(item);
        });
        results.hidden = false;
      })
      .catch(function () {});
  });
})();

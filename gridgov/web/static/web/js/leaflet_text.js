/* Leaflet's own texts (the zoom buttons' tooltips, the attribution's prefix, a marker's alt
   text, the popup's close button) in the page's language, for every map the page makes
   afterwards. The translations come from partials/_leaflet.html, which loads Leaflet and then
   this file before any page script creates a map. */
(function () {
  "use strict";
  var source = document.getElementById("leaflet-text");
  if (!window.L || !source) {
    return;
  }
  var text = JSON.parse(source.textContent);
  var L = window.L;
  var title = String(text.library).replace(/[&<>"']/g, function (ch) {
    return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
  });
  L.Control.Zoom.mergeOptions({ zoomInTitle: text.zoomIn, zoomOutTitle: text.zoomOut });
  L.Control.Attribution.mergeOptions({ prefix: '<a href="https://leafletjs.com" title="' + title + '">Leaflet</a>' });
  L.Marker.mergeOptions({ alt: text.marker });
  L.Map.addInitHook(function () {
    this.on("popupopen", function (event) {
      var element = event.popup.getElement();
      var button = element && element.querySelector(".leaflet-popup-close-button");
      if (button) {
        button.setAttribute("aria-label", text.closePopup);
        button.setAttribute("title", text.closePopup);
      }
    });
  });
})();

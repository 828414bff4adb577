/* Case statistics: the trend chart (a click opens the cases of a point) and the hotspot map.
   Their data come with the parts of the page that htmx loads after it: #stats-data (the
   trend) and #stats-map-data (the map); no inline script (CSP). */
(function () {
  "use strict";

  var drawn = {};
  // Calls draw(element, data) once, when the element, its data (a JSON script) and the library
  // are all there.
  function once(elementId, dataId, library, draw) {
    var element = document.getElementById(elementId);
    var source = document.getElementById(dataId);
    if (drawn[elementId] || !element || !source || !library) {
      return;
    }
    drawn[elementId] = true;
    draw(element, JSON.parse(source.textContent));
  }

  function drawTrend(trend, data) {
    var colors = { reported: "#1d63b8", registered: "#e89b24", closed_in: "#2e8540" };
    var chart = window.echarts.init(trend, null, { renderer: "svg" });
    var series = Object.keys(data.trend.series).map(function (code) {
      return {
        name: data.trend.labels[code],
        type: "line",
        data: data.trend.series[code],
        showSymbol: data.trend.x.length <= 40,
        itemStyle: { color: colors[code] },
        cursor: "pointer"
      };
    });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
      legend: { top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.trend.x, boundaryGap: false },
      yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#e3e8ef" } } },
      series: series
    });
    chart.on("click", function (params) {
      if (params.data && params.data.url) {
        window.location.href = params.data.url;
      }
    });
    window.addEventListener("resize", function () {
      chart.resize();
    });
  }

  function drawMap(element, map) {
    var leaflet = window.L.map(element, { zoomSnap: 0.25, attributionControl: Boolean(map.tileUrl) });
    // A view first: vector layers cannot be drawn on a map without one.
    leaflet.setView([39.1, 117.2], 12);
    if (map.tileUrl) {
      window.L.tileLayer(map.tileUrl, { attribution: map.tileAttribution || "", maxZoom: 19 }).addTo(leaflet);
    }
    var bounds = window.L.latLngBounds([]);
    map.grids.forEach(function (grid) {
      var layer = window.L.geoJSON(grid.boundary, {
        style: { color: "#5b6b7f", weight: 1, fillColor: "#dfe6ee", fillOpacity: 0.35 }
      }).bindTooltip(grid.name, { sticky: true });
      layer.addTo(leaflet);
      bounds.extend(layer.getBounds());
    });
    map.points.forEach(function (point) {
      var circle = window.L.circleMarker([point.lat, point.lng], {
        radius: point.repeat ? 9 : 7,
        stroke: point.repeat,
        color: "#b42318",
        weight: 2,
        fillColor: point.repeat ? "#d64541" : "#e8590c",
        fillOpacity: 0.22
      });
      var link = document.createElement("a");
      link.href = point.url;
      link.textContent = point.number;
      var box = document.createElement("div");
      box.appendChild(link);
      box.appendChild(document.createTextNode(" " + point.category + (point.repeat ? " · " + map.text.repeat : "")));
      circle.bindPopup(box);
      circle.addTo(leaflet);
      bounds.extend([point.lat, point.lng]);
    });
    if (bounds.isValid()) {
      leaflet.fitBounds(bounds, { padding: [12, 12] });
    }
  }
  function draw() {
    once("chart-trend", "stats-data", window.echarts, drawTrend);
    once("stats-map", "stats-map-data", window.L, drawMap);
  }
  document.body.addEventListener("htmx:afterSettle", draw);
  draw();
})();

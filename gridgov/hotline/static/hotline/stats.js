/* Hotline statistics: the period picker and the three charts (data in #stats-data). */
(function () {
  "use strict";

  var kind = document.getElementById("id_period");
  if (kind) {
    var toggle = function () {
      document.querySelectorAll(".stats-period [data-kinds]").forEach(function (field) {
        field.hidden = field.getAttribute("data-kinds").split(" ").indexOf(kind.value) < 0;
      });
    };
    kind.addEventListener("change", toggle);
    toggle();
  }

  var source = document.getElementById("stats-data");
  if (!source || !window.echarts) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var font = getComputedStyle(document.body).fontFamily;
  var charts = [];
  var grid = { left: 8, right: 24, top: 36, bottom: 8, containLabel: true };

  var daily = document.getElementById("chart-daily");
  if (daily) {
    var line = window.echarts.init(daily, null, { renderer: "svg" });
    line.setOption({
      animation: false,
      textStyle: { fontFamily: font },
      grid: grid,
      legend: { top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.days, boundaryGap: false },
      yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#e3e8ef" } } },
      series: [
        { name: data.labels.received, type: "line", data: data.received, showSymbol: false, itemStyle: { color: "#1d63b8" } },
        { name: data.labels.replied, type: "line", data: data.replied, showSymbol: false, itemStyle: { color: "#2e8540" } }
      ]
    });
    charts.push(line);
  }

  var departments = document.getElementById("chart-departments");
  if (departments) {
    var names = data.departments.names;
    departments.style.height = Math.max(200, names.length * 44 + 60) + "px";
    var bars = window.echarts.init(departments, null, { renderer: "svg" });
    bars.setOption({
      animation: false,
      textStyle: { fontFamily: font },
      grid: grid,
      legend: { top: 0 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" }, splitLine: { lineStyle: { color: "#e3e8ef" } } },
      yAxis: { type: "category", inverse: true, data: names, axisTick: { show: false } },
      series: [
        { name: data.labels.reply, type: "bar", data: data.departments.reply, barMaxWidth: 14, itemStyle: { color: "#1d63b8" } },
        { name: data.labels.draft, type: "bar", data: data.departments.draft, barMaxWidth: 14, itemStyle: { color: "#e89b24" } }
      ]
    });
    charts.push(bars);
  }

  var ratings = document.getElementById("chart-ratings");
  if (ratings) {
    var colors = { satisfied: "#2e8540", basically_satisfied: "#8cc152", dissatisfied: "#d64541" };
    var pie = window.echarts.init(ratings, null, { renderer: "svg" });
    pie.setOption({
      animation: false,
      textStyle: { fontFamily: font },
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { bottom: 0 },
      series: [
        {
          name: data.labels.ratings,
          type: "pie",
          radius: ["35%", "65%"],
          center: ["50%", "45%"],
          label: { formatter: "{b}\n{c}" },
          data: data.ratings.filter(function (item) {
            return item.value > 0;
          }).map(function (item) {
            return { name: item.name, value: item.value, itemStyle: { color: colors[item.code] } };
          })
        }
      ]
    });
    charts.push(pie);
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) {
      chart.resize();
    });
  });
})();

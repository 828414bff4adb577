/* Home page: households per village (or per grid) as a horizontal bar chart. */
(function () {
  "use strict";
  var holder = document.getElementById("households-chart");
  var source = document.getElementById("households-data");
  if (!holder || !source || !window.echarts) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var count = data.names.length;
  holder.style.height = Math.max(180, count * 30 + 50) + "px";
  var chart = window.echarts.init(holder, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
    grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    xAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: "#e3e8ef" } } },
    yAxis: {
      type: "category",
      inverse: true,
      data: data.names,
      axisTick: { show: false },
      axisLabel: { color: "#33404f", fontSize: 13 }
    },
    series: [
      {
        type: "bar",
        data: data.values,
        barMaxWidth: 18,
        itemStyle: { color: "#1d63b8", borderRadius: [0, 3, 3, 0] },
        label: { show: true, position: "right", color: "#33404f" }
      }
    ]
  });
  window.addEventListener("resize", function () {
    chart.resize();
  });
})();

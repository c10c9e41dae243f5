/* GovShare console: the home dashboard's charts, drawn with the vendored ECharts from the numbers in
   the page's <script type="application/json" id="dashboard-data"> block. Without JavaScript (or
   without ECharts) the tables with the same numbers are the whole story; with charts drawn, the
   per-day table is folded away (still one click away). */
(function () {
  "use strict";

  function draw() {
    var block = document.getElementById("dashboard-data");
    if (!block || !window.echarts) { return; }
    var data;
    try { data = JSON.parse(block.textContent); } catch (e) { return; }
    var palette = ["#1f5fa8", "#d9822b"];

    function chart(name, option) {
      var box = document.querySelector("[data-chart=" + name + "]");
      if (!box) { return; }
      box.hidden = false;
      var instance = window.echarts.init(box, null, { renderer: "svg" });
      instance.setOption(option);
      window.addEventListener("resize", function () { instance.resize(); });
    }

    function series(list, type) {
      return list.map(function (s, i) {
        return { name: s.name, type: type, data: s.data, color: palette[i % palette.length],
                 showSymbol: false };
      });
    }

    var base = { animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 },
                 grid: { left: 48, right: 16, top: 36, bottom: 28 },
                 yAxis: { type: "value", minInterval: 1 } };
    chart("daily", Object.assign({}, base, {
      xAxis: { type: "category", data: data.days, boundaryGap: false },
      series: series(data.series, "line")
    }));
    chart("methods", Object.assign({}, base, {
      xAxis: { type: "category", data: data.methods.labels },
      series: series(data.methods.series, "bar")
    }));
    var table = document.querySelector("details.chart-table");
    if (table) { table.open = false; }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();

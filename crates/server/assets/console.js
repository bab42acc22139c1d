// The console dashboard's charts (docs/web.md, "Operator console"). The page holds no inline
// script: this file reads the data URL from the #charts element, fetches the figures as JSON and
// draws each [data-chart] with ECharts.
(function () {
  "use strict";
  function draw(el, option) {
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function bars(title, labels, values, color) {
    return {
      title: { text: title, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 16, top: 40, bottom: 28 },
      xAxis: { type: "category", data: labels },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: values, itemStyle: { color: color } }],
    };
  }
  function start() {
    var root = document.getElementById("charts");
    if (!root || !window.echarts) { return; }
    fetch(root.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        var amount = d.amount.map(Number);
        var revenue = d.revenue.map(Number);
        var hours = d.by_hour.map(function (_, h) { return String(h); });
        root.querySelectorAll("[data-chart]").forEach(function (el) {
          var which = el.getAttribute("data-chart");
          if (which === "registrations") {
            draw(el, bars(d.labels.registrations, d.days, d.registrations, "#c8102e"));
          } else if (which === "payments") {
            var o = bars(d.labels.payments, d.days, d.payments, "#1f6feb");
            o.yAxis = [{ type: "value", minInterval: 1 }, { type: "value" }];
            o.legend = { top: 0, right: 0, data: [d.labels.payments, d.labels.amount] };
            o.series[0].name = d.labels.payments;
            o.series.push({ name: d.labels.amount, type: "line", yAxisIndex: 1, data: amount, itemStyle: { color: "#17753c" } });
            draw(el, o);
          } else if (which === "revenue") {
            var r = bars(d.labels.revenue, d.days, revenue, "#9e0b23");
            r.yAxis = { type: "value" };
            draw(el, r);
          } else if (which === "by_hour") {
            draw(el, bars(d.labels.by_hour, hours, d.by_hour, "#6b6b70"));
          }
        });
        root.setAttribute("data-ready", "1");
      });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

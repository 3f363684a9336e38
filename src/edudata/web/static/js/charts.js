// Charts drawn by Apache ECharts (vendored from the npm registry: /static/vendor/echarts.common.min.js) from the
// data a page puts on its container: <div class="chart" data-chart='{"kind":"line","x":[…],"series":[{"name":…,
// "data":[…]}],"unit":"%","y_name":"…"}'>. The container's own content (an SVG or a table) stays when scripts are
// off. A file, not an inline script: the CSP allows scripts from the app only. Text is dark on white (contrast).
document.addEventListener("DOMContentLoaded", function () {
  if (typeof echarts === "undefined") return;
  var ink = "#1d2733", line = "#5b6775", colours = ["#0b5cad", "#b3261e", "#1e7b34", "#8a5300"];
  document.querySelectorAll(".chart[data-chart]").forEach(function (box) {
    var spec;
    try { spec = JSON.parse(box.dataset.chart); } catch (e) { return; }
    var unit = spec.unit || "";
    var bars = spec.kind === "bar";
    var category = { type: "category", data: spec.x, axisLabel: { color: ink, interval: 0, hideOverlap: true },
                     axisLine: { lineStyle: { color: line } } };
    var value = { type: "value", name: spec.y_name || "", nameTextStyle: { color: ink },
                  axisLabel: { color: ink, formatter: "{value}" + unit }, splitLine: { lineStyle: { color: "#d5dbe2" } } };
    // Bar charts name units, elements and checks on the left: long names wrap within 13 em instead of being cut
    // at the edge of the chart, and the grid makes room for them (containLabel).
    if (bars) category.axisLabel = Object.assign({}, category.axisLabel, { width: 208, overflow: "break" });
    if (spec.max !== undefined) value.max = spec.max;
    // Counts are whole numbers: no 0.2 … 0.8 ticks on a chart of one finding.
    var whole = spec.series.every(function (s) { return s.data.every(function (v) { return Number.isInteger(v); }); });
    if (whole) value.minInterval = 1;
    box.replaceChildren();
    box.style.height = (bars ? Math.max(160, 34 * spec.x.length + 60) : 300) + "px";
    var chart = echarts.init(box, null, { renderer: "svg" });
    chart.setOption({
      color: colours,
      textStyle: { color: ink, fontFamily: "Noto Sans CJK SC, Microsoft YaHei, sans-serif" },
      aria: { enabled: true },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + unit; } },
      legend: spec.series.length > 1 ? { textStyle: { color: ink } } : undefined,
      grid: { left: bars ? 8 : 56, right: 48, top: spec.series.length > 1 ? 40 : 24, bottom: 48, containLabel: true },
      xAxis: bars ? value : category,
      yAxis: bars ? Object.assign({}, category, { inverse: true }) : value,
      series: spec.series.map(function (s) {
        return { name: s.name, type: bars ? "bar" : "line", data: s.data, symbolSize: 7,
                 label: { show: true, position: bars ? "right" : "top", color: ink, formatter: "{c}" + unit } };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
});

// 联动 — the leadership overview: fetch the figures, draw them with the vendored ECharts, refresh.
(function () {
  "use strict";
  var charts = {};

  function chart(name, option, dark) {
    var el = document.querySelector('[data-chart="' + name + '"]');
    if (!el || !window.echarts) return;
    if (!charts[name]) charts[name] = window.echarts.init(el, dark ? "dark" : null);
    option.backgroundColor = "transparent";
    charts[name].setOption(option, true);
  }

  function bars(names, values, color) {
    return {
      tooltip: { trigger: "axis" },
      grid: { left: 90, right: 20, top: 10, bottom: 30 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: names, inverse: true },
      series: [{ type: "bar", data: values, itemStyle: { color: color } }]
    };
  }

  function draw(data, dark) {
    Object.keys(data.counts).forEach(function (k) {
      var el = document.querySelector('[data-count="' + k + '"]');
      if (el) el.textContent = data.counts[k];
    });
    var at = document.getElementById("overview-at");
    if (at) at.textContent = "更新于 " + data.at.slice(5, 16).replace("T", " ");
    chart("volume", {
      tooltip: { trigger: "axis" },
      grid: { left: 40, right: 20, top: 20, bottom: 30 },
      xAxis: { type: "category", data: data.volume.days },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "line", smooth: true, areaStyle: {}, data: data.volume.values, itemStyle: { color: "#0b3d91" } }]
    }, dark);
    chart("categories", {
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "70%"], data: data.categories, label: { formatter: "{b} {c}" } }]
    }, dark);
    chart("late_units", bars(
      data.late_units.map(function (u) { return u.name; }),
      data.late_units.map(function (u) { return u.value; }), "#c62828"), dark);
    chart("trend", {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
      grid: { left: 40, right: 20, top: 20, bottom: 30 },
      xAxis: { type: "category", data: data.trend.map(function (w) { return w.week; }) },
      yAxis: { type: "value", min: 0, max: 100 },
      series: [{ type: "line", data: data.trend.map(function (w) { return w.sign_rate; }), itemStyle: { color: "#2e7d32" } }]
    }, dark);
    var boundaries = document.getElementById("district-map");
    if (boundaries && window.echarts) {
      if (!window.echarts.getMap("district")) {
        window.echarts.registerMap("district", JSON.parse(boundaries.textContent));
      }
      var wide = document.querySelector('[data-chart="map"]').clientWidth > 480;
      var top = Math.max.apply(null, data.streets.map(function (s) { return s.value; }).concat([1]));
      chart("map", {
        tooltip: { trigger: "item", formatter: function (p) { return p.name + "：" + (p.value || 0) + " 起"; } },
        visualMap: {
          min: 0, max: top, left: 10, bottom: 10, calculable: true, text: ["多", "少"],
          inRange: { color: dark ? ["#1e3a5f", "#f5a623", "#e53935"] : ["#e3f2fd", "#ffb74d", "#c62828"] },
          textStyle: { color: dark ? "#ddd" : "#333" }
        },
        series: [{
          type: "map", map: "district", nameProperty: "name", roam: false,
          label: { show: wide, fontSize: 11, color: dark ? "#fff" : "#222",
                   formatter: function (p) { return p.name.replace("街道", ""); } },
          emphasis: { label: { show: true } },
          data: data.streets.map(function (s) { return { name: s.name, value: s.value }; })
        }]
      }, dark);
    }
    var grid = document.getElementById("streets");
    if (grid) {
      var most = Math.max.apply(null, data.streets.map(function (s) { return s.value; }).concat([1]));
      grid.innerHTML = "";
      data.streets.forEach(function (s) {
        var tile = document.createElement("div");
        tile.className = "street";
        tile.style.setProperty("--heat", (s.value / most).toFixed(2));
        tile.innerHTML = '<span class="name"></span><span class="value"></span>';
        tile.querySelector(".name").textContent = s.name.replace("街道", "");
        tile.querySelector(".value").textContent = s.value;
        grid.appendChild(tile);
      });
    }
  }

  function start() {
    var root = document.getElementById("overview");
    if (!root) return;
    var dark = root.dataset.theme === "dark";
    function load() {
      fetch(root.dataset.source, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) {
          // the session ended (idle time limit): back to the login page, not a stale screen
          if (r.status === 401 && r.headers.get("X-Liandong-Session") === "expired") {
            window.location.reload();
            return null;
          }
          return r.ok ? r.json() : null;
        })
        .then(function (data) { if (data) draw(data, dark); })
        .catch(function () { /* try again at the next refresh */ });
    }
    load();
    setInterval(load, parseFloat(root.dataset.every || "30") * 1000);
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", start);
})();

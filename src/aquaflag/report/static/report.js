/* aquaflag report: the page's own script (tables, heat map, start-up); charts.js draws the charts. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("aquaflag-data").textContent);
  var T = D.t;
  var C = window.AquaflagCharts;
  var esc = C.esc, fill = C.fill, fmtNum = C.fmtNum;
  var FLAGNAME = C.flagNames(T);

  function drawHeat() {
    var H = D.heat, div = document.getElementById("heatmap");
    var zmax = 0, cd = [];
    H.z.forEach(function (row, r) {
      row.forEach(function (v) { if (v > zmax) zmax = v; });
      cd.push(row.map(function (v, m) {
        return [esc(H.cols[r]), esc(T.suspect) + " " + H.zs[r][m] + " · " + esc(T.fail) + " " + H.zf[r][m]];
      }));
    });
    // long names (Korean names of 80+ characters) are cut on the axis, whole on hover;
    // rows are placed by number, so two names that read alike after the cut stay apart
    var names = H.cols.map(function (s) { return esc(s.length > 48 ? s.slice(0, 47) + "\u2026" : s); });
    var rows = H.cols.map(function (s, i) { return i; });
    var trace = {
      type: "heatmap", z: H.z, x: H.months, y: rows, customdata: cd, zmin: 0, zmax: Math.max(zmax, 1),
      colorscale: [[0, "#ffffff"], [1e-9, "#fdc58f"], [0.4, "#f28e2b"], [0.75, "#d62728"], [1, "#7f0000"]],
      xgap: 1, ygap: 1,
      colorbar: {thickness: 12, outlinewidth: 0, tickformat: "d", dtick: Math.max(1, Math.ceil(zmax / 5))},
      hovertemplate: "%{customdata[0]}<br>%{x}: <b>%{z}</b> " + esc(T.flagged_n) + "<br>%{customdata[1]}<extra></extra>"
    };
    var layout = {
      height: Math.max(220, 110 + 24 * names.length), margin: {l: 16, r: 16, t: 30, b: 56},
      font: {family: D.font, size: 12}, paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff",
      xaxis: {type: "category", automargin: true, tickangle: -45},
      yaxis: {type: "linear", autorange: "reversed", automargin: true, tickmode: "array",
              tickvals: rows, ticktext: names, showgrid: false, zeroline: false}
    };
    return Plotly.newPlot(div, [trace], layout, C.config);
  }

  function drawMain(j) {
    return C.drawColumn(document.getElementById("chart-" + j), D.columns[j], D);
  }

  function drawCompare(j) {
    return C.drawCompare(document.getElementById("compare-chart"), D.columns[j], D);
  }

  function setupCompare() {
    var sel = document.getElementById("compare-column");
    if (!sel) return null;
    sel.addEventListener("change", function () { drawCompare(+sel.value); });
    return function () { return drawCompare(+sel.value); };
  }

  function setupTable() {
    var table = document.getElementById("flag-table");
    if (!table) return;
    var rows = D.table.rows, LIMIT = 1000;
    var tbody = table.tBodies[0], input = document.getElementById("flag-filter");
    var count = document.getElementById("flag-count");
    var hay = rows.map(function (r) {
      return [D.columns[r[0]].name, r[1], fmtNum(r[2]), D.rules[r[3]].label, FLAGNAME[r[4]]].join(" \u0001 ").toLowerCase();
    });
    var keys = [
      function (r) { return r[0] * 1e12 + r[8]; }, function (r) { return r[8]; },
      function (r) { return r[2]; }, function (r) { return r[3]; }, function (r) { return r[4]; },
      function (r) { return r[5]; }, function (r) { return r[6]; }, function (r) { return r[7]; }
    ];
    var order = rows.map(function (r, i) { return i; }), sortK = -1, dir = 1;
    function cell(tr, text, cls) {
      var td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      tr.appendChild(td);
      return td;
    }
    function render() {
      var q = input.value.trim().toLowerCase(), match = [];
      for (var n = 0; n < order.length; n++) {
        var i = order[n];
        if (!q || hay[i].indexOf(q) >= 0) match.push(i);
      }
      var frag = document.createDocumentFragment();
      match.slice(0, LIMIT).forEach(function (i) {
        var r = rows[i], tr = document.createElement("tr");
        var td = document.createElement("td"), a = document.createElement("a");
        a.href = "#col-" + r[0];
        a.textContent = D.columns[r[0]].name;
        td.appendChild(a);
        tr.appendChild(td);
        cell(tr, r[1], "");
        cell(tr, fmtNum(r[2]), "num");
        cell(tr, D.rules[r[3]].label, "");
        cell(tr, FLAGNAME[r[4]], "flag-" + r[4]);
        cell(tr, fmtNum(r[5]), "num");
        cell(tr, fmtNum(r[6]), "num");
        cell(tr, fmtNum(r[7]), "num");
        frag.appendChild(tr);
      });
      tbody.textContent = "";
      tbody.appendChild(frag);
      var shown = Math.min(match.length, LIMIT);
      count.textContent = match.length > LIMIT
        ? fill(T.table_more, {shown: shown.toLocaleString("en-US"), total: match.length.toLocaleString("en-US")})
        : fill(T.table_count, {shown: shown.toLocaleString("en-US"), total: rows.length.toLocaleString("en-US")});
    }
    var ths = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(ths, function (th) {
      th.querySelector("button").addEventListener("click", function () {
        var k = +th.getAttribute("data-k");
        dir = (sortK === k) ? -dir : 1;
        sortK = k;
        var key = keys[k];
        order = rows.map(function (r, i) { return i; });
        order.sort(function (a, b) {
          var x = key(rows[a]), y = key(rows[b]);
          if (x === null && y === null) return a - b;
          if (x === null) return 1;
          if (y === null) return -1;
          return x < y ? -dir : x > y ? dir : a - b;
        });
        Array.prototype.forEach.call(ths, function (h) {
          h.setAttribute("aria-sort", "none");
          h.querySelector(".arrow").textContent = "";
        });
        th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
        th.querySelector(".arrow").textContent = dir > 0 ? "\u25B2" : "\u25BC";
        render();
      });
    });
    input.addEventListener("input", render);
    render();
  }

  function start() {
    setupTable();
    var tasks = [];
    if (D.heat) tasks.push(drawHeat);
    D.columns.forEach(function (c, j) { tasks.push(function () { return drawMain(j); }); });
    var cmp = setupCompare();
    if (cmp) tasks.push(cmp);
    var p = Promise.resolve();
    tasks.forEach(function (task) {
      p = p.then(function () { return new Promise(function (res) { setTimeout(res, 0); }); }).then(task);
    });
    p.then(function () {
      document.body.setAttribute("data-rendered", "true");
    }, function (err) {
      document.body.setAttribute("data-rendered", "error");
      console.error("aquaflag report: a chart failed to draw:", err);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

/* aquaflag charts: plotly figures from the chart payload of aquaflag.report.charts.
 *
 * window.AquaflagCharts.drawColumn(div, c, M) draws one column payload ``c``;
 * drawCompare(div, c, M) draws one panel per rule. ``M`` is the meta part
 * (ChartData.meta(): strings ``t``, colours, font, x axis format, rules). The
 * static report and a review server that re-fetches payloads on zoom use the
 * same functions. Every string taken from the data is passed to plotly escaped.
 */
(function (root) {
  "use strict";
  var PALETTE = ["#1f77b4", "#9467bd", "#17becf", "#8c564b", "#2ca02c", "#e377c2", "#bcbd22", "#393b79"];
  var OFF_COLOR = "#8b0000";
  var CONFIG = {responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"]};

  // Text handed to plotly is shown as text: plotly reads a few HTML tags, so escape them.
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function fill(s, o) {
    return String(s).replace(/\{(\w+)\}/g, function (m, k) { return k in o ? o[k] : m; });
  }
  function fmtNum(v) {
    if (v === null || v === undefined) return "";
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e7 || a < 1e-4)) return v.toPrecision(4);
    return String(+v.toPrecision(6));
  }
  function withGaps(arr, gaps) {
    if (!gaps.length) return arr.slice();
    var out = [], g = 0;
    for (var i = 0; i < arr.length; i++) {
      if (g < gaps.length && gaps[g] === i) { out.push(null); g++; }
      out.push(arr[i]);
    }
    return out;
  }
  function flagNames(T) { return {1: T.good, 2: T.not_evaluated, 3: T.suspect, 4: T.fail, 9: T.missing}; }
  function ruleColor(k) { return PALETTE[k % PALETTE.length]; }
  function codeOf(R, k) { return Array.isArray(R.g) ? R.g[k] : R.g; }
  function xhover(M) { return M.is_time ? "%{x|" + M.xfmt + "}" : "%{x}"; }
  // -1 below the scale, 1 above, 0 inside (or no scale)
  function side(c, i) {
    var y = c.y[i];
    if (!c.yr || y === null) return 0;
    return y > c.yr[1] ? 1 : y < c.yr[0] ? -1 : 0;
  }

  function hoverLines(c, M, rules) {
    var m = {}, FLAG = flagNames(M.t);
    (rules || c.rules).forEach(function (R) {
      var lab = esc(R.label);
      R.h.forEach(function (i, k) {
        var s = R.s[k];
        var line = lab + " (" + esc(FLAG[codeOf(R, k)]) +
          (s === null ? "" : ", " + esc(M.t.score) + " " + fmtNum(s)) + ")";
        (m[i] = m[i] || []).push(line);
      });
    });
    return m;
  }

  function lineTrace(c, M, ax, showlegend) {
    var many = c.x.length > M.max_markers, T = M.t;
    // values outside the scale are drawn at the edge as triangles, not as spikes of the line
    var y = c.yr ? c.y.map(function (v, i) { return side(c, i) ? null : v; }) : c.y;
    return {
      type: "scatter", mode: many ? "lines" : "lines+markers", name: esc(T.series),
      x: withGaps(c.x, c.gaps), y: withGaps(y, c.gaps), xaxis: "x" + ax, yaxis: "y" + ax,
      line: {color: M.colors["1"], width: 1}, marker: {color: M.colors["1"], size: 3},
      showlegend: showlegend, legendgroup: "values",
      hovertemplate: xhover(M) + "<br>" + esc(T.value) + ": %{y:.7~g}<extra>" + esc(T.good) + "</extra>"
    };
  }

  function boundTraces(c, M, R, ax, color, showlegend) {
    var out = [], label = esc(R.label), first = true, T = M.t;
    [["lo", T.lower], ["hi", T.upper]].forEach(function (sd) {
      var b = R[sd[0]], x, y;
      if (b === null || b === undefined || !c.x.length) return;
      if (typeof b === "number") { x = [c.x[0], c.x[c.x.length - 1]]; y = [b, b]; }
      else { x = withGaps(c.x, c.gaps); y = withGaps(b, c.gaps); }
      out.push({
        type: "scatter", mode: "lines", x: x, y: y, xaxis: "x" + ax, yaxis: "y" + ax,
        name: label + " " + esc(T.bounds), legendgroup: "b" + R.r, showlegend: showlegend && first,
        line: {color: color, width: 1.2, dash: "dash"},
        hovertemplate: label + " " + esc(sd[1]) + ": %{y:.6~g}<extra></extra>"
      });
      first = false;
    });
    return out;
  }

  function pointTrace(c, M, rows, code, hov, ax, name, showlegend) {
    var xs = [], ys = [], cd = [], T = M.t;
    rows.forEach(function (i) { xs.push(c.x[i]); ys.push(c.y[i]); cd.push((hov[i] || []).join("<br>")); });
    var ne = code === 2;
    return {
      type: "scatter", mode: "markers", name: name, x: xs, y: ys, customdata: cd,
      xaxis: "x" + ax, yaxis: "y" + ax, showlegend: showlegend, legendgroup: "f" + code,
      marker: {color: M.colors[String(code)], size: ne ? 4 : 7, line: {width: ne ? 0 : 0.6, color: "#ffffff"}},
      hovertemplate: "<b>" + xhover(M) + "</b><br>" + esc(T.value) + ": %{y:.7~g}<br>" + esc(T.flag) + ": " +
        esc(flagNames(T)[code]) + (ne ? "" : "<br>%{customdata}") + "<extra></extra>"
    };
  }

  // Flagged values outside the y scale (logger sentinels): a triangle at the edge, the true value on hover.
  function offTrace(c, M, rows, hov, ax, showlegend) {
    var xs = [], ys = [], cd = [], sym = [], T = M.t, FLAG = flagNames(T);
    rows.forEach(function (i) {
      var up = side(c, i) > 0;
      xs.push(c.x[i]);
      ys.push(up ? c.edge[1] : c.edge[0]);
      sym.push(up ? "triangle-up" : "triangle-down");
      cd.push([fmtNum(c.y[i]), esc(FLAG[c.f[i]] || ""), (hov[i] || []).join("<br>")]);
    });
    return {
      type: "scatter", mode: "markers", name: esc(T.off_scale) + " (" + rows.length + ")",
      x: xs, y: ys, customdata: cd, xaxis: "x" + ax, yaxis: "y" + ax, showlegend: showlegend,
      legendgroup: "off", cliponaxis: false,
      marker: {color: OFF_COLOR, size: 10, symbol: sym, line: {width: 0.6, color: "#ffffff"}},
      hovertemplate: "<b>" + xhover(M) + "</b><br>" + esc(T.value) + ": %{customdata[0]} (" +
        esc(T.off_scale_hover) + ")<br>" + esc(T.flag) + ": %{customdata[1]}<br>%{customdata[2]}<extra></extra>"
    };
  }

  function baseLayout(M, height) {
    return {
      height: height, margin: {l: 64, r: 16, t: 8, b: 36}, font: {family: M.font, size: 12},
      hovermode: "closest", paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff",
      legend: {orientation: "h", x: 0, y: -0.14, yanchor: "top"},
      hoverlabel: {font: {family: M.font}}
    };
  }
  function xaxis(M, extra) {
    var a = {type: M.is_time ? "date" : "linear", gridcolor: "#eeeeee", zeroline: false, showline: true, linecolor: "#cccccc"};
    for (var k in extra) a[k] = extra[k];
    return a;
  }
  function yaxis(c, extra) {
    var a = {gridcolor: "#eeeeee", zeroline: false, showline: true, linecolor: "#cccccc", automargin: true};
    if (c.yr) { a.range = c.yr.slice(); }
    if (c.unit) a.title = {text: esc(c.unit)};
    for (var k in extra) a[k] = extra[k];
    return a;
  }

  function emptyNote(div, text) {
    var p = document.createElement("p");
    p.className = "empty";
    p.textContent = text;
    div.appendChild(p);
  }

  function offRows(c) {
    var out = [];
    for (var i = 0; i < c.y.length; i++) { if (side(c, i)) out.push(i); }
    return out;
  }

  function columnFigure(c, M) {
    var hov = hoverLines(c, M), byCode = {2: [], 3: [], 4: []}, FLAG = flagNames(M.t);
    for (var i = 0; i < c.f.length; i++) { if (byCode[c.f[i]] && !side(c, i)) byCode[c.f[i]].push(i); }
    var traces = [lineTrace(c, M, "", true)];
    [2, 3, 4].forEach(function (code) {
      if (!byCode[code].length) return;
      var name = esc(FLAG[code]) + (code === 2 ? "" : " (" + byCode[code].length + ")");
      traces.push(pointTrace(c, M, byCode[code], code, hov, "", name, true));
    });
    var off = offRows(c);
    if (off.length) traces.push(offTrace(c, M, off, hov, "", true));
    c.rules.forEach(function (R) { traces = traces.concat(boundTraces(c, M, R, "", ruleColor(R.r), true)); });
    var layout = baseLayout(M, 340);
    layout.xaxis = xaxis(M, c.window ? {range: c.window.slice()} : {});
    layout.yaxis = yaxis(c, {});
    return {traces: traces, layout: layout};
  }

  function drawColumn(div, c, M) {
    if (!c.x.length) { emptyNote(div, M.t.no_values); return Promise.resolve(); }
    var fig = columnFigure(c, M);
    return Plotly.react(div, fig.traces, fig.layout, CONFIG);
  }

  function drawCompare(div, c, M) {
    var n = c.rules.length, cols = n <= 3 ? 1 : 2, rows = Math.ceil(n / cols), FLAG = flagNames(M.t);
    var traces = [], ann = [], off = offRows(c);
    var layout = baseLayout(M, 90 + 210 * rows);
    layout.grid = {rows: rows, columns: cols, pattern: "independent", roworder: "top to bottom",
                   xgap: 0.06, ygap: 0.28 / Math.max(rows - 1, 1) + 0.1};
    layout.margin.t = 28;
    layout.legend.y = -0.35 / rows;
    var shown = {};
    c.rules.forEach(function (R, k) {
      var ax = k === 0 ? "" : String(k + 1);
      traces.push(lineTrace(c, M, ax, k === 0));
      var hov = hoverLines(c, M, [R]);
      [3, 4].forEach(function (code) {
        var rowsOf = R.h.filter(function (i, q) { return codeOf(R, q) === code && !side(c, i); });
        if (!rowsOf.length) return;
        traces.push(pointTrace(c, M, rowsOf, code, hov, ax, esc(FLAG[code]), !shown[code]));
        shown[code] = true;
      });
      if (off.length) traces.push(offTrace(c, M, off, hov, ax, k === 0));
      traces = traces.concat(boundTraces(c, M, R, ax, ruleColor(R.r), true));
      layout["xaxis" + ax] = xaxis(M, k ? {matches: "x"} : {});
      layout["yaxis" + ax] = yaxis(c, k ? {matches: "y"} : {});
      ann.push({text: "<b>" + esc(R.label) + "</b>: " + R.n + " " + esc(M.t.outliers),
                xref: "x" + ax + " domain", yref: "y" + ax + " domain", x: 0, y: 1.0,
                xanchor: "left", yanchor: "bottom", showarrow: false, font: {size: 13}});
    });
    layout.annotations = ann;
    return Plotly.react(div, traces, layout, CONFIG);
  }

  root.AquaflagCharts = {
    esc: esc, fill: fill, fmtNum: fmtNum, flagNames: flagNames, config: CONFIG,
    columnFigure: columnFigure, drawColumn: drawColumn, drawCompare: drawCompare
  };
})(window);

/* aquaflag review: the pages of `aquaflag review`.
 *
 * Every text that comes from the store (series names, reviewers, reasons) is put in the page
 * with textContent or as an attribute value, never as markup; text handed to plotly goes
 * through AquaflagCharts.esc. Writes send the session's CSRF token in the X-CSRF-Token header.
 * The chart is the report's (static/charts.js, AquaflagCharts.columnFigure), re-fetched from the
 * server for the visible window at the chart's width on every zoom.
 */
(function () {
  "use strict";

  var S = {
    session: null, name: null, info: null, meta: null, chart: null, win: null, sel: null, selInfo: null,
    mode: "zoom", lastClick: null, seq: 0, draws: 0, div: null, bound: false, busy: false
  };
  // timings read by the benchmark and the browser test
  var PERF = window.__aquaflagReview = {first: null, last: null, fetches: []};
  var FLAG_NAMES = {1: "good", 2: "not evaluated", 3: "suspect", 4: "fail", 9: "missing"};

  // ------------------------------------------------------------------ small helpers
  function $(id) { return document.getElementById(id); }
  function h(tag, props, kids) {
    var e = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") e.textContent = String(v);
        else if (k === "class") e.className = v;
        else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), v);
        else if (v === true) e.setAttribute(k, "");
        else e.setAttribute(k, String(v));
      });
    }
    (kids || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
  function num(n) { return (n === null || n === undefined) ? "" : Number(n).toLocaleString("en-US"); }
  function enc(v) { return encodeURIComponent(String(v)); }
  var sayTimer = null;
  function say(text, kind) {
    var box = clear($("status"));
    if (sayTimer) { clearTimeout(sayTimer); sayTimer = null; }
    if (!text) return;
    kind = kind || "ok";
    box.appendChild(h("div", {"class": "msg " + kind}, [
      h("span", {text: text}), " ",
      h("button", {type: "button", "class": "small", "aria-label": "Close the message", text: "×",
        onclick: function () { say(null); }})
    ]));
    if (kind === "ok") sayTimer = setTimeout(function () { say(null); }, 12000);
  }
  function fail(err) {
    say(String(err && err.message ? err.message : err), "error");
    document.body.setAttribute("data-error", "true");
  }
  function range(a, b) { return (a === b || !b) ? (a || "") : a + " – " + b; }

  function api(method, path, body) {
    var opts = {method: method, credentials: "same-origin", headers: {"Accept": "application/json"}};
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    if (method !== "GET" && S.session && S.session.csrf) opts.headers["X-CSRF-Token"] = S.session.csrf;
    return fetch(path, opts).then(function (r) {
      return r.json().catch(function () { return {error: "HTTP " + r.status}; }).then(function (j) {
        if (!r.ok) {
          var e = new Error(j.error || ("HTTP " + r.status));
          e.status = r.status;
          throw e;
        }
        return j;
      });
    });
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = function () { resolve(); };
      s.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(s);
    });
  }

  function loadLibs() {
    return Promise.all([window.Plotly ? null : loadScript("/static/plotly.min.js"),
                        window.AquaflagCharts ? null : loadScript("/static/charts.js")]);
  }
  // a series page needs plotly.js (4.6 MB): start loading it before anything else
  var LIBS = location.pathname === "/series" ? loadLibs().then(function () { PERF.libs = performance.now(); }) : null;
  if (LIBS) LIBS.catch(function () {});  // reported where it is awaited

  // ------------------------------------------------------------------ start
  function boot() {
    api("GET", "/api/session").then(function (s) {
      S.session = s;
      header();
      if (s.login) return loginPage();
      if (location.pathname === "/series") {
        var name = new URLSearchParams(location.search).get("name");
        if (name !== null) return seriesPage(name);
      }
      return listPage();
    }).catch(fail);
  }

  function header() {
    var s = S.session;
    $("store").textContent = s.store_name ? "store: " + s.store_name : "";
    if (s.store) $("store").setAttribute("title", s.store);
    var who = clear($("who"));
    if (s.reviewer) {
      who.appendChild(document.createTextNode("Reviewer: "));
      who.appendChild(h("strong", {text: s.reviewer}));
      if (s.tokens) {
        who.appendChild(h("button", {type: "button", "class": "small", text: "Log out", onclick: function () {
          api("POST", "/api/logout", {}).then(function () { location.href = "/"; }).catch(fail);
        }}));
      }
    }
  }

  function page(title) {
    document.title = title + " · aquaflag review";
    return clear($("main"));
  }

  // ------------------------------------------------------------------ login
  function loginPage() {
    var main = page("Log in");
    var input = h("input", {type: "password", id: "token", autocomplete: "current-password", required: true});
    var form = h("form", {"class": "login", onsubmit: function (ev) {
      ev.preventDefault();
      api("POST", "/api/login", {token: input.value}).then(function () { location.reload(); }).catch(fail);
    }}, [
      h("h1", {text: "Log in"}),
      h("p", {"class": "muted", text: "This review server records who decides. Give the token you were given " +
        "(a line of the server's token file)."}),
      h("label", {"for": "token", text: "Reviewer token"}), input,
      h("p", null, [h("button", {type: "submit", "class": "primary", text: "Log in"})])
    ]);
    main.appendChild(form);
    input.focus();
    document.body.setAttribute("data-rendered", "true");
  }

  // ------------------------------------------------------------------ the series list
  function listPage() {
    var main = page("Series");
    main.appendChild(h("h1", {text: "Series"}));
    main.appendChild(h("p", {"class": "muted", text: "Unreviewed: suspect (3) or fail (4) values that no " +
      "decision holds yet, outside approved periods. Open a series to review it."}));
    var first = h("input", {type: "checkbox", id: "unreviewed-first", checked: true});
    var only = h("input", {type: "checkbox", id: "only-unreviewed"});
    var filter = h("input", {type: "search", id: "filter", placeholder: "name, station, variable"});
    main.appendChild(h("div", {"class": "controls"}, [
      h("label", null, [first, "Unreviewed suspect flags first"]),
      h("label", null, [only, "Only series with unreviewed flags"]),
      h("label", null, ["Filter", filter])
    ]));
    var wrap = h("div");
    main.appendChild(wrap);
    var rows = [];
    function draw() {
      var q = filter.value.trim().toLowerCase();
      var shown = rows.filter(function (r) {
        if (only.checked && !(r.unreviewed_suspect + r.unreviewed_fail)) return false;
        if (!q) return true;
        return [r.name, r.station, r.variable].some(function (t) { return t && t.toLowerCase().indexOf(q) >= 0; });
      });
      if (first.checked) {
        shown = shown.slice().sort(function (a, b) {
          var d = (b.unreviewed_suspect + b.unreviewed_fail) - (a.unreviewed_suspect + a.unreviewed_fail);
          return d || b.unreviewed_suspect - a.unreviewed_suspect;
        });
      }
      var body = h("tbody");
      shown.forEach(function (r) {
        var unrev = r.unreviewed_suspect + r.unreviewed_fail;
        body.appendChild(h("tr", null, [
          h("td", {"class": "name"}, [h("a", {href: "/series?name=" + enc(r.name), text: r.name})]),
          h("td", {text: r.station || ""}),
          h("td", {text: r.variable || ""}),
          h("td", {text: r.unit || ""}),
          h("td", {"class": "num", text: num(r.n_values)}),
          h("td", {text: range(r.first, r.last)}),
          h("td", {"class": "num " + (unrev ? "n-unrev" : "n-zero"), text: num(unrev)}),
          h("td", {"class": "num", text: num(r.unreviewed_suspect) + " / " + num(r.unreviewed_fail)}),
          h("td", {"class": "num", text: num(r.suspect + r.fail)}),
          h("td", {"class": "num", text: num(r.decided)}),
          h("td", {"class": "num", text: num(r.approved)})
        ]));
      });
      var table = h("table", {"class": "grid", id: "series-table"}, [
        h("caption", {text: shown.length + " of " + rows.length + " series"}),
        h("thead", null, [h("tr", null, ["Series", "Station", "Variable", "Unit", "Values", "Time range",
          "Unreviewed", "of which suspect / fail", "Flagged", "Decided", "Approved"].map(function (t) {
          return h("th", {scope: "col", text: t});
        }))]),
        body
      ]);
      clear(wrap).appendChild(table);
    }
    [first, only].forEach(function (e) { e.addEventListener("change", draw); });
    filter.addEventListener("input", draw);
    api("GET", "/api/series").then(function (r) {
      rows = r.series;
      draw();
      document.body.setAttribute("data-rendered", "true");
    }).catch(fail);
  }

  // ------------------------------------------------------------------ one series
  function seriesPage(name) {
    S.name = name;
    var main = page(name);
    main.appendChild(h("p", null, [h("a", {href: "/", text: "← All series"})]));
    main.appendChild(h("h1", {id: "series-name", text: name}));
    main.appendChild(h("p", {id: "series-sub", "class": "muted"}));
    main.appendChild(h("p", {id: "counts", "class": "counts"}));

    var modes = [["zoom", "Zoom"], ["select", "Select a time range"], ["lasso", "Lasso points"]];
    var modeSet = h("fieldset", null, [h("legend", {text: "Mouse in the chart"})].concat(modes.map(function (m) {
      var input = h("input", {type: "radio", name: "mode", value: m[0], id: "mode-" + m[0], checked: m[0] === S.mode,
        onchange: function () { setMode(m[0]); }});
      return h("label", {"for": "mode-" + m[0]}, [input, m[1]]);
    })));
    main.appendChild(h("div", {"class": "toolbar"}, [
      modeSet,
      h("button", {type: "button", id: "whole", text: "Whole series", onclick: function () { refetch(null, null); }}),
      h("button", {type: "button", id: "next", text: "Next unreviewed flag", onclick: nextUnreviewed})
    ]));
    S.div = h("div", {id: "chart", "class": "chart", role: "region", "aria-label": "Chart of the series " + name +
      " (to select by keyboard, use the From and To fields below, or Next unreviewed flag)"});
    main.appendChild(S.div);
    main.appendChild(h("p", {id: "chart-note", "class": "chart-note"}));
    main.appendChild(h("p", {"class": "chart-note", text: "Click a point to select it; shift-click another to " +
      "select the time range between them. Ringed points carry a decision; shaded periods are provisional " +
      "(yellow) or approved and locked (green)."}));

    var start = h("input", {type: "text", id: "sel-start", size: 20, placeholder: "2021-07-01 00:00"});
    var end = h("input", {type: "text", id: "sel-end", size: 20, placeholder: "2021-07-31 23:59"});
    var reason = h("textarea", {id: "reason", maxlength: 2000, required: true, "aria-describedby": "reason-help"});
    var flagCode = h("select", {id: "flag-code", "aria-label": "Flag to set"}, [1, 2, 3, 4].map(function (c) {
      return h("option", {value: c, text: c + " " + FLAG_NAMES[c], selected: c === 3});
    }));
    var level = h("select", {id: "level", "aria-label": "Approval level"}, ["raw", "provisional", "approved"].map(
      function (l) { return h("option", {value: l, text: l, selected: l === "provisional"}); }));
    var decide = h("fieldset", {id: "decide"}, [
      h("legend", {text: "Selection and decision"}),
      h("div", {"class": "row"}, [
        h("label", {"for": "sel-start", text: "From"}), start,
        h("label", {"for": "sel-end", text: "To"}), end,
        h("button", {type: "button", id: "select-range", text: "Select this range", onclick: function () {
          if (!start.value.trim() || !end.value.trim()) { say("Give both ends of the range", "warn"); return; }
          select({kind: "range", start: start.value.trim(), end: end.value.trim()});
        }}),
        h("button", {type: "button", id: "clear-sel", text: "Clear selection", onclick: function () { select(null); }})
      ]),
      h("div", {id: "sel-summary", "class": "summary", "aria-live": "polite", text: "Nothing selected yet."}),
      h("label", {"for": "reason", text: "Reason (required; kept with the decision)"}),
      reason,
      h("p", {id: "reason-help", "class": "muted", text: "Say why: what you saw, what the field sheet says."}),
      h("div", {"class": "row"}, [
        h("button", {type: "button", id: "accept", "class": "accept", text: "Accept (good)",
          onclick: function () { decideAction("accept"); }}),
        h("button", {type: "button", id: "reject", "class": "reject", text: "Reject (fail)",
          onclick: function () { decideAction("reject"); }}),
        flagCode,
        h("button", {type: "button", id: "set-flag", text: "Set flag", onclick: function () {
          decideAction("set_flag", parseInt(flagCode.value, 10)); }})
      ]),
      h("div", {"class": "row"}, [
        h("span", {text: "Approval level:"}), level,
        h("button", {type: "button", id: "approve-sel", text: "Set for the selection",
          onclick: function () { setApproval(level.value, false); }}),
        h("button", {type: "button", id: "approve-all", text: "Set for the whole series",
          onclick: function () { setApproval(level.value, true); }})
      ])
    ]);
    main.appendChild(decide);
    reason.addEventListener("input", buttons);

    main.appendChild(h("h2", {text: "History"}));
    main.appendChild(h("p", {"class": "muted", text: "Runs, decisions and approval changes, newest first. Undo " +
      "records a new entry (with the reason above); nothing is ever deleted."}));
    main.appendChild(h("div", {id: "history", "class": "hist-wrap"}));
    buttons();

    // plotly.js (loading since the script started), the series' info and its chart, all at once
    Promise.all([LIBS || loadLibs(), loadInfo(), fetchChart(null, null)]).then(function (got) {
      PERF.ready = performance.now();
      return show(got[2]);
    }).then(function () {
      PERF.first = performance.now();
      document.body.setAttribute("data-rendered", "true");
      return loadHistory();
    }).catch(fail);
  }

  function loadInfo() {
    return api("GET", "/api/series/info?name=" + enc(S.name)).then(function (info) {
      S.info = info;
      S.meta = info.meta;
      var sub = [info.station, info.variable, info.unit].filter(Boolean).join(" · ");
      $("series-sub").textContent = (sub ? sub + " · " : "") + num(info.counts.n_values) + " values, " +
        range(info.first, info.last) + (info.tz ? " (" + info.tz + ")" : "");
      var c = info.counts, box = clear($("counts"));
      box.appendChild(document.createTextNode("Unreviewed flags: "));
      box.appendChild(h("b", {id: "n-unreviewed", text: num(c.unreviewed_suspect + c.unreviewed_fail)}));
      box.appendChild(document.createTextNode(" (" + num(c.unreviewed_suspect) + " suspect, " +
        num(c.unreviewed_fail) + " fail) · flagged now: " + num(c.suspect) + " suspect, " + num(c.fail) +
        " fail · decided: " + num(c.decided) + " · approved: " + num(c.approved) + " values"));
      info.periods.forEach(function (p) {
        box.appendChild(document.createTextNode(" "));
        box.appendChild(h("span", {"class": "badge " + p.level,
          text: (p.level === "approved" ? "locked, approved " : p.level + " ") + range(p.start, p.end)}));
      });
    });
  }

  // ------------------------------------------------------------------ the chart
  function points() {
    var w = S.div ? S.div.clientWidth : 1000;
    return Math.max(400, Math.min(8000, Math.round((w || 1000) * 2)));
  }

  // The chart of a window: fetched (fetchChart) and drawn (show); a zoom does both (refetch).
  function fetchChart(start, end) {
    var seq = ++S.seq, t0 = performance.now();
    var url = "/api/series/chart?name=" + enc(S.name) + "&points=" + points();
    if (start !== null && start !== undefined) url += "&start=" + enc(start) + "&end=" + enc(end);
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}}).then(function (r) {
      var timing = r.headers.get("server-timing");
      var m = timing && /dur=([0-9.]+)/.exec(timing);
      return r.json().then(function (c) {
        if (!r.ok) throw new Error(c.error || ("HTTP " + r.status));
        if (PERF.data === undefined) PERF.data = performance.now();
        return {c: c, seq: seq, t0: t0, t1: performance.now(), server: m ? parseFloat(m[1]) : null,
                win: (start === null || start === undefined) ? null : [start, end]};
      });
    });
  }

  function show(got) {
    if (got.seq !== S.seq) return null;  // a later zoom is on its way
    var t1 = performance.now();
    S.chart = got.c;
    S.win = got.win;
    return draw().then(function () {
      var t2 = performance.now();
      PERF.last = {fetch_ms: got.t1 - got.t0, wait_ms: t1 - got.t1, draw_ms: t2 - t1, total_ms: t2 - got.t0,
                   server_ms: got.server, points: got.c.ns, window: S.win};
      PERF.fetches.push(PERF.last);
      document.body.setAttribute("data-draws", String(++S.draws));
    });
  }

  function refetch(start, end) {
    return fetchChart(start, end).then(show);
  }

  function yOf(c, i) {
    var y = c.y[i];
    if (c.yr && y !== null) {
      if (y > c.yr[1]) return c.edge[1];
      if (y < c.yr[0]) return c.edge[0];
    }
    return y;
  }

  function decisionText(d) {
    var esc = window.AquaflagCharts.esc;
    var what = d.action === "set_flag" ? "set flag " + d.flag + " (" + FLAG_NAMES[d.flag] + ")" : d.action;
    return "decision " + d.id + ": " + esc(what) + " by " + esc(d.reviewer) + "<br>" + esc(d.reason) +
      "<br>" + esc(d.at || "");
  }

  function figure() {
    var c = S.chart, M = S.meta, A = window.AquaflagCharts;
    var fig = A.columnFigure(c, M), traces = fig.traces, layout = fig.layout, R = c.review;
    traces.forEach(function (t) {
      var g = t.legendgroup || "";
      t.meta = (g === "values" || g === "off" || /^f[0-9]$/.test(g)) ? "v" : "o";
    });
    if (R.d.length) {
      var xs = [], ys = [], cd = [];
      R.d.forEach(function (i, q) {
        xs.push(c.x[i]); ys.push(yOf(c, i)); cd.push(decisionText(R.decisions[R.k[q]]));
      });
      traces.push({type: "scatter", mode: "markers", name: "decided (" + R.d.length + ")", x: xs, y: ys,
        customdata: cd, meta: "v", legendgroup: "decided", cliponaxis: false,
        marker: {symbol: "circle-open", size: 12, color: "#1f4e9c", line: {width: 1.6, color: "#1f4e9c"}},
        hovertemplate: "%{customdata}<extra></extra>"});
    }
    var shapes = [], notes = [];
    (R.periods || []).forEach(function (p) {
      var approved = p.level === "approved";
      shapes.push({type: "rect", xref: "x", yref: "paper", x0: p.x0, x1: p.x1, y0: 0, y1: 1, layer: "below",
        line: {width: 0}, fillcolor: approved ? "#c8ecd2" : "#fff0c2", opacity: approved ? 0.6 : 0.55});
      notes.push({x: p.x0, y: 1, xref: "x", yref: "paper", xanchor: "left", yanchor: "top", showarrow: false,
        text: approved ? "approved (locked)" : "provisional", font: {size: 11, color: approved ? "#1e6b34" : "#7a5a00"}});
    });
    var sel = S.sel, info = S.selInfo;
    if (sel && info && info.n) {
      if (info.kind === "range" && info.x0 !== undefined) {
        shapes.push({type: "rect", xref: "x", yref: "paper", x0: info.x0, x1: info.x1, y0: 0, y1: 1,
          fillcolor: "#4c78a8", opacity: 0.16, line: {width: 1, color: "#1f4e9c", dash: "dot"}});
      } else if (info.x) {
        var sx = [], sy = [];
        c.x.forEach(function (x, i) { if (info.x.indexOf(x) >= 0) { sx.push(x); sy.push(yOf(c, i)); } });
        traces.push({type: "scatter", mode: "markers", name: "selected", x: sx, y: sy, meta: "o",
          hoverinfo: "skip", marker: {symbol: "square-open", size: 15, color: "#000", line: {width: 2}}});
      }
    }
    layout.shapes = shapes;
    layout.annotations = notes;
    layout.dragmode = S.mode;
    layout.selectdirection = "h";
    layout.selections = [];
    layout.height = 380;
    layout.uirevision = S.name;
    layout.selectionrevision = "s" + S.draws;  // plotly's own selection (box, dimmed points) goes; ours is drawn above
    return {traces: traces, layout: layout};
  }

  function draw() {
    var c = S.chart;
    var note = $("chart-note");
    if (note) {
      note.textContent = c.ds ? "Showing " + num(c.ns) + " of " + num(c.nv) + " values in this window (all " +
        num(c.nf) + " flagged kept); zoom in for every value." : "All " + num(c.nv) + " values in this window shown.";
    }
    if (!c.x.length) {
      clear(S.div).appendChild(h("p", {"class": "empty", text: "No values in this window."}));
      return Promise.resolve();
    }
    var fig = figure();
    var config = {responsive: true, displaylogo: false, scrollZoom: false, modeBarButtonsToRemove: ["autoScale2d"]};
    return window.Plotly.react(S.div, fig.traces, fig.layout, config).then(function () {
      if (!S.bound) {
        S.bound = true;
        S.div.on("plotly_relayout", onRelayout);
        S.div.on("plotly_selected", onSelected);
        S.div.on("plotly_click", onClick);
      }
    });
  }

  function onRelayout(ev) {
    if (!ev) return;
    if (ev.dragmode && ev.dragmode !== S.mode) {
      S.mode = ev.dragmode;
      var radio = $("mode-" + S.mode);
      if (radio) radio.checked = true;
    }
    var r0 = ev["xaxis.range[0]"], r1 = ev["xaxis.range[1]"];
    if (ev["xaxis.range"]) { r0 = ev["xaxis.range"][0]; r1 = ev["xaxis.range"][1]; }
    if (r0 !== undefined && r1 !== undefined) { refetch(r0, r1).catch(fail); return; }
    if (ev["xaxis.autorange"]) refetch(null, null).catch(fail);
  }

  function setMode(mode) {
    S.mode = mode;
    if (S.chart && window.Plotly) window.Plotly.relayout(S.div, {dragmode: mode});
  }

  function isValue(pt) { return pt && pt.data && pt.data.meta === "v" && pt.x !== undefined && pt.x !== null; }
  function toMs(x) {
    if (typeof x === "number") return x;
    var s = String(x).trim().replace(" ", "T");
    var m = /^(.*T\d\d:\d\d(?::\d\d)?)(\.\d+)?$/.exec(s);
    if (m) s = m[1] + (m[2] ? m[2].slice(0, 4) : "");
    if (!/T/.test(s)) s += "T00:00";
    return Date.parse(s + "Z");
  }

  function onSelected(ev) {
    if (!ev) return;
    if (ev.range && ev.range.x) {
      select({kind: "range", start: toMs(ev.range.x[0]), end: toMs(ev.range.x[1])});
      return;
    }
    var xs = [];
    (ev.points || []).forEach(function (pt) {
      if (!isValue(pt)) return;
      var x = toMs(pt.x);
      if (xs.indexOf(x) < 0) xs.push(x);
    });
    if (xs.length) select({kind: "points", x: xs});
  }

  function onClick(ev) {
    var pt = ev && ev.points && ev.points.filter(isValue)[0];
    if (!pt) return;
    var x = toMs(pt.x);
    if (ev.event && ev.event.shiftKey && S.lastClick !== null) {
      select({kind: "range", start: Math.min(S.lastClick, x), end: Math.max(S.lastClick, x)});
    } else {
      select({kind: "points", x: [x]});
    }
    S.lastClick = x;
  }

  // ------------------------------------------------------------------ selection and decisions
  function select(sel) {
    S.sel = sel;
    S.selInfo = null;
    if (!sel) {
      S.lastClick = null;
      summary();
      buttons();
      return draw();
    }
    return api("POST", "/api/preview", {series: S.name, selection: sel}).then(function (info) {
      if (sel !== S.sel) return;
      if (sel.kind === "range") { info.x0 = toMs(sel.start); info.x1 = toMs(sel.end); }
      else info.x = sel.x;
      if (!info.n) { S.sel = null; }
      S.selInfo = info;
      if (info.n && info.kind === "range") { $("sel-start").value = info.start; $("sel-end").value = info.end; }
      summary();
      buttons();
      return draw();
    }).catch(fail);
  }

  function summary() {
    var box = $("sel-summary"), info = S.selInfo;
    box.className = "summary";
    if (!S.sel && !info) { box.textContent = "Nothing selected yet."; return; }
    if (!info || !info.n) { box.textContent = (info && info.message) || "No values in the selection."; return; }
    var flags = Object.keys(info.flags).map(function (k) { return num(info.flags[k]) + " " + FLAG_NAMES[k]; });
    var text = num(info.n) + (info.n === 1 ? " value" : " values") + (info.kind === "range" ? " in the time range " :
      " at ") + range(info.start, info.end) + " · flags now: " + flags.join(", ") + " · " + num(info.unreviewed) +
      " unreviewed · " + num(info.decided) + " already decided";
    box.textContent = text;
    if (info.locked) {
      box.className = "summary locked";
      box.appendChild(h("div", {"class": "lock", text: "Locked: the selection touches an approved period. Set " +
        "that period back to provisional to change it."}));
    }
  }

  function buttons() {
    var hasSel = !!(S.sel && S.selInfo && S.selInfo.n);
    var locked = hasSel && S.selInfo.locked;
    var reason = $("reason") && $("reason").value.trim().length > 0;
    ["accept", "reject", "set-flag"].forEach(function (id) {
      var b = $(id);
      if (b) b.disabled = !(hasSel && reason && !locked);
    });
    if ($("approve-sel")) $("approve-sel").disabled = !(hasSel && reason);
    if ($("approve-all")) $("approve-all").disabled = !reason;
    document.querySelectorAll("button.undo").forEach(function (b) { b.disabled = !reason; });
  }

  function reasonText() {
    var r = $("reason").value.trim();
    if (!r) {
      say("Write the reason first: it is kept with the decision", "warn");
      $("reason").focus();
    }
    return r;
  }

  function afterWrite(message) {
    $("reason").value = "";
    say(message, "ok");
    return Promise.all([loadInfo(), refetch(S.win ? S.win[0] : null, S.win ? S.win[1] : null)]).then(function () {
      return S.sel ? select(S.sel) : null;
    }).then(loadHistory).then(buttons);
  }

  function decideAction(action, flag) {
    var reason = reasonText();
    if (!reason || !S.sel) return;
    var body = {series: S.name, selection: S.sel, action: action, reason: reason};
    if (action === "set_flag") body.flag = flag;
    api("POST", "/api/decide", body).then(function (r) {
      var what = action === "set_flag" ? "set to " + flag + " (" + FLAG_NAMES[flag] + ")" : action + "ed";
      return afterWrite(num(r.selection.n) + " value(s) " + what + " by " + r.reviewer + " (decision " +
        r.ids.slice(0, 5).join(", ") + (r.ids.length > 5 ? ", …" : "") + ").");
    }).catch(fail);
  }

  function setApproval(level, whole) {
    var reason = reasonText();
    if (!reason) return;
    if (!whole && !S.sel) { say("Select a period first", "warn"); return; }
    api("POST", "/api/approval", {series: S.name, selection: whole ? null : S.sel, level: level, reason: reason})
      .then(function (r) {
        return afterWrite("Period " + range(r.start, r.end) + " set " + r.level + " by " + r.reviewer + ".");
      }).catch(fail);
  }

  function undo(id) {
    var reason = reasonText();
    if (!reason) return;
    api("POST", "/api/undo", {series: S.name, decision: id, reason: reason}).then(function (r) {
      return afterWrite("Decision " + r.undoes + " undone by " + r.reviewer + " (entry " + r.id + ").");
    }).catch(fail);
  }

  function nextUnreviewed() {
    var after = S.selInfo && S.selInfo.x ? S.selInfo.x[0] : (S.win ? toMs(S.win[0]) : null);
    var url = "/api/series/next?name=" + enc(S.name) + (after !== null ? "&after=" + enc(after) : "");
    api("GET", url).then(function (r) {
      if (!r.next) { say("No unreviewed flags left in this series.", "ok"); return null; }
      var n = r.next;
      say("Unreviewed " + FLAG_NAMES[n.flag] + " value " + n.value + " at " + n.time + " (" + num(n.left) +
        " unreviewed in the series).", "ok");
      return refetch(n.window[0], n.window[1]).then(function () { return select({kind: "points", x: [n.x]}); });
    }).catch(fail);
  }

  // ------------------------------------------------------------------ history
  function loadHistory() {
    return api("GET", "/api/series/history?name=" + enc(S.name)).then(function (r) {
      var body = h("tbody");
      r.rows.forEach(function (e) {
        var what;
        if (e.kind === "run") what = "run " + e.id;
        else if (e.kind === "approval") what = "approval: " + e.action;
        else if (e.action === "undo") what = "undo (entry " + e.id + ")";
        else what = (e.action === "set_flag" ? "set flag " + e.flag + " (" + FLAG_NAMES[e.flag] + ")" :
          e.action) + " (decision " + e.id + ")";
        if (e.kind === "decision" && e.active === false) what += " — undone";
        var act = h("td", {"class": "act"});
        if (e.undoable) {
          act.appendChild(h("button", {type: "button", "class": "small undo", "data-id": e.id,
            "aria-label": (e.action === "undo" ? "Undo entry " : "Undo decision ") + e.id,
            text: e.action === "undo" ? "Restore" : "Undo", onclick: function () { undo(e.id); }}));
        } else if (e.kind === "decision" && e.locked) {
          act.appendChild(h("span", {"class": "lock", text: "locked"}));
        }
        var flagText = "";
        if (e.kind === "decision" && e.auto_flag !== null && e.action !== "undo") {
          flagText = e.auto_flag + " → " + (e.flag === null ? "" : e.flag);
        }
        body.appendChild(h("tr", {"class": (e.kind === "decision" && e.active === false) ? "undone" : null,
                                  "data-kind": e.kind, "data-id": e.id}, [
          h("td", {text: e.at || ""}),
          h("td", {text: e.reviewer || ""}),
          h("td", {text: what}),
          h("td", {text: range(e.start, e.end)}),
          h("td", {"class": "num", text: flagText}),
          h("td", {text: e.reason || ""}),
          h("td", {text: e.detail || ""}),
          act
        ]));
      });
      var table = h("table", {"class": "grid", id: "history-table"}, [
        h("caption", {text: r.rows.length < r.total ? "latest " + r.rows.length + " of " + r.total + " entries" :
          r.total + " entries"}),
        h("thead", null, [h("tr", null, ["When", "Who", "What", "Values", "Flag", "Reason", "Detail", ""].map(
          function (t) { return h("th", {scope: "col", text: t}); }))]),
        body
      ]);
      clear($("history")).appendChild(table);
      buttons();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();

"""The HTML report: one self-contained page that shows what was flagged and why.

:func:`write_report` turns a :class:`~aquaflag.result.Result` into a single
HTML file that works offline (no CDN, no server): plotly.js, taken from the
installed ``plotly`` package, is embedded *once*; the per-column data are
embedded as JSON and drawn by a small script, so a dozen charts share one copy
of the library. The page holds

* a run summary: input file, time range, columns, the rules with the
  parameters they set and their severity, a table of flag counts per column
  and severity, and the columns no rule checked;
* a monthly overview: a heat map of flagged values per column × month;
* per column an interactive time-series chart (zoom, pan; hover shows the time,
  the value, the rules that flagged the point and their scores), with each
  rule's bounds drawn as lines and the points coloured by flag; the y axis is
  scaled on the good values, and flagged values far outside them (logger codes
  such as 7999, -9999) are triangles at the edge with the true value on hover;
* a rule comparison (one small panel per rule) for a column picked from a list,
  when at least two rules ran;
* a sortable, filterable table of the flagged values;
* the exact configuration used (rules as TOML) and the aquaflag version.

Long series are downsampled for display with MinMaxLTTB (``tsdownsample``);
every flagged point is always kept, and each chart says how many points it
shows. All text comes from one small file per language (``strings/en.json``,
``strings/ko.json``). Every string taken from the data or the file name is
escaped, both in HTML and inside the embedded JSON.

The chart of one column is a plain dict from :func:`chart_payload` (or
:class:`ChartData` for repeated calls): the function the page uses, and the
one a server calls to re-fetch a zoomed window of a long series;
``static/charts.js`` (:func:`charts_js`) draws it.

Layout: ``page`` (assembly, :func:`write_report`), ``charts`` (chart data,
downsampling, y scale), ``tables`` (summary tables, :func:`summary_html`),
``_axis`` (the x axis), ``_escape`` (escaping, numbers), ``_assets``
(CSS, JavaScript and strings, read with :mod:`importlib.resources`).
This package reads a Result only. It imports plotly and tsdownsample inside
the functions that need them, so importing it costs little.
"""

from __future__ import annotations

from ._assets import FONT_STACK, STRINGS, cached_plotly_js, charts_js
from ._escape import json_for_script
from .charts import ChartData, chart_payload
from .page import config_toml, show_report, write_report
from .tables import summary_html

__all__ = ["write_report", "show_report", "summary_html", "chart_payload", "ChartData",
           "charts_js", "config_toml", "STRINGS", "FONT_STACK"]

# older private names, kept for the benchmarks and tests that reach for them
_json_for_script = json_for_script
_cached_plotly_js = cached_plotly_js

"""Page assembly: :func:`write_report` and :func:`show_report`.

The page is one self-contained HTML file: the CSS, plotly.js (once), the data
of every chart as JSON (one :func:`~aquaflag.report.charts.chart_payload` per
column), and the page's script (``static/charts.js`` + ``static/report.js``).
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._version import __version__
from ..config import rules_to_toml
from ..errors import InputError, ParameterError
from ._assets import STRINGS, css, plotly_js, script
from ._escape import esc, json_for_script, num
from .charts import ChartData, check_max_points
from .tables import (flag_counts_table, flagged_payload, flagged_section, per_rule_table,
                     rules_table, unchecked_list)

if TYPE_CHECKING:  # pragma: no cover
    from ..result import Result

__all__ = ["write_report", "show_report", "config_toml"]


def write_report(
    result: "Result",
    path: Any = None,
    *,
    lang: str = "en",
    title: str | None = None,
    config_text: str | None = None,
    max_points: int = 5000,
) -> Path | str:
    """Write a self-contained, offline HTML report of a run.

    Parameters
    ----------
    result : Result
        What :func:`aquaflag.detect` or :func:`aquaflag.evaluate` returned.
    path : path-like, optional
        Where to write the page (UTF-8; parent folders are created). When
        omitted, the HTML text is returned instead (for Jupyter, see
        :func:`show_report`).
    lang : {"en", "ko"}
        Language of the report's own text (English or Korean). Column names,
        rule labels and the file name are shown as they are.
    title : str, optional
        Page title; by default "aquaflag report" and the input file's name.
    config_text : str, optional
        The configuration text to show in the page (e.g. the QC configuration
        file the rules came from). By default the rules are written as TOML.
    max_points : int, default 5000
        Charts of longer columns are downsampled to about this many points
        (MinMaxLTTB); every flagged point is kept in addition.

    Returns
    -------
    pathlib.Path or str
        The path written, or the HTML text when ``path`` is None.

    Raises
    ------
    ParameterError
        For an unknown ``lang`` or a ``max_points`` below 10.
    InputError
        When the file cannot be written.
    MissingDependency
        When plotly (or, for long series, tsdownsample) is not installed:
        ``pip install 'aquaflag[report]'`` (an :class:`ImportError` and an
        :class:`~aquaflag.errors.AquaflagError`: the command line says it in one line).

    Notes
    -----
    The page holds a run summary (input file, time range, the rules with the
    parameters they set, flag counts per column, the columns no rule
    checked), a monthly heat map of flags, one interactive chart per column,
    a rule comparison, a sortable and filterable table of the flagged values,
    and the configuration that reproduces the run.

    The page embeds plotly.js once (about 4.8 MB) and the data of every
    chart as JSON; with the default ``max_points`` each chart holds at most
    about 5,000 points plus the flagged ones, so the page stays responsive
    for series of millions of values. Gaps (missing values, and jumps in time
    longer than ten median sampling steps) break the lines. Each chart's y
    axis is scaled on the good values; flagged values far outside them
    (logger codes such as 7999 or -9999) are triangles at the edge, with the
    true value on hover.

    Strings from the data (column names, rule labels, parameters, the file
    name, notes) are escaped with :func:`html.escape` in the HTML, and in the
    embedded JSON ``<``, ``>`` and ``&`` are written as ``\\u003c`` etc., so
    no name can end a ``<script>`` element. The script passes them to the
    page as text only.

    Examples
    --------
    >>> import aquaflag
    >>> from aquaflag.datasets import demo
    >>> res = aquaflag.detect(demo(), method="seed")
    >>> page = write_report(res)
    >>> page.startswith("<!DOCTYPE html>") and page.count("<div class=\\"chart\\" id=\\"chart-") == 12
    True
    """
    if lang not in STRINGS:
        raise ParameterError(f"lang must be one of {', '.join(map(repr, STRINGS))}; got {lang!r}")
    max_points = check_max_points(max_points, "write_report")
    page = _Page(result, lang=lang, title=title, config_text=config_text,
                 max_points=max_points).render()
    if path is None:
        return page
    out = Path(path)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the report to {out}: {exc.strerror or exc}") from None
    return out


def show_report(result: "Result", *, lang: str = "en", title: str | None = None,
                **kwargs: Any) -> Any:
    """The report for display: in Jupyter it shows inline (an ``IPython.display.HTML``
    object); elsewhere the HTML text is returned. Arguments as for :func:`write_report`.
    """
    out = write_report(result, None, lang=lang, title=title, **kwargs)
    try:
        from IPython.display import HTML
    except ImportError:
        return out
    return HTML(out)


def config_toml(result: "Result") -> str:
    """The rules of ``result`` as a QC configuration (see :mod:`aquaflag.config`), with a header."""
    lines = [f"# aquaflag {__version__}: the rules of this run",
             f"# generated {_dt.datetime.now().astimezone().isoformat(timespec='seconds')}"]
    src = getattr(result.source, "path", None) if result.source is not None else None
    if src:
        lines.append(f"# input file: {json.dumps(str(src), ensure_ascii=False)}")
    lines.append(f"# reproduce: aquaflag run -c THIS_FILE {json.dumps(str(src or 'DATA'), ensure_ascii=False)}")
    return "\n".join(lines) + "\n\n" + rules_to_toml(result.rules)


class _Page:
    def __init__(self, result: "Result", *, lang: str, title: str | None,
                 config_text: str | None, max_points: int) -> None:
        self.r = result
        self.lang = lang
        self.t = STRINGS[lang]
        self.version = __version__
        self.config_text = config_text
        self.max_points = max_points
        self.charts = ChartData(result)
        self.axis = self.charts.axis
        self.columns = list(result.data.columns)
        self.codes = self.charts.codes
        self.src = getattr(result.source, "path", None) if result.source is not None else None
        default_title = self.t["title"] + (f" — {Path(str(self.src)).name}" if self.src else "")
        self.title = str(title) if title is not None else default_title
        self.compare_cols = [j for j, c in enumerate(self.columns)
                             if sum((c, r.label) in result.detections for r in result.rules) >= 2]

    def render(self) -> str:
        t = self.t
        columns = [self.charts.column(c, max_points=self.max_points) for c in self.columns]
        heat = self.charts.heat()
        values = self.r.data.to_numpy(dtype=np.float64, na_value=np.nan).reshape(len(self.r.data), -1)
        table = flagged_payload(self.r, self.axis, values, self.charts.rule_index)
        data = self.charts.meta(self.lang)
        data.update({"columns": columns, "heat": heat, "table": table, "compare": self.compare_cols})
        parts = [
            "<!DOCTYPE html>",
            f'<html lang="{self.lang}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="generator" content="aquaflag {esc(self.version)}">',
            f"<title>{esc(self.title)}</title>",
            f"<style>{css()}</style>",
            f"<script>{plotly_js()}</script>",
            "</head>",
            "<body>",
            "<main>",
            self._header(),
            self._summary(columns),
            self._overview(heat),
            self._charts(columns),
            self._compare(),
            flagged_section(table, t),
            self._config(),
            "</main>",
            f'<script type="application/json" id="aquaflag-data">{json_for_script(data)}</script>',
            f"<script>{script()}</script>",
            "</body>",
            "</html>",
        ]
        return "\n".join(parts)

    def _header(self) -> str:
        t = self.t
        when = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
        links = [("summary", t["summary"]), ("overview", t["overview"]), ("charts", t["charts"])]
        if self.compare_cols:
            links.append(("compare", t["compare"]))
        links += [("flagged", t["flagged"]), ("config", t["config"])]
        nav = " · ".join(f'<a href="#{k}">{esc(v)}</a>' for k, v in links)
        return (f"<header><h1>{esc(self.title)}</h1>"
                f'<p class="muted">{esc(t["generated"].format(when=when, version=self.version))}</p>'
                f'<nav aria-label="{esc(t["contents"])}">{nav}</nav></header>')

    def _time_range(self) -> str:
        t = self.t
        idx = self.r.data.index
        if len(idx) == 0:
            return "—"
        if self.axis.wall is not None:
            ok = np.flatnonzero(self.axis.valid)
            if ok.size == 0:
                return "—"
            first, last = self.axis.strings(ok[[0, -1]])
            text = f"{first} – {last}"
            if self.axis.tz:
                text += f" ({t['timezone'].format(tz=self.axis.tz)})"
            return text
        return t["no_dates"].format(first=str(idx[0]), last=str(idx[-1]))

    def _summary(self, columns: list[dict]) -> str:
        t = self.t
        src = esc(self.src) if self.src else esc(t["no_file"])
        kv = [
            (t["input_file"], f"<code>{src}</code>" if self.src else src),
            (t["time_range"], esc(self._time_range())),
            (t["rows"], num(len(self.r.data))),
            (t["columns"], esc(t["n_columns"].format(n=num(len(self.columns))))),
            (t["rules"], esc(", ".join(str(r.label) for r in self.r.rules))),
            (t["version"], esc(self.version)),
        ]
        out = ['<section id="summary">', f"<h2>{esc(t['summary'])}</h2>", '<table class="kv">']
        out += [f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in kv]
        out.append("</table>")
        out.append(f"<h3>{esc(t['rules'])}</h3>")
        out.append(rules_table(self.r, t))
        out.append(f"<h3>{esc(t['flag_counts'])}</h3>")
        out.append(flag_counts_table(self.r, self.codes, [c["unit"] for c in columns], t))
        out.append(unchecked_list(self.r, t))
        out.append(f"<details><summary>{esc(t['per_rule'])}</summary>{per_rule_table(self.r, t)}</details>")
        msgs: list[str] = []
        if self.r.source is not None and hasattr(self.r.source, "messages"):
            try:
                msgs = [str(m) for m in self.r.source.messages()]
            except Exception:  # noqa: BLE001 - notes are informative only
                msgs = []
        if msgs:
            out.append(f"<h3>{esc(t['read_notes'])}</h3><ul class='notes'>"
                       + "".join(f"<li>{esc(m)}</li>" for m in msgs) + "</ul>")
        if self.r.skipped:
            out.append(f"<h3>{esc(t['skipped'])}</h3><ul class='notes'>"
                       + "".join(f"<li><b>{esc(k)}</b>: {esc(v)}</li>"
                                 for k, v in self.r.skipped.items()) + "</ul>")
        out.append("</section>")
        return "\n".join(out)

    def _overview(self, heat: dict | None) -> str:
        t = self.t
        body = (f'<p class="muted">{esc(t["overview_help"])}</p><div class="chart heat" id="heatmap"></div>'
                if heat is not None else f'<p class="notice" id="no-heatmap">{esc(t["overview_none"])}</p>')
        return f'<section id="overview"><h2>{esc(t["overview"])}</h2>{body}</section>'

    def _ds_note(self, c: dict) -> str:
        t = self.t
        if c["nv"] == 0:
            return t["no_values"]
        if not c["ds"]:
            return t["shown_all"].format(total=num(c["nv"]))
        key = "ds_none" if c["nf"] == 0 else "ds_one" if c["nf"] == 1 else "ds_many"
        return t[key].format(shown=num(c["ns"]), total=num(c["nv"]), flagged=num(c["nf"]))

    def _charts(self, columns: list[dict]) -> str:
        t = self.t
        out = ['<section id="charts">', f"<h2>{esc(t['charts'])}</h2>",
               f'<p class="muted">{esc(t["charts_help"])}</p>']
        for j, c in enumerate(columns):
            unit = f' <span class="unit">({esc(c["unit"])})</span>' if c["unit"] else ""
            notes = []
            if not c["checked"]:
                notes.append(f'<li class="not-checked">{esc(t["not_checked_help"])}</li>')
            if c["off"]:
                off = t["off_note_one"] if c["off"] == 1 else t["off_note"].format(n=num(c["off"]))
                notes.append(f'<li class="off-scale">{esc(off)}</li>')
            for rule in self.r.rules:
                det = self.r.detections.get((self.columns[j], rule.label))
                if det is not None and det.note:
                    notes.append(f"<li><b>{esc(rule.label)}</b>: {esc(det.note)}</li>")
            note_html = f'<ul class="notes">{"".join(notes)}</ul>' if notes else ""
            badge = ("" if c["checked"] else
                     f' <span class="badge not-checked">{esc(t["not_checked_badge"])}</span>')
            out.append(
                f'<article class="card" id="col-{j}"><h3>{esc(c["name"])}{unit}'
                f' <span class="count">{esc(t["n_flagged"].format(n=num(c["nf"])))}</span>{badge}</h3>'
                f'<p class="ds-note" id="ds-note-{j}">{esc(self._ds_note(c))}</p>{note_html}'
                f'<div class="chart" id="chart-{j}" data-column="{j}"></div></article>'
            )
        out.append("</section>")
        return "\n".join(out)

    def _compare(self) -> str:
        if not self.compare_cols:
            return ""
        t = self.t
        # start with the column most flagged, which is the most instructive
        flagged = [int(((self.codes[:, j] == 3) | (self.codes[:, j] == 4)).sum()) for j in self.compare_cols]
        first = self.compare_cols[int(np.argmax(flagged))]
        opts = "".join(
            f'<option value="{j}"{" selected" if j == first else ""}>{esc(self.columns[j])}</option>'
            for j in self.compare_cols
        )
        return (f'<section id="compare"><h2>{esc(t["compare"])}</h2>'
                f'<p class="muted">{esc(t["compare_help"])}</p>'
                f'<label>{esc(t["compare_pick"])} <select id="compare-column">{opts}</select></label>'
                f'<div class="chart compare" id="compare-chart"></div></section>')

    def _config(self) -> str:
        t = self.t
        text = self.config_text if self.config_text is not None else config_toml(self.r)
        return (f'<section id="config"><h2>{esc(t["config"])}</h2>'
                f'<p class="muted">{esc(t["config_help"].format(version=self.version))}</p>'
                f'<p>{esc(t["version"])}: <code id="aquaflag-version">{esc(self.version)}</code></p>'
                f'<pre id="config-text">{esc(text)}</pre></section>')

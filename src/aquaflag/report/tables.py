"""The report's tables: run summary, rules, flags per column, per rule, flagged values.

Every cell built from the data goes through :func:`~aquaflag.report._escape.esc`;
the flagged-values table is sent to the page as JSON (drawn by the page's
script with ``textContent``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ParameterError
from ..flags import Flag, severity_flag
from ..result import extreme
from ._assets import FONT_STACK, STRINGS
from ._escape import cap, esc, floats, fmt, num

if TYPE_CHECKING:  # pragma: no cover
    from ..result import Result, RuleLike
    from ._axis import Axis

__all__ = ["summary_html", "set_params", "MAX_TABLE_ROWS", "MAX_SUMMARY_ROWS"]

#: At most this many rows of flagged values are embedded in the page's table.
MAX_TABLE_ROWS = 20_000
#: Rows of :func:`summary_html` before it says "and N more".
MAX_SUMMARY_ROWS = 60



def set_params(rule: "RuleLike") -> list[str]:
    """``["threshold=2.5", "window=96"]``: the parameters set to something else than the default.

    Parameters left unset (None) and those at their default are left out, so
    a rule with its defaults shows nothing (the report says "defaults").
    """
    return [f"{k}={v}" for k, v in rule.changed_params().items()]


def _flagged_cells(result: "Result") -> int:
    codes = result.flags.to_numpy()
    return int(((codes == int(Flag.SUSPECT)) | (codes == int(Flag.FAIL))).sum())


def _check_lang(lang: str) -> dict[str, str]:
    if lang not in STRINGS:
        raise ParameterError(f"lang must be one of {', '.join(map(repr, STRINGS))}; got {lang!r}")
    return STRINGS[lang]


# ----------------------------------------------------------------- summary_html
def summary_html(result: "Result", *, lang: str = "en") -> str:
    """A compact HTML table of a Result: per column and rule, evaluated, outliers, bounds.

    For a notebook: ``IPython.display.HTML(summary_html(res))``. Every name is
    escaped.

    Parameters
    ----------
    result : Result
    lang : {"en", "ko"}
        Language of the headers.

    Returns
    -------
    str
        An HTML fragment (a ``<div>`` with a caption line and a table).

    Examples
    --------
    >>> import pandas as pd, aquaflag
    >>> res = aquaflag.detect(pd.Series([7.1, 7.3, 7.2, 9.9, 7.2], name="pH<1>"), method="iqr")
    >>> frag = summary_html(res)
    >>> "pH&lt;1&gt;" in frag and "<table" in frag
    True
    """
    t = _check_lang(lang)
    rows = list(result.items())
    head = (f"<b>aquaflag.Result</b>: {len(result.data.columns):,} {esc(t['columns'].lower())} × "
            f"{len(result.data):,} {esc(t['rows'].lower())}; {esc(t['rules'].lower())}: "
            f"{esc(', '.join(str(r.label) for r in result.rules))}; "
            f"{esc(t['n_flagged'].format(n=num(_flagged_cells(result))))}")
    cells = []
    for col, rule, det in rows[:MAX_SUMMARY_ROWS]:
        lo = extreme(det.lower, np.min)
        hi = extreme(det.upper, np.max)
        cls = ' style="color:#d62728;font-weight:bold"' if det.n_outliers else ""
        note = f' title="{esc(det.note)}"' if det.note else ""
        cells.append(
            f"<tr><td{note}>{esc(col)}</td><td>{esc(rule.label)}</td>"
            f'<td style="text-align:right">{det.n_evaluated:,}</td>'
            f'<td style="text-align:right"{cls}>{det.n_outliers:,}</td>'
            f'<td style="text-align:right">{esc(fmt(lo))}</td>'
            f'<td style="text-align:right">{esc(fmt(hi))}</td></tr>'
        )
    more = ""
    if len(rows) > MAX_SUMMARY_ROWS:
        more = (f'<tr><td colspan="6">… {len(rows) - MAX_SUMMARY_ROWS:,} more '
                "(see Result.summary)</td></tr>")
    hdr = "".join(f"<th>{esc(cap(t[k]))}</th>"
                  for k in ("column", "rule", "evaluated", "outliers", "lower", "upper"))
    return (
        f'<div class="aquaflag-summary" style="font-family:{esc(FONT_STACK)}">'
        f"<p>{head}</p><table><thead><tr>{hdr}</tr></thead>"
        f"<tbody>{''.join(cells)}{more}</tbody></table></div>"
    )


# ------------------------------------------------------------------ the summary
def rules_table(result: "Result", t: dict[str, str]) -> str:
    """The rules of the run: label, method, the parameters set, severity, the series selected."""
    out = [f'<table class="grid" id="rules-table"><thead><tr><th>{esc(t["rule"])}</th>'
           f'<th>{esc(t["method"])}</th><th>{esc(t["parameters"])}</th><th>{esc(t["severity"])}</th>'
           f'<th>{esc(t["applies_to"])}</th></tr></thead><tbody>']
    for r in result.rules:
        params = set_params(r)
        shown = (f"<code>{esc(', '.join(params))}</code>" if params
                 else f'<span class="muted">{esc(t["defaults"])}</span>')
        selection = getattr(r, "selection", None)
        cols = (selection() if callable(selection) else "") or t["all_columns"]
        sev = str(r.severity)
        out.append(f"<tr><td>{esc(r.label)}</td><td>{esc(r.method)}</td><td>{shown}</td>"
                   f'<td><span class="badge sev-{esc(sev)}">{esc(t.get(sev, sev))}</span></td>'
                   f"<td>{esc(cols)}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def flag_counts_table(result: "Result", codes: np.ndarray, units: list[str],
                      t: dict[str, str]) -> str:
    """Flags per column and code, with totals; a column no rule checked says so."""
    heads = ["column", "unit", "values", "missing", "not_evaluated", "good", "suspect", "fail",
             "flagged_pct"]
    unchecked = set(result.unchecked)
    out = ['<table class="grid" id="flag-counts"><thead><tr>'
           + "".join(f'<th{" class=num" if k not in ("column", "unit") else ""}>{esc(cap(t[k]))}</th>'
                     for k in heads)
           + "</tr></thead><tbody>"]
    totals = np.zeros(6, dtype=np.int64)
    for j, col in enumerate(result.data.columns):
        c = codes[:, j]
        cnt = np.array([len(c), (c == 9).sum(), (c == 2).sum(), (c == 1).sum(),
                        (c == 3).sum(), (c == 4).sum()], dtype=np.int64)
        totals += cnt
        present = cnt[0] - cnt[1]
        pct = f"{100.0 * (cnt[4] + cnt[5]) / present:.2f}" if present else ""
        badge = (f' <span class="badge not-checked">{esc(t["not_checked_badge"])}</span>'
                 if col in unchecked else "")
        cells = [f'<td><a href="#col-{j}">{esc(col)}</a>{badge}</td>', f"<td>{esc(units[j])}</td>"]
        for k, n in enumerate(cnt):
            cls = "num"
            if k == 4 and n:
                cls += " hit-suspect"
            if k == 5 and n:
                cls += " hit-fail"
            cells.append(f'<td class="{cls}" data-code="{("n", 9, 2, 1, 3, 4)[k]}">{num(n)}</td>')
        cells.append(f'<td class="num">{pct}</td>')
        checked = ' data-checked="false"' if col in unchecked else ""
        out.append(f'<tr data-column="{j}"{checked}>' + "".join(cells) + "</tr>")
    present = totals[0] - totals[1]
    pct = f"{100.0 * (totals[4] + totals[5]) / present:.2f}" if present else ""
    out.append(f'</tbody><tfoot><tr><th>{esc(t["total"])}</th><td></td>'
               + "".join(f'<td class="num">{num(n)}</td>' for n in totals)
               + f'<td class="num">{pct}</td></tr></tfoot></table>')
    return "".join(out)


def per_rule_table(result: "Result", t: dict[str, str]) -> str:
    """One row per column and rule: evaluated, outliers, bounds, note."""
    heads = ("column", "rule", "evaluated", "outliers", "lower", "upper", "note")
    rows = []
    for col, rule, det in result.items():
        rows.append(
            f"<tr><td>{esc(col)}</td><td>{esc(rule.label)}</td>"
            f'<td class="num">{num(det.n_evaluated)}</td><td class="num">{num(det.n_outliers)}</td>'
            f'<td class="num">{esc(fmt(extreme(det.lower, np.min)))}</td>'
            f'<td class="num">{esc(fmt(extreme(det.upper, np.max)))}</td>'
            f"<td>{esc(det.note)}</td></tr>"
        )
    return ('<table class="grid"><thead><tr>'
            + "".join(f"<th>{esc(cap(t[k]))}</th>" for k in heads)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def unchecked_list(result: "Result", t: dict[str, str]) -> str:
    """The columns no rule selected (Result.unchecked), or '' when every column was checked."""
    cols = result.unchecked
    if not cols:
        return ""
    pos = {c: j for j, c in enumerate(result.data.columns)}
    return (f'<h3 id="unchecked">{esc(t["not_checked"])}</h3>'
            f'<p class="muted">{esc(t["not_checked_help"])}</p><ul class="notes" id="unchecked-list">'
            + "".join(f'<li><a href="#col-{pos[c]}">{esc(c)}</a></li>' for c in cols) + "</ul>")


# ------------------------------------------------------------ flagged values
def flagged_payload(result: "Result", axis: "Axis", values: np.ndarray,
                    rule_index: dict[str, int]) -> dict[str, Any]:
    """Rows of the flagged-values table (column, time, value, rule, flag, score, bounds, row)."""
    parts = []
    pos_of = {c: j for j, c in enumerate(result.data.columns)}
    for col, rule, det in result.items():
        idx = np.flatnonzero(det.mask)
        if idx.size == 0:
            continue
        sev = int(severity_flag(rule.severity or "suspect"))  # a resolved rule has one
        grade = (np.where(np.isin(det.grade[idx], (3, 4)), det.grade[idx], sev)
                 if det.grade is not None else np.full(idx.size, sev))
        parts.append((pos_of[col], rule_index[rule.label], idx, det, grade.astype(int)))
    total = int(sum(p[2].size for p in parts))
    if not parts:
        return {"rows": [], "total": 0}
    cj = np.concatenate([np.full(p[2].size, p[0]) for p in parts])
    rk = np.concatenate([np.full(p[2].size, p[1]) for p in parts])
    ix = np.concatenate([p[2] for p in parts])
    val = np.concatenate([values[p[2], p[0]] for p in parts])
    sc = np.concatenate([p[3].score[p[2]] for p in parts])
    lo = np.concatenate([p[3].lower[p[2]] for p in parts])
    hi = np.concatenate([p[3].upper[p[2]] for p in parts])
    gr = np.concatenate([p[4] for p in parts])
    order = np.lexsort((rk, ix, cj))[:MAX_TABLE_ROWS]
    times = axis.strings(ix[order])
    cols = [cj[order].tolist(), times, floats(val[order], sig=12), rk[order].tolist(), gr[order].tolist(),
            floats(sc[order], sig=4), floats(lo[order], sig=6), floats(hi[order], sig=6),
            ix[order].tolist()]
    return {"rows": [list(r) for r in zip(*cols)], "total": total}


def flagged_section(table: dict[str, Any], t: dict[str, str]) -> str:
    if table["total"] == 0:
        return (f'<section id="flagged"><h2>{esc(t["flagged"])}</h2>'
                f'<p class="notice">{esc(t["none_flagged"])}</p></section>')
    heads = [("column", False), ("time", False), ("value", True), ("rule", False),
             ("flag", False), ("score", True), ("lower", True), ("upper", True)]
    ths = "".join(
        f'<th data-k="{k}" aria-sort="none"{" class=num" if numeric else ""}>'
        f'<button type="button">{esc(cap(t[name]))}'
        f'<span class="arrow"></span></button></th>'
        for k, (name, numeric) in enumerate(heads)
    )
    capped = ""
    if table["total"] > len(table["rows"]):
        capped = (f'<p class="notice">'
                  f'{esc(t["table_capped"].format(kept=num(len(table["rows"])), total=num(table["total"])))}</p>')
    return (f'<section id="flagged"><h2>{esc(t["flagged"])}</h2>'
            f'<p class="muted">{esc(t["flagged_help"])}</p>{capped}'
            f'<label class="filter">{esc(t["filter"])} <input type="search" id="flag-filter" '
            f'placeholder="{esc(t["filter_placeholder"])}" autocomplete="off"></label> '
            f'<span class="muted" id="flag-count"></span>'
            f'<div class="table-wrap"><table class="grid" id="flag-table"><thead><tr>{ths}</tr></thead>'
            f"<tbody></tbody></table></div></section>")

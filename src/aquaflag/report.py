"""The HTML report: one self-contained page that shows what was flagged and why.

:func:`write_report` turns a :class:`~aquaflag.result.Result` into a single
HTML file that works offline (no CDN, no server): plotly.js, taken from the
installed ``plotly`` package, is embedded *once*; the per-column data are
embedded as JSON and drawn by a small script, so a dozen charts share one copy
of the library. The page holds

* a run summary: input file, time range, columns, the rules with their
  parameters and severity, and a table of flag counts per column and severity;
* a monthly overview: a heat map of flagged values per column × month;
* per column an interactive time-series chart (zoom, pan; hover shows the time,
  the value, the rules that flagged the point and their scores), with each
  rule's bounds drawn as lines and the points coloured by flag;
* a method comparison (one small panel per rule) for a column picked from a list,
  when at least two rules ran;
* a sortable, filterable table of the flagged values;
* the exact configuration used (rules as TOML) and the aquaflag version.

Long series are downsampled for display with MinMaxLTTB (``tsdownsample``);
every flagged point is always kept, and each chart says how many points it
shows. All text comes from one small table per language (English, Korean).
Every string taken from the data or the file name is escaped, both in HTML and
inside the embedded JSON.

:func:`summary_html` is the compact table that ``Result._repr_html_`` shows in
Jupyter.

This module reads a Result only. It imports plotly and tsdownsample inside the
functions that need them, so importing it costs little.
"""

from __future__ import annotations

import datetime as _dt
import functools
import html
import json
import math
import numbers
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import InputError, ParameterError
from .flags import Flag, severity_flag
from ._version import __version__
from .config import rules_to_toml
from .result import extreme

if TYPE_CHECKING:  # pragma: no cover
    from .result import Result

__all__ = ["write_report", "summary_html", "STRINGS", "FONT_STACK"]

#: CSS font stack of the page and the charts: Latin system fonts, then Korean ones.
FONT_STACK = ('-apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans KR", '
              '"Malgun Gothic", "Apple SD Gothic Neo", "NanumGothic", "Noto Sans CJK KR", sans-serif')

#: Above this many points a chart's series is drawn as a line without markers.
MAX_MARKERS = 2000
#: At most this many rows of flagged values are embedded in the page's table.
MAX_TABLE_ROWS = 20_000
#: Rows of :func:`summary_html` before it says "and N more".
MAX_SUMMARY_ROWS = 60
#: A jump in time longer than this many median steps breaks a chart's line.
GAP_STEPS = 10

#: The report's own text, one dict per language. ``{name}`` fields are filled in.
STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "aquaflag report",
        "generated": "Generated {when} by aquaflag {version}",
        "contents": "Contents",
        "summary": "Summary",
        "input_file": "Input file",
        "no_file": "(data given in memory)",
        "time_range": "Time range",
        "rows": "Rows",
        "columns": "Columns",
        "n_columns": "{n} evaluated",
        "no_dates": "no dates (rows {first} to {last})",
        "timezone": "times shown in {tz}",
        "rules": "Rules",
        "rule": "Rule",
        "method": "Method",
        "parameters": "Parameters",
        "severity": "Severity",
        "applies_to": "Columns",
        "all_columns": "all",
        "flag_counts": "Flags per column",
        "column": "Column",
        "unit": "Unit",
        "values": "Values",
        "missing": "missing",
        "not_evaluated": "not evaluated",
        "good": "good",
        "suspect": "suspect",
        "fail": "fail",
        "flagged_pct": "% flagged",
        "total": "Total",
        "per_rule": "Per column and rule",
        "evaluated": "evaluated",
        "outliers": "outliers",
        "lower": "lower",
        "upper": "upper",
        "note": "note",
        "read_notes": "Notes from reading the file",
        "skipped": "Columns not evaluated",
        "overview": "Monthly overview",
        "overview_help": "Flagged values (suspect or fail) per column and month. Hover for details.",
        "overview_none": "The data have no dates (the index is not a time index), so there is no monthly overview.",
        "charts": "Time series",
        "charts_help": ("Zoom by dragging, pan with the toolbar, double-click to reset. Grey: good; "
                        "orange: suspect; red: fail; light grey: not evaluated; dashed lines: the "
                        "bounds of each rule. Hover a point for the rules that flagged it."),
        "shown_all": "all {total} points shown",
        "ds_many": "showing {shown} of {total} points; all {flagged} flagged points kept",
        "ds_one": "showing {shown} of {total} points; the 1 flagged point kept",
        "ds_none": "showing {shown} of {total} points; no flagged points",
        "no_values": "no values in this column",
        "compare": "Method comparison",
        "compare_help": "One panel per rule on the chosen column, with that rule's bounds and flags.",
        "compare_pick": "Column",
        "flagged": "Flagged values",
        "flagged_help": ("One row per value and rule that flagged it. Click a column header to sort; "
                         "type in the box to filter."),
        "filter": "Filter",
        "filter_placeholder": "filter: column, date, rule …",
        "table_count": "{shown} of {total} rows",
        "table_more": "{shown} of {total} matching rows shown; type in the filter to narrow them",
        "table_capped": "The table holds the first {kept} of {total} flags; Result.outliers has all.",
        "none_flagged": "No value was flagged.",
        "time": "Time",
        "value": "Value",
        "flag": "Flag",
        "score": "Score",
        "bounds": "bounds",
        "config": "Configuration",
        "config_help": "The rules of this run; with the same data and aquaflag {version} they give the same flags.",
        "version": "aquaflag version",
        "flagged_n": "flagged",
        "n_flagged": "{n} flagged",
        "series": "values",
        "months": "Month",
        "rules_on": "rules",
    },
    "ko": {
        "title": "aquaflag 이상값 보고서",
        "generated": "{when} aquaflag {version}(으)로 작성",
        "contents": "목차",
        "summary": "요약",
        "input_file": "입력 파일",
        "no_file": "(메모리의 자료)",
        "time_range": "기간",
        "rows": "행 수",
        "columns": "항목",
        "n_columns": "{n}개 평가",
        "no_dates": "날짜 없음 (행 {first} ~ {last})",
        "timezone": "시각은 {tz} 기준",
        "rules": "탐지 규칙",
        "rule": "규칙",
        "method": "방법",
        "parameters": "매개변수",
        "severity": "심각도",
        "applies_to": "적용 항목",
        "all_columns": "전체",
        "flag_counts": "항목별 판정 건수",
        "column": "항목",
        "unit": "단위",
        "values": "자료 수",
        "missing": "결측",
        "not_evaluated": "미평가",
        "good": "정상",
        "suspect": "의심",
        "fail": "불량",
        "flagged_pct": "이상값 비율(%)",
        "total": "합계",
        "per_rule": "항목·규칙별 결과",
        "evaluated": "평가 수",
        "outliers": "이상값",
        "lower": "하한",
        "upper": "상한",
        "note": "비고",
        "read_notes": "파일 읽기 기록",
        "skipped": "평가하지 않은 열",
        "overview": "월별 이상값 현황",
        "overview_help": "항목별·월별 이상값(의심 또는 불량) 건수. 칸 위에 마우스를 올리면 자세히 보입니다.",
        "overview_none": "자료에 날짜 색인이 없어 월별 현황을 표시하지 않습니다.",
        "charts": "시계열 그래프",
        "charts_help": ("드래그하여 확대, 도구 모음으로 이동, 두 번 클릭하면 원래대로. 회색: 정상, "
                        "주황: 의심, 빨강: 불량, 연회색: 미평가, 점선: 규칙별 경계. 점 위에 마우스를 "
                        "올리면 그 값을 탐지한 규칙이 보입니다."),
        "shown_all": "전체 {total}개 표시",
        "ds_many": "전체 {total}개 중 {shown}개 표시, 이상값 {flagged}개는 모두 포함",
        "ds_one": "전체 {total}개 중 {shown}개 표시, 이상값 1개 포함",
        "ds_none": "전체 {total}개 중 {shown}개 표시, 이상값 없음",
        "no_values": "이 항목에는 값이 없습니다",
        "compare": "방법 비교",
        "compare_help": "선택한 항목에 대해 규칙마다 하나의 그래프로 경계와 이상값을 보여 줍니다.",
        "compare_pick": "항목",
        "flagged": "이상값 목록",
        "flagged_help": "값과 그 값을 탐지한 규칙마다 한 행. 열 제목을 누르면 정렬, 입력란에 쓰면 걸러냅니다.",
        "filter": "검색",
        "filter_placeholder": "검색: 항목, 날짜, 규칙 …",
        "table_count": "{total}행 중 {shown}행",
        "table_more": "해당 {total}행 중 {shown}행 표시; 검색어로 좁혀 보세요",
        "table_capped": "표에는 전체 {total}건 중 처음 {kept}건만 담았습니다. 전체는 Result.outliers 에 있습니다.",
        "none_flagged": "탐지된 이상값이 없습니다.",
        "time": "일시",
        "value": "값",
        "flag": "판정",
        "score": "점수",
        "bounds": "경계",
        "config": "실행 설정",
        "config_help": "이번 실행의 규칙. 같은 자료와 aquaflag {version}(으)로 같은 판정을 얻습니다.",
        "version": "aquaflag 버전",
        "flagged_n": "이상값",
        "n_flagged": "이상값 {n}개",
        "series": "측정값",
        "months": "월",
        "rules_on": "규칙",
    },
}

_FLAG_COLORS = {1: "#7f7f7f", 2: "#c7c7c7", 3: "#f28e2b", 4: "#d62728"}
_HOSTILE_JSON = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


# ============================================================================ public API
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
        omitted, the HTML text is returned instead (for Jupyter, wrap it in
        ``IPython.display.HTML``).
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
    ImportError
        When plotly (or, for long series, tsdownsample) is not installed:
        ``pip install plotly tsdownsample`` (dependencies of aquaflag).

    Notes
    -----
    The page embeds plotly.js once (about 4.8 MB) and the data of every
    chart as JSON; with the default ``max_points`` each chart holds at most
    about 5,000 points plus the flagged ones, so the page stays responsive
    for series of millions of values. Gaps (missing values, and jumps in time
    longer than ten median sampling steps) break the lines.

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
    if isinstance(max_points, bool) or not isinstance(max_points, numbers.Integral) or max_points < 10:
        raise ParameterError(f"max_points of write_report must be an integer >= 10; got {max_points!r}")
    page = _Page(result, lang=lang, title=title, config_text=config_text,
                 max_points=int(max_points)).render()
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


def summary_html(result: "Result", *, lang: str = "en") -> str:
    """A compact HTML table of a Result: per column and rule, evaluated, outliers, bounds.

    Used by ``Result._repr_html_`` to show a Result in Jupyter. Every name is
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
    if lang not in STRINGS:
        raise ParameterError(f"lang must be one of {', '.join(map(repr, STRINGS))}; got {lang!r}")
    t = STRINGS[lang]
    esc = html.escape
    rows = list(_items(result))
    flagged_cells = _flagged_cells(result)
    head = (f"<b>aquaflag.Result</b>: {len(result.data.columns):,} {esc(t['columns'].lower())} × "
            f"{len(result.data):,} {esc(t['rows'].lower())}; {esc(t['rules'].lower())}: "
            f"{esc(', '.join(str(r.label) for r in result.rules))}; "
            f"{esc(t['n_flagged'].format(n=_num(flagged_cells)))}")
    cells = []
    for col, rule, det in rows[:MAX_SUMMARY_ROWS]:
        lo = extreme(det.lower, np.min)
        hi = extreme(det.upper, np.max)
        cls = ' style="color:#d62728;font-weight:bold"' if det.n_outliers else ""
        note = f' title="{esc(det.note)}"' if det.note else ""
        cells.append(
            f"<tr><td{note}>{esc(str(col))}</td><td>{esc(str(rule.label))}</td>"
            f'<td style="text-align:right">{det.n_evaluated:,}</td>'
            f'<td style="text-align:right"{cls}>{det.n_outliers:,}</td>'
            f'<td style="text-align:right">{esc(_fmt(lo))}</td>'
            f'<td style="text-align:right">{esc(_fmt(hi))}</td></tr>'
        )
    more = ""
    if len(rows) > MAX_SUMMARY_ROWS:
        more = (f'<tr><td colspan="6">… {len(rows) - MAX_SUMMARY_ROWS:,} more '
                "(see Result.summary)</td></tr>")
    hdr = "".join(f"<th>{esc(_cap(t[k]))}</th>"
                  for k in ("column", "rule", "evaluated", "outliers", "lower", "upper"))
    return (
        f'<div class="aquaflag-summary" style="font-family:{esc(FONT_STACK)}">'
        f"<p>{head}</p><table><thead><tr>{hdr}</tr></thead>"
        f"<tbody>{''.join(cells)}{more}</tbody></table></div>"
    )


# ============================================================================ helpers
def _items(result: "Result"):
    """(column, rule, detection) in column order, then rule order."""
    for col in result.data.columns:
        for rule in result.rules:
            det = result.detections.get((col, rule.label))
            if det is not None:
                yield col, rule, det


def _flagged_cells(result: "Result") -> int:
    codes = result.flags.to_numpy()
    return int(((codes == int(Flag.SUSPECT)) | (codes == int(Flag.FAIL))).sum())


def _fmt(x: Any) -> str:
    """A number for a table cell: up to 6 significant digits, '' for NaN."""
    if x is None:
        return ""
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(xf):
        return ""
    if math.isinf(xf):
        return "∞" if xf > 0 else "−∞"
    return f"{xf:.6g}"


def _cap(text: str) -> str:
    """A table header: first letter upper case (no change for Hangul)."""
    return text[:1].upper() + text[1:]


def _num(n: int) -> str:
    return f"{int(n):,}"


def _json_for_script(obj: Any) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>``, ``&`` (and U+2028/9) escaped."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, rep in _HOSTILE_JSON.items():
        text = text.replace(ch, rep)
    return text


def _floats(arr: np.ndarray, sig: int | None = None) -> list:
    """A float array as a JSON-ready list: NaN/inf -> None, optionally rounded to ``sig`` digits."""
    out = []
    for v in np.asarray(arr, dtype=np.float64).tolist():
        if v != v or v in (math.inf, -math.inf):
            out.append(None)
        elif sig is not None:
            out.append(float(f"{v:.{sig}g}"))
        else:
            out.append(v)
    return out


def _scalar_or_array(arr: np.ndarray, shown: np.ndarray) -> Any:
    """A bound for the JSON: None (no bound), one number (constant), or the values at ``shown``."""
    finite = ~np.isnan(arr)
    if not finite.any():
        return None
    first = arr[finite][0]
    if finite.all() and np.all(arr == first):
        return None if math.isinf(first) else float(f"{first:.8g}")
    return _floats(arr[shown], sig=7)


def _plotly_js() -> str:
    try:
        import plotly.offline  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the HTML report needs plotly, which is not installed: "
            'pip install plotly tsdownsample'
        ) from exc
    return _cached_plotly_js()


@functools.lru_cache(maxsize=1)
def _cached_plotly_js() -> str:
    import plotly.offline

    js = plotly.offline.get_plotlyjs()
    # plotly.js is embedded as is; make sure nothing in it can close the element early.
    return re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)


def _downsample(x: np.ndarray, y: np.ndarray, n_out: int) -> np.ndarray:
    """Indices into ``x``/``y`` kept by MinMaxLTTB (tsdownsample)."""
    try:
        from tsdownsample import MinMaxLTTBDownsampler
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "downsampling long series for the HTML report needs tsdownsample, which is not "
            'installed: pip install tsdownsample, '
            "or pass a larger max_points"
        ) from exc
    idx = MinMaxLTTBDownsampler().downsample(x, y, n_out=max(3, int(n_out)))
    return np.asarray(idx, dtype=np.int64)


def config_toml(result: "Result") -> str:
    """The rules of ``result`` as a QC configuration (see :mod:`aquaflag.config`), with a header."""
    lines = [f"# aquaflag {__version__}: the rules of this run",
             f"# generated {_dt.datetime.now().astimezone().isoformat(timespec='seconds')}"]
    src = getattr(result.source, "path", None) if result.source is not None else None
    if src:
        lines.append(f"# input file: {json.dumps(str(src), ensure_ascii=False)}")
    lines.append(f"# reproduce: aquaflag run -c THIS_FILE {json.dumps(str(src or 'DATA'), ensure_ascii=False)}")
    return "\n".join(lines) + "\n\n" + rules_to_toml(result.rules)


# ============================================================================ the page
class _Axis:
    """The x axis of every chart: numbers for plotly, strings for tables, months for the heat map."""

    def __init__(self, index: pd.Index) -> None:
        self.tz: str | None = None
        self.wall: pd.DatetimeIndex | None = None
        if isinstance(index, pd.PeriodIndex):
            index = index.to_timestamp()
        n = len(index)
        if isinstance(index, pd.DatetimeIndex):
            wall = index
            if index.tz is not None:
                self.tz = str(index.tz)
                wall = index.tz_localize(None)
            self.wall = wall
            self.is_time = True
            nat = np.asarray(wall.isna())
            ms = wall.to_numpy(dtype="datetime64[ms]").astype(np.int64)
            self.valid = ~nat
            self.x = ms.astype(np.float64)
            self.x[nat] = np.nan
            ok = wall[~nat]
            if len(ok) == 0 or bool((ok == ok.normalize()).all()):
                self.fmt = "%Y-%m-%d"
            elif bool(((ok.second == 0) & (ok.microsecond == 0)).all()):
                self.fmt = "%Y-%m-%d %H:%M"
            else:
                self.fmt = "%Y-%m-%d %H:%M:%S"
            self.label = (str(index.name) if index.name is not None else None)
        elif pd.api.types.is_numeric_dtype(index.dtype) and not pd.api.types.is_bool_dtype(index.dtype):
            self.is_time = False
            self.x = index.to_numpy(dtype=np.float64, na_value=np.nan)
            self.valid = ~np.isnan(self.x)
            self.fmt = None
            self.label = str(index.name) if index.name is not None else None
        else:
            self.is_time = False
            self.x = np.arange(n, dtype=np.float64)
            self.valid = np.ones(n, dtype=bool)
            self.fmt = None
            self.label = str(index.name) if index.name is not None else None
        self.index = index
        xs = self.x[self.valid]
        self.monotonic = bool(xs.size < 2 or np.all(np.diff(xs) >= 0))
        self.ds_x = self.x if self.monotonic else np.arange(n, dtype=np.float64)
        # big jumps in time (no rows at all) break lines like missing values do
        jumps = np.zeros(n, dtype=bool)
        if self.monotonic and xs.size > 2:
            pos = np.flatnonzero(self.valid)
            steps = np.diff(self.x[pos])
            positive = steps[steps > 0]
            if positive.size:
                med = float(np.median(positive))
                jumps[pos[1:][steps > GAP_STEPS * med]] = True
        self.jumps = jumps

    def strings(self, positions: np.ndarray) -> list[str]:
        """The index at ``positions`` as text for tables."""
        if self.wall is not None:
            sub = self.wall[positions]
            return [("" if s is None or s != s else s) for s in sub.strftime(self.fmt).tolist()]
        vals = self.index[positions]
        return [str(v) for v in vals]

    def json_x(self, positions: np.ndarray) -> list:
        xs = self.x[positions]
        if self.is_time:
            return [None if v != v else int(v) for v in xs.tolist()]
        if np.all(np.isfinite(xs)) and np.all(xs == np.round(xs)) and np.all(np.abs(xs) < 2**53):
            return [int(v) for v in xs.tolist()]
        return _floats(xs)


class _Page:
    def __init__(self, result: "Result", *, lang: str, title: str | None,
                 config_text: str | None, max_points: int) -> None:
        self.r = result
        self.lang = lang
        self.t = STRINGS[lang]
        self.version = __version__
        self.config_text = config_text
        self.max_points = max_points
        self.columns = list(result.data.columns)
        self.axis = _Axis(result.data.index)
        self.values = result.data.to_numpy(dtype=np.float64, na_value=np.nan)
        if self.values.ndim != 2:  # pragma: no cover - a Result always holds a frame
            self.values = self.values.reshape(len(result.data), -1)
        self.codes = result.flags.to_numpy().astype(np.uint8)
        self.src = getattr(result.source, "path", None) if result.source is not None else None
        default_title = self.t["title"] + (f" — {Path(str(self.src)).name}" if self.src else "")
        self.title = str(title) if title is not None else default_title
        self.rule_index = {r.label: i for i, r in enumerate(result.rules)}
        self.compare_cols = [j for j, c in enumerate(self.columns)
                             if sum((c, r.label) in result.detections for r in result.rules) >= 2]

    # ----------------------------------------------------------------- data
    def column_payload(self, j: int) -> dict[str, Any]:
        col = self.columns[j]
        v = self.values[:, j]
        codes = self.codes[:, j]
        n = v.shape[0]
        valid = np.isfinite(v) & self.axis.valid  # +-inf is not a measurement (never evaluated)
        pos = np.flatnonzero(valid)
        flagged = (codes == int(Flag.SUSPECT)) | (codes == int(Flag.FAIL))
        for rule in self.r.rules:
            det = self.r.detections.get((col, rule.label))
            if det is not None:
                flagged |= det.mask
        flagged &= valid
        n_flagged = int(flagged.sum())
        downsampled = pos.size > self.max_points
        if downsampled:
            keep = np.zeros(n, dtype=bool)
            picked = _downsample(self.axis.ds_x[pos], v[pos], self.max_points)
            keep[pos[picked]] = True
            keep[pos[0]] = keep[pos[-1]] = True
            keep |= flagged
            shown = np.flatnonzero(keep)
        else:
            shown = pos
        # a gap before display point k when a missing value or a jump in time lies between
        breaks = np.cumsum((~valid) | self.axis.jumps)
        gaps = []
        if shown.size > 1:
            # breaks counts missing rows and jumps (a jump marks the row after it) up to each row
            between = breaks[shown[1:]] - breaks[shown[:-1]]
            gaps = (np.flatnonzero(between > 0) + 1).tolist()
        rules = []
        for rule in self.r.rules:
            det = self.r.detections.get((col, rule.label))
            if det is None:
                continue
            hit_rows = np.flatnonzero(det.mask[shown])
            sev = int(severity_flag(rule.severity))
            if det.grade is not None:
                grades = det.grade[shown][hit_rows].astype(int)
                g: Any = [int(x) if x in (3, 4) else sev for x in grades.tolist()]
            else:
                g = sev
            rules.append({
                "r": self.rule_index[rule.label],
                "h": hit_rows.tolist(),
                "s": _floats(det.score[shown][hit_rows], sig=4),
                "g": g,
                "lo": _scalar_or_array(det.lower, shown),
                "hi": _scalar_or_array(det.upper, shown),
                "n": det.n_outliers,
                "ev": det.n_evaluated,
            })
        yr = self._y_range(v[pos], rules) if pos.size else None
        return {
            "name": str(col),
            "unit": self._unit(col),
            "n": int(n),
            "nv": int(pos.size),
            "ns": int(shown.size),
            "nf": n_flagged,
            "ds": bool(downsampled),
            "x": self.axis.json_x(shown),
            "y": _floats(v[shown], sig=12),
            "f": codes[shown].astype(int).tolist(),
            "gaps": gaps,
            "rules": rules,
            "yr": yr,
        }

    @staticmethod
    def _y_range(vals: np.ndarray, rules: list[dict]) -> list[float] | None:
        """Initial y range: the data, and the bounds within one data span of them.

        A bound farther away flagged nothing and would squash the data (a gross range
        of 0-100,000 µS/cm around values near 300); it is still drawn, off the initial view.
        """
        lo, hi = float(np.min(vals)), float(np.max(vals))
        span = hi - lo
        if span == 0:
            span = abs(hi) * 0.1 or 1.0
        near_lo, near_hi = lo - span, hi + span
        for rd in rules:
            for key in ("lo", "hi"):
                b = rd[key]
                arr = [b] if isinstance(b, float) else [x for x in (b or []) if x is not None]
                for x in arr:
                    if near_lo <= x <= near_hi:
                        lo, hi = min(lo, x), max(hi, x)
        pad = 0.06 * ((hi - lo) or span)
        return [lo - pad, hi + pad]

    def _unit(self, col: Any) -> str:
        info = self.r.series.get(str(col))
        return (info.unit or "") if info is not None else ""

    def heat_payload(self) -> dict[str, Any] | None:
        wall = self.axis.wall
        if wall is None or not self.axis.valid.any():
            return None
        ok = self.axis.valid
        year = np.asarray(wall.year, dtype=np.float64)
        month = np.asarray(wall.month, dtype=np.float64)
        ordinal = np.where(ok, year * 12 + month - 1, np.nan)
        first = int(np.nanmin(ordinal))
        last = int(np.nanmax(ordinal))
        n_months = last - first + 1
        mi = np.where(ok, ordinal - first, 0).astype(np.int64)
        z, zs, zf = [], [], []
        for j in range(len(self.columns)):
            codes = self.codes[:, j]
            s = (codes == int(Flag.SUSPECT)) & ok
            f = (codes == int(Flag.FAIL)) & ok
            cs = np.bincount(mi[s], minlength=n_months)
            cf = np.bincount(mi[f], minlength=n_months)
            z.append((cs + cf).tolist())
            zs.append(cs.tolist())
            zf.append(cf.tolist())
        months = [f"{(first + k) // 12:04d}-{(first + k) % 12 + 1:02d}" for k in range(n_months)]
        return {"months": months, "cols": [str(c) for c in self.columns], "z": z, "zs": zs, "zf": zf}

    def table_payload(self) -> dict[str, Any]:
        parts = []
        pos_of = {c: j for j, c in enumerate(self.columns)}
        for col, rule, det in _items(self.r):
            idx = np.flatnonzero(det.mask)
            if idx.size == 0:
                continue
            sev = int(severity_flag(rule.severity))
            grade = (np.where(np.isin(det.grade[idx], (3, 4)), det.grade[idx], sev)
                     if det.grade is not None else np.full(idx.size, sev))
            parts.append((pos_of[col], self.rule_index[rule.label], idx, det, grade.astype(int)))
        total = int(sum(p[2].size for p in parts))
        if not parts:
            return {"rows": [], "total": 0}
        cj = np.concatenate([np.full(p[2].size, p[0]) for p in parts])
        rk = np.concatenate([np.full(p[2].size, p[1]) for p in parts])
        ix = np.concatenate([p[2] for p in parts])
        val = np.concatenate([self.values[p[2], p[0]] for p in parts])
        sc = np.concatenate([p[3].score[p[2]] for p in parts])
        lo = np.concatenate([p[3].lower[p[2]] for p in parts])
        hi = np.concatenate([p[3].upper[p[2]] for p in parts])
        gr = np.concatenate([p[4] for p in parts])
        order = np.lexsort((rk, ix, cj))[:MAX_TABLE_ROWS]
        times = self.axis.strings(ix[order])
        cols = [cj[order].tolist(), times, _floats(val[order], sig=12), rk[order].tolist(), gr[order].tolist(),
                _floats(sc[order], sig=4), _floats(lo[order], sig=6), _floats(hi[order], sig=6),
                ix[order].tolist()]
        rows = [list(r) for r in zip(*cols)]
        return {"rows": rows, "total": total}

    # ----------------------------------------------------------------- html
    def render(self) -> str:
        t, esc = self.t, html.escape
        columns = [self.column_payload(j) for j in range(len(self.columns))]
        heat = self.heat_payload()
        table = self.table_payload()
        data = {
            "lang": self.lang,
            "t": {k: v for k, v in t.items()},
            "font": FONT_STACK,
            "is_time": self.axis.is_time,
            "xfmt": self.axis.fmt,
            "xlabel": self.axis.label,
            "max_markers": MAX_MARKERS,
            "colors": {str(k): v for k, v in _FLAG_COLORS.items()},
            "rules": [{"label": str(r.label), "method": str(r.method), "severity": str(r.severity)}
                      for r in self.r.rules],
            "columns": columns,
            "heat": heat,
            "table": table,
            "compare": self.compare_cols,
        }
        parts = [
            "<!DOCTYPE html>",
            f'<html lang="{self.lang}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta name="generator" content="aquaflag {esc(self.version)}">',
            f"<title>{esc(self.title)}</title>",
            f"<style>{_CSS.replace('__FONT__', FONT_STACK)}</style>",
            f"<script>{_plotly_js()}</script>",
            "</head>",
            "<body>",
            "<main>",
            self._header(),
            self._summary(columns),
            self._overview(heat),
            self._charts(columns),
            self._compare(),
            self._flagged(table),
            self._config(),
            "</main>",
            f'<script type="application/json" id="aquaflag-data">{_json_for_script(data)}</script>',
            f"<script>{_APP_JS}</script>",
            "</body>",
            "</html>",
        ]
        return "\n".join(parts)

    def _header(self) -> str:
        t, esc = self.t, html.escape
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
        t, esc = self.t, html.escape
        src = esc(str(self.src)) if self.src else esc(t["no_file"])
        kv = [
            (t["input_file"], f"<code>{src}</code>" if self.src else src),
            (t["time_range"], esc(self._time_range())),
            (t["rows"], _num(len(self.r.data))),
            (t["columns"], esc(t["n_columns"].format(n=_num(len(self.columns))))),
            (t["rules"], esc(", ".join(str(r.label) for r in self.r.rules))),
            (t["version"], esc(self.version)),
        ]
        out = ['<section id="summary">', f"<h2>{esc(t['summary'])}</h2>", '<table class="kv">']
        out += [f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in kv]
        out.append("</table>")
        # rules
        out.append(f"<h3>{esc(t['rules'])}</h3>")
        out.append(f'<table class="grid"><thead><tr><th>{esc(t["rule"])}</th><th>{esc(t["method"])}</th>'
                   f'<th>{esc(t["parameters"])}</th><th>{esc(t["severity"])}</th>'
                   f'<th>{esc(t["applies_to"])}</th></tr></thead><tbody>')
        for r in self.r.rules:
            params = r.params_text()  # non-default ones
            cols = r.selection() or t["all_columns"]
            sev = str(r.severity)
            out.append(f"<tr><td>{esc(str(r.label))}</td><td>{esc(str(r.method))}</td>"
                       f"<td><code>{esc(params)}</code></td>"
                       f'<td><span class="badge sev-{esc(sev)}">{esc(t.get(sev, sev))}</span></td>'
                       f"<td>{esc(cols)}</td></tr>")
        out.append("</tbody></table>")
        # flags per column
        heads = ["column", "unit", "values", "missing", "not_evaluated", "good", "suspect", "fail",
                 "flagged_pct"]
        out.append(f"<h3>{esc(t['flag_counts'])}</h3>")
        out.append('<table class="grid" id="flag-counts"><thead><tr>'
                   + "".join(f'<th{" class=num" if k not in ("column", "unit") else ""}>{esc(_cap(t[k]))}</th>'
                             for k in heads)
                   + "</tr></thead><tbody>")
        totals = np.zeros(6, dtype=np.int64)
        for j, col in enumerate(self.columns):
            codes = self.codes[:, j]
            cnt = np.array([len(codes), (codes == 9).sum(), (codes == 2).sum(), (codes == 1).sum(),
                            (codes == 3).sum(), (codes == 4).sum()], dtype=np.int64)
            totals += cnt
            present = cnt[0] - cnt[1]
            pct = f"{100.0 * (cnt[4] + cnt[5]) / present:.2f}" if present else ""
            cells = [f'<td><a href="#col-{j}">{esc(str(col))}</a></td>',
                     f"<td>{esc(columns[j]['unit'])}</td>"]
            for k, c in enumerate(cnt):
                cls = "num"
                if k == 4 and c:
                    cls += " hit-suspect"
                if k == 5 and c:
                    cls += " hit-fail"
                cells.append(f'<td class="{cls}" data-code="{("n", 9, 2, 1, 3, 4)[k]}">{_num(c)}</td>')
            cells.append(f'<td class="num">{pct}</td>')
            out.append(f'<tr data-column="{j}">' + "".join(cells) + "</tr>")
        present = totals[0] - totals[1]
        pct = f"{100.0 * (totals[4] + totals[5]) / present:.2f}" if present else ""
        out.append(f'</tbody><tfoot><tr><th>{esc(t["total"])}</th><td></td>'
                   + "".join(f'<td class="num">{_num(c)}</td>' for c in totals)
                   + f'<td class="num">{pct}</td></tr></tfoot></table>')
        # per column and rule
        out.append(f"<details><summary>{esc(t['per_rule'])}</summary>{self._per_rule()}</details>")
        # notes from reading, skipped columns
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
                       + "".join(f"<li><b>{esc(str(k))}</b>: {esc(str(v))}</li>"
                                 for k, v in self.r.skipped.items()) + "</ul>")
        out.append("</section>")
        return "\n".join(out)

    def _per_rule(self) -> str:
        t, esc = self.t, html.escape
        heads = ("column", "rule", "evaluated", "outliers", "lower", "upper", "note")
        rows = []
        for col, rule, det in _items(self.r):
            rows.append(
                f"<tr><td>{esc(str(col))}</td><td>{esc(str(rule.label))}</td>"
                f'<td class="num">{_num(det.n_evaluated)}</td><td class="num">{_num(det.n_outliers)}</td>'
                f'<td class="num">{esc(_fmt(extreme(det.lower, np.min)))}</td>'
                f'<td class="num">{esc(_fmt(extreme(det.upper, np.max)))}</td>'
                f"<td>{esc(det.note)}</td></tr>"
            )
        return ('<table class="grid"><thead><tr>'
                + "".join(f"<th>{esc(_cap(t[k]))}</th>" for k in heads)
                + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")

    def _overview(self, heat: dict | None) -> str:
        t, esc = self.t, html.escape
        body = (f'<p class="muted">{esc(t["overview_help"])}</p><div class="chart heat" id="heatmap"></div>'
                if heat is not None else f'<p class="notice" id="no-heatmap">{esc(t["overview_none"])}</p>')
        return f'<section id="overview"><h2>{esc(t["overview"])}</h2>{body}</section>'

    def _ds_note(self, c: dict) -> str:
        t = self.t
        if c["nv"] == 0:
            return t["no_values"]
        if not c["ds"]:
            return t["shown_all"].format(total=_num(c["nv"]))
        key = "ds_none" if c["nf"] == 0 else "ds_one" if c["nf"] == 1 else "ds_many"
        return t[key].format(shown=_num(c["ns"]), total=_num(c["nv"]), flagged=_num(c["nf"]))

    def _charts(self, columns: list[dict]) -> str:
        t, esc = self.t, html.escape
        out = ['<section id="charts">', f"<h2>{esc(t['charts'])}</h2>",
               f'<p class="muted">{esc(t["charts_help"])}</p>']
        for j, c in enumerate(columns):
            unit = f' <span class="unit">({esc(c["unit"])})</span>' if c["unit"] else ""
            notes = []
            for rule in self.r.rules:
                det = self.r.detections.get((self.columns[j], rule.label))
                if det is not None and det.note:
                    notes.append(f"<li><b>{esc(str(rule.label))}</b>: {esc(det.note)}</li>")
            note_html = f'<ul class="notes">{"".join(notes)}</ul>' if notes else ""
            n_flag = c["nf"]
            out.append(
                f'<article class="card" id="col-{j}"><h3>{esc(c["name"])}{unit}'
                f' <span class="count">{esc(t["n_flagged"].format(n=_num(n_flag)))}</span></h3>'
                f'<p class="ds-note" id="ds-note-{j}">{esc(self._ds_note(c))}</p>{note_html}'
                f'<div class="chart" id="chart-{j}" data-column="{j}"></div></article>'
            )
        out.append("</section>")
        return "\n".join(out)

    def _compare(self) -> str:
        if not self.compare_cols:
            return ""
        t, esc = self.t, html.escape
        # start with the column most flagged, which is the most instructive
        flagged = [int(((self.codes[:, j] == 3) | (self.codes[:, j] == 4)).sum()) for j in self.compare_cols]
        first = self.compare_cols[int(np.argmax(flagged))]
        opts = "".join(
            f'<option value="{j}"{" selected" if j == first else ""}>{esc(str(self.columns[j]))}</option>'
            for j in self.compare_cols
        )
        return (f'<section id="compare"><h2>{esc(t["compare"])}</h2>'
                f'<p class="muted">{esc(t["compare_help"])}</p>'
                f'<label>{esc(t["compare_pick"])} <select id="compare-column">{opts}</select></label>'
                f'<div class="chart compare" id="compare-chart"></div></section>')

    def _flagged(self, table: dict) -> str:
        t, esc = self.t, html.escape
        if table["total"] == 0:
            return (f'<section id="flagged"><h2>{esc(t["flagged"])}</h2>'
                    f'<p class="notice">{esc(t["none_flagged"])}</p></section>')
        heads = [("column", False), ("time", False), ("value", True), ("rule", False),
                 ("flag", False), ("score", True), ("lower", True), ("upper", True)]
        ths = "".join(
            f'<th data-k="{k}" aria-sort="none"{" class=num" if numeric else ""}>'
            f'<button type="button">{esc(_cap(t[name]))}'
            f'<span class="arrow"></span></button></th>'
            for k, (name, numeric) in enumerate(heads)
        )
        capped = ""
        if table["total"] > len(table["rows"]):
            capped = (f'<p class="notice">{esc(t["table_capped"].format(kept=_num(len(table["rows"])), total=_num(table["total"])))}</p>')
        return (f'<section id="flagged"><h2>{esc(t["flagged"])}</h2>'
                f'<p class="muted">{esc(t["flagged_help"])}</p>{capped}'
                f'<label class="filter">{esc(t["filter"])} <input type="search" id="flag-filter" '
                f'placeholder="{esc(t["filter_placeholder"])}" autocomplete="off"></label> '
                f'<span class="muted" id="flag-count"></span>'
                f'<div class="table-wrap"><table class="grid" id="flag-table"><thead><tr>{ths}</tr></thead>'
                f"<tbody></tbody></table></div></section>")

    def _config(self) -> str:
        t, esc = self.t, html.escape
        text = self.config_text if self.config_text is not None else config_toml(self.r)
        return (f'<section id="config"><h2>{esc(t["config"])}</h2>'
                f'<p class="muted">{esc(t["config_help"].format(version=self.version))}</p>'
                f'<p>{esc(t["version"])}: <code id="aquaflag-version">{esc(self.version)}</code></p>'
                f'<pre id="config-text">{esc(str(text))}</pre></section>')


_CSS = """
:root{--fg:#1f2328;--muted:#5c6370;--line:#d8dee4;--bg:#f6f7f9;--card:#fff;
--good:#7f7f7f;--ne:#c7c7c7;--suspect:#f28e2b;--fail:#d62728;--accent:#1f5fa8}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font-family:__FONT__;font-size:15px;line-height:1.5}
main{max-width:1180px;margin:0 auto;padding:8px 20px 48px}
header{padding:16px 0 4px;border-bottom:2px solid var(--line);margin-bottom:8px}
h1{font-size:1.6em;margin:0 0 4px;word-break:break-word}
h2{font-size:1.3em;margin:28px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:1.05em;margin:16px 0 6px;word-break:break-word}
a{color:var(--accent)}
nav a{margin-right:2px}
.muted{color:var(--muted);font-size:.92em;margin:4px 0}
.notice{background:#fff8e1;border:1px solid #f0d98c;padding:8px 12px;border-radius:4px}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"D2Coding","NanumGothicCoding",monospace;font-size:.9em}
pre{background:#fff;border:1px solid var(--line);border-radius:4px;padding:12px;overflow:auto;max-height:480px}
table{border-collapse:collapse;background:var(--card)}
table.kv th{text-align:left;padding:3px 14px 3px 0;color:var(--muted);font-weight:600;vertical-align:top}
table.kv td{padding:3px 0;word-break:break-all}
table.grid{width:100%;font-size:.9em;border:1px solid var(--line)}
table.grid th,table.grid td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
table.grid thead th{background:#eef1f4}
#flag-table thead th{position:sticky;top:0}
table.grid .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.grid tfoot th,table.grid tfoot td{font-weight:600;background:#fafbfc}
td.hit-suspect{background:#fde7d2;color:#8a4500;font-weight:600}
td.hit-fail{background:#f9d3d3;color:#8b1111;font-weight:600}
.badge{display:inline-block;padding:0 7px;border-radius:9px;font-size:.85em;color:#fff;background:var(--good)}
.badge.sev-suspect,.badge.f3{background:var(--suspect)}
.badge.sev-fail,.badge.f4{background:var(--fail)}
.badge.f2{background:var(--ne);color:#333}
details{margin:10px 0}
summary{cursor:pointer;color:var(--accent)}
ul.notes{margin:4px 0;padding-left:20px;font-size:.9em;color:var(--muted)}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:10px 14px;margin:12px 0}
.card h3{margin:2px 0}
.card .unit{color:var(--muted);font-weight:normal}
.card .count{font-size:.8em;font-weight:normal;color:var(--muted);margin-left:6px}
.ds-note{color:var(--muted);font-size:.85em;margin:0 0 4px}
.chart{width:100%;min-height:330px}
.chart.heat{min-height:0}
.chart.compare{min-height:400px}
.chart .empty{padding:24px;color:var(--muted)}
select,input[type=search]{font:inherit;padding:3px 6px;border:1px solid var(--line);border-radius:4px;background:#fff}
input[type=search]{width:min(420px,100%)}
label.filter{display:inline-block;margin:6px 12px 6px 0}
.table-wrap{max-height:640px;overflow:auto;border:1px solid var(--line);margin-top:6px}
#flag-table th button{all:unset;cursor:pointer;display:block;width:100%}
#flag-table th button:focus-visible{outline:2px solid var(--accent)}
#flag-table .arrow{margin-left:4px;color:var(--accent)}
#flag-table td.flag-3{color:#8a4500;font-weight:600}
#flag-table td.flag-4{color:#8b1111;font-weight:600}
"""

_APP_JS = r"""
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("aquaflag-data").textContent);
  var T = D.t;
  var COLORS = D.colors;
  var FLAGNAME = {1: T.good, 2: T.not_evaluated, 3: T.suspect, 4: T.fail, 9: T.missing};
  var PALETTE = ["#1f77b4", "#9467bd", "#17becf", "#8c564b", "#2ca02c", "#e377c2", "#bcbd22", "#393b79"];
  var CONFIG = {responsive: true, displaylogo: false, modeBarButtonsToRemove: ["select2d", "lasso2d"]};
  var XH = D.is_time ? "%{x|" + D.xfmt + "}" : "%{x}";

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
  function ruleColor(k) { return PALETTE[k % PALETTE.length]; }
  function codeOf(R, k) { return Array.isArray(R.g) ? R.g[k] : R.g; }

  function hoverLines(c) {
    var m = {};
    c.rules.forEach(function (R) {
      var lab = esc(D.rules[R.r].label);
      R.h.forEach(function (i, k) {
        var s = R.s[k];
        var line = lab + " (" + esc(FLAGNAME[codeOf(R, k)]) +
          (s === null ? "" : ", " + esc(T.score) + " " + fmtNum(s)) + ")";
        (m[i] = m[i] || []).push(line);
      });
    });
    return m;
  }

  function lineTrace(c, ax, showlegend) {
    var many = c.x.length > D.max_markers;
    return {
      type: "scatter", mode: many ? "lines" : "lines+markers", name: esc(T.series),
      x: withGaps(c.x, c.gaps), y: withGaps(c.y, c.gaps), xaxis: "x" + ax, yaxis: "y" + ax,
      line: {color: COLORS["1"], width: 1}, marker: {color: COLORS["1"], size: 3},
      showlegend: showlegend, legendgroup: "values",
      hovertemplate: XH + "<br>" + esc(T.value) + ": %{y:.7~g}<extra>" + esc(T.good) + "</extra>"
    };
  }

  function boundTraces(c, R, ax, color, showlegend) {
    var out = [], label = esc(D.rules[R.r].label), first = true;
    [["lo", T.lower], ["hi", T.upper]].forEach(function (side) {
      var b = R[side[0]], x, y;
      if (b === null || b === undefined || !c.x.length) return;
      if (typeof b === "number") { x = [c.x[0], c.x[c.x.length - 1]]; y = [b, b]; }
      else { x = withGaps(c.x, c.gaps); y = withGaps(b, c.gaps); }
      out.push({
        type: "scatter", mode: "lines", x: x, y: y, xaxis: "x" + ax, yaxis: "y" + ax,
        name: label + " " + esc(T.bounds), legendgroup: "b" + R.r, showlegend: showlegend && first,
        line: {color: color, width: 1.2, dash: "dash"},
        hovertemplate: label + " " + esc(side[1]) + ": %{y:.6~g}<extra></extra>"
      });
      first = false;
    });
    return out;
  }

  function pointTrace(c, rows, code, hov, ax, name, showlegend) {
    var xs = [], ys = [], cd = [];
    rows.forEach(function (i) { xs.push(c.x[i]); ys.push(c.y[i]); cd.push((hov[i] || []).join("<br>")); });
    var ne = code === 2;
    return {
      type: "scatter", mode: "markers", name: name, x: xs, y: ys, customdata: cd,
      xaxis: "x" + ax, yaxis: "y" + ax, showlegend: showlegend, legendgroup: "f" + code,
      marker: {color: COLORS[String(code)], size: ne ? 4 : 7, line: {width: ne ? 0 : 0.6, color: "#ffffff"}},
      hovertemplate: "<b>" + XH + "</b><br>" + esc(T.value) + ": %{y:.7~g}<br>" + esc(T.flag) + ": " +
        esc(FLAGNAME[code]) + (ne ? "" : "<br>%{customdata}") + "<extra></extra>"
    };
  }

  function baseLayout(c, height) {
    return {
      height: height, margin: {l: 64, r: 16, t: 8, b: 36}, font: {family: D.font, size: 12},
      hovermode: "closest", paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff",
      legend: {orientation: "h", x: 0, y: -0.14, yanchor: "top"},
      hoverlabel: {font: {family: D.font}}
    };
  }
  function xaxis(extra) {
    var a = {type: D.is_time ? "date" : "linear", gridcolor: "#eeeeee", zeroline: false, showline: true, linecolor: "#cccccc"};
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

  function drawMain(j) {
    var c = D.columns[j], div = document.getElementById("chart-" + j);
    if (!c.x.length) { emptyNote(div, T.no_values); return Promise.resolve(); }
    var hov = hoverLines(c), byCode = {2: [], 3: [], 4: []};
    for (var i = 0; i < c.f.length; i++) { if (byCode[c.f[i]]) byCode[c.f[i]].push(i); }
    var traces = [lineTrace(c, "", true)];
    [2, 3, 4].forEach(function (code) {
      if (!byCode[code].length) return;
      var name = esc(FLAGNAME[code]) + (code === 2 ? "" : " (" + byCode[code].length + ")");
      traces.push(pointTrace(c, byCode[code], code, hov, "", name, true));
    });
    c.rules.forEach(function (R) { traces = traces.concat(boundTraces(c, R, "", ruleColor(R.r), true)); });
    var layout = baseLayout(c, 340);
    layout.xaxis = xaxis({});
    layout.yaxis = yaxis(c, {});
    return Plotly.newPlot(div, traces, layout, CONFIG);
  }

  function drawCompare(j) {
    var c = D.columns[j], div = document.getElementById("compare-chart");
    var n = c.rules.length, cols = n <= 3 ? 1 : 2, rows = Math.ceil(n / cols);
    var traces = [], ann = [];
    var layout = baseLayout(c, 90 + 210 * rows);
    layout.grid = {rows: rows, columns: cols, pattern: "independent", roworder: "top to bottom",
                   xgap: 0.06, ygap: 0.28 / Math.max(rows - 1, 1) + 0.1};
    layout.margin.t = 28;
    layout.legend.y = -0.35 / rows;
    var shown = {};
    c.rules.forEach(function (R, k) {
      var ax = k === 0 ? "" : String(k + 1);
      traces.push(lineTrace(c, ax, k === 0));
      var hov = hoverLines({rules: [R]});
      [3, 4].forEach(function (code) {
        var rowsOf = R.h.filter(function (i, q) { return codeOf(R, q) === code; });
        if (!rowsOf.length) return;
        traces.push(pointTrace(c, rowsOf, code, hov, ax, esc(FLAGNAME[code]), !shown[code]));
        shown[code] = true;
      });
      traces = traces.concat(boundTraces(c, R, ax, ruleColor(R.r), true));
      layout["xaxis" + ax] = xaxis(k ? {matches: "x"} : {});
      layout["yaxis" + ax] = yaxis(c, k ? {matches: "y"} : {});
      ann.push({text: "<b>" + esc(D.rules[R.r].label) + "</b>: " + R.n + " " + esc(T.outliers),
                xref: "x" + ax + " domain", yref: "y" + ax + " domain", x: 0, y: 1.0,
                xanchor: "left", yanchor: "bottom", showarrow: false, font: {size: 13}});
    });
    layout.annotations = ann;
    return Plotly.react(div, traces, layout, CONFIG);
  }

  function drawHeat() {
    var H = D.heat, div = document.getElementById("heatmap");
    var zmax = 0, cd = [];
    H.z.forEach(function (row, r) {
      row.forEach(function (v) { if (v > zmax) zmax = v; });
      cd.push(row.map(function (v, m) {
        return esc(T.suspect) + " " + H.zs[r][m] + " · " + esc(T.fail) + " " + H.zf[r][m];
      }));
    });
    var names = H.cols.map(function (s, i) { return esc(s); });
    var trace = {
      type: "heatmap", z: H.z, x: H.months, y: names, customdata: cd, zmin: 0, zmax: Math.max(zmax, 1),
      colorscale: [[0, "#ffffff"], [1e-9, "#fdc58f"], [0.4, "#f28e2b"], [0.75, "#d62728"], [1, "#7f0000"]],
      xgap: 1, ygap: 1,
      colorbar: {thickness: 12, outlinewidth: 0, tickformat: "d", dtick: Math.max(1, Math.ceil(zmax / 5))},
      hovertemplate: "%{y}<br>%{x}: <b>%{z}</b> " + esc(T.flagged_n) + "<br>%{customdata}<extra></extra>"
    };
    var layout = {
      height: Math.max(220, 110 + 24 * names.length), margin: {l: 16, r: 16, t: 30, b: 56},
      font: {family: D.font, size: 12}, paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff",
      xaxis: {type: "category", automargin: true, tickangle: -45},
      yaxis: {type: "category", autorange: "reversed", automargin: true}
    };
    return Plotly.newPlot(div, [trace], layout, CONFIG);
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
"""

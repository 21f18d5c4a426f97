"""Matplotlib figures of one column of a :class:`~aquaflag.result.Result`.

The figures only *read* a Result: the series as a thin gray line, the flagged
values as red points, the bounds a rule used as dashed lines. The y axis is
scaled on the good values (:mod:`aquaflag.scale`): a flagged value far
outside them (a logger sentinel such as 7999 or -9999) is drawn as a dark red
triangle at the top or bottom edge, and a note in the corner gives the true
value, so one sentinel no longer flattens the series.

Figures use the object-oriented API only: plain
:class:`matplotlib.figure.Figure` objects with an Agg canvas of their own, so
no pyplot state, GUI backend or figure registry is touched and nothing has to
be closed. Their layout is fixed in inches (no constrained layout, which cost
about half of the time to write a figure): margins for the tick labels, the
unit, a title wrapped to the width, and the legend.
"""

from __future__ import annotations

import unicodedata
import warnings
from typing import TYPE_CHECKING, Any, Sequence, cast

import numpy as np
import pandas as pd

try:
    import matplotlib  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "aquaflag's plots need matplotlib, which is not installed: "
        "pip install matplotlib (and koreanize-matplotlib for Korean column names)"
    ) from exc
import matplotlib.dates as mdates
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.gridspec import SubplotSpec

from ..errors import InputError, ParameterError, did_you_mean
from ..flags import Flag
from ._fonts import font_kw
from ..scale import display_range, edges

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from ..result import Result

__all__ = ["plot_column", "plot_rules", "plot_methods"]

#: Style of the pieces of a figure (shared by every function here).
SERIES_STYLE: dict[str, Any] = {"color": "0.45", "linewidth": 0.8, "marker": "o", "markersize": 2.0}
OUTLIER_STYLE: dict[str, Any] = {"color": "red", "linestyle": "none", "marker": "o", "markersize": 4.0, "zorder": 3}
BOUND_STYLE: dict[str, Any] = {"color": "tab:blue", "linestyle": "--", "linewidth": 0.9, "alpha": 0.8, "zorder": 2}
OFF_SCALE_STYLE: dict[str, Any] = {"color": "darkred", "linestyle": "none", "markersize": 6.0, "zorder": 4}

#: Above this many points the series is drawn without markers (they would merge into a band).
MAX_MARKERS = 2000
#: Above this many points the legend goes to a fixed corner ("best" scans every point).
MAX_BEST_LEGEND = 5000

#: Fixed margins in inches: left (tick labels and unit), bottom (date ticks), gaps.
_LEFT, _BOTTOM, _XLABEL = 0.85, 0.5, 0.22
_LEGEND_RIGHT = 1.55  # the column figure's legend, right of the axes
_TITLE_PT, _SUPTITLE_PT, _PANEL_TITLE_PT = 12.0, 13.0, 10.0


# ------------------------------------------------------------------- date axes
class _DateLocator(mdates.AutoDateLocator):
    """An AutoDateLocator that keeps its ticks for the view interval it last saw.

    A single draw asks a locator for its ticks about ten times (tick update,
    label placement, title placement, tight boxes); the rrule search behind
    AutoDateLocator made that a fifth of the time to write a figure.
    """

    _memo: tuple[tuple[float, float], Any] | None = None

    def __call__(self):
        view = tuple(self.axis.get_view_interval()) if self.axis is not None else None
        if view is not None and self._memo is not None and self._memo[0] == view:
            return self._memo[1]
        ticks = super().__call__()
        if view is not None:
            self._memo = (view, ticks)
        return ticks


class _DateFormatter(mdates.ConciseDateFormatter):
    """A ConciseDateFormatter that keeps the labels of the ticks it last formatted."""

    _memo: tuple[tuple, list[str]] | None = None

    def format_ticks(self, values):
        key = tuple(np.asarray(values, dtype=float).tolist())
        if self._memo is not None and self._memo[0] == key:
            return list(self._memo[1])
        labels = super().format_ticks(values)
        self._memo = (key, list(labels))
        return labels


def _format_dates(ax: "Axes", tz: Any) -> None:
    locator = _DateLocator(tz=tz)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(_DateFormatter(locator, tz=tz))


# ------------------------------------------------------------------- helpers
def _x_values(index: pd.Index) -> tuple[Any, bool, Any]:
    """(x values to plot, whether they are dates, time zone) for an index."""
    if isinstance(index, pd.PeriodIndex):
        index = index.to_timestamp()
    if isinstance(index, pd.DatetimeIndex):
        if index.tz is not None:
            # tz-aware: datetimes are converted to UTC numbers; the locator shows them in index.tz
            return np.asarray(index.to_pydatetime(), dtype=object), True, index.tz
        return index.to_numpy(dtype="datetime64[ns]"), True, None
    if pd.api.types.is_numeric_dtype(index.dtype) and not pd.api.types.is_bool_dtype(index.dtype):
        return index.to_numpy(), False, None
    return np.arange(len(index)), False, None


def _check_column(result: "Result", column: Any) -> None:
    if column not in result.columns:
        tip = did_you_mean(str(column), [str(c) for c in result.columns])
        raise InputError(f"no evaluated column {column!r}; {tip}columns: "
                         f"{', '.join(map(str, result.columns))}")


def _unit(result: "Result", column: Any) -> str | None:
    info = result.series.get(str(column))
    return None if info is None else (info.unit or None)


def _finite_or_nan(arr: np.ndarray) -> np.ndarray:
    arr = np.asarray(arr, dtype=float)
    return np.where(np.isfinite(arr), arr, np.nan)


def _flagged_anywhere(result: "Result", column: Any, labels: Sequence[str]) -> np.ndarray:
    """Values any rule flagged (suspect or fail), whatever the figure shows: the scale ignores them."""
    codes = result.flags[column].to_numpy()
    out = (codes == int(Flag.SUSPECT)) | (codes == int(Flag.FAIL))
    for lab in labels:
        out |= result.detections[(column, lab)].mask
    return out


def _fmt(x: float) -> str:
    return f"{x:.6g}".replace("-", "\N{MINUS SIGN}")


def off_scale_notes(values: np.ndarray, above: np.ndarray, below: np.ndarray, *,
                    compact: bool = False) -> list[str]:
    """The true values of the points drawn at the edge, one text per side.

    ``["▲ 4 above the scale\\n   max 7999", "▼ 1 below the scale\\n   −9999"]``, or with
    ``compact`` ``["▲ 4, max 7999", "▼ 1: −9999"]``.
    """
    notes = []
    for arrow, side, sel, pick, word in (("\N{BLACK UP-POINTING TRIANGLE}", "above", above, np.max, "max"),
                                         ("\N{BLACK DOWN-POINTING TRIANGLE}", "below", below, np.min, "min")):
        k = int(sel.sum())
        if not k:
            continue
        extreme = _fmt(float(pick(values[sel])))
        value = extreme if k == 1 else f"{word} {extreme}"
        notes.append(f"{arrow} {k}{':' if k == 1 else ','} {value}" if compact
                     else f"{arrow} {k} {side} the scale\n    {value}")
    return notes


def _text_units(text: str) -> int:
    """Width of ``text`` in half-width units (a Hangul syllable or CJK ideograph counts 2)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap_title(text: str, width_in: float, size_pt: float, *, max_lines: int = 3) -> list[str]:
    """``text`` in lines that fit ``width_in`` inches at ``size_pt`` points (an estimate).

    Breaks after spaces, ``_``, ``-``, ``/`` and before ``(`` where it can,
    anywhere else when it must; the last line ends with "…" when the text
    needs more than ``max_lines`` lines.
    """
    budget = max(8, int(width_in * 72 / (size_pt * 0.56)))
    if _text_units(text) <= budget:
        return [text]
    lines: list[str] = []
    rest = text
    while rest and len(lines) < max_lines:
        if _text_units(rest) <= budget:
            lines.append(rest)
            rest = ""
            break
        units, cut, last_break = 0, 0, 0
        for i, ch in enumerate(rest):
            units += _text_units(ch)
            if units > budget:
                break
            cut = i + 1
            if ch in " _-/," or (i + 1 < len(rest) and rest[i + 1] == "("):
                last_break = i + 1
        if last_break >= cut // 2:
            cut = last_break
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        last = lines[-1]
        while last and _text_units(last) + 1 > budget:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


def _new_figure(figsize: tuple[float, float]) -> Figure:
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)  # an Agg canvas of its own: no pyplot, no GUI backend
    return fig


def _root_figure(ax: "Axes") -> Figure:
    fig: Any
    try:
        fig = ax.get_figure(root=True)
    except TypeError:  # matplotlib < 3.10
        fig = ax.figure
    return cast(Figure, fig)


# ---------------------------------------------------------------------- drawing
def _draw(
    ax: "Axes",
    result: "Result",
    column: Any,
    labels: Sequence[str],
    *,
    bounds: bool,
    legend: bool | str,
    scale_labels: Sequence[str] | None = None,
    y_range: tuple[float, float] | None = None,
) -> int:
    """Draw one column on ``ax``: series, flagged points (any of ``labels``), bounds.

    ``legend``: False, True (inside, "best" place) or "outside" (right of the axes).
    ``y_range``: the y limits (by default scaled on the good values; see module doc).
    Returns the number of flagged points.
    """
    values = result.data[column].to_numpy(dtype=np.float64, na_value=np.nan)
    x, is_dates, tz = _x_values(result.data.index)
    n = values.size

    mask = np.zeros(n, dtype=bool)
    for lab in labels:
        mask |= result.detections[(column, lab)].mask
    n_out = int(mask.sum())
    bound_arrays = []
    if bounds and len(labels) == 1:
        det = result.detections[(column, labels[0])]
        bound_arrays = [_finite_or_nan(a) for a in (det.lower, det.upper)]
        bound_arrays = [a for a in bound_arrays if not np.isnan(a).all()]
    if y_range is None:
        flagged = _flagged_anywhere(result, column, scale_labels or labels)
        y_range = display_range(values, flagged, np.concatenate(bound_arrays) if bound_arrays else None)
    finite = np.isfinite(values)
    if y_range is not None:
        above = finite & (values > y_range[1])
        below = finite & (values < y_range[0])
    else:
        above = below = np.zeros(n, dtype=bool)
    off = above | below

    style = dict(SERIES_STYLE)
    if n > MAX_MARKERS:
        style["marker"] = None
    ax.plot(x, np.where(off, np.nan, values), label="values", **style)
    inside = mask & ~off
    ax.plot(x[inside], values[inside], label=f"outliers ({n_out})", **OUTLIER_STYLE)
    first = True
    for y in bound_arrays:
        ax.plot(x, y, label="bounds" if first else "_nolegend_", **BOUND_STYLE)
        first = False
    if y_range is not None:
        ax.set_ylim(*y_range)
        if off.any():
            lo_edge, hi_edge = edges(y_range)
            label = f"off scale ({int(off.sum())})"
            for sel, edge, marker in ((above, hi_edge, "^"), (below, lo_edge, "v")):
                if sel.any():
                    ax.plot(x[sel], np.full(int(sel.sum()), edge), marker=marker, label=label,
                            **OFF_SCALE_STYLE)
                    label = "_nolegend_"
            if legend == "outside":  # under the legend, right of the axes
                ax.text(1.01, 0.0, "\n".join(off_scale_notes(values, above, below)),
                        transform=ax.transAxes, ha="left", va="bottom", fontsize="x-small",
                        color="darkred")
            else:  # no room of our own: a title on the right
                ax.set_title("  ".join(off_scale_notes(values, above, below, compact=True)),
                             loc="right", y=1.0, pad=4, fontsize="x-small", color="darkred")

    if is_dates:
        _format_dates(ax, tz)
    else:
        name = result.data.index.name
        ax.set_xlabel(str(name) if name is not None else "index", **font_kw(name))
    unit = _unit(result, column)
    if unit:
        ax.set_ylabel(unit, **font_kw(unit))
    ax.grid(True, linewidth=0.4, alpha=0.4)
    if legend == "outside":
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
                  fontsize="small", frameon=False)
    elif legend:
        ax.legend(loc="best" if n <= MAX_BEST_LEGEND else "upper right",
                  fontsize="small", framealpha=0.8)
    return n_out


def _rule_keyword(rule: str | None, method: Any, *, name: str) -> str | None:
    """The rule label given as ``rule=``, or, deprecated, as ``method=``."""
    if method is _UNSET:
        return rule
    warnings.warn(f"{name}(method=...) is now {name}(rule=...): it names a rule label; "
                  "method= will be removed in the next release", DeprecationWarning, stacklevel=3)
    if rule is not None and rule != method:
        raise ParameterError(f"give the rule once, as rule=; got rule={rule!r} and method={method!r}")
    return method


_UNSET: Any = object()


# ------------------------------------------------------------------------ public
def plot_column(
    result: "Result",
    column: Any,
    rule: str | None = None,
    *,
    ax: "Axes | None" = None,
    figsize: tuple[float, float] = (10, 3.5),
    method: Any = _UNSET,
) -> Figure:
    """Plot one column with its outliers in red and the bounds as dashed lines.

    Parameters
    ----------
    result : Result
        What :func:`aquaflag.detect` (or :func:`aquaflag.run`) returned. Only read.
    column : str
        An evaluated column of ``result``.
    rule : str, optional
        The label of the rule whose outliers and bounds are shown. By default:
        the single rule of the column with its bounds, or, when several rules
        ran on the column, every point flagged by *any* of them and no bounds.
    ax : matplotlib Axes, optional
        Draw on this Axes instead of a new figure.
    figsize : (float, float), default (10, 3.5)
        Size in inches of the new figure (ignored with ``ax``).
    method : str, optional
        Deprecated name of ``rule`` (a DeprecationWarning says so); removed in
        the next release.

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``. It is not registered with
        pyplot; show it in a notebook by evaluating it, or save it with
        ``fig.savefig(path)``.

    Raises
    ------
    InputError
        For a column that was not evaluated (with the closest names).
    ParameterError
        For a rule that did not run on the column.

    Notes
    -----
    The series is a thin gray line with small markers (markers are dropped
    above 2000 points); missing values break the line. Bounds are per point,
    so a global rule draws flat lines and a windowed or seasonal rule draws
    its moving bounds; non-finite bounds are skipped. The y axis is scaled on
    the values no rule flagged, widened to flagged values and bounds within
    one range of them; flagged values farther out (logger sentinels such as
    7999 or -9999) are dark red triangles at the edge, counted in the legend
    ("off scale"), with their extreme value written in the corner. The title
    is the column, plus the rule when several rules ran on it, wrapped to the
    figure's width; the y label is the unit of the variable when known. A
    DatetimeIndex gives date ticks (``ConciseDateFormatter``); any other
    index is drawn as is (numbers) or by position.

    Examples
    --------
    >>> import pandas as pd, aquaflag
    >>> s = pd.Series([7.1, 7.3, 7.2, 7.4, 7.2, 9.9, 7.3, 7.1], name="pH")
    >>> fig = plot_column(aquaflag.detect(s, method="modified_zscore"), "pH")
    >>> fig.axes[0].get_title()
    'pH'
    """
    rule = _rule_keyword(rule, method, name="plot_column")
    _check_column(result, column)
    if rule is not None:
        result.detection(column, rule)  # validates, with the library's message
    if ax is None:
        fig = _new_figure(figsize)
        fig.add_subplot()
        fill_column(fig, result, column, rule)
        return fig
    on_column = result.labels_on(column)
    labels = [rule] if rule is not None else on_column
    _draw(ax, result, column, labels, bounds=True, legend=True, scale_labels=on_column)
    title = _column_title(column, rule, on_column)
    ax.set_title(title, **font_kw(title))
    return _root_figure(ax)


def _column_title(column: Any, rule: str | None, on_column: Sequence[str]) -> str:
    if rule is not None and len(on_column) > 1:
        return f"{column} — {rule}"
    return str(column)


def fill_column(fig: Figure, result: "Result", column: Any, rule: str | None = None) -> None:
    """Draw a column figure into ``fig`` (one Axes, made by :func:`plot_column` or emptied by
    :func:`clear_figure`): fixed margins in inches, the legend right of the axes."""
    ax = fig.axes[0]
    on_column = result.labels_on(column)
    labels = [rule] if rule is not None else on_column
    title = _column_title(column, rule, on_column)
    width, height = fig.get_size_inches()
    lines = wrap_title(title, width - _LEFT - _LEGEND_RIGHT, _TITLE_PT)
    top = 0.12 + len(lines) * _TITLE_PT * 1.25 / 72
    bottom = _BOTTOM + (0.0 if _is_dates(result) else _XLABEL)
    fig.subplots_adjust(left=_LEFT / width, right=1 - _LEGEND_RIGHT / width,
                        bottom=bottom / height, top=1 - top / height)
    _draw(ax, result, column, labels, bounds=True, legend="outside", scale_labels=on_column)
    # y given: matplotlib then skips searching a place above the tick labels
    title = "\n".join(lines)
    ax.set_title(title, y=1.0, pad=5, fontsize=_TITLE_PT, **font_kw(title))


def clear_figure(fig: Figure) -> Figure:
    """Empty the axes of a figure made here, keeping the axes and their ticks, for reuse.

    Making the axes and their tick objects is about half of the time to write a
    small figure; :func:`aquaflag.plot.save_plots` draws every column into the
    same figure. Removes lines, texts and legends, titles and labels, and
    turns autoscaling back on.
    """
    for ax in fig.axes:
        for artist in (*ax.lines, *ax.texts, *ax.collections, *ax.patches):
            artist.remove()
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
        for loc in ("left", "center", "right"):
            ax.set_title("", loc=loc)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.relim()
        ax.set_autoscale_on(True)
    for legend in list(fig.legends):
        legend.remove()
    return fig


def _is_dates(result: "Result") -> bool:
    return isinstance(result.data.index, (pd.DatetimeIndex, pd.PeriodIndex))


def _grid_shape(n: int) -> tuple[int, int]:
    """Panels stacked for up to 3 rules (long time axes); 2 columns beyond."""
    if n <= 3:
        return n, 1
    return -(-n // 2), 2


def plot_rules(
    result: "Result",
    column: Any,
    rules: Sequence[str] | None = None,
    *,
    methods: Any = _UNSET,
) -> Figure:
    """Compare several rules on one column, one panel per rule.

    Parameters
    ----------
    result : Result
        What :func:`aquaflag.detect` returned, e.g. with ``method="seed"``.
    column : str
        An evaluated column of ``result``.
    rules : list of str, optional
        The rule labels to show, in this order; by default every rule that
        ran on the column.
    methods : list of str, optional
        Deprecated name of ``rules``.

    Returns
    -------
    matplotlib.figure.Figure
        Four rules give a 2 × 2 grid; one to three rules are stacked in one
        column (time series read better wide); more than four fill two
        columns. Axes are shared in x and y (one scale, on the good values, as
        in :func:`plot_column`); each panel is drawn like :func:`plot_column`
        for its rule, titled with the rule and its count of outliers; the
        figure title is the column, with one legend beside it.

    Examples
    --------
    >>> import numpy as np, pandas as pd, aquaflag
    >>> s = pd.Series(np.r_[np.linspace(7, 8, 30), 12.0], name="pH")
    >>> fig = plot_rules(aquaflag.detect(s, method="seed"), "pH")
    >>> len(fig.axes)
    4
    """
    if methods is not _UNSET:
        warnings.warn("plot_rules(methods=...) is now plot_rules(rules=...); methods= will be "
                      "removed in the next release", DeprecationWarning, stacklevel=2)
        if rules is not None:
            raise ParameterError("give the rules once, as rules=")
        rules = methods
    _check_column(result, column)
    on_column = result.labels_on(column)
    if rules is None:
        labels = on_column
    else:
        labels = [rules] if isinstance(rules, str) else list(rules)
    if not labels:
        raise ParameterError(f"no rule ran on column {column!r}; nothing to compare")
    for lab in labels:
        result.detection(column, lab)  # validates each label, with the library's message
    fig = new_grid(len(labels), dates=_is_dates(result))
    fill_grid(fig, result, column, labels)
    return fig


def _grid_geometry(n: int, dates: bool) -> dict[str, Any]:
    nrows, ncols = _grid_shape(n)
    width, height = (12.0, 3.0 * nrows + 0.6) if ncols == 2 else (10.0, 2.6 * nrows + 0.6)
    return {"nrows": nrows, "ncols": ncols, "width": width, "height": height,
            "bottom": _BOTTOM + (0.0 if dates else _XLABEL),
            "gap_h": 0.62 + (0.0 if dates else _XLABEL), "gap_w": 0.3}


def new_grid(n: int, *, dates: bool) -> Figure:
    """An empty figure for :func:`fill_grid`: ``n`` panels with shared axes."""
    g = _grid_geometry(n, dates)
    fig = _new_figure((g["width"], g["height"]))
    axes = fig.subplots(g["nrows"], g["ncols"], sharex=True, sharey=True, squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.remove()
    return fig


def fill_grid(fig: Figure, result: "Result", column: Any, labels: Sequence[str]) -> None:
    """Draw one panel per rule of ``labels`` into a figure made by :func:`new_grid`."""
    g = _grid_geometry(len(labels), _is_dates(result))
    width, height, nrows, ncols = g["width"], g["height"], g["nrows"], g["ncols"]
    # fixed layout in inches: title row, legend beside it; panel titles and date ticks between panels
    legend_w = 3.6
    lines = wrap_title(str(column), width - _LEFT - legend_w, _SUPTITLE_PT, max_lines=2)
    top = 0.2 + len(lines) * _SUPTITLE_PT * 1.25 / 72 + _PANEL_TITLE_PT * 1.6 / 72
    ax_h = (height - top - g["bottom"] - (nrows - 1) * g["gap_h"]) / nrows
    ax_w = (width - _LEFT - 0.25 - (ncols - 1) * g["gap_w"]) / ncols
    fig.subplots_adjust(left=_LEFT / width, right=1 - 0.25 / width, bottom=g["bottom"] / height,
                        top=1 - top / height, hspace=g["gap_h"] / ax_h, wspace=g["gap_w"] / ax_w)
    shown = fig.axes
    # one scale for every panel: the good values of the column
    values = result.data[column].to_numpy(dtype=np.float64, na_value=np.nan)
    extra = []
    for lab in labels:
        det = result.detections[(column, lab)]
        extra += [_finite_or_nan(det.lower), _finite_or_nan(det.upper)]
    y_range = display_range(values, _flagged_anywhere(result, column, result.labels_on(column)),
                            np.concatenate(extra) if extra else None)
    for ax, lab in zip(shown, labels):
        n_out = _draw(ax, result, column, [lab], bounds=True, legend=False, y_range=y_range)
        title = f"{lab}: {n_out} outlier{'s' if n_out != 1 else ''}"
        ax.set_title(title, y=1.0, pad=4, fontsize=_PANEL_TITLE_PT, **font_kw(title))
    specs = {ax: cast(SubplotSpec, ax.get_subplotspec()) for ax in shown}
    for ax in shown:
        ss = specs[ax]
        if not ss.is_first_col():
            ax.set_ylabel("")
        # x tick labels on the lowest panel of each grid column (also above a removed panel)
        has_below = any(
            specs[b].rowspan.start >= ss.rowspan.stop and specs[b].colspan == ss.colspan
            for b in shown
        )
        ax.tick_params(axis="x", which="both", labelbottom=not has_below)
        ax.xaxis.offsetText.set_visible(not has_below)
        if has_below:
            ax.set_xlabel("")
    fig.suptitle("\n".join(lines), x=_LEFT / width, y=1 - 0.1 / height, ha="left", va="top",
                 fontsize=_SUPTITLE_PT, **font_kw(column))
    # one legend for the figure, beside the title (the counts are in the panel titles)
    handles, names = [], []
    for ax in shown:
        for h, nm in zip(*ax.get_legend_handles_labels()):
            nm = nm.split(" (")[0] if nm.startswith(("outliers (", "off scale (")) else nm
            if nm not in names:
                handles.append(h)
                names.append(nm)
    fig.legend(handles, names, loc="upper right", bbox_to_anchor=(1 - 0.2 / width, 1 - 0.04 / height),
               ncols=len(handles), fontsize="small", frameon=False)


#: Older name of :func:`plot_rules`.
plot_methods = plot_rules

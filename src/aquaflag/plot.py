"""Matplotlib figures of a :class:`~aquaflag.result.Result`.

The figures only *read* a Result: the series as a thin gray line, the flagged
values as red points, and the bounds a rule used as dashed lines.

This module is the lazy part of aquaflag: the core never imports it
(``import aquaflag`` does not import matplotlib); :meth:`Result.plot` and
:meth:`Result.plot_methods` import it on first use. It uses the
object-oriented API only: figures are plain :class:`matplotlib.figure.Figure`
objects with an Agg canvas, so no pyplot state, GUI backend or figure
registry is touched, and nothing has to be closed.

Korean (Hangul) column names render with the NanumGothic font bundled with
``koreanize-matplotlib`` (or any installed Nanum / Noto Sans CJK / Malgun
font), used as a *fallback* after the user's usual font and only on the texts
that need it. The global rcParams are left as they are, so the minus sign
(``axes.unicode_minus``) keeps rendering with the default font.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import unicodedata
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import pandas as pd

try:
    import matplotlib
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "aquaflag's plots need matplotlib, which is not installed: "
        "pip install matplotlib (and koreanize-matplotlib for Korean column names)"
    ) from exc
import matplotlib.dates as mdates
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .result import Result

__all__ = ["plot_column", "plot_methods", "save_plots", "safe_filename"]

#: Style of the pieces of a figure (shared by every function here).
SERIES_STYLE = {"color": "0.45", "linewidth": 0.8, "marker": "o", "markersize": 2.0}
OUTLIER_STYLE = {"color": "red", "linestyle": "none", "marker": "o", "markersize": 4.0, "zorder": 3}
BOUND_STYLE = {"color": "tab:blue", "linestyle": "--", "linewidth": 0.9, "alpha": 0.8, "zorder": 2}

#: Above this many points the series is drawn without markers (they would merge into a band).
MAX_MARKERS = 2000
#: Above this many points the legend goes to a fixed corner ("best" scans every point).
MAX_BEST_LEGEND = 5000

_CJK = re.compile(
    "[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff"  # Hangul
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"  # CJK ideographs (Hanja)
)
_FALLBACK_FONT_HINTS = ("NanumGothic", "Nanum", "Noto Sans CJK", "Noto Sans KR", "Malgun")


# --------------------------------------------------------------------------- fonts
@functools.lru_cache(maxsize=None)
def _korean_font() -> str | None:
    """The family name of an installed font with Hangul glyphs, registered with matplotlib.

    Tried in order: the NanumGothic font bundled with ``koreanize-matplotlib``
    (imported inside :func:`matplotlib.rc_context`, so the rcParams it sets
    on import — font family, ``axes.unicode_minus`` — are undone and the
    user's settings stay as they were); the same font file located without
    importing the package; any font known to matplotlib whose name contains
    "Nanum", "Noto Sans CJK" or "Malgun". Cached: the search runs once, and
    when nothing is found a single warning is emitted.

    Returns
    -------
    str or None
        The font family name, or None when no Hangul font is available.
    """
    path = None
    try:
        with matplotlib.rc_context(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its distutils import is deprecated
            import koreanize_matplotlib  # registers the font with the font manager

        path = koreanize_matplotlib.get_font_ttf_path()
    except Exception:
        spec = importlib.util.find_spec("koreanize_matplotlib")
        if spec is not None and spec.submodule_search_locations:
            for loc in spec.submodule_search_locations:
                candidate = os.path.join(loc, "fonts", "NanumGothic.ttf")
                if os.path.isfile(candidate):
                    try:
                        font_manager.fontManager.addfont(candidate)
                        path = candidate
                    except Exception:  # pragma: no cover - corrupt font file
                        path = None
                    break
    if path is not None and os.path.isfile(path):
        try:
            return font_manager.FontProperties(fname=path).get_name()
        except Exception:  # pragma: no cover
            pass
    names = {f.name for f in font_manager.fontManager.ttflist}
    for hint in _FALLBACK_FONT_HINTS:
        for name in sorted(names):
            if hint.lower() in name.lower():
                return name
    warnings.warn(
        "no font with Hangul glyphs found: Korean column names will show as empty boxes. "
        "Install one with `pip install koreanize-matplotlib` (or a Nanum / Noto Sans CJK font)",
        UserWarning,
        stacklevel=3,
    )
    return None


def _needs_cjk(*texts: Any) -> bool:
    return any(_CJK.search(str(t)) for t in texts if t is not None)


def _font_kw(*texts: Any) -> dict[str, Any]:
    """Text keywords that make ``texts`` render: the default family, then a Hangul fallback."""
    if not _needs_cjk(*texts):
        return {}
    korean = _korean_font()
    if korean is None:
        return {}
    families = list(matplotlib.rcParams["font.family"])
    if korean not in families:
        families.append(korean)  # fallback: Latin, digits and U+2212 stay in the default font
    return {"fontfamily": families}


# ----------------------------------------------------------------------- helpers
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


def _labels_on(result: "Result", column: Any) -> list[str]:
    """Labels of the rules that ran on ``column``, in rule order."""
    return result.labels_on(column)


def _unit(result: "Result", column: Any) -> str | None:
    info = result.series.get(str(column))
    return None if info is None else (info.unit or None)


def _finite_or_nan(arr: np.ndarray) -> np.ndarray:
    arr = np.asarray(arr, dtype=float)
    return np.where(np.isfinite(arr), arr, np.nan)


def _format_dates(ax: "Axes", tz: Any) -> None:
    locator = mdates.AutoDateLocator(tz=tz)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator, tz=tz))


def _draw(
    ax: "Axes",
    result: "Result",
    column: Any,
    labels: Sequence[str],
    *,
    bounds: bool,
    legend: bool | str,
) -> int:
    """Draw one column on ``ax``: series, flagged points (any of ``labels``), bounds.

    ``legend``: False, True (inside, "best" place) or "outside" (right of the axes).
    Returns the number of flagged points.
    """
    values = result.data[column].to_numpy(dtype=np.float64, na_value=np.nan)
    x, is_dates, tz = _x_values(result.data.index)
    n = values.size

    style = dict(SERIES_STYLE)
    if n > MAX_MARKERS:
        style["marker"] = None
    ax.plot(x, values, label="values", **style)

    mask = np.zeros(n, dtype=bool)
    for lab in labels:
        mask |= result.detections[(column, lab)].mask
    n_out = int(mask.sum())
    ax.plot(x[mask], values[mask], label=f"outliers ({n_out})", **OUTLIER_STYLE)

    if bounds and len(labels) == 1:
        det = result.detections[(column, labels[0])]
        first = True
        for arr in (det.lower, det.upper):
            y = _finite_or_nan(arr)
            if np.isnan(y).all():
                continue
            ax.plot(x, y, label="bounds" if first else "_nolegend_", **BOUND_STYLE)
            first = False

    if is_dates:
        _format_dates(ax, tz)
    else:
        name = result.data.index.name
        ax.set_xlabel(str(name) if name is not None else "index", **_font_kw(name))
    unit = _unit(result, column)
    if unit:
        ax.set_ylabel(unit, **_font_kw(unit))
    ax.grid(True, linewidth=0.4, alpha=0.4)
    if legend == "outside":
        ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0), borderaxespad=0.0,
                  fontsize="small", frameon=False)
    elif legend:
        ax.legend(loc="best" if n <= MAX_BEST_LEGEND else "upper right",
                  fontsize="small", framealpha=0.8)
    return n_out


def _new_figure(figsize: tuple[float, float]) -> Figure:
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)  # an Agg canvas of its own: no pyplot, no GUI backend
    return fig


def _root_figure(ax: "Axes") -> Figure:
    try:
        return ax.get_figure(root=True)
    except TypeError:  # matplotlib < 3.10
        return ax.figure


# ------------------------------------------------------------------------ public
def plot_column(
    result: "Result",
    column: Any,
    method: str | None = None,
    *,
    ax: "Axes | None" = None,
    figsize: tuple[float, float] = (10, 3.5),
) -> Figure:
    """Plot one column with its outliers in red and the bounds as dashed lines.

    Parameters
    ----------
    result : Result
        What :func:`aquaflag.detect` (or :func:`aquaflag.run`) returned. Only read.
    column : str
        An evaluated column of ``result``.
    method : str, optional
        The rule (label) whose outliers and bounds are shown. By default: the
        single rule of the column with its bounds, or, when several rules ran
        on the column, every point flagged by *any* of them and no bounds.
    ax : matplotlib Axes, optional
        Draw on this Axes instead of a new figure.
    figsize : (float, float), default (10, 3.5)
        Size in inches of the new figure (ignored with ``ax``).

    Returns
    -------
    matplotlib.figure.Figure
        The new figure, or the figure of ``ax``. It is not registered with
        pyplot; show it in a notebook by evaluating it, or save it with
        ``fig.savefig(path)``.

    Notes
    -----
    The series is a thin gray line with small markers (markers are dropped
    above 2000 points); missing values break the line. Bounds are per point,
    so a global rule draws flat lines and a windowed or seasonal rule draws
    its moving bounds; non-finite bounds are skipped. The title is the
    column, plus the rule when several rules ran on it; the y label is the
    unit of the parameter when known (:func:`aquaflag.datasets.unit_of`).
    A DatetimeIndex gives date ticks (``ConciseDateFormatter``); any other
    index is drawn as is (numbers) or by position.

    Examples
    --------
    >>> import pandas as pd, aquaflag
    >>> s = pd.Series([7.1, 7.3, 7.2, 7.4, 7.2, 9.9, 7.3, 7.1], name="pH")
    >>> fig = plot_column(aquaflag.detect(s, method="modified_zscore"), "pH")
    >>> fig.axes[0].get_title()
    'pH'
    """
    result._check_column(column)
    on_column = _labels_on(result, column)
    if method is not None:
        result.detection(column, method)  # validates, with the library's message
        labels = [method]
    else:
        labels = on_column
    if ax is None:
        fig = _new_figure(figsize)
        ax = fig.add_subplot()
        legend: bool | str = "outside"  # our own layout: keep the legend off the data
    else:
        fig = _root_figure(ax)
        legend = True
    _draw(ax, result, column, labels, bounds=True, legend=legend)
    title = str(column)
    if method is not None and len(on_column) > 1:
        title = f"{column} — {method}"
    ax.set_title(title, **_font_kw(title))
    return fig


def _grid_shape(n: int) -> tuple[int, int]:
    """Panels stacked for up to 3 methods (long time axes); 2 columns beyond."""
    if n <= 3:
        return n, 1
    return -(-n // 2), 2


def plot_rules(
    result: "Result",
    column: Any,
    methods: Sequence[str] | None = None,
) -> Figure:
    """Compare several rules on one column, one panel per rule.

    Parameters
    ----------
    result : Result
        What :func:`aquaflag.detect` returned, e.g. with ``method="seed"``.
    column : str
        An evaluated column of ``result``.
    methods : list of str, optional
        The rules (labels) to show, in this order; by default every rule that
        ran on the column.

    Returns
    -------
    matplotlib.figure.Figure
        Four rules give a 2 × 2 grid; one to three rules are stacked in one
        column (time series read better wide); more than four fill two
        columns. Axes are shared in x and y; each panel is drawn like
        :func:`plot_column` for its rule, titled with the rule and its count
        of outliers; the figure title is the column, with one legend beside it.

    Examples
    --------
    >>> import numpy as np, pandas as pd, aquaflag
    >>> s = pd.Series(np.r_[np.linspace(7, 8, 30), 12.0], name="pH")
    >>> fig = plot_methods(aquaflag.detect(s, method="seed"), "pH")
    >>> len(fig.axes)
    4
    """
    result._check_column(column)
    if methods is None:
        labels = _labels_on(result, column)
    else:
        labels = [methods] if isinstance(methods, str) else list(methods)
    if not labels:
        from .errors import ParameterError

        raise ParameterError(f"no rule ran on column {column!r}; nothing to compare")
    for lab in labels:
        result.detection(column, lab)  # validates each label, with the library's message
    nrows, ncols = _grid_shape(len(labels))
    figsize = (12.0, 3.0 * nrows + 0.6) if ncols == 2 else (10.0, 2.6 * nrows + 0.6)
    fig = _new_figure(figsize)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    flat = axes.ravel()
    for ax, lab in zip(flat, labels):
        n_out = _draw(ax, result, column, [lab], bounds=True, legend=False)
        title = f"{lab}: {n_out} outlier{'s' if n_out != 1 else ''}"
        ax.set_title(title, fontsize="medium", **_font_kw(title))
    for ax in flat[len(labels):]:
        ax.remove()
    shown = flat[: len(labels)]
    for ax in shown:
        ss = ax.get_subplotspec()
        if not ss.is_first_col():
            ax.set_ylabel("")
        # x tick labels on the lowest panel of each grid column (also above a removed panel)
        has_below = any(
            b.get_subplotspec().rowspan.start >= ss.rowspan.stop
            and b.get_subplotspec().colspan == ss.colspan
            for b in shown
        )
        ax.tick_params(axis="x", which="both", labelbottom=not has_below)
        ax.xaxis.offsetText.set_visible(not has_below)
        if has_below:
            ax.set_xlabel("")
    fig.suptitle(str(column), **_font_kw(column))
    # one legend for the figure, beside the title (the counts are in the panel titles)
    handles, names = flat[0].get_legend_handles_labels()
    names = ["outliers" if nm.startswith("outliers (") else nm for nm in names]
    fig.legend(handles, names, loc="outside upper right", ncols=len(handles),
               fontsize="small", frameon=False)
    return fig


# ------------------------------------------------------------------------- files
_UNSAFE = re.compile(r"[^\w.\-]+")  # \w keeps letters of any script (Hangul included)
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}


def safe_filename(name: Any, *, max_length: int = 100) -> str:
    """A file-name-safe version of a column name; letters of any script are kept.

    Spaces, parentheses and characters such as ``/\\:*?"<>|`` become ``_``
    (runs collapsed, none at the ends); the text is NFC-normalised so Hangul
    stays composed; Windows device names are prefixed with ``_``.

    Examples
    --------
    >>> safe_filename("Water Temperature(Mun-Ui)")
    'Water_Temperature_Mun-Ui'
    >>> safe_filename("수온(문의)")
    '수온_문의'
    >>> safe_filename("a/b: c?")
    'a_b_c'
    """
    text = unicodedata.normalize("NFC", str(name))
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"_+", "_", text).strip("._ ")
    text = text[:max_length].rstrip("._ ")
    if not text:
        text = "column"
    if text.split(".")[0].upper() in _RESERVED:
        text = "_" + text
    return text


def save_plots(
    result: "Result",
    directory: str | os.PathLike,
    *,
    dpi: int = 110,
    methods_grid: bool = True,
    progress: Callable[[str], Any] | None = None,
) -> list[Path]:
    """Write one PNG per evaluated column (and a methods comparison) into ``directory``.

    Parameters
    ----------
    result : Result
        What :func:`aquaflag.detect` returned. Only read.
    directory : str or path
        Folder for the images; created (with parents) if needed.
    dpi : int, default 110
        Resolution of the PNGs.
    methods_grid : bool, default True
        Also write ``<name>__methods.png`` (:func:`plot_methods`) for each
        column on which two or more rules ran.
    progress : callable, optional
        Called as ``progress(column)`` after each column's figures are written.

    Returns
    -------
    list of pathlib.Path
        The files written, column by column (the column figure, then its
        methods figure).

    Notes
    -----
    File names come from :func:`safe_filename`. Names that would collide —
    also case-insensitively, as on Windows and macOS file systems — get a
    suffix ``_2``, ``_3``, ... so that no image overwrites another. Existing
    files with the same names are overwritten. The figures are not
    registered with pyplot, so nothing needs closing.
    """
    out_dir = Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()

    def claim(stem: str) -> str:
        candidate, k = stem, 1
        while candidate.casefold() in taken:
            k += 1
            candidate = f"{stem}_{k}"
        taken.add(candidate.casefold())
        return candidate

    # Claim the column names first, so a column literally named "x__methods"
    # keeps its name and the methods figure of column "x" yields.
    plan = []
    for column in result.columns:
        plan.append((column, claim(safe_filename(column))))
    paths: list[Path] = []
    for column, stem in plan:
        fig = plot_column(result, column)
        path = out_dir / f"{stem}.png"
        fig.savefig(path, dpi=dpi)
        paths.append(path)
        if methods_grid and len(_labels_on(result, column)) >= 2:
            grid = plot_methods(result, column)
            gpath = out_dir / f"{claim(stem + '__methods')}.png"
            grid.savefig(gpath, dpi=dpi)
            paths.append(gpath)
        if progress is not None:
            progress(column)
    return paths


#: Older name of :func:`plot_rules`.
plot_methods = plot_rules

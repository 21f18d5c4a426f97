"""Chart data: the JSON payload of one column's chart, for the report and for a server.

:func:`chart_payload` (or :meth:`ChartData.column`, which keeps what does not
change between calls) returns a plain, JSON-able dict for ONE column over an
optional time window ``[start, end]``, downsampled to about ``max_points``
points with MinMaxLTTB (``tsdownsample``), every flagged point kept. The
static report embeds one payload per column; a review server can call the
same function on every zoom and hand the result to ``static/charts.js``
(``AquaflagCharts.drawColumn``), which draws it. On 10⁶ points a re-fetch
takes a few tens of milliseconds (``benchmarks/chart_refetch.py``).

The y range of a chart is scaled on the good values (:func:`aquaflag.scale.display_range`):
a logger sentinel such as 7999 or -9999 would otherwise take the whole height
and flatten the series. Flagged values outside the range are drawn as
triangles at the chart's edge, with the true value on hover.

Reads a Result only; imports tsdownsample only when a series is long enough
to be downsampled.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from .._optional import require
from ..errors import InputError, ParameterError, did_you_mean
from ..flags import Flag, severity_flag
from ..scale import display_range, edges
from ._assets import FONT_STACK, STRINGS
from ._axis import Axis
from ._escape import floats

if TYPE_CHECKING:  # pragma: no cover
    from ..result import Result

__all__ = ["ChartData", "chart_payload", "MAX_MARKERS", "FLAG_COLORS"]

#: Above this many points a chart's series is drawn as a line without markers.
MAX_MARKERS = 2000
#: Colours of the QARTOD flags in the charts (good, not evaluated, suspect, fail).
FLAG_COLORS = {1: "#7f7f7f", 2: "#c7c7c7", 3: "#f28e2b", 4: "#d62728"}


def downsample(x: np.ndarray, y: np.ndarray, n_out: int) -> np.ndarray:
    """Indices into ``x``/``y`` kept by MinMaxLTTB (tsdownsample)."""
    downsampler = require("tsdownsample", extra="report",
                          feature="downsampling long series for the charts").MinMaxLTTBDownsampler
    idx = downsampler().downsample(np.ascontiguousarray(x), np.ascontiguousarray(y),
                                             n_out=max(3, int(n_out)))
    return np.asarray(idx, dtype=np.int64)


_ARRAY = object()  # a bound that varies along the series


def _bound_kind(arr: np.ndarray) -> Any:
    """None (no finite bound anywhere), one number (a constant bound), or _ARRAY."""
    finite = ~np.isnan(arr)
    if not finite.any():
        return None
    first = arr[finite][0]
    if finite.all() and np.all(arr == first):
        return None if math.isinf(first) else float(f"{first:.8g}")
    return _ARRAY


def _scalar_or_array(arr: np.ndarray, shown: np.ndarray, kind: Any = _ARRAY) -> Any:
    """A bound for the JSON: None (no bound), one number (constant), or the values at ``shown``."""
    if kind is _ARRAY:
        kind = _bound_kind(arr)
    return floats(arr[shown], sig=7) if kind is _ARRAY else kind


def check_max_points(max_points: Any, name: str = "chart_payload") -> int:
    if isinstance(max_points, bool) or not isinstance(max_points, numbers.Integral) or max_points < 10:
        raise ParameterError(f"max_points of {name} must be an integer >= 10; got {max_points!r}")
    return int(max_points)


# -------------------------------------------------------------------------- data
class ChartData:
    """Chart payloads of a Result's columns, with what does not change between calls kept.

    Parameters
    ----------
    result : Result
        Only read. The time axis, the flag codes and, per column, the values,
        the flagged points and the line breaks are computed once, on first
        use, so a server answering zoom requests re-uses them.

    Examples
    --------
    >>> import aquaflag
    >>> from aquaflag.datasets import demo
    >>> charts = ChartData(aquaflag.detect(demo(), method="iqr"))
    >>> c = charts.column("pH(Mun-Ui)", start="2020-01-01", end="2020-12-31")
    >>> c["name"], c["nv"], c["ds"]
    ('pH(Mun-Ui)', 50, False)
    """

    def __init__(self, result: "Result") -> None:
        self.result = result
        self.columns = list(result.data.columns)
        self._pos = {c: j for j, c in enumerate(self.columns)}
        self.axis = Axis(result.data.index)
        self.rule_index = {r.label: i for i, r in enumerate(result.rules)}
        self._codes: np.ndarray | None = None
        self._series: dict[int, tuple] = {}
        self._bounds: dict[tuple[int, str], tuple[Any, Any]] = {}

    # -------------------------------------------------------------- per Result
    @property
    def codes(self) -> np.ndarray:
        """QARTOD codes of every value (rows x columns, uint8); computed once."""
        if self._codes is None:
            self._codes = np.asarray(self.result.flags.to_numpy(), dtype=np.uint8)
        return self._codes

    def meta(self, lang: str = "en") -> dict[str, Any]:
        """What every chart of the Result shares: x axis, colours, font, rules, strings."""
        if lang not in STRINGS:
            raise ParameterError(f"lang must be one of {', '.join(map(repr, STRINGS))}; got {lang!r}")
        return {
            "lang": lang,
            "t": dict(STRINGS[lang]),
            "font": FONT_STACK,
            "is_time": self.axis.is_time,
            "xfmt": self.axis.fmt,
            "xlabel": self.axis.label,
            "tz": self.axis.tz,
            "max_markers": MAX_MARKERS,
            "colors": {str(k): v for k, v in FLAG_COLORS.items()},
            "rules": [{"label": str(r.label), "method": str(r.method), "severity": str(r.severity)}
                      for r in self.result.rules],
        }

    def _index(self, column: Any) -> int:
        try:
            return self._pos[column]
        except (KeyError, TypeError):
            tip = did_you_mean(str(column), [str(c) for c in self.columns])
            raise InputError(f"no evaluated column {column!r}; {tip}columns: "
                             f"{', '.join(map(str, self.columns))}") from None

    def _column_arrays(self, j: int) -> tuple:
        """(values, codes, valid, flagged, breaks) of column ``j``; computed once."""
        got = self._series.get(j)
        if got is None:
            col = self.columns[j]
            v = self.result.data[col].to_numpy(dtype=np.float64, na_value=np.nan)
            codes = self.codes[:, j]
            valid = np.isfinite(v) & self.axis.valid  # +-inf is not a measurement
            flagged = (codes == int(Flag.SUSPECT)) | (codes == int(Flag.FAIL))
            for rule in self.result.rules:
                det = self.result.detections.get((col, rule.label))
                if det is not None:
                    flagged |= det.mask
            flagged &= valid
            # a gap before display point k when a missing value or a jump in time lies between
            breaks = np.cumsum((~valid) | self.axis.jumps)
            got = (v, codes, valid, flagged, breaks)
            self._series[j] = got
        return got

    # -------------------------------------------------------------- per column
    def column(self, column: Any, *, start: Any = None, end: Any = None,
               max_points: int = 5000) -> dict[str, Any]:
        """The chart payload of one column over ``[start, end]``; see :func:`chart_payload`."""
        max_points = check_max_points(max_points)
        j = self._index(column)
        col = self.columns[j]
        v, codes, valid, flagged, breaks = self._column_arrays(j)
        window = self.axis.window(start, end)
        if isinstance(window, slice):
            rows = np.arange(*window.indices(len(v)))
        else:
            rows = window
        pos = rows[valid[rows]]
        in_flagged = pos[flagged[pos]]
        downsampled = pos.size > max_points
        if downsampled:
            picked = pos[downsample(self.axis.ds_x[pos], v[pos], max_points)]
            shown = np.unique(np.concatenate([picked, pos[[0, -1]], in_flagged]))
        else:
            shown = pos
        gaps: list[int] = []
        if shown.size > 1:
            between = breaks[shown[1:]] - breaks[shown[:-1]]
            gaps = (np.flatnonzero(between > 0) + 1).tolist()
        rules = []
        extra = []
        for rule in self.result.rules:
            det = self.result.detections.get((col, rule.label))
            if det is None:
                continue
            hit_rows = np.flatnonzero(det.mask[shown])
            sev = int(severity_flag(rule.severity or "suspect"))  # a resolved rule has one
            if det.grade is not None:
                grades = det.grade[shown][hit_rows].astype(int)
                g: Any = [int(x) if x in (3, 4) else sev for x in grades.tolist()]
            else:
                g = sev
            kinds = self._bounds.get((j, rule.label))
            if kinds is None:  # whether a bound is constant: once per column and rule
                kinds = self._bounds[(j, rule.label)] = (_bound_kind(det.lower), _bound_kind(det.upper))
            lo = _scalar_or_array(det.lower, shown, kinds[0])
            hi = _scalar_or_array(det.upper, shown, kinds[1])
            for b in (lo, hi):
                if isinstance(b, float):
                    extra.append(b)
                elif b:
                    extra.extend(x for x in b if x is not None)
            rules.append({
                "r": self.rule_index[rule.label],
                "label": str(rule.label),
                "h": hit_rows.tolist(),
                "s": floats(det.score[shown][hit_rows], sig=4),
                "g": g,
                "lo": lo,
                "hi": hi,
                "n": det.n_outliers,
                "ev": det.n_evaluated,
            })
        yr = display_range(v[pos], flagged[pos], np.array(extra, dtype=np.float64)) if pos.size else None
        n_off = 0
        if yr is not None:
            vs = v[shown]
            n_off = int(((vs < yr[0]) | (vs > yr[1])).sum())
        info = self.result.series.get(str(col))
        window_x = None
        if start is not None or end is not None:
            window_x = [self.axis.coordinate(start, "start"), self.axis.coordinate(end, "end")]
        return {
            "name": str(col),
            "unit": (info.unit or "") if info is not None else "",
            "checked": bool(rules),
            "n": int(rows.size),
            "nv": int(pos.size),
            "ns": int(shown.size),
            "nf": int(in_flagged.size),
            "ds": bool(downsampled),
            "x": self.axis.json_x(shown),
            "y": floats(v[shown], sig=12),
            "f": codes[shown].astype(int).tolist(),
            "gaps": gaps,
            "rules": rules,
            "yr": list(yr) if yr is not None else None,
            "edge": list(edges(yr)) if yr is not None else None,
            "off": n_off,
            "window": window_x,
        }

    def heat(self) -> dict[str, Any] | None:
        """Flagged values (suspect, fail) per column and month; None without a time index."""
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


def chart_payload(result: "Result", column: Any, *, start: Any = None, end: Any = None,
                  max_points: int = 5000) -> dict[str, Any]:
    """The chart of ONE column as a JSON-able dict: the points to draw, flags, rules, y range.

    The function the static report uses for each chart, and the one a server
    calls when a user zooms: with ``start``/``end`` the payload covers only
    that window, downsampled again to ``max_points``, so zooming into a
    10⁶-point series shows every point once the window is narrow enough. For
    repeated calls on one Result use :class:`ChartData`, which keeps the time
    axis and the per-column arrays between calls.

    Parameters
    ----------
    result : Result
        Only read.
    column : str
        An evaluated column.
    start, end : time, str or number, optional
        The window, both ends included: anything :class:`pandas.Timestamp`
        reads (a tz-aware time is converted to the index's zone; a naive one
        is wall-clock time in it), or the payload's own x (milliseconds since
        1970 for a time index; index values otherwise). None: open end.
    max_points : int, default 5000
        A longer window is downsampled to about this many points with
        MinMaxLTTB; every flagged point and the window's first and last
        values are kept in addition.

    Returns
    -------
    dict
        ``name``, ``unit``, ``checked`` (False when no rule judged the
        column); counts in the window: ``n`` rows, ``nv`` values, ``ns``
        points shown, ``nf`` flagged values, ``ds`` (downsampled); the
        points: ``x`` (ms since 1970 of the wall-clock time, or index values),
        ``y``, ``f`` (QARTOD code) and ``gaps`` (positions before which the
        line breaks: missing values, jumps in time); ``rules``: per rule
        ``label``, ``r`` (its position in ``result.rules``), ``h`` (positions
        of the points it flagged), ``s`` (their scores), ``g`` (the flag it
        gave, one code or one per point), ``lo``/``hi`` (bounds: a number, a
        list per point, or None), ``n``/``ev`` (outliers and evaluated values
        in the whole series); ``yr`` (the y range, scaled on the good values,
        see :func:`aquaflag.scale.display_range`), ``edge`` (where off-scale points are
        drawn), ``off`` (how many shown points are off the scale), ``window``
        (the requested window in x units, or None).

    Raises
    ------
    InputError
        For a column that was not evaluated.
    ParameterError
        For a bad window (not a time, start after end) or ``max_points``.

    Examples
    --------
    >>> import aquaflag
    >>> from aquaflag.datasets import demo
    >>> res = aquaflag.detect(demo(), method="seed")
    >>> c = chart_payload(res, "DO(Hoe-Nam)")
    >>> c["nv"] == c["ns"] and len(c["rules"]) == 4
    True
    """
    return ChartData(result).column(column, start=start, end=end, max_points=max_points)

"""Cleaning: fill the gaps left by removed (flagged) values, and only those.

:meth:`aquaflag.Result.cleaned` sets flagged values to NaN; with
``policy="interpolate"`` it then calls :func:`interpolate_gaps`, which fills
each run of consecutive flagged values by linear interpolation in time
between the nearest unflagged values on both sides, when the run is no longer
than ``limit``. Values that were missing in the input stay missing; runs at
the start or end (no neighbour on one side) and runs longer than the limit
stay NaN. Nothing is dropped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import ParameterError
from .windows import WindowError, parse_window

__all__ = ["interpolate_gaps"]


def interpolate_gaps(data: pd.DataFrame, flagged: pd.DataFrame, *, limit=None) -> pd.DataFrame:
    """Interpolate the flagged cells of ``data`` (already NaN there), run by run.

    Parameters
    ----------
    data : DataFrame
        Values with flagged cells set to NaN.
    flagged : DataFrame of bool
        Same shape: which cells were flagged (only these are filled).
    limit : str, int or None
        Longest run to fill, in the window grammar of :mod:`aquaflag.windows`:
        a time span (``"6h"``; measured between the two neighbouring unflagged
        values) or a number of points. None: no limit.

    Returns
    -------
    DataFrame
        A new frame; ``data`` is not modified.

    Notes
    -----
    The fill is linear in time (``pandas.Series.interpolate(method="time")``)
    for a DatetimeIndex, linear in position otherwise.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=5, freq="h")
    >>> data = pd.DataFrame({"x": [1.0, np.nan, np.nan, 4.0, 5.0]}, index=idx)
    >>> flagged = pd.DataFrame({"x": [False, True, False, False, False]}, index=idx)
    >>> interpolate_gaps(data, flagged)["x"].tolist()  # the input's own gap stays
    [1.0, nan, nan, 4.0, 5.0]
    >>> flagged.iloc[2, 0] = True
    >>> interpolate_gaps(data, flagged)["x"].tolist()
    [1.0, 2.0, 3.0, 4.0, 5.0]
    """
    span, count = _parse_limit(limit)
    timed = isinstance(data.index, pd.DatetimeIndex)
    if span is not None and not timed:
        raise ParameterError(f"limit {limit!r} is a time span but the data have no DatetimeIndex; give a number of points")
    out = data.copy()
    pos = np.arange(len(data))
    t = data.index.to_numpy(dtype="datetime64[ns]").view(np.int64) if timed else pos
    for col in data.columns:
        flag = flagged[col].to_numpy(dtype=bool)
        if not flag.any():
            continue
        values = data[col].to_numpy(dtype=np.float64)
        good = ~np.isnan(values) & ~flag
        if good.sum() < 2:
            continue
        filled = np.interp(t, t[good], values[good])
        # runs of flagged cells: each must sit between two good values and be short enough
        prev_good = np.maximum.accumulate(np.where(good, pos, -1))
        next_good = np.minimum.accumulate(np.where(good, pos, len(pos))[::-1])[::-1]
        inside = (prev_good >= 0) & (next_good < len(pos))
        ok = flag & inside
        # every cell between the two good neighbours must be flagged (no input NaN inside)
        nan_input = np.isnan(values) & ~flag
        cum_nan = np.concatenate([[0], np.cumsum(nan_input)])
        pg, ng = np.clip(prev_good, 0, None), np.clip(next_good, None, len(pos) - 1)
        ok &= (cum_nan[ng] - cum_nan[pg]) == 0
        if count is not None:
            ok &= (ng - pg - 1) <= count
        if span is not None:
            ok &= (t[ng] - t[pg]) <= span
        col_values = values.copy()
        col_values[ok] = filled[ok]
        out[col] = col_values
    return out


def _parse_limit(limit) -> tuple[int | None, int | None]:
    """(span in ns, count) of a limit in the window grammar (:mod:`aquaflag.windows`)."""
    if limit is None:
        return None, None
    try:
        window = parse_window(limit)
    except WindowError as exc:
        raise ParameterError(f"limit of cleaned {exc}; got {limit!r}") from None
    return window.span_ns, window.count

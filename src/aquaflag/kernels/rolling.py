"""Rolling (windowed) statistics over count or time windows, NaN-aware.

A window is given per point as an index range ``[start, end)`` into the
series (:func:`window_bounds`), so count windows (``96``), time windows on
irregular timestamps (``"30D"``), centred and trailing windows all go through
the same kernels.

Why hand-written: pandas and bottleneck provide rolling medians and
quantiles, but not a *true* rolling MAD (the median of deviations from each
window's *own* median), nor a rolling medcouple, nor all of them from one
pass. :func:`rolling_robust` keeps each window's values in a sorted buffer
(insert and delete by binary search as the window slides), so every
statistic is exact; the medcouple of each window is an exact selection on
that buffer, warm-started from the previous window's. It is compiled with numba (``cache=True``) for long
series; short series (at most ``SMALL`` window cells in all) use a NumPy
path, so a first run on a small file never waits for a compilation.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from . import stats as _stats
from .stats import medcouple_owned

__all__ = ["window_bounds", "rolling_robust", "rolling_mean_std", "ROBUST_STATS", "SMALL",
           "PARALLEL_CELLS"]

#: Statistics :func:`rolling_robust` can return, in this order.
ROBUST_STATS = ("count", "median", "mad", "mean_abs_dev", "q1", "q3", "mc")
#: Up to this many window cells (sum of window lengths) the NumPy path is used.
SMALL = 2_000_000


def window_bounds(n: int, *, count: int | None = None, span_ns: int | None = None, times=None,
                  center: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Index range ``[start, end)`` of each point's window.

    Parameters
    ----------
    n : int
        Series length.
    count, span_ns : int
        Exactly one: a number of points, or a time span in nanoseconds (which
        needs ``times``). :func:`aquaflag.windows.parse_window` reads both
        from what a user writes.
    times : array of datetime64, optional
        Sorted timestamps (irregular is fine).
    center : bool
        Centred window (the point in the middle) or trailing (the point last).

    Returns
    -------
    starts, ends : ndarray of int64

    Notes
    -----
    Count window w, centred: points ``i - w//2 .. i - w//2 + w - 1``; trailing:
    ``i - w + 1 .. i``; clipped at the ends. Time window T, centred: times in
    ``[t_i - T/2, t_i + T/2]``; trailing: ``(t_i - T, t_i]`` (pandas'
    convention for offset windows).

    Examples
    --------
    >>> window_bounds(5, count=3)
    (array([0, 0, 1, 2, 3]), array([2, 3, 4, 5, 5]))
    """
    if (count is None) == (span_ns is None):
        raise ValueError("give exactly one of count and span_ns")
    idx = np.arange(n, dtype=np.int64)
    if count is not None:
        w = min(int(count), n + 1)  # a window longer than the series is the whole series
        if center:
            starts = idx - w // 2
        else:
            starts = idx - w + 1
        return np.clip(starts, 0, n), np.clip(starts + w, 0, n)
    if times is None:
        raise InputError(
            "a time window needs timestamps: give the data a DatetimeIndex "
            "(aquaflag.read finds the date column) or use a number of points"
        )
    t = np.asarray(times, dtype="datetime64[ns]").view(np.int64)
    if t.size and np.any(np.diff(t) < 0):
        raise InputError("timestamps are not sorted: sort the data by time before a time window")
    assert span_ns is not None  # exactly one of count and span_ns (checked above)
    span = int(span_ns)
    if center:
        starts = np.searchsorted(t, t - span // 2, side="left")
        ends = np.searchsorted(t, t + span // 2, side="right")
    else:
        starts = np.searchsorted(t, t - span, side="right")
        ends = idx + 1
    return starts.astype(np.int64), ends.astype(np.int64)


def rolling_mean_std(values, starts, ends, *, min_periods: int = 2, ddof: int = 1):
    """Mean, standard deviation and count of the non-NaN values of each window.

    Windows are taken in blocks of consecutive points; within a block the sums
    are cumulative sums of the values minus the block's own mean, over just
    the stretch the block's windows cover. Keeping the sums local bounds the
    cancellation error by what lies near the window (a single global shift
    loses digits when the level drifts far from the overall mean: 10 % error
    on a 0.01 std at level 10⁴ over 10⁶ points). O(n) for any windows.

    Returns
    -------
    mean, std, count : ndarray
        NaN where a window has fewer than ``min_periods`` values.
    """
    x = np.asarray(values, dtype=np.float64)
    n = x.size
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    mean = np.full(n, np.nan)
    var = np.full(n, np.nan)
    count = np.zeros(n)
    if n:
        block = max(4096, int((ends - starts).max()))
        for a in range(0, n, block):
            b = min(n, a + block)
            lo, hi = int(starts[a:b].min()), int(ends[a:b].max())
            seg = x[lo:hi]
            ok = ~np.isnan(seg)
            shift = float(np.mean(seg[ok])) if ok.any() else 0.0
            y = np.where(ok, seg - shift, 0.0)
            c1 = np.concatenate([[0.0], np.cumsum(y)])
            c2 = np.concatenate([[0.0], np.cumsum(y * y)])
            cn = np.concatenate([[0], np.cumsum(ok)])
            s, e = starts[a:b] - lo, ends[a:b] - lo
            cnt = (cn[e] - cn[s]).astype(np.float64)
            s1 = c1[e] - c1[s]
            s2 = c2[e] - c2[s]
            with np.errstate(invalid="ignore", divide="ignore"):
                m = s1 / cnt
                var[a:b] = (s2 - s1 * m) / (cnt - ddof)
            mean[a:b] = m + shift
            count[a:b] = cnt
    std = np.sqrt(np.maximum(var, 0.0))
    mean[count < min_periods] = np.nan
    std[count < max(min_periods, ddof + 1)] = np.nan
    return mean, std, count


def rolling_robust(values, starts, ends, *, min_periods: int = 1, medcouple: bool = False,
                   stats=None) -> dict:
    """Robust statistics of the non-NaN values of each window, exactly.

    Parameters
    ----------
    values : array_like of float
    starts, ends : array of int
        Each point's window ``[start, end)``, both non-decreasing (as from
        :func:`window_bounds`).
    min_periods : int
        Windows with fewer non-NaN values give NaN statistics.
    medcouple : bool
        Also compute each window's medcouple.
    stats : sequence of str, optional
        Only these statistics (any of ``median, mad, mean_abs_dev, q1, q3,
        mc``; ``mad`` and ``mean_abs_dev`` come together): the others are
        neither computed nor allocated. Default: all but ``mc`` (and ``mc``
        when ``medcouple``).

    Returns
    -------
    dict of ndarray
        ``count`` and the statistics asked for: ``median, mad, mean_abs_dev``
        (around the median; computed only where MAD = 0, where it serves as
        the fallback scale, NaN elsewhere), ``q1, q3`` (linear interpolation,
        as :func:`numpy.quantile`), ``mc`` (the medcouple, exactly
        :func:`aquaflag.kernels.stats.medcouple` of the window); NaN where
        the window has too few values.

    Notes
    -----
    Each window's non-NaN values are kept in a sorted buffer as the window
    slides (O(w) per step for w values in a window). Median and quartiles
    are read off the buffer, the MAD by a walk outwards from the median. The
    medcouple is an exact selection among the window's kernel values
    (:mod:`aquaflag.kernels._medcouple`), started from a bracket around the
    previous window's medcouple: O(w) per window in practice, O(w log w) at
    worst, instead of the O(w²) of the definition. Short inputs (at most
    :data:`SMALL` window cells) and installs without numba take a NumPy path
    that sorts blocks of windows and calls :func:`aquaflag.kernels.stats.medcouple`
    per window (O(w log w) each): the same values, more slowly.

    Examples
    --------
    >>> st = rolling_robust([1.0, 2.0, 10.0, 3.0, np.nan], *window_bounds(5, count=3))
    >>> st["median"]
    array([1.5, 2. , 3. , 6.5, 3. ])
    >>> st["mad"]
    array([0.5, 1. , 1. , 3.5, 0. ])
    """
    wanted = _wanted(stats, medcouple)
    x = np.ascontiguousarray(values, dtype=np.float64)
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    ends = np.ascontiguousarray(ends, dtype=np.int64)
    if x.size and (np.any(np.diff(starts) < 0) or np.any(np.diff(ends) < 0)):
        raise ValueError("window starts and ends must be non-decreasing")
    cells = int((ends - starts).sum()) if x.size else 0
    if cells <= SMALL or not _stats.HAS_NUMBA:
        out = _robust_numpy(x, starts, ends, wanted)
    else:
        out = _robust_compiled(x, starts, ends, wanted, cells)
    few = out["count"] < max(min_periods, 1)
    for k, arr in out.items():
        if k != "count":
            arr[few] = np.nan  # in place: the arrays are this call's own
    return out


def _wanted(stats, medcouple: bool) -> tuple[str, ...]:
    """The statistics to compute, in :data:`ROBUST_STATS` order (``mad`` brings ``mean_abs_dev``)."""
    if stats is None:
        names = {"median", "mad", "mean_abs_dev", "q1", "q3"}
    else:
        names = set(stats)
        unknown = names - set(ROBUST_STATS[1:])
        if unknown:
            raise ValueError(f"unknown rolling statistic(s): {', '.join(sorted(unknown))}")
    if medcouple:
        names.add("mc")
    if "mad" in names or "mean_abs_dev" in names:
        names |= {"median", "mad", "mean_abs_dev"}
    if "q1" in names or "q3" in names:
        names |= {"q1", "q3"}
    return tuple(k for k in ROBUST_STATS[1:] if k in names)


def _robust_numpy(x, starts, ends, wanted=("median", "mad", "mean_abs_dev", "q1", "q3")) -> dict:
    """NumPy path: gather each window into a NaN-padded row, sort rows, read statistics."""
    n = x.size
    out = {k: np.full(n, np.nan) for k in wanted}
    out["count"] = np.zeros(n)
    if n == 0:
        return out
    width = int((ends - starts).max())
    if width == 0:
        return out
    chunk = max(1, SMALL // width)
    offs = np.arange(width)

    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        idx = starts[a:b, None] + offs
        valid = idx < ends[a:b, None]
        block = np.where(valid, x[np.minimum(idx, n - 1)], np.nan)
        block.sort(axis=1)  # NaN sort last
        cnt = (~np.isnan(block)).sum(axis=1)
        out["count"][a:b] = cnt
        rows = np.flatnonzero(cnt > 0)
        if rows.size == 0:
            continue
        blk, c = block[rows], cnt[rows]
        if "median" in wanted:
            med = _sorted_quantile(blk, c, 0.5)
            out["median"][a + rows] = med
        if "mad" in wanted:
            dev = np.abs(blk - med[:, None])
            dev.sort(axis=1)
            out["mad"][a + rows] = _sorted_quantile(dev, c, 0.5)
            meanad = np.nansum(dev, axis=1) / c
            mad = out["mad"][a + rows]
            out["mean_abs_dev"][a + rows] = np.where(mad == 0, meanad, np.nan)
        if "q1" in wanted:
            out["q1"][a + rows] = _sorted_quantile(blk, c, 0.25)
            out["q3"][a + rows] = _sorted_quantile(blk, c, 0.75)
        if "mc" in wanted:
            out["mc"][a + rows] = [medcouple_owned(r[:k].copy()) for r, k in zip(blk, c)]
    return out


#: From this many window cells on, a long series called from the main thread is cut
#: into stretches computed in parallel, one thread per core (identical results).
PARALLEL_CELLS = 1 << 23


def _robust_compiled(x, starts, ends, wanted, cells: int) -> dict:
    """The compiled kernel, over stretches of consecutive windows in parallel when worth it.

    Each stretch starts its sorted buffer afresh, so the values do not depend on
    the cut. Threads are used only from the main thread (the engine already runs
    a thread per core over series), for at least :data:`PARALLEL_CELLS` cells.
    """
    import os
    import threading

    from ._numba import WANT_MAD, WANT_MC, WANT_MEDIAN, WANT_QUARTILES

    n = x.size
    bits = ((WANT_MEDIAN if "median" in wanted else 0) | (WANT_MAD if "mad" in wanted else 0)
            | (WANT_QUARTILES if "q1" in wanted else 0) | (WANT_MC if "mc" in wanted else 0))
    out = {k: np.full(n, np.nan) for k in wanted}
    out["count"] = np.zeros(n)
    empty = np.empty(0)
    arrays = [out.get(k, empty) for k in ROBUST_STATS]
    kernel = _numba_kernel()
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or cells < PARALLEL_CELLS or threading.current_thread() is not threading.main_thread():
        kernel(x, starts, ends, bits, *arrays)
        return out
    from concurrent.futures import ThreadPoolExecutor

    cuts = np.linspace(0, n, workers + 1).astype(np.int64)

    def stretch(j: int) -> None:
        a, b = int(cuts[j]), int(cuts[j + 1])
        kernel(x, starts[a:b], ends[a:b], bits, *(arr[a:b] if arr.size else arr for arr in arrays))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(stretch, range(workers)))
    return out


def _sorted_quantile(sorted_rows: np.ndarray, counts: np.ndarray, q: float) -> np.ndarray:
    """Linear-interpolation quantile of each row's first ``counts`` (sorted) values."""
    h = (counts - 1) * q
    lo = np.floor(h).astype(np.int64)
    hi = np.minimum(lo + 1, counts - 1)
    r = np.arange(sorted_rows.shape[0])
    a, b = sorted_rows[r, lo], sorted_rows[r, hi]
    return a + (h - lo) * (b - a)


_KERNEL = None


def _numba_kernel():
    """Compile (or load from cache) the sorted-buffer kernel; imported lazily."""
    global _KERNEL
    if _KERNEL is None:
        from ._numba import rolling_robust_kernel

        _KERNEL = rolling_robust_kernel
    return _KERNEL

"""numba kernels (imported lazily): rolling robust statistics.

Rolling statistics (:func:`aquaflag.rolling.rolling_robust`): the window's
non-NaN values live in a sorted buffer. As the window slides,
values entering are inserted and values leaving are deleted, each by binary
search plus a shift: O(w) per step with a tiny constant, O(n·w) in all,
O(w) memory. Median and quartiles are read off the buffer; the MAD walks
outwards from the median over the two sorted halves (their deviations are
already sorted), so it needs no second sort. The medcouple of each window is
an exact selection on the same buffer (:mod:`aquaflag.kernels._medcouple`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._medcouple import SAMPLE_MAX, window_medcouple


@njit(cache=True, nogil=True)
def _lower_bound(buf, size, v):
    """First index of buf[:size] (sorted) whose value is >= v."""
    lo, hi = 0, size
    while lo < hi:
        mid = (lo + hi) >> 1
        if buf[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def _insert(buf, size, v):
    at = _lower_bound(buf, size, v)
    for k in range(size, at, -1):
        buf[k] = buf[k - 1]
    buf[at] = v


@njit(cache=True, nogil=True)
def _delete(buf, size, v):
    at = _lower_bound(buf, size, v)
    for k in range(at, size - 1):
        buf[k] = buf[k + 1]


@njit(cache=True, nogil=True)
def _quantile(buf, c, q):
    h = (c - 1) * q
    lo = int(np.floor(h))
    hi = min(lo + 1, c - 1)
    return buf[lo] + (h - lo) * (buf[hi] - buf[lo])


@njit(cache=True, nogil=True)
def _mad_sorted(buf, c, m):
    """Median of |buf[:c] - m| for sorted buf, walking out from the median."""
    r = _lower_bound(buf, c, m)
    left = r - 1
    want = c // 2  # the deviation of rank c//2 (and c//2 - 1 for even c)
    prev = 0.0
    d = 0.0
    for _ in range(want + 1):
        prev = d
        if left < 0:
            d = buf[r] - m
            r += 1
        elif r >= c:
            d = m - buf[left]
            left -= 1
        elif m - buf[left] <= buf[r] - m:
            d = m - buf[left]
            left -= 1
        else:
            d = buf[r] - m
            r += 1
    if c % 2 == 1:
        return d
    return prev + 0.5 * (d - prev)


#: Statistics the rolling kernel can compute (bits of its ``want`` argument).
WANT_MEDIAN, WANT_MAD, WANT_QUARTILES, WANT_MC = 1, 2, 4, 8


@njit(cache=True, nogil=True)
def rolling_robust_kernel(x, starts, ends, want, count, median, mad, meanad, q1, q3, mc):
    """Robust statistics of each window ``x[starts[i]:ends[i]]`` (NaN skipped), exactly.

    ``want`` is a bit mask of :data:`WANT_MEDIAN`, :data:`WANT_MAD` (MAD, and the mean
    absolute deviation where the MAD is 0), :data:`WANT_QUARTILES` and
    :data:`WANT_MC`; the statistics are written into ``count, median, mad, meanad,
    q1, q3, mc`` (one value per window; arrays of statistics not wanted are
    not touched). ``starts`` and ``ends`` may be any stretch of consecutive
    windows: the buffer starts empty at ``starts[0]``, so stretches can be
    computed independently (in parallel) with the same results.

    The medcouple of each window is the exact selection of
    :func:`aquaflag.kernels._medcouple.window_medcouple` on the sorted buffer,
    started from the previous window's medcouple: O(w) per window for a
    window of w values, instead of O(w²) for the definition.
    """
    n = starts.shape[0]
    want_med = (want & (WANT_MEDIAN | WANT_MAD)) != 0
    want_mad = (want & WANT_MAD) != 0
    want_q = (want & WANT_QUARTILES) != 0
    want_mc = (want & WANT_MC) != 0
    width = 1
    for i in range(n):
        width = max(width, ends[i] - starts[i])
    buf = np.empty(width + 1)
    # medcouple work space (see window_medcouple); small unless the medcouple is wanted
    w_mc = width if want_mc else 1
    u = np.empty(w_mc)
    v = np.empty(w_mc)
    ra = np.empty(w_mc, dtype=np.int32)
    rb = np.empty(w_mc, dtype=np.int32)
    cap = max(4 * w_mc, 64)
    cand = np.empty(cap)
    cidx = np.empty(cap, dtype=np.int64)
    sample = np.empty(min(max(2 * w_mc, 64), SAMPLE_MAX))
    sidx = np.empty(sample.shape[0], dtype=np.int64)
    hint = np.nan  # the previous window's medcouple
    d = 8.0 / (width * width)  # spacing of kernel values near it (kernel value per rank)
    size = 0
    lo = starts[0] if n else 0
    hi = lo
    for i in range(n):
        while hi < ends[i]:
            val = x[hi]
            if not np.isnan(val):
                _insert(buf, size, val)
                size += 1
            hi += 1
        while lo < starts[i]:
            val = x[lo]
            if not np.isnan(val):
                _delete(buf, size, val)
                size -= 1
            lo += 1
        count[i] = size
        if size == 0:
            continue
        if want_med:
            m = _quantile(buf, size, 0.5)
            if want & WANT_MEDIAN:
                median[i] = m
            if want_mad:
                mad[i] = _mad_sorted(buf, size, m)
                if mad[i] == 0.0:  # only needed as the fallback scale when MAD = 0
                    s = 0.0
                    for k in range(size):
                        s += abs(buf[k] - m)
                    meanad[i] = s / size
        if want_q:
            q1[i] = _quantile(buf, size, 0.25)
            q3[i] = _quantile(buf, size, 0.75)
        if want_mc:
            val, per_rank = window_medcouple(buf, size, u, v, cap, cand, cidx, sample, sidx,
                                             hint, d, ra, rb)
            mc[i] = val
            hint = val
            # the spacing near the answer, smoothed; kept within [1/4, 8] x the mean
            # spacing of the window's ~size^2/4 kernel values in [-1, 1]
            if not np.isnan(per_rank):
                d = 0.7 * d + 0.3 * per_rank
            mean_spacing = 8.0 / (size * size)
            d = min(max(d, 0.25 * mean_spacing), 8.0 * mean_spacing)

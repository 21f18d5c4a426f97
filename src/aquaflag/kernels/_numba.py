"""numba kernels (imported lazily): rolling robust statistics, and the medcouple count.

Rolling statistics (:func:`aquaflag.rolling.rolling_robust`): the window's
non-NaN values live in a sorted buffer. As the window slides,
values entering are inserted and values leaving are deleted, each by binary
search plus a shift: O(w) per step with a tiny constant, O(n·w) in all,
O(w) memory. Median and quartiles are read off the buffer; the MAD walks
outwards from the median over the two sorted halves (their deviations are
already sorted), so it needs no second sort.

Medcouple (:func:`aquaflag.stats.medcouple` on long series): the per-row
count of kernel keys beyond a pivot, one merge walk over the sorted halves.
"""

from __future__ import annotations

import numpy as np
from numba import njit


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


@njit(cache=True, nogil=True)
def _medcouple_sorted(buf, c, work):
    """Medcouple of the sorted buf[:c] by the O(c²) definition (small windows)."""
    if c < 1:
        return np.nan
    med = _quantile(buf, c, 0.5)
    nk = 0
    n_tie = 0
    for i in range(c):
        if buf[i] == med:
            n_tie += 1
    for i in range(c):
        xi = buf[i]
        if xi > med:
            break
        for j in range(c):
            xj = buf[j]
            if xj < med:
                continue
            if xi == med and xj == med:
                continue
            u = xj - med
            v = med - xi
            work[nk] = (u - v) / (u + v)
            nk += 1
    # tied block: k(k-1)/2 of -1, k of 0, k(k-1)/2 of +1
    half = n_tie * (n_tie - 1) // 2
    for _ in range(half):
        work[nk] = -1.0
        nk += 1
    for _ in range(n_tie):
        work[nk] = 0.0
        nk += 1
    for _ in range(half):
        work[nk] = 1.0
        nk += 1
    if nk == 0:
        return 0.0
    return np.median(work[:nk])


@njit(cache=True, nogil=True)
def rolling_robust_kernel(x, starts, ends, want_mc):
    n = x.shape[0]
    count = np.zeros(n)
    median = np.full(n, np.nan)
    mad = np.full(n, np.nan)
    meanad = np.full(n, np.nan)
    q1 = np.full(n, np.nan)
    q3 = np.full(n, np.nan)
    mc = np.full(n, np.nan)
    width = 1
    for i in range(n):
        width = max(width, ends[i] - starts[i])
    buf = np.empty(width + 1)
    work = np.empty((width * width + width) if want_mc else 1)
    size = 0
    lo = 0
    hi = 0
    for i in range(n):
        while hi < ends[i]:
            v = x[hi]
            if not np.isnan(v):
                _insert(buf, size, v)
                size += 1
            hi += 1
        while lo < starts[i]:
            v = x[lo]
            if not np.isnan(v):
                _delete(buf, size, v)
                size -= 1
            lo += 1
        count[i] = size
        if size == 0:
            continue
        m = _quantile(buf, size, 0.5)
        median[i] = m
        q1[i] = _quantile(buf, size, 0.25)
        q3[i] = _quantile(buf, size, 0.75)
        mad[i] = _mad_sorted(buf, size, m)
        if mad[i] == 0.0:  # only needed as the fallback scale when MAD = 0
            s = 0.0
            for k in range(size):
                s += abs(buf[k] - m)
            meanad[i] = s / size
        if want_mc:
            mc[i] = _medcouple_sorted(buf, size, work)
    return count, median, mad, meanad, q1, q3, mc


@njit(cache=True, nogil=True)
def count_keys_before(u, v, tau, strict, out):
    """For each row i (``u`` ascending): how many ``v`` (ascending) have v/u[i] > tau (or >=).

    Used by :func:`aquaflag.stats.medcouple` on long series. The key is the
    same correctly rounded division the selection materialises, and it is
    monotone in both ``v`` (for a row) and ``u`` (for a column), so one merge
    walk O(p + q) counts every row exactly.
    """
    q = v.shape[0]
    j = 0
    for i in range(u.shape[0]):
        ui = u[i]
        if strict:
            while j < q and not (v[j] / ui > tau):
                j += 1
        else:
            while j < q and not (v[j] / ui >= tau):
                j += 1
        out[i] = q - j

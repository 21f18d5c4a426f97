"""numba kernel (imported lazily): STL, the seasonal-trend decomposition by LOESS.

A line-by-line port of the NETLIB STL routines (Cleveland et al. 1990) as
statsmodels implements them (``statsmodels/tsa/stl/_stl.pyx``): the same
smoothers, the same order of every floating-point operation, and the same
``pow`` calls for the tricube and bisquare weights, so the results agree with
statsmodels' to the last few bits (tested to 1e-12). What differs is speed:
the tricube weight of a point depends only on its distance ``r`` to the
fitted point and the half-width ``h`` of the window, and nearly every window
has the same ``h``, so the weights are computed once per ``h`` and looked up
(statsmodels evaluates two ``pow`` per point per window: about 5·10⁷ per
inner iteration on 10⁶ values with a daily period, most of its 1.5 s per
iteration). The decomposition itself costs O(n · (ns + nl/jl + nt/jt)) per
inner iteration, as in the original.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._medcouple import _nth


@njit(cache=True, nogil=True)
def _tricube_row(table, filled, h):
    """Make sure ``table[ih]`` holds the tricube weights of distances 0.. for half-width h."""
    ih = int(h)
    if filled[ih]:
        return ih
    h9 = 0.999 * h
    h1 = 0.001 * h
    for r in range(table.shape[1]):
        rr = float(r)
        if rr <= h9:
            if rr <= h1:
                table[ih, r] = 1.0
            else:
                table[ih, r] = math.pow(1.0 - math.pow(rr / h, 3.0), 3.0)
        else:
            table[ih, r] = -1.0  # outside the window
    filled[ih] = True
    return ih


@njit(cache=True, nogil=True)
def _est(y, n, len_, ideg, xs, nleft, nright, w, userw, rw, table, filled):
    """LOESS fit at abscissa ``xs`` (1-based) from points nleft..nright (1-based)."""
    rng = n - 1.0
    h = float(max(xs - nleft, nright - xs))
    if len_ > n:
        h += (len_ - n) // 2.0
    big = h + 1.0 >= table.shape[0] or h != math.floor(h)
    if not big:
        ih = _tricube_row(table, filled, h)
    h9 = 0.999 * h
    h1 = 0.001 * h
    a = 0.0
    for j in range(nleft - 1, nright):
        w[j] = 0.0
        r = abs(j + 1 - xs)
        if big:
            rr = float(r)
            if rr <= h9:
                if rr <= h1:
                    w[j] = 1.0
                else:
                    w[j] = math.pow(1.0 - math.pow(rr / h, 3.0), 3.0)
                if userw:
                    w[j] = w[j] * rw[j]
                a = a + w[j]
        else:
            t = table[ih, r]
            if t >= 0.0:
                w[j] = t
                if userw:
                    w[j] = w[j] * rw[j]
                a = a + w[j]
    if a <= 0:
        return np.nan
    for j in range(nleft - 1, nright):
        w[j] = w[j] / a
    if h > 0 and ideg > 0:
        a = 0.0
        for j in range(nleft - 1, nright):
            a = a + w[j] * (j + 1)
        b = xs - a
        c = 0.0
        for j in range(nleft - 1, nright):
            d = j + 1 - a
            c = c + w[j] * (d * d)
        if math.sqrt(c) > 0.001 * rng:
            b = b / c
            for j in range(nleft - 1, nright):
                w[j] = w[j] * (b * (j + 1 - a) + 1.0)
    ys = 0.0
    for j in range(nleft - 1, nright):
        ys = ys + w[j] * y[j]
    return ys


@njit(cache=True, nogil=True)
def _ess(y, n, len_, ideg, njump, userw, rw, ys, ys_off, res, table, filled):
    """LOESS smoothing of y[:n] into ys[ys_off: ys_off + n], fitting every njump-th point."""
    if n < 2:
        ys[ys_off] = y[0]
        return
    newnj = min(njump, n - 1)
    nleft = 1
    nright = n
    if len_ >= n:
        nleft = 1
        nright = n
        i = 0
        while i < n:
            v = _est(y, n, len_, ideg, i + 1, nleft, nright, res, userw, rw, table, filled)
            ys[ys_off + i] = y[i] if math.isnan(v) else v
            i += newnj
    elif newnj == 1:
        nsh = (len_ + 2) // 2
        nleft = 1
        nright = len_
        for i in range(n):
            if (i + 1) > nsh and nright != n:
                nleft = nleft + 1
                nright = nright + 1
            v = _est(y, n, len_, ideg, i + 1, nleft, nright, res, userw, rw, table, filled)
            ys[ys_off + i] = y[i] if math.isnan(v) else v
    else:
        nsh = (len_ + 1) // 2
        i = 0
        while i < n:
            if (i + 1) < nsh:
                nleft = 1
                nright = len_
            elif (i + 1) >= (n - nsh + 1):
                nleft = n - len_ + 1
                nright = n
            else:
                nleft = i + 1 - nsh + 1
                nright = len_ + i + 1 - nsh
            v = _est(y, n, len_, ideg, i + 1, nleft, nright, res, userw, rw, table, filled)
            ys[ys_off + i] = y[i] if math.isnan(v) else v
            i += newnj
    if newnj == 1:
        return
    i = 0
    while i < (n - newnj):
        delta = (ys[ys_off + i + newnj] - ys[ys_off + i]) / newnj
        for j in range(i, i + newnj):
            ys[ys_off + j] = ys[ys_off + i] + delta * ((j + 1) - (i + 1))
        i += newnj
    k = ((n - 1) // newnj) * newnj + 1
    if k != n:
        v = _est(y, n, len_, ideg, n, nleft, nright, res, userw, rw, table, filled)
        ys[ys_off + n - 1] = y[n - 1] if math.isnan(v) else v
        if k != (n - 1):
            delta = (ys[ys_off + n - 1] - ys[ys_off + k - 1]) / (n - k)
            for j in range(k, n):
                ys[ys_off + j] = ys[ys_off + k - 1] + delta * ((j + 1) - k)


@njit(cache=True, nogil=True)
def _ma(x, n, len_, ave):
    """Moving average of length len_ of x[:n] into ave[: n - len_ + 1]."""
    newn = n - len_ + 1
    flen = float(len_)
    v = 0.0
    for i in range(len_):
        v = v + x[i]
    ave[0] = v / flen
    k = len_
    m = 0
    for j in range(1, newn):
        v += x[k] - x[m]
        ave[j] = v / flen
        k += 1
        m += 1


@njit(cache=True, nogil=True)
def stl_fit(y, period, seasonal, trend, low_pass, seasonal_deg, trend_deg, low_pass_deg,
            seasonal_jump, trend_jump, low_pass_jump, inner_iter, outer_iter):
    """STL of ``y`` (no NaN): returns ``(seasonal, trend, robustness weights)``.

    Parameters as ``statsmodels.tsa.seasonal.STL(...).fit(inner_iter, outer_iter)``
    (lengths odd, ``trend`` and ``low_pass`` > ``period``); ``outer_iter`` > 0
    computes bisquare robustness weights between the passes (robust STL).
    """
    n = y.shape[0]
    np_ = period
    ns, nt, nl = seasonal, trend, low_pass
    season = np.zeros(n)
    trnd = np.zeros(n)
    rw = np.ones(n)
    work = np.zeros((5, n + 2 * np_))
    hmax = max(ns, nt, nl) + 2
    table = np.empty((hmax + 1, hmax + 1))
    filled = np.zeros(hmax + 1, dtype=np.bool_)
    sub_y = np.empty(n // np_ + 3)  # one cycle-subseries and its weights
    sub_w = np.empty(n // np_ + 3)
    sub_fit = np.empty(n // np_ + 3)
    res = np.empty(n + 2 * np_)
    no_idx = np.empty(0, dtype=np.int64)
    use_rw = False
    k_outer = 0
    while True:
        for _ in range(inner_iter):
            for i in range(n):
                work[0, i] = y[i] - trnd[i]
            # seasonal smoothing of each cycle-subseries, extended by one cycle at each end
            for j in range(np_):
                k = (n - (j + 1)) // np_ + 1
                for i in range(k):
                    sub_y[i] = work[0, i * np_ + j]
                if use_rw:
                    for i in range(k):
                        sub_w[i] = rw[i * np_ + j]
                _ess(sub_y, k, ns, seasonal_deg, seasonal_jump, use_rw, sub_w, sub_fit, 1, res,
                     table, filled)
                nright = min(ns, k)
                v = _est(sub_y, k, ns, seasonal_deg, 0, 1, nright, res, use_rw, sub_w, table, filled)
                sub_fit[0] = sub_fit[1] if math.isnan(v) else v
                nleft = max(1, k - ns + 1)
                v = _est(sub_y, k, ns, seasonal_deg, k + 1, nleft, k, res, use_rw, sub_w, table,
                         filled)
                sub_fit[k + 1] = sub_fit[k] if math.isnan(v) else v
                for m in range(k + 2):
                    work[1, m * np_ + j] = sub_fit[m]
            # low-pass filter of the seasonal smooth
            nn = n + 2 * np_
            _ma(work[1], nn, np_, work[2])
            _ma(work[2], nn - np_ + 1, np_, work[0])
            _ma(work[0], nn - 2 * np_ + 2, 3, work[2])
            _ess(work[2], n, nl, low_pass_deg, low_pass_jump, False, work[3], work[0], 0, work[4],
                 table, filled)
            for i in range(n):
                season[i] = work[1, np_ + i] - work[0, i]
                work[0, i] = y[i] - season[i]
            _ess(work[0], n, nt, trend_deg, trend_jump, use_rw, rw, trnd, 0, work[2], table, filled)
        k_outer += 1
        if k_outer > outer_iter:
            break
        # robustness weights: bisquare of |residual| / (6 median |residual|)
        for i in range(n):
            rw[i] = abs(y[i] - (trnd[i] + season[i]))
        part = rw.copy()
        mid0 = n // 2
        mid1 = n - mid0 - 1
        _nth(part, no_idx, 0, n, mid0)  # the two middle order statistics (statsmodels: a partition)
        if mid1 < mid0:
            _nth(part, no_idx, 0, mid0, mid1)
        cmad = 3.0 * (part[mid0] + part[mid1])
        if cmad == 0:
            for i in range(n):
                rw[i] = 1.0
        else:
            c9 = 0.999 * cmad
            c1 = 0.001 * cmad
            for i in range(n):
                if rw[i] <= c1:
                    rw[i] = 1.0
                elif rw[i] <= c9:
                    t = rw[i] / cmad
                    t = 1.0 - t * t
                    rw[i] = t * t
                else:
                    rw[i] = 0.0
        use_rw = True
    return season, trnd, rw

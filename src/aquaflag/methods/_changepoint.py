"""Change detection kernels for the stretch detectors: PELT, CUSUM, window medians.

Pure NumPy (bottleneck for moving medians), no method here. ``pelt`` can also
run through ``ruptures`` (the ``changepoint`` extra) to cross-check the NumPy
path; both give the same breakpoints.
"""

from __future__ import annotations

import bottleneck as bn
import numpy as np

from .._optional import available, require
from ..errors import ParameterError

__all__ = ["pelt", "segment_means", "cusum", "excursions", "window_medians", "runs",
           "points_of", "regular_step"]


def pelt(signal, penalty: float, *, min_size: int = 2, backend: str = "numpy") -> list[int]:
    """Optimal partition of a signal into constant-mean segments (PELT, squared-error cost).

    Minimises :math:`\\sum_{s} C(y_{\\tau_{s-1}:\\tau_s}) + \\beta\\,(S - 1)` over
    the breakpoints :math:`0 = \\tau_0 < \\tau_1 < \\dots < \\tau_S = n`, each
    segment at least ``min_size`` long, with the cost
    :math:`C(y_{a:b}) = \\sum_{i=a}^{b-1} (y_i - \\bar y_{a:b})^2` and penalty
    :math:`\\beta` per segment (Killick, Fearnhead & Eckley 2012). Exact
    (pruning drops only candidates that can never be optimal). With numba
    installed (the ``fast`` extra) series longer than 200 values use a
    compiled loop with the same arithmetic.

    Parameters
    ----------
    signal : array_like, shape (n,)
        Finite values (no NaN).
    penalty : float
        :math:`\\beta > 0`, in the squared units of the signal (e.g.
        :math:`\\sigma^2 \\cdot 2\\log n` for a BIC-like choice).
    min_size : int, default 2
        The shortest segment.
    backend : {"numpy", "ruptures"}
        ``"ruptures"`` runs ``ruptures.Pelt(model="l2", min_size, jump=1)``
        (``pip install 'aquaflag[changepoint]'``); the result is the same.

    Returns
    -------
    list of int
        The ends of the segments, increasing, the last one ``n`` (the
        ``ruptures`` convention).

    References
    ----------
    .. [1] R. Killick, P. Fearnhead and I. A. Eckley (2012), "Optimal detection
       of changepoints with a linear computational cost", *JASA* 107(500),
       1590-1598.
    .. [2] C. Truong, L. Oudre and N. Vayatis (2020), "Selective review of
       offline change point detection methods", *Signal Processing* 167
       (``ruptures``).

    Examples
    --------
    >>> pelt([0.0, 0.1, -0.1, 0.0, 5.0, 5.1, 4.9, 5.0], penalty=1.0)
    [4, 8]
    """
    y = np.asarray(signal, dtype=np.float64).ravel()
    n = y.size
    if not penalty > 0:
        raise ParameterError(f"penalty of pelt must be > 0; got {penalty!r}")
    if min_size < 1:
        raise ParameterError(f"min_size of pelt must be >= 1; got {min_size!r}")
    if n == 0:
        return []
    if n < 2 * min_size:
        return [n]
    if not np.isfinite(y).all():
        raise ParameterError("pelt needs finite values; drop or fill NaN first")
    if backend == "ruptures":
        rpt = require("ruptures", extra="changepoint", feature="pelt(backend='ruptures')")
        algo = rpt.Pelt(model="l2", min_size=min_size, jump=1).fit(y)
        return [int(b) for b in algo.predict(pen=float(penalty))]
    if backend != "numpy":
        raise ParameterError(f"backend of pelt must be 'numpy' or 'ruptures'; got {backend!r}")
    # centre for round-off: the cost is shift-invariant
    y = y - np.median(y)
    cs = np.concatenate(([0.0], np.cumsum(y)))
    cs2 = np.concatenate(([0.0], np.cumsum(y * y)))
    if n > 200 and available("numba"):
        from ._changepoint_numba import pelt_last

        return _ends(pelt_last(cs, cs2, n, float(penalty), int(min_size)), n)
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    last = np.zeros(n + 1, dtype=np.int64)
    cand = np.zeros(0, dtype=np.int64)
    for t in range(min_size, n + 1):
        new = t - min_size
        if np.isfinite(best[new]):
            cand = np.append(cand, new)
        length = t - cand
        s1 = cs[t] - cs[cand]
        cost = np.maximum((cs2[t] - cs2[cand]) - s1 * s1 / length, 0.0)
        total = best[cand] + cost + penalty
        k = int(np.argmin(total))
        best[t] = total[k]
        last[t] = cand[k]
        cand = cand[total <= best[t] + penalty]
    return _ends(last, n)


def _ends(last: np.ndarray, n: int) -> list[int]:
    ends = []
    t = n
    while t > 0:
        ends.append(int(t))
        t = int(last[t])
    return ends[::-1]


def segment_means(signal, ends) -> np.ndarray:
    """The mean of each segment given by ``ends`` (as :func:`pelt` returns them)."""
    y = np.asarray(signal, dtype=np.float64)
    starts = np.concatenate(([0], np.asarray(ends[:-1], dtype=np.int64)))
    cs = np.concatenate(([0.0], np.cumsum(y)))
    e = np.asarray(ends, dtype=np.int64)
    return (cs[e] - cs[starts]) / (e - starts)


def cusum(z, k: float) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided tabular CUSUM of standardised values (Page 1954).

    .. math:: S^+_i = \\max(0,\\ S^+_{i-1} + z_i - k), \\qquad
              S^-_i = \\max(0,\\ S^-_{i-1} - z_i - k), \\qquad S^\\pm_{-1} = 0

    ``k`` is the reference value (allowance): half the shift to detect, in
    the units of ``z``. An alarm is :math:`S^\\pm_i > h` for a decision
    interval ``h`` (Montgomery 2009, §9.1). NaN values leave the sums unchanged.

    Examples
    --------
    >>> up, down = cusum([0.0, 2.0, 2.0, -1.0, 0.0], k=0.5)
    >>> up.tolist(), down.tolist()
    ([0.0, 1.5, 3.0, 1.5, 1.0], [0.0, 0.0, 0.0, 0.5, 0.0])
    """
    z = np.asarray(z, dtype=np.float64).ravel()
    up = np.zeros(z.size)
    down = np.zeros(z.size)
    sp = sm = 0.0
    for i, v in enumerate(z.tolist()):
        if v == v:  # not NaN
            sp = max(0.0, sp + v - k)
            sm = max(0.0, sm - v - k)
        up[i] = sp
        down[i] = sm
    return up, down


def excursions(s: np.ndarray, h: float) -> list[tuple[int, int]]:
    """The stretches a one-sided CUSUM ``s`` signals: ``[onset, peak]`` of each excursion above ``h``.

    An excursion is a maximal run of ``s > 0``; when its maximum exceeds ``h``
    the shift is taken to start where the run starts (the last zero before
    it, plus one: the change-point estimate of Page's procedure) and to end
    at the maximum (after it the sum falls: the shift is over). Returns
    inclusive index pairs.

    Examples
    --------
    >>> excursions(np.array([0, 1, 3, 6, 4, 0, 1, 0.0]), h=5)
    [(1, 3)]
    """
    out: list[tuple[int, int]] = []
    pos = s > 0
    if not pos.any():
        return out
    edge = np.diff(np.concatenate(([0], pos.astype(np.int8), [0])))
    for a, b in zip(np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)):
        peak = a + int(np.argmax(s[a:b]))
        if s[peak] > h:
            out.append((int(a), int(peak)))
    return out


def window_medians(x: np.ndarray, width: int, min_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Medians of the ``width`` values before and from each point: ``x[i-w:i]`` and ``x[i:i+w]``.

    NaN is skipped; a window with fewer than ``min_count`` values gives NaN.

    Examples
    --------
    >>> back, fwd = window_medians(np.array([1.0, 2.0, 3.0, 10.0, 11.0]), 2, 1)
    >>> back.tolist(), fwd.tolist()
    ([nan, 1.0, 1.5, 2.5, 6.5], [1.5, 2.5, 6.5, 10.5, nan])
    """
    n = x.size
    width = max(1, min(int(width), max(n, 1)))
    mm = bn.move_median(x, width, min_count=max(1, min(min_count, width)))  # median of x[i-w+1 .. i]
    back = np.full(n, np.nan)
    back[1:] = mm[:-1]
    fwd = np.full(n, np.nan)
    fwd[: n - width + 1] = mm[width - 1:]
    return back, fwd


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of True as ``[start, end)`` pairs."""
    m = np.asarray(mask, dtype=bool)
    edge = np.diff(np.concatenate(([0], m.astype(np.int8), [0])))
    return [(int(a), int(b)) for a, b in zip(np.flatnonzero(edge == 1), np.flatnonzero(edge == -1))]


def regular_step(t_ns: np.ndarray | None) -> int | None:
    """The usual (median) step of increasing int64-nanosecond timestamps, or None."""
    if t_ns is None or t_ns.size < 2:
        return None
    dt = np.diff(t_ns)
    dt = dt[dt > 0]
    return int(np.median(dt)) if dt.size else None


def points_of(window, step_ns: int | None, *, method: str, param: str, minimum: int = 1) -> int:
    """A validated window (a count, or a time span) as a number of points at the usual step."""
    from ..windows import parse_window
    from ._common import need_times

    w = parse_window(window)
    if w.count is not None:
        return max(int(w.count), minimum)
    if step_ns is None:
        raise need_times(method, param, str(window))
    return max(int(round((w.span_ns or 0) / step_ns)), minimum)

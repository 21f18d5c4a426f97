"""Helpers the method families share: timestamps, windows, robust scale, resolution.

Nothing here is a method; every function is pure and works on one series.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..kernels.rolling import window_bounds
from ..windows import parse_window

__all__ = ["MAD_FACTOR", "MEANAD_FACTOR", "MAD_SCALE", "NAT", "as_float", "nan_array",
           "valid_index", "time_ns", "span_ns", "need_times", "robust_scale", "resolution",
           "rolling_bounds"]

#: 0.6745 = Φ⁻¹(0.75), so that 0.6745 / MAD estimates 1/σ for normal data (Iglewicz & Hoaglin 1993).
MAD_FACTOR = 0.6745
#: 1.253314 = √(π/2): E|X − μ| = σ √(2/π) for normal data (Iglewicz & Hoaglin 1993).
MEANAD_FACTOR = 1.253314
#: 1.4826 ≈ 1/Φ⁻¹(0.75) = 1/0.6745: 1.4826·MAD estimates σ for normal data.
MAD_SCALE = 1.0 / MAD_FACTOR
#: A missing timestamp (NaT) as int64 nanoseconds.
NAT = np.iinfo(np.int64).min


def as_float(values) -> np.ndarray:
    """One series as a 1-d float64 array (a view when it already is one)."""
    return np.asarray(values, dtype=np.float64).ravel()


def nan_array(n: int) -> np.ndarray:
    """``n`` NaN values."""
    return np.full(n, np.nan)


def valid_index(x: np.ndarray, t: np.ndarray | None) -> np.ndarray:
    """Positions of the values that can be judged: not NaN and (with ``t``) not NaT."""
    valid = ~np.isnan(x)
    if t is not None:
        valid &= t != NAT
    return np.flatnonzero(valid)


def span_ns(window: str) -> int:
    """A validated time window (``"2h"``) in nanoseconds (see :mod:`aquaflag.windows`)."""
    span = parse_window(window, allow_count=False).span_ns
    assert span is not None
    return span


def time_ns(times, n: int, method: str) -> np.ndarray:
    """Timestamps as int64 nanoseconds (NaT = int64 min); checked for length and order."""
    t = np.asarray(times)
    if t.dtype.kind != "M":
        try:
            t = t.astype("datetime64[ns]")
        except (TypeError, ValueError):
            raise InputError(
                f"{method}: times must be datetime64 timestamps; got dtype {t.dtype}"
            ) from None
    t = t.astype("datetime64[ns]").view(np.int64).ravel()
    if t.shape[0] != n:
        raise InputError(f"{method}: {t.shape[0]} timestamps for {n} values; give one per value")
    good = t[t != NAT]
    if good.size > 1 and np.any(good[1:] < good[:-1]):
        raise InputError(
            f"{method}: timestamps must increase; sort the data by time first "
            "(e.g. frame.sort_index())"
        )
    return t


def need_times(method: str, param: str, value: str) -> InputError:
    """The error for a time offset given without timestamps."""
    return InputError(
        f"{param} of {method} is a time offset ({value!r}) but the data have no timestamps: "
        "give the data a DatetimeIndex (aquaflag.read sets one), or give "
        f"{param} as a number of points"
    )


def robust_scale(x: np.ndarray) -> tuple[float, float, str]:
    """(median, σ estimate, note) of the non-NaN ``x``: MAD/0.6745, or 1.253314·MeanAD when MAD = 0.

    The scale is 0 when the values are all equal. ``note`` says when the
    mean-absolute-deviation fallback (Iglewicz & Hoaglin 1993) was used.

    Examples
    --------
    >>> robust_scale(np.array([1.0, 2.0, 3.0, 4.0, 100.0]))[:2]
    (3.0, 1.4825796886582654)
    """
    med = float(np.median(x))
    dev = np.abs(x - med)
    mad = float(np.median(dev))
    if mad > 0:
        return med, mad / MAD_FACTOR, ""
    mean_ad = float(np.mean(dev))
    if mean_ad > 0:
        return med, MEANAD_FACTOR * mean_ad, (
            "MAD = 0 (over half the values equal the median): scale taken as "
            "1.253314 x mean absolute deviation"
        )
    return med, 0.0, ""


def resolution(x: np.ndarray) -> float:
    """The data's resolution: the smallest non-zero change between consecutive values.

    A change smaller than 1e-9 times the larger of its two values is float
    round-off, not a step, and is ignored (judged pair by pair, so one huge
    value, such as a logger error code 4294967295, does not hide the steps of
    the others). The result is rounded to 9 significant digits (steps are
    decimal quanta: 0.01, not 0.010000000000000009). 0 when nothing changes.

    Examples
    --------
    >>> resolution(np.array([7.50, 7.51, 7.51, 7.53, 7.50]))
    0.01
    >>> resolution(np.array([7.1, 7.2, 4294967295.0, 7.3, 7.5]))
    0.1
    """
    if x.size < 2:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        dx = np.abs(np.diff(x))
        tiny = 1e-9 * np.maximum(np.abs(x[1:]), np.abs(x[:-1]))
    steps = dx[(dx > tiny) & np.isfinite(dx)]
    return float(f"{float(steps.min()):.9g}") if steps.size else 0.0


def _count_bounds(values: np.ndarray, count: int, center: bool) -> tuple[np.ndarray, np.ndarray]:
    """Windows of ``count`` non-missing values (missing values are skipped, not counted).

    A window of 96 values is 96 measurements whatever the gaps; counting rows
    would make a series' windows depend on the rows other series add to a
    wide frame (and on what a store keeps: it keeps no missing values).
    """
    valid = np.flatnonzero(~np.isnan(values))
    m = valid.size
    rank = np.searchsorted(valid, np.arange(values.size))  # valid values before each row
    if m == 0:
        zeros = np.zeros(values.size, dtype=np.int64)
        return zeros, zeros.copy()
    s, e = window_bounds(m, count=count, center=center)  # in ranks of the valid values
    r = np.minimum(rank, m - 1)
    starts = valid[s[r]]
    ends = np.where(e[r] > 0, valid[np.maximum(e[r] - 1, 0)] + 1, 0)
    return starts.astype(np.int64), np.maximum(ends, starts).astype(np.int64)


def rolling_bounds(window, values: np.ndarray, *, times, center: bool, method: str,
                   param: str = "window") -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Each point's window ``[start, end)`` for a validated window, and the points without a time.

    A count window counts non-missing values (:func:`_count_bounds`) and needs
    no timestamps. A time window does (else
    :func:`need_times`); points whose timestamp is missing (NaT) are returned
    as a mask: the caller judges none of them and keeps them out of every
    window (give them NaN values). They take the previous timestamp for the
    window search, so the others' windows are exact.
    """
    w = parse_window(window)
    if w.count is not None:
        return (*_count_bounds(values, w.count, center), None)
    if times is None:
        raise need_times(method, param, str(window))
    n = values.size
    t = time_ns(times, n, method)
    nat = t == NAT
    if nat.all():
        empty = np.zeros(n, dtype=np.int64)
        return empty, empty.copy(), nat if n else None
    if nat.any():
        t = np.maximum.accumulate(t)  # NaT (int64 min) takes the previous time
        t[t == NAT] = t[~nat][0]
    starts, ends = window_bounds(n, span_ns=w.span_ns, times=t.view("datetime64[ns]"), center=center)
    return starts, ends, (nat if nat.any() else None)

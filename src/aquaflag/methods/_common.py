"""Helpers the method families share: timestamps, windows, robust scale, resolution.

Nothing here is a method; every function is pure and works on one series.
"""

from __future__ import annotations

import math

import numpy as np

from ..detection import Detection
from ..errors import InputError
from ..kernels.rolling import window_bounds
from ..windows import parse_window

__all__ = ["MAD_FACTOR", "MEANAD_FACTOR", "MAD_SCALE", "NAT", "as_float", "nan_array",
           "valid_index", "time_ns", "span_ns", "need_times", "robust_scale", "resolution",
           "rolling_bounds", "DAY_NS", "median_step", "step_scale", "daily_max_step", "daily_max",
           "run_durations", "reference_positions", "check_reference", "fmt_span", "span_text",
           "fitted_params"]

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


# --------------------------------------------------------------------------
# Self-calibration: statistics a rule derives its default thresholds from
# --------------------------------------------------------------------------

#: One day in nanoseconds.
DAY_NS = 86_400 * 10**9
#: Without timestamps, a "day" for :func:`daily_max_step` is this many steps.
_STEPS_PER_BLOCK = 24
#: A block of :func:`daily_max` holds whole days and at least this many steps (a day at 15 min).
_MIN_STEPS_PER_BLOCK = 96


def median_step(t: np.ndarray | None) -> float:
    """The sampling interval: the median of the positive steps between timestamps (ns).

    Irregular sampling is handled by the median (gaps and bursts do not move
    it); repeated timestamps (steps of 0) are left out. NaN without
    timestamps or with fewer than two distinct ones.

    Examples
    --------
    >>> t = np.array([0, 60, 120, 180, 5000, 5060], dtype=np.int64) * 10**9
    >>> median_step(t) / 1e9
    60.0
    """
    if t is None or t.size < 2:
        return float("nan")
    dt = np.diff(t)
    dt = dt[dt > 0]
    return float(np.median(dt)) if dt.size else float("nan")


def step_scale(xv: np.ndarray) -> tuple[float, str]:
    """Robust σ of the first differences of the non-missing values, floored at the resolution.

    :math:`\\hat\\sigma_\\Delta = \\max(1.4826\\,\\mathrm{MAD}(\\Delta x),\\ q)`
    (MAD = 0 falls back to 1.253314 MeanAD, :func:`robust_scale`), with q the
    data's :func:`resolution`. For white noise of s.d. σ, :math:`\\sigma_\\Delta
    = \\sqrt 2\\,σ`. Returns (scale, note); 0 when nothing changes.

    Examples
    --------
    >>> step_scale(np.array([1.0, 1.1, 1.0, 1.1, 1.2, 1.1]))[0]
    0.1
    """
    if xv.size < 2:
        return 0.0, ""
    _, scale, note = robust_scale(np.diff(xv))
    return max(scale, resolution(xv)), note


def daily_max_step(xv: np.ndarray, tv: np.ndarray | None) -> float:
    """A typical day's largest natural step: the median over days of each day's second-largest |Δx|.

    Each step is assigned to the calendar day (UTC) of its end. The
    second-largest step of a day (its only step when it has one) ignores one
    fault per day -- a calibration jump, a logger reset -- and the median
    over days ignores faults on fewer than half of the days. Without
    timestamps, blocks of 24 steps stand in for days. It measures how large
    natural rises and falls get at this sampling step (storm fronts, diel
    swings, quantisation), which a jump or a spike must exceed. 0 when fewer
    than 2 values.

    Examples
    --------
    >>> x = np.array([1.0, 1.2, 1.1, 5.0, 5.1, 5.0, 5.2, 5.1, 5.0])
    >>> t = np.arange(9, dtype=np.int64) * DAY_NS // 3   # three values a day
    >>> # steps by day: [0.2, 0.1] [3.9, 0.1, 0.1] [0.2, 0.1, 0.1]: second largest 0.1, 0.1, 0.1
    >>> round(daily_max_step(x, t), 6)
    0.1
    """
    if xv.size < 2:
        return 0.0
    return daily_max(np.abs(np.diff(xv)), None if tv is None else tv[1:])


def daily_max(a: np.ndarray, tv: np.ndarray | None) -> float:
    """The median over days of each day's second-largest ``a`` (``tv``: the time of each a, ns).

    A day with a single value contributes it. Without timestamps, blocks of
    24 consecutive values stand in for days. 0 for an empty array.

    When a day holds fewer than 96 steps at the series' median step (sampling
    coarser than 15 min), blocks of ``ceil(96 x step / 1 day)`` whole days
    stand in for days: the second-largest of a block is then the same tail
    quantile of the steps (about 1 - 1.5/96) at every sampling interval. Per
    calendar day it would fall as sampling coarsens -- the second-largest of
    24 hourly steps of a noisy series is a much lower quantile than that of
    96 quarter-hour steps -- and thresholds derived from it with it.
    """
    if a.size == 0:
        return 0.0
    if tv is None:
        day = np.arange(a.size) // _STEPS_PER_BLOCK
    else:
        day = tv // DAY_NS
        dt = np.diff(tv)
        dt = dt[dt > 0]
        if dt.size:
            days = math.ceil(_MIN_STEPS_PER_BLOCK * float(np.median(dt)) / DAY_NS - 1e-9)
            if days > 1:
                day = day // days
    order = np.lexsort((a, day))  # by day, then by value
    a_s, day_s = a[order], day[order]
    last = np.flatnonzero(np.concatenate((day_s[1:] != day_s[:-1], [True])))
    first = np.concatenate(([0], last[:-1] + 1))
    pick = np.where(last > first, last - 1, last)
    return float(np.median(a_s[pick]))


def run_durations(xv: np.ndarray, tv: np.ndarray | None, length: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The maximal flat stretches of a series: (start, end, duration) of each.

    ``length[b]`` is the longest flat stretch ending at b (from
    :func:`aquaflag.methods.sensor.flat_run_lengths`); a stretch is maximal
    where it cannot be continued to b + 1. For tolerance 0 these are the runs
    of repeated values. The duration is :math:`t_b - t_a` (ns), or the number
    of values without timestamps.
    """
    m = xv.size
    if m == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty.astype(np.float64)
    b = np.arange(m)
    last = np.ones(m, dtype=bool)
    last[:-1] = length[1:] != length[:-1] + 1
    ends = b[last]
    starts = ends - length[last] + 1
    if tv is None:
        dur = (ends - starts + 1).astype(np.float64)
    else:
        dur = (tv[ends] - tv[starts]).astype(np.float64)
    return starts, ends, dur


def check_reference(value: str) -> str:
    """Validate a ``reference=`` value: ``"START/END"`` (dates or times) or a leading span (``"30D"``).

    Raises ``ValueError("must be ...")`` (the registry's message form).

    Examples
    --------
    >>> check_reference("2019-01-01/2019-02-01")
    '2019-01-01/2019-02-01'
    >>> check_reference("30D")
    '30D'
    """
    import pandas as pd

    usage = ("must be a period 'START/END' (e.g. '2019-01-01/2019-03-01') or a leading time "
             "span like '30D' (the first 30 days)")
    text = value.strip()
    if "/" in text:
        parts = text.split("/")
        if len(parts) != 2:
            raise ValueError(usage)
        try:
            start, end = (pd.Timestamp(p.strip()) for p in parts)
        except (ValueError, TypeError):
            raise ValueError(usage) from None
        if start is pd.NaT or end is pd.NaT or not end > start:
            raise ValueError(usage + " with END after START")
        return text
    try:
        parse_window(text, allow_count=False)
    except ValueError:
        raise ValueError(usage) from None
    return text


def reference_positions(reference: str | None, t: np.ndarray | None, idx: np.ndarray,
                        method: str) -> np.ndarray:
    """Positions in ``idx`` (the valid values) whose time lies in the reference period.

    ``None``: every position (the whole series is its own reference). A period
    ``"START/END"`` keeps START <= t < END; a span ``"30D"`` keeps the first 30
    days from the first valid timestamp. Needs timestamps.
    """
    if reference is None:
        return np.arange(idx.size)
    if t is None:
        raise need_times(method, "reference", reference)
    import pandas as pd

    tv = t[idx]
    if "/" in reference:
        start, end = (pd.Timestamp(p.strip()).as_unit("ns") for p in reference.split("/"))
        if start.tz is not None:
            start, end = start.tz_convert(None), end.tz_convert(None)
        keep = (tv >= start.value) & (tv < end.value)
    else:
        first = tv[0] if tv.size else 0
        keep = tv < first + span_ns(reference)
    return np.flatnonzero(keep)


def fmt_span(ns: float) -> str:
    """A duration for people: ``"45min"``, ``"14h"``, ``"2.5D"``.

    Examples
    --------
    >>> fmt_span(14 * 3600e9), fmt_span(45 * 60e9), fmt_span(60 * 3600e9)
    ('14h', '45min', '2.5D')
    """
    if not np.isfinite(ns):
        return "?"
    minutes = ns / 60e9
    if minutes < 1:
        return f"{ns / 1e9:.3g}s"
    if minutes < 120:
        return f"{minutes:.3g}min"
    hours = minutes / 60
    if hours < 48:
        return f"{hours:.3g}h"
    return f"{hours / 24:.3g}D"


def span_text(ns: float) -> str:
    """A duration as an exact window string of the window grammar (whole seconds), for configs.

    Examples
    --------
    >>> span_text(14 * 3600e9), span_text(90e9)
    ('50400s', '90s')
    """
    return f"{max(int(round(ns / 1e9)), 1)}s"


def fitted_params(spec, detection) -> dict:
    """The parameters that apply a Detection's derived thresholds to new data.

    Every parameter of ``spec`` (a :class:`~aquaflag.registry.MethodSpec`)
    that documents a derivation (``Param.derived``) and was left None is
    replaced by the value the method derived, which the method records under
    the same name in ``detection.stats``; the other parameters are kept. A
    rule with these parameters judges next month's file with this file's
    thresholds ("fit once, apply"); write it to a configuration with
    :func:`aquaflag.config.rules_to_toml`.

    Examples
    --------
    >>> import aquaflag
    >>> from aquaflag import registry
    >>> x = np.r_[np.tile([1.0, 1.2, 1.1, 1.3], 50), [9.0], np.tile([1.0, 1.2], 10)]
    >>> det = registry.get("spike")(x)
    >>> p = fitted_params(registry.get("spike"), det)
    >>> p["threshold"] == det.stats["threshold"] and p["k"] == 8.0
    True
    """
    out = dict(detection.params)
    for name, p in spec.params.items():
        if p.derived and out.get(name) is None and name in detection.stats:
            value = detection.stats[name]
            out[name] = value.item() if isinstance(value, np.generic) else value
    if "reference" in out:
        out["reference"] = None  # the statistics are in the parameters now
    return out


def on_valid(n: int, idx: np.ndarray, flagged: np.ndarray, score: np.ndarray, method: str,
             params: dict, stats: dict, note: str = "") -> Detection:
    """A Detection over ``n`` values from a method's results on the valid positions ``idx``.

    The other positions are not evaluated (score NaN); there are no bounds.
    """
    mask = np.zeros(n, dtype=bool)
    mask[idx] = flagged
    evaluated = np.zeros(n, dtype=bool)
    evaluated[idx] = True
    full_score = np.full(n, np.nan)
    full_score[idx] = score
    return Detection(mask=mask, evaluated=evaluated, score=full_score, lower=np.full(n, np.nan),
                     upper=np.full(n, np.nan), method=method, params=params, stats=stats, note=note)

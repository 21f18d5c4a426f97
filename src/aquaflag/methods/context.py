"""Reference sets for the distribution tests: whole series, rolling window, or season.

A distribution test judges each value against the statistics (mean, median,
quartiles, ...) of a *reference set*. By default that is the whole series.
With ``window=`` it is the value's rolling window (a count of points or a time
span, centred or trailing); with ``by=`` it is the value's climatological group
pooled over all years: its calendar month, its season (DJF, MAM, JJA, SON), or
the days of year within ``doy_window`` days of its own (circular, so late
December pools with early January). Each value is then judged against its own
season: a +8 °C spike in January stands out against other Januaries even
though it is an ordinary August value.

:func:`reference_stats` returns the needed statistics as one array per
statistic, value by value, so every test applies its rule the same way in all
three modes. The whole-series mode computes each statistic once with the same
NumPy expressions as before, so default results stay exactly the seed's.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, ParameterError
from ..kernels import rolling
from ..kernels.stats import mean_std, medcouple, medcouple_owned
from ..registry import POINTWISE, WHOLE, Boolean, Interval, Options, Param, Reach, WindowSpan
from ._common import rolling_bounds

__all__ = ["reference_stats", "CONTEXT_PARAMS", "describe_context", "context_reach", "FITTED_STATS",
           "fitted_stat_params"]


#: Parameters every distribution test takes besides ``threshold``.
CONTEXT_PARAMS = {
    "window": Param("window", WindowSpan(), None, "rolling window: points or a time span", nullable=True),
    "center": Param("center", Boolean(), True, "centred (True) or trailing (False) window"),
    "min_periods": Param("min_periods", Interval(int, 1, None), 3,
                         "fewest values a window or group needs to judge a value"),
    "by": Param("by", Options(("month", "season", "doy")), None,
                "climatological grouping, pooled over the other years (never the value's own)",
                nullable=True),
    "doy_window": Param("doy_window", Interval(int, 1, 183), 15,
                        "with by='doy': half-width in days of the day-of-year window"),
    "min_scale": Param("min_scale", Interval(float, 0, None), 0.0,
                       "floor on the scale (std, MAD scale, IQR), in the data's units"),
}

_SEASON_OF_MONTH = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 0])  # index = month; DJF=0


#: The whole-series statistics a distribution test can be given instead of computing them
#: (fitted statistics: ``aquaflag.methods._common.fitted_params``), with what each is.
FITTED_STATS = {
    "mean": "the mean of the reference set",
    "std": "the sample standard deviation (ddof = 1) of the reference set",
    "median": "the median of the reference set",
    "mad": "the median absolute deviation from the median (unscaled) of the reference set",
    "mean_abs_dev": "the mean absolute deviation from the median of the reference set",
    "q1": "the first quartile (type 7) of the reference set",
    "q3": "the third quartile (type 7) of the reference set",
    "mc": "the medcouple of the reference set",
}
_FITTED_CONSTRAINT = {"mean": Interval(float), "std": Interval(float, 0, None), "median": Interval(float),
                      "mad": Interval(float, 0, None), "mean_abs_dev": Interval(float, 0, None),
                      "q1": Interval(float), "q3": Interval(float), "mc": Interval(float, -1, 1)}


def fitted_stat_params(names: tuple[str, ...]) -> dict[str, Param]:
    """Declared parameters for fitted whole-series statistics ``names`` (see :data:`FITTED_STATS`).

    Each is None by default (computed from the whole series); given, the test
    judges every value against it instead: a fitted configuration applies a
    reference period's statistics to new data, value by value (reach POINTWISE).
    Given the whole series' own statistics (``Detection.stats``), the result is
    the whole-series result, bit for bit.
    """
    return {k: Param(k, _FITTED_CONSTRAINT[k], None, nullable=True,
                     doc=f"fitted statistic: {FITTED_STATS[k]} (give with {', '.join(n for n in names if n != k)})",
                     derived=f"{FITTED_STATS[k]} (the whole series)")
            for k in names}


def context_reach(params: dict) -> Reach:
    """How far a distribution test looks: its window, the whole series (and seasons), or -- with
    fitted statistics given -- the value alone."""
    if params.get("window") is not None:
        return Reach.of_window(params["window"], params.get("center", True))
    if params.get("by") is None and any(params.get(k) is not None for k in FITTED_STATS):
        return POINTWISE
    return WHOLE


def describe_context(window, by, doy_window) -> str:
    """Words for the reference set, for notes and reports."""
    if window is not None:
        return f"rolling window {window}"
    if by == "doy":
        return f"day of year +-{doy_window} days, all years"
    if by is not None:
        return f"same {by}, all years"
    return "whole series"


def reference_stats(x: np.ndarray, needed: tuple[str, ...], *, window=None, center=True,
                    min_periods=3, by=None, doy_window=15, times=None,
                    method: str = "reference_stats") -> dict[str, np.ndarray]:
    """Statistics of each value's reference set, one array of length n per statistic.

    Parameters
    ----------
    x : ndarray of float
        The series (NaN = missing).
    needed : tuple of str
        Any of ``mean, std, median, mad, mean_abs_dev, q1, q3, mc``; ``count``
        (non-NaN values in the reference set) is always returned.
    window, center, min_periods, by, doy_window, times
        See the module docstring. ``window`` and ``by`` are exclusive.
        Values without a timestamp (NaT) are in no time window and no
        season, and get ``count`` 0 (so they are not judged).
    method : str
        The calling method's name, for messages.

    Returns
    -------
    dict
        One array of length n per statistic for windows and groups; for the
        whole series one scalar per statistic (it is the same for every
        value; NumPy broadcasting applies it). NaN where the reference set
        has fewer than ``min_periods`` values.
    """
    n = x.size
    if window is not None and by is not None:
        raise ParameterError("window and by are exclusive: judge against a rolling window or a season, not both")
    if window is not None:
        starts, ends, nat = rolling_bounds(window, x, times=times, center=center, method=method)
        if nat is not None:  # no timestamp: in no window, and not judged (count 0 below)
            x = np.where(nat, np.nan, x)
        out: dict[str, np.ndarray] = {}
        robust = [k for k in needed if k not in ("mean", "std")]
        if robust or not needed:
            st = rolling.rolling_robust(x, starts, ends, min_periods=min_periods, stats=robust)
            out.update({k: st[k] for k in robust})
            out["count"] = st["count"]
        if "mean" in needed or "std" in needed:
            mean, std, count = rolling.rolling_mean_std(x, starts, ends, min_periods=min_periods)
            out.update(mean=mean, std=std, count=count)
        if nat is not None:
            out["count"] = np.where(nat, 0.0, out["count"])
        return out
    if by is None:  # one set of statistics for every value: scalars (0-d), broadcast by the rules
        st = _whole(x[~np.isnan(x)], needed)
        if st["count"] < min_periods:
            st = {k: (v if k == "count" else np.nan) for k, v in st.items()}
        return {k: np.float64(v) for k, v in st.items()}
    if times is None:
        raise InputError(f"by={by!r} needs timestamps: give the data a DatetimeIndex "
                         "(aquaflag.read finds the date column)")
    out = {k: np.full(n, np.nan) for k in needed}
    out["count"] = np.zeros(n)
    t_ns = np.asarray(times, dtype="datetime64[ns]").view(np.int64)
    for members, reference in _groups(np.asarray(times, dtype="datetime64[ns]"), by, doy_window):
        for own, ref_mask in _other_years(members, reference, t_ns):
            ref = x[ref_mask]
            st = _whole(ref[~np.isnan(ref)], needed)
            if st["count"] < min_periods:
                out["count"][own] = st["count"]
                continue
            for k, v in st.items():
                out[k][own] = v
    return out


#: Up to this many values, the quartiles of a medcouple rule are taken from a sorted copy
#: (faster); beyond, in place (no full-size copy).
_PRESORT_MAX = 1 << 21


#: Two members of a climatological group further apart than this belong to different years'
#: occurrences of the season (half a year, in ns).
_HALF_YEAR_NS = 183 * 86_400 * 10**9


def _other_years(members: np.ndarray, reference: np.ndarray, t: np.ndarray):
    """Split a group into its yearly occurrences; pair each with the reference from other years.

    The members of a group (a calendar month, a season, a day of year) fall into
    occurrences, one per year: runs of members no more than half a year apart
    (DJF of one winter spans two calendar years and is one occurrence). Each
    occurrence is judged against the group's reference without the values within
    half a year of it -- the same occurrence of the season, the value judged
    included -- so a value never enters its own climatology, nor do its
    neighbours in time (a stuck or drifting week would otherwise hide itself).
    """
    pos = np.flatnonzero(members)
    if pos.size == 0:
        return
    order = pos[np.argsort(t[pos], kind="stable")]
    tm = t[order]
    cut = np.flatnonzero(np.diff(tm) > _HALF_YEAR_NS) + 1
    for chunk in np.split(np.arange(order.size), cut):
        own = np.zeros(members.size, dtype=bool)
        own[order[chunk]] = True
        lo, hi = tm[chunk[0]] - _HALF_YEAR_NS, tm[chunk[-1]] + _HALF_YEAR_NS
        yield own, reference & ~((t >= lo) & (t <= hi))


def _whole(xf: np.ndarray, needed) -> dict[str, float]:
    """Statistics of one reference set (non-NaN values), as the seed computes them.

    ``xf`` is a private copy: after the sums are taken it is reordered and then
    overwritten in place by the order statistics (quantiles, median, MAD,
    medcouple), which saves a full-size copy per statistic on long series and
    changes no result.
    """
    st: dict[str, float] = {"count": float(xf.size)}
    if xf.size == 0:
        return st | {k: np.nan for k in needed}
    if "mean" in needed or "std" in needed:
        st["mean"], st["std"] = mean_std(xf, ddof=1)
    mad_block = bool({"median", "mad", "mean_abs_dev"} & set(needed))
    if "mc" in needed and mad_block:
        st["mc"] = medcouple(xf)  # on a copy: xf is still needed below
    quartiles = "q1" in needed or "q3" in needed
    if "mc" in needed and not mad_block and quartiles and xf.size <= _PRESORT_MAX:
        # the medcouple sorts anyway: sort first, and the quartiles' partition of a sorted
        # copy is ~5x cheaper than of the raw values (same values: a quantile depends
        # only on the values, not their order)
        xf.sort()
        st["q1"], st["q3"] = (float(v) for v in np.quantile(xf, (0.25, 0.75)))
        st["mc"] = medcouple_owned(xf, presorted=True)  # last: uses xf as its work space
        return st
    if quartiles:
        st["q1"], st["q3"] = (float(v) for v in np.quantile(xf, (0.25, 0.75), overwrite_input=True))
    if "mc" in needed and not mad_block:
        st["mc"] = medcouple_owned(xf)  # last: uses xf as its work space
    if mad_block:
        med = float(np.median(xf, overwrite_input=True))
        st["median"] = med
        dev = np.subtract(xf, med, out=xf)  # xf is not needed any more
        np.abs(dev, out=dev)
        st["mean_abs_dev"] = float(np.mean(dev))
        st["mad"] = float(np.median(dev, overwrite_input=True))
    return st


def _groups(times: np.ndarray, by: str, doy_window: int):
    """Yield (members, reference) boolean masks for each climatological group.

    A value without a timestamp (NaT) belongs to no group: it is neither judged
    nor part of any reference set.
    """
    import pandas as pd

    idx = pd.DatetimeIndex(times)
    valid = ~np.asarray(idx.isna())
    if by == "doy":
        key = np.where(valid, idx.day_of_year.to_numpy(na_value=0), -1).astype(np.int64)
    else:
        month = np.where(valid, idx.month.to_numpy(na_value=0), 0).astype(np.int64)
        key = month if by == "month" else _SEASON_OF_MONTH[month]
        key = np.where(valid, key, -1)
    for g in np.unique(key[valid]):
        members = key == g
        if by != "doy":
            yield members, members
            continue
        dist = np.abs(key - g)
        dist = np.minimum(dist, 365 - dist)
        yield members, valid & (dist <= doy_window)

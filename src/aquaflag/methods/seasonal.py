"""Seasonal tests: judge each value against the series' own trend and seasonal cycle.

``stl_residual`` removes a trend and a repeating cycle (the daily cycle of
15-minute sensor data, the annual cycle of weekly samples) with STL, then
flags the residuals that are far out by a robust z-score. A value that is
ordinary for the season but odd for its time of day — or the reverse — is
found here and missed by the distribution tests.
"""

from __future__ import annotations

import math

import numpy as np

from ..detection import Detection
from ..errors import ParameterError
from ..kernels.stl import stl
from ..registry import Boolean, Interval, register
from ._common import MAD_FACTOR, NAT, robust_scale, time_ns

__all__ = ["stl_residual", "infer_period", "SEASONAL_SMOOTHER"]

#: STL's seasonal smoother length (odd, >= 7; Cleveland et al. 1990 and the
#: default of statsmodels and R's ``stl(s.window = 7)``).
SEASONAL_SMOOTHER = 7
#: Robustness iterations of the robust STL pass (Cleveland et al. 1990: 5
#: suffice in most cases; R's stl uses 15). It only has to find gross outliers.
ROBUST_OUTER = 5
#: Above this share of steps that are not a whole multiple of the usual step,
#: a series is too irregular for STL.
MAX_IRREGULAR = 0.05

_NS_DAY = 86_400_000_000_000


def infer_period(step_ns: int) -> int | None:
    """The seasonal period (in steps) implied by a regular time step; None if unclear.

    ==========================  ==========  ===============================
    step                        period      cycle
    ==========================  ==========  ===============================
    divides one day (< 1 day)   1 day/step  daily (96 for 15 min, 24 for 1 h)
    1 day                       365         annual
    7 days                      52          annual (weekly samples)
    28–31 days                  12          annual (monthly samples)
    ==========================  ==========  ===============================

    Examples
    --------
    >>> infer_period(15 * 60 * 10**9), infer_period(7 * 86_400 * 10**9)
    (96, 52)
    """
    if step_ns <= 0:
        return None
    if step_ns < _NS_DAY and _NS_DAY % step_ns == 0:
        return _NS_DAY // step_ns
    if step_ns == _NS_DAY:
        return 365
    if step_ns == 7 * _NS_DAY:
        return 52
    if 28 * _NS_DAY <= step_ns <= 31 * _NS_DAY:
        return 12
    return None


def _odd_at_least(v: float) -> int:
    k = int(math.ceil(v))
    return k if k % 2 else k + 1


def _fmt_step(step_ns: int) -> str:
    import pandas as pd

    return str(pd.Timedelta(int(step_ns)))


def _stl_level(y: np.ndarray, period: int, seasonal: int, robust: bool):
    """trend + seasonal of STL with R's ``stl`` defaults; also the robustness weights."""
    trend_len = _odd_at_least(1.5 * period / (1 - 1.5 / seasonal))
    low_len = period + 1 if period % 2 == 0 else period + 2  # smallest odd > period
    season, trend, weights = stl(
        y, period, seasonal=seasonal, trend=trend_len, low_pass=low_len,
        seasonal_jump=math.ceil(seasonal / 10), trend_jump=math.ceil(trend_len / 10),
        low_pass_jump=math.ceil(low_len / 10), inner_iter=1 if robust else 2,
        outer_iter=ROBUST_OUTER if robust else 0, feature="stl_residual")
    return trend + season, weights


#: In robust mode, values beyond this many times ``threshold`` robust
#: z-units from the robust STL fit are kept out of the final (plain) fit.
GROSS_FACTOR = 2.0


#: Values this many robust scales away from the rolling median of one period are
#: absurd (logger error codes such as 4294967295, a 10^8 spike): kept out of every fit.
ABSURD_FACTOR = 1000.0


def _absurd(y: np.ndarray, period: int) -> np.ndarray:
    """Values absurdly far from their neighbourhood's median (for the fit only).

    A huge value leaks into the first, non-robust LOESS pass of STL over a
    whole window and can hide its neighbours; a rolling median over one period
    does not move. Values beyond :data:`ABSURD_FACTOR` robust scales of the
    residual from it are screened out before any fit.
    """
    import bottleneck as bn

    w = min(y.size, period + 1 - period % 2)  # odd, about one period
    half = w // 2
    padded = np.concatenate([np.full(half, np.nan), y, np.full(half, np.nan)])
    centre = bn.move_median(padded, w, min_count=1)[2 * half:]
    r = y - centre
    med, scale, _ = robust_scale(r)
    if not scale > 0:
        return np.zeros(y.size, dtype=bool)
    return np.abs(r - med) > ABSURD_FACTOR * scale


def _fill(y: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``y`` with the values at ``out`` replaced by linear interpolation."""
    pos = np.arange(y.size)
    return np.interp(pos, pos[~out], y[~out])


def _decompose(y: np.ndarray, period: int, seasonal: int, robust: bool, threshold: float):
    """The fitted level (trend + seasonal) and the number of values kept out of the fit.

    Robust: absurd values (:func:`_absurd`) are screened out first; a robust
    STL then finds the gross outliers (robust z of its residual beyond
    GROSS_FACTOR x threshold); both are replaced by linear interpolation and
    a plain STL is fitted to the cleaned series.
    """
    if not robust:
        return _stl_level(y, period, seasonal, False)[0], 0
    absurd = _absurd(y, period)
    if absurd.all():
        absurd[:] = False
    screened = _fill(y, absurd) if absurd.any() else y
    level = _stl_level(screened, period, seasonal, True)[0]
    r = y - level
    med, scale, _ = robust_scale(r[~absurd])
    gross = np.abs(r - med) > GROSS_FACTOR * threshold * scale if scale > 0 else r != med
    gross |= absurd
    if gross.all() or not gross.any():
        return _stl_level(y, period, seasonal, False)[0], 0
    return _stl_level(_fill(y, gross), period, seasonal, False)[0], int(gross.sum())


@register(
    "stl_residual",
    params={"period": Interval(int, 2, None), "threshold": Interval(float, 0, None, closed="neither"),
            "robust": Boolean(), "seasonal": Interval(int, 3, None)},
    family="seasonal",
    formula=("r = x - trend - seasonal (STL); |0.6745 (r - median(r)) / MAD(r)| > threshold"),
)
def stl_residual(values, *, period: int | None = None, threshold: float = 3.5,
                 robust: bool = True, seasonal: int = SEASONAL_SMOOTHER,
                 times=None) -> Detection:
    """STL residual test: flag values far from the series' trend + seasonal cycle.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    period : int, optional
        Length of the seasonal cycle in time steps (96 for a daily cycle in
        15-minute data, 52 for an annual cycle in weekly data). None: inferred
        from the timestamps' regular step (see :func:`infer_period`).
    threshold : float, default 3.5
        Flag when the robust z of the residual exceeds it (Iglewicz &
        Hoaglin's 3.5, as in ``modified_zscore``).
    robust : bool, default True
        Keep gross outliers out of the fit (see Notes), so they stay in the
        residual instead of leaking into their neighbours' fit.
    seasonal : int, default 7
        Length (odd, in cycles) of STL's seasonal smoother: how many cycles
        the shape of the cycle is averaged over (7: it may change from week
        to week in daily-cycle data).
    times : array of datetime64, optional
        Timestamps (context passed by the engine).

    Returns
    -------
    Detection
        ``score`` is the robust z of the residual; bounds are
        trend + seasonal + median(r) ± threshold·MAD(r)/0.6745.
        ``stats`` holds the period, the residual median and MAD.

    Notes
    -----
    STL (Cleveland et al. 1990) splits the series into trend, seasonal and
    residual parts by repeated LOESS smoothing. Here: statsmodels' ``STL``
    with seasonal smoother ``seasonal``, trend smoother the smallest odd integer
    ≥ 1.5·period/(1 − 1.5/7), low-pass smoother the smallest odd integer
    > period, jumps of ⌈length/10⌉, 2 inner iterations (plain) or 1 inner
    and 5 outer robustness iterations (robust; R uses 15, Cleveland et al.
    find 5 enough) — otherwise the defaults of R's ``stl(x, s.window = 7)``
    (for an odd period R's low-pass length is the period itself, which
    statsmodels does not allow). Series of 2¹⁵ steps or more run aquaflag's
    compiled port of the same STL (:mod:`aquaflag.kernels.stl`; identical
    numbers, about 4× faster: 10⁶ steps in about 2 s); shorter series, and
    installs without numba, run statsmodels'.

    Robust mode is two fits: values absurdly far (1000 robust scales) from
    the rolling median of one period are screened out first (a logger error
    code such as 4294967295 would otherwise leak into a whole LOESS window),
    then a robust STL (bisquare robustness weights) finds the gross outliers — robust z of its residual beyond 2 ×
    ``threshold`` — which are replaced by linear interpolation, and a plain
    STL is fitted to the cleaned series; its level (trend + seasonal) gives
    the residuals judged below. Why not the robust STL's own residuals: its
    weights pull the fit onto the bulk of the data, so their distribution is
    too peaked and the MAD underestimates the spread; on Gaussian noise a
    MAD z > 3.5 then flags 2–7 % of the values (8 years of weekly data:
    6.5 %) instead of ≈ 0.05 %. With the refit: 0.5 % (8 years weekly),
    0.05 % (30 days at 15 min). Why not a plain STL alone: one gross value
    (a 1000σ spike) leaks into the seasonal fit of the same time of day on
    nearby cycles, and a plain fit then flags 4–15 % of the values.

    Then, with :math:`r` the residual at the non-missing values:

    .. math:: z_i = \\frac{0.6745\\,(r_i - \\tilde r)}{\\mathrm{MAD}(r)}

    (0.6745 = Φ⁻¹(0.75); when MAD = 0 the scale is 1.253314·MeanAD, as in
    ``modified_zscore``), and values with :math:`|z_i| >` threshold are
    flagged.

    STL needs a regular series. Timestamps are placed on the grid of their
    usual (median) step; steps that are a whole multiple of it are gaps,
    filled as missing. Missing values inside the series are linearly
    interpolated for the fit only (never flagged, never used for the
    median/MAD). Nothing is evaluated, with a note saying what to do, when:
    more than 5 % of steps are not a whole multiple of the usual step
    (resample first), the period cannot be inferred (give ``period``), there
    are no timestamps and no ``period``, or fewer than two periods of
    non-missing values. A series that STL fits exactly (constant, or a pure
    cycle) has no residual spread: nothing is evaluated. With fewer cycles
    than ``seasonal`` each time-of-cycle has few values, the seasonal fit
    follows them and can absorb an outlier (with 2 cycles a spike is half
    absorbed): the method still runs and ``Detection.note`` warns.

    References
    ----------
    .. [1] R. B. Cleveland, W. S. Cleveland, J. E. McRae and I. Terpenning
       (1990), "STL: A seasonal-trend decomposition procedure based on
       loess", Journal of Official Statistics 6(1), 3-73.
    .. [2] B. Iglewicz and D. C. Hoaglin (1993), *How to Detect and Handle
       Outliers*, ASQC Quality Press.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> t = pd.date_range("2020-01-01", periods=14 * 96, freq="15min").to_numpy()
    >>> hour = np.arange(t.size) / 4.0
    >>> noise = np.random.default_rng(2).normal(0, 0.05, t.size)
    >>> x = 12 + 2 * np.sin(2 * np.pi * hour / 24) + noise
    >>> x[600] += 0.5  # warm for its hour, ordinary for the day
    >>> det = stl_residual(x, times=t)
    >>> det.stats["period"], det.mask.nonzero()[0]
    (96.0, array([600]))
    """
    x_all = np.asarray(values, dtype=np.float64).ravel()
    n = x_all.size
    params = {"period": period, "threshold": threshold, "robust": robust, "seasonal": seasonal}
    if seasonal % 2 == 0:
        raise ParameterError(f"seasonal of stl_residual must be an odd number; got {seasonal}")

    def skip(note: str, **stats) -> Detection:
        return Detection.not_evaluated(x_all, method="stl_residual", params=params,
                                       note=note, stats={k: float(v) for k, v in stats.items()})

    valid = ~np.isnan(x_all)
    if valid.sum() < 4:
        return skip(f"{int(valid.sum())} non-missing value(s): STL needs two full periods")
    # --- place the rows on a regular grid -----------------------------------
    if times is not None:
        t = time_ns(times, n, "stl_residual")
        if np.any(t == NAT):
            return skip("some timestamps are missing (NaT): drop or fix those rows first")
        dt = np.diff(t)
        if dt.size == 0 or not np.any(dt > 0):
            return skip("fewer than two distinct timestamps: nothing to decompose")
        step = int(np.median(dt[dt > 0]))
        ratio = dt / step
        irregular = float(np.mean(np.abs(ratio - np.round(ratio)) > 1e-6) + np.mean(dt == 0))
        if irregular > MAX_IRREGULAR:
            return skip(
                f"timestamps are irregular ({irregular:.0%} of steps are not a whole multiple of "
                f"the usual step {_fmt_step(step)}): resample to a regular grid first "
                "(e.g. frame.resample('1D').mean()) or give period on regular data",
                irregular=irregular)
        slot = np.round((t - t[0]) / step).astype(np.int64)
        if np.any(np.diff(slot) <= 0):
            return skip("two values fall on the same regular time step: aggregate or "
                        "resample to a regular grid first")
        m = int(slot[-1]) + 1
        if m > 4 * n + 1000:
            return skip(f"gaps make the regular grid {m} steps long for {n} values: "
                        "analyse the parts between long gaps separately")
        if period is None:
            period = infer_period(step)
            if period is None:
                return skip(f"cannot infer the seasonal period from a step of {_fmt_step(step)}: "
                            "give period (the cycle length in steps)")
    else:
        if period is None:
            return skip("no timestamps and no period: give period (e.g. 96 for 15-minute data "
                        "with a daily cycle) or data with a DatetimeIndex")
        slot = np.arange(n, dtype=np.int64)
        m = n
    y = np.full(m, np.nan)
    y[slot] = x_all
    have = ~np.isnan(y)
    first, last = int(np.argmax(have)), int(m - 1 - np.argmax(have[::-1]))
    y = y[first:last + 1]
    have = have[first:last + 1]
    if have.sum() < 2 * period or y.size < 2 * period:
        return skip(f"{int(have.sum())} non-missing value(s) on a span of {y.size} steps: STL "
                    f"needs at least two periods ({2 * period} steps) of data", period=period)
    pos = np.arange(y.size)
    if not have.all():
        y = np.interp(pos, pos[have], y[have])
    # --- decompose ------------------------------------------------------------
    level, dropped = _decompose(y, period, seasonal, robust, threshold)
    resid = y - level
    r_obs = resid[have]
    med, scale, note = robust_scale(r_obs)
    cycles = y.size / period
    if cycles < seasonal:
        few = (f"only {cycles:.1f} cycles (< seasonal = {seasonal}): the seasonal fit follows "
               "individual values and may absorb outliers; a longer series is better")
        note = "; ".join(s for s in (note, few) if s)
    stats = {"period": float(period), "median": med, "mad": scale * MAD_FACTOR,
             "n_refit_excluded": float(dropped)}
    # residual spread below round-off of the series' typical magnitude (not of its largest
    # value: one huge spike must not make every other residual look like round-off)
    tiny = 1e-9 * max(1.0, float(np.median(np.abs(y))))
    if not scale > tiny:
        return skip("STL fits the series exactly (constant or a pure cycle): no residual "
                    "spread, nothing to judge", **stats)
    # --- back to the rows -------------------------------------------------------
    row_slot = slot - first
    inside = valid & (row_slot >= 0) & (row_slot < y.size)
    score = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    upper = np.full(n, np.nan)
    rs = row_slot[inside]
    score[inside] = (resid[rs] - med) / scale
    lower[inside] = level[rs] + med - threshold * scale
    upper[inside] = level[rs] + med + threshold * scale
    evaluated = inside
    with np.errstate(invalid="ignore"):
        mask = evaluated & (np.abs(score) > threshold)
    return Detection(mask=mask, evaluated=evaluated, score=score, lower=lower, upper=upper,
                     method="stl_residual", params=params, stats=stats, note=note)

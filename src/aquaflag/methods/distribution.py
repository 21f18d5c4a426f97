"""Distribution tests: each value is judged against the whole series.

These are the four tests of the Daecheong hands-on (the "seed" methods). With
default parameters on a whole series they flag exactly the points the seed's
rules flag:

============================  ==================================================
``zscore``                    ``|x - mean| / std > 3`` (std with ddof = 1)
``modified_zscore``           ``|0.6745 (x - median) / MAD| > 3.5``
``iqr``                       ``x < Q1 - 1.5 IQR`` or ``x > Q3 + 1.5 IQR``
``adjusted_boxplot``          Tukey fences widened by the medcouple (H&V 2008)
============================  ==================================================

Common conventions
------------------
* NaN is "not evaluated": never flagged, and ignored by every statistic.
* Fewer than ``min_periods`` (default 3) non-NaN values in the reference set:
  not evaluated (a distribution of two values has no outliers);
  ``Detection.note`` says so.
* Comparisons are strict (a value exactly on a bound is not flagged), as in
  the seed rules.
* Reference set (see :mod:`aquaflag.methods.context`): the whole series by
  default, or its statistics given explicitly (fitted statistics, below); ``window=`` (points or a time span; ``center``, ``min_periods``)
  for a rolling window; ``by="month"|"season"|"doy"`` (with ``doy_window``)
  to judge each value against its own season over all years. ``min_scale``
  floors the scale (std, MAD scale, IQR) so that smooth high-frequency
  signals, whose rolling scale is tiny, are not over-flagged.

Fitted statistics
-----------------
Against the whole series, each test can be given the statistics it would
compute instead (``zscore``: ``mean``, ``std``; ``modified_zscore``:
``median``, ``mad`` and, when ``mad`` is 0, ``mean_abs_dev``; ``iqr``: ``q1``,
``q3``; ``adjusted_boxplot``: ``q1``, ``q3``, ``mc``): all of a test's
statistics or none, not with ``window`` or ``by``. Each value is then judged
on its own against them (reach POINTWISE): the statistics of a reference
period applied to new data, as :func:`aquaflag.methods._common.fitted_params`
writes them from a Detection's ``stats`` (and incremental runs store them,
:mod:`aquaflag.ingest`). Given a series' own statistics, a test gives exactly
(bit for bit) its whole-series result on that series.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..detection import Detection
from ..errors import ParameterError
from ..registry import Interval, register
from ._common import MAD_FACTOR, MEANAD_FACTOR, as_float
from .context import CONTEXT_PARAMS, context_reach, describe_context, fitted_stat_params, reference_stats

__all__ = ["zscore", "modified_zscore", "iqr", "adjusted_boxplot", "MIN_VALUES"]

#: Fewer non-NaN values than this and a distribution test evaluates nothing.
MIN_VALUES = 3
#: A standard deviation below this fraction of |mean| is float round-off, not spread.
ROUNDOFF = 64 * np.finfo(np.float64).eps

_POSITIVE = Interval(float, 0, None, closed="neither")
_PARAMS = {"threshold": _POSITIVE, **CONTEXT_PARAMS}
#: The statistics each test can be given (fitted statistics), and those it may go without.
_FITTED = {"zscore": ("mean", "std"), "modified_zscore": ("median", "mad", "mean_abs_dev"),
           "iqr": ("q1", "q3"), "adjusted_boxplot": ("q1", "q3", "mc")}
_OPTIONAL = {"mean_abs_dev"}  # needed only when the MAD is 0


def _params(method: str) -> dict:
    return {**_PARAMS, **fitted_stat_params(_FITTED[method])}


def _given(method: str, params: dict) -> dict[str, np.float64] | None:
    """The fitted statistics given to ``method`` (as its reference statistics), or None.

    Raises ParameterError unless all (or none) are given, against the whole series.
    """
    names = _FITTED[method]
    given = {k: params[k] for k in names if params.get(k) is not None}
    if not given:
        return None
    missing = [k for k in names if k not in given and k not in _OPTIONAL]
    if missing:
        raise ParameterError(f"{', '.join(missing)} of {method} must be given with "
                             f"{', '.join(given)}: fitted statistics come together "
                             f"({', '.join(k for k in names if k not in _OPTIONAL)})")
    if params["window"] is not None or params["by"] is not None:
        raise ParameterError(f"{', '.join(given)} of {method}: fitted statistics replace the whole "
                             "series' statistics; they do not go with window or by")
    for k, v in given.items():
        if not math.isfinite(v):
            raise ParameterError(f"{k} of {method} must be a finite number; got {v!r}")
    if "q1" in given and not given["q1"] <= given["q3"]:
        raise ParameterError(f"q1 of {method} must be <= q3; got q1={given['q1']!r}, q3={given['q3']!r}")
    if method == "modified_zscore" and given["mad"] == 0 and "mean_abs_dev" not in given:
        raise ParameterError("mean_abs_dev of modified_zscore must be given when mad is 0 "
                             "(the scale then is 1.253314 x mean_abs_dev)")
    out = {k: np.float64(v) for k, v in given.items()}
    if method == "modified_zscore":
        out.setdefault("mean_abs_dev", np.float64(np.nan))  # unused: the MAD is the scale
    out["count"] = np.float64(np.inf)  # a fitted reference set: enough values by definition
    return out


def _judge(method: str, values, params: dict, times, needed: tuple[str, ...], rule,
           *, fences: bool = False) -> Detection:
    """Shared driver: reference statistics -> the method's rule -> Detection.

    ``rule(x, st, params)`` returns ``(usable, score_of, lower, upper, degenerate,
    remark)``: ``usable`` marks values whose reference set gives a usable
    scale, ``score_of()`` computes the score (a fresh array), ``degenerate``
    names the reason when no value has a usable scale, ``remark`` notes a
    fallback taken. ``fences=True`` flags by comparing values with the bounds
    (as the seed's quartile rules do) instead of ``|score| > threshold``.

    Memory: against the whole series (one set of statistics) and on values that
    cannot change (a read-only array, as the engine passes), the Detection
    keeps neither a score nor an evaluated array: it recomputes them,
    identically, when asked for (:class:`~aquaflag.detection.Detection`); a
    fence rule never computes the score here at all. With the mask kept as the
    flagged positions, such a rule holds a few bytes per flagged value.
    """
    x = as_float(values)
    ctx = {k: params[k] for k in ("window", "center", "min_periods", "by", "doy_window")}
    given = _given(method, params)
    st = reference_stats(x, needed, times=times, method=method, **ctx) if given is None else given
    enough = st["count"] >= params["min_periods"]
    usable, score_of, lower, upper, degenerate, remark = rule(x, st, params)
    whole = params["window"] is None and params["by"] is None
    # against the whole series, on values that cannot change: keep functions, not arrays
    defer = whole and not x.flags.writeable and x.size > _DEFER_MIN

    def evaluated_of() -> np.ndarray:
        return ~np.isnan(x) & enough & usable

    def score_masked(evaluated: np.ndarray) -> np.ndarray:
        s = score_of()
        s[~evaluated] = np.nan  # in place: long series hold few full-size temporaries
        return s

    evaluated = evaluated_of()
    judged = enough & usable  # bounds exist where the reference set gives a usable scale
    # whole series: one pair of bounds, stored as a read-only broadcast view (no memory)
    lower = np.broadcast_to(np.where(judged, lower, np.nan), x.shape)
    upper = np.broadcast_to(np.where(judged, upper, np.nan), x.shape)
    with np.errstate(invalid="ignore"):
        if fences:  # the seed compares values with the fences
            mask = evaluated & ((x < lower) | (x > upper))
            scores = None
        else:
            t = params["threshold"]
            scores = score_masked(evaluated)
            mask = evaluated & ((scores > t) | (scores < -t))  # |score| > t, without a copy
    note = _note(evaluated, enough, usable, whole, params, degenerate, x) or remark
    kept: np.ndarray | Callable[[], np.ndarray]
    kept_ev: np.ndarray | Callable[[], np.ndarray]
    if defer:
        del scores  # recomputed, identically, when asked for
        kept = lambda: score_masked(evaluated_of())  # noqa: E731
        kept_ev = evaluated_of
    else:
        kept = score_masked(evaluated) if scores is None else scores
        kept_ev = evaluated
    stats = {k: float(v) for k, v in st.items() if k != "count" and not (given and np.isnan(v))} if whole else {}
    return Detection(mask=mask, evaluated=kept_ev, score=kept, lower=lower, upper=upper,
                     method=method, params=dict(params), stats=stats, note=note)


#: Scores of series at least this long are recomputed on access rather than kept.
_DEFER_MIN = 10_000


def _note(evaluated, enough, usable, whole, params, degenerate, x) -> str:
    n_present = int(np.count_nonzero(~np.isnan(x)))
    if whole:
        if n_present and not np.any(enough):
            return f"{n_present} non-missing value(s): at least {params['min_periods']} are needed"
        if n_present and not np.any(usable):
            return degenerate
        return ""
    skipped = n_present - int(evaluated.sum())
    where = describe_context(params["window"], params["by"], params["doy_window"])
    if skipped:
        return (f"judged against {where}; {skipped} value(s) not evaluated (fewer than "
                f"{params['min_periods']} values or zero scale in their reference set)")
    return ""


def _floor(scale: np.ndarray, min_scale: float) -> np.ndarray:
    return np.maximum(scale, min_scale) if min_scale > 0 else scale


@register(
    "zscore",
    params=_params("zscore"),
    family="distribution",
    reach=context_reach,
    formula="|x - mean| / std > threshold   (std: sample standard deviation, ddof = 1)",
)
def zscore(values, *, threshold: float = 3.0, window=None, center: bool = True,
           min_periods: int = 3, by=None, doy_window: int = 15, min_scale: float = 0.0,
           mean: float | None = None, std: float | None = None, times=None) -> Detection:
    """Z-score test: flag values more than ``threshold`` standard deviations from the mean.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    threshold : float, default 3.0
        Flag when :math:`|z| >` threshold.
    window, center, min_periods, by, doy_window, min_scale
        The reference set and scale floor; see :mod:`aquaflag.methods.context`.
        Default: the whole series (the seed rule).
    mean, std : float, optional
        Fitted statistics (both or neither; not with ``window`` or ``by``): judge
        every value against this mean and standard deviation instead of the
        series' own (reach POINTWISE). ``fitted_params`` takes them from a
        whole-series Detection's ``stats``; given a series' own, the result is
        its whole-series result exactly.
    times : array of datetime64, optional
        Timestamps (passed by the engine); needed for time windows and ``by``.

    Returns
    -------
    Detection
        ``score`` is :math:`z`; bounds are :math:`\\bar x \\pm` threshold·s.

    Notes
    -----
    .. math:: z_i = \\frac{x_i - \\bar x}{s}, \\qquad
              s = \\sqrt{\\tfrac{1}{n-1} \\sum (x_i - \\bar x)^2}

    The mean and standard deviation are themselves inflated by outliers
    (masking), and :math:`|z| \\le (n-1)/\\sqrt n` bounds what can be flagged
    in small samples (Shiffler 1988): with n ≤ 10 no value reaches 3, and
    ``Detection.note`` says so. Constant series (s = 0, or s below
    :math:`64 \\epsilon |\\bar x|`, float round-off of equal values):
    nothing is evaluated. Values beyond 1e150 are handled without overflow
    (:func:`aquaflag.kernels.stats.mean_std`).

    References
    ----------
    .. [1] B. Iglewicz and D. C. Hoaglin (1993), *How to Detect and Handle
       Outliers*, ASQC Quality Press, ch. 3.
    .. [2] R. E. Shiffler (1988), "Maximum Z scores and outliers", The
       American Statistician 42(1), 79-80.

    Examples
    --------
    >>> x = [10.0] * 10 + [11.0] * 10 + [40.0]
    >>> det = zscore(x)
    >>> det.mask.nonzero()[0]
    array([20])
    >>> round(float(det.score[20]), 3)
    4.351
    """
    params = dict(threshold=threshold, window=window, center=center, min_periods=min_periods,
                  by=by, doy_window=doy_window, min_scale=min_scale, mean=mean, std=std)
    return _judge("zscore", values, params, times, ("mean", "std"), _zscore_rule)


def _zscore_rule(x, st, params):
    scale = _floor(st["std"], params["min_scale"])
    with np.errstate(invalid="ignore"):
        # a spread at float round-off level is no spread: equal values never give z != 0
        usable = scale > ROUNDOFF * np.abs(st["mean"])

    def score_of():
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            score = x - st["mean"]
            score /= scale  # in place: one full-size array per long series
        return score

    t = params["threshold"]
    remark = ""
    n = st["count"]
    if np.ndim(n) == 0 and n > 1 and (n - 1) / np.sqrt(n) <= t:
        remark = (f"with {int(n)} values no |z| can exceed (n-1)/sqrt(n) = "
                  f"{(n - 1) / np.sqrt(n):.3g} <= threshold {t:g}: nothing can be flagged "
                  "(Shiffler 1988); use modified_zscore for short series")
    return (usable, score_of, st["mean"] - t * scale, st["mean"] + t * scale,
            "constant series (std = 0, or only float round-off): nothing to judge", remark)


@register(
    "modified_zscore",
    params=_params("modified_zscore"),
    family="distribution",
    reach=context_reach,
    formula="|0.6745 (x - median) / MAD| > threshold   (MAD = median |x - median|)",
)
def modified_zscore(values, *, threshold: float = 3.5, window=None, center: bool = True,
                    min_periods: int = 3, by=None, doy_window: int = 15, min_scale: float = 0.0,
                    median: float | None = None, mad: float | None = None,
                    mean_abs_dev: float | None = None, times=None) -> Detection:
    """Modified Z-score test (Iglewicz & Hoaglin): a robust Z-score from the median and MAD.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    threshold : float, default 3.5
        Flag when :math:`|M| >` threshold (the value Iglewicz & Hoaglin recommend).
    window, center, min_periods, by, doy_window, min_scale
        The reference set and scale floor; see :mod:`aquaflag.methods.context`.
        Default: the whole series (the seed rule).
    median, mad, mean_abs_dev : float, optional
        Fitted statistics (not with ``window`` or ``by``): the median, the MAD
        (unscaled, :math:`\\operatorname{med}|x - \\tilde x|`) and the mean
        absolute deviation from the median (needed only when ``mad`` is 0) to
        judge every value against instead of the series' own (reach
        POINTWISE). Given a series' own (``Detection.stats``), the result is
        its whole-series result exactly.
    times : array of datetime64, optional
        Timestamps (passed by the engine); needed for time windows and ``by``.

    Returns
    -------
    Detection
        ``score`` is :math:`M`; bounds are median ± threshold·MAD/0.6745.

    Notes
    -----
    .. math:: M_i = \\frac{0.6745\\,(x_i - \\tilde x)}{\\mathrm{MAD}}, \\qquad
              \\mathrm{MAD} = \\operatorname{med}_i |x_i - \\tilde x|

    0.6745 is the 0.75 quantile of the standard normal, so that
    MAD/0.6745 estimates σ for normal data.

    MAD = 0 (more than half the values equal the median): as Iglewicz &
    Hoaglin suggest, the MAD is replaced by the mean absolute deviation around
    the median, :math:`M_i = (x_i - \\tilde x) / (1.253314\\,\\mathrm{MeanAD})`
    (1.253314 = √(π/2), so that 1.253314·MeanAD estimates σ for normal
    data); ``Detection.note`` says so. Constant series (MeanAD = 0 too):
    nothing is evaluated.

    References
    ----------
    .. [1] B. Iglewicz and D. C. Hoaglin (1993), *How to Detect and Handle
       Outliers*, ASQC Quality Press, pp. 11-13.

    Examples
    --------
    >>> det = modified_zscore([7.1, 7.3, 7.2, 7.4, 7.2, 9.9])
    >>> det.mask.nonzero()[0]
    array([5])
    >>> round(float(det.score[5]), 2)
    17.87
    """
    params = dict(threshold=threshold, window=window, center=center, min_periods=min_periods,
                  by=by, doy_window=doy_window, min_scale=min_scale, median=median, mad=mad,
                  mean_abs_dev=mean_abs_dev)
    return _judge("modified_zscore", values, params, times,
                  ("median", "mad", "mean_abs_dev"), _modified_zscore_rule)


def _modified_zscore_rule(x, st, params):
    med, mad = st["median"], st["mad"]
    with np.errstate(invalid="ignore", divide="ignore"):
        # MAD = 0: fall back to 1.253314 x mean absolute deviation (Iglewicz & Hoaglin).
        base = np.where(mad > 0, mad / MAD_FACTOR, MEANAD_FACTOR * st["mean_abs_dev"])
        scale = _floor(base, params["min_scale"])
        use_mad = (mad > 0) & (scale == base)
        usable = scale > 0

    def score_of():
        # the seed's expression exactly where the MAD itself is the scale
        with np.errstate(invalid="ignore", divide="ignore"):
            if np.ndim(use_mad) == 0:  # whole series: one branch, computed in place
                score = x - med
                if use_mad:
                    score *= MAD_FACTOR
                    score /= mad
                else:
                    score /= scale
            else:
                score = np.where(use_mad, MAD_FACTOR * (x - med) / mad, (x - med) / scale)
        return score

    t = params["threshold"]
    remark = ""
    if np.any((mad == 0) & usable):
        remark = ("MAD = 0 (over half the values equal the median): scale taken as "
                  "1.253314 x mean absolute deviation (Iglewicz & Hoaglin)")
    return (usable, score_of, med - t * scale, med + t * scale,
            "constant series (MAD = 0 and mean absolute deviation = 0): nothing to judge", remark)



def _fences(x, q1, q3, lo_width, hi_width, threshold):
    """Tukey-style fences [q1 - lo_width, q3 + hi_width], compared as the seed does.

    The score is the distance beyond the nearer quartile in units of that
    side's spread (width / threshold), so ``|score| > threshold`` when a fence
    is crossed; the mask itself comes from the fence comparison.
    """
    lower = q1 - lo_width
    upper = q3 + hi_width
    with np.errstate(invalid="ignore"):
        usable = (hi_width > 0) & (lo_width > 0)

    def score_of():
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            # in place, side by side (a long series then holds one full-size float array)
            score = np.zeros_like(x)
            above = x > q3
            np.subtract(x, q3, out=score, where=above)
            np.divide(score, hi_width / threshold, out=score, where=above)
            below = x < q1
            np.subtract(x, q1, out=score, where=below)
            np.divide(score, lo_width / threshold, out=score, where=below)
        return score

    return (usable, score_of, lower, upper,
            "IQR = 0 (over half the values are equal): fences undefined, nothing judged", "")


@register(
    "iqr",
    params=_params("iqr"),
    family="distribution",
    reach=context_reach,
    formula="x < Q1 - threshold*IQR  or  x > Q3 + threshold*IQR   (IQR = Q3 - Q1)",
)
def iqr(values, *, threshold: float = 1.5, window=None, center: bool = True,
        min_periods: int = 3, by=None, doy_window: int = 15, min_scale: float = 0.0,
        q1: float | None = None, q3: float | None = None, times=None) -> Detection:
    """Tukey's boxplot rule: flag values beyond the quartiles by more than ``threshold`` × IQR.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    threshold : float, default 1.5
        The fence multiplier k (Tukey's 1.5; 3 for "far out" values).
    window, center, min_periods, by, doy_window, min_scale
        The reference set and scale floor; see :mod:`aquaflag.methods.context`.
        Default: the whole series (the seed rule).
    q1, q3 : float, optional
        Fitted statistics (both or neither, q1 <= q3; not with ``window`` or
        ``by``): the quartiles to judge every value against instead of the
        series' own (reach POINTWISE); given a series' own, the result is its
        whole-series result exactly.
    times : array of datetime64, optional
        Timestamps (passed by the engine); needed for time windows and ``by``.

    Returns
    -------
    Detection
        ``score`` is the distance beyond the nearer quartile in IQR units (0
        between the quartiles), so ``|score| > threshold`` exactly when a
        fence is crossed; bounds are the fences.

    Notes
    -----
    .. math:: x < Q_1 - k\\,\\mathrm{IQR} \\;\\lor\\; x > Q_3 + k\\,\\mathrm{IQR},
              \\qquad \\mathrm{IQR} = Q_3 - Q_1

    Quartiles by linear interpolation between order statistics (Hyndman &
    Fan type 7; pandas' and NumPy's default), as in the seed.

    IQR = 0 (over half the values are equal): the fences would collapse onto
    the quartile and flag every other value, so nothing is evaluated and
    ``Detection.note`` says why; use ``modified_zscore`` (which falls back to
    the mean absolute deviation) for such series.

    References
    ----------
    .. [1] J. W. Tukey (1977), *Exploratory Data Analysis*, Addison-Wesley.
    .. [2] R. J. Hyndman and Y. Fan (1996), "Sample quantiles in statistical
       packages", The American Statistician 50(4), 361-365.

    Examples
    --------
    >>> det = iqr([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 30.0])
    >>> det.mask.nonzero()[0]
    array([8])
    >>> float(det.upper[0])
    13.0
    """
    params = dict(threshold=threshold, window=window, center=center, min_periods=min_periods,
                  by=by, doy_window=doy_window, min_scale=min_scale, q1=q1, q3=q3)
    return _judge("iqr", values, params, times, ("q1", "q3"), _iqr_rule, fences=True)


def _iqr_rule(x, st, params):
    spread = _floor(st["q3"] - st["q1"], params["min_scale"])
    width = params["threshold"] * spread
    return _fences(x, st["q1"], st["q3"], width, width, params["threshold"])


@register(
    "adjusted_boxplot",
    params=_params("adjusted_boxplot"),
    family="distribution",
    reach=context_reach,
    formula=("MC >= 0: [Q1 - t*exp(-4 MC)*IQR, Q3 + t*exp(3 MC)*IQR]; "
             "MC < 0: [Q1 - t*exp(-3 MC)*IQR, Q3 + t*exp(4 MC)*IQR]; MC = medcouple, t = threshold"),
)
def adjusted_boxplot(values, *, threshold: float = 1.5, window=None, center: bool = True,
                     min_periods: int = 3, by=None, doy_window: int = 15, min_scale: float = 0.0,
                     q1: float | None = None, q3: float | None = None, mc: float | None = None,
                     times=None) -> Detection:
    """Adjusted boxplot (Hubert & Vandervieren): Tukey's fences widened on the skewed side.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    threshold : float, default 1.5
        The fence multiplier (1.5 in Hubert & Vandervieren).
    window, center, min_periods, by, doy_window, min_scale
        The reference set and scale floor; see :mod:`aquaflag.methods.context`.
        Default: the whole series (the seed rule).
    q1, q3, mc : float, optional
        Fitted statistics (all three or none, q1 <= q3, -1 <= mc <= 1; not with
        ``window`` or ``by``): the quartiles and medcouple to judge every value
        against instead of the series' own (reach POINTWISE); given a series'
        own, the result is its whole-series result exactly.
    times : array of datetime64, optional
        Timestamps (passed by the engine); needed for time windows and ``by``.

    Returns
    -------
    Detection
        ``score`` is the distance beyond the nearer quartile in units of that
        side's adjusted spread (``|score| > threshold`` exactly when that
        fence is crossed); bounds are the adjusted fences; ``stats["mc"]`` is
        the medcouple.

    Notes
    -----
    With MC the medcouple (:func:`aquaflag.stats.medcouple`) and IQR = Q3 − Q1:

    .. math::
        \\text{MC} \\ge 0: [Q_1 - 1.5 e^{-4 MC} \\mathrm{IQR},\\; Q_3 + 1.5 e^{3 MC} \\mathrm{IQR}]

        \\text{MC} < 0: [Q_1 - 1.5 e^{-3 MC} \\mathrm{IQR},\\; Q_3 + 1.5 e^{4 MC} \\mathrm{IQR}]

    The constants −4 and 3 were fitted by Hubert & Vandervieren so that about
    0.7 % of values fall outside for a wide range of skewed distributions.
    For MC = 0 this is Tukey's rule. Quartiles as in :func:`iqr`. IQR = 0:
    nothing is evaluated (see :func:`iqr`).

    The medcouple is exact in every mode: O(n log n) for a whole series or a
    season; with ``window=``, each window's medcouple is an exact selection
    on the rolling kernel's sorted buffer started from the previous window's
    (:func:`aquaflag.kernels.rolling.rolling_robust`), O(w) per window of w
    values in practice instead of the O(w²) of the definition (10⁶ points:
    about 3.5 s of CPU at w = 96, 230 s at w = 8 640, i.e. 30 days of 5-minute
    data).

    References
    ----------
    .. [1] M. Hubert and E. Vandervieren (2008), "An adjusted boxplot for
       skewed distributions", Computational Statistics & Data Analysis 52,
       5186-5201.

    Examples
    --------
    >>> x = [1.0, 1.2, 1.3, 1.5, 1.8, 2.2, 2.9, 4.0, 6.0, 30.0]
    >>> det = adjusted_boxplot(x)
    >>> det.stats["mc"]
    0.6
    >>> det.mask.nonzero()[0]  # the long right tail widens the upper fence only
    array([0, 9])
    >>> round(float(det.lower[0]), 3), round(float(det.upper[0]), 3)
    (1.027, 25.277)
    """
    params = dict(threshold=threshold, window=window, center=center, min_periods=min_periods,
                  by=by, doy_window=doy_window, min_scale=min_scale, q1=q1, q3=q3, mc=mc)
    return _judge("adjusted_boxplot", values, params, times, ("q1", "q3", "mc"),
                  _adjusted_boxplot_rule, fences=True)


def _adjusted_boxplot_rule(x, st, params):
    spread = _floor(st["q3"] - st["q1"], params["min_scale"])
    mc, t = st["mc"], params["threshold"]
    with np.errstate(invalid="ignore"):
        # one exp per value and side (the same numbers as choosing between two exps)
        pos = mc >= 0
        lo_w = t * np.exp(np.where(pos, -4 * mc, -3 * mc)) * spread
        hi_w = t * np.exp(np.where(pos, 3 * mc, 4 * mc)) * spread
    return _fences(x, st["q1"], st["q3"], lo_w, hi_w, t)

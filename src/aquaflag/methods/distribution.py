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
* Fewer than three non-NaN values: nothing is evaluated (a distribution of
  two values has no outliers); ``Detection.note`` says so.
* Comparisons are strict (a value exactly on a bound is not flagged), as in
  the seed rules.
"""

from __future__ import annotations

import numpy as np

from ..detection import Detection
from ..registry import Interval, register
from ..stats import finite, medcouple, quantiles

__all__ = ["zscore", "modified_zscore", "iqr", "adjusted_boxplot", "MIN_VALUES"]

#: Fewer non-NaN values than this and a distribution test evaluates nothing.
MIN_VALUES = 3

#: 0.6745 = Φ⁻¹(0.75), so that 0.6745 / MAD estimates 1/σ for normal data (Iglewicz & Hoaglin 1993).
MAD_FACTOR = 0.6745
#: 1.253314 = √(π/2): E|X − μ| = σ √(2/π) for normal data (Iglewicz & Hoaglin 1993).
MEANAD_FACTOR = 1.253314

_POSITIVE = Interval(float, 0, None, closed="neither")


def _too_few(values: np.ndarray, x: np.ndarray, method: str, params: dict) -> Detection | None:
    if x.size < MIN_VALUES:
        return Detection.not_evaluated(
            values, method=method, params=params,
            note=f"{x.size} non-missing value(s): at least {MIN_VALUES} are needed",
        )
    return None


def _as_float(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).ravel()


@register(
    "zscore",
    params={"threshold": _POSITIVE},
    family="distribution",
    formula="|x - mean| / std > threshold   (std: sample standard deviation, ddof = 1)",
)
def zscore(values, *, threshold: float = 3.0) -> Detection:
    """Z-score test: flag values more than ``threshold`` standard deviations from the mean.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    threshold : float, default 3.0
        Flag when :math:`|z| >` threshold.

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
    in small samples (Shiffler 1988): with n ≤ 10 no value reaches 3.
    Constant series (s = 0): nothing is evaluated.

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
    x_all = _as_float(values)
    params = {"threshold": threshold}
    x = finite(x_all)
    if (early := _too_few(x_all, x, "zscore", params)) is not None:
        return early
    mean = float(np.mean(x))
    std = float(np.std(x, ddof=1))
    stats = {"mean": mean, "std": std}
    if not std > 0:
        return Detection.not_evaluated(
            x_all, method="zscore", params=params, stats=stats,
            note="constant series (std = 0): nothing to judge",
        )
    score = (x_all - mean) / std
    evaluated = ~np.isnan(x_all)
    with np.errstate(invalid="ignore"):
        mask = evaluated & (np.abs(score) > threshold)
    n = x_all.size
    return Detection(
        mask=mask, evaluated=evaluated, score=score,
        lower=np.full(n, mean - threshold * std), upper=np.full(n, mean + threshold * std),
        method="zscore", params=params, stats=stats,
    )


@register(
    "modified_zscore",
    params={"threshold": _POSITIVE},
    family="distribution",
    formula="|0.6745 (x - median) / MAD| > threshold   (MAD = median |x - median|)",
)
def modified_zscore(values, *, threshold: float = 3.5) -> Detection:
    """Modified Z-score test (Iglewicz & Hoaglin): a robust Z-score from the median and MAD.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    threshold : float, default 3.5
        Flag when :math:`|M| >` threshold (the value Iglewicz & Hoaglin recommend).

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
    x_all = _as_float(values)
    params = {"threshold": threshold}
    x = finite(x_all)
    if (early := _too_few(x_all, x, "modified_zscore", params)) is not None:
        return early
    med = float(np.median(x))
    mad = float(np.median(np.abs(x - med)))
    stats = {"median": med, "mad": mad}
    note = ""
    if mad > 0:
        scale = mad / MAD_FACTOR
        score = MAD_FACTOR * (x_all - med) / mad
    else:
        mean_ad = float(np.mean(np.abs(x - med)))
        stats["mean_abs_dev"] = mean_ad
        if not mean_ad > 0:
            return Detection.not_evaluated(
                x_all, method="modified_zscore", params=params, stats=stats,
                note="constant series (MAD = 0 and mean absolute deviation = 0): nothing to judge",
            )
        scale = MEANAD_FACTOR * mean_ad
        score = (x_all - med) / scale
        note = ("MAD = 0 (over half the values equal the median): scale taken as "
                "1.253314 x mean absolute deviation (Iglewicz & Hoaglin)")
    evaluated = ~np.isnan(x_all)
    with np.errstate(invalid="ignore"):
        mask = evaluated & (np.abs(score) > threshold)
    n = x_all.size
    return Detection(
        mask=mask, evaluated=evaluated, score=score,
        lower=np.full(n, med - threshold * scale), upper=np.full(n, med + threshold * scale),
        method="modified_zscore", params=params, stats=stats, note=note,
    )


def _fence_detection(x_all, q1, q3, lo_width, hi_width, method, params, stats):
    """Flag outside [q1 - lo_width, q3 + hi_width]; score in units of the side's width/threshold."""
    lower = q1 - lo_width
    upper = q3 + hi_width
    evaluated = ~np.isnan(x_all)
    threshold = params["threshold"]
    # Score: distance beyond the nearer quartile, in units of the (side's) spread,
    # so that |score| > threshold matches the fence on that side.
    lo_unit = lo_width / threshold
    hi_unit = hi_width / threshold
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(x_all > q3, (x_all - q3) / hi_unit,
                         np.where(x_all < q1, (x_all - q1) / lo_unit, 0.0))
    score[~evaluated] = np.nan
    det = Detection.from_bounds(
        x_all, lower, upper, score=score, method=method, params=params, stats=stats,
        evaluated=evaluated,
    )
    return det


@register(
    "iqr",
    params={"threshold": _POSITIVE},
    family="distribution",
    formula="x < Q1 - threshold*IQR  or  x > Q3 + threshold*IQR   (IQR = Q3 - Q1)",
)
def iqr(values, *, threshold: float = 1.5) -> Detection:
    """Tukey's boxplot rule: flag values beyond the quartiles by more than ``threshold`` × IQR.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    threshold : float, default 1.5
        The fence multiplier k (Tukey's 1.5; 3 for "far out" values).

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
    x_all = _as_float(values)
    params = {"threshold": threshold}
    x = finite(x_all)
    if (early := _too_few(x_all, x, "iqr", params)) is not None:
        return early
    q1, q3 = (float(v) for v in quantiles(x, (0.25, 0.75)))
    spread = q3 - q1
    stats = {"q1": q1, "q3": q3, "iqr": spread}
    if not spread > 0:
        return Detection.not_evaluated(
            x_all, method="iqr", params=params, stats=stats,
            note="IQR = 0 (over half the values are equal): fences undefined, nothing judged",
        )
    width = threshold * spread
    return _fence_detection(x_all, q1, q3, width, width, "iqr", params, stats)


@register(
    "adjusted_boxplot",
    params={"threshold": _POSITIVE},
    family="distribution",
    formula=("MC >= 0: [Q1 - t*exp(-4 MC)*IQR, Q3 + t*exp(3 MC)*IQR]; "
             "MC < 0: [Q1 - t*exp(-3 MC)*IQR, Q3 + t*exp(4 MC)*IQR]; MC = medcouple, t = threshold"),
)
def adjusted_boxplot(values, *, threshold: float = 1.5) -> Detection:
    """Adjusted boxplot (Hubert & Vandervieren): Tukey's fences widened on the skewed side.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    threshold : float, default 1.5
        The fence multiplier (1.5 in Hubert & Vandervieren).

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
    x_all = _as_float(values)
    params = {"threshold": threshold}
    x = finite(x_all)
    if (early := _too_few(x_all, x, "adjusted_boxplot", params)) is not None:
        return early
    q1, q3 = (float(v) for v in quantiles(x, (0.25, 0.75)))
    spread = q3 - q1
    mc = medcouple(x)
    stats = {"q1": q1, "q3": q3, "iqr": spread, "mc": mc}
    if not spread > 0:
        return Detection.not_evaluated(
            x_all, method="adjusted_boxplot", params=params, stats=stats,
            note="IQR = 0 (over half the values are equal): fences undefined, nothing judged",
        )
    if mc >= 0:
        lo_w = threshold * np.exp(-4 * mc) * spread
        hi_w = threshold * np.exp(3 * mc) * spread
    else:
        lo_w = threshold * np.exp(-3 * mc) * spread
        hi_w = threshold * np.exp(4 * mc) * spread
    return _fence_detection(x_all, q1, q3, lo_w, hi_w, "adjusted_boxplot", params, stats)

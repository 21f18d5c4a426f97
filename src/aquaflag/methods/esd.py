"""Rosner's generalized ESD test: up to ``max_outliers`` outliers in a normal sample.

The test removes the most extreme value (the largest :math:`|x - \\bar x| / s`)
one at a time and compares each step's statistic :math:`R_i` with an exact
critical value :math:`\\lambda_i` from the t distribution; the number of
outliers is the largest i with :math:`R_i > \\lambda_i`. Unlike repeated
Grubbs tests it is not fooled by masking (two large values hiding each other).
"""

from __future__ import annotations

import numpy as np

from .._optional import require
from ..detection import Detection
from ..kernels.stats import mean_std
from ..registry import Interval, register

__all__ = ["generalized_esd", "esd_critical_values"]


def esd_critical_values(n: int, r: int, alpha: float) -> np.ndarray:
    """Rosner's critical values :math:`\\lambda_1 .. \\lambda_r` for a sample of ``n``.

    .. math:: \\lambda_i = \\frac{(n - i)\\, t_{p,\\, n-i-1}}
              {\\sqrt{(n - i - 1 + t_{p,\\, n-i-1}^2)(n - i + 1)}}, \\qquad
              p = 1 - \\frac{\\alpha}{2 (n - i + 1)}

    Examples
    --------
    >>> np.round(esd_critical_values(54, 3, 0.05), 3)
    array([3.159, 3.151, 3.144])
    """
    t_dist = require("scipy.stats", extra="stats", feature="generalized_esd").t
    i = np.arange(1, r + 1, dtype=np.float64)
    p = 1.0 - alpha / (2.0 * (n - i + 1))
    tq = t_dist.ppf(p, n - i - 1)
    return (n - i) * tq / np.sqrt((n - i - 1 + tq ** 2) * (n - i + 1))


@register(
    "generalized_esd",
    params={"max_outliers": Interval(int, 1, None),
            "alpha": Interval(float, 0, 1, closed="neither")},
    family="distribution",
    formula=("R_i = max |x - mean| / s over the values left after i-1 removals; "
             "outliers: the first k removed, k = max{i : R_i > lambda_i} (Rosner 1983)"),
)
def generalized_esd(values, *, max_outliers: int = 10, alpha: float = 0.05) -> Detection:
    """Generalized ESD test (Rosner 1983): detect up to ``max_outliers`` outliers.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing. The non-outlying values are assumed
        to be roughly normal.
    max_outliers : int, default 10
        The upper bound r on the number of outliers tested for (capped at
        n − 2).
    alpha : float, default 0.05
        Significance level of the test as a whole.

    Returns
    -------
    Detection
        ``score`` is :math:`R_i` for the i-th value removed (for all r
        removed candidates, flagged or not) and NaN for the values never
        removed; no bounds (NaN): the test has no fixed fence.
        ``stats`` holds the number of outliers, the mean and standard
        deviation of the retained values, and :math:`\\lambda_1`.

    Notes
    -----
    For i = 1..r, with :math:`\\bar x^{(i)}, s^{(i)}` the mean and sample
    standard deviation (ddof = 1) of the :math:`n - i + 1` values still in:

    .. math:: R_i = \\max_j \\frac{|x_j - \\bar x^{(i)}|}{s^{(i)}}, \\qquad
              \\lambda_i = \\frac{(n - i)\\, t_{p,\\, n-i-1}}
              {\\sqrt{(n - i - 1 + t_{p,\\, n-i-1}^2)(n - i + 1)}},
              \\quad p = 1 - \\frac{\\alpha}{2 (n - i + 1)}

    where :math:`t_{p,\\nu}` is the p quantile of Student's t with ν degrees
    of freedom (``scipy.stats.t.ppf``: exact, not a table). The number of
    outliers is the largest i with :math:`R_i > \\lambda_i` (earlier
    :math:`R_j` may be below their :math:`\\lambda_j`: that is masking), and
    the first i values removed are flagged. Rosner showed the λ are accurate
    for n ≥ 25 and α ≤ 0.05.

    Only the current smallest or largest value can be the most extreme, so
    the values are sorted once and the removed candidates come off the two
    ends: O(n log n + r·n). Ties between the two ends go to the upper end.

    Degenerate cases: fewer than 3 non-missing values, or a constant series
    (s = 0): nothing is evaluated. When the values left become constant
    (s = 0) the removal stops there: no further value can be an outlier.

    References
    ----------
    .. [1] B. Rosner (1983), "Percentage points for a generalized ESD
       many-outlier procedure", Technometrics 25(2), 165-172.
    .. [2] NIST/SEMATECH e-Handbook of Statistical Methods, section
       1.3.5.17.3, "Generalized ESD Test for Outliers" (Rosner's example:
       54 values, up to 10 outliers, 3 detected).

    Examples
    --------
    >>> x = [2.1, 2.3, 2.2, 2.4, 2.2, 2.3, 2.1, 2.2, 2.3, 2.2, 6.0, 2.4, 2.3, 0.1]
    >>> det = generalized_esd(x, max_outliers=3)
    >>> det.mask.nonzero()[0]
    array([10, 13])
    >>> det.stats["n_outliers"]
    2.0
    """
    x_all = np.asarray(values, dtype=np.float64).ravel()
    n_all = x_all.size
    params = {"max_outliers": max_outliers, "alpha": alpha}
    pos = np.flatnonzero(~np.isnan(x_all))
    n = pos.size
    if n < 3:
        return Detection.not_evaluated(
            x_all, method="generalized_esd", params=params,
            note=f"{n} non-missing value(s): at least 3 are needed",
        )
    order = np.argsort(x_all[pos], kind="stable")
    s = x_all[pos][order]
    where = pos[order]  # original position of each sorted value
    r = min(int(max_outliers), n - 2)
    note = ""
    if r < max_outliers:
        note = f"max_outliers capped at n - 2 = {r} ({n} non-missing values)"
    if not s[-1] > s[0]:
        return Detection.not_evaluated(
            x_all, method="generalized_esd", params=params,
            note="constant series (s = 0): nothing to judge",
        )
    lo, hi = 0, n - 1
    stat = np.full(r, np.nan)
    removed = np.full(r, -1, dtype=np.int64)
    done = 0
    for i in range(r):  # r removal steps (not a loop over the points)
        mean, sd = mean_std(s[lo:hi + 1], ddof=1)
        if not sd > 0:
            break
        with np.errstate(over="ignore"):  # beyond the largest float: an infinite statistic
            d_lo, d_hi = mean - s[lo], s[hi] - mean
        if d_hi >= d_lo:
            stat[i], removed[i] = d_hi / sd, where[hi]
            hi -= 1
        else:
            stat[i], removed[i] = d_lo / sd, where[lo]
            lo += 1
        done = i + 1
    lam = esd_critical_values(n, r, alpha)
    exceed = np.flatnonzero(stat[:done] > lam[:done])
    k = int(exceed[-1]) + 1 if exceed.size else 0
    mask = np.zeros(n_all, dtype=bool)
    mask[removed[:k]] = True
    score = np.full(n_all, np.nan)
    score[removed[:done]] = stat[:done]
    evaluated = ~np.isnan(x_all)
    kept_mean, kept_std = mean_std(x_all[evaluated & ~mask])
    stats = {
        "n_outliers": float(k),
        "mean": kept_mean,
        "std": kept_std,
        "lambda_1": float(lam[0]),
    }
    nan = np.full(n_all, np.nan)
    return Detection(
        mask=mask, evaluated=evaluated, score=score, lower=nan, upper=nan.copy(),
        method="generalized_esd", params=params, stats=stats, note=note,
    )

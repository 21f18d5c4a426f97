"""Network tests: judge a station's series against the same parameter at sibling stations.

Stations on one reservoir or river share weather, season and inflow, so their
series move together. ``cross_station`` flags a value that departs from the
consensus of the siblings at the same time by much more than the station's
usual departure — a check no single-series test can make (a pH of 9 may be
ordinary for the season and still impossible when the two other stations
read 7.4).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..detection import Detection
from ..errors import InputError
from ..registry import Interval, register
from ._common import MAD_FACTOR, robust_scale

__all__ = ["cross_station"]


@register(
    "cross_station",
    params={"threshold": Interval(float, 0, None, closed="neither"),
            "min_siblings": Interval(int, 1, None)},
    family="network",
    formula=("d = x - median(siblings at the same time); "
             "|0.6745 (d - median(d)) / MAD(d)| > threshold"),
)
def cross_station(values, *, threshold: float = 3.5, min_siblings: int = 1,
                  siblings=None) -> Detection:
    """Cross-station test: flag values far from the consensus of sibling stations.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    threshold : float, default 3.5
        Flag when the robust z of the difference exceeds it (Iglewicz &
        Hoaglin's 3.5, as in ``modified_zscore``).
    min_siblings : int, default 1
        Judge a value only when at least this many siblings have a value at
        the same time. With one sibling a departure cannot be attributed to
        either station (both get flagged); 2 or more make the consensus a
        median that one faulty sibling cannot move far.
    siblings : dict of str to array, optional
        The same parameter at the other stations, aligned on the same
        timestamps (context passed by the engine: for ``pH(Mun-Ui)`` the
        columns ``pH(Chu-Dong)``, ``pH(Hoe-Nam)``).

    Returns
    -------
    Detection
        ``score`` is the robust z of the difference; bounds are
        consensus + median(d) ± threshold·MAD(d)/0.6745 (NaN where not
        evaluated); ``stats`` holds the number of siblings, median(d) and
        MAD(d).

    Raises
    ------
    InputError
        When a sibling series is not as long as ``values``.

    Notes
    -----
    With :math:`c_t` the median of the siblings' non-missing values at time t:

    .. math:: d_t = x_t - c_t, \\qquad
              z_t = \\frac{0.6745\\,(d_t - \\tilde d)}{\\mathrm{MAD}(d)}

    Subtracting the typical difference :math:`\\tilde d` (its median) leaves
    a constant offset between stations alone (one station is always warmer);
    MAD(d) is the station's usual disagreement. 0.6745 = Φ⁻¹(0.75); when
    MAD = 0 the scale is 1.253314·MeanAD (Iglewicz & Hoaglin 1993), as in
    ``modified_zscore``.

    The typical difference is one number for the whole series. When stations
    differ seasonally (on the Daecheong reservoir, Mun-Ui's water runs up to
    4 °C warmer than the other two stations in June–July, 0.3 °C in winter),
    the season with the larger difference stands out and is flagged; judge
    such series per season (or a deseasonalised difference) instead.

    Not evaluated: values with fewer than ``min_siblings`` siblings present;
    everything when there are no siblings at all (``Detection.note`` says
    how to provide them), when fewer than 3 values can be compared, or when
    the series differs from the consensus by a constant (no spread).

    References
    ----------
    .. [1] U.S. IOOS (2020), QARTOD T&S manual, test 14 (neighbor test).
    .. [2] B. Iglewicz and D. C. Hoaglin (1993), *How to Detect and Handle
       Outliers*, ASQC Quality Press.

    Examples
    --------
    >>> a = [7.1, 7.3, 7.2, 9.0, 7.4, 7.2, 7.3]
    >>> sib = {"pH(B)": [7.0, 7.2, 7.2, 7.3, 7.3, 7.1, 7.2],
    ...        "pH(C)": [7.2, 7.3, 7.1, 7.4, 7.5, 7.2, 7.3]}
    >>> det = cross_station(a, siblings=sib)
    >>> det.mask.nonzero()[0]
    array([3])
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    n = x.size
    params = {"threshold": threshold, "min_siblings": min_siblings}
    if not siblings:
        return Detection.not_evaluated(
            x, method="cross_station", params=params,
            note="no sibling series: cross_station compares a column with the same parameter "
                 "at other stations (wide columns like 'pH(A)', 'pH(B)', 'pH(C)')",
        )
    rows = []
    for name, arr in siblings.items():
        a = np.asarray(arr, dtype=np.float64).ravel()
        if a.size != n:
            raise InputError(
                f"cross_station: sibling {name!r} has {a.size} values for {n}; "
                "align the stations on the same timestamps"
            )
        rows.append(np.where(np.isfinite(a), a, np.nan))
    stack = np.vstack(rows)
    present = (~np.isnan(stack)).sum(axis=0)
    import bottleneck as bn

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        consensus = bn.nanmedian(stack, axis=0) if stack.shape[0] > 1 else stack[0].copy()
    ok = ~np.isnan(x) & (present >= min_siblings) & ~np.isnan(consensus)
    stats = {"n_siblings": float(stack.shape[0])}
    if ok.sum() < 3:
        return Detection.not_evaluated(
            x, method="cross_station", params=params, stats=stats,
            note=f"{int(ok.sum())} value(s) have at least {min_siblings} sibling(s) present: "
                 "at least 3 are needed",
        )
    d = x - consensus
    med, scale, note = robust_scale(d[ok])
    stats.update(median_difference=med, mad=scale * MAD_FACTOR)
    if not scale > 0:
        return Detection.not_evaluated(
            x, method="cross_station", params=params, stats=stats,
            note="the series differs from the siblings' consensus by a constant: nothing to judge",
        )
    score = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    upper = np.full(n, np.nan)
    score[ok] = (d[ok] - med) / scale
    lower[ok] = consensus[ok] + med - threshold * scale
    upper[ok] = consensus[ok] + med + threshold * scale
    mask = ok & (np.abs(np.where(ok, score, 0.0)) > threshold)
    return Detection(mask=mask, evaluated=ok, score=score, lower=lower, upper=upper,
                     method="cross_station", params=params, stats=stats, note=note)

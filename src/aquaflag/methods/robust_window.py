"""Rolling robust tests: judge each value against its own neighbourhood.

``hampel`` is the Hampel identifier: a value is an outlier when it lies more
than ``threshold`` robust standard deviations (1.4826 × MAD) from the median
of its window. Unlike the whole-series tests it follows a series' level and
spread through seasons and storms.
"""

from __future__ import annotations

import numpy as np

from ..detection import Detection
from ..kernels.rolling import rolling_robust
from ..registry import WHOLE, Boolean, Interval, Param, Reach, WindowSpan, register
from ._common import (MAD_SCALE, fmt_span, median_step, resolution, rolling_bounds, step_scale, time_ns, valid_index)

__all__ = ["hampel"]


@register(
    "hampel",
    params={"window": Param("window", WindowSpan(min_count=3), None, nullable=True, derived=(
                "one day (a diel cycle) when the sampling step is under 3 h, else 7 points; "
                "7 points without timestamps")),
            "threshold": Interval(float, 0, None, closed="neither"),
            "min_periods": Interval(int, 3, None), "center": Boolean(),
            "min_scale": Param("min_scale", Interval(float, 0, None, closed="left"), None,
                               nullable=True, derived=(
                                   "max(resolution, 1.4826 MAD of the steps / sqrt 2): the "
                                   "series' noise level, so MAD = 0 windows are judged"))},
    family="rolling",
    # a window or scale floor derived from the series needs the whole series
    reach=lambda p: WHOLE if p["window"] is None or p["min_scale"] is None else Reach.of_window(
        p["window"], p["center"]),
    formula=("|x - m| > threshold * max(1.4826 * MAD, min_scale); m, MAD: median and median "
             "absolute deviation (from m) of the point's window; min_scale None: "
             "max(q, 1.4826 MAD(dx) / sqrt 2)"),
)
def hampel(values, *, window: int | str | None = None, threshold: float = 3.0,
           min_periods: int = 3, center: bool = True, min_scale: float | None = None,
           times=None) -> Detection:
    """Hampel identifier: flag values far from their window's median, in rolling MAD units.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    window : int or str, optional
        The window: a number of points (>= 3; 7 is the classic 2k + 1 with
        k = 3) or a fixed time span ("1D", "6h"; needs timestamps and suits
        irregular sampling). None (default): derived from the sampling
        interval -- one day (``"1D"``, a diel cycle) when the median step is
        under 3 h (at least 8 values a day), else 7 points; 7 points without
        timestamps.
    threshold : float, default 3.0
        Flag when :math:`|x_i - m_i| >` threshold · scale (Pearson's 3).
    min_periods : int, default 3
        Windows with fewer non-missing values are not evaluated.
    center : bool, default True
        Centred window (the point in the middle) or trailing (the point
        last, for real-time use).
    min_scale : float, optional
        A floor for the scale, in data units (e.g. the sensor's resolution or
        accuracy); 0: windows whose MAD is 0 are not evaluated (see Notes).
        None (default): derived from the series, the larger of its
        resolution q and its noise level :math:`1.4826\\,\\mathrm{MAD}(\\Delta x)/\\sqrt 2`
        (for white noise of s.d. σ the steps have s.d. :math:`\\sqrt 2\\,σ`).
    times : array of datetime64, optional
        Timestamps (context passed by the engine); needed for a time window.

    Returns
    -------
    Detection
        ``score`` is :math:`(x_i - m_i) / s_i`; bounds are
        :math:`m_i \\pm` threshold · :math:`s_i` (NaN where not evaluated).
        ``stats``: ``window`` and ``min_scale`` used (config values),
        ``n_zero_scale``, ``median_scale`` and ``derived`` (in words).

    Raises
    ------
    InputError
        When ``window`` is a time span and there are no timestamps.

    Notes
    -----
    For point i with window :math:`W_i` (its non-missing values, the point
    itself included):

    .. math:: m_i = \\operatorname{med}_{j \\in W_i} x_j, \\qquad
              \\mathrm{MAD}_i = \\operatorname{med}_{j \\in W_i} |x_j - m_i|, \\qquad
              s_i = \\max(1.4826\\,\\mathrm{MAD}_i,\\ \\text{min\\_scale})

    and the point is flagged when :math:`|x_i - m_i| > \\text{threshold}\\,
    s_i`. The MAD is a true rolling MAD — deviations from each window's own
    median — computed exactly by :func:`aquaflag.kernels.rolling.rolling_robust`
    (not the common shortcut of a rolling median of deviations from another
    rolling median). 1.4826 = 1/Φ⁻¹(0.75) makes 1.4826·MAD estimate σ for
    normal data.

    MAD = 0 (more than half the window equal, common with quantised sensors
    or a stuck value) would make every other value in that window an
    "outlier" — a known pitfall of Hampel filters. Here such windows have
    scale 0 and are not evaluated, and ``Detection.note`` counts them; give
    ``min_scale`` (e.g. 0.01 for pH to two decimals) to judge them with that
    floor instead. The derived default (``min_scale=None``) is the series'
    own noise level, at least its resolution, so a quantised sensor's quiet
    windows are judged against one or more resolution steps. A constant
    series (no change, no resolution) is not evaluated at all.

    Windows: a count w centred covers points i − ⌊w/2⌋ … i − ⌊w/2⌋ + w − 1,
    trailing i − w + 1 … i; a time span T centred covers
    :math:`[t_i - T/2, t_i + T/2]`, trailing :math:`(t_i - T, t_i]`;
    windows are clipped at the ends of the series
    (:func:`aquaflag.kernels.rolling.window_bounds`).

    References
    ----------
    .. [1] F. R. Hampel (1974), "The influence curve and its role in robust
       estimation", Journal of the American Statistical Association 69,
       383-393.
    .. [2] R. K. Pearson (2002), "Outliers in process modeling and
       identification", IEEE Transactions on Control Systems Technology
       10(1), 55-63.
    .. [3] L. Davies and U. Gather (1993), "The identification of multiple
       outliers", Journal of the American Statistical Association 88, 782-792.

    Examples
    --------
    >>> x = [7.1, 7.3, 7.2, 7.4, 9.9, 7.3, 7.2, 7.4, 7.1]
    >>> det = hampel(x, window=5, min_scale=0.0)  # the classic Hampel filter
    >>> det.mask.nonzero()[0]
    array([4])
    >>> round(float(det.upper[4]), 4)  # median 7.3 + 3 x 1.4826 x MAD 0.1
    7.7448
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    n = x.size
    params = {"window": window, "threshold": threshold, "min_periods": min_periods,
              "center": center, "min_scale": min_scale}
    derived = []
    stats_d: dict = {}
    if window is None or min_scale is None:
        t = time_ns(times, n, "hampel") if times is not None else None
        idx = valid_index(x, t)
        xv = x[idx]
        if window is None:
            step = median_step(t[idx]) if t is not None else float("nan")
            if np.isfinite(step) and step < 3 * 3600e9:
                window = "1D"
                derived.append(f"window=1D (step {fmt_span(step)} < 3h: a diel cycle)")
            else:
                window = 7
                derived.append("window=7 points" + (f" (step {fmt_span(step)} >= 3h)"
                                                    if np.isfinite(step) else ""))
            stats_d["window"] = window
        if min_scale is None:
            q = resolution(xv)
            noise = step_scale(xv)[0] / np.sqrt(2.0) if xv.size > 1 else 0.0
            min_scale = float(max(q, noise))
            stats_d["min_scale"] = min_scale
            derived.append(f"min_scale={min_scale:.4g} (" + (
                f"resolution {q:.6g}" if q >= noise else f"noise 1.4826 MAD(dx)/sqrt2 = {noise:.4g}")
                + ")")
    else:
        derived.append(f"window={window}, min_scale={min_scale:g} (given)")
    starts, ends, nat = rolling_bounds(window, x, times=times, center=center, method="hampel")
    if nat is not None:  # no timestamp: not evaluated and in no window
        x = np.where(nat, np.nan, x)
    valid = ~np.isnan(x)
    if valid.sum() < min_periods:
        return Detection.not_evaluated(
            x, method="hampel", params=params, stats=stats_d,
            note=f"{int(valid.sum())} non-missing value(s): a window needs at least {min_periods}",
        )
    st = rolling_robust(x, starts, ends, min_periods=min_periods)
    med, mad = st["median"], st["mad"]
    scale = np.maximum(MAD_SCALE * mad, min_scale)  # NaN stays NaN where the window is short
    usable = valid & ~np.isnan(med) & (scale > 0)
    zero = valid & ~np.isnan(med) & ~(scale > 0)
    note = ""
    if zero.any():
        note = (f"{int(zero.sum())} value(s) sit in windows with MAD = 0 (over half the window "
                "equal): not evaluated; give min_scale (e.g. the sensor resolution) to judge them")
    score = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    upper = np.full(n, np.nan)
    score[usable] = (x[usable] - med[usable]) / scale[usable]
    lower[usable] = med[usable] - threshold * scale[usable]
    upper[usable] = med[usable] + threshold * scale[usable]
    mask = usable & (np.abs(np.where(usable, score, 0.0)) > threshold)
    stats = {**stats_d, "n_zero_scale": float(zero.sum()),
             "median_scale": float(np.median(scale[usable])) if usable.any() else float("nan"),
             "derived": ", ".join(derived)}
    return Detection(mask=mask, evaluated=usable, score=score, lower=lower, upper=upper,
                     method="hampel", params=params, stats=stats, note=note)

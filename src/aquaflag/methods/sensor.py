"""Sensor QC tests: the automated checks water agencies run on logger data.

These follow the tests of the U.S. IOOS QARTOD manuals (gross range, spike,
rate of change, flat line) and the practice of UFZ SaQC and USGS, written
afresh for aquaflag's contract (pure functions, NaN never flagged, vectorised
for 10⁶ points):

======================  ======================================================
``gross_range``         outside the physical (FAIL) or user (SUSPECT) span
``nodata_codes``        logger no-data codes left as numbers (-9999, 9.96921e36)
``spike``               a value far from its neighbours' reference
``rate_of_change``      a change faster than ``threshold`` per ``per``
``flat_line``           a value stuck (within ``tolerance``) for ``window``
======================  ======================================================

Common conventions
------------------
* NaN is "not evaluated": never flagged, and skipped when a test looks for a
  value's neighbours (the nearest non-missing values are the neighbours).
* Time-aware tests take the timestamps (``times``, ``datetime64[ns]``) that
  the engine passes for a frame with a DatetimeIndex. A time given as an
  offset string (``"30min"``, ``"2h"``, ``"1D"``) needs timestamps: without
  them the test raises :class:`~aquaflag.errors.InputError`. Timestamps must
  increase (sort first); a point with no timestamp (NaT) is not evaluated.
* Comparisons are strict (a value exactly on a bound is not flagged).

"""

from __future__ import annotations

import math

import numpy as np

from ..detection import Detection
from ..errors import ParameterError
from ..registry import (POINTWISE, WHOLE, Boolean, Interval, NumberList, Param, Reach, Text,
                        WindowSpan, register)
from ..windows import parse_window
from ..variables import SeriesInfo
from ._common import (as_float, check_reference, daily_max, daily_max_step, fmt_span, median_step,
                      nan_array, need_times, reference_positions, resolution, robust_scale,
                      run_durations, span_ns, span_text, step_scale, time_ns, valid_index)

__all__ = ["gross_range", "nodata_codes", "spike", "rate_of_change", "flat_line", "AUTO_K",
           "flat_band"]

_REAL = Interval(float)
_POSITIVE = Interval(float, 0, None, closed="neither")
_NON_NEGATIVE = Interval(float, 0, None, closed="left")

#: Default multiplier of the robust scale for the automatic thresholds of
#: ``spike`` and ``rate_of_change``.
AUTO_K = 8.0


# --------------------------------------------------------------------------
# gross_range
# --------------------------------------------------------------------------

@register(
    "gross_range",
    params={"lower": _REAL, "upper": _REAL, "suspect_lower": _REAL, "suspect_upper": _REAL},
    family="sensor",
    default_severity="fail",
    reach=POINTWISE,
    formula=("FAIL: x < lower or x > upper (default: the variable's physical range); "
             "SUSPECT: x < suspect_lower or x > suspect_upper"),
)
def gross_range(values, *, lower: float | None = None, upper: float | None = None,
                suspect_lower: float | None = None, suspect_upper: float | None = None,
                series: SeriesInfo | None = None) -> Detection:
    """Gross range test (QARTOD): flag values outside what the variable can physically be.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    lower, upper : float, optional
        The FAIL span. Each defaults to the physical range of the series'
        variable in the series' unit (:mod:`aquaflag.variables`: pH 0–14,
        DO 0–30 mg/L, water temperature −5–45 °C, ...).
    suspect_lower, suspect_upper : float, optional
        An optional SUSPECT span inside the FAIL span (e.g. the site's
        climatological range).
    series : SeriesInfo, optional
        What the series measures (context passed by the engine; a column
        name such as ``"pH(Mun-Ui)"`` is read with :func:`aquaflag.variables.describe`).

    Returns
    -------
    Detection
        ``lower``/``upper`` are the FAIL span (NaN on a side without bound);
        no score (NaN). When a suspect span is given, ``grade`` is 4 (FAIL)
        for values outside the FAIL span and 3 (SUSPECT) for values outside
        only the suspect span; without one, ``grade`` is None and the rule's
        severity ("fail" by default) applies.

    Raises
    ------
    ParameterError
        When lower > upper, suspect_lower > suspect_upper, or the suspect
        span reaches outside the FAIL span.

    Notes
    -----
    .. math:: \\text{FAIL}: x < a \\lor x > b, \\qquad
              \\text{SUSPECT}: a \\le x \\le b \\land (x < a_s \\lor x > b_s)

    The defaults and their sources are in :mod:`aquaflag.variables`. If no
    bound is given and the variable is not known (or its unit cannot be
    converted), nothing is evaluated and ``Detection.note`` asks for
    lower/upper. A constant or short series is judged like any other.

    References
    ----------
    .. [1] U.S. IOOS (2020), *Manual for Real-Time Quality Control of In-situ
       Temperature and Salinity Data*, v2.1, test 9 (gross range).
    .. [2] R. J. Wagner, R. W. Boulger, C. J. Oblinger and B. A. Smith (2006),
       *Guidelines and standard procedures for continuous water-quality
       monitors*, USGS Techniques and Methods 1-D3.

    Examples
    --------
    >>> det = gross_range([7.2, 7.4, -0.3, 15.2, 7.3], series="pH(Mun-Ui)")
    >>> det.mask.nonzero()[0], float(det.lower[0]), float(det.upper[0])
    (array([2, 3]), 0.0, 14.0)
    >>> det = gross_range([7.2, 9.6, 15.2], series="pH", suspect_lower=6.0, suspect_upper=9.5)
    >>> det.grade[det.mask]
    array([3, 4], dtype=uint8)
    """
    x = as_float(values)
    n = x.size
    params = {"lower": lower, "upper": upper,
              "suspect_lower": suspect_lower, "suspect_upper": suspect_upper}
    default_lo, default_hi = series.gross_range() if series is not None else (None, None)
    lo = lower if lower is not None else default_lo
    hi = upper if upper is not None else default_hi
    if lo is None and hi is None and suspect_lower is None and suspect_upper is None:
        if series is None:
            what = "no series description"
        elif series.variable is None:
            what = f"unknown variable {series.name!r} in column {series.column!r}"
        elif series.variable.gross_range == (None, None):
            what = f"{series.variable.key} has no physical range (datums differ between sites)"
        else:
            what = f"unit {series.unit!r} of {series.variable.key} cannot be converted"
        return Detection.not_evaluated(
            x, method="gross_range", params=params,
            note=f"{what}: give lower/upper (or map the column to a variable in the config)",
        )
    known = series is not None and series.variable is not None
    src = f" (the physical range of {series.key})" if known and series is not None else ""
    if lo is not None and hi is not None and lo > hi:
        raise ParameterError(f"lower of gross_range must be <= upper ({hi:g}){src}; got {lo:g}")
    if suspect_lower is not None and suspect_upper is not None and suspect_lower > suspect_upper:
        raise ParameterError(
            f"suspect_lower of gross_range must be <= suspect_upper ({suspect_upper:g}); "
            f"got {suspect_lower:g}"
        )
    if suspect_lower is not None and lo is not None and suspect_lower < lo:
        raise ParameterError(
            f"suspect_lower of gross_range must be >= lower ({lo:g}){src}; got {suspect_lower:g}"
        )
    if suspect_upper is not None and hi is not None and suspect_upper > hi:
        raise ParameterError(
            f"suspect_upper of gross_range must be <= upper ({hi:g}){src}; got {suspect_upper:g}"
        )
    evaluated = ~np.isnan(x)
    with np.errstate(invalid="ignore"):
        fail = np.zeros(n, dtype=bool)
        if lo is not None:
            fail |= x < lo
        if hi is not None:
            fail |= x > hi
        suspect = np.zeros(n, dtype=bool)
        if suspect_lower is not None:
            suspect |= x < suspect_lower
        if suspect_upper is not None:
            suspect |= x > suspect_upper
    fail &= evaluated
    suspect &= evaluated & ~fail
    graded = suspect_lower is not None or suspect_upper is not None
    grade = None
    if graded:
        grade = np.zeros(n, dtype=np.uint8)
        grade[suspect] = 3
        grade[fail] = 4
    stats = {"lower": np.nan if lo is None else float(lo),
             "upper": np.nan if hi is None else float(hi),
             "n_fail": float(fail.sum()), "n_suspect": float(suspect.sum())}
    return Detection(
        mask=fail | suspect, evaluated=evaluated, score=nan_array(n),
        lower=np.full(n, np.nan if lo is None else float(lo)),
        upper=np.full(n, np.nan if hi is None else float(hi)),
        method="gross_range", params=params, stats=stats, grade=grade,
    )


# --------------------------------------------------------------------------
# nodata_codes
# --------------------------------------------------------------------------

@register(
    "nodata_codes",
    params={"codes": NumberList(), "rtol": _NON_NEGATIVE},
    family="sensor",
    default_severity="fail",
    reach=POINTWISE,
    formula="|x - c| <= rtol * |c| for a code c in codes",
)
def nodata_codes(values, *, codes: tuple = (-9999.0, -999.0, 9.96921e36),
                 rtol: float = 1e-6) -> Detection:
    """Flag logger no-data codes that were read as numbers (-9999, -999, the netCDF fill value).

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    codes : list of float, default (-9999.0, -999.0, 9.96921e36)
        The no-data codes. 9.96921e36 is the netCDF default float fill value
        (``NC_FILL_FLOAT`` = 9.9692099683868690e36).
    rtol : float, default 1e-6
        Relative tolerance: a value matches code c when
        :math:`|x - c| \\le \\text{rtol}\\,|c|` (a code 0 must match exactly).
        The default absorbs float32 round-off (1e36 codes stored as float32
        and read back as float64) while never confusing -9999 with -9998.99.

    Returns
    -------
    Detection
        No score and no bounds (NaN).

    Notes
    -----
    :func:`aquaflag.read` already turns the usual codes into NaN; this test
    is for data read otherwise (plain ``pandas.read_csv``), where a -9999 would
    otherwise wreck every statistic. Common codes: -9999 and -999 (loggers,
    USGS and EPA exports), 9.96921e36 (netCDF ``_FillValue``), and
    site-specific ones such as 7999 (some Campbell/YSI error values) — add
    those to ``codes``. Every non-NaN value is evaluated; an empty or
    constant series is judged like any other.

    References
    ----------
    .. [1] Unidata, *NetCDF Users Guide*, "Fill values" (``NC_FILL_FLOAT``).
    .. [2] U.S. IOOS (2020), QARTOD T&S manual, test 1 (timing/gap) and the
       treatment of missing-value codes.

    Examples
    --------
    >>> det = nodata_codes([7.2, -9999.0, 7.3, 9.969209968386869e36, -999.5])
    >>> det.mask.nonzero()[0]
    array([1, 3])
    >>> nodata_codes([7.2, 7999.0], codes=[7999]).mask.nonzero()[0]
    array([1])
    """
    x = as_float(values)
    n = x.size
    codes = tuple(float(c) for c in codes)
    params = {"codes": codes, "rtol": rtol}
    evaluated = ~np.isnan(x)
    hit = np.zeros(n, dtype=bool)
    with np.errstate(invalid="ignore", over="ignore"):
        for c in codes:  # a handful of codes; each test is vectorised over the points
            hit |= np.abs(x - c) <= rtol * abs(c)
    hit &= evaluated
    return Detection(
        mask=hit, evaluated=evaluated, score=nan_array(n), lower=nan_array(n), upper=nan_array(n),
        method="nodata_codes", params=params, stats={"n_codes": float(hit.sum())},
    )


# --------------------------------------------------------------------------
# spike
# --------------------------------------------------------------------------

_REFERENCE = Param("reference", Text("a period 'START/END' or a leading span like '30D'", check_reference),
                   None, nullable=True, doc="derive the statistics from this period only")


@register(
    "spike",
    params={
        "threshold": Param("threshold", _POSITIVE, None, nullable=True, derived=(
            "max(k x robust sd of the steps (at least the resolution), rise x a typical day's "
            "largest step), from the series or its reference period")),
        "k": _POSITIVE,
        "rise": Param("rise", _NON_NEGATIVE, 2.0,
                      doc="multiplier of a typical day's largest step for the derived threshold"),
        "extremum": Param("extremum", Boolean(), True,
                          doc="judge how far a value sticks out beyond both neighbours (GTSPP/Argo)"),
        "suppress_neighbours": Boolean(),
        "reference": _REFERENCE,
    },
    family="sensor",
    # d_i needs both neighbours; suppressing a spike's neighbours compares d_{i-1}, d_{i+1} too;
    # a threshold derived from the series needs the whole series (or its reference period)
    reach=lambda p: WHOLE if p["threshold"] is None else (
        Reach.points(2, 2) if p["suppress_neighbours"] else Reach.points(1, 1)),
    formula=("extremum: |x_i - (x_{i-1} + x_{i+1})/2| - |x_{i+1} - x_{i-1}|/2 > threshold (GTSPP/Argo); "
             "else |d_i| > threshold, d_i = x_i - (x_{i-1} + x_{i+1})/2 (time-weighted when "
             "irregular; QARTOD); threshold None: max(k * max(1.4826 MAD(dx), q), rise * "
             "median over days of the day's second-largest |dx|)"),
)
def spike(values, *, threshold: float | None = None, k: float = AUTO_K, rise: float = 2.0,
          extremum: bool = True, suppress_neighbours: bool = True, reference: str | None = None,
          times=None) -> Detection:
    """Spike test: flag a value that sticks out beyond both of its neighbours.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    threshold : float, optional
        The largest allowed score, in the data's units (the spike threshold
        of QARTOD and GTSPP). None (default): derived from the series
        itself (see Notes).
    k : float, default 8.0
        Multiplier of the robust s.d. of the steps for the derived threshold.
    rise : float, default 2.0
        Multiplier of a typical day's largest step for the derived threshold
        (0: noise only).
    extremum : bool, default True
        True: the GTSPP/Argo spike test, which judges only how far a value
        sticks out beyond *both* neighbours, so a value on a rise or a fall
        (a storm front sampled every 1–2 h) is never a spike. False: the
        QARTOD spike test (distance from the neighbours' mean).
    suppress_neighbours : bool, default True
        With ``extremum=False``: do not flag the good neighbours of a large
        one-point spike (see Notes); False reproduces QARTOD exactly. (The
        extremum score of a spike's neighbours is small anyway.)
    reference : str, optional
        Derive the threshold from this period only (``"START/END"`` or a
        leading span like ``"30D"``); the whole series is judged.
    times : array of datetime64, optional
        Timestamps (context passed by the engine); weight the neighbours of
        the QARTOD score when the sampling is irregular, and group steps by
        day for the derived threshold.

    Returns
    -------
    Detection
        ``score`` is :math:`s_i` (extremum) or :math:`d_i` (QARTOD), in data
        units; bounds are the values beyond which :math:`x_i` is flagged:
        :math:`[\\min(x_{i-1}, x_{i+1}) - \\tau, \\max(x_{i-1}, x_{i+1}) + \\tau]`
        (extremum) or :math:`\\hat x_i \\pm \\tau` (QARTOD). ``stats``:
        ``threshold`` (τ), ``scale``, ``daily_step``, ``resolution`` and
        ``derived`` (the derivation in words).

    Notes
    -----
    With :math:`x_{i-1}, x_{i+1}` the nearest non-missing neighbours, the
    GTSPP/Argo test value [3]_ [4]_ is

    .. math:: s_i = \\left|x_i - \\frac{x_{i-1} + x_{i+1}}{2}\\right|
              - \\frac{|x_{i+1} - x_{i-1}|}{2}
              = \\min(|x_i - x_{i-1}|, |x_i - x_{i+1}|)
              \\ \\text{for a local extremum, else} \\le 0,

    the amount by which :math:`x_i` sticks out beyond both neighbours. The
    QARTOD value [1]_ is :math:`d_i = x_i - \\hat x_i`,
    :math:`\\hat x_i = x_{i-1} + (x_{i+1} - x_{i-1})(t_i - t_{i-1})/(t_{i+1} - t_{i-1})`
    (the neighbours' mean for regular sampling); a value on a rise gets
    :math:`|d_i|` up to half the rise, which is why QARTOD flags storm fronts
    at coarse sampling. A point is flagged when its score exceeds τ. The
    first and last values have one neighbour only and are not evaluated.

    *Derived threshold* (``threshold=None``), from the series' own steps
    :math:`\\Delta x_j = x_j - x_{j-1}` at its sampling interval:

    .. math:: \\tau = \\max\\bigl(k\\,\\max(1.4826\\,\\mathrm{MAD}(\\Delta x),\\ q),\\
              \\text{rise}\\cdot\\operatorname{med}_{\\text{days}}\\max_{\\text{day}}|\\Delta x|\\bigr)

    The first term is the noise: a value must stick out k = 8 robust s.d.
    of the steps (at least 8 resolution steps q, :func:`resolution`); MAD = 0
    falls back to 1.253314 MeanAD (Iglewicz & Hoaglin 1993). The second is
    the size of natural rises at this sampling interval: a typical day's
    largest natural step (the median over days of each day's second-largest
    step: one fault a day and faults on fewer than half of the days are
    ignored), doubled. At 1–1.5 h sampling natural steps are larger, and
    so is τ. A series whose steps are all 0 or that is a straight line has
    no spread: nothing is evaluated.

    With ``extremum=False`` a large spike S also gives each neighbour
    :math:`d \\approx -S/2`, so QARTOD flags the two good neighbours with it.
    With ``suppress_neighbours``, a flagged point is left unflagged when an
    adjacent flagged point deviates the other way at least 1.5 times as much
    (the ratio is 2 for a one-point spike, 1 for a two-point spike or a
    step, which stay flagged as in QARTOD).

    Fewer than 3 non-missing values: nothing is evaluated.

    References
    ----------
    .. [1] U.S. IOOS (2020), *Manual for Real-Time Quality Control of In-situ
       Temperature and Salinity Data*, v2.1, test 10 (spike).
    .. [2] ioos_qc, ``qartod.spike_test`` (https://github.com/ioos/ioos_qc).
    .. [3] Argo Data Management Team (2021), *Argo Quality Control Manual for
       CTD and Trajectory Data*, v3.5, real-time test 9 (spike test).
    .. [4] UNESCO-IOC (2010), *GTSPP Real-Time Quality Control Manual*,
       IOC Manuals and Guides 22, test 2.9 (spike).
    .. [5] B. Iglewicz and D. C. Hoaglin (1993), *How to Detect and Handle
       Outliers*, ASQC Quality Press.

    Examples
    --------
    >>> x = [10.0, 10.1, 10.0, 14.0, 10.1, 10.0]
    >>> det = spike(x, threshold=1.0)
    >>> det.mask.nonzero()[0]
    array([3])
    >>> float(det.score[3]), float(det.upper[3])  # 14 - max(10.0, 10.1); 10.1 + 1
    (3.9, 11.1)

    A storm front sampled hourly is a rise, not a spike (QARTOD flags it):

    >>> x = [10.0, 10.2, 10.1, 30.0, 60.0, 61.0, 60.5]
    >>> bool(spike(x, threshold=5.0).mask.any())
    False
    >>> spike(x, threshold=5.0, extremum=False, suppress_neighbours=False).mask.nonzero()[0]
    array([2, 3, 4])
    """
    x = as_float(values)
    n = x.size
    params = {"threshold": threshold, "k": k, "rise": rise, "extremum": extremum,
              "suppress_neighbours": suppress_neighbours, "reference": reference}
    if reference is not None and times is None:
        raise need_times("spike", "reference", reference)
    t = time_ns(times, n, "spike") if times is not None else None
    idx = valid_index(x, t)
    if idx.size < 3:
        return Detection.not_evaluated(
            x, method="spike", params=params,
            note=f"{idx.size} non-missing value(s): at least 3 are needed (two neighbours)",
        )
    xv = x[idx]
    prev, mid, nxt = xv[:-2], xv[1:-1], xv[2:]
    half_p, half_n = 0.5 * prev, 0.5 * nxt  # halves first: no overflow near the largest float
    if extremum:
        with np.errstate(over="ignore", invalid="ignore"):
            d = np.abs(mid - (half_p + half_n)) - np.abs(half_n - half_p)
        ref = None
    else:
        if t is not None:
            tv = t[idx]
            span = (tv[2:] - tv[:-2]).astype(np.float64)
            pos = span > 0
            w = np.where(pos, (tv[1:-1] - tv[:-2]) / np.where(pos, span, 1.0), 0.5)
            with np.errstate(over="ignore", invalid="ignore"):
                ref = prev + w * (nxt - prev)
            huge = ~np.isfinite(ref)  # neighbours near the largest float: weigh halves instead
            ref[huge] = (1 - w[huge]) * prev[huge] + w[huge] * nxt[huge]
        else:
            ref = half_p + half_n
        with np.errstate(over="ignore", invalid="ignore"):
            d = mid - ref
    stats: dict = {}
    note = ""
    if threshold is None:
        pos_ref = reference_positions(reference, t, idx, "spike")
        xr = xv[pos_ref]
        tr = t[idx][pos_ref] if t is not None else None
        scale, note = step_scale(xr)
        quantum = resolution(xr)
        day = daily_max_step(xr, tr)
        stats.update(scale=scale, resolution=quantum, daily_step=day)
        if not scale > 0 or not np.any(np.abs(np.diff(xr, 2)) > 1e-12 * max(1.0, float(np.max(np.abs(xr))))):
            return Detection.not_evaluated(
                x, method="spike", params=params, stats=stats,
                note="every value equals its neighbours' reference (a constant or a straight "
                     "line): no spread to set an automatic threshold; give threshold",
            )
        noise, natural = k * scale, rise * day
        thr = max(noise, natural)
        which = (f"k {k:g} x step sd {scale:.4g}" if noise >= natural
                 else f"rise {rise:g} x typical day's largest step {day:.4g}")
        stats["derived"] = (f"threshold={thr:.4g} ({which}; the other: "
                            + (f"{natural:.4g}" if noise >= natural else f"{noise:.4g}")
                            + f"), resolution={quantum:.6g}"
                            + (f", from {reference}" if reference is not None else ""))
    else:
        thr = float(threshold)
        stats["derived"] = f"threshold={thr:g} (given)"
    stats["threshold"] = thr
    absd = np.abs(d) if not extremum else d
    hit = absd > thr
    if not extremum and suppress_neighbours and hit.any():
        victim = np.zeros(hit.size, dtype=bool)
        # neighbour on the right (j = i + 1) and on the left (j = i - 1) of each point i
        opp = ((d[1:] > 0) & (d[:-1] < 0)) | ((d[1:] < 0) & (d[:-1] > 0))  # no product: no overflow
        victim[:-1] |= hit[1:] & opp & (absd[1:] >= 1.5 * absd[:-1])
        victim[1:] |= hit[:-1] & opp & (absd[:-1] >= 1.5 * absd[1:])
        hit &= ~victim
    inner = idx[1:-1]
    evaluated = np.zeros(n, dtype=bool)
    evaluated[inner] = True
    mask = np.zeros(n, dtype=bool)
    mask[inner] = hit
    score, lower, upper = nan_array(n), nan_array(n), nan_array(n)
    score[inner] = d
    if extremum:
        lower[inner] = np.minimum(prev, nxt) - thr
        upper[inner] = np.maximum(prev, nxt) + thr
    else:
        assert ref is not None  # set above whenever not extremum
        lower[inner] = ref - thr
        upper[inner] = ref + thr
    return Detection(mask=mask, evaluated=evaluated, score=score, lower=lower, upper=upper,
                     method="spike", params=params, stats=stats, note=note)


# --------------------------------------------------------------------------
# rate_of_change
# --------------------------------------------------------------------------

@register(
    "rate_of_change",
    params={"threshold": Param("threshold", _POSITIVE, None, nullable=True, derived=(
                "max(k x robust sd of the rates (at least one resolution step per median "
                "step), rise x a typical day's fastest rate), from the series or its reference")),
            "per": Param("per", WindowSpan(allow_count=False), "1h", nullable=True),
            "k": _POSITIVE,
            "rise": Param("rise", _NON_NEGATIVE, 2.0,
                          doc="multiplier of a typical day's fastest rate for the derived threshold"),
            "reference": _REFERENCE},
    family="sensor",
    reach=lambda p: WHOLE if p["threshold"] is None else Reach.points(1, 0),
    formula=("|x_i - x_{i-1}| / ((t_i - t_{i-1}) / per) > threshold; "
             "threshold None: max(k * max(1.4826 MAD(r), q / dt_med), rise * median over days "
             "of the day's second-largest |r|)"),
)
def rate_of_change(values, *, threshold: float | None = None, per: str | None = "1h",
                   k: float = AUTO_K, rise: float = 2.0, reference: str | None = None,
                   times=None) -> Detection:
    """Rate-of-change test (QARTOD): flag a value reached too fast from the previous one.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    threshold : float, optional
        The largest allowed :math:`|\\Delta x / \\Delta t|`, in data units
        per ``per``. None (default): an automatic threshold
        :math:`k \\cdot 1.4826\\,\\mathrm{MAD}(r)` from the series' own rates.
    per : str or None, default "1h"
        The time unit of rates and ``threshold`` (a fixed offset: "15min",
        "1h", "1D"); needs timestamps. None: rates per step between
        consecutive values, ignoring time (works without timestamps).
    k : float, default 8.0
        Multiplier of the robust scale for the automatic threshold.
    rise : float, default 2.0
        Multiplier of a typical day's fastest rate for the derived threshold
        (0: noise only).
    reference : str, optional
        Derive the threshold from this period only (``"START/END"`` or a
        leading span like ``"30D"``); the whole series is judged.
    times : array of datetime64, optional
        Timestamps (context passed by the engine). Irregular steps are fine:
        each rate uses its own :math:`\\Delta t`.

    Returns
    -------
    Detection
        ``score`` is the signed rate :math:`r_i` (units per ``per``);
        bounds are :math:`x_{i-1} \\pm` threshold · Δt/per, the values
        reachable from the previous one.

    Raises
    ------
    InputError
        When ``per`` is a time offset and there are no timestamps.

    Notes
    -----
    With :math:`x_{i-1}` the previous non-missing value:

    .. math:: r_i = \\frac{x_i - x_{i-1}}{(t_i - t_{i-1}) / \\text{per}}

    and point i is flagged when :math:`|r_i| >` threshold (QARTOD compares
    the change with a rate in units per second; ``per`` makes the unit
    readable). The first value has no predecessor and is not evaluated, nor
    is a value with the same timestamp as its predecessor. As in QARTOD, a
    one-point spike gives two fast changes (up, then back), so the value
    after a spike is flagged too; use :func:`spike` to single it out. A
    change across a data gap is judged at its mean rate over the gap.

    Derived threshold (``threshold=None``):
    :math:`\\tau = \\max(k\\,\\hat\\sigma_r,\\ \\text{rise}\\cdot\\operatorname{med}_{\\text{days}}
    \\max_{\\text{day}}|r|)` -- k robust s.d. of the rates, and at least
    ``rise`` times a typical day's fastest change (the median over days of
    the day's second-largest |r|: how fast the quantity moves naturally at this
    site and sampling interval; robust to faults on fewer than half of the
    days) -- with
    :math:`\\hat\\sigma_r = \\max(1.4826\\,\\mathrm{MAD}(r),\\; q / \\Delta t_{med})`,
    where MAD = 0 (quantised sensors whose value mostly repeats) falls back
    to :math:`1.253314\\,\\mathrm{MeanAD}(r)` and :math:`q/\\Delta t_{med}`
    is one resolution step (:func:`resolution`) per median time step, as in
    :func:`spike`. It assumes rates centre on 0, true of environmental
    series over periods longer than their cycles. It is a screening aid: for
    routine QC set ``threshold`` from the site's history, as QARTOD asks. A series whose rates are all equal (constant or a straight line)
    has no spread: nothing is evaluated. Fewer than 2 non-missing values:
    nothing is evaluated.

    References
    ----------
    .. [1] U.S. IOOS (2020), *Manual for Real-Time Quality Control of In-situ
       Temperature and Salinity Data*, v2.1, test 11 (rate of change).
    .. [2] ioos_qc, ``qartod.rate_of_change_test`` (https://github.com/ioos/ioos_qc).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.to_datetime(["2020-01-01 00:00", "2020-01-01 00:15",
    ...                     "2020-01-01 00:30", "2020-01-01 01:30"]).to_numpy()
    >>> det = rate_of_change([10.0, 10.5, 13.0, 14.0], threshold=4.0, per="1h", times=t)
    >>> det.score.tolist()  # +0.5 in 15 min is 2/h; +1 in 60 min is 1/h
    [nan, 2.0, 10.0, 1.0]
    >>> det.mask.nonzero()[0]
    array([2])
    """
    x = as_float(values)
    n = x.size
    params = {"threshold": threshold, "per": per, "k": k, "rise": rise, "reference": reference}
    if per is not None and times is None:
        raise need_times("rate_of_change", "per", per)
    if reference is not None and times is None:
        raise need_times("rate_of_change", "reference", reference)
    use_t = times is not None and (per is not None or reference is not None)
    t = time_ns(times, n, "rate_of_change") if use_t else None
    idx = valid_index(x, t)
    if idx.size < 2:
        return Detection.not_evaluated(
            x, method="rate_of_change", params=params,
            note=f"{idx.size} non-missing value(s): at least 2 are needed",
        )
    xv = x[idx]
    dx = np.diff(xv)
    if t is not None and per is not None:
        steps = np.diff(t[idx]).astype(np.float64) / float(span_ns(per))
        ok = steps > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(ok, dx / np.where(ok, steps, 1.0), np.nan)
    else:
        steps = np.ones(dx.size)
        ok = np.ones(dx.size, dtype=bool)
        rate = dx
    note = ""
    if not ok.all():
        note = f"{int((~ok).sum())} value(s) share their predecessor's timestamp: not evaluated"
    stats: dict = {}
    if threshold is None:
        pos_ref = reference_positions(reference, t, idx, "rate_of_change")
        in_ref = np.zeros(idx.size, dtype=bool)
        in_ref[pos_ref] = True
        use = ok & in_ref[1:] & in_ref[:-1]
        r_ok = rate[use]
        if r_ok.size == 0:
            return Detection.not_evaluated(x, method="rate_of_change", params=params, note=note)
        _, scale, fallback = robust_scale(r_ok)
        # the data's resolution as a rate over the typical step
        quantum = resolution(xv[pos_ref]) / float(np.median(steps[use]))
        day = daily_max(np.abs(r_ok), t[idx][1:][use] if t is not None else None)
        stats.update(scale=scale, resolution=quantum, daily_rate=day)
        if not scale > 0:
            return Detection.not_evaluated(
                x, method="rate_of_change", params=params, stats=stats,
                note="every rate is the same (a constant or a straight line): no spread to set "
                     "an automatic threshold; give threshold",
            )
        note = "; ".join(s for s in (note, fallback) if s)
        noise, natural = k * max(scale, quantum), rise * day
        thr = max(noise, natural)
        unit = f"/{per}" if per is not None else " per step"
        which = (f"k {k:g} x rate sd {max(scale, quantum):.4g}{unit}" if noise >= natural
                 else f"rise {rise:g} x typical day's fastest rate {day:.4g}{unit}")
        stats["derived"] = (f"threshold={thr:.4g}{unit} ({which})"
                            + (f", from {reference}" if reference is not None else ""))
    else:
        thr = float(threshold)
        stats["derived"] = f"threshold={thr:g} (given)"
    stats["threshold"] = thr
    cur = idx[1:]
    evaluated = np.zeros(n, dtype=bool)
    evaluated[cur[ok]] = True
    mask = np.zeros(n, dtype=bool)
    with np.errstate(invalid="ignore"):
        mask[cur] = ok & (np.abs(rate) > thr)
    score, lower, upper = nan_array(n), nan_array(n), nan_array(n)
    score[cur] = rate
    allowed = thr * steps
    lower[cur[ok]] = (xv[:-1] - allowed)[ok]
    upper[cur[ok]] = (xv[:-1] + allowed)[ok]
    return Detection(mask=mask, evaluated=evaluated, score=score, lower=lower, upper=upper,
                     method="rate_of_change", params=params, stats=stats, note=note)


# --------------------------------------------------------------------------
# flat_line
# --------------------------------------------------------------------------

def flat_band(values: np.ndarray, tolerance: float) -> float:
    """The largest range still called flat: ``tolerance`` plus a rounding allowance.

    For tolerance > 0, 8 ulp of the largest |value| are added, so 7.51 - 7.50
    counts as 0.01. Used by :func:`flat_line` and by incremental runs (which
    must know whether a stretch of context is flat as the method sees it).
    """
    tol = float(tolerance)
    if tol > 0 and values.size:
        tol += 8 * np.finfo(np.float64).eps * float(np.max(np.abs(values)))
    return tol


def flat_run_lengths(x: np.ndarray, tolerance: float) -> np.ndarray:
    """For each b, the length L of the longest stretch x[b-L+1 .. b] with max - min <= tolerance.

    ``x`` has no NaN. O(n log n) and vectorised: binary lifting over the
    stretch length, with block maxima/minima from bottleneck's moving
    max/min (one pass per power of two), so no loop runs over the points.
    For tolerance 0 the stretches are runs of equal values (a cumsum).

    Examples
    --------
    >>> flat_run_lengths(np.array([1.0, 1.0, 1.0, 2.0, 2.05, 1.98]), 0.1)
    array([1, 2, 3, 1, 2, 3])
    """
    m = x.size
    pos = np.arange(m)
    if m == 0:
        return pos
    if tolerance == 0:
        starts = np.flatnonzero(np.concatenate(([True], x[1:] != x[:-1])))
        run_start = starts[np.cumsum(np.concatenate(([True], x[1:] != x[:-1]))) - 1]
        return pos - run_start + 1
    import bottleneck as bn

    length = np.ones(m, dtype=np.int64)
    cur_max = x.copy()
    cur_min = x.copy()
    top = int(math.floor(math.log2(m - 1))) if m > 1 else -1
    for level in range(top, -1, -1):  # ~log2(n) passes, each vectorised over all points
        block = 1 << level
        bmax = bn.move_max(x, block) if block > 1 else x
        bmin = bn.move_min(x, block) if block > 1 else x
        end = pos - length  # the block would end just before the current stretch
        can = end >= block - 1
        e = np.where(can, end, block - 1)
        new_max = np.maximum(cur_max, bmax[e])
        new_min = np.minimum(cur_min, bmin[e])
        ok = can & (new_max - new_min <= tolerance)
        length[ok] += block
        cur_max[ok] = new_max[ok]
        cur_min[ok] = new_min[ok]
    return length


#: Units in which a temperature's freezing point is 0 (the ice band of ``flat_line`` applies).
_CELSIUS = {None, "", "°C", "℃", "degC", "deg C", "C", "celsius", "Celsius"}


@register(
    "flat_line",
    params={
        "window": Param("window", WindowSpan(min_count=2), None, nullable=True, derived=(
            "max(floor, factor x the rank-th longest run of repeated values (within tolerance) "
            "in the series or its reference period), and >= min_points values")),
        "tolerance": _NON_NEGATIVE,
        "min_points": Interval(int, 2, None),
        "floor": Param("floor", WindowSpan(min_count=2), "12h",
                       doc="the shortest derived window (half a day: a quiet night)"),
        "factor": Param("factor", Interval(float, 1, None), 2.0,
                        doc="the derived window is this many times the rank-th longest run"),
        "rank": Param("rank", Interval(int, 1, None), 10,
                      doc="which longest natural run sets the window (10: the 10th longest)"),
        "ice_band": Param("ice_band", _NON_NEGATIVE, 0.3,
                          doc="water temperature (degC) runs within +-ice_band of 0 are ice, not judged"),
        "reference": Param("reference", Text("a period 'START/END' or a leading span like '30D'",
                                             check_reference), None, nullable=True,
                           doc="derive the window from this period only"),
    },
    family="sensor",
    # a flat stretch of length >= window holding x_i has one within [t_i - window, t_i + window]
    reach=lambda p: WHOLE if p["window"] is None else Reach(
        parse_window(p["window"]), parse_window(p["window"]), change_band=float(p["tolerance"])),
    formula=("flag every point of a stretch with max - min <= tolerance lasting >= window "
             "(time, with >= min_points values; or a count of points); window None: "
             "max(floor, factor * D_(rank)), D_(rank) the rank-th longest flat stretch of the series"),
)
def flat_line(values, *, window: int | str | None = None, tolerance: float = 0.0,
              min_points: int = 3, floor: int | str = "12h", factor: float = 2.0, rank: int = 10,
              ice_band: float = 0.3, reference: str | None = None, times=None,
              series: SeriesInfo | None = None) -> Detection:
    """Flat-line test (QARTOD): flag values stuck within ``tolerance`` for at least ``window``.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    window : str or int, optional
        The shortest persistence that is flagged: a fixed time offset
        ("2h", "1D"; needs timestamps), or a number of points (>= 2).
        None (default): derived from the series itself (see Notes) -- how
        long a value normally repeats at this resolution and sampling rate.
    tolerance : float, default 0.0
        The largest range (max − min) of a stretch still called flat, in the
        data's units (0: exactly repeated values).
    min_points : int, default 3
        With a time window, a flat stretch must also hold at least this many
        values (so two equal values across a long gap are not a flat line).
    floor : str or int, default "12h"
        The shortest derived window. A time floor needs timestamps; a count
        floor derives the window in points.
    factor : float, default 2.0
        The derived window is ``factor`` times the ``rank``-th longest flat
        stretch of the series (>= 1).
    rank : int, default 10
        Which of the longest flat stretches sets the derived window: the 10th
        longest, so that up to 9 stuck episodes in the record do not raise it.
    ice_band : float, default 0.3
        For a water-temperature series in °C: stretches whose values all lie
        within ±ice_band of 0 are water at its freezing point under ice,
        which stays there for days; they are neither counted nor flagged
        (0 judges them like any other).
    reference : str, optional
        Derive the window from this period only (``"2019-01-01/2019-03-01"``,
        or ``"30D"`` for the first 30 days); the whole series is judged.
    times : array of datetime64, optional
        Timestamps (context passed by the engine); may be irregular.
    series : SeriesInfo, optional
        What the series measures (context passed by the engine): the ice band
        applies to water temperature.

    Returns
    -------
    Detection
        ``score`` is how long the value had been flat when it was recorded
        (the longest flat stretch ending at the point), in units of the
        window used; no bounds (NaN). ``stats``: ``window`` (the window
        used, as a config value: seconds or points), ``window_hours``,
        ``run_hours`` (the rank-th longest stretch), ``n_runs``,
        ``resolution``, ``step_minutes``, ``n_flat``, ``longest`` and
        ``derived`` (the derivation in words, shown in provenance).

    Raises
    ------
    InputError
        When ``window`` (or, for a derived window, ``floor``) is a time offset
        and there are no timestamps.

    Notes
    -----
    A stretch :math:`x_a, \\dots, x_b` of non-missing values is flat when

    .. math:: \\max_{a \\le j \\le b} x_j - \\min_{a \\le j \\le b} x_j \\le \\text{tolerance}

    and it qualifies when :math:`t_b - t_a \\ge` window and
    :math:`b - a + 1 \\ge` min_points (time window), or
    :math:`b - a + 1 \\ge` window (count window). Every point of every
    qualifying stretch is flagged, the first ones included (QARTOD flags
    only the points after the first ``window``; SaQC's ``flagConstants``
    flags the whole plateau, as here). Missing values inside a stretch are
    skipped. The test is exact: for each b it finds the longest flat stretch
    ending at b, which contains every qualifying stretch ending at b.
    For tolerance > 0 a rounding allowance of 8 ulp of the largest |x| is
    added, so 7.51 − 7.50 counts as 0.01.

    *Derived window* (``window=None``). How long a value repeats naturally
    depends on the sensor's resolution q and on how fast the quantity moves
    against it: pH logged to 0.01 repeats for 8–10 h at night, water
    temperature logged to 0.1 °C every minute in a pipe network for 6–12 h,
    conductivity to 0.1 µS/cm rarely for an hour. So the window comes from the
    series' own flat stretches: with :math:`D_{(r)}` the r-th longest of the
    maximal flat stretches (:math:`t_b - t_a`, or points without timestamps),

    .. math:: W = \\max(\\text{floor},\\ \\text{factor} \\cdot D_{(r)})

    and at least ``min_points`` values. The r-th longest (r = ``rank`` = 10)
    is an upper quantile :math:`1 - r/N` of the N stretches that ignores up
    to r − 1 stuck episodes in the record itself; factor 2 leaves a margin
    above the longest natural runs (on the six LRO records, the longest
    unlabelled run of a non-freezing value is 0.8–1.3 times the 10th
    longest, and up to 1.6 times once the values are quantised to 0.1). The floor (12 h) is sensor practice: a quiet night's minimum
    lasts 6–10 h, and a value repeated to the sensor's resolution for half a
    day is the classic sign of a stuck logger (USGS, QARTOD). A sensor stuck
    for days is caught unless the record holds ``rank`` or more such
    episodes (then derive from a clean ``reference`` period, or give
    ``window``). Fewer than ``rank`` stretches: W = floor.

    A series that is flat as a whole (including a constant series) is not
    evaluated: with no variation anywhere the test cannot tell a stuck sensor
    from a quantity that did not change; ``Detection.note`` says so. Fewer
    values than a qualifying stretch needs: nothing is evaluated.

    References
    ----------
    .. [1] U.S. IOOS (2020), *Manual for Real-Time Quality Control of In-situ
       Temperature and Salinity Data*, v2.1, test 12 (flat line).
    .. [2] D. Schäfer et al., SaQC, ``flagConstants``
       (https://git.ufz.de/rdm-software/saqc).
    .. [3] R. J. Wagner et al. (2006), *Guidelines and standard procedures for
       continuous water-quality monitors*, USGS Techniques and Methods 1-D3.

    Examples
    --------
    >>> x = [7.0, 7.2, 7.1, 7.1, 7.1, 7.1, 7.3, 7.2]
    >>> flat_line(x, window=4).mask.nonzero()[0]
    array([2, 3, 4, 5])
    >>> import pandas as pd
    >>> t = pd.date_range("2020-01-01", periods=8, freq="30min").to_numpy()
    >>> flat_line(x, window="1h", times=t).mask.nonzero()[0]
    array([2, 3, 4, 5])

    A derived window: a 15-minute series whose values repeat for up to 2 h
    (runs of 1-9 values), then stuck for a day:

    >>> x = np.repeat(np.arange(200) % 7 * 0.1, np.arange(200) % 9 + 1)
    >>> x = np.r_[x, np.full(96, 5.0), x[:50]]
    >>> t = pd.date_range("2020-01-01", periods=x.size, freq="15min").to_numpy()
    >>> det = flat_line(x, times=t)
    >>> det.stats["derived"]
    'window=12h (floor 12h; 10th longest run 2h x 2 = 4h), resolution=0.1, step=15min'
    >>> int(det.mask.sum())
    96
    """
    x = as_float(values)
    n = x.size
    params = {"window": window, "tolerance": tolerance, "min_points": min_points, "floor": floor,
              "factor": factor, "rank": rank, "ice_band": ice_band, "reference": reference}
    derive = window is None
    win: int | str = floor if window is None else window
    by_time = isinstance(win, str)
    if isinstance(win, str) and times is None:  # (by_time)
        raise need_times("flat_line", "floor" if derive else "window", win)
    if reference is not None and times is None:
        raise need_times("flat_line", "reference", reference)
    use_t = times is not None and (by_time or reference is not None)
    t = time_ns(times, n, "flat_line") if use_t else None
    idx = valid_index(x, t)
    need = min_points if by_time else min(int(win), min_points) if derive else int(win)
    if idx.size < need:
        return Detection.not_evaluated(
            x, method="flat_line", params=params,
            note=f"{idx.size} non-missing value(s): a flat stretch needs at least {need}",
        )
    xv = x[idx]
    tv = t[idx] if (t is not None and by_time) else None
    tol = flat_band(xv, tolerance)
    if float(np.max(xv) - np.min(xv)) <= tol:
        return Detection.not_evaluated(
            x, method="flat_line", params=params,
            note="the whole series is flat (within tolerance): the test cannot tell a stuck "
                 "sensor from an unchanging value; nothing judged - check the sensor",
        )
    length = flat_run_lengths(xv, tol)
    b = np.arange(idx.size)
    a = b - length + 1
    # Ice: water temperature at its freezing point is physics, not a stuck sensor.
    ice = np.zeros(idx.size, dtype=bool)
    if (ice_band > 0 and series is not None and series.key == "temperature"
            and series.unit in _CELSIUS):
        near0 = np.abs(xv) <= ice_band
        ice = near0 & near0[a]
    stats: dict = {}
    q = resolution(xv)
    step = median_step(tv)
    if derive:
        starts, ends, dur = run_durations(xv, tv, length)
        inside = ~ice[ends]
        if reference is not None:
            pos = reference_positions(reference, t, idx, "flat_line")
            in_ref = np.zeros(idx.size, dtype=bool)
            in_ref[pos] = True
            inside &= in_ref[starts] & in_ref[ends]
        dur = dur[inside]
        floor_v = float(span_ns(win)) if isinstance(win, str) else float(int(win))
        run_k = float(np.sort(dur)[-rank]) if dur.size >= rank else 0.0
        w_v = max(floor_v, factor * run_k)
        if by_time:
            w_v = float(int(math.ceil(w_v / 1e9)) * 10**9)  # whole seconds: the config value
            stats.update(window=span_text(w_v), window_hours=w_v / 3.6e12,
                         run_hours=run_k / 3.6e12)
            why = (f"floor {fmt_span(floor_v)}; " if w_v == floor_v else "") + (
                f"{_ordinal(rank)} longest run {fmt_span(run_k)} x {factor:g}"
                f"{' = ' + fmt_span(factor * run_k) if w_v == floor_v else ''}")
            derived = f"window={fmt_span(w_v)} ({why})"
        else:
            w_v = float(max(int(math.ceil(w_v)), 2))
            stats.update(window=int(w_v), run_points=run_k)
            derived = (f"window={int(w_v)} points (floor {int(floor_v)}; {_ordinal(rank)} longest "
                       f"run {run_k:g} points x {factor:g})")
        stats["n_runs"] = float(dur.size)
        if reference is not None:
            derived += f", from {reference}"
    else:
        w_v = float(span_ns(win)) if isinstance(win, str) else float(int(win))
        derived = f"window={win} (given)"
        if by_time:
            stats["window_hours"] = w_v / 3.6e12
    derived += f", resolution={q:.6g}"
    if by_time:
        derived += f", step={fmt_span(step)}"
    if ice.any():
        derived += f", {int(ice.sum())} value(s) at 0 +-{ice_band:g} degC (ice) not judged"
    stats.update(resolution=q, step_minutes=step / 6e10, derived=derived)
    if by_time:
        assert tv is not None  # a time window has timestamps (checked above)
        duration = (tv - tv[a]).astype(np.float64)
        qualifies = (duration >= w_v) & (length >= min_points)
        score_v = duration / w_v
    else:
        qualifies = length >= w_v
        score_v = length / w_v
    qualifies &= ~ice
    m = idx.size
    cover = (np.bincount(a[qualifies], minlength=m + 1)
             - np.bincount(b[qualifies] + 1, minlength=m + 1))
    flagged = np.cumsum(cover)[:m] > 0
    evaluated = np.zeros(n, dtype=bool)
    evaluated[idx[~ice]] = True
    mask = np.zeros(n, dtype=bool)
    mask[idx] = flagged
    score = nan_array(n)
    score[idx] = score_v
    score[idx[ice]] = np.nan
    stats.update(n_flat=float(flagged.sum()), longest=float(np.max(score_v)))
    return Detection(
        mask=mask, evaluated=evaluated, score=score, lower=nan_array(n), upper=nan_array(n),
        method="flat_line", params=params, stats=stats,
    )


def _ordinal(k: int) -> str:
    """1st, 2nd, 3rd, 10th, ..."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"

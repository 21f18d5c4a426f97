"""Level shifts: stretches displaced by an offset between two opposite jumps.

A sensor that is recalibrated, cleaned, swapped or knocked during a site visit
can come back reading a constant offset too high or too low (a dissolved-oxygen
sonde reading +2 mg/L, a conductivity cell −4 µS/cm) until the next visit puts
it right. The record then shows a *sharp jump* into the wrong level, days or
weeks of plausible-looking values, and a sharp jump of about the same size back.
Range, spike and flat-line tests cannot see such a stretch: every value in it
is ordinary, only its level is wrong.

``level_shift`` finds those stretches from the two jumps that bound them:

======================  ======================================================
``level_shift``         the values between a sharp jump and a later sharp jump
                        of about the same size in the opposite direction
======================  ======================================================

It follows aquaflag's method contract (pure, NaN never flagged, parameters
declared as data) and the conventions of :mod:`aquaflag.methods.sensor`
(:mod:`aquaflag.windows` for the window grammar):
windows are a number of points or a fixed time offset (``"2h"``, ``"60D"``,
which need timestamps); a point without a value or a timestamp is not
evaluated and is skipped when the test looks for a value's neighbours.
"""

from __future__ import annotations

import numpy as np

from ..detection import Detection
from ..registry import Interval, Param, Text, WindowSpan, register
from ._common import (check_reference, daily_max_step, fmt_span, median_step, need_times, on_valid,
                      reference_positions, resolution, robust_scale, span_ns, span_text,
                      time_ns, valid_index)

__all__ = ["level_shift"]

_POSITIVE = Interval(float, 0, None, closed="neither")
_NON_NEGATIVE = Interval(float, 0, None, closed="left")


@register(
    "level_shift",
    params={"threshold": _POSITIVE,
            "rise": Param("rise", _NON_NEGATIVE, 3.0,
                          doc="a jump must exceed rise x a typical day's largest step"),
            "jump": Param("jump", _POSITIVE, None, nullable=True, derived=(
                "max(threshold x robust sd of the steps (at least the resolution), rise x a "
                "typical day's largest step, min_jump), from the series or its reference")),
            "ratio": Interval(float, 1, None, closed="left"),
            "tolerance": Interval(float, 0, 1, closed="neither"),
            "min_jump": _NON_NEGATIVE,
            "level_points": Param("level_points", Interval(int, 1, None), 4,
                                  doc="values each side whose medians confirm a jump moved the level"),
            "min_duration": WindowSpan(min_count=1),
            "max_duration": WindowSpan(min_count=1),
            "max_gap": Param("max_gap", WindowSpan(min_count=1), None, nullable=True,
                             derived="4 median sampling steps (4 points without timestamps)"),
            "reference": Param("reference", Text("a period 'START/END' or a leading span like '30D'",
                                                 check_reference), None, nullable=True,
                               doc="derive the jump size from this period only")},
    family="sensor",
    formula=("jump: |d_i| > tau = max(threshold * max(1.4826 MAD(d), q), rise * median over days of "
             "the day's second-largest |d|, min_jump), |d_i| >= ratio * w_i * max(|d_{i-1}|, |d_{i+1}|) and "
             "the medians of level_points values each side differ by >= |d_i|/2 the same way; "
             "flag x_a .. x_{b-1} between paired jumps a < b with |d_a + d_b| <= tolerance * "
             "max(|d_a|, |d_b|), min_duration <= t_b - t_a <= max_duration and no change "
             "inside as large"),
)
def level_shift(values, *, threshold: float = 10.0, rise: float = 3.0, jump: float | None = None,
                ratio: float = 3.0, tolerance: float = 0.3, min_jump: float = 0.0,
                level_points: int = 4, min_duration: int | str = "1D",
                max_duration: int | str = "60D", max_gap: int | str | None = None,
                reference: str | None = None, times=None) -> Detection:
    """Level-shift test: flag a stretch between a sharp jump and a sharp jump back.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    threshold : float, default 10.0
        A change between consecutive values is a *jump* when it exceeds
        ``threshold`` robust standard deviations of the series' changes
        (:math:`1.4826\\,\\mathrm{MAD}` of the first differences, at least
        the data's resolution).
    rise : float, default 3.0
        ... and ``rise`` times a typical day's largest change (the median
        over days of each day's second-largest :math:`|d|`): a calibration jump is
        larger than anything the quantity does on an ordinary day at this
        sampling interval, a natural step (a storm front, a diel swing) is not.
    jump : float, optional
        The jump size :math:`\\tau` in data units; None (default): derived
        (see Notes). Give it (e.g. from a fitted rule) to judge new data with
        a reference period's size.
    ratio : float, default 3.0
        ... and when it is at least ``ratio`` times the larger of the two
        neighbouring changes: the level moved in one step, not along a ramp
        (a storm front, a diel swing) nor as the edge of a one-point spike.
    tolerance : float, default 0.3
        Two jumps :math:`d_a, d_b` are *opposite* when
        :math:`|d_a + d_b| \\le` tolerance · :math:`\\max(|d_a|, |d_b|)`
        (0.3: the jump back is within 0.7–1.43 times the jump in, with the
        other sign, as when a field visit removes the offset that the last
        one introduced; natural pairs such as +12 / −6 µS/cm are not
        opposite; must be < 1).
    min_jump : float, default 0.0
        A floor for a jump, in data units (e.g. 0.3 mg/L for DO: smaller
        offsets are within the sensor's accuracy).
    level_points : int, default 4
        A jump must move the level: the median of the ``level_points``
        values after it minus the median of those before it (the jump's own
        two values included) has the jump's sign and at least half its size
        -- not the edge of a short excursion or a ramp.
    min_duration : int or str, default "1D"
        The shortest shifted stretch that is flagged (shorter ones are spikes:
        leave them to ``spike`` or ``hampel``). A number of points or a fixed
        time offset (needs timestamps).
    max_duration : int or str, default "60D"
        The longest: a jump not answered within this is not paired (the
        series' level may change for good, e.g. a sensor replaced).
    max_gap : int or str, optional
        A change across a gap of missing values longer than this is not a
        jump (the level may have moved during the gap). A number of points
        (1: consecutive values only) or a time offset. None (default):
        4 median sampling steps (4 points without timestamps).
    reference : str, optional
        Derive the jump size from this period only (``"START/END"`` or a
        leading span like ``"30D"``); the whole series is judged.
    times : array of datetime64, optional
        Timestamps (context passed by the engine); needed for any window
        given as a time offset.

    Returns
    -------
    Detection
        ``score`` is the estimated offset of the shifted stretch a point lies
        in, :math:`(d_a - d_b)/2` in data units (NaN outside shifted
        stretches); no bounds (NaN). ``stats`` holds the jump threshold
        used, the scale, the number of jumps and of shifted stretches.

    Raises
    ------
    InputError
        When a window is a time offset and there are no timestamps.

    Notes
    -----
    With :math:`x_1, \\dots, x_m` the non-missing values in time order,
    :math:`d_i = x_i - x_{i-1}` the change into value i (judged only between
    values at most ``max_gap`` apart) and :math:`w_i` the number of sampling
    steps it spans (1 without missing values in between), the jump threshold is

    .. math:: \\tau = \\max\\bigl(\\text{threshold} \\cdot \\max(1.4826\\,
              \\mathrm{MAD}(d),\\ q),\\ \\text{rise}\\cdot\\operatorname{med}_{\\text{days}}
              \\max_{\\text{day}}|d|,\\ \\text{min\\_jump}\\bigr)

    (q: the resolution, :func:`aquaflag.methods.sensor.resolution`; MAD = 0
    falls back to :math:`1.253314\\,\\mathrm{MeanAD}`, Iglewicz & Hoaglin
    1993, as in ``spike``). Value i is a *jump* when

    .. math:: |d_i| > \\tau \\quad\\text{and}\\quad
              |d_i| \\ge \\text{ratio} \\cdot w_i \\max(|d_{i-1}|, |d_{i+1}|)

    (a neighbouring change across a gap longer than ``max_gap`` counts as 0;
    :math:`w_i` because a ramp accumulates over a gap), and when the level
    moved: with :math:`L` = ``level_points``,
    :math:`\\operatorname{med}(x_i..x_{i+L-1}) - \\operatorname{med}(x_{i-L}..x_{i-1})`
    has the sign of :math:`d_i` and at least half its size.

    *Why natural steps are not paired.* The old default (jumps > 10 robust
    s.d. of the 15-minute changes, opposite within a factor 2) paired
    natural steps on other networks: conductivity falling after floods, a
    +12 / −6 µS/cm pair three weeks apart. A calibration offset differs from
    its surroundings in three ways natural steps do not, and each is now
    required: (1) both jumps exceed ``rise`` = 3 times a typical day's
    largest change at this sampling interval (the series' own distribution
    of steps, by day, so storms on a few days do not set it); (2) each jump
    moves the level and the level stays (medians of ``level_points`` values
    each side), so the edge of a storm pulse or a ramp is not a jump; (3)
    the jump back matches the jump in within ``tolerance`` = 0.3 (the
    offset is the same when it is removed as when it appeared).

    *Pairing.* Jumps are paired like brackets: visiting them in time order,
    each jump b is compared with the open (unpaired) jumps, the most recent
    first, dropping those more than ``max_duration`` away; the first that is
    opposite, :math:`|d_a + d_b| \\le` tolerance · :math:`\\max(|d_a|,
    |d_b|)`, is its partner, and the open jumps between them are dropped.
    Alternating jumps (down, up, down) can be paired two ways, and which
    stretch is the displaced one cannot be told from the jumps alone; the
    pairing is therefore also done visiting the jumps backward in time, and
    the pass that leaves fewer jumps *unexplained* is kept (the forward one
    on a tie). An unpaired jump is explained when the stretch it opens or
    closes can run off an end of the record within ``max_duration``.

    *Flagging.* A pair (a, b) flags :math:`x_a, \\dots, x_{b-1}` — from the
    first value at the wrong level to the last one before the jump back —
    when :math:`t_b - t_a \\ge` min_duration (shorter pairs are excursions,
    consumed but not flagged) and no change inside, apart from paired jumps,
    is as large as the smaller of :math:`|d_a|, |d_b|` (a displaced stretch
    is bounded by its two largest changes; storms and salt pulses are not).
    A jump without a partner flags nothing: a stretch running off either end
    of the record, or a shift never undone (a sensor replaced), is not
    flagged.

    The test looks at the jumps, not at the level of the values between
    them. It is specific (two sharp, matching, opposite steps with quiet
    data in between rarely happen by nature) but misses offsets that start
    or end gradually, offsets whose jump is blurred by junk or held values
    written during the visit, and flags real offsets whatever their size
    above ``tau`` (use ``min_jump`` for the size that matters). The scale
    comes from the whole series; the few jumps barely move a median of
    changes.

    Degenerate input: fewer than 3 values, no two values within
    ``max_gap``, or no change at all (a constant series: no scale): nothing
    is evaluated, ``Detection.note`` says why. A straight line has one
    change everywhere: no jump, nothing flagged.

    References
    ----------
    .. [1] R. J. Wagner, R. W. Boulger, C. J. Oblinger and B. A. Smith (2006),
       *Guidelines and standard procedures for continuous water-quality
       monitors*, USGS Techniques and Methods 1-D3 (fouling and calibration
       drift corrections between site visits).
    .. [2] A. S. Jones, T. L. Jones and J. S. Horsburgh (2022), "Toward
       automating post processing of aquatic sensor data", *Environmental
       Modelling & Software* 151, 105364 (calibration offsets in the Logan
       River Observatory records).
    .. [3] B. Iglewicz and D. C. Hoaglin (1993), *How to Detect and Handle
       Outliers*, ASQC Quality Press.

    Examples
    --------
    A DO sonde reads 2 mg/L high from point 4 to point 8, then is put right:

    >>> x = [9.0, 9.1, 9.0, 9.1, 11.1, 11.0, 11.1, 11.0, 11.1, 9.0, 9.1, 9.0]
    >>> # too short to know a typical day (rise=0) or to confirm levels with medians
    >>> det = level_shift(x, threshold=5, rise=0, level_points=1, min_duration=2,
    ...                   max_duration=100, max_gap=1)
    >>> det.mask.nonzero()[0]
    array([4, 5, 6, 7, 8])
    >>> round(float(det.score[4]), 2)  # (2.0 + 2.1) / 2
    2.05
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    n = x.size
    params = {"threshold": threshold, "rise": rise, "jump": jump, "ratio": ratio,
              "tolerance": tolerance, "min_jump": min_jump, "level_points": level_points,
              "min_duration": min_duration, "max_duration": max_duration, "max_gap": max_gap,
              "reference": reference}
    windows = {"min_duration": min_duration, "max_duration": max_duration, "max_gap": max_gap,
               "reference": reference}
    timed = {k: v for k, v in windows.items() if isinstance(v, str)}
    if timed and times is None:
        param, written = next(iter(timed.items()))
        raise need_times("level_shift", param, written)
    t = time_ns(times, n, "level_shift") if (times is not None and (timed or max_gap is None)) else None
    idx = valid_index(x, t)
    m = idx.size
    if m < 3:
        return Detection.not_evaluated(
            x, method="level_shift", params=params,
            note=f"{m} non-missing value(s): a shift and its return need at least 3",
        )
    xv = x[idx]

    def axis(window):
        """Coordinates of the valid values along ``window``'s unit, and the window's length."""
        if isinstance(window, str):
            assert t is not None  # a time window needs timestamps (required above)
            return t[idx], span_ns(window)
        return idx, int(window)

    stats: dict = {}
    derived = []
    if max_gap is None:
        step = median_step(t[idx]) if t is not None else float("nan")
        if t is not None and np.isfinite(step):
            gap_at, gap_max = t[idx], int(4 * step)
            stats["max_gap"] = span_text(4 * step)
            derived.append(f"max_gap={fmt_span(4 * step)} (4 x step {fmt_span(step)})")
        else:
            gap_at, gap_max = idx, 4
            stats["max_gap"] = 4
            derived.append("max_gap=4 points")
    else:
        gap_at, gap_max = axis(max_gap)
    len_at, max_len = axis(max_duration)
    min_at, min_len = axis(min_duration)

    d = np.diff(xv)  # d[k]: the change into valid position k + 1
    near = np.diff(gap_at) <= gap_max
    if not near.any():
        return Detection.not_evaluated(
            x, method="level_shift", params=params,
            note="no two consecutive values within max_gap: no change to judge",
        )
    pos_ref = reference_positions(reference, t, idx, "level_shift")
    in_ref = np.zeros(m, dtype=bool)
    in_ref[pos_ref] = True
    ref_steps = near & in_ref[1:] & in_ref[:-1]
    fallback = ""
    if jump is None:
        if not ref_steps.any():
            return Detection.not_evaluated(
                x, method="level_shift", params=params, stats=stats,
                note="no two consecutive values within max_gap in the reference: no change to judge",
            )
        _, scale, fallback = robust_scale(d[ref_steps])
        q = resolution(xv[pos_ref])
        sigma = max(scale, q)
        day = daily_max_step(xv[pos_ref], t[idx][pos_ref] if t is not None else None)
        stats.update(scale=sigma, resolution=q, daily_step=day)
        if not sigma > 0:
            return Detection.not_evaluated(
                x, method="level_shift", params=params, stats=stats,
                note="no value changes (a constant series): no scale to judge jumps against",
            )
        parts = {f"threshold {threshold:g} x step sd {sigma:.4g}": threshold * sigma,
                 f"rise {rise:g} x typical day's largest step {day:.4g}": rise * day,
                 "min_jump": min_jump}
        why = max(parts, key=parts.__getitem__)
        tau = parts[why]
        stats["jump"] = tau
        derived.insert(0, f"jump={tau:.4g} ({why})" + (f", from {reference}" if reference else ""))
    else:
        tau = max(float(jump), min_jump)
        derived.insert(0, f"jump={tau:g} (given)")
    stats["threshold"] = tau
    size = np.where(near, np.abs(d), 0.0)
    # A ramp accumulates over a gap: a change spanning w steps is compared with w x its neighbours.
    width = np.diff(idx).astype(np.float64)
    neighbour = np.maximum(np.concatenate(([0.0], size[:-1])), np.concatenate((size[1:], [0.0])))
    is_jump = near & (size > tau) & (size >= ratio * width * neighbour)
    for k in np.flatnonzero(is_jump).tolist():  # the level moved, and stayed: medians each side
        before = np.median(xv[max(0, k + 1 - level_points):k + 1])
        after = np.median(xv[k + 1:k + 1 + level_points])
        moved = (after - before) * np.sign(d[k])
        if not moved >= 0.5 * size[k]:
            is_jump[k] = False
    jumps = np.flatnonzero(is_jump)

    # Jump k leads into valid position k + 1; a pair (a, k) displaces positions a+1 .. k.
    def within(a: int, k: int) -> bool:
        return bool(len_at[k + 1] - len_at[a + 1] <= max_len)

    passes = []
    for order in (jumps, jumps[::-1]):  # forward, then backward in time
        pairs, paired = _pair(order, d, size, tolerance, within)
        lone = np.flatnonzero(is_jump & ~paired) + 1
        # An unpaired jump is explained when the stretch it opens or closes can run off an
        # end of the record within max_duration; otherwise it is left unexplained.
        reach = np.minimum(len_at[lone] - len_at[0], len_at[-1] - len_at[lone - 1])
        passes.append((int(np.count_nonzero(reach > max_len)), pairs, paired))
    unexplained, pairs, paired = min(passes, key=lambda p: p[0])  # a tie keeps the forward pass
    stretches: list[tuple[int, int, float]] = []
    for a, k in sorted(pairs):
        if min_at[k + 1] - min_at[a + 1] < min_len:
            continue  # a short excursion (a spike): consumed, not flagged
        inner = np.where(paired[a + 1:k], 0.0, size[a + 1:k])
        if inner.size and inner.max() >= min(size[a], size[k]):
            continue  # a change as large inside: not one displaced stretch
        stretches.append((a + 1, k + 1, 0.5 * (d[a] - d[k])))

    flagged = np.zeros(m, dtype=bool)
    score_v = np.full(m, np.nan)
    for lo, hi, offset in stretches:
        flagged[lo:hi] = True
        score_v[lo:hi] = offset
    stats.update(n_jumps=float(jumps.size), n_shifts=float(len(stretches)),
                 n_unexplained=float(unexplained), derived=", ".join(derived))
    return on_valid(n, idx, flagged, score_v, "level_shift", params, stats, note=fallback)


def _pair(order, d, size, tolerance, within) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Pair jumps like brackets, visiting them in ``order`` (forward or backward in time).

    Each jump is compared with the open jumps, the most recent first; the first
    whose change is opposite (``|d_a + d_k| <= tolerance * max``) and ``within``
    reach is its partner; the open jumps above the partner are dropped (they
    lie inside the pair). Open jumps out of reach are dropped first: visiting
    in time order (either way), the oldest open jumps are the farthest.
    Returns the pairs ``(earlier, later)`` and a mask of paired jumps.
    """
    paired = np.zeros(d.size, dtype=bool)
    pairs: list[tuple[int, int]] = []
    open_: list[int] = []
    for k in order:
        k = int(k)
        while open_ and not within(min(open_[0], k), max(open_[0], k)):
            open_.pop(0)
        partner = None
        for s in range(len(open_) - 1, -1, -1):
            a = open_[s]
            if abs(d[a] + d[k]) <= tolerance * max(size[a], size[k]):
                partner = s
                break
        if partner is None:
            open_.append(k)
            continue
        a = open_[partner]
        del open_[partner:]
        paired[a] = paired[k] = True
        pairs.append((min(a, k), max(a, k)))
    return pairs, paired

"""Stretch detectors: offsets, drift, degraded periods and failed sondes that last days or weeks.

Spike, range and flat-line tests judge a value against its neighbours; a
stretch anomaly is made of values that each look ordinary. A sonde reading
2 mg/L too high from the first row of a file until the field visit that fixed
it, a conductivity cell drifting for three weeks, turbidity that turns noisy
for a fortnight, a sonde that fails and takes several variables with it: only
the stretch as a whole is wrong. These detectors build an expected value for
each point, then look for *changes* in the level or the spread of what is
left, and decide which stretch between changes is the anomalous one:

======================  ======================================================
``offset_stretch``      level changes: the stretch between a sharp level change
                        and the opposite one, from the first row to the first
                        sharp change, or up to a field visit / calibration
``noisy_stretch``       spread changes: stretches whose short-term scatter is
                        several times the series' usual scatter (CUSUM or
                        penalised change points on the log-spread)
``sonde_failure``       several variables of one sonde stuck, missing or absurd
                        at once (needs the sonde's other variables)
======================  ======================================================

Conventions (as in :mod:`aquaflag.methods.sensor`): NaN is never flagged and
is skipped when a window is filled; windows are a number of points or a fixed
time span (``"1D"``), a time span being converted to points with the
series' usual (median) time step, so time windows need timestamps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..detection import Detection
from ..errors import ParameterError
from ..registry import Constraint, Interval, Options, WindowSpan, register
from ._changepoint import (cusum, excursions, pelt, points_of, regular_step, runs, segment_means,
                           window_medians)
from ._common import NAT, on_valid, resolution, robust_scale, time_ns, valid_index

__all__ = ["offset_stretch", "noisy_stretch", "sonde_failure", "DateList"]

_POSITIVE = Interval(float, 0, None, closed="neither")


@dataclass(frozen=True)
class DateList(Constraint):
    """A non-empty list of dates or date-times (ISO text, e.g. ``"2019-04-25 15:15"``)."""

    def check(self, value: Any) -> Any:
        if isinstance(value, str):
            value = (value,)
        if not isinstance(value, (list, tuple)) or not value:
            raise ValueError(f"must be {self.describe()}")
        out = []
        for v in value:
            if isinstance(v, bool) or v is None:
                raise ValueError(f"must be {self.describe()}")
            try:
                d = np.datetime64(v if not hasattr(v, "isoformat") else v.isoformat(), "ns")
            except (ValueError, TypeError):
                raise ValueError(f"must be {self.describe()}; {v!r} is not a date") from None
            if np.isnat(d):
                raise ValueError(f"must be {self.describe()}")
            out.append(str(d.astype("datetime64[s]")).replace("T", " "))
        return tuple(sorted(out))

    def describe(self) -> str:
        return "a non-empty list of dates like [\"2019-04-25 15:15\", \"2019-05-30\"]"

    def bad_values(self) -> list[Any]:
        return [[], "not a date", [3.5], ["2019-13-45"]]

    def example(self) -> Any:
        return ("2020-01-01 12:00",)


def _time_axis(x: np.ndarray, times, method: str, params: dict, windows: dict
               ) -> tuple[int | None, np.ndarray | None] | Detection:
    """The timestamps (int64 ns, checked) and their usual step, read once for a stretch method.

    Without timestamps both are None, and every window must be a number of points.
    With timestamps but fewer than two distinct ones there is no step: the
    not-evaluated Detection the method returns then.
    """
    if times is None:
        for name, w in windows.items():
            if isinstance(w, str) and not w.strip().isdigit():
                from ._common import need_times

                raise need_times(method, name, w)
        return None, None
    t = time_ns(times, x.size, method)
    step_ns = regular_step(t[t != NAT])
    if step_ns is None:
        return Detection.not_evaluated(x, method=method, params=params,
                                       note="fewer than two distinct timestamps: no time step")
    return step_ns, t


# --------------------------------------------------------------------------
# offset_stretch
# --------------------------------------------------------------------------

@register(
    "offset_stretch",
    params={"threshold": _POSITIVE,
            "sharpness": Interval(float, 0, 1, closed="right"),
            "persistence": Interval(float, 0, 1, closed="both"),
            "tolerance": Interval(float, 0, 1, closed="neither"),
            "ends": Options(("none", "first", "all")),
            "cycle": WindowSpan(min_count=2),
            "step": WindowSpan(min_count=1),
            "min_duration": WindowSpan(min_count=1),
            "max_duration": WindowSpan(min_count=1),
            "visits": DateList()},
    family="stretch",
    formula=("J_k = med(x[k+g : k+g+W]) - med(x[k-g-W : k-g]) (W: one cycle, g: step); "
             "D_k = med(x[k : k+g]) - med(x[k-g : k]); a sharp change at k: |J_k| > threshold * "
             "1.4826 MAD(J), |D_k| > threshold * 1.4826 MAD(D), D_k / J_k >= sharpness, the level "
             "lasting a second cycle (persistence); flag x_a .. x_{b-1} between opposite sharp "
             "changes (|J_a + J_b| <= tolerance * max |J|), and, by ends/visits, the stretch "
             "before an unpaired change while the level stays displaced by > |J_b|/2"),
)
def offset_stretch(values, *, threshold: float = 4.0, sharpness: float = 0.5,
                   persistence: float = 0.5, tolerance: float = 0.5, ends: str = "first", cycle: int | str = "1D",
                   step: int | str = "30min", min_duration: int | str = "6h",
                   max_duration: int | str = "60D", visits: tuple[str, ...] | None = None,
                   times=None) -> Detection:
    """Offset stretches: a level displaced between sharp level changes (calibration offsets, drift).

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    threshold : float, default 4.0
        A level change :math:`J_k` (the median of one cycle after point k
        minus the median of one cycle before it) counts when it exceeds
        ``threshold`` robust standard deviations of all the series' level
        changes :math:`J` (1.4826 MAD): a calibration jump is an outlier
        among day-over-day level changes.
    sharpness : float, default 0.5
        ... and when at least this fraction of it happens within ``step``
        (:math:`D_k / J_k`): a sensor serviced at a field visit changes its
        level in minutes, a season in days. :math:`|D_k|` must also exceed
        ``threshold`` robust standard deviations of all short-term changes
        :math:`D` (noise is not a change).
    persistence : float, default 0.5
        ... and when the new level lasts: the change measured between the
        second cycle after and the first cycle before k (and between the
        first after and the second before) is at least this fraction of
        :math:`J_k`, same sign (a storm rises sharply too, but its level does
        not last a day). 0 switches the check off. Changes within two cycles
        of the record's ends cannot be confirmed and are not used.
    tolerance : float, default 0.5
        Two sharp changes :math:`J_a, J_b` bound one displaced stretch when
        they are opposite: :math:`|J_a + J_b| \\le` tolerance ·
        :math:`\\max(|J_a|, |J_b|)` (the way back may be smaller or larger than
        the way in, e.g. when the offset drifted meanwhile).
    ends : {"none", "first", "all"}, default "first"
        Stretches with only one sharp change, at their end: "none" flags only
        paired stretches; "first" also flags from the first value of the
        record to the first sharp change (a sonde installed with an offset
        and put right at the next visit: no jump in, one jump out); "all"
        treats every unpaired sharp change as a field visit that put right
        the stretch before it (offset or drift).
    cycle : int or str, default "1D"
        The window of the level medians: one full cycle (a day for
        sub-daily data), so the daily cycle cancels.
    step : int or str, default "30min"
        How fast a sharp change happens; also the guard skipped on both sides
        of a change (odd values written during a visit).
    min_duration, max_duration : int or str, default "6h", "60D"
        Shortest and longest stretch flagged.
    visits : list of str, optional
        Dates of field visits or calibrations (e.g. the ``end`` column of a
        calibration-dates file). When given, the changes are looked for at
        these dates only (the largest short-term change within half a cycle
        of each date), need no sharpness, and each visit whose level change
        exceeds the threshold puts right the stretch before it, back to the
        previous visit or the record's start.
    times : array of datetime64, optional
        Timestamps (context passed by the engine); needed for time windows
        and for ``visits``.

    Returns
    -------
    Detection
        ``score`` is the estimated offset of the stretch a flagged point lies
        in (data units: minus the level change that ended it; NaN elsewhere).
        ``stats``: ``scale`` (1.4826 MAD of J), ``threshold`` (data units),
        ``n_changes`` (sharp changes found), ``n_stretches``.

    Raises
    ------
    InputError
        A time window or ``visits`` without timestamps.

    Notes
    -----
    With :math:`x_1..x_m` the non-missing values, :math:`W` the cycle and
    :math:`g` the step in points,

    .. math:: J_k = \\operatorname{med}(x_{k+g} .. x_{k+g+W-1}) -
              \\operatorname{med}(x_{k-g-W} .. x_{k-g-1}), \\qquad
              D_k = \\operatorname{med}(x_k .. x_{k+g-1}) -
              \\operatorname{med}(x_{k-g} .. x_{k-1})

    (a two-sample sliding-window change statistic with medians, robust to
    spikes; Truong, Oudre & Vayatis 2020, "window sliding"). Its scale is
    :math:`\\sigma_J = 1.4826\\,\\mathrm{MAD}(J)` over all k. Point k is a
    *sharp change* when :math:`|J_k| > \\tau = \\text{threshold}\\cdot\\sigma_J`
    and :math:`D_k/J_k \\ge` sharpness; of neighbouring candidates (within a
    cycle, same sign) the one with the largest :math:`|D_k|` is kept.

    *Pairs.* Sharp changes are paired like brackets: each with the most
    recent open change of opposite sign within ``max_duration`` that
    satisfies the tolerance, at least one of the two being a full (not weak)
    change; a pair (a, b) flags :math:`x_a .. x_{b-1}` when it lasts at
    least ``min_duration``. Alternating changes (down, up, down) can be
    paired two ways, so the pairing is done visiting the changes forward and
    backward in time, and the pass leaving fewer full changes unexplained
    (an unpaired change is explained when its stretch can run off an end of
    the record within ``max_duration``) is kept, the forward one on a tie
    (as ``level_shift`` does with single-step jumps).

    *One-sided stretches* (``ends``, ``visits``): a change b with no partner
    is taken to end a stretch whose error was :math:`e = -J_b` just before
    it. The stretch reaches back at most to the previous change (or the
    record's start, or ``max_duration``), and only while the level stays
    displaced: with :math:`L_i` the centred one-cycle running median and
    :math:`\\ell^*` the level after b, a backward CUSUM
    :math:`S_i = \\max(0, S_{i+1} + s (L_i - \\ell^*) - |J_b|/2)`
    (:math:`s = -\\operatorname{sign} J_b`; Page 1954) runs from b towards
    the past and the stretch starts where it last returns to 0. A constant
    offset keeps S growing (the whole stretch is flagged); a drift that
    grew from 0 to :math:`|J_b|` is flagged where it exceeded about half of
    it.

    What it cannot tell: which side of an unpaired change is wrong — the
    ``ends`` choice encodes the usual case (a visit puts a sensor right).
    Offsets that start or end gradually on both sides are not found, nor
    offsets smaller than the natural day-to-day level changes.

    Degenerate input: fewer than two cycles of values, or no spread of J
    (a constant series): nothing is evaluated, ``note`` says why.

    References
    ----------
    .. [1] E. S. Page (1954), "Continuous inspection schemes", *Biometrika*
       41(1/2), 100-115.
    .. [2] C. Truong, L. Oudre and N. Vayatis (2020), "Selective review of
       offline change point detection methods", *Signal Processing* 167.
    .. [3] R. J. Wagner, R. W. Boulger, C. J. Oblinger and B. A. Smith (2006),
       *Guidelines and standard procedures for continuous water-quality
       monitors*, USGS Techniques and Methods 1-D3 (fouling and calibration
       drift between site visits).
    .. [4] A. S. Jones, T. L. Jones and J. S. Horsburgh (2022), "Toward
       automating post processing of aquatic sensor data", *Environmental
       Modelling & Software* 151, 105364.

    Examples
    --------
    A DO sonde reads 2 mg/L high from the first row until a visit at point 300:

    >>> import numpy as np
    >>> t = np.arange(600)
    >>> x = 10 + 0.5 * np.sin(2 * np.pi * t / 48) + np.random.default_rng(1).normal(0, 0.05, 600)
    >>> x[:300] += 2.0
    >>> det = offset_stretch(x, cycle=48, step=2, min_duration=10, max_duration=1000)
    >>> det.mask.nonzero()[0][[0, -1]], round(float(det.score[0]), 1)
    (array([  0, 299]), 2.0)
    """
    x_all = np.asarray(values, dtype=np.float64).ravel()
    params = {"threshold": threshold, "sharpness": sharpness, "persistence": persistence,
              "tolerance": tolerance, "ends": ends,
              "cycle": cycle, "step": step, "min_duration": min_duration,
              "max_duration": max_duration, "visits": visits}
    windows = {"cycle": cycle, "step": step, "min_duration": min_duration, "max_duration": max_duration}
    if visits is not None and times is None:
        from ..errors import InputError

        raise InputError("visits of offset_stretch are dates but the data have no timestamps: give "
                         "the data a DatetimeIndex (aquaflag.read sets one)")
    axis = _time_axis(x_all, times, "offset_stretch", params, windows)
    if isinstance(axis, Detection):
        return axis
    step_ns, t_all = axis
    idx = valid_index(x_all, t_all)
    m = idx.size
    W = points_of(cycle, step_ns, method="offset_stretch", param="cycle", minimum=2)
    g = points_of(step, step_ns, method="offset_stretch", param="step")
    min_len = points_of(min_duration, step_ns, method="offset_stretch", param="min_duration")
    max_len = points_of(max_duration, step_ns, method="offset_stretch", param="max_duration")
    if m < 2 * W + 2 * g:
        return Detection.not_evaluated(
            x_all, method="offset_stretch", params=params,
            note=f"{m} non-missing value(s): a level change needs a cycle ({W} points) on each side")
    x = x_all[idx]
    back, fwd = window_medians(x, W, W)
    J = np.full(m, np.nan)
    J[g:m - g] = fwd[2 * g:] - back[:m - 2 * g]
    bh, fh = window_medians(x, g, 1)
    D = fh - bh
    finite = np.isfinite(J)
    _, sigma, _ = robust_scale(J[finite]) if finite.any() else (0.0, 0.0, "")
    q = resolution(x)
    sigma = max(sigma, q / 2)
    dfin = np.isfinite(D)
    sigma_d = max(robust_scale(D[dfin])[1] if dfin.any() else 0.0, q / 2)
    # the new level lasts: second cycle after vs first before, first after vs second before
    later = np.full(m, np.nan)
    earlier = np.full(m, np.nan)
    if m > 2 * (W + g):
        later[g:m - g - W] = fwd[2 * g + W:] - back[:m - 2 * g - W]
        earlier[g + W:m - g] = fwd[2 * g + W:] - back[:m - 2 * g - W]
    with np.errstate(invalid="ignore"):
        lasts = (np.sign(later) == np.sign(J)) & (np.sign(earlier) == np.sign(J)) & (
            np.abs(later) >= persistence * np.abs(J)) & (np.abs(earlier) >= persistence * np.abs(J))
    if persistence == 0:
        lasts = np.ones(m, dtype=bool)
    stats: dict[str, float] = {"scale": float(sigma)}
    if not sigma > 0:
        return Detection.not_evaluated(x_all, method="offset_stretch", params=params, stats=stats,
                                       note="the level never changes (a constant series): no scale")
    tau = threshold * sigma
    stats["threshold"] = float(tau)
    with np.errstate(invalid="ignore", divide="ignore"):
        big = finite & (np.abs(J) > tau) & (np.abs(D) > threshold * sigma_d)
    if visits is not None:
        assert t_all is not None  # visits without times were refused above
        with np.errstate(invalid="ignore"):
            changes = _at_visits(visits, t_all[idx], D, J, finite & (np.abs(J) > tau), W)
        stretches = _one_sided(changes, set(), J, x, W, g, min_len, max_len, "all")
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            sharp = finite & (D / J >= sharpness) & lasts
            # a weaker change may close (or open) a stretch whose other end is a full change
            weak = sharp & (np.abs(J) > (1 - tolerance) * tau) & (
                np.abs(D) > (1 - tolerance) * threshold * sigma_d)
        changes = _pick(np.flatnonzero(sharp & big), J, D, W)
        partners = _pick(np.flatnonzero(weak & ~big), J, D, W)
        pairs, paired = _pair(changes, partners, J, m, max_len, tolerance)
        stretches = [(a, b, 0.5 * (J[a] - J[b])) for a, b in pairs if b - a >= min_len]
        stretches += _one_sided(changes, paired, J, x, W, g, min_len, max_len, ends)
    stretches.sort()
    flagged = np.zeros(m, dtype=bool)
    score_v = np.full(m, np.nan)
    for a, b, off in stretches:
        flagged[a:b] = True
        score_v[a:b] = off
    stats.update(n_changes=float(len(changes)), n_stretches=float(len(stretches)))
    return on_valid(x_all.size, idx, flagged, score_v, "offset_stretch", params, stats)


def _pick(cand: np.ndarray, J, D, W) -> list[int]:
    """One change per cluster of candidates (same sign, gaps < W): the largest |D|."""
    out: list[int] = []
    if cand.size == 0:
        return out
    start = 0
    for i in range(1, cand.size + 1):
        if i == cand.size or cand[i] - cand[i - 1] >= W or np.sign(J[cand[i]]) != np.sign(J[cand[i - 1]]):
            group = cand[start:i]
            out.append(int(group[np.argmax(np.abs(D[group]))]))
            start = i
    return out


def _at_visits(visits, t, D, J, big, W) -> list[int]:
    """The change at each visit date: the largest |D| within half a cycle, if |J| is big there."""
    out = []
    for v in visits:
        vt = np.datetime64(v, "ns").astype(np.int64)
        k = int(np.searchsorted(t, vt))
        lo, hi = max(k - W // 2, 1), min(k + W // 2 + 1, t.size)
        if lo >= hi:
            continue
        seg = np.abs(np.nan_to_num(D[lo:hi]))
        j = lo + int(np.argmax(seg))
        if big[j]:
            out.append(j)
    return sorted(set(out))


def _pair(changes, partners, J, m, max_len, tolerance):
    """Pair opposite changes like brackets, forward and backward in time; keep the better pass.

    A pair needs at least one full change (``changes``; ``partners`` are
    weaker changes that may only complete a pair). Each pass visits the
    changes in time order (or reverse), comparing each with the open ones,
    the most recent first, within ``max_len``; the first opposite one within
    the tolerance is its partner and the open ones in between are dropped.
    The pass leaving fewer full changes *unexplained* is kept (forward on a
    tie): an unpaired change is explained when the stretch it ends or starts
    can run off an end of the record within ``max_len``.
    """
    full = set(changes)
    every = sorted(full | set(partners))
    passes = []
    for order in (every, every[::-1]):
        open_: list[int] = []
        pairs: list[tuple[int, int]] = []
        paired: set[int] = set()
        for b in order:
            open_ = [a for a in open_ if abs(b - a) <= max_len]
            for s in range(len(open_) - 1, -1, -1):
                a = open_[s]
                if ((a in full or b in full) and np.sign(J[a]) != np.sign(J[b])
                        and abs(J[a] + J[b]) <= tolerance * max(abs(J[a]), abs(J[b]))):
                    pairs.append((min(a, b), max(a, b)))
                    paired.update((a, b))
                    del open_[s:]
                    break
            else:
                open_.append(b)
        lone = [c for c in changes if c not in paired]
        unexplained = sum(1 for c in lone if min(c, m - c) > max_len)
        passes.append((unexplained, sorted(pairs), paired))
    _, pairs, paired = min(passes, key=lambda p: p[0])
    return pairs, paired


def _one_sided(changes, paired, J, x, W, g, min_len, max_len, ends):
    """Stretches ended by an unpaired change: the first one ("first") or each ("all")."""
    out: list[tuple[int, int, float]] = []
    if ends == "none":
        return out
    level = None
    prev = 0
    for i, b in enumerate(changes):
        if b in paired:
            prev = b
            if ends == "first":
                break
            continue
        if ends == "first" and i > 0:
            break
        a0 = max(prev, b - max_len)
        if level is None:
            level = _centred_median(x, W)
        a = _backward_extent(level, x, a0, b, J[b], W, g)
        if b - a >= min_len:
            out.append((a, b, -float(J[b])))
        prev = b
        if ends == "first":
            break
    return out


def _centred_median(x, W):
    import bottleneck as bn

    half = W // 2
    pad = np.concatenate((np.full(half, np.nan), x, np.full(W - 1 - half, np.nan)))
    return bn.move_median(pad, W, min_count=1)[W - 1:]


def _backward_extent(level, x, a0, b, Jb, W, g) -> int:
    r"""Start of a one-sided stretch ending at b: a backward CUSUM of the displacement.

    With :math:`e_i` the displacement of the level before b from the level
    after it (in the direction of the error) and :math:`k = |J_b|/2`, the
    backward cumulative sum :math:`C_i = \sum_{j=i}^{b-1} (e_j - k)` is
    largest where the displacement last exceeded k; the stretch starts at the
    beginning of the run of :math:`C > 0` around that maximum. A constant
    offset keeps C growing back to ``a0``; a linear drift from 0 to
    :math:`|J_b|` makes C return to 0 exactly where the drift began.
    """
    after = x[b + g:b + g + W]
    after = after[np.isfinite(after)]
    if after.size == 0 or b <= a0:
        return b
    ref = float(np.median(after))
    s = -math.copysign(1.0, Jb)
    e = s * (level[a0:b] - ref) - abs(Jb) / 2.0
    C = np.cumsum(e[::-1])[::-1]  # C[i] = sum of e[i:]
    top = int(np.argmax(C))
    if not C[top] > 0:
        return b
    below = np.flatnonzero(C[:top] <= 0)
    return a0 + (int(below[-1]) + 1 if below.size else 0)


# --------------------------------------------------------------------------
# noisy_stretch
# --------------------------------------------------------------------------

@register(
    "noisy_stretch",
    params={"threshold": Interval(float, 1, None, closed="neither"),
            "smooth": WindowSpan(min_count=3),
            "block": WindowSpan(min_count=1),
            "detector": Options(("cusum", "pelt")),
            "decision": _POSITIVE,
            "min_duration": WindowSpan(min_count=1)},
    family="stretch",
    formula=("r = x - running median over smooth; u = log max(|r|, q/2) averaged over blocks; "
             "flag stretches where mean(u) - median(u) > log(threshold): upper CUSUM "
             "(k = log(threshold)/2, alarm at decision * sd(u)) or PELT segments "
             "(penalty decision * sd(u)^2 * log m)"),
)
def noisy_stretch(values, *, threshold: float = 3.0, smooth: int | str = "2h",
                  block: int | str = "2h", detector: str = "cusum", decision: float = 5.0,
                  min_duration: int | str = "12h", times=None) -> Detection:
    """Noisy stretches: short-term scatter several times the series' usual (degraded sensors).

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    threshold : float, default 3.0
        The spread ratio flagged: a stretch whose short-term scatter is
        ``threshold`` times the series' typical scatter (must be > 1).
    smooth : int or str, default "2h"
        The robust expected value of each point is the centred running
        median over this window (it follows the daily cycle and storm
        rises, not the noise).
    block : int or str, default "2h"
        The log-scatter is averaged over blocks of this length before the
        change detection (noise of single values averages out).
    detector : {"cusum", "pelt"}, default "cusum"
        Change detection on the block means: an upper tabular CUSUM (Page
        1954) or optimal penalised segmentation (PELT, Killick et al. 2012).
    decision : float, default 5.0
        CUSUM: the decision interval h in standard deviations of the block
        means; PELT: the penalty per change in :math:`\\sigma^2 \\log m`.
    min_duration : int or str, default "12h"
        Shortest stretch flagged.
    times : array of datetime64, optional
        Timestamps (context passed by the engine); needed for time windows.

    Returns
    -------
    Detection
        ``score`` is the spread ratio of the block a point lies in
        (:math:`\\exp(\\bar u_{block} - \\tilde u)`); no bounds. ``stats``:
        ``typical_spread`` (median of :math:`|r|`), ``n_stretches``.

    Notes
    -----
    With :math:`r_i = x_i - \\operatorname{med}(x_{i-h} .. x_{i+h})` (the
    residual from a running median, Tukey 1977) and :math:`q` the data's
    resolution, :math:`u_i = \\log \\max(|r_i|, q/2)`. A change of scale by
    a factor :math:`\\rho` shifts the mean of :math:`u` by :math:`\\log\\rho`
    whatever the distribution, so a spread change is a level change of
    :math:`u`. Block means :math:`\\bar u_j` are standardised with the
    median :math:`\\tilde u` and :math:`\\sigma = 1.4826\\,\\mathrm{MAD}`
    of the block-to-block changes divided by :math:`\\sqrt 2`:
    :math:`z_j = (\\bar u_j - \\tilde u)/\\sigma`.

    *CUSUM*: :math:`S_j = \\max(0, S_{j-1} + z_j - k)`,
    :math:`k = \\tfrac12 \\log(\\text{threshold})/\\sigma` (half the shift
    to detect); an excursion of S above ``decision`` flags the blocks from
    its onset to its peak (:func:`~aquaflag.methods._changepoint.excursions`).
    *PELT*: the optimal segmentation of :math:`\\bar u` with penalty
    ``decision`` · :math:`\\sigma^2 \\log m`; segments whose mean exceeds
    :math:`\\tilde u + \\log(\\text{threshold})` are flagged.

    Degenerate input: fewer than 4 blocks of values, or no scatter at all
    (a constant or perfectly smooth series): nothing is evaluated.

    References
    ----------
    .. [1] E. S. Page (1954), "Continuous inspection schemes", *Biometrika* 41.
    .. [2] R. Killick, P. Fearnhead and I. A. Eckley (2012), "Optimal detection
       of changepoints with a linear computational cost", *JASA* 107.
    .. [3] J. W. Tukey (1977), *Exploratory Data Analysis*, Addison-Wesley
       (running medians).

    Examples
    --------
    Ten days of hourly data; days 4-6 are five times noisier:

    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> x = 5 + np.sin(np.arange(240) * 2 * np.pi / 24) + rng.normal(0, 0.05, 240)
    >>> x[96:168] += rng.normal(0, 0.25, 72)
    >>> det = noisy_stretch(x, smooth=5, block=4, min_duration=12)
    >>> lo, hi = det.mask.nonzero()[0][[0, -1]]
    >>> bool(88 <= lo <= 104 and 160 <= hi <= 172)
    True
    """
    x_all = np.asarray(values, dtype=np.float64).ravel()
    params = {"threshold": threshold, "smooth": smooth, "block": block, "detector": detector,
              "decision": decision, "min_duration": min_duration}
    windows = {"smooth": smooth, "block": block, "min_duration": min_duration}
    axis = _time_axis(x_all, times, "noisy_stretch", params, windows)
    if isinstance(axis, Detection):
        return axis
    step_ns, t_all = axis
    idx = valid_index(x_all, t_all)
    m = idx.size
    h = points_of(smooth, step_ns, method="noisy_stretch", param="smooth", minimum=3)
    B = points_of(block, step_ns, method="noisy_stretch", param="block")
    min_len = points_of(min_duration, step_ns, method="noisy_stretch", param="min_duration")
    if m < max(4 * B, h + 1, 8):
        return Detection.not_evaluated(x_all, method="noisy_stretch", params=params,
                                       note=f"{m} non-missing value(s): too few blocks of {B} to compare")
    x = x_all[idx]
    r = x - _centred_median(x, h | 1)
    q = resolution(x)
    absr = np.abs(r)
    typical = float(np.median(absr))
    floor = q / 2 if q > 0 else (typical / 10 if typical > 0 else 0.0)
    if not floor > 0 or not np.any(absr > floor):
        return Detection.not_evaluated(x_all, method="noisy_stretch", params=params,
                                       note="no scatter around the running median: nothing to compare")
    u = np.log(np.maximum(absr, floor))
    nb = m // B
    ub = u[:nb * B].reshape(nb, B).mean(axis=1)
    if m > nb * B:  # the last partial block
        ub = np.append(ub, u[nb * B:].mean())
    base = float(np.median(ub))
    _, sd, _ = robust_scale(np.diff(ub))
    sd = sd / math.sqrt(2)
    stats = {"typical_spread": typical, "block_sd": float(sd)}
    if not sd > 0:
        return Detection.not_evaluated(x_all, method="noisy_stretch", params=params, stats=stats,
                                       note="the scatter never changes: nothing to compare")
    shift = math.log(threshold)
    blocks: list[tuple[int, int]] = []
    if detector == "cusum":
        z = (ub - base) / sd
        up, _ = cusum(z, 0.5 * shift / sd)
        blocks = [(a, b + 1) for a, b in excursions(up, decision)]
    else:
        ends_ = pelt(ub, decision * sd * sd * math.log(ub.size), min_size=2)
        means = segment_means(ub, ends_)
        starts = [0] + ends_[:-1]
        blocks = [(a, b) for a, b, mu in zip(starts, ends_, means) if mu - base > shift]
    flagged_b = np.zeros(ub.size, dtype=bool)
    for a, b in blocks:
        flagged_b[a:b] = True
    flagged = np.repeat(flagged_b, B)[:m]
    if flagged.size < m:
        flagged = np.concatenate((flagged, np.repeat(flagged_b[-1:], m - flagged.size)))
    for a, b in runs(flagged):
        if b - a < min_len:
            flagged[a:b] = False
    ratio = np.repeat(np.exp(ub - base), B)[:m]
    if ratio.size < m:
        ratio = np.concatenate((ratio, np.full(m - ratio.size, ratio[-1])))
    stats["n_stretches"] = float(len(runs(flagged)))
    return on_valid(x_all.size, idx, flagged, ratio, "noisy_stretch", params, stats)


# --------------------------------------------------------------------------
# sonde_failure
# --------------------------------------------------------------------------

@register(
    "sonde_failure",
    params={"min_variables": Interval(int, 1, None),
            "stuck": WindowSpan(min_count=2),
            "gross": _POSITIVE,
            "min_duration": WindowSpan(min_count=1)},
    family="stretch",
    formula=("a variable is failing at t when stuck (same value for >= stuck), missing, or "
             "|x - median| > gross * 1.4826 MAD; flag x_t when >= min_variables of the sonde's "
             "variables (this one included) fail at t, for >= min_duration, and x_t itself is "
             "stuck or absurd or min_variables is reached without it"),
)
def sonde_failure(values, *, min_variables: int = 2, stuck: int | str = "3h", gross: float = 8.0,
                  min_duration: int | str = "3h", times=None, sonde=None) -> Detection:
    """Sonde failure: several variables of one sonde stuck, missing or absurd at the same time.

    Parameters
    ----------
    values : array_like, shape (n,)
        One series; NaN means missing.
    min_variables : int, default 2
        How many of the sonde's variables (this one included) must be
        failing at once.
    stuck : int or str, default "3h"
        A variable is *stuck* at t when its value has not changed for at
        least this long around t.
    gross : float, default 8.0
        A variable is *absurd* at t when it is more than ``gross`` robust
        standard deviations from its own median (1.4826 MAD; e.g. a DO of 0
        or a conductivity of 7999 in a river at 10 mg/L and 400 µS/cm).
    min_duration : int or str, default "3h"
        The shortest joint failure flagged.
    times : array of datetime64, optional
        Timestamps (context passed by the engine).
    sonde : dict of str -> array, optional
        The same station's other variables on the same rows (context passed
        by the engine: the series with the same station and another
        variable). Without them only this series' own evidence counts, so
        ``min_variables`` is capped at 1 and the test flags this series'
        stuck or absurd stretches.

    Returns
    -------
    Detection
        ``score`` is the number of failing variables at each point; no
        bounds. ``stats``: ``n_variables`` (the sonde's, this one included).

    Notes
    -----
    For each variable v and time t, :math:`f_v(t) = 1` when v is missing,
    stuck (inside a run of one repeated value lasting at least ``stuck``),
    or :math:`|x_v(t) - \\operatorname{med}(x_v)| > \\text{gross}\\cdot
    1.4826\\,\\mathrm{MAD}(x_v)`. With :math:`F(t) = \\sum_v f_v(t)`, this
    series' value at t is flagged when :math:`F(t) \\ge` min_variables over
    a run of at least ``min_duration``, and its own :math:`f(t) = 1` (a
    variable still reading sensibly while its neighbours failed is left
    alone); missing values are never flagged. A series without any change
    is not evaluated (a stuck sensor cannot be told from a steady quantity,
    as in ``flat_line``). A sonde that is pulled out of the water or loses power
    stops or scrambles all its probes at once; one stuck probe among working
    ones is ``flat_line``'s case.

    References
    ----------
    .. [1] A. S. Jones, T. L. Jones and J. S. Horsburgh (2022), "Toward
       automating post processing of aquatic sensor data", *Environmental
       Modelling & Software* 151, 105364 (multivariate anomalies in the
       Logan River Observatory records).
    .. [2] U.S. IOOS (2020), *QARTOD manual for in-situ temperature and
       salinity observations*, flat line and gross range tests.

    Examples
    --------
    Conductivity and DO both freeze for 10 hours (hourly data):

    >>> import numpy as np
    >>> t = np.arange(48.0)
    >>> do = 9 + 0.5 * np.sin(t / 4); cond = 400 + 5 * np.cos(t / 5)
    >>> do[20:30] = do[20]; cond[20:30] = cond[20]
    >>> det = sonde_failure(do, stuck=4, min_duration=4, sonde={"cond(A)": cond})
    >>> det.mask.nonzero()[0]
    array([20, 21, 22, 23, 24, 25, 26, 27, 28, 29])
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    n = x.size
    params = {"min_variables": min_variables, "stuck": stuck, "gross": gross,
              "min_duration": min_duration}
    axis = _time_axis(x, times, "sonde_failure", params, {"stuck": stuck, "min_duration": min_duration})
    if isinstance(axis, Detection):
        return axis
    step_ns, _ = axis
    S = points_of(stuck, step_ns, method="sonde_failure", param="stuck", minimum=2)
    min_len = points_of(min_duration, step_ns, method="sonde_failure", param="min_duration")
    others = {}
    for name, arr in (sonde or {}).items():
        a = np.asarray(arr, dtype=np.float64).ravel()
        if a.size != n:
            raise ParameterError(f"sonde variable {name!r} has {a.size} values for {n}; give the "
                                 "same station's variables on the same rows")
        others[str(name)] = a
    valid = x[~np.isnan(x)]
    if valid.size < 2 or np.all(valid == valid[0]):
        return Detection.not_evaluated(
            x, method="sonde_failure", params=params,
            note="the series never changes: a stuck sonde cannot be told from a steady quantity")
    own = _failing(x, S, gross)
    note = "" if others else ("no other variables at this station (a station in the column "
                              "names, or a [columns] mapping, tells which series one sonde "
                              "measures): judged on this series alone")
    need = min(min_variables, 1 + len(others))
    count = own.astype(np.int64)
    for other in others.values():
        count = count + _failing(other, S, gross).astype(np.int64)
    evaluated = ~np.isnan(x)
    joint = count >= need
    for lo, hi in runs(joint):
        if hi - lo < min_len:
            joint[lo:hi] = False
    mask = joint & own & evaluated
    return Detection(mask=mask, evaluated=evaluated, score=np.where(evaluated, count, np.nan).astype(float),
                     lower=np.full(n, np.nan), upper=np.full(n, np.nan), method="sonde_failure",
                     params=params, stats={"n_variables": float(1 + len(others))}, note=note)


def _failing(x: np.ndarray, stuck: int, gross: float) -> np.ndarray:
    """Missing, stuck for >= ``stuck`` points, or absurdly far from the series' median."""
    fail = np.isnan(x)
    ok = ~fail
    if ok.sum() >= 2:
        v = x[ok]
        same = np.concatenate(([False], v[1:] == v[:-1]))
        run_id = np.cumsum(~same)
        length = np.bincount(run_id)[run_id]
        s = np.zeros(x.size, dtype=bool)
        s[np.flatnonzero(ok)] = length >= stuck
        fail |= s
        med, scale, _ = robust_scale(v)
        if scale > 0:
            with np.errstate(invalid="ignore"):
                fail |= ok & (np.abs(x - med) > gross * scale)
    return fail

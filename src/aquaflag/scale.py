"""The y range of a chart: scaled on the good values, so that sentinels do not flatten it.

A logger sentinel (7999 in a temperature column, -9999) or a typo 100 times the
normal level takes the whole height of an autoscaled chart and squashes every
real value to a flat line. The range is therefore taken from the *good*
values (finite and not flagged), widened to the flagged values and rule bounds
that lie near them; flagged values farther out are drawn at the chart's edge
with a marker of their own. The PNG figures (:mod:`aquaflag.plot`) and the
HTML report (:mod:`aquaflag.report`) both use it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["display_range", "edges", "NEAR_SPANS", "PAD"]

#: Flagged values and bounds within this many spans of the good values' range
#: widen the range; farther ones are drawn at the edge.
NEAR_SPANS = 1.0
#: Margin on each side, as a fraction of the range.
PAD = 0.06


def display_range(values: np.ndarray, flagged: np.ndarray,
                  extra: np.ndarray | None = None) -> tuple[float, float] | None:
    """(low, high) of the y axis for ``values``; None when there is no finite value.

    Parameters
    ----------
    values : ndarray of float
    flagged : ndarray of bool
        True where a rule flagged the value (suspect or fail).
    extra : ndarray of float, optional
        Other values worth showing when near the data (rule bounds).

    Examples
    --------
    >>> display_range(np.array([10.0, 12.0, 11.0, 7999.0]), np.array([False, False, False, True]))
    (9.88, 12.12)
    """
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    good = values[finite & ~np.asarray(flagged, dtype=bool)]
    if good.size == 0:
        good = values[finite]
    if good.size == 0:
        return None
    lo, hi = float(good.min()), float(good.max())
    span = hi - lo
    if span == 0:
        span = abs(hi) * 0.1 or 1.0
    near_lo, near_hi = lo - NEAR_SPANS * span, hi + NEAR_SPANS * span
    others = values[finite & np.asarray(flagged, dtype=bool)]
    if extra is not None:
        ex = np.asarray(extra, dtype=np.float64).ravel()
        others = np.concatenate([others, ex[np.isfinite(ex)]])
    near = others[(others >= near_lo) & (others <= near_hi)]
    if near.size:
        lo, hi = min(lo, float(near.min())), max(hi, float(near.max()))
    pad = PAD * ((hi - lo) or span)
    return round(lo - pad, 12), round(hi + pad, 12)


def edges(rng: tuple[float, float]) -> tuple[float, float]:
    """Where off-scale values are drawn: inside the margin band at each end of ``rng``."""
    lo, hi = rng
    inset = (hi - lo) * PAD / (1 + 2 * PAD) * 0.5
    return lo + inset, hi - inset

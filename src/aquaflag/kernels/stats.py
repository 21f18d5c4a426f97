"""Pure NumPy statistics kernels: medcouple, MAD, quantiles.

Everything here works on 1-d float arrays, ignores NaN, never mutates its
input and has no pandas or plotting dependency.

Why a medcouple of our own: statsmodels' exact medcouple
(``use_fast=False``) builds an n × n matrix (O(n²) time and memory, minutes
and gigabytes at n = 10⁵); its fast path is documented as an approximation;
other public implementations loop forever on a huge value (1e300, the netCDF
fill value 9.96921e36) after rescaling. :func:`medcouple` here is exact, runs
in O(n log n) expected time and O(n) memory, and has no data-dependent
convergence loop.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .._optional import available

#: Whether the compiled kernels can be used (``pip install 'aquaflag[fast]'``);
#: without numba the NumPy paths give the same results, more slowly.
HAS_NUMBA = available("numba")

__all__ = ["medcouple", "medcouple_owned", "mad", "mean_abs_dev", "quantiles", "finite", "mean_std"]

#: Candidate kernel values are materialised once at most this many per input value.
_MATERIALISE_PER_VALUE = 0.25
_MATERIALISE_MIN = 1 << 14
#: Rows counted at once (bounds the temporaries of a counting pass).
_CHUNK = 1 << 16
#: From this many values above the median on, the compiled selection runs (numba,
#: cached on disk); shorter series stay on NumPy, so small files never wait for a
#: compilation.
_COMPILED_MIN_ROWS = 1 << 14
#: The compiled selection materialises at most this many candidates per input value.
_COMPILED_CAP = 0.125
#: Random kernel values drawn per narrowing round (tuned on n = 1e4 ... 1e6).
_SAMPLE = 1 << 13


def finite(values: np.ndarray) -> np.ndarray:
    """Return the non-NaN values of ``values`` as a float64 array (a copy)."""
    x = np.asarray(values, dtype=np.float64).ravel()
    return x[~np.isnan(x)]


#: Above this magnitude, squares (and sums) could overflow: scale first.
_HUGE = 1e150


def mean_std(x: np.ndarray, ddof: int = 1) -> tuple[float, float]:
    """Mean and standard deviation of ``x`` (no NaN), without overflow.

    For values up to 1e150 this is exactly ``np.mean(x)`` and
    ``np.std(x, ddof=ddof)``. Beyond, the values are first scaled by a power
    of two (exact) so that the squares cannot overflow; a spike of 1e200 in
    ordinary data then still gives a finite standard deviation.

    Examples
    --------
    >>> mean_std(np.array([1.0, 2.0, 3.0]))
    (2.0, 1.0)
    >>> m, s = mean_std(np.array([7.0] * 99 + [1e200]))
    >>> round(m / 1e198, 6), round(s / 1e199, 6)
    (1.0, 1.0)
    """
    n = x.size
    if n == 0:
        return float("nan"), float("nan")
    big = float(np.max(np.abs(x)))
    if not big > _HUGE or not np.isfinite(big):
        return float(np.mean(x)), float(np.std(x, ddof=ddof)) if n > ddof else float("nan")
    scale = float(2.0 ** -np.ceil(np.log2(big)))
    y = x * scale
    with np.errstate(over="ignore"):
        return (float(np.mean(y)) / scale,
                float(np.std(y, ddof=ddof)) / scale if n > ddof else float("nan"))


def quantiles(values: np.ndarray, q=(0.25, 0.75)) -> np.ndarray:
    """Quantiles by linear interpolation (pandas' and NumPy's default), NaN ignored.

    Parameters
    ----------
    values : array_like
        The data.
    q : sequence of float
        Probabilities in [0, 1].

    Returns
    -------
    ndarray
        The quantiles; NaN for an empty or all-NaN input.

    Notes
    -----
    Hyndman & Fan (1996) definition 7: for sorted values :math:`x_{(1)} \\le
    \\dots \\le x_{(n)}`, :math:`Q(p) = x_{(k)} + (h - k)(x_{(k+1)} - x_{(k)})`
    with :math:`h = (n - 1)p + 1`, :math:`k = \\lfloor h \\rfloor`.

    Examples
    --------
    >>> quantiles([1.0, 2.0, 3.0, 4.0, np.nan])
    array([1.75, 3.25])
    """
    x = finite(values)
    if x.size == 0:
        return np.full(len(q), np.nan)
    return np.quantile(x, q)


def mad(values: np.ndarray, center: float | None = None) -> float:
    """Median absolute deviation (unscaled), NaN ignored.

    :math:`\\mathrm{MAD} = \\operatorname{med}_i |x_i - \\operatorname{med}_j x_j|`.
    Multiply by 1.4826 for a consistent estimate of σ under normality.

    Examples
    --------
    >>> mad([1.0, 2.0, 3.0, 4.0, 100.0])
    1.0
    """
    x = finite(values)
    if x.size == 0:
        return float("nan")
    c = np.median(x) if center is None else center
    return float(np.median(np.abs(x - c)))


def mean_abs_dev(values: np.ndarray, center: float | None = None) -> float:
    """Mean absolute deviation around the median (or ``center``), NaN ignored.

    Examples
    --------
    >>> mean_abs_dev([1.0, 1.0, 1.0, 5.0])
    1.0
    """
    x = finite(values)
    if x.size == 0:
        return float("nan")
    c = np.median(x) if center is None else center
    return float(np.mean(np.abs(x - c)))


def medcouple(values, *, rng: np.random.Generator | int | None = 0) -> float:
    """Medcouple: a robust measure of skewness (Brys, Hubert & Struyf 2004).

    Parameters
    ----------
    values : array_like
        The data; NaN values are ignored.
    rng : Generator, int or None
        Randomness for the pivot sampling. The *result* does not depend on it
        (the algorithm is exact); only the running time does. Default 0 keeps
        runs reproducible.

    Returns
    -------
    float
        MC in [-1, 1]; 0 for a constant series; NaN for an empty or all-NaN
        input.

    Notes
    -----
    With :math:`m` the median of the data (the mean of the two middle values
    for even n), :math:`u = x_j - m \\ge 0` and :math:`v = m - x_i \\ge 0`,

    .. math:: MC = \\operatorname{med}_{x_i \\le m \\le x_j} h(x_i, x_j), \\quad
              h(x_i, x_j) = \\frac{(x_j - m) - (m - x_i)}{x_j - x_i}
                          = \\frac{u - v}{u + v}.

    For the :math:`k` values tied at the median, numbered :math:`1..k`, the
    special kernel :math:`h = -1, 0, +1` as :math:`i + j - 1 <, =, > k`
    applies (Hubert & Vandervieren 2008). A pair of one tied value and one
    other gives :math:`\\pm 1`. The median of an even number of kernel values
    is the mean of the two middle ones. This is the exact definition computed
    by ``statsmodels.stats.stattools.medcouple(x, use_fast=False)`` and R
    robustbase ``mc(x, doReflect=TRUE, c.huberize=Inf)``.

    Algorithm: the kernel values of the tied block and of the mixed pairs are
    counted in closed form. The remaining :math:`p \\times q` kernel values
    form a matrix whose rows (sorted :math:`u`) and columns (sorted :math:`v`)
    are monotone, so the number of values below any :math:`t` is found by one
    vectorised binary search per row, using :math:`h(u, v) < t \\iff v >
    u (1 - t) / (1 + t)`. A randomized selection narrows the candidate band
    per row around the wanted rank (sample kernel values from the band, take
    sample quantiles just below and above the wanted rank, recount) until the
    band holds O(n) values, which are then materialised and partitioned. Each
    round costs O(n log n); a sample of 2¹³ shrinks the band about 10-fold per
    round, so about log(n²)/log(10) rounds are needed. Memory is O(n); there
    is no iteration on the data's values, so a huge value (1e300) cannot
    stall it.

    From 2¹⁴ values above the median on (with numba installed), the same
    selection runs compiled (:mod:`aquaflag.kernels._medcouple`): each count
    is one staircase walk over the rows, O(n), that also updates the band's
    limits per row; rounds sample 2¹⁵ kernel values (stratified over the
    band), so about log(n²/cap)/log(60) rounds are needed (3 for n = 10⁵).
    n = 10⁵ then takes about 6 ms after the O(n log n) sort (NumPy path:
    about 25 ms). Both paths rank kernel values by the same key and give the
    same value.

    References
    ----------
    .. [1] G. Brys, M. Hubert and A. Struyf (2004), "A robust measure of
       skewness", Journal of Computational and Graphical Statistics 13(4),
       996-1017.
    .. [2] M. Hubert and E. Vandervieren (2008), "An adjusted boxplot for
       skewed distributions", Computational Statistics & Data Analysis 52,
       5186-5201.

    Examples
    --------
    >>> medcouple([1.0, 1.2, 1.3, 1.5, 1.8, 2.2, 2.9, 4.0, 6.0, 30.0])
    0.6
    >>> medcouple([1.0, 1.0, 1.0])
    0.0
    """
    return medcouple_owned(finite(values), rng=rng)


def medcouple_owned(x: np.ndarray, *, rng=0, presorted: bool = False) -> float:
    """:func:`medcouple` of ``x`` (float64, no NaN), using ``x`` itself as work space.

    ``x`` is sorted (unless ``presorted``: the caller has sorted it) and then
    overwritten; callers that own a copy save a full-size copy on long series.
    """
    n = x.size
    if n == 0:
        return float("nan")
    if not presorted:
        x.sort()
    if np.isinf(x[0]) or np.isinf(x[-1]):
        return float("nan")
    with np.errstate(over="ignore"):
        if np.isinf(x[-1] - x[0]):
            # Distances from the median could overflow: halve everything (exact for
            # normal numbers; the kernel is scale-free).
            x *= 0.5
        if n % 2:
            med = x[n // 2]
        else:
            med = (x[n // 2 - 1] + x[n // 2]) / 2
            if np.isinf(med):  # two huge middle values of the same sign
                med = x[n // 2 - 1] / 2 + x[n // 2] / 2
    # u: distances above the median (ascending); v: distances below (ascending),
    # both computed in place in x (x - med and med - x are exact negatives of each other).
    lo, hi = int(np.searchsorted(x, med, side="left")), int(np.searchsorted(x, med, side="right"))
    u = x[hi:]
    u -= med
    v = x[:lo]
    np.subtract(med, v, out=v)
    v[:] = v[::-1]  # ascending (NumPy buffers the overlapping copy)
    k = hi - lo  # values tied at the median
    p, q = u.size, v.size
    if p >= _COMPILED_MIN_ROWS and HAS_NUMBA:
        return _medcouple_compiled(u, v, k)
    # Whole kernel multiset, ordered: n_minus values of -1, then the p*q
    # regular values (in (-1, 1)) merged with k zeros, then n_plus values of +1.
    half_ties = k * (k - 1) // 2
    n_minus = k * q + half_ties
    n_plus = k * p + half_ties
    total = (p + k) * (q + k)
    if total == 0:
        return 0.0

    selector = _KernelSelector(u, v, rng)
    n_neg = selector.count_negative()  # regular kernel values < 0

    def where(r: int) -> tuple[str, float | int]:
        """Rank r of the whole multiset -> ("value", v) or ("regular", rank)."""
        if r < n_minus:
            return "value", -1.0
        r -= n_minus
        if r >= p * q + k:
            return "value", 1.0
        if r < n_neg:
            return "regular", r
        if r < n_neg + k:
            return "value", 0.0
        return "regular", r - k

    ranks = [total // 2] if total % 2 else [total // 2 - 1, total // 2]
    places = [where(r) for r in ranks]
    if len(places) == 2 and places[0][0] == places[1][0] == "regular":
        r0, r1 = places[0][1], places[1][1]
        if r1 == r0 + 1:
            a, b = selector.select(int(r0), 2)
            return float((a + b) / 2)
    picked = [v if kind == "value" else selector.select(int(v), 1)[0] for kind, v in places]
    return float(sum(picked) / len(picked))


def _medcouple_compiled(u: np.ndarray, v: np.ndarray, k: int) -> float:
    """The medcouple from the sorted halves by the compiled selection (:mod:`._medcouple`).

    Work space: two int32 row limits per row of ``u`` and ``cap`` candidate keys
    with their pairs (16 bytes each): about 0.5 + 16/8 · ``_COMPILED_CAP`` times
    the input's size.
    """
    from ._medcouple import SAMPLE_MAX, medcouple_of_halves

    p, q = u.size, v.size
    cap = max(int(_COMPILED_CAP * (p + q)), _MATERIALISE_MIN)
    n_sample = min(SAMPLE_MAX, cap)
    ra = np.empty(p, dtype=np.int32)
    rb = np.empty(p, dtype=np.int32)
    mc, _ = medcouple_of_halves(u, p, v, q, k, cap, np.empty(cap), np.empty(cap, dtype=np.int64),
                                   np.empty(n_sample), np.empty(n_sample, dtype=np.int64),
                                   np.nan, 0.0, ra, rb)
    return float(mc)


class _KernelSelector:
    """Order statistics of h(u_i, v_j) = (u_i - v_j) / (u_i + v_j) over all i, j.

    ``u`` and ``v`` are positive and ascending. h is a decreasing function of
    the ratio ``v_j / u_i`` (h = (1 - ρ) / (1 + ρ)), so pairs are ranked by
    the *key* ``fl(v_j / u_i)``: one correctly rounded division, monotone in
    ``v_j`` for a fixed row, so counting (binary search) and materialising
    use the very same numbers and can never disagree, even with massive ties.
    Within row ``i`` position ``c`` holds ``v[q - 1 - c]``: keys decrease and
    kernel values increase with ``c``.
    """

    def __init__(self, u: np.ndarray, v: np.ndarray, rng) -> None:
        self.u, self.v = u, v
        self.p, self.q = u.size, v.size
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.cap = max(int(_MATERIALISE_PER_VALUE * (self.p + self.q)), _MATERIALISE_MIN)
        # per-row band limits: 4 bytes each unless a row is longer than int32 can count
        self.index_dtype: type[np.signedinteger] = np.int32 if self.q < 2**31 - 1 else np.int64

    def _key(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):  # a key beyond the largest float is inf: still ordered
            return self.v[self.q - 1 - cols] / self.u[rows]

    def _h(self, row: int, col: int) -> float:
        uu, vv = self.u[row], self.v[self.q - 1 - col]
        with np.errstate(over="ignore"):
            total = uu + vv
        if np.isinf(total):  # both near the largest float: halve (h is scale-free)
            uu, vv = uu * 0.5, vv * 0.5
            total = uu + vv
        return float((uu - vv) / total)

    def count_negative(self) -> int:
        """How many kernel values are negative (key > 1)."""
        return int(self._before(1.0, strict=True).sum())

    def _before(self, tau: float, strict: bool) -> np.ndarray:
        """Per row, how many positions come first: keys > tau (strict) or >= tau.

        Rows are done in chunks so that the temporaries stay small on long series.
        """
        out = np.empty(self.p, dtype=self.index_dtype)
        for a in range(0, self.p, _CHUNK):
            out[a:a + _CHUNK] = self._before_rows(tau, strict, self.u[a:a + _CHUNK])
        return out

    def _before_rows(self, tau: float, strict: bool, u: np.ndarray) -> np.ndarray:
        v, q = self.v, self.q
        side: Literal["left", "right"] = "right" if strict else "left"
        with np.errstate(over="ignore", invalid="ignore"):
            j = np.searchsorted(v, tau * u, side=side)  # first j counted, approximately

        # Exact fix-up against the key itself; each step jumps a whole run of equal v.
        def counted(jj, rows):
            key = v[jj] / u[rows]
            return key > tau if strict else key >= tau

        while True:
            rows = np.flatnonzero(j > 0)
            rows = rows[counted(j[rows] - 1, rows)]
            if rows.size == 0:
                break
            j[rows] = np.searchsorted(v, v[j[rows] - 1], side="left")
        while True:
            rows = np.flatnonzero(j < q)
            rows = rows[~counted(j[rows], rows)]
            if rows.size == 0:
                break
            j[rows] = np.searchsorted(v, v[j[rows]], side="right")
        return np.subtract(q, j, out=j)

    def select(self, r: int, m: int = 1) -> list[float]:
        """The r-th, ..., (r + m - 1)-th smallest (0-based) regular kernel values."""
        lo_idx = np.zeros(self.p, dtype=self.index_dtype)  # per row: candidates are [lo, hi)
        hi_idx = np.full(self.p, self.q, dtype=self.index_dtype)
        below = 0  # kernel values known to rank below every candidate
        sample = _SAMPLE
        while True:
            widths = hi_idx - lo_idx
            n_cand = int(widths.sum())
            target = r - below
            if n_cand <= max(self.cap, sample):  # (a sample as large as the band: take the band)
                rows = np.repeat(np.arange(self.p), widths)
                starts = np.cumsum(widths) - widths
                cols = np.arange(n_cand) - np.repeat(starts, widths) + np.repeat(lo_idx, widths)
                keys = self._key(rows, cols)
                wanted = np.arange(target, target + m)
                part = np.argpartition(-keys, wanted)
                return [self._h(rows[i], cols[i]) for i in part[wanted]]
            # Sample candidates uniformly from the band; pivots are sample keys
            # just before and after the wanted rank (keys run opposite to h).
            cum = np.cumsum(widths)
            picks = self.rng.integers(0, n_cand, size=sample)
            rows = np.searchsorted(cum, picks, side="right")
            cols = lo_idx[rows] + (picks - (cum[rows] - widths[rows]))
            keys = self._key(rows, cols)
            order = np.argsort(-keys, kind="stable")
            frac = target / n_cand
            spread = 3.0 * np.sqrt(sample * frac * (1 - frac)) + 2
            a = int(np.floor(frac * sample - spread))
            b = int(np.ceil(frac * sample + spread))
            new_lo = self._before(keys[order[a]], strict=True) if a >= 0 else lo_idx.copy()
            new_hi = self._before(keys[order[b]], strict=False) if b < sample else hi_idx.copy()
            new_lo = np.minimum(np.maximum(new_lo, lo_idx, out=new_lo), hi_idx, out=new_lo)
            new_hi = np.maximum(np.minimum(new_hi, hi_idx, out=new_hi), new_lo, out=new_hi)
            below_new = below + int((new_lo - lo_idx).sum())
            inside = int((new_hi - new_lo).sum())
            if not (below_new <= r and r + m <= below_new + inside):
                sample *= 2  # unlucky sample: the rank fell outside; retry with more
                continue
            if a >= 0 and b < sample and keys[order[a]] == keys[order[b]]:
                i = order[a]  # the wanted ranks sit in a block of equal keys
                return [self._h(rows[i], cols[i])] * m
            if inside == n_cand:
                if a < 0 or b >= sample:
                    sample *= 2
                    continue
                # No progress: the band holds only ties at the two pivots.
                # Answer from a tie block, or keep the keys strictly between.
                ka, kb = keys[order[a]], keys[order[b]]
                le_a = np.clip(self._before(ka, strict=False), new_lo, new_hi)
                lt_b = np.clip(self._before(kb, strict=True), le_a, new_hi)
                n_a = int((le_a - new_lo).sum())
                n_between = int((lt_b - le_a).sum())
                h_a = self._h(rows[order[a]], cols[order[a]])
                h_b = self._h(rows[order[b]], cols[order[b]])
                if n_between == 0 or r < below_new + n_a <= r + m - 1 or (
                    r < below_new + n_a + n_between <= r + m - 1
                ):
                    # The ranks straddle a tie block: answer each rank directly.
                    return [
                        h_a if rr < below_new + n_a
                        else h_b if rr >= below_new + n_a + n_between
                        else self.select(rr, 1)[0]
                        for rr in range(r, r + m)
                    ]
                if r + m <= below_new + n_a:
                    return [h_a] * m
                if r >= below_new + n_a + n_between:
                    return [h_b] * m
                below_new += int((le_a - new_lo).sum())
                new_lo, new_hi = le_a, lt_b
            lo_idx, hi_idx, below = new_lo, new_hi, below_new

"""numba kernels (imported lazily): exact order statistics of the medcouple kernel matrix.

Used by :func:`aquaflag.kernels.stats.medcouple` on long series and by
:func:`aquaflag.kernels.rolling.rolling_robust` for the medcouple of every
window. Everything here works on the two sorted halves of a sample around
its median,

* ``u[0:p]``: the distances ``x_j - med > 0`` above the median, ascending;
* ``v[0:q]``: the distances ``med - x_i > 0`` below the median, ascending,

and ranks the *regular* kernel values ``h(u_i, v_j) = (u_i - v_j) / (u_i + v_j)``
by the key ``fl(v_j / u_i)`` (one correctly rounded division): ``h`` is a
decreasing function of ``v / u``, and the key is monotone in ``v`` along a
row and in ``u`` along a column, so counting and materialising use the very
same numbers and can never disagree, even with massive ties. The values tied
at the median and the rank of the middle of the whole kernel multiset are
placed in closed form (:func:`medcouple_of_halves`), as
:func:`aquaflag.kernels.stats.medcouple_owned` does.

Selection (:func:`select_regular`) keeps a *band* of candidate keys ``[B, A]``
as two column limits per row (``rb[i] <= j < ra[i]``); ``below`` keys are
larger than ``A``. How many keys exceed a pivot ``t`` is one staircase walk
over the rows (the first column whose key exceeds ``t`` never moves left as
``u`` grows): O(p + q), and it updates the row limits as it goes. Each round
takes a stratified sample of the band (O(p + S) from the limits), picks two
sample keys just around the wanted rank (the sample-and-narrow selection of
Floyd & Rivest 1975, as in :mod:`aquaflag.kernels.stats`), counts at both
in one walk and keeps the part that holds the wanted rank; a round that
does not shrink the band splits it at one band key instead (above, equal,
below), which always makes progress. When the band holds at most ``cap``
keys they are materialised and the wanted ranks found by quickselect.
Expected time O((p + q) · log(pq) / log S) for samples of S keys; memory
two row limits per row plus O(cap + S).

Warm start (:func:`window_medcouple`, rolling windows): successive windows
differ by one value, so their medcouples are close. The previous window's
medcouple ``± d`` gives the first pair of pivots; the caller adapts ``d`` so
that the bracket usually holds the answer and about ``p + q`` keys. A window
then costs one counting walk, one materialising pass and a quickselect, all
O(w), on top of the sorted buffer's O(w) update.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

#: Sampled keys per narrowing round, at most (size the ``sample`` work space with it).
SAMPLE_MAX = 1 << 15


@njit(cache=True, nogil=True)
def _count_gt(u, p, v, q, tau):
    """How many keys v[j] / u[i] are > tau (one staircase walk, no memory)."""
    j = 0
    total = 0
    for i in range(p):
        ui = u[i]
        while j < q and not (v[j] / ui > tau):
            j += 1
        if j == q:
            break
        total += q - j
    return total


@njit(cache=True, nogil=True)
def count_negative(u, p, v, q):
    """How many regular kernel values are negative (key > 1)."""
    return _count_gt(u, p, v, q, 1.0)


@njit(cache=True, nogil=True)
def _count2(u, p, v, q, a, b, do_a, do_b, ra, rb):
    """Keys > a and keys >= b, counted in one pass (two staircases) inside the band.

    The band's columns in row i are ``rb[i] <= j < ra[i]`` and the pivots lie in it,
    so each staircase only moves inside it. On return ``ra[i]`` is the first column
    of row i whose key is > a (if ``do_a``) and ``rb[i]`` the first whose key is >= b
    (if ``do_b``).
    """
    ja = 0
    jb = 0
    ga = 0
    geb = 0
    for i in range(p):
        ui = u[i]
        lo = rb[i]
        hi = ra[i]
        if do_a:
            if ja < lo:
                ja = lo
            while ja < hi and not (v[ja] / ui > a):
                ja += 1
            ga += q - ja
            ra[i] = ja
        if do_b:
            if jb < lo:
                jb = lo
            while jb < hi and not (v[jb] / ui >= b):
                jb += 1
            geb += q - jb
            rb[i] = jb
    return ga, geb


@njit(cache=True, nogil=True)
def _limits_gt(u, p, v, q, t, out, lower):
    """Per row, the first column whose key is > t, into ``out`` (known to be >= lower[i])."""
    j = 0
    for i in range(p):
        ui = u[i]
        if j < lower[i]:
            j = lower[i]
        while j < q and not (v[j] / ui > t):
            j += 1
        out[i] = j


@njit(cache=True, nogil=True)
def _limits_ge(u, p, v, q, t, out, upper):
    """Per row, the first column whose key is >= t, into ``out`` (known to be <= upper[i])."""
    j = 0
    for i in range(p):
        ui = u[i]
        hi = upper[i]
        while j < hi and not (v[j] / ui >= t):
            j += 1
        out[i] = j if j < hi else hi


#: Sample jitter: the fractional parts of k·(golden ratio) (a Weyl sequence).
_PHI = 0.6180339887498949


@njit(cache=True, nogil=True)
def _emit(u, p, v, q, ra, rb, keys, idx, step, limit):
    """Keys of the band (columns ``rb[i] <= j < ra[i]`` of each row i) and their pairs.

    ``step`` = 1: every key of the band, in row order. Otherwise a stratified
    sample: the k-th key written is the one at flat band position
    ``(k + f_k) * step`` with ``f_k`` the fractional part of ``k * 0.618...``, so
    that the sample cannot alias with the rows' length. At most ``limit`` keys,
    each with its flat pair index ``i*q + j``. Returns how many were written.
    """
    k = 0
    if step == 1.0:  # every key of the band
        for i in range(p):
            jb = rb[i]
            je = min(ra[i], jb + (limit - k))
            if je <= jb:
                if k >= limit:
                    break
                continue
            ui = u[i]
            base = i * q
            for j in range(jb, je):
                keys[k] = v[j] / ui
                idx[k] = base + j
                k += 1
        return k
    pos = 0.0  # flat position of the row's first band key
    nxt = 0.5 * step  # flat position of the next key to take
    for i in range(p):
        jb = rb[i]
        width = ra[i] - jb
        if width <= 0:
            continue
        if k >= limit:
            break
        ui = u[i]
        while nxt < pos + width and k < limit:
            j = jb + int(nxt - pos)
            keys[k] = v[j] / ui
            idx[k] = i * q + j
            k += 1
            f = k * _PHI
            nxt = (k + f - math.floor(f)) * step
        pos += width
    return k


@njit(cache=True, nogil=True)
def _nth(a, ix, lo, hi, kth):
    """Partially order a[lo:hi] (and ``ix`` alongside) so that a[kth] is in its sorted place.

    Quickselect (Hoare partition, median-of-three pivot); ``ix`` may be empty.
    """
    carry = ix.shape[0] > 0
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        x, y, z = a[lo], a[mid], a[hi - 1]
        if x < y:
            if y < z:
                piv = y
            elif x < z:
                piv = z
            else:
                piv = x
        else:
            if x < z:
                piv = x
            elif y < z:
                piv = z
            else:
                piv = y
        i, j = lo, hi - 1
        while i <= j:
            while a[i] < piv:
                i += 1
            while a[j] > piv:
                j -= 1
            if i <= j:
                t = a[i]
                a[i] = a[j]
                a[j] = t
                if carry:
                    ti = ix[i]
                    ix[i] = ix[j]
                    ix[j] = ti
                i += 1
                j -= 1
        # now a[lo:j+1] <= piv <= a[i:hi], and a[j+1:i] == piv
        if kth <= j:
            hi = j + 1
        elif kth >= i:
            lo = i
        else:
            return


@njit(cache=True, nogil=True)
def _kernel(u, v, q, flat):
    """h(u_i, v_j) = (u_i - v_j) / (u_i + v_j) of the pair with flat index i*q + j."""
    uu = u[flat // q]
    vv = v[flat % q]
    total = uu + vv
    if math.isinf(total):  # both near the largest float: halve (h is scale-free)
        uu *= 0.5
        vv *= 0.5
        total = uu + vv
    return (uu - vv) / total


@njit(cache=True, nogil=True)
def _kernel_of_key(u, p, v, q, key):
    """h(u_i, v_j) of a pair whose key v_j / u_i equals ``key`` (a key that occurs)."""
    j = 0
    for i in range(p):
        ui = u[i]
        while j < q and not (v[j] / ui >= key):
            j += 1
        if j == q:
            break
        if v[j] / ui == key:
            return _kernel(u, v, q, i * q + j)
    return np.nan  # not reached for a key that occurs


@njit(cache=True, nogil=True)
def select_regular(u, p, v, q, r, m, cap, cand, cidx, sample, sidx, hint, d, ra, rb):
    """The r-th (and, for m = 2, the (r+1)-th) smallest regular kernel value (0-based).

    Parameters
    ----------
    u, v : float64 arrays
        ``u[:p]`` and ``v[:q]``, positive and ascending.
    r, m : int
        Wanted ranks ``r .. r + m - 1`` in ascending order of h (descending key); m is 1 or 2.
    cap : int
        Materialise the band once it holds at most this many keys.
    cand, cidx : float64 and int64 arrays of size >= cap
        Work space for the materialised keys and their pairs.
    sample, sidx : float64 and int64 arrays of size >= 16
        Work space for a round's sample (its size bounds the sample).
    hint, d : float
        Optional guess of the answer (a kernel value, e.g. the previous window's
        medcouple; NaN for none) and the spacing of kernel values near it (kernel
        value per rank). The first count, at the hint, tells on which side the
        answer lies and how many ranks away (Δ); the second pivot is placed
        about ``Δ + 1.5 √Δ + 1`` ranks beyond, using ``d``, and gallops further out
        (twice the distance each time) while it falls short. After a few tries the
        sampling rounds take over.
    ra, rb : int arrays of size >= p
        Work space: per row, the band's first column beyond its largest key (ra) and
        its first column (rb).

    Returns
    -------
    status : int
        0: done; 1: the two wanted ranks fall on either side of a pivot (m = 2 only): call
        again once per rank.
    h1, h2 : float
        The kernel values of ranks r and r + m - 1.
    per_rank : float
        The spacing observed between the hint and the second pivot (kernel value
        per rank), for the caller's next ``d``; NaN when not measured.
    """
    A = np.inf  # band: keys in [B, A]; `below` keys are > A, `upto` keys are >= B
    B = 0.0
    below = 0
    upto = p * q
    r_hi = r + m - 1
    per_rank = np.nan
    for i in range(p):
        ra[i] = q  # first column with a key > inf: none
        rb[i] = 0  # first column with a key >= 0: all
    tries = -1 if math.isnan(hint) else 0  # hint phase: 0 = count at the hint, then >= 1
    toward = 0  # -1: the answer is below the hint (in h), +1: at or above
    step = 0.0
    single = False  # next round: split at one key (after a round that made no progress)
    s_max = min(sample.shape[0], cap)
    s_size = min(s_max, max(64, 2 * (p + q)))
    no_idx = sidx[:0]
    while True:
        inside = upto - below
        if inside <= cap:
            break
        if A == B:  # every candidate is the same key
            h = _kernel_of_key(u, p, v, q, A)
            return 0, h, h, per_rank
        if tries == 0:  # count at the hint itself: which side, how far
            a = min(max(_key_of_h(hint), B), A)
            b = B
        elif tries > 0:
            if toward < 0:
                a = min(max(_key_of_h(hint - step), B), A)
                b = B
            else:
                a = A
                b = min(max(_key_of_h(hint + step), B), A)
        else:
            # A stratified sample of the band; pivots just around the wanted rank.
            s = min(s_size, inside)
            s = _emit(u, p, v, q, ra, rb, sample, sidx, inside / s, s)
            t = r - below  # wanted rank within the band, descending keys
            frac = (t + 0.5 * m) / inside
            if single:
                ia = min(s - 1, max(0, int(frac * s)))
                _nth(sample, no_idx, 0, s, s - 1 - ia)
                a = sample[s - 1 - ia]
                b = a
            else:
                spread = 3.0 * math.sqrt(s * frac * (1.0 - frac)) + 2.0
                ia = int(math.floor(frac * s - spread))
                ib = int(math.ceil(frac * s + spread))
                if ib < s:
                    _nth(sample, no_idx, 0, s, s - 1 - ib)
                    b = sample[s - 1 - ib]
                else:
                    b = B
                if ia >= 0:
                    lo = s - 1 - ib if ib < s else 0
                    _nth(sample, no_idx, lo, s, s - 1 - ia)
                    a = sample[s - 1 - ia]
                else:
                    a = A
        do_a = a != A
        do_b = b != B
        ga, geb = _count2(u, p, v, q, a, b, do_a, do_b, ra, rb)  # limits now at a and b
        if not do_a:
            ga = below
        if not do_b:
            geb = upto
        side = 0
        if r_hi < ga:
            # every wanted key is > a: the band becomes [the float after a, A]
            side = -1
            B = np.nextafter(a, np.inf)
            upto = ga
            for i in range(p):
                rb[i] = ra[i]
            if math.isinf(A):
                for i in range(p):
                    ra[i] = q
            else:
                _limits_gt(u, p, v, q, A, ra, rb)
        elif r >= geb:
            # every wanted key is < b: the band becomes [B, the float before b]
            side = 1
            A = np.nextafter(b, -np.inf)
            below = geb
            for i in range(p):
                ra[i] = rb[i]
            if B == 0.0:
                for i in range(p):
                    rb[i] = 0
            else:
                _limits_ge(u, p, v, q, B, rb, ra)
        elif ga <= r and r_hi < geb:
            A, B, below, upto = a, b, ga, geb
        else:
            return 1, np.nan, np.nan, per_rank
        if tries == 0:
            # the answer lies below the hint (side -1) or at/above it; ranks away:
            toward = -1 if side < 0 else 1
            delta = (ga - r) if side < 0 else (r_hi - ga + 1)
            step = d * (delta + 1.5 * math.sqrt(delta) + 1.0)
            tries = 1
        elif tries > 0:
            if side == 0:  # bracketed: [hint, hint -+ step] holds the answer
                if tries == 1 and upto > below:
                    per_rank = step / (upto - below)
                tries = -1
            elif tries >= 4:
                tries = -1
            else:
                step *= 2.0
                tries += 1
        elif upto - below >= inside:
            single = True  # no progress: split at a single key next round
        elif upto - below > inside // 2:
            single = False
            s_size = min(s_max, 4 * s_size)  # little progress: a bigger sample
        else:
            single = False
    # Materialise the band and select.
    c = _emit(u, p, v, q, ra, rb, cand, cidx, 1.0, cap)
    t = r - below
    k1 = c - 1 - t  # ascending position of rank r (descending keys)
    _nth(cand, cidx, 0, c, k1)
    h1 = _kernel(u, v, q, cidx[k1])
    if m == 1:
        return 0, h1, h1, per_rank
    k2 = 0  # rank r + 1: the largest key below position k1
    for i in range(1, k1):
        if cand[i] > cand[k2]:
            k2 = i
    h2 = h1 if cand[k2] == cand[k1] else _kernel(u, v, q, cidx[k2])
    return 0, h1, h2, per_rank


@njit(cache=True, nogil=True)
def select_pair(u, p, v, q, r, m, cap, cand, cidx, sample, sidx, hint, d, ra, rb):
    """:func:`select_regular`, splitting a straddled pair into two single selections."""
    status, h1, h2, per_rank = select_regular(u, p, v, q, r, m, cap, cand, cidx, sample, sidx,
                                              hint, d, ra, rb)
    if status == 1:
        _, h1, _, per_rank = select_regular(u, p, v, q, r, 1, cap, cand, cidx, sample, sidx,
                                            hint, d, ra, rb)
        _, h2, _, _ = select_regular(u, p, v, q, r + 1, 1, cap, cand, cidx, sample, sidx,
                                     hint, d, ra, rb)
    return h1, h2, per_rank


@njit(cache=True, nogil=True)
def _key_of_h(h):
    """The key v/u of a kernel value h (h = (1 - key) / (1 + key)); h <= -1 -> inf."""
    if h <= -1.0:
        return np.inf
    if h >= 1.0:
        return 0.0
    return (1.0 - h) / (1.0 + h)


@njit(cache=True, nogil=True)
def _where(r, n_minus, n_neg, k, n_regular):
    """Rank r of the whole kernel multiset -> (0, -1 | 0 | 1) for a fixed value, or (1, regular rank)."""
    if r < n_minus:
        return 0, -1
    r -= n_minus
    if r >= n_regular + k:
        return 0, 1
    if r < n_neg:
        return 1, r
    if r < n_neg + k:
        return 0, 0
    return 1, r - k


@njit(cache=True, nogil=True)
def medcouple_of_halves(u, p, v, q, k, cap, cand, cidx, sample, sidx, hint, d, ra, rb):
    """Medcouple from the sorted halves ``u[:p]``, ``v[:q]`` and ``k`` values tied at the median.

    The whole kernel multiset, ordered: ``k*q + k(k-1)/2`` values of -1, then the
    ``p*q`` regular values merged with ``k`` zeros, then ``k*p + k(k-1)/2`` values
    of +1 (Hubert & Vandervieren 2008). The middle rank (the mean of the two
    middle ones for an even count) is placed in closed form; regular ranks are
    selected by :func:`select_pair` (``hint``, ``d``: see :func:`select_regular`).
    Returns ``(mc, per_rank)``.
    """
    half_ties = k * (k - 1) // 2
    n_minus = k * q + half_ties
    total = (p + k) * (q + k)
    if total == 0:
        return 0.0, np.nan
    n_neg = count_negative(u, p, v, q) if k > 0 else 0
    if total % 2 == 1:
        r0 = total // 2
        r1 = r0
    else:
        r0 = total // 2 - 1
        r1 = total // 2
    kind0, val0 = _where(r0, n_minus, n_neg, k, p * q)
    kind1, val1 = _where(r1, n_minus, n_neg, k, p * q)
    per_rank = np.nan
    if kind0 == 1 and kind1 == 1 and val1 - val0 == r1 - r0:  # one or two adjacent regular ranks
        h0, h1, per_rank = select_pair(u, p, v, q, val0, 1 + val1 - val0, cap, cand, cidx,
                                       sample, sidx, hint, d, ra, rb)
        return ((h0 + h1) / 2 if r1 > r0 else h0), per_rank
    x0 = float(val0)
    if kind0 == 1:
        x0, _, per_rank = select_pair(u, p, v, q, val0, 1, cap, cand, cidx, sample, sidx,
                                      hint, d, ra, rb)
    if r1 == r0:
        return x0, per_rank
    x1 = float(val1)
    if kind1 == 1:
        x1, _, _ = select_pair(u, p, v, q, val1, 1, cap, cand, cidx, sample, sidx,
                               hint, d, ra, rb)
    return (x0 + x1) / 2, per_rank


@njit(cache=True, nogil=True)
def window_medcouple(buf, c, u, v, cap, cand, cidx, sample, sidx, hint, d, ra, rb):
    """Medcouple of the sorted, NaN-free ``buf[:c]``, as :func:`aquaflag.kernels.stats.medcouple`.

    ``u``, ``v``, ``ra``, ``rb`` have room for ``c`` values each. ``hint`` is a guess
    of the answer (e.g. the previous window's; NaN for none) and ``d`` the spacing
    of kernel values near it (see :func:`select_regular`). Returns ``(mc, per_rank)``;
    NaN when ``c`` is 0 or a value is infinite.
    """
    if c == 0:
        return np.nan, np.nan
    lo_v = buf[0]
    hi_v = buf[c - 1]
    if math.isinf(lo_v) or math.isinf(hi_v):
        return np.nan, np.nan
    scale = 1.0
    if math.isinf(hi_v - lo_v):
        scale = 0.5  # distances from the median could overflow: halve (the kernel is scale-free)
    if c % 2 == 1:
        med = buf[c // 2] * scale
    else:
        a0 = buf[c // 2 - 1] * scale
        a1 = buf[c // 2] * scale
        med = (a0 + a1) / 2
        if math.isinf(med):
            med = a0 / 2 + a1 / 2
    lo = 0  # values below the median: buf[:lo]; tied: buf[lo:hi]; above: buf[hi:c]
    while lo < c and buf[lo] * scale < med:
        lo += 1
    hi = lo
    while hi < c and buf[hi] * scale == med:
        hi += 1
    p = c - hi
    q = lo
    for i in range(p):
        u[i] = buf[hi + i] * scale - med
    for j in range(q):
        v[j] = med - buf[lo - 1 - j] * scale
    return medcouple_of_halves(u, p, v, q, hi - lo, cap, cand, cidx, sample, sidx, hint, d, ra, rb)

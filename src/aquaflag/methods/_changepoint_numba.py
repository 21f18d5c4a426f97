"""The PELT recursion compiled with numba (imported only when numba is installed).

Same arithmetic and tie-breaking as the NumPy path of
:func:`aquaflag.methods._changepoint.pelt` (first minimum wins).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def pelt_last(cs, cs2, n, penalty, min_size):
    """``last[t]``: the start of the last segment of the optimal partition of ``y[:t]``."""
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    last = np.zeros(n + 1, dtype=np.int64)
    cand = np.empty(n + 1, dtype=np.int64)
    total = np.empty(n + 1)
    nc = 0
    for t in range(min_size, n + 1):
        new = t - min_size
        if best[new] < np.inf:
            cand[nc] = new
            nc += 1
        bt = np.inf
        bk = 0
        for j in range(nc):
            s = cand[j]
            s1 = cs[t] - cs[s]
            c = (cs2[t] - cs2[s]) - s1 * s1 / (t - s)
            if c < 0.0:
                c = 0.0
            v = best[s] + c + penalty
            total[j] = v
            if v < bt:
                bt = v
                bk = s
        best[t] = bt
        last[t] = bk
        k = 0
        for j in range(nc):
            if total[j] <= bt + penalty:
                cand[k] = cand[j]
                k += 1
        nc = k
    return last

"""Hypothesis strategies for hostile monitoring data: special floats, odd timestamps."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

#: Values a logger, a spreadsheet or a unit mix-up puts into a series.
SPECIAL = [np.nan, 0.0, -0.0, 1e308, -1e308, 1.7976931348623157e308, 1e-300, 5e-324, -5e-324,
           4294967295.0, -9999.0, 9.96921e36, 1e155, 7.0]


@st.composite
def series_values(draw, min_size: int = 0, max_size: int = 150, allow_inf: bool = False) -> np.ndarray:
    """A float series: ordinary readings with special values sprinkled in."""
    n = draw(st.integers(min_size, max_size))
    base = draw(st.sampled_from(["normal", "quantised", "constant", "tiny", "huge"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if base == "normal":
        x = 7 + rng.normal(0, 0.3, n)
    elif base == "quantised":
        x = np.round(12 + np.cumsum(rng.normal(0, 0.05, n)), 1)
    elif base == "constant":
        x = np.full(n, draw(st.sampled_from([7.5, 0.0, 1e300, 5e-324, -3.25])))
    elif base == "tiny":
        x = rng.normal(0, 1, n) * 1e-310
    else:
        x = rng.normal(0, 1, n) * 1e300
    specials = SPECIAL + ([np.inf, -np.inf] if allow_inf else [])
    k = draw(st.integers(0, min(n, 8)))
    if k:
        where = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
        what = draw(st.lists(st.sampled_from(specials), min_size=k, max_size=k))
        x[where] = what
    return x


@st.composite
def time_index(draw, n: int) -> pd.DatetimeIndex:
    """Timestamps: regular or irregular, possibly with NaT, duplicates, unsorted, a time zone."""
    kind = draw(st.sampled_from(["regular", "irregular", "nat", "duplicate", "unsorted", "tz"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    freq = draw(st.sampled_from(["15min", "1h", "1D", "7D"]))
    idx = pd.date_range("2020-01-01", periods=n, freq=freq)
    if kind == "irregular" and n:
        steps = rng.integers(1, 120, n).astype("timedelta64[m]")
        idx = pd.DatetimeIndex(np.datetime64("2020-01-01") + np.cumsum(steps))
    elif kind == "nat" and n:
        values = idx.to_numpy().copy()
        values[rng.choice(n, size=max(1, n // 10), replace=False)] = np.datetime64("NaT")
        idx = pd.DatetimeIndex(values)
    elif kind == "duplicate" and n > 1:
        values = idx.to_numpy().copy()
        i = int(rng.integers(1, n))
        values[i] = values[i - 1]
        idx = pd.DatetimeIndex(values)
    elif kind == "unsorted" and n:
        idx = idx[rng.permutation(n)]
    elif kind == "tz":
        idx = idx.tz_localize("Asia/Seoul")
    return idx

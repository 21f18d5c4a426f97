"""The compiled STL port against statsmodels' STL: the same numbers, bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.tsa.seasonal import STL

from aquaflag.kernels import stats as kstats
from aquaflag.kernels import stl as kstl

pytest.importorskip("numba")


def lengths(period, seasonal):
    trend = int(math.ceil(1.5 * period / (1 - 1.5 / seasonal)))
    trend += trend % 2 == 0
    return trend, period + 1 if period % 2 == 0 else period + 2


@pytest.mark.parametrize("seed", range(30))
def test_compiled_stl_is_statsmodels_stl_exactly(seed):
    from aquaflag.kernels._stl import stl_fit

    rng = np.random.default_rng(seed)
    period = int(rng.choice([2, 4, 7, 12, 24, 52, 96]))
    n = int(rng.integers(2 * period, 25 * period))
    seasonal = int(rng.choice([3, 7, 9, 13, 35]))  # 35: longer than the cycle-subseries at times
    trend, low = lengths(period, seasonal)
    trend += 2 * int(rng.integers(0, 3))
    jumps = [int(rng.integers(1, 4)) if seed % 3 else math.ceil(length / 10)
             for length in (seasonal, trend, low)]
    robust = bool(seed % 2)
    inner, outer = (1, int(rng.integers(1, 6))) if robust else (int(rng.integers(1, 4)), 0)
    x = np.sin(2 * np.pi * np.arange(n) / period) + 0.01 * np.arange(n) + rng.standard_t(3, n) * 0.3
    if seed % 5 == 0:
        x = np.round(x, 1)  # ties: equal residuals, a zero MAD of the residuals at times
    if seed % 7 == 0:
        x[rng.integers(0, n, 3)] += 1e6  # gross outliers: robustness weights of 0
    ref = STL(x, period=period, seasonal=seasonal, trend=trend, low_pass=low, robust=robust,
              seasonal_jump=jumps[0], trend_jump=jumps[1], low_pass_jump=jumps[2]
              ).fit(inner_iter=inner, outer_iter=outer)
    season, trnd, weights = stl_fit(x, period, seasonal, trend, low, 1, 1, 1, *jumps, inner, outer)
    np.testing.assert_array_equal(season, ref.seasonal)
    np.testing.assert_array_equal(trnd, ref.trend)
    np.testing.assert_array_equal(weights, ref.weights)


def test_dispatch_compiled_for_long_series_statsmodels_for_short(monkeypatch):
    x = np.sin(np.arange(3000) / 3.0) + np.random.default_rng(1).normal(size=3000)
    trend, low = lengths(24, 7)
    kw = dict(seasonal=7, trend=trend, low_pass=low, trend_jump=4, low_pass_jump=3,
              inner_iter=1, outer_iter=5)
    short = kstl.stl(x, 24, **kw)  # statsmodels
    monkeypatch.setattr(kstl, "COMPILED_MIN", 0)
    compiled = kstl.stl(x, 24, **kw)
    monkeypatch.setattr(kstats, "HAS_NUMBA", False)
    without_numba = kstl.stl(x, 24, **kw)
    for a, b, c in zip(short, compiled, without_numba):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_invalid_lengths_rejected():
    with pytest.raises(ValueError, match="odd"):
        kstl.stl(np.zeros(100), 10, seasonal=8, trend=21, low_pass=11)
    with pytest.raises(ValueError, match="longer than period"):
        kstl.stl(np.zeros(100), 10, seasonal=7, trend=9, low_pass=11)

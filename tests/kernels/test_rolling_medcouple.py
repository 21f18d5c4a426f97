"""The rolling medcouple and the compiled selection, against statsmodels' exact definition.

statsmodels' ``medcouple(x, use_fast=False)`` evaluates the definition (every kernel
value, the special kernel for ties at the median, the mean of the two middle values
for an even count) independently of aquaflag's code; every window here is checked
against it, on both paths: the compiled kernel (numba) and the NumPy path.
"""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.stattools import medcouple as sm_medcouple

from aquaflag.kernels import rolling
from aquaflag.kernels import stats as kstats

pytest.importorskip("numba")


def exact(values) -> float:
    """statsmodels' O(n^2) definition on the non-NaN values (0 for one value, NaN for none)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if v.size == 0:
        return np.nan
    if v.size == 1:
        return 0.0
    return float(sm_medcouple(v, use_fast=False))


def random_series(rng, n, kind):
    if kind == 0:
        x = rng.normal(size=n)
    elif kind == 1:
        x = np.round(rng.lognormal(size=n), 1)  # ties everywhere
    elif kind == 2:
        x = rng.integers(0, 5, size=n).astype(float)  # a handful of distinct values
    elif kind == 3:
        x = np.round(rng.exponential(size=n) * 10)
    elif kind == 4:
        x = rng.standard_t(2, size=n)  # heavy tails
    else:
        x = 1.0 + np.round(rng.normal(size=n) * 1e-3, 4)  # ties at a large offset
    x[rng.random(n) < 0.15] = np.nan
    return x


def windows(rng, n, seed):
    if seed % 4 == 0:
        times = np.cumsum(rng.integers(1, 90, size=n)).astype("datetime64[m]")
        return rolling.window_bounds(n, span_ns=int(rng.integers(1, 8)) * 3600 * 10**9, times=times,
                                     center=bool(seed % 2))
    return rolling.window_bounds(n, count=int(rng.integers(2, 60)), center=bool(seed % 3))


def compiled(x, starts, ends):
    return rolling._robust_compiled(x, starts, ends, ("mc",), 0)["mc"]


def numpy_path(x, starts, ends, monkeypatch):
    monkeypatch.setattr(kstats, "HAS_NUMBA", False)  # rolling_robust then takes the NumPy path
    out = rolling.rolling_robust(x, starts, ends, stats=("mc",))["mc"]
    monkeypatch.undo()
    return out


@pytest.mark.parametrize("seed", range(24))
def test_rolling_medcouple_both_paths_match_statsmodels_exact(seed, monkeypatch):
    """Random windows with ties, NaN, odd and even counts, count and time windows."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    x = random_series(rng, n, seed % 6)
    starts, ends = windows(rng, n, seed)
    expected = np.array([exact(x[s:e]) for s, e in zip(starts, ends)])
    counts = np.array([np.count_nonzero(~np.isnan(x[s:e])) for s, e in zip(starts, ends)])
    assert {c % 2 for c in counts if c > 1} == {0, 1} or n < 20  # both parities met
    fast = compiled(x, starts, ends)
    slow = numpy_path(x, starts, ends, monkeypatch)
    np.testing.assert_allclose(fast, expected, rtol=0, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(slow, expected, rtol=0, atol=1e-12, equal_nan=True)


def test_rolling_medcouple_through_rolling_robust_min_periods():
    rng = np.random.default_rng(7)
    x = random_series(rng, 300, 1)
    starts, ends = rolling.window_bounds(300, count=25)
    st = rolling.rolling_robust(x, starts, ends, min_periods=10, stats=("mc", "q1"))
    assert set(st) == {"count", "q1", "q3", "mc"}
    for i in range(300):
        w = x[starts[i]:ends[i]]
        if np.count_nonzero(~np.isnan(w)) < 10:
            assert np.isnan(st["mc"][i])
        else:
            assert abs(st["mc"][i] - exact(w)) <= 1e-12


def test_rolling_medcouple_long_series_warm_start_spot_checks():
    """Many consecutive windows (the warm start carries over thousands of them)."""
    rng = np.random.default_rng(11)
    n, w = 60_000, 150
    x = np.where(rng.random(n) < 0.5, rng.gamma(2.0, size=n), np.round(rng.normal(size=n), 1))
    x[rng.random(n) < 0.05] = np.nan
    x[20_000:21_000] = 3.0  # a flat stretch: a window of ties
    starts, ends = rolling.window_bounds(n, count=w)
    mc = compiled(x, starts, ends)
    for i in np.r_[rng.integers(0, n, 150), 19_990, 20_100, 20_940, 21_050]:
        assert abs(mc[i] - kstats.medcouple(x[starts[i]:ends[i]])) <= 1e-12


def test_rolling_medcouple_stretches_in_parallel_are_identical(monkeypatch):
    rng = np.random.default_rng(5)
    x = rng.lognormal(size=20_000)
    starts, ends = rolling.window_bounds(20_000, count=97)
    one = rolling._robust_compiled(x, starts, ends, ("q1", "q3", "mc"), 0)
    monkeypatch.setattr(rolling, "PARALLEL_CELLS", 0)
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    many = rolling._robust_compiled(x, starts, ends, ("q1", "q3", "mc"), 10**9)
    for k in ("count", "q1", "q3", "mc"):
        np.testing.assert_array_equal(one[k], many[k])


@pytest.mark.parametrize("huge", [1e300, 9.96921e36, 1.7e308])
def test_rolling_medcouple_huge_values_terminate_and_match(huge):
    rng = np.random.default_rng(2)
    x = rng.normal(size=400)
    x[[10, 11, 200]] = huge
    x[300] = -huge
    starts, ends = rolling.window_bounds(400, count=31)
    mc = compiled(x, starts, ends)
    expected = [kstats.medcouple(x[s:e]) for s, e in zip(starts, ends)]
    np.testing.assert_allclose(mc, expected, rtol=0, atol=1e-12)


def test_rolling_medcouple_degenerate_windows():
    x = np.array([np.nan, 4.0, 4.0, 4.0, np.nan, np.nan, np.nan, 1.0, 2.0])
    starts, ends = rolling.window_bounds(x.size, count=3)
    mc = compiled(x, starts, ends)
    expected = [exact(x[s:e]) for s, e in zip(starts, ends)]
    np.testing.assert_array_equal(mc, expected)  # constant -> 0, one or two values -> 0, none -> NaN


@pytest.mark.parametrize("seed", range(6))
def test_selection_with_any_hint_and_tiny_work_space(seed):
    """The compiled selection stays exact whatever the warm start and however small its
    buffers: bad hints, hints outside [-1, 1], tiny candidate caps (many narrowing rounds)."""
    from aquaflag.kernels._medcouple import window_medcouple

    rng = np.random.default_rng(100 + seed)
    for it in range(150):
        n = int(rng.integers(1, 250))
        x = random_series(rng, n, it % 6)
        x = np.sort(x[~np.isnan(x)])
        c = x.size
        cap = int(rng.integers(2, 64))
        n_sample = int(rng.integers(16, 80))
        hint = np.nan if it % 4 == 0 else float(rng.uniform(-1.5, 1.5))
        d = float(10 ** rng.uniform(-9, 0))
        mc, _ = window_medcouple(x, c, np.empty(c), np.empty(c), cap, np.empty(cap),
                                 np.empty(cap, dtype=np.int64), np.empty(n_sample),
                                 np.empty(n_sample, dtype=np.int64), hint, d,
                                 np.empty(c, dtype=np.int32), np.empty(c, dtype=np.int32))
        expected = exact(x) if c else np.nan
        assert (np.isnan(mc) and np.isnan(expected)) or abs(mc - expected) <= 1e-12, (seed, it)

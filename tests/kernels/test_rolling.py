"""Rolling kernels: both paths (NumPy and numba) against independent references."""

import numpy as np
import pandas as pd
import pytest

from aquaflag.kernels import rolling
from aquaflag.errors import InputError


def naive(x, starts, ends):
    """Per-window statistics with plain NumPy, one window at a time."""
    out = {k: [] for k in ("count", "median", "mad", "q1", "q3")}
    for s, e in zip(starts, ends):
        w = x[s:e]
        w = w[~np.isnan(w)]
        out["count"].append(w.size)
        if w.size == 0:
            for k in ("median", "mad", "q1", "q3"):
                out[k].append(np.nan)
            continue
        m = np.median(w)
        out["median"].append(m)
        out["mad"].append(np.median(np.abs(w - m)))
        q1, q3 = np.quantile(w, [0.25, 0.75])
        out["q1"].append(q1)
        out["q3"].append(q3)
    return {k: np.array(v, dtype=float) for k, v in out.items()}


def both_paths(x, starts, ends, medcouple=False):
    """The NumPy path and the compiled kernel, called directly (whatever the input size)."""
    wanted = rolling._wanted(None, medcouple)
    small = rolling._robust_numpy(x, starts, ends, wanted)
    big = rolling._robust_compiled(x, starts, ends, wanted, 0)
    return small, big


@pytest.mark.parametrize("seed", range(12))
def test_both_paths_match_naive_windows(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    x = np.round(rng.normal(size=n), 1)  # ties
    x[rng.random(n) < 0.15] = np.nan
    if seed % 3 == 0:
        times = np.cumsum(rng.integers(1, 90, size=n)).astype("datetime64[m]")
        starts, ends = rolling.window_bounds(n, span_ns=2 * 3600 * 10**9, times=times, center=bool(seed % 2))
    else:
        starts, ends = rolling.window_bounds(n, count=int(rng.integers(1, 40)), center=bool(seed % 2))
    ref = naive(x, starts, ends)
    for path in both_paths(x, starts, ends):
        for k, v in ref.items():
            np.testing.assert_allclose(path[k], v, atol=1e-12, equal_nan=True, err_msg=k)


def test_rolling_medcouple_matches_stats_medcouple():
    from aquaflag.kernels.stats import medcouple

    rng = np.random.default_rng(3)
    x = np.round(rng.lognormal(size=120), 1)
    starts, ends = rolling.window_bounds(120, count=25)
    expected = [medcouple(x[s:e]) for s, e in zip(starts, ends)]
    for path in both_paths(x, starts, ends, medcouple=True):
        np.testing.assert_allclose(path["mc"], expected, atol=1e-12)


def test_mean_abs_dev_only_where_mad_is_zero():
    x = np.array([5.0, 5.0, 5.0, 5.0, 9.0, 1.0, 2.0, 3.0])
    st = rolling.rolling_robust(x, *rolling.window_bounds(8, count=5))
    assert st["mad"][2] == 0 and st["mean_abs_dev"][2] == pytest.approx(4 / 5)
    assert np.isnan(st["mean_abs_dev"][st["mad"] > 0]).all()


def test_median_matches_pandas_rolling():
    rng = np.random.default_rng(0)
    x = rng.normal(size=500)
    x[::17] = np.nan
    for w, center in ((10, True), (7, False), (1, True)):
        st = rolling.rolling_robust(x, *rolling.window_bounds(500, count=w, center=center))
        ref = pd.Series(x).rolling(w, center=center, min_periods=1).median()
        np.testing.assert_allclose(st["median"], ref, equal_nan=True)


def test_time_window_matches_pandas_offset_rolling_trailing():
    rng = np.random.default_rng(1)
    idx = pd.DatetimeIndex(np.sort(rng.choice(np.arange(10_000), 400, replace=False)).astype("datetime64[m]"))
    s = pd.Series(rng.normal(size=400), index=idx)
    starts, ends = rolling.window_bounds(400, span_ns=90 * 60 * 10**9, times=idx.to_numpy(), center=False)
    st = rolling.rolling_robust(s.to_numpy(), starts, ends)
    np.testing.assert_allclose(st["median"], s.rolling("90min").median().to_numpy())
    mean, std, count = rolling.rolling_mean_std(s.to_numpy(), starts, ends, min_periods=1)
    np.testing.assert_allclose(mean, s.rolling("90min").mean().to_numpy())
    np.testing.assert_allclose(std, s.rolling("90min").std().to_numpy(), equal_nan=True, atol=1e-12)


def test_mean_std_count_window_matches_pandas():
    rng = np.random.default_rng(2)
    x = 1e6 + rng.normal(size=300)  # large offset: cancellation check
    x[5] = np.nan
    mean, std, count = rolling.rolling_mean_std(x, *rolling.window_bounds(300, count=20), min_periods=3)
    ser = pd.Series(x).rolling(20, center=True, min_periods=3)
    np.testing.assert_allclose(mean, ser.mean(), rtol=1e-12, equal_nan=True)
    np.testing.assert_allclose(std, ser.std(), rtol=1e-6, equal_nan=True)


def test_min_periods():
    x = np.array([1.0, np.nan, np.nan, 2.0, 3.0])
    st = rolling.rolling_robust(x, *rolling.window_bounds(5, count=3), min_periods=2)
    assert np.isnan(st["median"][1]) and st["median"][4] == 2.5


def test_window_errors():
    with pytest.raises(InputError, match="needs timestamps"):
        rolling.window_bounds(5, span_ns=86400 * 10**9)
    t = np.array(["2020-01-02", "2020-01-01"], dtype="datetime64[ns]")
    with pytest.raises(InputError, match="not sorted"):
        rolling.window_bounds(2, span_ns=86400 * 10**9, times=t)


def test_empty_and_all_nan():
    st = rolling.rolling_robust(np.array([]), *rolling.window_bounds(0, count=3))
    assert st["median"].size == 0
    st = rolling.rolling_robust(np.full(4, np.nan), *rolling.window_bounds(4, count=3))
    assert np.isnan(st["median"]).all() and (st["count"] == 0).all()


def test_mean_std_stays_accurate_when_the_level_drifts_far_from_the_overall_mean():
    # level 10^4 +- 2*10^3 drifting slowly, noise 0.01: a single global shift loses digits
    rng = np.random.default_rng(7)
    n, w = 200_000, 96
    x = 1e4 + 2e3 * np.sin(np.arange(n) / 5e3) + rng.normal(0, 0.01, n)
    starts, ends = rolling.window_bounds(n, count=w)
    _, std, _ = rolling.rolling_mean_std(x, starts, ends)
    idx = rng.integers(0, n, 300)
    exact = np.array([np.std(x[s:e], ddof=1) for s, e in zip(starts[idx], ends[idx])])
    np.testing.assert_allclose(std[idx], exact, rtol=1e-6)  # a global shift: ~1e-4 here

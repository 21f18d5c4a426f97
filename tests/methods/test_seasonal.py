"""stl_residual: STL decomposition + robust z of the residual."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.seasonal import STL

import aquaflag
from aquaflag import Rule
from aquaflag.errors import ParameterError
from aquaflag.methods import stl_residual
from aquaflag.methods.seasonal import infer_period

DAY = 86_400 * 10**9
DAECHEONG = Path(__file__).resolve().parents[3] / "shared" / "data" / "daecheong" / "Data.csv"


def seasonal_series(days=30, seed=0, spike_at=None, size=1.0):
    t = pd.date_range("2021-07-01", periods=days * 96, freq="15min")
    hour = np.arange(t.size) / 4.0
    x = 18 + 0.02 * np.arange(t.size) / 96 + 2.5 * np.sin(2 * np.pi * (hour - 9) / 24)
    x = x + np.random.default_rng(seed).normal(0, 0.1, t.size)
    if spike_at is not None:
        x[spike_at] += size
    return x, t.to_numpy(dtype="datetime64[ns]")


@pytest.mark.parametrize("step, period", [
    (15 * 60 * 10**9, 96), (3600 * 10**9, 24), (DAY, 365), (7 * DAY, 52), (30 * DAY, 12),
    (7 * 60 * 10**9, None), (3 * DAY, None),
])
def test_infer_period(step, period):
    assert infer_period(step) == period


def test_plain_fit_matches_statsmodels_reference():
    x, t = seasonal_series(days=20)
    det = stl_residual(x, times=t, robust=False)
    # reference: statsmodels STL with the documented settings, then a modified z-score
    trend = 185  # smallest odd >= 1.5 * 96 / (1 - 1.5 / 7) = 183.3
    ref = STL(x, period=96, seasonal=7, trend=trend, low_pass=97, seasonal_jump=1,
              trend_jump=math.ceil(trend / 10), low_pass_jump=10).fit(inner_iter=2, outer_iter=0)
    r = ref.resid
    med = np.median(r)
    mad = np.median(np.abs(r - med))
    np.testing.assert_allclose(det.score, 0.6745 * (r - med) / mad, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(det.mask, np.abs(0.6745 * (r - med) / mad) > 3.5)
    np.testing.assert_allclose(det.upper, ref.trend + ref.seasonal + med + 3.5 * mad / 0.6745)


def test_injected_spike_found_alone():
    x, t = seasonal_series(days=30, spike_at=1476, size=1.2)  # 09:00, mid-way up the cycle
    det = stl_residual(x, times=t)
    assert det.stats["period"] == 96
    assert det.mask[1476]
    assert det.n_outliers <= 4  # Gaussian noise alone: ~0.05 % of 2880 values beyond 3.5
    # a value ordinary for the day but odd for its hour: well within the series' range
    assert np.quantile(x, 0.1) < x[1476] < np.quantile(x, 0.9)


def test_gross_spike_does_not_leak_into_neighbours():
    x, t = seasonal_series(days=30, spike_at=1500, size=500.0)
    robust = stl_residual(x, times=t)
    plain = stl_residual(x, times=t, robust=False)
    near = [1500 + k for k in (-3, -2, -1, 1, 2, 3, -192, -96, 96, 192)]  # incl. same hour
    assert robust.mask[1500] and not robust.mask[near].any()
    assert robust.n_outliers <= 4
    assert plain.mask[near].any() and plain.n_outliers > 10  # the plain fit smears the spike


def test_nan_interpolated_for_fit_never_flagged():
    x, t = seasonal_series(days=20, spike_at=900, size=1.5)
    x[100:130] = np.nan
    x[[0, 1, -1]] = np.nan
    det = stl_residual(x, times=t)
    assert not det.mask[np.isnan(x)].any() and not det.evaluated[np.isnan(x)].any()
    assert 900 in det.mask.nonzero()[0]


def test_missing_rows_are_gaps_on_the_grid():
    x, t = seasonal_series(days=20, spike_at=900, size=1.5)
    keep = np.ones(x.size, dtype=bool)
    keep[300:340] = False  # 10 hours of rows absent
    det = stl_residual(x[keep], times=t[keep])
    full = stl_residual(np.where(keep, x, np.nan), times=t)
    np.testing.assert_allclose(det.score, full.score[keep])


def test_irregular_series_not_evaluated_with_advice():
    rng = np.random.default_rng(0)
    t = pd.to_datetime("2020-01-01") + pd.to_timedelta(np.cumsum(rng.integers(5, 10, 400)), unit="D")
    det = stl_residual(rng.normal(size=400), times=t.to_numpy(dtype="datetime64[ns]"))
    assert not det.evaluated.any()
    assert "irregular" in det.note and "resample" in det.note


def test_too_short_not_evaluated():
    x, t = seasonal_series(days=1)
    det = stl_residual(x, times=t)
    assert not det.evaluated.any() and "two periods (192 steps)" in det.note


def test_no_times_needs_period():
    x, _ = seasonal_series(days=10, spike_at=500, size=1.5)
    det = stl_residual(x)
    assert not det.evaluated.any() and "give period" in det.note
    det = stl_residual(x, period=96)
    assert 500 in det.mask.nonzero()[0]


def test_period_not_inferable():
    t = pd.date_range("2020-01-01", periods=300, freq="7min").to_numpy(dtype="datetime64[ns]")
    det = stl_residual(np.random.default_rng(1).normal(size=300), times=t)
    assert "cannot infer the seasonal period" in det.note


def test_even_seasonal_rejected():
    x, t = seasonal_series(days=10)
    with pytest.raises(ParameterError, match="^seasonal of stl_residual must be an odd"):
        stl_residual(x, times=t, seasonal=8)


def test_through_evaluate_on_daecheong_weekly():
    if not DAECHEONG.exists():
        pytest.skip("Daecheong data not available")
    data = pd.read_csv(DAECHEONG, encoding="utf-8-sig", index_col="Date", parse_dates=True)
    col = "Water Temperature(Mun-Ui)"
    res = aquaflag.evaluate(data[[col]], [Rule("stl_residual")])
    det = res.detections[(col, "stl_residual")]
    assert not det.evaluated.any() and "resample" in det.note  # sampling days wander
    weekly = data[[col]].resample("7D").mean()
    res = aquaflag.evaluate(weekly, [Rule("stl_residual")])
    det = res.detections[(col, "stl_residual")]
    assert det.stats["period"] == 52 and det.evaluated.sum() > 300
    assert det.n_outliers < 0.05 * det.n_evaluated


@pytest.mark.parametrize("case", ["spike", "gross", "gaps", "plain"])
def test_compiled_stl_gives_the_same_detection_as_statsmodels(case, monkeypatch):
    """Long series run aquaflag's compiled STL port; it must judge exactly as statsmodels' STL."""
    pytest.importorskip("numba")
    from aquaflag.kernels import stats as kstats
    from aquaflag.kernels import stl as kstl

    x, t = seasonal_series(days=40, seed=3, spike_at=1500, size=500.0 if case == "gross" else 1.2)
    if case == "gaps":
        x[100:160] = np.nan
    kw = {"robust": case != "plain"}
    monkeypatch.setattr(kstats, "HAS_NUMBA", False)
    reference = stl_residual(x, times=t, **kw)  # statsmodels
    monkeypatch.setattr(kstats, "HAS_NUMBA", True)
    monkeypatch.setattr(kstl, "COMPILED_MIN", 0)
    compiled = stl_residual(x, times=t, **kw)
    np.testing.assert_array_equal(compiled.mask, reference.mask)
    np.testing.assert_array_equal(compiled.score, reference.score)
    np.testing.assert_array_equal(compiled.upper, reference.upper)
    assert compiled.stats == reference.stats

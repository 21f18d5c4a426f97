"""Windowed and seasonal variants of the four distribution tests, against independent pandas references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag.datasets import demo, demo_truth
from aquaflag.errors import InputError, ParameterError
from aquaflag.methods import iqr, modified_zscore, zscore


def seasonal_series(n=400, seed=0):
    idx = pd.date_range("2016-01-04", periods=n, freq="7D")
    rng = np.random.default_rng(seed)
    temp = 16 - 12 * np.cos(2 * np.pi * idx.day_of_year / 365.25) + rng.normal(0, 1, n)
    return pd.Series(np.round(temp, 1), index=idx, name="Water Temperature(X)")


def _other_years(times, group_of, i):
    """Independent reference: the group of value i, without values within 183 days of it."""
    far = np.abs((times - times[i]) / np.timedelta64(1, "D")) > 183
    return far & (group_of == group_of[i])


def test_by_month_equals_seed_rule_against_the_same_month_in_other_years():
    s = seasonal_series()
    s.iloc[[3, 100, 250]] += np.array([9.0, -7.0, 8.0])
    s.iloc[17] = np.nan
    res = aquaflag.detect(s, method="iqr", by="month")
    t = s.index.to_numpy()
    month = s.index.month.to_numpy()
    expected = pd.Series(False, index=s.index)
    for i in np.flatnonzero(s.notna().to_numpy()):
        g = s[_other_years(t, month, i)].dropna()
        q1, q3 = g.quantile(0.25), g.quantile(0.75)
        expected.iloc[i] = bool((s.iloc[i] < q1 - 1.5 * (q3 - q1)) or (s.iloc[i] > q3 + 1.5 * (q3 - q1)))
    pd.testing.assert_series_equal(res.mask[s.name], expected, check_names=False)
    assert not res.mask[s.name].iloc[17]
    assert res.mask[s.name].iloc[[3, 100, 250]].all()


def test_a_one_year_record_has_no_other_years():
    s = seasonal_series(50)
    det = zscore(s.to_numpy(), by="month", times=s.index.to_numpy())
    assert not det.evaluated.any()


def test_by_season_groups_djf_together():
    s = seasonal_series(200)
    det = zscore(s.to_numpy(), by="season", times=s.index.to_numpy())
    months = s.index.month
    djf = np.isin(months, [12, 1, 2])
    t = s.index.to_numpy()
    expected = []
    for i in np.flatnonzero(djf):  # one winter (Dec with the following Jan-Feb) is left out
        ref = s[_other_years(t, djf, i)]
        expected.append((s.iloc[i] - ref.mean()) / ref.std())
    np.testing.assert_allclose(det.score[djf], expected)


def test_by_doy_pools_neighbouring_days_across_years_circularly():
    s = seasonal_series(420)
    t = s.index
    det = modified_zscore(s.to_numpy(), by="doy", doy_window=10, times=t.to_numpy())
    i = 0  # first point, early January: its reference includes late December of other years
    doy = t.day_of_year.to_numpy()
    dist = np.abs(doy - doy[i])
    near_doy = np.minimum(dist, 365 - dist) <= 10
    far = np.abs((t - t[i]) / pd.Timedelta(days=1)) > 183  # other years only
    ref = s.to_numpy()[near_doy & far]
    med = np.median(ref)
    mad = np.median(np.abs(ref - med))
    assert det.score[i] == pytest.approx(0.6745 * (s.iloc[i] - med) / mad)
    assert any(d.month == 12 for d in t[near_doy & far])
    assert not (near_doy & far)[i]


def test_rolling_count_window_modified_zscore_matches_pandas_apply():
    rng = np.random.default_rng(2)
    x = pd.Series(rng.normal(size=300)).round(2)
    x[150] = 6.0
    x[20] = np.nan
    x[200:205] = np.nan
    w = 31
    # a count window holds w values: missing values are skipped, not counted, so the
    # reference is pandas' rolling window over the series without its missing values
    v = x.dropna()
    med = v.rolling(w, center=True, min_periods=3).median()
    mad = v.rolling(w, center=True, min_periods=3).apply(
        lambda a: np.median(np.abs(a - np.median(a))), raw=True)
    expected = (0.6745 * (v - med) / mad).reindex(x.index)
    det = modified_zscore(x.to_numpy(), window=w)
    np.testing.assert_allclose(det.score, expected, rtol=1e-12, equal_nan=True)
    assert det.mask[150]


def test_time_window_on_irregular_timestamps_matches_pandas():
    rng = np.random.default_rng(3)
    times = pd.DatetimeIndex(np.sort(rng.choice(np.arange(200_000), 500, replace=False)).astype("datetime64[m]"))
    s = pd.Series(rng.normal(10, 1, 500), index=times)
    det = zscore(s.to_numpy(), window="2D", center=False, min_periods=2, times=times.to_numpy())
    roll = s.rolling("2D", min_periods=2)
    expected = (s - roll.mean()) / roll.std()
    np.testing.assert_allclose(det.score, expected.to_numpy(), rtol=1e-9, equal_nan=True)


def test_iqr_window_matches_pandas_rolling_quantiles():
    rng = np.random.default_rng(4)
    x = pd.Series(rng.gamma(2.0, size=250))
    det = iqr(x.to_numpy(), window=25)
    r = x.rolling(25, center=True, min_periods=3)
    q1, q3 = r.quantile(0.25), r.quantile(0.75)
    np.testing.assert_allclose(det.lower, q1 - 1.5 * (q3 - q1), rtol=1e-12)
    np.testing.assert_allclose(det.upper, q3 + 1.5 * (q3 - q1), rtol=1e-12)


def test_min_scale_floor_stops_overflagging_a_smooth_signal():
    t = np.arange(2000)
    x = 20 + np.sin(t / 50) + np.round(np.random.default_rng(5).normal(0, 0.001, 2000), 4)
    raw = modified_zscore(x, window=96)
    floored = modified_zscore(x, window=96, min_scale=0.05)
    assert floored.n_outliers < raw.n_outliers
    x[1000] += 1.0
    assert modified_zscore(x, window=96, min_scale=0.05).mask[1000]


def test_winter_warm_spike_needs_season_context():
    data, truth = demo(), demo_truth()
    warm = truth[truth["kind"] == "winter_warm_spike"]
    glob = aquaflag.detect(data, method="iqr")
    seasonal = aquaflag.detect(data, method="iqr", by="doy", doy_window=21)
    for _, row in warm.iterrows():
        assert not glob.mask.loc[row["time"], row["column"]]
        assert seasonal.mask.loc[row["time"], row["column"]]


def test_window_and_by_are_exclusive_and_need_times():
    x = np.arange(20.0)
    with pytest.raises(ParameterError, match="exclusive"):
        zscore(x, window=5, by="month", times=pd.date_range("2020", periods=20).to_numpy())
    with pytest.raises(InputError, match="needs timestamps"):
        zscore(x, by="month")
    with pytest.raises(InputError, match="^window of zscore is a time offset .* no timestamps"):
        zscore(x, window="30D")
    with pytest.raises(ParameterError, match="^window of zscore"):
        zscore(x, window="fortnight")


def test_context_note_counts_unevaluated():
    x = np.r_[np.arange(10.0), [np.nan] * 10, np.arange(10.0)]
    det = zscore(x, window=5, min_periods=5)
    assert "rolling window 5" in det.note and "not evaluated" in det.note


@pytest.mark.parametrize("n", [3, 4, 10, 1001, 65_536, (1 << 21) + 3])
def test_whole_series_quartiles_and_medcouple_exact_whichever_order_they_are_taken(n):
    """With a medcouple the quartiles come from a sorted copy (up to 2^21 values) or in
    place (beyond): both must be NumPy's quartiles exactly, and the medcouple unchanged."""
    from aquaflag.kernels.stats import medcouple
    from aquaflag.methods.context import _whole

    rng = np.random.default_rng(n)
    x = np.round(rng.lognormal(size=n), 2)
    st = _whole(x.copy(), ("q1", "q3", "mc"))
    q1, q3 = np.quantile(x, (0.25, 0.75))
    assert (st["q1"], st["q3"]) == (float(q1), float(q3))
    assert st["mc"] == medcouple(x)

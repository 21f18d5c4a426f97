"""Tests for aquaflag.datasets: the seeded demo data and their truth tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aquaflag import datasets
from aquaflag.datasets import demo, demo_truth, sensor_demo, sensor_demo_truth

WEEKLY_KINDS = {"spike", "winter_warm_spike", "decimal_shift", "negative", "stuck", "unit_error"}
SENSOR_KINDS = {"spike", "flatline", "drift", "out_of_range", "nodata_code", "jump"}
TRUTH_COLUMNS = ["column", "time", "kind", "original", "injected"]

EN_COLUMNS = [
    f"{p}({s})"
    for p in ("Water Temperature", "pH", "DO", "Transparency")
    for s in ("Mun-Ui", "Chu-Dong", "Hoe-Nam")
]
KO_COLUMNS = [f"{p}({s})" for p in ("수온", "pH", "용존산소", "투명도") for s in ("문의", "추동", "회남")]

SEEDS = [2016, 0, 1, 7, 42, 123, 999, 31337]
SMALL = {"days": 40}  # keeps sensor tests quick; the default is checked once


@pytest.fixture(scope="module")
def weekly():
    return demo(), demo_truth()


@pytest.fixture(scope="module")
def sensor():
    return sensor_demo(), sensor_demo_truth()


def _cell_values(frame: pd.DataFrame, truth: pd.DataFrame) -> np.ndarray:
    return np.array([frame.at[t, c] for c, t in zip(truth["column"], truth["time"])], dtype=float)


# --- weekly demo: layout ------------------------------------------------------------------


def test_demo_shape_columns_index(weekly):
    df, _ = weekly
    assert df.shape == (404, 12)
    assert list(df.columns) == EN_COLUMNS
    assert (df.dtypes == np.float64).all()
    assert isinstance(df.index, pd.DatetimeIndex)
    assert df.index.name == "Date"
    assert df.index[0] == pd.Timestamp("2016-04-04")
    assert df.index[-1] == pd.Timestamp("2023-12-25")
    assert (df.index.day_of_week == 0).all()
    assert (np.diff(df.index.asi8) == np.diff(df.index.asi8)[0]).all()  # strictly weekly
    assert df.index.is_monotonic_increasing and df.index.is_unique


def test_demo_korean_names():
    ko = demo(korean=True)
    assert list(ko.columns) == KO_COLUMNS
    en = demo()
    np.testing.assert_array_equal(ko.to_numpy(), en.to_numpy())
    assert ko.index.equals(en.index)


def test_demo_truth_korean_names(weekly):
    _, truth = weekly
    ko = demo_truth(korean=True)
    mapping = dict(zip(EN_COLUMNS, KO_COLUMNS))
    assert list(ko["column"]) == [mapping[c] for c in truth["column"]]
    pd.testing.assert_frame_equal(ko.drop(columns="column"), truth.drop(columns="column"))


def test_demo_has_short_nan_gaps(weekly):
    df, truth = weekly
    clean = _clean(df, truth)
    na = clean.isna()
    assert (na.sum() >= 2).all()
    assert (na.sum() <= 15).all()
    # gaps are short: no column misses more than 3 weeks in a row
    for col in clean:
        runs = na[col].astype(int).groupby((~na[col]).cumsum()).sum()
        assert runs.max() <= 3


def test_demo_rounded_to_one_decimal(weekly):
    df, truth = weekly
    clean = _clean(df, truth).to_numpy()
    ok = ~np.isnan(clean)
    np.testing.assert_allclose(clean[ok], np.round(clean[ok], 1), atol=1e-9)


# --- weekly demo: determinism -------------------------------------------------------------


def test_demo_deterministic():
    pd.testing.assert_frame_equal(demo(5), demo(5))
    pd.testing.assert_frame_equal(demo_truth(5), demo_truth(5))


def test_demo_different_seeds_differ():
    a, b = demo(1), demo(2)
    assert not a.equals(b)
    assert not demo_truth(1).equals(demo_truth(2))


def test_demo_does_not_touch_global_rng():
    np.random.seed(12345)
    before = np.random.random()
    np.random.seed(12345)
    demo(3)
    sensor_demo(3, **SMALL)
    assert np.random.random() == before


def test_default_seed(weekly):
    df, truth = weekly
    pd.testing.assert_frame_equal(df, demo(2016))
    pd.testing.assert_frame_equal(truth, demo_truth(seed=2016))


# --- weekly demo: truth table -------------------------------------------------------------


def _clean(frame: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    clean = frame.copy()
    for c, t, o in zip(truth["column"], truth["time"], truth["original"]):
        clean.at[t, c] = o
    return clean


def _check_truth_layout(truth: pd.DataFrame, frame: pd.DataFrame) -> None:
    assert list(truth.columns) == TRUTH_COLUMNS
    assert pd.api.types.is_datetime64_any_dtype(truth["time"])
    assert truth["original"].dtype == np.float64
    assert truth["injected"].dtype == np.float64
    assert set(truth["column"]) <= set(frame.columns)
    assert not truth.duplicated(["column", "time"]).any()
    assert truth["time"].isin(frame.index).all()


def _check_truth_matches(frame: pd.DataFrame, truth: pd.DataFrame) -> None:
    values = _cell_values(frame, truth)
    assert not np.isnan(values).any()  # no truth row where the frame is NaN
    assert not truth["original"].isna().any()
    np.testing.assert_array_equal(values, truth["injected"].to_numpy())
    assert (truth["original"] != truth["injected"]).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_demo_truth_consistent_with_frame(seed):
    frame, truth = demo(seed), demo_truth(seed)
    _check_truth_layout(truth, frame)
    _check_truth_matches(frame, truth)
    assert set(truth["kind"]) == WEEKLY_KINDS
    assert 15 <= len(truth) <= 30
    # spread across the columns and the years
    assert truth["column"].nunique() == 12
    assert truth["time"].dt.year.nunique() >= 6
    # every other cell is untouched: cleaning the truth cells gives a frame without
    # impossible values
    clean = _clean(frame, truth)
    assert (clean.min() > 0).all()
    assert (clean.filter(like="pH").max() < 11).all()
    assert (clean.filter(like="Transparency").max() < 15).all()


def test_demo_truth_kinds_and_counts(weekly):
    _, truth = weekly
    counts = truth["kind"].value_counts().to_dict()
    assert counts == {
        "spike": 5,
        "winter_warm_spike": 2,
        "decimal_shift": 3,
        "negative": 2,
        "stuck": 9,
        "unit_error": 2,
    }


@pytest.mark.parametrize("seed", SEEDS)
def test_winter_warm_spike_is_seasonal_not_global(seed):
    frame, truth = demo(seed), demo_truth(seed)
    rows = truth[truth["kind"] == "winter_warm_spike"]
    assert len(rows) >= 1
    for col, time, orig, inj in rows[["column", "time", "original", "injected"]].itertuples(
        index=False
    ):
        assert col.startswith("Water Temperature")
        assert time.month in (12, 1, 2)
        assert inj == pytest.approx(orig + 8.0)
        x = frame[col]
        q1, q3 = x.quantile(0.25), x.quantile(0.75)
        iqr = q3 - q1
        assert q1 - 1.5 * iqr <= inj <= q3 + 1.5 * iqr  # a global Tukey test misses it
        month_median = x[x.index.month == time.month].median()
        assert inj - month_median >= 6.0  # obvious against the season


def test_kind_specific_properties(weekly):
    frame, truth = weekly
    by_kind = {k: g for k, g in truth.groupby("kind")}

    dec = by_kind["decimal_shift"]
    ratio = (dec["injected"] / dec["original"]).to_numpy()
    assert (np.isclose(ratio, 10.0) | np.isclose(ratio, 0.1)).all()
    assert any(c.startswith("pH") for c in dec["column"])
    assert (dec.loc[dec["column"].str.startswith("pH"), "injected"] > 14).all()

    neg = by_kind["negative"]
    assert (neg["injected"] < 0).all() and (neg["original"] > 0).all()
    assert all(c.startswith(("DO", "Transparency")) for c in neg["column"])

    unit = by_kind["unit_error"]
    assert all(c.startswith("Transparency") for c in unit["column"])
    np.testing.assert_allclose(unit["injected"], unit["original"] * 100)

    spike = by_kind["spike"]
    sd = _clean(frame, truth).std()  # the clean column's standard deviation
    size = (spike["injected"] - spike["original"]).abs().to_numpy()
    assert (size >= 5 * sd[spike["column"]].to_numpy()).all()


def test_stuck_runs(weekly):
    frame, truth = weekly
    stuck = truth[truth["kind"] == "stuck"]
    for col, g in stuck.groupby("column"):
        assert g["injected"].nunique() == 1
        pos = frame.index.get_indexer(g["time"])
        assert (np.diff(pos) == 1).all()  # consecutive weeks
        value = g["injected"].iloc[0]
        # the run includes the correct value just before the overwritten cells
        assert frame[col].iloc[pos[0] - 1] == value
        run = frame[col].iloc[pos[0] - 1 : pos[-1] + 1]
        assert (run == value).all() and len(run) >= 5


def test_clean_series_are_realistic(weekly):
    frame, truth = weekly
    clean = _clean(frame, truth)
    month = clean.index.month
    temp = clean["Water Temperature(Mun-Ui)"]
    assert 2 <= temp[month == 1].mean() <= 8
    assert 24 <= temp[month == 8].mean() <= 30
    for s in ("Mun-Ui", "Chu-Dong", "Hoe-Nam"):
        t, do = clean[f"Water Temperature({s})"], clean[f"DO({s})"]
        assert t.corr(do) < -0.5  # DO anti-correlated with temperature
        ph = clean[f"pH({s})"]
        assert ph[month.isin([6, 7, 8])].mean() > ph[month.isin([12, 1, 2])].mean() + 0.2
        sec = clean[f"Transparency({s})"]
        assert sec[month.isin([7, 8, 9])].mean() < sec[month.isin([12, 1, 2])].mean() - 1.0
    # stations share a regional signal beyond the seasonal cycle
    anomalies = clean - clean.groupby(month).transform("mean")
    temp = anomalies.filter(like="Water Temperature")
    assert temp.iloc[:, 0].corr(temp.iloc[:, 1]) > 0.4
    assert anomalies["pH(Mun-Ui)"].corr(anomalies["pH(Hoe-Nam)"]) > 0.3
    # week-to-week autocorrelated noise
    assert anomalies["DO(Hoe-Nam)"].autocorr(1) > 0.15


# --- sensor demo --------------------------------------------------------------------------


def test_sensor_demo_default_shape(sensor):
    df, truth = sensor
    assert df.shape == (365 * 96, 5)
    assert list(df.columns) == ["temp", "cond", "ph", "do", "turb"]
    assert (df.dtypes == np.float64).all()
    assert isinstance(df.index, pd.DatetimeIndex)
    assert df.index.name == "datetime"
    assert df.index[0] == pd.Timestamp("2019-01-01 00:00")
    steps = np.unique(np.diff(df.index))
    assert len(steps) == 1 and steps[0] == np.timedelta64(15, "m")
    _check_truth_layout(truth, df)
    _check_truth_matches(df, truth)
    assert set(truth["kind"]) == SENSOR_KINDS


def test_sensor_demo_has_gaps_and_cycles(sensor):
    df, truth = sensor
    # logger gaps: NaN in every column at once, never on a fault cell
    all_na = df.isna().all(axis=1)
    assert all_na.sum() > 0
    assert (df.isna().any(axis=1) == all_na).all()
    clean = _clean(df, truth)
    # diurnal cycle in temperature (warmest in the afternoon) and a seasonal one
    by_hour = clean["temp"].groupby(clean.index.hour).mean()
    assert by_hour.idxmax() in range(13, 20)
    assert by_hour.idxmin() in range(4, 11)
    by_month = clean["temp"].groupby(clean.index.month).mean()
    assert by_month[7] - by_month[1] > 8
    assert clean["do"].corr(clean["temp"]) < -0.5
    # plausible ranges once faults are removed
    assert clean["ph"].dropna().between(6.5, 9.5).all()
    assert (clean.dropna() >= 0).all().all()


@pytest.mark.parametrize("seed", [2019, 1, 99])
def test_sensor_truth_consistent(seed):
    df, truth = sensor_demo(seed, **SMALL), sensor_demo_truth(seed, **SMALL)
    assert df.shape == (40 * 96, 5)
    _check_truth_layout(truth, df)
    _check_truth_matches(df, truth)
    assert set(truth["kind"]) == SENSOR_KINDS


def test_sensor_fault_properties(sensor):
    df, truth = sensor
    k = {kind: g for kind, g in truth.groupby("kind")}
    assert (k["nodata_code"]["injected"] == -9999).all()
    oor = k["out_of_range"]
    for col, v in zip(oor["column"], oor["injected"]):
        assert {"ph": v > 14, "do": v < 0, "temp": v < -4}[col]
    flat = k["flatline"]
    for _, g in flat.groupby("column"):
        assert g["injected"].nunique() == 1
        assert len(g) >= 8  # hours of 15-minute samples
    for _, g in k["drift"].groupby("column"):
        offset = (g["injected"] - g["original"]).to_numpy()
        assert len(g) >= 96  # days
        assert abs(offset[-1]) > abs(offset[0])
    for _, g in k["jump"].groupby("column"):
        offset = (g["injected"] - g["original"]).to_numpy()
        assert np.ptp(offset) < 0.05 * np.abs(offset).mean() + 0.02  # a constant shift
    assert (k["spike"].groupby("column").size() == 1).all()


def test_sensor_demo_deterministic_and_seeded():
    a = sensor_demo(5, **SMALL)
    pd.testing.assert_frame_equal(a, sensor_demo(5, **SMALL))
    pd.testing.assert_frame_equal(sensor_demo_truth(5, **SMALL), sensor_demo_truth(5, **SMALL))
    assert not a.equals(sensor_demo(6, **SMALL))


@pytest.mark.parametrize(
    ("days", "freq", "n"), [(10, "1h", 240), (3, "5min", 864), (7, "30min", 336)]
)
def test_sensor_demo_other_freq(days, freq, n):
    df = sensor_demo(days=days, freq=freq)
    truth = sensor_demo_truth(days=days, freq=freq)
    assert len(df) == n
    assert df.index[1] - df.index[0] == pd.Timedelta(freq)
    _check_truth_matches(df, truth)
    assert set(truth["kind"]) == SENSOR_KINDS


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"days": 0}, "days of sensor_demo"),
        ({"days": 2.5}, "days of sensor_demo"),
        ({"freq": "MS"}, "freq of sensor_demo"),
        ({"freq": "banana"}, "freq of sensor_demo"),
        ({"days": 1, "freq": "1h"}, "at least"),
    ],
)
def test_sensor_demo_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sensor_demo(**kwargs)


def test_module_imports_only_numpy_pandas():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(datasets.demo))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            roots.add("." + (node.module or ""))
    # only numpy and pandas: the demo generator knows nothing of the rest of the package
    assert roots <= {"__future__", "re", "dataclasses", "numpy", "pandas"}

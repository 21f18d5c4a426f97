"""cross_station: a station against the median of its siblings at the same time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag import Rule
from aquaflag.errors import InputError
from aquaflag.methods import cross_station

DAECHEONG = Path(__file__).resolve().parents[3] / "shared" / "data" / "daecheong" / "Data.csv"


def test_hand_computed():
    b = np.array([10.0, 11.0, 11.0, 12.0, 12.0, 11.0, 11.0])
    sib = {"b": b, "c": b + 1.0, "e": b - 1.0}  # the median of the three is b
    a = np.array([10.0, 12.0, 11.0, 30.0, 13.0, 11.0, 12.0])
    det = cross_station(a, siblings=sib)
    d = a - b                      # [0, 1, 0, 18, 1, 0, 1]; median 1, MAD 1
    np.testing.assert_allclose(det.score, 0.6745 * (d - 1.0) / 1.0)
    assert det.mask.nonzero()[0].tolist() == [3]
    np.testing.assert_allclose(det.upper, b + 1.0 + 3.5 / 0.6745)
    assert det.stats["n_siblings"] == 3 and det.stats["mad"] == pytest.approx(1.0)


def test_mad_zero_falls_back_to_mean_abs_dev():
    b = np.arange(8.0)
    a = b + np.array([0.0, 0, 0, 0, 0, 0, 0, 4.0])
    det = cross_station(a, siblings={"b": b})
    scale = 1.253314 * (4.0 / 8)   # MeanAD of d around its median 0
    assert det.score[7] == pytest.approx(4.0 / scale)
    assert det.mask.nonzero()[0].tolist() == [7] and "mean absolute deviation" in det.note


def test_offset_between_stations_is_not_an_outlier():
    rng = np.random.default_rng(0)
    base = 15 + np.sin(np.arange(300) / 10)
    a = base + 2.0 + rng.normal(0, 0.1, 300)   # always 2 degrees warmer
    sib = {"b": base + rng.normal(0, 0.1, 300), "c": base + rng.normal(0, 0.1, 300)}
    assert cross_station(a, siblings=sib).n_outliers <= 2
    a[150] += 1.5
    assert cross_station(a, siblings=sib).mask[150]


def test_median_resists_one_faulty_sibling():
    rng = np.random.default_rng(1)
    base = 8 + np.sin(np.arange(200) / 15)
    a = base + rng.normal(0, 0.05, 200)
    b = base + rng.normal(0, 0.05, 200)
    c = base + rng.normal(0, 0.05, 200)
    d = base + rng.normal(0, 0.05, 200)
    d[50] = 30.0  # a sibling's own spike does not flag this station
    det = cross_station(a, siblings={"b": b, "c": c, "d": d})
    assert not det.mask[50]


def test_min_siblings_and_nan():
    a = np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0])
    b = np.array([1.1, np.nan, 3.0, 4.1, 5.2, 6.1])
    c = np.array([0.9, np.nan, 3.1, np.nan, 4.9, 5.9])
    det = cross_station(a, siblings={"b": b, "c": c}, min_siblings=2)
    assert det.evaluated.tolist() == [True, False, False, False, True, True]
    det = cross_station(a, siblings={"b": b, "c": c}, min_siblings=1)
    assert det.evaluated.tolist() == [True, False, False, True, True, True]


def test_no_siblings_not_evaluated_with_note():
    for sib in (None, {}):
        det = cross_station([1.0, 2.0, 3.0], siblings=sib)
        assert not det.evaluated.any() and "no sibling series" in det.note


def test_sibling_length_mismatch():
    with pytest.raises(InputError, match="align the stations"):
        cross_station([1.0, 2.0, 3.0], siblings={"b": [1.0, 2.0]})


def test_constant_difference_not_evaluated():
    det = cross_station([1.0, 2.0, 3.0, 4.0], siblings={"b": [0.0, 1.0, 2.0, 3.0]})
    assert not det.evaluated.any() and "constant" in det.note


def test_through_evaluate_engine_passes_siblings():
    idx = pd.date_range("2020-01-01", periods=60, freq="7D")
    rng = np.random.default_rng(2)
    base = 7.5 + 0.3 * np.sin(np.arange(60) / 8)
    frame = pd.DataFrame({
        "pH(Mun-Ui)": base + rng.normal(0, 0.05, 60),
        "pH(Chu-Dong)": base + rng.normal(0, 0.05, 60),
        "pH(Hoe-Nam)": base + rng.normal(0, 0.05, 60),
        "DO(Mun-Ui)": 9 + rng.normal(0, 0.3, 60),
    }, index=idx)
    frame.iloc[20, 0] = 9.1
    res = aquaflag.evaluate(frame, [Rule("cross_station", columns=("pH*", "DO*"))])
    mun = res.detections[("pH(Mun-Ui)", "cross_station")]
    assert mun.mask[20] and mun.stats["n_siblings"] == 2
    do = res.detections[("DO(Mun-Ui)", "cross_station")]
    assert not do.evaluated.any() and "no sibling" in do.note


def test_on_daecheong_stations():
    if not DAECHEONG.exists():
        pytest.skip("Daecheong data not available")
    data = pd.read_csv(DAECHEONG, encoding="utf-8-sig", index_col="Date", parse_dates=True)
    res = aquaflag.evaluate(data, [Rule("cross_station", {"min_siblings": 2})])
    share = res.summary.set_index("column")["outliers"] / len(data)
    assert (share.drop("Water Temperature(Mun-Ui)") < 0.1).all()
    # Mun-Ui runs up to 4 degC warmer than the other two in June-July: the difference is
    # seasonal, not constant, so its summer values stand out (a known limit of the test)
    assert share["Water Temperature(Mun-Ui)"] > 0.1
    assert res.detections[("pH(Mun-Ui)", "cross_station")].stats["n_siblings"] == 2

"""hampel: rolling median +- threshold x 1.4826 x rolling MAD (true rolling MAD)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag import Rule
from aquaflag.errors import InputError
from aquaflag.methods import hampel


def brute_force(x, half, threshold=3.0, min_scale=0.0, min_periods=3):
    """Centred count window of 2*half+1 values (missing values skipped, not counted), clipped."""
    n = len(x)
    flag = np.zeros(n, dtype=bool)
    score = np.full(n, np.nan)
    valid = np.flatnonzero(~np.isnan(x))
    for r, i in enumerate(valid):
        w = x[valid[max(0, r - half): r + half + 1]]
        if w.size < min_periods:
            continue
        m = np.median(w)
        s = max(np.median(np.abs(w - m)) / 0.6745, min_scale)  # 1.4826 = 1 / 0.6745
        if s > 0:
            score[i] = (x[i] - m) / s
            flag[i] = abs(x[i] - m) > threshold * s
    return flag, score


def test_matches_brute_force_with_nan():
    rng = np.random.default_rng(0)
    x = np.round(10 + np.sin(np.arange(300) / 12) + rng.normal(0, 0.2, 300), 2)
    x[[40, 41, 150]] = [15.0, 14.0, 2.0]
    x[[10, 11, 200]] = np.nan
    det = hampel(x, window=9, min_scale=0.0)
    flag, score = brute_force(x, 4)
    np.testing.assert_array_equal(det.mask, flag)
    np.testing.assert_allclose(det.score, score, rtol=1e-9)
    assert {40, 41, 150} <= set(det.mask.nonzero()[0])


def test_hand_computed_window_5():
    x = [7.1, 7.3, 7.2, 7.4, 9.9, 7.3, 7.2, 7.4, 7.1]
    det = hampel(x, window=5, min_scale=0.0)
    # window of x[4]: 7.2 7.4 9.9 7.3 7.2 -> median 7.3, deviations .1 .1 2.6 0 .1 -> MAD 0.1
    assert det.mask.nonzero()[0].tolist() == [4]
    assert det.score[4] == pytest.approx(2.6 / (0.1 / 0.6745), rel=1e-9)


def test_true_rolling_mad_not_median_of_global_deviations():
    # level shift: a true rolling MAD follows each window; a MAD of deviations from a
    # different (e.g. global) median would flag the whole upper half.
    x = np.r_[np.tile([1.0, 1.1, 0.9], 20), np.tile([11.0, 11.1, 10.9], 20)]
    det = hampel(x, window=7)
    assert det.mask.sum() <= 4  # only around the shift itself, if anywhere


def test_zero_mad_windows_not_evaluated_unless_min_scale():
    x = np.array([8.5] * 6 + [0.2] + [8.5] * 6 + [8.51] + [8.5] * 6)
    det = hampel(x, window=7, min_scale=0.0)
    assert not det.mask.any()                  # MAD = 0: would flag 8.51 with a tiny scale
    assert not det.evaluated[6] and "MAD = 0" in det.note
    det = hampel(x, window=7, min_scale=0.01)
    assert det.mask.nonzero()[0].tolist() == [6]   # 8.51 is within 3 x 0.01


def test_constant_series_not_evaluated():
    det = hampel(np.full(40, 3.3), window=5, min_scale=0.0)
    assert not det.evaluated.any() and not det.mask.any()


def test_trailing_window():
    x = np.r_[np.full(10, 1.0) + np.tile([0.0, 0.1], 5), [5.0], np.full(5, 1.05)]
    det = hampel(x, window=5, center=False)
    assert det.mask.nonzero()[0].tolist() == [10]
    assert not det.evaluated[:2].any()  # fewer than min_periods values before them


def test_time_window_irregular():
    t = pd.to_datetime(["2020-01-01 00:00", "00:10", "00:20", "00:30", "00:40", "02:00",
                        "02:05", "02:10", "02:15"], format="mixed")
    t = pd.DatetimeIndex([pd.Timestamp("2020-01-01") + (ti - ti.normalize()) for ti in t])
    x = np.array([1.0, 1.1, 0.9, 1.0, 6.0, 1.0, 1.1, 0.9, 1.0])
    det = hampel(x, window="1h", times=t.to_numpy(dtype="datetime64[ns]"))
    assert det.mask.nonzero()[0].tolist() == [4]
    with pytest.raises(InputError, match="window of hampel is a time offset"):
        hampel(x, window="1h")


def test_through_evaluate():
    idx = pd.date_range("2021-06-01", periods=300, freq="15min")
    rng = np.random.default_rng(4)
    x = 8 + np.sin(np.arange(300) / 15) + rng.normal(0, 0.05, 300)
    x[123] = 12.0
    frame = pd.DataFrame({"DO(A)": x}, index=idx)
    res = aquaflag.evaluate(frame, [Rule("hampel", {"window": "6h"}),
                                    Rule("hampel", {"window": 25}, label="hampel25")])
    for label in ("hampel", "hampel25"):
        assert res.detections[("DO(A)", label)].mask.nonzero()[0].tolist() == [123]


def test_derived_min_scale_is_resolution_or_noise():
    # quantised to 0.1 and mostly flat: MAD = 0 in most windows; the derived floor is the
    # resolution (0.1), so a value 0.2 off is judged (|0.2| < 3 x 0.1) and not flagged, 0.5 is
    x = np.r_[np.full(20, 5.0), [5.2], np.full(20, 5.0), [5.8], np.full(20, 5.0)]
    det = hampel(x, window=7)
    # steps are 0 except +-0.2 and +-0.8: resolution 0.2; MAD(dx) = 0 and the MeanAD fallback
    # 1.253314 x mean|dx| = 1.253314 x 2 x (0.2 + 0.8) / 61 = 0.0411, / sqrt 2 = 0.029 < 0.2
    assert det.stats["min_scale"] == pytest.approx(0.2)
    assert det.evaluated.all() and det.mask.nonzero()[0].tolist() == [41]  # 0.2 < 3 x 0.2 < 0.8
    # white noise of s.d. 0.5: the steps have s.d. 0.5 x sqrt 2, so the floor is about 0.5
    rng = np.random.default_rng(1)
    det = hampel(rng.normal(0, 0.5, 5000), window=7)
    assert det.stats["min_scale"] == pytest.approx(0.5, rel=0.05)


def test_derived_window_follows_the_sampling_step():
    x = np.sin(np.arange(300) / 10.0)
    t15 = pd.date_range("2020-01-01", periods=300, freq="15min").to_numpy(dtype="datetime64[ns]")
    t6h = pd.date_range("2020-01-01", periods=300, freq="6h").to_numpy(dtype="datetime64[ns]")
    assert hampel(x, times=t15).stats["window"] == "1D"
    assert hampel(x, times=t6h).stats["window"] == 7
    assert hampel(x).stats["window"] == 7

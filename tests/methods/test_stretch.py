"""Stretch detectors and their change-detection kernels, against independent references.

References: CUSUM sums computed by hand; PELT against ruptures' own ``Pelt`` on the
same signals; window medians against pandas' rolling median; detectors on seeded
synthetic series whose anomalous stretch is known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aquaflag.errors import InputError, ParameterError
from aquaflag.methods import noisy_stretch, offset_stretch, sonde_failure
from aquaflag.methods._changepoint import cusum, excursions, pelt, segment_means, window_medians

DAY = 96  # 15-minute steps per day


def sensor(days=40, seed=0, amp=0.5, noise=0.03, level=10.0, trend=0.0):
    """A 15-minute series with a daily cycle, noise and an optional slow trend, with timestamps."""
    n = days * DAY
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    x = level + amp * np.sin(2 * np.pi * t / DAY) + trend * t / DAY + rng.normal(0, noise, n)
    times = pd.date_range("2019-01-01", periods=n, freq="15min").to_numpy()
    return np.round(x, 2), times


# ------------------------------------------------------------------ CUSUM
def test_cusum_by_hand():
    # S+_i = max(0, S+_{i-1} + z_i - k), S-_i = max(0, S-_{i-1} - z_i - k), k = 0.5
    z = [0.5, 1.5, 2.0, -1.0, 0.2, -2.5, nan := float("nan"), 0.0]
    up, down = cusum(z, 0.5)
    #          0.5-0.5  +1.5-.5  +2-.5  -1-.5  +.2-.5  -2.5-.5  NaN: kept  0-.5
    assert up.tolist() == pytest.approx([0.0, 1.0, 2.5, 1.0, 0.7, 0.0, 0.0, 0.0])
    #          -0.5-0.5 -> 0 ... 1-.5=0.5  0.5-0.2-0.5=-0.2->0  2.5-0.5=2.0  keep  2.0-0-0.5
    assert down.tolist() == pytest.approx([0.0, 0.0, 0.0, 0.5, 0.0, 2.0, 2.0, 1.5])
    assert nan != nan


def test_excursions_onset_to_peak():
    s = np.array([0, 1, 2, 6, 5, 0, 0, 2, 3, 0, 1, 7, 7.5, 0.0])
    assert excursions(s, h=5) == [(1, 3), (10, 12)]
    assert excursions(s, h=10) == []
    assert excursions(np.zeros(4), h=1) == []


# ------------------------------------------------------------------- PELT
def test_pelt_finds_known_breaks():
    y = np.concatenate([np.zeros(50), np.full(30, 4.0), np.full(40, -1.0)])
    y += np.random.default_rng(0).normal(0, 0.3, y.size)
    assert pelt(y, penalty=3 * 0.09 * np.log(y.size) * 10) == [50, 80, 120]
    means = segment_means(y, [50, 80, 120])
    assert means == pytest.approx([0, 4, -1], abs=0.15)


@pytest.mark.parametrize("seed", range(6))
def test_pelt_equals_ruptures(seed):
    rpt = pytest.importorskip("ruptures", reason="ruptures (the changepoint extra) is the reference")
    rng = np.random.default_rng(seed)
    parts = [rng.normal(m, rng.uniform(0.3, 2), rng.integers(5, 80)) for m in rng.normal(0, 3, 4)]
    y = np.concatenate(parts)
    pen = float(rng.uniform(0.5, 30))
    min_size = int(rng.integers(1, 6))
    expected = rpt.Pelt(model="l2", min_size=min_size, jump=1).fit(y).predict(pen=pen)
    assert pelt(y, pen, min_size=min_size) == expected
    assert pelt(y, pen, min_size=min_size, backend="ruptures") == expected


def test_pelt_degenerate_and_errors():
    assert pelt([], 1.0) == []
    assert pelt([1.0, 2.0, 3.0], 1.0, min_size=2) == [3]
    with pytest.raises(ParameterError, match="penalty of pelt must be > 0"):
        pelt([1.0, 2.0], 0.0)
    with pytest.raises(ParameterError, match="finite"):
        pelt([1.0, np.nan, 2.0, 3.0], 1.0, min_size=1)
    with pytest.raises(ParameterError, match="backend"):
        pelt([1.0, 2.0, 3.0, 4.0], 1.0, backend="nope")


def test_window_medians_against_pandas():
    rng = np.random.default_rng(5)
    x = rng.normal(0, 1, 300)
    x[rng.integers(0, 300, 30)] = np.nan
    w = 12
    back, fwd = window_medians(x, w, w // 2)
    s = pd.Series(x)
    ref_back = s.rolling(w, min_periods=w // 2).median().shift(1)
    ref_fwd = s[::-1].rolling(w, min_periods=w // 2).median()[::-1]
    ref_fwd.iloc[len(x) - w + 1:] = np.nan  # full forward windows only
    np.testing.assert_allclose(back, ref_back.to_numpy(), equal_nan=True)
    np.testing.assert_allclose(fwd, ref_fwd.to_numpy(), equal_nan=True)


# --------------------------------------------------------- offset_stretch
def test_offset_from_the_first_row_until_a_visit():
    x, t = sensor(40, seed=1)
    visit = 9 * DAY + 41  # day 9, 10:15: put right
    x[:visit] += 2.0
    det = offset_stretch(x, times=t)
    flagged = np.flatnonzero(det.mask)
    assert flagged[0] == 0 and flagged[-1] == visit - 1 and flagged.size == visit
    assert det.score[0] == pytest.approx(2.0, abs=0.1)
    assert offset_stretch(x, times=t, ends="none").mask.sum() == 0  # only paired stretches


def test_offset_between_unequal_jumps():
    x, t = sensor(60, seed=2, trend=0.02)
    a, b = 12 * DAY + 50, 33 * DAY + 47
    x[a:b] += 1.5 + np.linspace(0, 0.6, b - a)  # in +1.5, out -2.1: the offset grew meanwhile
    det = offset_stretch(x, times=t, tolerance=0.5)
    assert np.flatnonzero(det.mask).tolist() == list(range(a, b))
    # too unequal for a tight tolerance: the pair is refused
    assert not offset_stretch(x, times=t, tolerance=0.1, ends="none").mask.any()


def test_no_offset_in_a_natural_series():
    x, t = sensor(60, seed=3, trend=0.03, amp=1.0)
    rng = np.random.default_rng(3)
    for start in rng.integers(0, x.size - 200, 6):  # storms: rise over hours, recede over a day
        x[start:start + 150] += 1.5 * np.exp(-np.arange(150) / 40) * (1 - np.exp(-np.arange(150) / 6))
    det = offset_stretch(x, times=t)
    assert det.mask.sum() == 0, det.stats


def test_offset_at_a_calibration_date():
    x, t = sensor(40, seed=4)
    fix = 20 * DAY + 30
    x[6 * DAY:fix] -= np.linspace(0, 0.8, fix - 6 * DAY)  # fouling drift put right at a visit
    visits = [str(pd.Timestamp(t[fix]))]
    det = offset_stretch(x, times=t, visits=visits)
    flagged = np.flatnonzero(det.mask)
    assert flagged.size and flagged[-1] == fix - 1
    # flagged back to where the drift began (the backward CUSUM returns to 0 there)
    assert 5 * DAY <= flagged[0] <= 7 * DAY
    # a visit that changed nothing flags nothing
    y, _ = sensor(40, seed=4)
    assert not offset_stretch(y, times=t, visits=visits).mask.any()


def test_offset_visits_need_times_and_valid_dates():
    x, _ = sensor(10)
    with pytest.raises(InputError, match="visits of offset_stretch"):
        offset_stretch(x, cycle=96, step=2, min_duration=4, max_duration=900, visits=["2019-01-03"])
    with pytest.raises(ParameterError, match="visits of offset_stretch must be"):
        offset_stretch(x, visits=["not a date"])


def test_offset_with_missing_values_inside():
    x, t = sensor(40, seed=6)
    x[:10 * DAY] += 1.0
    x[3 * DAY:4 * DAY] = np.nan
    det = offset_stretch(x, times=t)
    assert not det.mask[3 * DAY:4 * DAY].any() and not det.evaluated[3 * DAY:4 * DAY].any()
    assert det.mask[:3 * DAY].all() and det.mask[4 * DAY:10 * DAY].all()
    assert not det.mask[10 * DAY:].any()


def test_offset_short_series_not_evaluated():
    x, t = sensor(1)
    det = offset_stretch(x, times=t)
    assert not det.evaluated.any() and "cycle" in det.note


# ---------------------------------------------------------- noisy_stretch
@pytest.mark.parametrize("detector", ["cusum", "pelt"])
def test_noisy_stretch_found(detector):
    x, t = sensor(30, seed=7, noise=0.02)
    a, b = 10 * DAY, 17 * DAY
    x[a:b] += np.random.default_rng(7).normal(0, 0.2, b - a)
    det = noisy_stretch(x, times=t, detector=detector)
    flagged = np.flatnonzero(det.mask)
    assert abs(flagged[0] - a) <= DAY // 4 and abs(flagged[-1] - (b - 1)) <= DAY // 4
    assert det.mask[a + 8:b - 8].all()
    assert det.score[a + DAY] > 3  # the spread ratio


@pytest.mark.parametrize("detector", ["cusum", "pelt"])
def test_noisy_stretch_quiet_on_steady_noise(detector):
    x, t = sensor(120, seed=8, noise=0.05, amp=1.0)
    det = noisy_stretch(x, times=t, detector=detector)
    assert det.mask.mean() < 0.002


def test_noisy_stretch_quantised_and_constant():
    x, t = sensor(20, seed=9, noise=0.001)  # rounded to 0.01: mostly exact repeats
    det = noisy_stretch(x, times=t)
    assert det.mask.mean() < 0.01
    const = noisy_stretch(np.full(500, 3.0), smooth=5, block=4, min_duration=8)
    assert not const.evaluated.any() and "scatter" in const.note


# ---------------------------------------------------------- sonde_failure
def sonde():
    x, t = sensor(10, seed=10)
    do = x.copy()
    cond = 400 + 10 * np.cos(np.arange(x.size) * 2 * np.pi / DAY) + np.random.default_rng(1).normal(0, 0.5, x.size)
    ph = 8.2 + 0.1 * np.sin(np.arange(x.size) * 2 * np.pi / DAY + 1)
    return t, do, np.round(cond, 1), np.round(ph, 2)


def test_sonde_failure_joint_and_alone():
    t, do, cond, ph = sonde()
    a, b = 3 * DAY, 4 * DAY
    do[a:b] = 5.555
    cond[a:b] = 7999.0
    ph[a - 20:a + 10] = ph[a - 20]  # a short pH plateau alone
    det = sonde_failure.spec.func(do, times=t, stuck="3h", min_duration="3h",
                                  sonde={"cond": cond, "ph": ph}, min_variables=2, gross=8.0)
    assert np.flatnonzero(det.mask).tolist() == list(range(a, b))
    assert det.score[a + 5] >= 2
    # pH alone stuck for 7.5 h with the others fine (before a): not a sonde failure
    det_ph = sonde_failure.spec.func(ph, times=t, sonde={"do": do, "cond": cond}, min_variables=2,
                                     stuck="3h", min_duration="3h", gross=8.0)
    assert not det_ph.mask[a - 20:a].any()


def test_sonde_failure_missing_siblings_count():
    t, do, cond, ph = sonde()
    a, b = 5 * DAY, 6 * DAY
    do[a:b] = 0.0
    cond[a:b] = np.nan  # the logger lost the other probe
    det = sonde_failure.spec.func(do, times=t, sonde={"cond": cond}, min_variables=2, stuck="3h",
                                  gross=8.0, min_duration="3h")
    assert det.mask[a:b].all() and det.mask.sum() == b - a


def test_sonde_failure_without_context_and_bad_context():
    t, do, cond, ph = sonde()
    do[100:200] = do[100]
    det = sonde_failure(do, times=t)
    assert det.mask[100:200].all() and "judged on this series alone" in det.note
    with pytest.raises(ParameterError, match="sonde variable 'cond' has 3 values"):
        sonde_failure.spec.func(do, times=t, min_variables=2, stuck="3h", gross=8.0,
                                min_duration="3h", sonde={"cond": [1.0, 2.0, 3.0]})


def test_pelt_compiled_path_equals_ruptures():
    rpt = pytest.importorskip("ruptures", reason="ruptures (the changepoint extra) is the reference")
    rng = np.random.default_rng(42)
    y = np.concatenate([rng.normal(m, 1, 120) for m in rng.normal(0, 2, 5)])  # n = 600 > 200
    pen = 2 * np.log(y.size)
    assert pelt(y, pen, min_size=3) == rpt.Pelt(model="l2", min_size=3, jump=1).fit(y).predict(pen=pen)

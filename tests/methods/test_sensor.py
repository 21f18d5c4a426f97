"""Sensor QC tests (gross_range, nodata_codes, spike, rate_of_change, flat_line).

Reference values are hand-computed on small series (QARTOD-style worked
examples written out in the comments), independent of aquaflag's code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag import Rule
from aquaflag.errors import InputError, ParameterError
from aquaflag.methods import flat_line, gross_range, nodata_codes, rate_of_change, spike
from aquaflag.methods._common import resolution
from aquaflag.methods.sensor import flat_run_lengths


MAINSTREET = Path(__file__).resolve().parents[3] / "shared" / "data" / "lro" / "MainStreet2019.csv"


@pytest.fixture(scope="module")
def mainstreet():
    """The LRO Main Street 2019 sensor file (15 min), read with plain pandas; never copied."""
    if not MAINSTREET.exists():
        pytest.skip(f"real data not available at {MAINSTREET}")
    return pd.read_csv(MAINSTREET, na_values=["NULL", -9999], parse_dates=["datetime"],
                       index_col="datetime")


def ts(*stamps):
    return pd.to_datetime(list(stamps)).to_numpy(dtype="datetime64[ns]")


def regular(n, freq="15min"):
    return pd.date_range("2021-06-01", periods=n, freq=freq).to_numpy(dtype="datetime64[ns]")


def test_bad_offset_rejected_by_name_at_validation():
    with pytest.raises(ParameterError, match=r"^per of rate_of_change must be a fixed time span"):
        Rule("rate_of_change", {"per": "1M"}).resolve()
    with pytest.raises(ParameterError, match=r"^window of flat_line must be"):
        Rule("flat_line", {"window": "two hours"}).resolve()


def test_resolution():
    assert resolution(np.array([7.50, 7.51, 7.51, 7.53])) == 0.01
    assert resolution(np.array([3.0, 3.0])) == 0.0


# --- gross_range -----------------------------------------------------------------

def test_gross_range_default_span_from_column():
    x = np.array([7.0, -0.1, 14.0, 14.2, np.nan])
    det = gross_range(x, series="pH(Mun-Ui)")
    assert det.mask.tolist() == [False, True, False, True, False]  # 14.0 on the bound: kept
    assert det.lower[0] == 0.0 and det.upper[0] == 14.0
    assert det.grade is None
    assert det.evaluated.tolist() == [True, True, True, True, False]


def test_gross_range_do_has_lower_bound_zero():
    det = gross_range([8.0, -0.5, 35.0], series="DO")
    assert det.mask.nonzero()[0].tolist() == [1, 2]


def test_gross_range_grades_suspect_and_fail():
    # fail span [0, 14], suspect span [6.5, 9.0]
    x = np.array([7.0, 6.0, 9.5, 15.0, -1.0, 9.0])
    det = gross_range(x, series="pH", suspect_lower=6.5, suspect_upper=9.0)
    assert det.mask.tolist() == [False, True, True, True, True, False]
    assert det.grade[det.mask].tolist() == [3, 3, 4, 4]
    assert det.lower[0] == 0.0 and det.upper[0] == 14.0  # bounds are the fail span


def test_gross_range_explicit_bounds_override_default():
    det = gross_range([5.0, 25.0, 31.0], series="Water Temperature(A)", upper=30.0)
    assert det.mask.tolist() == [False, False, True]
    assert det.lower[0] == -5.0 and det.upper[0] == 30.0


def test_gross_range_unknown_parameter_not_evaluated():
    det = gross_range([1.0, 2.0, 1e9], series="Phosphate")
    assert not det.evaluated.any()
    assert "unknown variable 'Phosphate' in column 'Phosphate': give lower/upper" in det.note
    det = gross_range([1.0, 2.0, 1e9], series="Phosphate", upper=100.0)
    assert det.mask.tolist() == [False, False, True]


@pytest.mark.parametrize("kw, bad", [
    ({"lower": 5.0, "upper": 1.0}, "lower"),
    ({"suspect_lower": 9.0, "suspect_upper": 8.0}, "suspect_lower"),
    ({"suspect_lower": -1.0}, "suspect_lower"),
    ({"suspect_upper": 20.0}, "suspect_upper"),
])
def test_gross_range_inconsistent_spans(kw, bad):
    with pytest.raises(ParameterError, match=f"^{bad} of gross_range must be"):
        gross_range([7.0], series="pH", **kw)


def test_gross_range_fail_flags_on_real_logger_errors(mainstreet):
    """MainStreet 2019 temp holds 7999 logger error values; gross_range fails them."""
    det = gross_range(mainstreet["temp"].to_numpy(), series="temp")
    flagged = mainstreet["temp"].to_numpy()[det.mask]
    assert det.n_outliers > 0 and np.all((flagged > 45) | (flagged < -5))
    # the technicians removed every one of them from the corrected series
    assert np.isnan(mainstreet["temp_cor"].to_numpy()[det.mask]).all()


# --- nodata_codes ----------------------------------------------------------------

def test_nodata_codes_defaults():
    x = np.array([7.0, -9999.0, -999.0, 9.969209968386869e36, -9998.99, -999.5, np.nan])
    det = nodata_codes(x)
    assert det.mask.tolist() == [False, True, True, True, False, False, False]
    assert det.evaluated.tolist() == [True] * 6 + [False]


def test_nodata_codes_custom_and_zero():
    det = nodata_codes([0.0, 1e-9, 7999.0, 5.0], codes=[0, 7999])
    assert det.mask.tolist() == [True, False, True, False]


@pytest.mark.parametrize("bad", ["text", [], [1.0, "x"], [float("nan")], None, True])
def test_nodata_codes_bad_codes(bad):
    with pytest.raises(ParameterError, match="^codes of nodata_codes must be a non-empty list"):
        nodata_codes([1.0], codes=bad)


def test_nodata_codes_single_number_accepted():
    assert nodata_codes([1.0, -1.0], codes=-1).mask.tolist() == [False, True]


# --- spike -----------------------------------------------------------------------

def test_spike_hand_computed():
    # QARTOD (extremum=False): d_i = x_i - (x_{i-1} + x_{i+1}) / 2
    x = np.array([10.0, 10.2, 10.0, 13.0, 10.2, 10.0])
    det = spike(x, threshold=1.0, extremum=False)
    d = [np.nan, 0.2, -1.6, 2.9, -1.3, np.nan]
    np.testing.assert_allclose(det.score, d, atol=1e-12)
    # QARTOD flags 2, 3 and 4 (|d| > 1); 2 and 4 deviate the other way by less than
    # half of d_3 (ratios 1.8, 2.2 >= 1.5): they are the spike's victims.
    assert det.mask.nonzero()[0].tolist() == [3]
    assert spike(x, threshold=1.0, extremum=False,
                 suppress_neighbours=False).mask.nonzero()[0].tolist() == [2, 3, 4]
    assert not det.evaluated[[0, 5]].any()
    assert det.lower[3] == pytest.approx(10.1 - 1.0) and det.upper[3] == pytest.approx(11.1)


def test_spike_two_point_spike_stays_flagged():
    x = np.array([5.0, 5.0, 5.0, 1.0, 1.0, 5.0, 5.0, 5.0])
    det = spike(x, threshold=1.0, extremum=False)
    # d = [., 0, 2, -2, -2, 2, 0, .]: equal and opposite, so no point is a mere victim
    assert det.mask.nonzero()[0].tolist() == [2, 3, 4, 5]
    # GTSPP/Argo: a two-point excursion is no local extremum (each point has a neighbour at
    # its own level): s = |x - mean| - |x_next - x_prev| / 2, e.g. i=2: |5 - 3| - 2 = 0
    ext = spike(x, threshold=1.0)
    np.testing.assert_allclose(ext.score[1:-1], [0, 0, 0, 0, 0, 0], atol=1e-12)
    assert not ext.mask.any()


def test_spike_extremum_hand_computed():
    # GTSPP/Argo test value s = |V2 - (V3 + V1)/2| - |V3 - V1|/2
    x = np.array([10.0, 10.2, 10.0, 13.0, 10.2, 10.0, 12.0, 15.0, 14.0])
    det = spike(x, threshold=1.0)
    # i=1: |10.2-10.0| - 0 = 0.2; i=2: |10.0-11.6| - 1.4 = 0.2; i=3: |13-10.1| - 0.1 = 2.8
    # i=4: |10.2-11.5| - 1.5 = -0.2; i=5: |10-11.1| - 0.9 = 0.2; i=6: |12-12.5| - 2.5 = -2.0
    # i=7: |15-13| - 1 = 1.0 (a storm peak 1.0 above its higher neighbour: not > 1)
    np.testing.assert_allclose(det.score[1:-1], [0.2, 0.2, 2.8, -0.2, 0.2, -2.0, 1.0], atol=1e-12)
    assert det.mask.nonzero()[0].tolist() == [3]
    assert det.lower[3] == pytest.approx(10.0 - 1.0) and det.upper[3] == pytest.approx(10.2 + 1.0)


def test_spike_never_flags_a_rise_at_coarse_sampling():
    # an hourly storm front: a monotone rise is never a local extremum
    x = np.r_[np.full(50, 10.0) + 0.01 * np.arange(50) % 0.03, [14, 30, 55, 70, 72], np.full(50, 72.0)]
    t = pd.date_range("2020-01-01", periods=x.size, freq="1h").to_numpy(dtype="datetime64[ns]")
    assert not spike(x, threshold=0.5, times=t).mask.any()
    assert spike(x, threshold=0.5, times=t, extremum=False).mask.any()  # QARTOD does


def test_spike_neighbours_skip_nan():
    x = np.array([10.0, np.nan, 10.0, 20.0, np.nan, np.nan, 10.0, 10.0])
    det = spike(x, threshold=5.0)
    assert det.mask.nonzero()[0].tolist() == [3]
    assert det.score[3] == pytest.approx(10.0)  # neighbours are x[2] and x[6]
    assert not det.evaluated[[0, 1, 4, 5, 7]].any()


def test_spike_irregular_times_interpolate():
    # neighbours at t=0 (0.0) and t=4h (4.0); the point at t=1h on the line would be 1.0
    x = np.array([0.0, 1.0, 4.0])
    t = ts("2020-01-01 00:00", "2020-01-01 01:00", "2020-01-01 04:00")
    assert spike(x, threshold=0.5, times=t, extremum=False).score[1] == pytest.approx(0.0)
    assert spike(x, threshold=0.5, extremum=False).score[1] == pytest.approx(-1.0)  # no times


def test_spike_auto_threshold():
    rng = np.random.default_rng(3)
    x = 10 + rng.normal(0, 0.1, 2000)
    x[700] += 3.0
    det = spike(x)
    dx = np.diff(x)
    mad = np.median(np.abs(dx - np.median(dx)))
    # white noise: the noise term k x 1.4826 MAD(dx) dominates rise x (a day's 2nd-largest step)
    assert det.stats["threshold"] == pytest.approx(8.0 * mad / 0.6745, rel=1e-9)
    assert det.mask.nonzero()[0].tolist() == [700]


def test_spike_derived_threshold_grows_with_natural_rises():
    # hourly data, 24 steps a day; every day one natural rise of 2.0 and back (a diel pulse)
    day = np.r_[np.zeros(10), [1.0, 2.0, 1.0], np.zeros(11)] + 0.01 * (np.arange(24) % 2)
    x = np.tile(day, 30)
    t = pd.date_range("2020-01-01", periods=x.size, freq="1h").to_numpy(dtype="datetime64[ns]")
    det = spike(x, times=t)
    # each day's steps: about +-1 four times (0.99 or 1.01) and +-0.01: second-largest ~1.01
    assert det.stats["daily_step"] == pytest.approx(1.01, abs=1e-9)
    assert det.stats["threshold"] == pytest.approx(max(8.0 * det.stats["scale"], 2 * 1.01))
    assert not det.mask.any()  # the daily pulse peaks 1.0 above its neighbours: natural


def test_spike_auto_threshold_floor_is_resolution():
    x = np.round(np.linspace(7.0, 7.3, 300), 2)  # mostly repeated values, steps of 0.01
    x[150] = 8.0
    det = spike(x)
    assert det.stats["resolution"] == 0.01
    assert det.stats["threshold"] >= 8 * 0.01
    assert det.mask.nonzero()[0].tolist() == [150]


def test_spike_straight_line_not_evaluated():
    det = spike(np.arange(20.0))
    assert not det.evaluated.any() and "straight" in det.note


# --- rate_of_change --------------------------------------------------------------

def test_rate_of_change_irregular_times():
    t = ts("2020-01-01 00:00", "2020-01-01 00:15", "2020-01-01 00:30",
           "2020-01-01 02:30", "2020-01-01 02:45")
    x = np.array([10.0, 10.5, 13.0, 16.0, 16.5])
    det = rate_of_change(x, threshold=4.0, per="1h", times=t)
    # rates per hour: 0.5/0.25 = 2, 2.5/0.25 = 10, 3/2 = 1.5, 0.5/0.25 = 2
    np.testing.assert_allclose(det.score, [np.nan, 2.0, 10.0, 1.5, 2.0])
    assert det.mask.nonzero()[0].tolist() == [2]
    # bounds: the values reachable from the previous one, x_prev +- 4/h * dt
    assert det.lower[3] == pytest.approx(13.0 - 8.0) and det.upper[3] == pytest.approx(21.0)
    per_min = rate_of_change(x, threshold=4.0 / 60, per="1min", times=t)
    np.testing.assert_array_equal(per_min.mask, det.mask)


def test_rate_of_change_skips_nan_and_duplicates():
    t = ts("2020-01-01 00:00", "2020-01-01 00:15", "2020-01-01 00:30", "2020-01-01 00:30",
           "2020-01-01 00:45")
    x = np.array([1.0, np.nan, 2.0, 9.0, 2.5])
    det = rate_of_change(x, threshold=10.0, times=t)
    # x[2] vs x[0] over 30 min: 2/h; x[3] has its predecessor's timestamp: not evaluated
    assert det.score[2] == pytest.approx(2.0)
    assert det.evaluated.tolist() == [False, False, True, False, True]
    assert "share their predecessor's timestamp" in det.note


def test_rate_of_change_needs_times_for_offset():
    with pytest.raises(InputError, match="per of rate_of_change is a time offset"):
        rate_of_change([1.0, 2.0, 3.0])
    det = rate_of_change([1.0, 1.1, 5.0, 5.1], threshold=1.0, per=None)
    assert det.mask.nonzero()[0].tolist() == [2]


def test_rate_of_change_unsorted_times_rejected():
    t = ts("2020-01-01 01:00", "2020-01-01 00:00", "2020-01-01 02:00")
    with pytest.raises(InputError, match="timestamps must increase"):
        rate_of_change([1.0, 2.0, 3.0], times=t)


def test_rate_of_change_auto_threshold():
    rng = np.random.default_rng(5)
    x = 10 + rng.normal(0, 0.05, 1000)
    x[400:] += 2.0  # a step: one fast change
    det = rate_of_change(x, times=regular(1000))
    assert det.mask.nonzero()[0].tolist() == [400]


# --- flat_line -------------------------------------------------------------------

def test_flat_run_lengths_matches_brute_force():
    rng = np.random.default_rng(0)
    x = np.round(rng.normal(0, 1, 400).cumsum() * 0.2, 1)
    x[100:130] = 3.0
    for tol in (0.0, 0.1, 0.35, 1.0):
        got = flat_run_lengths(x, tol)
        want = np.empty(x.size, dtype=int)
        for b in range(x.size):
            a = b
            while a > 0 and x[a - 1: b + 1].max() - x[a - 1: b + 1].min() <= tol:
                a -= 1
            want[b] = b - a + 1
        np.testing.assert_array_equal(got, want, err_msg=f"tolerance {tol}")


def test_flat_line_count_window():
    x = [7.0, 7.2, 7.1, 7.1, 7.1, 7.1, 7.3, 7.2, 7.2, 7.2]
    det = flat_line(x, window=4)
    assert det.mask.nonzero()[0].tolist() == [2, 3, 4, 5]  # the run of 3 at the end is short
    assert det.score[5] == pytest.approx(1.0) and det.score[9] == pytest.approx(0.75)


def test_flat_line_time_window_irregular():
    t = ts("2020-01-01 00:00", "2020-01-01 00:10", "2020-01-01 01:40", "2020-01-01 02:05",
           "2020-01-01 02:20", "2020-01-01 02:30", "2020-01-01 03:00")
    x = np.array([5.0, 6.0, 6.0, 6.0, 7.0, 7.0, 7.0])
    det = flat_line(x, window="2h", times=t)
    # 6.0 from 00:10 to 02:05 lasts 1h55 < 2h; 7.0 lasts 40 min
    assert not det.mask.any()
    det = flat_line(x, window="1h50min", times=t)
    assert det.mask.nonzero()[0].tolist() == [1, 2, 3]
    assert det.score[3] == pytest.approx(115 / 110)


def test_flat_line_min_points_guards_gaps():
    t = ts("2020-01-01 00:00", "2020-01-03 00:00", "2020-01-03 00:15", "2020-01-03 00:30")
    x = np.array([4.0, 4.0, 5.0, 6.0])
    assert not flat_line(x, window="2h", times=t).mask.any()  # 2 points across a gap
    assert flat_line(x, window="2h", min_points=2, times=t).mask.nonzero()[0].tolist() == [0, 1]


def test_flat_line_tolerance_and_nan():
    x = np.array([1.0, 2.0, 2.01, np.nan, 1.99, 2.0, 2.02, 3.0, 4.0])
    det = flat_line(x, window=5, tolerance=0.03)
    assert det.mask.nonzero()[0].tolist() == [1, 2, 4, 5, 6]
    assert not det.evaluated[3]
    assert not flat_line(x, window=5, tolerance=0.0).mask.any()


def test_flat_line_whole_series_flat_not_evaluated():
    det = flat_line(np.full(30, 7.5), window=3)
    assert not det.evaluated.any() and "whole series is flat" in det.note


def test_flat_line_needs_times_for_offset():
    with pytest.raises(InputError, match="window of flat_line is a time offset"):
        flat_line([1.0, 1.0, 1.0, 2.0], window="2h")
    with pytest.raises(InputError, match="floor of flat_line is a time offset"):
        flat_line([1.0, 1.0, 1.0, 2.0])  # the derived window's floor is 12 h
    assert flat_line([1.0, 1.0, 1.0, 2.0, 3.0], floor=3).mask.tolist() == [True] * 3 + [False] * 2


# --- through the engine ----------------------------------------------------------

def test_sensor_methods_through_evaluate():
    idx = pd.date_range("2021-06-01", periods=40, freq="15min")
    ph = 7.0 + 0.05 * np.sin(np.arange(40) / 3)
    ph[10] = 15.0          # gross range and spike
    ph[20:32] = 7.3        # stuck for 2h45
    ph[5] = -9999.0        # a no-data code
    frame = pd.DataFrame({"pH(A)": ph}, index=idx)
    res = aquaflag.evaluate(frame, [
        Rule("gross_range"), Rule("nodata_codes"), Rule("spike", {"threshold": 1.0}),
        Rule("rate_of_change", {"threshold": 4.0}), Rule("flat_line", {"window": "2h"}),
    ])
    m = res.outliers
    got = {meth: sorted(m.loc[m.method == meth, "time"].map(idx.get_loc)) for meth in m.method.unique()}
    assert got["gross_range"] == [5, 10]
    assert got["nodata_codes"] == [5]
    assert 10 in got["spike"]
    assert 10 in got["rate_of_change"]
    assert got["flat_line"] == list(range(20, 32))
    flags = res.flags["pH(A)"]
    assert flags.iloc[10] == 4 and flags.iloc[25] == 3


def test_gross_range_grade_reaches_flags():
    idx = pd.date_range("2021-06-01", periods=4, freq="1D")
    frame = pd.DataFrame({"pH": [7.0, 9.5, 15.0, 7.1]}, index=idx)
    res = aquaflag.evaluate(frame, [Rule("gross_range", {"suspect_upper": 9.0})])
    assert res.flags["pH"].tolist() == [1, 3, 4, 1]


def test_time_methods_without_datetime_index_raise():
    frame = pd.DataFrame({"pH": [7.0, 7.1, 7.0, 7.2]})
    with pytest.raises(InputError, match="DatetimeIndex"):
        aquaflag.evaluate(frame, [Rule("flat_line")])
    res = aquaflag.evaluate(frame, [Rule("flat_line", {"window": 3})])
    assert not res.detections[("pH", "flat_line")].mask.any()


def test_on_mainstreet_sensor_file(mainstreet):
    df = mainstreet
    cols = ["temp", "cond", "ph", "do"]
    res = aquaflag.evaluate(df[cols], [Rule("gross_range"), Rule("nodata_codes"), Rule("spike"),
                                       Rule("rate_of_change"), Rule("flat_line")])
    share = res.summary.set_index(["column", "method"])["outliers"] / len(df)
    assert share.max() < 0.15          # no method flags wholesale
    assert share[("temp", "gross_range")] > 0   # the 7999 logger error values
    assert share[("temp", "nodata_codes")] == 0  # -9999 already read as missing

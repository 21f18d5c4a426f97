"""Self-calibrating defaults: what each sensor rule derives from the series, and fit/apply.

Expected values are hand-computed from the constructed series (the arithmetic is in the
comments), not read back from the code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag import Rule, registry
from aquaflag.config import parse, rules_to_toml
from aquaflag.errors import ParameterError
from aquaflag.methods import flat_line, level_shift, spike
from aquaflag.methods._common import fitted_params


def times(n, freq):
    return pd.date_range("2021-01-01", periods=n, freq=freq).to_numpy(dtype="datetime64[ns]")


def quantised_diel(minutes, step, days=30, seed=0):
    """A smooth diel temperature cycle sampled every ``minutes``, quantised to ``step``."""
    n = days * 24 * 60 // minutes
    t = np.arange(n) * minutes / 60.0  # hours
    rng = np.random.default_rng(seed)
    x = 12 + 1.5 * np.sin(2 * np.pi * t / 24) + 0.3 * np.sin(2 * np.pi * t / 240)
    x = x + rng.normal(0, 0.005, n)
    return np.round(x / step) * step, times(n, f"{minutes}min")


def test_flat_line_window_on_quantised_1min_vs_15min():
    # The same water: logged to 0.01 every 15 min, a value repeats for well under an hour;
    # logged to 0.5 every minute (a coarse sensor), near the diel turning points a value
    # holds for hours, and the window must grow with it.
    fine, t15 = quantised_diel(15, 0.01)
    coarse, t1 = quantised_diel(1, 0.5)
    d15 = flat_line(fine, times=t15)
    d1 = flat_line(coarse, times=t1)
    assert d15.stats["window_hours"] == 12.0            # the floor: runs are short
    assert d1.stats["run_hours"] > 3                      # long natural runs at 0.5 resolution
    assert d1.stats["window_hours"] == pytest.approx(max(12.0, 2 * d1.stats["run_hours"]), abs=1 / 3600)
    assert not d15.mask.any() and not d1.mask.any()       # no false alarm on clean data
    # a sensor stuck for three days is caught at both rates
    for x, t in ((fine.copy(), t15), (coarse.copy(), t1)):
        per_day = int(np.timedelta64(1, "D") / (t[1] - t[0]))
        x[10 * per_day:13 * per_day] = x[10 * per_day]
        det = flat_line(x, times=t)
        assert det.mask[10 * per_day:13 * per_day].all()
        assert det.mask.sum() <= 3 * per_day + per_day // 2


def test_flat_line_window_is_factor_times_the_rank_th_longest_run():
    # runs of 1..20 values at 15 min, each length once: run durations 0, 15, ..., 285 min;
    # the 10th longest lasts (11 - 1) x 15 = 150 min; factor 2 -> 300 min < 12 h floor;
    # factor 6 -> 900 min = 15 h
    x = np.repeat(np.arange(20) % 2 * 1.0 + np.arange(20) * 0.01, np.arange(1, 21))
    t = times(x.size, "15min")
    det = flat_line(x, times=t)
    assert det.stats["run_hours"] == pytest.approx(150 / 60)
    assert det.stats["window_hours"] == 12.0
    det = flat_line(x, times=t, factor=6.0)
    assert det.stats["window_hours"] == pytest.approx(15.0)
    assert det.stats["window"] == "54000s"


def test_flat_line_ice_band_only_for_water_temperature():
    x = np.r_[np.linspace(2, 1, 50), np.full(200, 0.0), np.linspace(0.1, 3, 50)]
    t = times(x.size, "15min")
    assert flat_line(x, times=t).mask.sum() == 200                       # 50 h at 0: stuck
    assert not flat_line(x, times=t, series="Water Temperature").mask.any()  # ice
    assert flat_line(x, times=t, series="Water Temperature", ice_band=0).mask.sum() == 200
    assert flat_line(x, times=t, series="pH").mask.sum() == 200


def test_spike_threshold_is_larger_at_coarse_sampling():
    # a smooth diel cycle (amplitude 1.5): at 15 min the largest step of a day is
    # 1.5 x 2 pi / 96 = 0.098; hourly 0.39; so the derived threshold scales with the step
    x15, t15 = quantised_diel(15, 0.01)
    x60, t60 = x15[::4], t15[::4]
    d15, d60 = spike(x15, times=t15), spike(x60, times=t60)
    assert d60.stats["daily_step"] == pytest.approx(4 * d15.stats["daily_step"], rel=0.15)
    assert d60.stats["threshold"] > 3 * d15.stats["threshold"]
    assert not d15.mask.any() and not d60.mask.any()


def test_level_shift_natural_step_pair_is_not_paired():
    # hourly conductivity with a daily swing of +-3 (steps up to ~0.8); a +12 jump and a -6 jump
    # three weeks apart (the natural pair): opposite but not equal (|12 - 6| = 6 > 0.3 x 12)
    n = 24 * 60
    t = times(n, "1h")
    x = 300 + 3 * np.sin(2 * np.pi * np.arange(n) / 24)
    x[200:] += 12
    x[200 + 21 * 24:] -= 6
    assert not level_shift(x, times=t).mask.any()
    # a real offset: +12 in, -12 out, one to sixty days apart
    y = 300 + 3 * np.sin(2 * np.pi * np.arange(n) / 24)
    y[200:200 + 21 * 24] += 12
    det = level_shift(y, times=t)
    assert det.mask.nonzero()[0].tolist() == list(range(200, 200 + 21 * 24))
    # the jump size is at least rise x a typical day's largest step (second-largest of the day)
    assert det.stats["jump"] >= 3 * det.stats["daily_step"]


def test_reference_period_sets_the_statistics():
    x15, t15 = quantised_diel(15, 0.01, days=60)
    x = x15.copy()
    x[30 * 96:] = 12 + (x15[30 * 96:] - 12) * 10  # the second month is 10x as variable
    whole = spike(x, times=t15)
    first = spike(x, times=t15, reference="2021-01-01/2021-01-31")
    assert first.stats["threshold"] < whole.stats["threshold"]
    assert "from 2021-01-01/2021-01-31" in first.stats["derived"]
    with pytest.raises(ParameterError, match="^reference of spike must be"):
        spike(x, times=t15, reference="last month")


def test_fit_once_apply_to_new_data_through_a_config():
    x, t = quantised_diel(15, 0.01, days=60)
    x[31 * 96:] = np.round(12 + (x[31 * 96:] - 12) * 3, 2)  # February swings three times as much
    frame = pd.DataFrame({"temp": x}, index=pd.DatetimeIndex(t, name="datetime"))
    jan, feb = frame.iloc[:31 * 96], frame.iloc[31 * 96:]
    rules = [Rule("flat_line"), Rule("spike"), Rule("level_shift")]
    fit = aquaflag.evaluate(jan, rules)
    fitted = [Rule(r.method, fitted_params(registry.get(r.method), fit.detection("temp", r.label)),
                   columns=("temp",), label=r.label) for r in fit.rules]
    text = rules_to_toml(fitted)
    config = parse(text)
    applied = aquaflag.run(feb, config)
    for r in fit.rules:
        before = fit.detection("temp", r.label).stats
        after = applied.detection("temp", r.label).stats
        key = {"flat_line": "window_hours", "spike": "threshold", "level_shift": "threshold"}[r.method]
        assert after[key] == pytest.approx(before[key])
        assert "(given)" in after["derived"]
    # judged with February's own statistics, the thresholds differ
    own = aquaflag.evaluate(feb, rules)
    assert own.detection("temp", "spike").stats["threshold"] != pytest.approx(
        fit.detection("temp", "spike").stats["threshold"])


def test_provenance_shows_the_derivation():
    x, t = quantised_diel(15, 0.01, days=20)
    x[500:700] = x[500]  # 50 h stuck
    frame = pd.DataFrame({"temp": x}, index=pd.DatetimeIndex(t, name="datetime"))
    res = aquaflag.evaluate(frame, [Rule("flat_line")])
    prov = res.provenance
    assert (prov["derived"].str.startswith("window=12h (floor 12h")).all()
    assert prov["derived"].str.contains("resolution=0.01, step=15min").all()

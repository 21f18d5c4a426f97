"""level_shift: stretches between a sharp jump and a sharp jump back (calibration offsets).

Reference values are hand-computed on small series (the arithmetic is written
out in the comments), independent of aquaflag's code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag import Rule
from aquaflag.errors import InputError, ParameterError
from aquaflag.methods import level_shift

LRO = Path(__file__).resolve().parents[3] / "shared" / "data" / "lro"

#: Count windows and a lower threshold: small hand-made series, no timestamps needed. The
#: natural-step criteria of the self-calibrating default (rise, level_points, the tighter
#: tolerance) are switched off here to test the pairing itself; they have their own tests.
SMALL = {"threshold": 5.0, "min_duration": 2, "max_duration": 100, "max_gap": 1,
         "rise": 0.0, "level_points": 1, "tolerance": 0.5}


def base(n):
    """A deterministic wiggle around 9.0: changes up to 0.075, a robust scale of about 0.07."""
    return 9.0 + 0.05 * np.sin(1.7 * np.arange(n))


def regular(n, freq="15min"):
    return pd.date_range("2021-06-01", periods=n, freq=freq).to_numpy(dtype="datetime64[ns]")


def test_hand_computed_offset():
    x = [9.0, 9.1, 9.0, 9.1, 11.1, 11.0, 11.1, 11.0, 11.1, 9.0, 9.1, 9.0]
    # d = .1 -.1 .1 2.0 -.1 .1 -.1 .1 -2.1 .1 -.1 ; median(d) = 0.1
    # |d - .1| = 0 .2 0 1.9 .2 0 .2 0 2.2 0 .2 -> MAD = 0.2 ; sigma = 0.2 / 0.6745 = 0.29652
    # resolution 0.1 < sigma ; tau = 5 x 0.29652 = 1.4826
    # jumps: d[3] = +2.0 (neighbours .1, .1: 2.0 >= 3 x .1) and d[8] = -2.1
    # opposite: |2.0 - 2.1| = 0.1 <= 0.5 x 2.1 ; length 9 - 4 = 5 points >= 2
    det = level_shift(x, **SMALL)
    assert det.mask.nonzero()[0].tolist() == [4, 5, 6, 7, 8]
    assert det.stats["scale"] == pytest.approx(0.2 / 0.6745)
    assert det.stats["threshold"] == pytest.approx(5 * 0.2 / 0.6745)
    assert det.stats["n_jumps"] == 2 and det.stats["n_shifts"] == 1
    assert det.score[4] == pytest.approx((2.0 + 2.1) / 2)  # the estimated offset
    assert np.isnan(det.score[[0, 3, 9, 11]]).all()
    assert np.isnan(det.lower).all() and np.isnan(det.upper).all()
    assert det.evaluated.all()


def test_negative_offset():
    x = base(30)
    x[10:20] -= 3.0
    det = level_shift(x, **SMALL)
    assert det.mask.nonzero()[0].tolist() == list(range(10, 20))
    assert det.score[10] == pytest.approx(-3.0, abs=0.11)


def test_one_point_spike_is_not_a_jump():
    x = base(30)
    x[12] += 5.0  # d = +5, -5: each is only 1x its neighbour, not >= 3x
    det = level_shift(x, **SMALL)
    assert det.stats["n_jumps"] == 0 and not det.mask.any()


def test_short_plateau_is_consumed_not_flagged():
    x = base(30)
    x[12:14] += 5.0  # two points up: two sharp jumps 2 points apart
    det = level_shift(x, **{**SMALL, "min_duration": 3})
    assert det.stats["n_jumps"] == 2 and not det.mask.any()
    det = level_shift(x, **{**SMALL, "min_duration": 2})
    assert det.mask.nonzero()[0].tolist() == [12, 13]


def test_jumps_must_be_opposite_and_of_similar_size():
    x = base(30)
    x[10:] += 3.0
    x[20:] -= 1.2  # back by -1.2 only: |3.0 - 1.2| = 1.8 > 0.5 x 3.0
    det = level_shift(x, **SMALL)
    assert det.stats["n_jumps"] == 2 and not det.mask.any()
    # a looser tolerance pairs them: 1.8 <= 0.7 x 3.0
    det = level_shift(x, **{**SMALL, "tolerance": 0.7})
    assert det.mask.nonzero()[0].tolist() == list(range(10, 20))
    # same sizes, same sign: a staircase, not an offset
    y = base(30)
    y[10:] += 2.0
    y[20:] += 2.0
    det = level_shift(y, **SMALL)
    assert det.stats["n_jumps"] == 2 and not det.mask.any()


def test_ramp_is_not_a_jump():
    # a storm front: four steps of +0.8, later four steps of -0.8 (each step equals its neighbours)
    x = base(40)
    x[10:] += 0.8 * np.minimum(np.arange(30) + 1, 4)
    x[25:] -= 0.8 * np.minimum(np.arange(15) + 1, 4)
    det = level_shift(x, **SMALL)
    assert det.stats["n_jumps"] == 0 and not det.mask.any()


def test_a_larger_change_inside_rejects_the_stretch():
    x = base(40)
    x[10:30] += 2.0          # an offset from 10 to 29
    det = level_shift(x, **SMALL)
    assert det.mask.nonzero()[0].tolist() == list(range(10, 30))
    # a fast (not sharp) rise and fall inside, by 2 x 2.2: changes of 2.2 >= 2.0
    x[15:] += 2.2
    x[16:] += 2.2
    x[22:] -= 2.2
    x[23:] -= 2.2
    det = level_shift(x, **SMALL)
    assert not det.mask.any()


def test_paired_excursion_inside_does_not_reject():
    x = base(40)
    x[10:30] += 2.0
    x[18:20] -= 6.0  # a two-point dip inside the offset: a paired excursion
    det = level_shift(x, **SMALL)
    assert set(range(10, 30)) - {18, 19} <= set(det.mask.nonzero()[0])


def test_max_duration():
    x = base(60)
    x[10:40] += 2.0  # 30 points
    assert level_shift(x, **{**SMALL, "max_duration": 30}).mask.sum() == 30
    assert not level_shift(x, **{**SMALL, "max_duration": 29}).mask.any()


def test_alternating_jumps_keep_the_pairing_that_explains_them():
    # The record starts offset (-2 at point 5 puts it right), is offset again from 20 to 39.
    # Forward bracket pairing would take (5, 20) and leave the jump at 40 unexplained: 40
    # points from the start and 40 from the end, more than max_duration = 30. Backward
    # pairing takes (20, 40) and leaves the jump at 5, which a stretch running off the
    # start of the record explains (5 points <= 30): that pass is kept.
    x = base(80)
    x[:5] += 2.0
    x[20:40] += 2.0
    det = level_shift(x, **{**SMALL, "max_duration": 30})
    assert det.mask.nonzero()[0].tolist() == list(range(20, 40))
    assert det.stats["n_unexplained"] == 0


def test_missing_values_skipped_and_never_flagged():
    x = base(30)
    x[10:20] += 2.0
    x[[0, 14, 15, 29]] = np.nan
    det = level_shift(x, **{**SMALL, "max_gap": 3})
    assert det.mask.nonzero()[0].tolist() == [10, 11, 12, 13, 16, 17, 18, 19]
    assert not det.evaluated[[0, 14, 15, 29]].any()


def test_change_across_a_long_gap_is_not_a_jump():
    x = base(30)
    x[10:20] += 2.0
    x[8:10] = np.nan  # the jump in now spans 3 steps: a gap of 2 missing values
    assert not level_shift(x, **SMALL).mask.any()  # max_gap = 1: consecutive values only
    assert level_shift(x, **{**SMALL, "max_gap": 3}).mask.nonzero()[0].tolist() == list(range(10, 20))


def test_gap_width_scales_the_neighbour_comparison():
    # a ramp of 0.2 per step; two values missing, so the change across the gap is 3 x 0.2
    x = 9.0 + 0.2 * np.arange(40)
    x[8:10] = np.nan
    det = level_shift(x, **{**SMALL, "max_gap": 3, "threshold": 1.0})
    # scale: the resolution 0.2 (MAD = 0 and a tiny MeanAD); tau = 0.2 < 0.6, but
    # 0.6 < 3 x 3 steps x 0.2: the ramp, not a jump (without the width it would be 0.6 >= 3 x 0.2)
    assert det.stats["threshold"] == pytest.approx(0.2)
    assert det.stats["n_jumps"] == 0
    # an offset of 2 entering across the gap: 2.6 >= 1.8, and back: |-1.8| >= 3 x 0.2
    x[10:30] += 2.0
    det = level_shift(x, **{**SMALL, "max_gap": 3, "threshold": 1.0})
    assert det.mask.nonzero()[0].tolist() == list(range(10, 30))


def test_min_jump_floor():
    x = base(40)
    x[10:30] += 2.0
    assert level_shift(x, **SMALL).mask.any()
    det = level_shift(x, **{**SMALL, "min_jump": 2.5})
    assert det.stats["threshold"] == 2.5 and not det.mask.any()


def test_time_windows():
    t = regular(200)  # 15-min steps
    x = base(200)
    x[50:90] += 2.0  # 40 x 15 min = 10 h
    det = level_shift(x, threshold=5.0, min_duration="6h", max_duration="1D", max_gap="1h", times=t)
    assert det.mask.nonzero()[0].tolist() == list(range(50, 90))
    assert not level_shift(x, threshold=5.0, min_duration="12h", times=t).mask.any()
    assert not level_shift(x, threshold=5.0, max_duration="9h", times=t).mask.any()


def test_time_window_needs_timestamps():
    with pytest.raises(InputError, match="min_duration of level_shift is a time offset"):
        level_shift(base(30))  # the defaults are time offsets
    assert not level_shift(base(30), min_duration=2, max_duration=10, max_gap=1).mask.any()


def test_degenerate_cases():
    det = level_shift([1.0, 5.0], **SMALL)
    assert not det.evaluated.any() and "at least 3" in det.note
    det = level_shift(np.full(20, 7.5), **SMALL)
    assert not det.evaluated.any() and "constant" in det.note
    det = level_shift(np.arange(20.0), **SMALL)  # a straight line: one change, everywhere
    assert det.evaluated.all() and not det.mask.any() and det.stats["n_jumps"] == 0
    x = np.array([1.0, np.nan, 2.0, np.nan, 3.0])
    det = level_shift(x, **SMALL)  # max_gap = 1: no two values close enough
    assert not det.evaluated.any() and "max_gap" in det.note


def test_offset_running_off_the_record_is_not_flagged():
    x = base(40)
    x[:15] += 2.0  # starts offset: the jump in happened before the record
    assert not level_shift(x, **SMALL).mask.any()


@pytest.mark.parametrize("param, bad", [
    ("threshold", 0), ("ratio", 0.5), ("tolerance", 1.0), ("tolerance", 0.0), ("min_jump", -1.0),
    ("min_duration", 0), ("max_duration", "1M"), ("max_gap", "two hours"),
])
def test_bad_parameters_rejected_by_name(param, bad):
    with pytest.raises(ParameterError, match=rf"^{param} of level_shift "):
        level_shift(base(20), **{**SMALL, param: bad})


def test_through_a_config_rule_on_a_frame():
    idx = pd.date_range("2021-06-01", periods=300, freq="15min", name="datetime")
    do = base(300) + 1.0
    do[100:200] += 2.0  # 25 h offset
    frame = pd.DataFrame({"Dissolved Oxygen": do, "pH": base(300) - 1.0}, index=idx)
    rule = Rule("level_shift", {"threshold": 5.0, "min_duration": "1D", "min_jump": 0.5},
                variables=("do",))
    res = aquaflag.run(frame, [rule])
    assert res.mask["Dissolved Oxygen"].to_numpy().nonzero()[0].tolist() == list(range(100, 200))
    assert not res.mask["pH"].any()


def test_mainstreet_do_calibration_offset():
    """LRO Main Street 2019: DO read ~2 mg/L high from the 7 Feb to the 21 Mar site visit."""
    path = LRO / "MainStreet2019.csv"
    if not path.exists():
        pytest.skip(f"real data not available at {path}")
    from aquaflag.datasets.lro import read_lro

    values, labels = read_lro(path, variables=["do"])
    det = level_shift(values["do"].to_numpy(), threshold=10.0, min_jump=0.5, min_duration="1D",
                      times=values.index.to_numpy())
    flagged = values.index[det.mask & (values.index < "2019-06-01")]
    assert flagged.min() == pd.Timestamp("2019-02-07 16:45")   # first value after the jump in
    assert flagged.max() == pd.Timestamp("2019-03-21 15:45")   # last value before the jump back
    stretch = (values.index >= "2019-02-07 16:45") & (values.index <= "2019-03-21 15:45")
    assert det.mask[stretch].all() and labels["do"].to_numpy()[stretch].all()
    assert det.score[stretch][0] == pytest.approx(1.975)  # (1.92 + 2.03) / 2
    # the stretch before it (1-8 Jan, offset from the start of the record) is not flagged
    assert not det.mask[values.index < "2019-02-07 16:45"].any()

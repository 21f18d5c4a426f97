"""Scoring detections against expert labels: hand-computed cases and edge cases."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag.errors import InputError, ParameterError
from aquaflag.metrics import TABLE_COLUMNS, events, micro, score, score_table

nan = float("nan")


def b(s: str) -> np.ndarray:
    """'0110' -> array([False, True, True, False])."""
    return np.array([c == "1" for c in s.replace(" ", "")])


def same(a: float, b_: float) -> bool:
    return (math.isnan(a) and math.isnan(b_)) or a == pytest.approx(b_)


# ------------------------------------------------------------------ events
def test_events_numbers_runs():
    assert events(b("0110100111")).tolist() == [0, 1, 1, 0, 2, 0, 0, 3, 3, 3]
    assert events(b("1")).tolist() == [1]
    assert events(np.array([], dtype=bool)).tolist() == []


# ------------------------------------------------------------------- score
def test_hand_computed_point_and_event_scores():
    #            0123456789
    lab = b("0111000100")
    fl = b("0010011000")
    s = score(fl, lab)
    # points: TP {2}; FP {5, 6}; FN {1, 3, 7}
    assert (s["n"], s["labelled"], s["flagged"]) == (10, 4, 3)
    assert (s["tp"], s["fp"], s["fn"]) == (1, 2, 3)
    assert s["precision"] == pytest.approx(1 / 3)
    assert s["recall"] == pytest.approx(1 / 4)
    assert s["f1"] == pytest.approx(2 * 1 / (2 * 1 + 2 + 3))
    # events: labelled {1-3}, {7}; runs {2}, {5-6}: run {2} hits event {1-3}
    assert (s["events"], s["events_hit"], s["runs"], s["runs_hit"]) == (2, 1, 2, 1)
    assert s["event_precision"] == 0.5 and s["event_recall"] == 0.5
    assert s["event_f1"] == pytest.approx(0.5)


def test_one_flag_in_a_long_event_detects_it():
    lab = b("0" + "1" * 50 + "0")
    fl = np.zeros(52, dtype=bool)
    fl[30] = True
    s = score(fl, lab)
    assert s["recall"] == pytest.approx(1 / 50)
    assert s["event_recall"] == 1.0 and s["event_precision"] == 1.0 and s["event_f1"] == 1.0


def test_two_runs_on_one_event_and_one_run_over_two_events():
    s = score(b("0101000"), b("0111000"))  # two runs, both inside the single event
    assert (s["events"], s["events_hit"], s["runs"], s["runs_hit"]) == (1, 1, 2, 2)
    assert s["event_precision"] == 1.0 and s["event_recall"] == 1.0
    s = score(b("0111110"), b("0110110"))  # one run spanning two events
    assert (s["events"], s["events_hit"], s["runs"], s["runs_hit"]) == (2, 2, 1, 1)
    assert s["event_precision"] == 1.0 and s["event_recall"] == 1.0
    assert (s["tp"], s["fp"], s["fn"]) == (4, 1, 0)


def test_run_touching_an_event_only_by_adjacency_is_a_false_alarm():
    s = score(b("0001100"), b("0110000"))  # run {3,4} is next to event {1,2}, shares no point
    assert s["runs_hit"] == 0 and s["events_hit"] == 0
    assert s["event_precision"] == 0.0 and s["event_recall"] == 0.0 and s["event_f1"] == 0.0


def test_perfect_detection():
    lab = b("0110011100")
    s = score(lab, lab)
    for k in ("precision", "recall", "f1", "event_precision", "event_recall", "event_f1"):
        assert s[k] == 1.0


def test_no_labels():
    s = score(b("0100110"), b("0000000"))
    assert (s["tp"], s["fp"], s["fn"]) == (0, 3, 0)
    assert s["precision"] == 0.0 and math.isnan(s["recall"]) and s["f1"] == 0.0
    assert s["events"] == 0 and s["runs"] == 2
    assert s["event_precision"] == 0.0 and math.isnan(s["event_recall"]) and s["event_f1"] == 0.0


def test_nothing_flagged():
    s = score(b("0000000"), b("0110001"))
    assert (s["tp"], s["fp"], s["fn"]) == (0, 0, 3)
    assert math.isnan(s["precision"]) and s["recall"] == 0.0 and s["f1"] == 0.0
    assert math.isnan(s["event_precision"]) and s["event_recall"] == 0.0 and s["event_f1"] == 0.0


def test_no_labels_and_nothing_flagged():
    s = score(b("00000"), b("00000"))
    assert (s["tp"], s["fp"], s["fn"]) == (0, 0, 0)
    assert math.isnan(s["precision"]) and math.isnan(s["recall"]) and s["f1"] == 0.0
    assert math.isnan(s["event_precision"]) and math.isnan(s["event_recall"]) and s["event_f1"] == 0.0


def test_all_flagged():
    lab = b("0011000100")
    s = score(np.ones(10, dtype=bool), lab)
    assert (s["tp"], s["fp"], s["fn"]) == (3, 7, 0)
    assert s["precision"] == pytest.approx(0.3) and s["recall"] == 1.0
    assert s["f1"] == pytest.approx(2 * 0.3 / 1.3)
    # one run over everything: it overlaps a label, and it hits both events
    assert (s["runs"], s["runs_hit"], s["events"], s["events_hit"]) == (1, 1, 2, 2)
    assert s["event_precision"] == 1.0 and s["event_recall"] == 1.0


def test_empty_series():
    s = score(np.array([], dtype=bool), np.array([], dtype=bool))
    assert s["n"] == 0 and s["f1"] == 0.0 and math.isnan(s["precision"]) and s["events"] == 0


def test_nan_values_not_counted_and_do_not_split_events():
    values = np.array([1.0, 9.0, nan, 9.0, 1.0, nan, 1.0])
    lab = b("0111010")   # point 5 is labelled but has no value
    fl = b("0101000")
    s = score(fl, lab, evaluated=~np.isnan(values))
    # counted points 0,1,3,4,6; labelled {1,3}; flagged {1,3}
    assert (s["n"], s["labelled"], s["flagged"]) == (5, 2, 2)
    assert (s["tp"], s["fp"], s["fn"]) == (2, 0, 0)
    # among counted points, 1 and 3 are consecutive: one event, one run
    assert (s["events"], s["runs"]) == (1, 1)
    assert s["f1"] == 1.0 and s["event_f1"] == 1.0
    # counting every point instead: point 2 and 5 are false negatives, and split the events
    s_all = score(fl, lab)
    assert (s_all["tp"], s_all["fn"], s_all["events"], s_all["runs"]) == (2, 2, 2, 2)


def test_flag_on_an_uncounted_point_is_ignored():
    s = score(b("0110"), b("0100"), evaluated=b("1101"))
    assert (s["n"], s["tp"], s["fp"], s["fn"]) == (3, 1, 0, 0)


def test_accepts_int_and_list_input():
    s = score([0, 1, 1, 0], np.array([0, 1, 0, 0], dtype=np.int8))
    assert (s["tp"], s["fp"], s["fn"]) == (1, 1, 0)


def test_bad_input():
    with pytest.raises(InputError, match="equal length"):
        score(b("010"), b("01"))
    with pytest.raises(InputError, match="NaN"):
        score(np.array([0.0, nan]), b("01"))
    with pytest.raises(InputError, match="boolean"):
        score(np.array([0, 2]), b("01"))
    with pytest.raises(InputError, match="1-d"):
        score(np.zeros((2, 2), dtype=bool), np.zeros((2, 2), dtype=bool))
    with pytest.raises(InputError, match="evaluated"):
        score(b("01"), b("01"), evaluated=b("1"))


# ------------------------------------------------------------- score_table
@pytest.fixture
def frame():
    idx = pd.date_range("2020-01-01", periods=60, freq="h", name="datetime")
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"ph": rng.normal(8.3, 0.05, 60), "do": rng.normal(10.0, 0.2, 60),
                       "turb": rng.normal(3.0, 0.1, 60)}, index=idx)
    df.iloc[10, 0] = 11.0
    df.iloc[11, 0] = 11.2
    df.iloc[40, 0] = np.nan
    df.iloc[25, 1] = 2.0
    labels = pd.DataFrame(False, index=idx, columns=["ph", "do"])
    labels.iloc[[10, 11, 12, 40], 0] = True   # 40 has no value
    labels.iloc[50:55, 1] = True              # a drift the methods miss
    return df, labels


def test_score_table_from_result(frame):
    df, labels = frame
    res = aquaflag.detect(df, method=["zscore", "iqr"])
    t = score_table(res, labels)
    assert list(t.columns) == TABLE_COLUMNS
    # turb has no labels: not scored; rows by column, then methods, then "any"
    assert t[["column", "rule"]].values.tolist() == [
        ["ph", "zscore"], ["ph", "iqr"], ["ph", "any"], ["do", "zscore"], ["do", "iqr"], ["do", "any"]]
    has_value = df.notna()
    for _, row in t.iterrows():
        mask = res.mask if row["rule"] == "any" else res.mask_of(row["rule"])
        exp = score(mask[row["column"]].to_numpy(), labels[row["column"]].to_numpy(),
                    evaluated=has_value[row["column"]].to_numpy())
        for k in TABLE_COLUMNS[2:]:
            assert same(row[k], exp[k]), (row["column"], row["rule"], k)
    ph = t[(t.column == "ph") & (t.rule == "zscore")].iloc[0]
    assert ph["n"] == 59 and ph["labelled"] == 3        # the NaN point is not counted
    assert ph["tp"] == 2 and ph["fn"] == 1 and ph["event_recall"] == 1.0


def test_score_table_by_rule_false(frame):
    df, labels = frame
    res = aquaflag.detect(df, method=["zscore", "iqr"])
    t = score_table(res, labels, by_rule=False)
    assert t["rule"].tolist() == ["any", "any"]
    full = score_table(res, labels)
    pd.testing.assert_frame_equal(t.reset_index(drop=True),
                                  full[full.rule == "any"].reset_index(drop=True))


def test_score_table_counts_missing_when_asked(frame):
    df, labels = frame
    res = aquaflag.detect(df, method="zscore")
    everything = pd.DataFrame(True, index=df.index, columns=df.columns)
    t = score_table(res, labels, evaluated=everything)
    ph = t[(t.column == "ph") & (t.rule == "zscore")].iloc[0]
    assert ph["n"] == 60 and ph["labelled"] == 4 and ph["fn"] == 2


def test_score_table_from_masks_and_alignment():
    idx = pd.RangeIndex(6)
    a = pd.DataFrame({"x": b("011000"), "y": b("000001")}, index=idx)
    c = pd.DataFrame({"x": b("000100"), "y": b("000000")}, index=idx)
    labels = pd.DataFrame({"y": b("000011"), "x": b("011100")}, index=idx)
    shuffled = labels.iloc[::-1]  # same rows, another order: aligned on the index
    t = score_table({"a": a, "c": c}, shuffled)
    assert t[["column", "rule"]].values.tolist() == [
        ["x", "a"], ["x", "c"], ["x", "any"], ["y", "a"], ["y", "c"], ["y", "any"]]
    row = t[(t.column == "x") & (t.rule == "any")].iloc[0]
    assert (row["tp"], row["fp"], row["fn"], row["f1"]) == (3, 0, 0, 1.0)
    row = t[(t.column == "y") & (t.rule == "c")].iloc[0]
    assert math.isnan(row["precision"]) and row["recall"] == 0 and row["f1"] == 0
    # dict masks count every cell unless told otherwise
    assert (t["n"] == 6).all()
    t2 = score_table({"a": a}, labels, evaluated=pd.DataFrame(True, index=idx, columns=["x", "y"]).assign(x=b("111000")))
    assert t2[(t2.column == "x") & (t2.rule == "a")].iloc[0]["n"] == 3


def test_score_table_errors():
    idx = pd.RangeIndex(4)
    m = pd.DataFrame({"x": b("0100")}, index=idx)
    lab = pd.DataFrame({"x": b("0100")}, index=idx)
    with pytest.raises(InputError, match="lacks 2 row"):
        score_table({"a": m}, lab.iloc[:2])
    with pytest.raises(InputError, match="no column to score"):
        score_table({"a": m}, pd.DataFrame({"z": b("0100")}, index=idx))
    with pytest.raises(ParameterError, match="'any'"):
        score_table({"any": m}, lab)
    with pytest.raises(ParameterError, match="empty"):
        score_table({}, lab)
    with pytest.raises(InputError, match="Result or a dict"):
        score_table(m, lab)
    with pytest.raises(InputError, match="missing values"):
        score_table({"a": m}, pd.DataFrame({"x": [True, None, False, False]}, index=idx))
    with pytest.raises(InputError, match="another index"):
        score_table({"a": m, "b": m.iloc[::-1]}, lab)


# ------------------------------------------------------------------- micro
def test_micro_sums_counts_then_divides():
    t = pd.DataFrame({
        "column": ["a", "b", "a", "b"], "rule": ["m1", "m1", "m2", "m2"],
        "n": [10, 10, 10, 10], "labelled": [4, 2, 4, 2], "flagged": [3, 1, 0, 0],
        "tp": [3, 0, 0, 0], "fp": [0, 1, 0, 0], "fn": [1, 2, 4, 2],
    })
    m = micro(t[t.rule == "m1"])
    assert (m["tp"], m["fp"], m["fn"]) == (3, 1, 3)
    assert m["precision"] == pytest.approx(0.75) and m["recall"] == pytest.approx(0.5)
    assert m["f1"] == pytest.approx(0.6)
    g = micro(t, by="rule")
    assert list(g.index) == ["m1", "m2"]
    assert g.loc["m1", "f1"] == pytest.approx(0.6)
    assert math.isnan(g.loc["m2", "precision"]) and g.loc["m2", "recall"] == 0 and g.loc["m2", "f1"] == 0
    with pytest.raises(InputError, match="lacks"):
        micro(t.drop(columns="tp"))


def test_micro_equals_score_of_the_pooled_series():
    rng = np.random.default_rng(3)
    fl = [rng.random(50) < 0.2 for _ in range(3)]
    lab = [rng.random(50) < 0.3 for _ in range(3)]
    rows = [score(f, l_) for f, l_ in zip(fl, lab)]
    pooled = score(np.concatenate(fl), np.concatenate(lab))
    m = micro(pd.DataFrame(rows))
    for k in ("tp", "fp", "fn", "precision", "recall", "f1"):
        assert m[k] == pytest.approx(pooled[k])


def test_score_table_skips_columns_a_rule_does_not_apply_to(frame):
    df, labels = frame
    res = aquaflag.evaluate(df, [aquaflag.Rule("zscore", columns=("ph",)), aquaflag.Rule("iqr")])
    t = score_table(res, labels)
    assert t[["column", "rule"]].values.tolist() == [
        ["ph", "zscore"], ["ph", "iqr"], ["ph", "any"], ["do", "iqr"], ["do", "any"]]

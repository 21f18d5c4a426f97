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


# ------------------------------------------------------- PyHydroQC's convention
from aquaflag.metrics import (EVALUATION_COLUMNS, POOLED, evaluation_table, pooled,  # noqa: E402
                              pyhydroqc_confusion, pyhydroqc_events, pyhydroqc_score, read_labels)


def _phq_reference(labelled, detected, wf):
    """PyHydroQC's anomaly_events + compare_events + metrics, ported literally (loops).

    Port of ``anomaly_utilities.py`` (AmberSJones/pyhydroqc, BSD-3-Clause) as an
    independent reference; the one change is that a group still open at the end of
    the series is classified too (PyHydroQC leaves it TN).
    """
    def anomaly_events(anomaly):
        event, count = [0] * wf, 0
        for i in range(wf, len(anomaly) - wf):
            if sum(anomaly[i - wf:i + wf + 1]) != 0:
                if len(event) == 0 or event[-1] == 0:
                    count += 1
                event.append(count)
            else:
                event.append(0)
        event += [0] * wf
        return event[:len(anomaly)] if wf else event

    le, de = anomaly_events(list(labelled)), anomaly_events(list(detected))
    n = len(le)
    grp, cm = [0] * n, ["tn"] * n
    gi, prev_la, prev_da = 0, le[0], de[0]
    for i in range(n):
        if prev_la != le[i] or prev_da != de[i]:
            if prev_la == 0 and prev_da == 0:
                gi += 1
            elif le[i] == 0 and de[i] == 0:
                gi += 1
            elif prev_la != le[i] and prev_da != de[i]:
                gi += 1
        grp[i] = gi
        prev_la, prev_da = le[i], de[i]
    for g in set(grp):
        idx = [i for i in range(n) if grp[i] == g]
        d = any(de[i] for i in idx)
        lab = any(le[i] for i in idx)
        val = "tp" if d and lab else "fp" if d else "fn" if lab else "tn"
        for j, i in enumerate(idx):
            cm[i] = val if wf <= j < len(idx) - wf else "tn"
    return [{"tn": 0, "tp": 1, "fp": 2, "fn": 3}[c] for c in cm]


@pytest.mark.parametrize("wf", [0, 1, 2])
@pytest.mark.parametrize("seed", range(8))
def test_pyhydroqc_confusion_equals_the_literal_port(seed, wf):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 120))
    lab = rng.random(n) < 0.15
    lab[rng.integers(0, n, 3)] = True
    det = rng.random(n) < 0.1
    assert pyhydroqc_confusion(det, lab, wf=wf).tolist() == _phq_reference(lab, det, wf)


def test_pyhydroqc_events_by_hand():
    assert pyhydroqc_events(b("0001000011"), wf=1).tolist() == [0, 0, 1, 1, 1, 0, 0, 2, 2, 0]
    assert pyhydroqc_events(b("1100"), wf=0).tolist() == [1, 1, 0, 0]
    with pytest.raises(ParameterError, match="wf must be"):
        pyhydroqc_events(b("01"), wf=-1)


def test_pyhydroqc_score_by_hand():
    #            0123456789012
    lab = b("0011111000000")
    det = b("0000100001100")
    s = pyhydroqc_score(det, lab, wf=1)
    # widened: labels 1..7, detections 3..5 and 8..11 -> groups {1..7} TP (edges 1, 7 TN), {8..11} FP
    # (edges 8, 11 TN): TP = 5, FP = 2, FN = 0
    assert (s["tp"], s["fp"], s["fn"]) == (5, 2, 0)
    assert s["f1"] == pytest.approx(2 * 5 / (2 * 5 + 2))
    assert (s["event_tp"], s["event_fp"], s["event_fn"]) == (1, 1, 0)
    assert s["event_f1"] == pytest.approx(2 * 0.5 * 1 / 1.5)
    strict = score(det, lab)
    assert strict["f1"] < s["f1"]


def test_pyhydroqc_score_missing_points_dropped():
    lab = b("0111000")
    det = b("0100000")
    ev = np.array([1, 1, 0, 1, 1, 1, 1], dtype=bool)
    assert pyhydroqc_score(det, lab, evaluated=ev) == pyhydroqc_score(det[ev], lab[ev])


def test_evaluation_table_and_pooled():
    idx = pd.date_range("2020-01-01", periods=8, freq="h")
    fl = pd.DataFrame({"a": b("01100000"), "b": b("00000011")}, index=idx)
    lab = pd.DataFrame({"a": b("01110000"), "b": b("00000001"), "c": b("10000000")}, index=idx)
    t = evaluation_table(fl, lab)
    assert list(t.columns) == EVALUATION_COLUMNS and t["column"].tolist() == ["a", "b", POOLED]
    row = t.set_index("column").loc[POOLED]
    assert (row["tp"], row["fp"], row["fn"]) == (3, 1, 1)
    assert row["f1"] == pytest.approx(6 / 8)
    assert row["event_f1"] == 1.0
    again = pooled(t)  # the pooled row is ignored when pooling again
    assert again["tp"] == 3
    with pytest.raises(InputError, match="no column to score"):
        evaluation_table(fl, lab[["c"]])


# ------------------------------------------------------------------ label files
def test_read_labels_wide_bool(tmp_path):
    p = tmp_path / "labels.csv"
    p.write_text("time,ph,do\n2020-01-01 00:00,False,0\n2020-01-01 01:00,True,yes\n"
                 "2020-01-01 02:00,,no\n", encoding="utf-8")
    idx = pd.date_range("2020-01-01", periods=4, freq="h")
    lab, known = read_labels(p, index=idx)
    assert lab["ph"].tolist() == [False, True, False, False]
    assert lab["do"].tolist() == [False, True, False, False]
    assert known["ph"].tolist() == [True, True, True, False]


def test_read_labels_qualifier_columns(tmp_path):
    p = tmp_path / "lro.csv"
    p.write_text("datetime,temp,temp_cor,temp_qual,ph,ph_cor,ph_qual\n"
                 "2019-01-01 00:00,0.76,0.76,NULL,8.48,8.53,NULL\n"
                 "2019-01-01 00:15,-9999,NULL,1,8.48,8.53,\n"
                 "2019-01-01 00:30,0.72,0.72,NULL,12.5,NULL,4\n", encoding="utf-8")
    lab, known = read_labels(p)
    assert list(lab.columns) == ["temp", "ph"]
    assert lab["temp"].tolist() == [False, True, False] and lab["ph"].tolist() == [False, False, True]
    assert known.all().all()


def test_read_labels_long_from_a_store_export():
    long = pd.DataFrame({"column": ["do", "do", "ph"],
                         "time": ["2020-01-01 01:00+00:00", "2020-01-01 02:00+00:00", "2020-01-01 00:00+00:00"],
                         "label": ["True", "False", "True"], "reviewer": ["ana", "ana", "bo"]})
    idx = pd.date_range("2020-01-01", periods=3, freq="h")
    lab, known = read_labels(long, index=idx)
    assert lab["do"].tolist() == [False, True, False] and known["do"].tolist() == [False, True, True]
    assert lab["ph"].tolist() == [True, False, False]


def test_read_labels_errors(tmp_path):
    idx = pd.date_range("2020-01-01", periods=2, freq="h")
    p = tmp_path / "bad.csv"
    p.write_text("time,ph\n2020-01-01 00:00,maybe\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.csv: column 'ph' holds 'maybe' at data row 1"):
        read_labels(p, index=idx)
    p.write_text("time,ph\nyesterday,True\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a date"):
        read_labels(p, index=idx)
    p.write_text("time,ph\n2021-05-05 00:00,True\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a time of the data"):
        read_labels(p, index=idx)
    with pytest.raises(InputError, match="labels file not found"):
        read_labels(tmp_path / "none.csv")

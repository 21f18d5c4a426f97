"""Runs, the decision ledger and approvals; final flags checked against an independent loop."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag.config import rules_to_toml
from aquaflag.errors import InputError, ParameterError

from .helpers import frame, oracle_flags

S = "pH(A)"


@pytest.fixture
def judged(store):
    """A store with two runs on two series: a full run, then a run over the last 30 days."""
    data = frame(120)
    data.iloc[[7, 60, 100], 0] = [9.9, 3.0, 11.0]
    first = aquaflag.detect(data, method="modified_zscore", threshold=3.0)
    second = aquaflag.detect(data.iloc[90:], method="iqr")
    r1 = store.record_run(first)
    r2 = store.record_run(second)
    auto = first.flags[S].copy()
    auto.iloc[90:] = second.flags[S].to_numpy()
    return store, data, auto, (r1, r2), (first, second)


def test_runs_are_recorded_with_config_version_flags_and_provenance(judged):
    store, data, auto, (r1, r2), (first, second) = judged
    runs = store.runs()
    assert runs["run"].tolist() == [r1, r2]
    assert runs["config_text"].iloc[0] == rules_to_toml(first.rules)
    assert runs["aquaflag_version"].iloc[0] == aquaflag.__version__
    assert sorted(runs["series"].iloc[0]) == ["DO(A)", "pH(A)"]
    got = store.flags(automatic=True)
    assert (got[S].to_numpy() == auto.to_numpy()).all()
    prov = store.provenance(S)
    expected = pd.concat([first.provenance.assign(run=r1), second.provenance.assign(run=r2)])
    expected = expected[expected["column"] == S]
    assert len(prov) == len(expected) > 0
    assert (prov["time"].to_numpy() == expected["time"].to_numpy()).all()
    assert prov["rule"].tolist() == expected["rule"].tolist()
    np.testing.assert_allclose(prov["score"], expected["score"])
    assert store.record_run(first, config_text="# mine\n") == r2 + 1
    assert store.runs()["config_text"].iloc[-1] == "# mine\n"


def test_values_no_run_judged_are_not_evaluated(judged):
    store, data, auto, *_ = judged
    later = frame(125).iloc[120:]  # the same generator: five more days
    store.add_values(later)
    flags = store.flags(S)[S]
    assert len(flags) == 125 and (flags.iloc[120:] == 2).all()


def test_a_run_on_different_data_is_refused_whole(judged):
    store, data, *_ = judged
    n_runs = len(store.runs())
    other = data.copy()
    other.iloc[5, 1] += 1
    with pytest.raises(InputError, match="immutable"):
        store.record_run(aquaflag.detect(other, method="zscore"))
    assert len(store.runs()) == n_runs


@pytest.mark.parametrize("seed", [0, 1])
def test_final_flags_and_as_of_match_an_independent_loop_over_the_ledger(judged, seed):
    store, data, auto, *_ = judged
    rng = np.random.default_rng(seed)
    times = data.index
    ledger, undone = [], set()
    for _ in range(40):
        candidates = [e for e in ledger if e["id"] not in undone]
        if candidates and rng.random() < 0.25:
            target = candidates[rng.integers(len(candidates))]
            uid = store.undo(target["id"], reviewer="lee", reason="second look")
            ledger.append({"id": uid, "action": "undo", "undoes": target["id"], "start": target["start"],
                           "end": target["end"], "flag": None})
            undone.add(target["id"])
            if target["action"] == "undo":
                undone.discard(target["undoes"])
            continue
        action = ["accept", "reject", "set_flag"][rng.integers(3)]
        flag = int(rng.choice([1, 2, 3, 4])) if action == "set_flag" else None
        a = int(rng.integers(len(times)))
        end = None if rng.random() < 0.5 else times[min(len(times) - 1, a + int(rng.integers(0, 15)))]
        did = store.decide(S, times[a], end, action=action, flag=flag, reviewer="kim", reason="looked at it")
        ledger.append({"id": did, "action": action, "undoes": None, "start": times[a], "end": end,
                       "flag": flag})
    auto_of = dict(zip(times, auto.to_numpy()))
    expected = oracle_flags(times, auto_of, ledger)
    got = store.flags(S)[S]
    assert (got.to_numpy() == expected.to_numpy()).all()
    # as of: only entries recorded up to then count
    table = store.decisions(S)
    assert table["id"].tolist() == [e["id"] for e in ledger]
    for k in (0, 9, 25):
        as_of = table["decided_at"].iloc[k]
        prefix = [e for e, at in zip(ledger, table["decided_at"]) if at <= as_of]
        expected = oracle_flags(times, auto_of, prefix)
        assert (store.flags(S, as_of=as_of)[S].to_numpy() == expected.to_numpy()).all()
    before_everything = table["decided_at"].iloc[0] - pd.Timedelta("1us")
    assert (store.flags(S, as_of=before_everything)[S].to_numpy() == auto.to_numpy()).all()
    # cleaned: final FAIL -> NaN, raw values kept
    clean = store.cleaned(S)[S]
    final = store.flags(S)[S]
    assert clean[final == 4].isna().all()
    assert (clean[final != 4].to_numpy() == data[S][(final != 4).to_numpy()].to_numpy()).all()
    assert (store.values(S).to_numpy() == data[S].to_numpy()).all()


def test_the_ledger_is_append_only(judged):
    store, data, *_ = judged
    t = data.index
    d1 = store.decide(S, t[7], action="accept", reviewer="kim", reason="storm peak, real")
    snapshot = store.decisions().drop(columns="active")
    d2 = store.decide(S, t[5], t[9], action="reject", reviewer="lee", reason="probe fouled")
    store.undo(d2, reviewer="kim", reason="wrong series")
    store.undo(d1, reviewer="kim", reason="not sure")
    after = store.decisions()
    pd.testing.assert_frame_equal(after.drop(columns="active").iloc[:1], snapshot)
    assert after["action"].tolist() == ["accept", "reject", "undo", "undo"]
    assert after["active"].tolist() == [False, False, True, True]
    assert after["auto_flag"].iloc[0] == 3 and after["auto_flag"].iloc[1] == 3  # t[7] was suspect
    assert after["n_values"].iloc[1] == 5 and pd.isna(after["end"].iloc[0])


def test_undo_rules(judged):
    store, data, auto, *_ = judged
    t = data.index
    d = store.decide(S, t[7], action="reject", reviewer="kim", reason="bad")
    u = store.undo(d, reviewer="kim", reason="oops")
    with pytest.raises(InputError, match=f"already undone by decision {u}"):
        store.undo(d, reviewer="kim", reason="again")
    assert store.flags(S)[S].iloc[7] == auto.iloc[7]
    store.undo(u, reviewer="kim", reason="it was bad after all")  # undo of an undo restores
    assert store.flags(S)[S].iloc[7] == 4
    with pytest.raises(InputError, match="no decision 999"):
        store.undo(999, reviewer="kim", reason="x")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"action": "delete"}, ParameterError, "action must be one of"),
    ({"action": "set_flag"}, ParameterError, "set_flag needs flag"),
    ({"action": "set_flag", "flag": 9}, ParameterError, "set_flag needs flag"),
    ({"action": "accept", "flag": 3}, ParameterError, "goes with action='set_flag'"),
    ({"action": "reject", "reviewer": " "}, ParameterError, "reviewer"),
    ({"action": "reject", "reason": ""}, ParameterError, "reason"),
])
def test_bad_decisions_are_refused_clearly(judged, kwargs, error, match):
    store, data, *_ = judged
    args = {"reviewer": "kim", "reason": "why"} | kwargs
    with pytest.raises(error, match=match):
        store.decide(S, data.index[3], **args)
    assert len(store.decisions()) == 0


def test_decisions_need_values_at_the_time_or_in_the_range(judged):
    store, data, *_ = judged
    with pytest.raises(InputError, match="no value at 2021-01-03 12:00"):
        store.decide(S, "2021-01-03 12:00", action="reject", reviewer="kim", reason="x")
    with pytest.raises(InputError, match="no value in"):
        store.decide(S, "2025-01-01", "2025-02-01", action="reject", reviewer="kim", reason="x")
    with pytest.raises(InputError, match="no series 'pH'"):
        store.decide("pH", "2021-01-03", action="reject", reviewer="kim", reason="x")
    with pytest.raises(ParameterError, match="before start"):
        store.decide(S, "2021-01-05", "2021-01-03", action="reject", reviewer="kim", reason="x")


def test_approved_periods_are_locked_until_reopened(judged):
    store, data, *_ = judged
    t = data.index
    d = store.decide(S, t[20], action="reject", reviewer="kim", reason="spike")
    store.set_approval(S, t[0], t[59], "provisional", reviewer="kim", reason="first pass")
    store.set_approval(S, t[10], t[39], "approved", reviewer="park", reason="checked")
    periods = store.approval(S)
    assert periods["level"].tolist() == ["provisional", "approved", "provisional"]
    assert periods["start"].tolist() == [t[0], t[10], t[39] + pd.Timedelta(1, "ns")]
    assert periods["end"].tolist() == [t[10] - pd.Timedelta(1, "ns"), t[39], t[59]]
    for call in (lambda: store.decide(S, t[30], action="accept", reviewer="kim", reason="x"),
                 lambda: store.decide(S, t[0], t[10], action="reject", reviewer="kim", reason="x"),
                 lambda: store.undo(d, reviewer="kim", reason="x")):
        with pytest.raises(InputError, match="approved \\(locked\\).*set_approval"):
            call()
    store.decide(S, t[45], action="accept", reviewer="kim", reason="outside the lock")
    store.decide("DO(A)", t[30], action="reject", reviewer="kim", reason="other series")
    store.set_approval(S, t[18], t[35], "provisional", reviewer="park", reason="re-open for the storm")
    store.undo(d, reviewer="kim", reason="was real")
    with pytest.raises(InputError, match="locked"):
        store.decide(S, t[15], action="accept", reviewer="kim", reason="x")
    assert len(store.approvals(S)) == 3
    csv = store.export_csv(None)
    mine = csv[csv["series"] == S].set_index("time")["approval"]
    assert mine.loc[t[15]] == "approved" and mine.loc[t[30]] == "provisional" and mine.loc[t[80]] == "raw"
    with pytest.raises(ParameterError, match="level must be one of"):
        store.set_approval(S, t[0], t[1], "final", reviewer="park", reason="x")


def test_history_lists_runs_decisions_and_approvals_in_order(judged):
    store, data, auto, (r1, r2), _ = judged
    t = data.index
    d = store.decide(S, t[100], action="accept", reviewer="kim", reason="real flood")
    store.set_approval(S, t[0], t[50], "approved", reviewer="park", reason="done")
    hist = store.history(S)
    assert hist["kind"].tolist() == ["run", "run", "decision", "approval"]
    assert hist["id"].tolist() == [r1, r2, d, 1]
    assert hist["at"].is_monotonic_increasing
    assert hist.loc[2, "reviewer"] == "kim" and hist.loc[2, "reason"] == "real flood"
    assert hist.loc[2, "auto_flag"] == auto.iloc[100]
    assert "modified_zscore" in hist.loc[0, "detail"]
    # a range that only the second run and the decision touch
    part = store.history(S, t[95], t[110])
    assert part["kind"].tolist() == ["run", "run", "decision"]
    assert store.history(S, t[0], t[5])["kind"].tolist() == ["run", "approval"]


def test_decide_many_is_all_or_nothing(judged):
    store, data, *_ = judged
    t = data.index
    rows = pd.DataFrame({"series": [S, S, "DO(A)"], "start": [t[1], t[2], t[3]], "end": [None, t[4], None],
                         "action": ["reject", "accept", "set_flag"], "flag": [None, None, 3],
                         "reviewer": "kim", "reason": "batch"})
    ids = store.decide_many(rows)
    assert len(ids) == 3 and ids == sorted(ids)
    assert store.flags()[S].iloc[1] == 4 and store.flags()["DO(A)"].iloc[3] == 3
    bad = rows.assign(start=[t[5], t[3], pd.Timestamp("2021-01-04 06:00")])
    with pytest.raises(InputError):
        store.decide_many(bad)
    assert len(store.decisions()) == 3

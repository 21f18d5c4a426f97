"""The loop closes (issue 9): a run with a store respects technicians' decisions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sqlalchemy")

from aquaflag.cli import main  # noqa: E402
from aquaflag.config import parse  # noqa: E402
from aquaflag.store import open_store  # noqa: E402
from aquaflag.stored_run import run_in_store  # noqa: E402

CONFIG = """
[[rule]]
name = "robust z"
method = "modified_zscore"
"""


def weekly() -> pd.DataFrame:
    idx = pd.date_range("2020-01-06", periods=120, freq="7D", name="time")
    rng = np.random.default_rng(4)
    ph = np.round(7.4 + rng.normal(0, 0.1, 120), 2)
    ph[30], ph[60], ph[90] = 9.5, 9.2, 5.1  # a storm peak (real), a typo, a probe failure
    return pd.DataFrame({"pH(A)": ph}, index=idx)


def test_human_flag_wins_and_accepted_values_are_not_flagged_again(tmp_path):
    data = weekly()
    store = open_store(tmp_path / "qc.sqlite")
    first = run_in_store(store, data, parse(CONFIG))
    flagged = set(first.result.outliers["time"])
    assert {data.index[30], data.index[60], data.index[90]} <= flagged
    store.decide("pH(A)", data.index[30], action="accept", reviewer="kim", reason="storm peak, verified")
    store.decide("pH(A)", data.index[90], action="reject", reviewer="lee", reason="probe out of water")
    second = run_in_store(store, data, parse(CONFIG))
    flags = second.result.flags["pH(A)"]
    assert flags.iloc[30] == 1 and flags.iloc[90] == 4 and flags.iloc[60] == 3
    # the accepted value is not flagged again by the same rule with the same parameters
    assert data.index[30] not in set(second.result.outliers["time"])
    prov = second.result.provenance
    human = prov[prov["rule"] == "human"]
    assert set(human["parameters"]) == {"by kim: storm peak, verified", "by lee: probe out of water"}
    # the rejected value left the statistics: the median absolute deviation shrinks with it
    det1, det2 = first.result.detection("pH(A)"), second.result.detection("pH(A)")
    assert det2.evaluated[90] is np.False_ and det1.evaluated[90]
    # and the store's final flags agree with the run
    final = store.flags("pH(A)")["pH(A)"]
    assert final.iloc[30] == 1 and final.iloc[90] == 4


def test_other_parameters_may_flag_an_accepted_value_again(tmp_path):
    data = weekly()
    store = open_store(tmp_path / "qc.sqlite")
    run_in_store(store, data, parse(CONFIG))
    store.decide("pH(A)", data.index[30], action="accept", reviewer="kim", reason="storm peak")
    stricter = run_in_store(store, data, parse(CONFIG + "threshold = 3.0\n"))
    assert data.index[30] in set(stricter.result.outliers["time"])  # a different rule judged it
    assert stricter.result.flags["pH(A)"].iloc[30] == 1  # but the human flag still wins


def test_cli_run_with_store(tmp_path, capsys):
    data = weekly()
    data.to_csv(tmp_path / "data.csv")
    (tmp_path / "qc.toml").write_text(CONFIG, encoding="utf-8")
    store = tmp_path / "qc.sqlite"
    args = ["run", "-c", str(tmp_path / "qc.toml"), str(tmp_path / "data.csv"), "--store", str(store),
            "-o", str(tmp_path / "out"), "--no-plots"]
    assert main(args) == 0
    open_store(store).decide("pH(A)", data.index[30], action="accept", reviewer="kim", reason="ok")
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "respected 1 accept decision(s)" in out and "recorded run 2" in out
    flags = pd.read_csv(tmp_path / "out" / "flags.csv", index_col=0)
    assert flags["pH(A)"].iloc[30] == 1

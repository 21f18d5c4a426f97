"""Incremental QC (issue 11): batches judged against the store equal the one-shot run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sqlalchemy")

import aquaflag  # noqa: E402
from aquaflag.config import parse  # noqa: E402
from aquaflag.errors import ConfigError, InputError  # noqa: E402
from aquaflag.ingest import ingest, rejudge  # noqa: E402
from aquaflag.store import open_store  # noqa: E402

CAUSAL = """
[[rule]]
name = "range"
method = "gross_range"
[[rule]]
name = "codes"
method = "nodata_codes"
[[rule]]
name = "fast change"
method = "rate_of_change"
threshold = 2.0
per = "1h"
[[rule]]
name = "trailing z"
method = "zscore"
window = "1D"
center = false
threshold = 4.0
[[rule]]
name = "trailing hampel"
method = "hampel"
window = 24
center = false
min_scale = 0.05
"""

LOOKAHEAD = CAUSAL + """
[[rule]]
name = "stuck"
method = "flat_line"
window = "3h"
[[rule]]
name = "spike"
method = "spike"
threshold = 1.5
[[rule]]
name = "centred hampel"
method = "hampel"
window = "6h"
min_scale = 0.05
"""


def sensor(days: int, seed: int = 0) -> pd.DataFrame:
    """15-minute temperature and DO with spikes, a stuck stretch, a gap and logger codes."""
    n = days * 96
    idx = pd.date_range("2021-06-01", periods=n, freq="15min", name="time")
    rng = np.random.default_rng(seed)
    hours = np.arange(n) / 4
    temp = np.round(15 + 3 * np.sin(2 * np.pi * hours / 24) + rng.normal(0, 0.1, n), 2)
    do = np.round(9 - 1.5 * np.sin(2 * np.pi * hours / 24) + rng.normal(0, 0.1, n), 2)
    for i in rng.choice(n - 20, size=max(2, days // 2), replace=False):
        temp[i] += 6.0
    stuck = n // 2
    do[stuck:stuck + 24] = do[stuck]
    do[n // 3:n // 3 + 8] = np.nan
    temp[n // 4] = -9999.0
    return pd.DataFrame({"temp(A)": temp, "do(A)": do}, index=idx)


def batches(frame: pd.DataFrame, freq: str):
    for _, part in frame.groupby(frame.index.floor(freq)):
        yield part


def one_shot(frame: pd.DataFrame, text: str) -> pd.DataFrame:
    return aquaflag.run(frame, parse(text)).flags


@pytest.mark.parametrize("days, freq", [(2, "15min"), (6, "1h"), (40, "1D")])
def test_causal_rules_equal_the_one_shot_run_value_for_value(tmp_path, days, freq):
    frame = sensor(days)
    qc = parse(CAUSAL)
    store = open_store(tmp_path / "qc.sqlite")
    seen = []
    for part in batches(frame, freq):
        done = ingest(store, part, qc)
        # causal: what a batch says about its new values is already final
        flags = done.result.flags if done.result is not None else pd.DataFrame(index=part.index)
        seen.append(flags.reindex(index=part.index, columns=part.columns))
    expected = one_shot(frame, CAUSAL)
    at_arrival = pd.concat(seen).sort_index()
    codes = at_arrival.where(frame.notna(), 9).astype(np.uint8)  # (NaN: not in the batch result)  # store keeps no NaN values
    pd.testing.assert_frame_equal(codes, expected, check_names=False, check_freq=False, check_index_type=False)
    final = store.flags().reindex(columns=frame.columns)
    pd.testing.assert_frame_equal(final.where(frame.notna(), 9).astype(np.uint8), expected,
                                  check_names=False, check_freq=False, check_index_type=False)


@pytest.mark.parametrize("freq", ["2h", "1D"])
def test_rules_that_look_ahead_are_revised_until_equal(tmp_path, freq):
    frame = sensor(6)
    qc = parse(LOOKAHEAD)
    store = open_store(tmp_path / "qc.sqlite")
    revised = 0
    for part in batches(frame, freq):
        done = ingest(store, part, qc)
        revised += sum(done.revised.values())
    assert revised > 0  # values whose future arrived later were judged again
    expected = one_shot(frame, LOOKAHEAD)
    final = store.flags().reindex(columns=frame.columns)
    pd.testing.assert_frame_equal(final.where(frame.notna(), 9).astype(np.uint8), expected,
                                  check_names=False, check_freq=False, check_index_type=False)
    # the revision is history: a value near a batch edge was judged by more than one run
    history = store.history("temp(A)")
    assert (history["kind"] == "run").sum() > 1


def test_whole_series_rules_say_they_use_the_reference(tmp_path):
    frame = sensor(4)
    text = CAUSAL + '[[rule]]\nname = "whole z"\nmethod = "zscore"\n'
    store = open_store(tmp_path / "qc.sqlite")
    done = None
    for part in batches(frame, "1D"):
        done = ingest(store, part, parse(text), reference="2D")
    assert any("whole z" in n and "reference period" in n for n in done.notes)


def test_a_changed_configuration_is_refused_then_rejudged(tmp_path):
    frame = sensor(2)
    store = open_store(tmp_path / "qc.sqlite")
    ingest(store, frame.iloc[:96], parse(CAUSAL))
    other = parse(CAUSAL.replace("threshold = 4.0", "threshold = 3.0"))
    with pytest.raises(ConfigError, match="not the store's live configuration"):
        ingest(store, frame.iloc[96:], other)
    done = ingest(store, frame.iloc[96:], other, rejudge=True)
    assert done.run is not None
    live = store.live_configs()
    assert list(live["reason"])[0] == "first ingest" and "configuration changed" in list(live["reason"])[-1]
    expected = one_shot(frame, CAUSAL.replace("threshold = 4.0", "threshold = 3.0"))
    final = store.flags().reindex(columns=frame.columns)
    pd.testing.assert_frame_equal(final.where(frame.notna(), 9).astype(np.uint8), expected,
                                  check_names=False, check_freq=False, check_index_type=False)


def test_a_file_is_judged_once(tmp_path):
    frame = sensor(1)
    path = tmp_path / "logger.csv"
    frame.to_csv(path)
    store = open_store(tmp_path / "qc.sqlite")
    first = ingest(store, path, parse(CAUSAL))
    again = ingest(store, path, parse(CAUSAL))
    assert first.run is not None and again.run is None and "already judged" in again.notes[0]
    assert len(store.ingested_files()) == 1


def test_changed_raw_values_are_refused(tmp_path):
    frame = sensor(1)
    store = open_store(tmp_path / "qc.sqlite")
    ingest(store, frame, parse(CAUSAL))
    changed = frame.iloc[:4].copy()
    changed.iloc[0, 0] += 1.0
    with pytest.raises(InputError, match="immutable"):
        ingest(store, changed, parse(CAUSAL))

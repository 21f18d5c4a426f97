"""A known gap, kept visible: flat_line depends on more than its declared reach.

flat_line does not judge a series that is flat as a whole ("the test cannot tell a
stuck sensor from an unchanging value"). An incremental batch judges a value on the
stored context within the rules' reach; when that whole context lies inside a stuck
stretch (a stuck stretch longer than about twice the window, or the rule's own
slice), the values revised there come out GOOD where the one-shot run flags them.
Reproduced with the ingest.py of e4870de and the shipped sensor template (temperature
stuck for two days, hourly batches: 96 of 200 stuck values flagged in the store, 200
in the one-shot run). For the owner of ingest.py / methods/sensor.py; strict xfail so
the fix is noticed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sqlalchemy")

import aquaflag  # noqa: E402
from aquaflag.config import parse  # noqa: E402
from aquaflag.ingest import ingest  # noqa: E402
from aquaflag.store import open_store  # noqa: E402

STUCK = '[[rule]]\nname = "stuck"\nmethod = "flat_line"\nwindow = "6h"\n'


@pytest.mark.xfail(strict=True, reason="flat_line's 'flat as a whole' clause reaches beyond its declared reach")
def test_a_long_stuck_stretch_stays_flagged_when_judged_in_batches(tmp_path):
    idx = pd.date_range("2021-06-01", periods=96 * 4, freq="15min", name="time")
    rng = np.random.default_rng(0)
    x = np.round(15 + np.sin(np.arange(idx.size) / 10) + rng.normal(0, 0.1, idx.size), 2)
    x[100:200] = x[100]  # stuck for 25 h
    frame = pd.DataFrame({"temp(A)": x}, index=idx)
    store = open_store(tmp_path / "qc.sqlite")
    for _, part in frame.groupby(frame.index.floor("6h")):
        ingest(store, part, parse(STUCK))
    expected = aquaflag.run(frame, parse(STUCK)).flags
    final = store.flags().reindex(index=expected.index, columns=expected.columns)
    assert int((final != expected).sum().sum()) == 0

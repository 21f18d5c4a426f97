"""flat_line judges nothing when the whole series is flat, which reaches beyond its window.

An incremental batch whose context lies inside a long stuck stretch would see a
flat "series" and judge nothing; the batch therefore also loads the latest earlier
value outside the flat band (:meth:`Store.last_outside`), as the whole record shows
it. Found with the shipped sensor template (temperature stuck for two days, hourly
batches: 96 of 200 stuck values flagged before the fix, 200 in the one-shot run).
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

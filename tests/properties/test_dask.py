"""Serial and Dask engines agree on hostile frames, errors included (issue 12)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aquaflag
from aquaflag.errors import AquaflagError

from .strategies import series_values, time_index

distributed = pytest.importorskip("dask.distributed")

RULES = [
    [aquaflag.Rule("zscore"), aquaflag.Rule("adjusted_boxplot")],
    [aquaflag.Rule("hampel", {"window": "2h"}), aquaflag.Rule("spike", {"threshold": 1.0})],
    [aquaflag.Rule("modified_zscore", {"by": "month"}), aquaflag.Rule("cross_station")],
    [aquaflag.Rule("flat_line", {"window": 4}), aquaflag.Rule("rate_of_change", {"per": None})],
]


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def outcome(frame, rules, **kw):
    try:
        res = aquaflag.evaluate(frame, rules, **kw)
    except AquaflagError as exc:
        return type(exc).__name__ + ": " + str(exc)
    return res


@settings(max_examples=15)
@given(x=series_values(max_size=80), rules=st.sampled_from(RULES), data=st.data())
def test_dask_equals_serial(scheduler, x, rules, data):
    index = data.draw(time_index(x.size))
    frame = pd.DataFrame({"pH(A)": x, "pH(B)": x[::-1].copy()}, index=index)
    serial = outcome(frame, rules)
    dask = outcome(frame, rules, engine="dask", scheduler=scheduler)
    if isinstance(serial, str) or isinstance(dask, str):
        assert serial == dask  # the same error, word for word
        return
    assert serial.detections.keys() == dask.detections.keys()
    for key, det in serial.detections.items():
        np.testing.assert_array_equal(det.mask, dask.detections[key].mask, err_msg=str(key))
        np.testing.assert_array_equal(det.score, dask.detections[key].score, err_msg=str(key))
    pd.testing.assert_frame_equal(serial.flags, dask.flags)

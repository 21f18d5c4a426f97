"""The Dask engine gives exactly the serial results (real LRO sensor data)."""

import sys

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag.datasets.lro import read_lro

from conftest import shared_file

pytest.importorskip("dask.distributed")


def test_dask_equals_serial_on_lro():
    values, _ = read_lro(shared_file("lro", "MainStreet2019.csv"))
    rules = [aquaflag.Rule(m) for m in ("zscore", "modified_zscore", "iqr", "adjusted_boxplot")]
    rules.append(aquaflag.Rule("modified_zscore", {"window": "1D", "min_scale": 0.01}, label="rolling"))
    serial = aquaflag.evaluate(values, rules)
    seen = []
    dask = aquaflag.evaluate(values, rules, engine="dask", progress=lambda d, t: seen.append((d, t)))
    assert seen[-1] == (len(values.columns), len(values.columns))
    assert serial.detections.keys() == dask.detections.keys()
    for key, det in serial.detections.items():
        other = dask.detections[key]
        np.testing.assert_array_equal(det.mask, other.mask, err_msg=str(key))
        np.testing.assert_array_equal(det.score, other.score, err_msg=str(key))
        np.testing.assert_array_equal(det.lower, other.lower, err_msg=str(key))
    pd.testing.assert_frame_equal(serial.flags, dask.flags)
    pd.testing.assert_frame_equal(serial.outliers, dask.outliers)


def test_dask_engine_is_not_imported_by_the_core():
    import subprocess

    code = "import aquaflag, sys; aquaflag.detect([1.0, 2.0, 3.0, 40.0]); assert 'dask' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_engine_and_bad_scheduler():
    with pytest.raises(aquaflag.ParameterError, match="engine must be"):
        aquaflag.evaluate(pd.Series([1.0, 2.0, 3.0]), [aquaflag.Rule("iqr")], engine="spark")
    with pytest.raises(aquaflag.InputError, match="cannot reach the Dask scheduler"):
        aquaflag.evaluate(pd.Series([1.0, 2.0, 3.0]), [aquaflag.Rule("iqr")], engine="dask",
                          scheduler="tcp://127.0.0.1:1")


def _raise_memory_error():
    raise MemoryError("no room")


def _kill_worker():
    import os

    os._exit(1)


def test_task_errors_come_back_as_the_serial_path_raises_them():
    # issue 12: a MemoryError in a task came back as FutureCancelledError
    import dask
    from dask.distributed import Client, LocalCluster

    from aquaflag.engine.on_dask import _result

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        with pytest.raises(MemoryError, match="no room"):
            _result(client.submit(_raise_memory_error, pure=False), "pH(A)")
        lost = client.submit(_kill_worker, pure=False, retries=0)
        with pytest.raises(aquaflag.InputError, match=r"judging series 'DO\(B\)'.*ran out of memory"):
            _result(lost, "DO(B)")


def test_dask_raises_the_same_input_error_as_serial():
    frame = pd.DataFrame({"pH": np.arange(20.0)})  # no timestamps
    rules = [aquaflag.Rule("hampel", {"window": "2h"})]
    with pytest.raises(aquaflag.InputError) as serial:
        aquaflag.evaluate(frame, rules)
    with pytest.raises(aquaflag.InputError) as dask:
        aquaflag.evaluate(frame, rules, engine="dask")
    assert str(serial.value) == str(dask.value)

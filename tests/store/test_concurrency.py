"""Concurrency and faults: reviewers at once (threads, processes), SIGKILL after decide / during a run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest
import sqlalchemy as sa

import aquaflag
from aquaflag.store import open_store
from aquaflag.store._schema import provenance, run_flag_chunk, run_series, value_chunk

from .helpers import frame

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses POSIX signals")
S = "pH(A)"

PREAMBLE = """
import sys, time
import numpy as np, pandas as pd
from aquaflag.store import open_store
store = open_store(sys.argv[1])
times = pd.date_range("2021-01-01", periods=200, freq="D")
"""


def _python(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", PREAMBLE + code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_two_reviewers_in_threads_lose_nothing(store):
    store.add_values(frame(200))
    t = store.values(S).index
    ids: dict[str, list[int]] = {"kim": [], "lee": []}
    errors = []

    def review(name: str, offset: int) -> None:
        try:
            for i in range(25):
                ids[name].append(store.decide(S, t[2 * i + offset], action="reject", reviewer=name,
                                              reason=f"point {i}"))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=review, args=(n, k)) for k, n in enumerate(ids)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    table = store.decisions(S)
    assert len(table) == 50 and table["id"].is_unique
    assert sorted(table["id"]) == sorted(ids["kim"] + ids["lee"])
    assert (store.flags(S)[S].iloc[:50] == 4).all()


def test_two_reviewers_in_processes_lose_nothing(store, target):
    store.add_values(frame(200))
    code = """
name, offset = sys.argv[2], int(sys.argv[3])
for i in range(20):
    print(store.decide("pH(A)", times[2 * i + offset], action="accept", reviewer=name, reason="ok"), flush=True)
"""
    procs = [_python(code, target, name, str(k)) for k, name in enumerate(("kim", "lee"))]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    said = sorted(int(x) for out, _ in outs for x in out.split())
    table = store.decisions(S)
    assert sorted(table["id"]) == said and len(said) == 40
    assert sorted(table["reviewer"].value_counts().tolist()) == [20, 20]


def test_a_decision_returned_before_sigkill_is_kept(store, target):
    store.add_values(frame(200))
    code = """
for i in range(5):
    print(store.decide("pH(A)", times[i], action="reject", reviewer="kim", reason="bad"), flush=True)
time.sleep(60)
"""
    proc = _python(code, target)
    said = []
    for _ in range(5):
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        said.append(int(line))
    os.kill(proc.pid, signal.SIGKILL)  # right after the 5th decide returned
    proc.wait(timeout=30)
    with open_store(target) as again:
        assert again.decisions(S)["id"].tolist() == said
        assert (again.flags(S)[S].iloc[:5] == 4).all()


def test_a_run_killed_while_it_is_written_leaves_no_trace(store, target):
    code = """
import aquaflag
from aquaflag.store import _chunks
data = pd.DataFrame({"pH(A)": np.random.default_rng(3).normal(7, 0.3, 5000)},
                    index=pd.date_range("2021-01-01", periods=5000, freq="h"))
real_pack = _chunks.pack
def pack(*args, **kwargs):
    if kwargs.get("dtype") is not None:  # the run's flag chunks: values and run row are written
        print("writing", flush=True)
        time.sleep(60)
    return real_pack(*args, **kwargs)
_chunks.pack = pack
store.record_run(aquaflag.detect(data, method="zscore"))
"""
    proc = _python(code, target)
    line = proc.stdout.readline()
    assert line.strip() == "writing", proc.stderr.read()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with open_store(target) as again:
        assert len(again.runs()) == 0 and len(again.series()) == 0
        with again._r.connect() as conn:
            for table in (run_flag_chunk, run_series, provenance, value_chunk):
                assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0
        # the store is usable: the same run recorded whole
        data = frame(5000, freq="h", columns=(S,), seed=3)
        rid = again.record_run(aquaflag.detect(data, method="zscore"))
        assert again.runs()["run"].tolist() == [rid]
        assert len(again.flags(S)) == 5000
        assert np.isfinite(again.values(S).to_numpy()).all()


def test_two_writers_adding_the_same_new_series_at_once(store):
    data = frame(3000, freq="min", columns=("new(A)", "new(B)"))
    counts, errors = [], []
    barrier = threading.Barrier(2)

    def add(part):
        try:
            barrier.wait()
            counts.append(store.add_values(data.iloc[part]))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    halves = [np.arange(0, 2000), np.arange(1000, 3000)]  # overlapping, identical values
    threads = [threading.Thread(target=add, args=(h,)) for h in halves]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert sum(c["new(A)"] for c in counts) == 3000  # each value written once
    assert (store.values("new(B)").to_numpy() == data["new(B)"].to_numpy()).all()
    assert len(store.series()) == 2


def test_sqlite_runs_in_wal_mode_with_durable_commits(tmp_path):
    with open_store(tmp_path / "qc.sqlite") as s:
        with s._w.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000

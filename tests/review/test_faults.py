"""Concurrency and faults through the HTTP API: two reviewers at once; a server killed mid-stream."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd

import aquaflag
from aquaflag.store import open_store

from .conftest import TOKENS, Client


def small_store(target) -> None:
    idx = pd.date_range("2023-01-01", periods=400, freq="h")
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"DO(A)": rng.normal(8, 0.3, idx.size), "DO(B)": rng.normal(8, 0.3, idx.size)}, index=idx)
    frame.iloc[::37] += 5
    with open_store(target) as store:
        store.record_run(aquaflag.evaluate(frame, [aquaflag.Rule("modified_zscore")]))


def test_two_reviewers_deciding_at_once_both_land(target, serve):
    """Kim and Lee post decisions at the same moment (threads), on the same and on different series."""
    small_store(target)
    live = serve(target, tokens=TOKENS, allowed_hosts=None)
    clients = {}
    for token, name in TOKENS.items():
        c = Client(live.url)
        assert c.login(token).status == 200
        clients[name] = c
    xs = Client(live.url, bearer=next(iter(TOKENS))).get("/api/series/chart?name=DO%28A%29").json["x"]
    n = 12
    barrier = threading.Barrier(len(clients))
    results: dict[str, list] = {name: [] for name in clients}

    def work(k: int, name: str) -> None:
        c = clients[name]
        barrier.wait()
        for i in range(n):
            series = "DO(A)" if i % 2 == 0 else "DO(B)"
            x = xs[k * n + i]  # distinct values per reviewer
            r = c.post("/api/decide", {"series": series, "selection": {"kind": "points", "x": [x]},
                                       "action": "reject" if k else "accept", "reason": f"{name} #{i}"})
            results[name].append((r.status, r.body))

    threads = [threading.Thread(target=work, args=(k, name)) for k, name in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for name, got in results.items():
        assert [s for s, _ in got] == [200] * n, got
    with open_store(target) as store:
        d = store.decisions()
        assert len(d) == 2 * n
        assert d.groupby("reviewer").size().to_dict() == {name: n for name in clients}
        assert set(d["reason"]) == {f"{name} #{i}" for name in clients for i in range(n)}
        assert d["active"].all()


def test_a_killed_server_loses_no_decision_it_confirmed(tmp_path):
    """Decisions stream in; the server gets SIGKILL; every decision answered 200 is in the store."""
    path = tmp_path / "qc.sqlite"
    small_store(path)
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "aquaflag", "review", str(path), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        m = re.search(r"at (http://127\.0\.0\.1:\d+)/", line)
        assert m, (line, proc.stderr.read() if proc.poll() is not None else "")
        c = Client(m.group(1))
        c.start()
        xs = c.get("/api/series/chart?name=DO%28A%29").json["x"]
        confirmed: list[int] = []
        stop = threading.Event()

        def stream() -> None:
            for i, x in enumerate(xs):
                if stop.is_set():
                    return
                try:
                    r = c.post("/api/decide", {"series": "DO(A)", "selection": {"kind": "points", "x": [x]},
                                               "action": "reject", "reason": f"stream {i}"})
                except OSError:
                    return  # the server is gone
                if r.status == 200:
                    confirmed.extend(r.json["ids"])

        t = threading.Thread(target=stream)
        t.start()
        t0 = time.monotonic()
        while len(confirmed) < 15 and time.monotonic() - t0 < 30:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        stop.set()
        t.join(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert len(confirmed) >= 15
    with open_store(path) as store:
        stored = set(store.decisions("DO(A)")["id"])
    assert set(confirmed) <= stored

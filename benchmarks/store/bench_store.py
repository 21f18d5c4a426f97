"""Speed of the QC store (benchmarks, not tests).

    .venv/bin/python benchmarks/store/bench_store.py [--postgresql URL] [--quick]

Cases (each on a fresh store; SQLite in a temporary folder, PostgreSQL in a fresh schema):

* ledger write: 10^5 decisions (points and short ranges, on one 10^6-value series with a
  run) written with ``decide_many`` (batches of 10^4, one transaction each), and the
  per-call cost of ``decide`` (one transaction per decision, durable on return);
* final flags of a 10^6-value series with one run and 10^4 decisions (``store.flags``);
* appending one new value to each of 1 000 series (one ``add_values`` call), with
  histories of 10^3 and 10^4 values per series;
* reading the last 100 values (``values(last=100)``) of series of 10^4, 10^5, 10^6 values.

Prints a Markdown table; the recorded results are in benchmarks/results/store.md.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

import aquaflag
from aquaflag.result import Result
from aquaflag.store import open_store


def best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


class Targets:
    def __init__(self, pg_url: str | None):
        self.pg_url = pg_url
        self.dir = Path(tempfile.mkdtemp(prefix="aquaflag-bench-"))
        self._admin = None

    def new(self, backend: str):
        if backend == "sqlite":
            return open_store(self.dir / f"{uuid.uuid4().hex}.sqlite")
        import sqlalchemy as sa

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        base = sa.engine.make_url(self.pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
        if self._admin is None:
            self._admin = sa.create_engine(base)
        with self._admin.begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema))
        return open_store(base.update_query_dict({"options": f"-csearch_path={schema}"})
                          .render_as_string(hide_password=False))


def series_frame(n: int, columns=("x",), seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2000-01-01", periods=n, freq="5min")
    return pd.DataFrame({c: rng.normal(10, 1, n) for c in columns}, index=idx)


def big_run(data: pd.DataFrame) -> Result:
    """A run on a 10^6-value series (zscore: fast, flags a few hundred values)."""
    return aquaflag.detect(data, method="zscore")


def decisions_table(times: pd.DatetimeIndex, n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pos = rng.integers(0, len(times) - 20, n)
    ranged = rng.random(n) < 0.3
    ends = np.where(ranged, pos + rng.integers(1, 20, n), -1)
    return pd.DataFrame({
        "series": "x",
        "start": times[pos],
        "end": [times[e] if e >= 0 else None for e in ends],
        "action": rng.choice(["accept", "reject", "set_flag"], n),
        "flag": [3] * n,
        "reviewer": rng.choice(["kim", "lee", "park"], n),
        "reason": "benchmark",
    }).assign(flag=lambda d: d["flag"].where(d["action"] == "set_flag", None))


def run(backend: str, targets: Targets, quick: bool) -> list[tuple[str, str]]:
    out = []
    n_big = 10**5 if quick else 10**6
    n_dec = 10**4 if quick else 10**5
    store = targets.new(backend)
    data = series_frame(n_big)
    t0 = time.perf_counter()
    store.record_run(big_run(data))
    out.append((f"record a run of a {n_big:.0e}-value series (values + flags + provenance)",
                f"{time.perf_counter() - t0:.2f} s"))
    table = decisions_table(data.index, n_dec)
    t0 = time.perf_counter()
    for part in np.array_split(np.arange(n_dec), max(1, n_dec // 10**4)):
        store.decide_many(table.iloc[part])
    out.append((f"write {n_dec:.0e} decisions (decide_many, batches of 10^4)",
                f"{time.perf_counter() - t0:.2f} s"))
    k = 200
    t0 = time.perf_counter()
    for i in range(k):
        r = table.iloc[i]
        store.decide("x", r["start"], r["end"], action=r["action"], flag=r["flag"], reviewer=r["reviewer"],
                     reason="one by one")
    per = (time.perf_counter() - t0) / k
    out.append(("decide() one by one (one durable transaction each), per call",
                f"{per * 1e3:.1f} ms (10^5 would take {per * 1e5:.0f} s)"))
    store.close()

    store = targets.new(backend)
    store.record_run(big_run(data))
    store.decide_many(decisions_table(data.index, 10**4, seed=2))
    secs = best(lambda: store.flags("x"))
    out.append((f"final flags of a {n_big:.0e}-value series with 10^4 decisions", f"{secs:.2f} s"))
    secs = best(lambda: store.flags("x", as_of=pd.Timestamp.now(tz="UTC") - pd.Timedelta("1s")))
    out.append(("same, as_of (filters values, runs and decisions by time recorded)", f"{secs:.2f} s"))
    secs = best(lambda: store.cleaned("x"))
    out.append(("cleaned values of the same series", f"{secs:.2f} s"))
    store.close()

    for history in ((10**3,) if quick else (10**3, 10**4)):
        store = targets.new(backend)
        cols = [f"s{i:04d}" for i in range(1000)]
        rng = np.random.default_rng(0)
        idx = pd.date_range("2000-01-01", periods=history + 3, freq="5min")
        base = pd.DataFrame(rng.normal(size=(history + 3, 1000)), index=idx, columns=cols)
        for part in np.array_split(np.arange(1000), 10):
            store.add_values(base.iloc[:history, part])
        times = []
        for j in range(3):
            t0 = time.perf_counter()
            store.add_values(base.iloc[[history + j]])
            times.append(time.perf_counter() - t0)
        out.append((f"append 1 value to each of 1 000 series ({history:.0e} values each), one call",
                    f"{min(times):.2f} s"))
        store.close()

    store = targets.new(backend)
    for n in ((10**4, 10**5) if quick else (10**4, 10**5, 10**6)):
        store.add_values(series_frame(n, columns=(f"h{n}",)))
        secs = best(lambda: store.values(f"h{n}", last=100), repeat=5)
        out.append((f"last 100 values of a series of {n:.0e} values", f"{secs * 1e3:.1f} ms"))
    store.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--postgresql", help="a PostgreSQL URL to run the cases there too")
    ap.add_argument("--quick", action="store_true", help="10x smaller, for a smoke run")
    args = ap.parse_args()
    targets = Targets(args.postgresql)
    print(f"aquaflag {aquaflag.__version__}, Python {sys.version.split()[0]}, {platform.machine()}, "
          f"{time.strftime('%Y-%m-%d')}")
    backends = ["sqlite"] + (["postgresql"] if args.postgresql else [])
    results = {b: run(b, targets, args.quick) for b in backends}
    print("\n| case | " + " | ".join(backends) + " |")
    print("|---|" + "---|" * len(backends))
    for k, (case, _) in enumerate(results["sqlite"]):
        print(f"| {case} | " + " | ".join(results[b][k][1] for b in backends) + " |")


if __name__ == "__main__":
    main()

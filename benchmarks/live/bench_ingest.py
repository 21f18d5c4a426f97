"""Speed of always-on QC: incremental ingest and alarm latency (benchmarks, not tests).

    .venv/bin/python benchmarks/live/bench_ingest.py CASE [options]

Cases
-----
``batch``    1 000 series (200 stations x temperature, conductivity, pH, DO, turbidity)
             each receiving one new 15-minute value, judged with the default sensor
             configuration (src/aquaflag/templates/sensor_15min.toml) and stored;
             ``--past N`` stored values per series before (added with ``add_values``).
             Prints the median of ``--repeat`` batches and where the time goes.
``length``   the same batch on ``--stations`` stations at 10^4, 10^5, 10^6 past values:
             does the cost per batch grow with the record's length?
``year``     one station (5 series) for a year: ingested in one batch (the one-shot
             run: judged and stored), then in daily, hourly and 15-minute batches.
``latency``  alarm latency: from handing a batch to ``aquaflag.ingest`` to a webhook
             receiving the alarm (a local http.server in a thread), and from the end of
             ingest; for a one-station batch and a 1 000-series batch; and through
             ``Watcher`` (a file dropped in the folder) with --settle 0.5.

``--postgresql URL`` runs on PostgreSQL (a fresh schema); ``--postgresql auto`` starts a
throw-away server as the store tests do (tests/store/conftest.py). ``--config PATH``
measures another configuration. Results: benchmarks/results/live.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
VARIABLES = {"temp": (15.0, 3.0, 0.01), "cond": (400.0, 20.0, 0.1), "ph": (8.0, 0.2, 0.01),
             "do": (9.0, 1.0, 0.01), "turb": (5.0, 2.0, 0.1)}  # level, diel amplitude, resolution


# ----------------------------------------------------------------------------- data
def sensor_frame(stations: int, n: int, start="2020-01-01", seed: int = 0) -> pd.DataFrame:
    """15-minute values of 5 variables at ``stations`` stations: diel cycles, noise, resolution."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=n, freq="15min", name="time")
    hours = np.arange(n) / 4
    cols = {}
    for s in range(stations):
        phase = rng.uniform(0, 2 * np.pi)
        for var, (level, amp, res) in VARIABLES.items():
            x = level + amp * np.sin(2 * np.pi * hours / 24 + phase) + rng.normal(0, amp * 0.05, n)
            cols[f"{var}(S{s:04d})"] = np.round(np.round(x / res) * res, 4)
    return pd.DataFrame(cols, index=idx)


# ----------------------------------------------------------------------------- stores
class Backends:
    def __init__(self, pg: str | None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="aquaflag-live-bench-"))
        self.pg_url = None
        self._server = None
        if pg == "auto":
            sys.path.insert(0, str(ROOT))
            from tests.store.conftest import _Server

            self._server = _Server()
            self._server.start()
            if self._server.url is None:
                raise SystemExit(f"no PostgreSQL: {self._server.reason}")
            self.pg_url = self._server.url
        elif pg:
            self.pg_url = pg.replace("postgresql://", "postgresql+psycopg://", 1)

    def new(self, backend: str):
        from aquaflag.store import open_store

        if backend == "sqlite":
            return open_store(self.dir / f"{uuid.uuid4().hex}.sqlite")
        import sqlalchemy as sa

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        base = sa.engine.make_url(self.pg_url)
        admin = sa.create_engine(base)
        with admin.begin() as conn:
            conn.execute(sa.schema.CreateSchema(schema))
        admin.dispose()
        return open_store(base.update_query_dict({"options": f"-csearch_path={schema}"})
                          .render_as_string(hide_password=False))

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()


# ----------------------------------------------------------------------------- where time goes
@contextmanager
def breakdown():
    """CPU time spent in the parts of ingest (wrapping them; adds a little overhead)."""
    import aquaflag.ingest as ing
    from aquaflag import registry
    from aquaflag.store._store import Store

    spent: dict[str, float] = defaultdict(float)

    def timed(name, func):
        def wrapper(*a, **k):
            t0 = time.process_time()
            try:
                return func(*a, **k)
            finally:
                spent[name] += time.process_time() - t0
        return wrapper

    saved = [(ing, "judge_series", ing.judge_series), (ing, "_batch_result", ing._batch_result),
             (ing, "_plan", ing._plan), (ing, "_merge", ing._merge), (ing, "prepare_frame", ing.prepare_frame),
             (ing, "series_of", ing.series_of), (ing, "_check_live_config", ing._check_live_config),
             (Store, "windows", Store.windows), (Store, "record_run", Store.record_run),
             (Store, "_write_many", Store._write_many), (registry.MethodSpec, "run", registry.MethodSpec.run)]
    for owner, name, func in saved:
        if name == "run":
            def run(self, values, _f=func, **kw):
                t0 = time.process_time()
                try:
                    return _f(self, values, **kw)
                finally:
                    spent[f"method {self.name}"] += time.process_time() - t0
            setattr(owner, name, run)
        else:
            setattr(owner, name, timed(name, func))
    try:
        yield spent
    finally:
        for owner, name, func in saved:
            setattr(owner, name, func)


def fmt_breakdown(spent: dict[str, float], batches: int) -> str:
    rows = sorted(spent.items(), key=lambda kv: -kv[1])
    return "\n".join(f"    {name:<34} {1000 * t / batches:8.1f} ms CPU/batch" for name, t in rows)


# ----------------------------------------------------------------------------- cases
def config(args):
    from aquaflag.config import load, parse, template_text

    return load(args.config) if args.config else parse(template_text("sensor"), source="sensor_15min.toml")


class Timings(list):
    """Wall-clock seconds per batch, with the process's CPU seconds (``cpu``): this machine is
    shared, and CPU time is what the batch costs when it has a core to itself (SQLite: all of
    the work; PostgreSQL: without the server's share)."""

    def __init__(self, wall, cpu):
        super().__init__(wall)
        self.cpu = cpu

    def __str__(self) -> str:
        return (f"median {statistics.median(self):.3f} s wall (min {min(self):.3f}, max {max(self):.3f}), "
                f"{statistics.median(self.cpu):.3f} s CPU; {len(self)} batches")


def load_average() -> str:
    try:
        return "load average " + open("/proc/loadavg").read().split()[0] + " on 2 cores"
    except OSError:
        return ""


def one_batch_run(store, qc, frame: pd.DataFrame, past: int, repeat: int, warm: int = 2) -> tuple[list[float], dict]:
    """Seed ``past`` values (add_values), ingest the first one with the config, then time single-row batches."""
    from aquaflag.ingest import ingest

    store.add_values(frame.iloc[:past - 1])
    ingest(store, frame.iloc[past - 1:past], qc)  # makes the configuration live
    times, cpu = [], []
    for k in range(warm):
        ingest(store, frame.iloc[past + k:past + k + 1], qc)
    for k in range(repeat):
        row = frame.iloc[past + warm + k:past + warm + k + 1]
        t0, c0 = time.perf_counter(), time.process_time()
        ingest(store, row, qc)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    times = Timings(times, cpu)
    i = past + warm + repeat
    with breakdown() as spent:
        c0 = time.process_time()
        for k in range(2):
            ingest(store, frame.iloc[i + k:i + k + 1], qc)
        spent["(ingest, all)"] = time.process_time() - c0
    return times, dict(spent)


def case_batch(args, backends):
    qc = config(args)
    for backend in args.backends:
        frame = sensor_frame(args.stations, args.past + 2 + args.repeat + 4)
        store = backends.new(backend)
        t0 = time.perf_counter()
        times, spent = one_batch_run(store, qc, frame, args.past, args.repeat)
        print(f"{backend}: {frame.shape[1]} series x 1 new value, {args.past} past values each: {times} "
              f"(set-up + run {time.perf_counter() - t0:.0f} s; {load_average()})")
        print(fmt_breakdown(spent, 2))
        store.close()


def case_length(args, backends):
    qc = config(args)
    for backend in args.backends:
        for past in args.lengths:
            frame = sensor_frame(args.stations, past + 2 + args.repeat + 4)
            store = backends.new(backend)
            times, spent = one_batch_run(store, qc, frame, past, args.repeat)
            print(f"{backend}: {frame.shape[1]} series, {past:>8} past values: {times} ({load_average()})",
                  flush=True)
            store.close()


def case_year(args, backends):
    from aquaflag.ingest import ingest

    qc = config(args)
    year = sensor_frame(1, 365 * 96, start="2021-01-01")
    for backend in args.backends:
        store = backends.new(backend)
        t0, c0 = time.perf_counter(), time.process_time()
        ingest(store, year, qc)
        one_shot, one_cpu = time.perf_counter() - t0, time.process_time() - c0
        flags_once = store.flags()
        store.close()
        print(f"{backend}: one-shot year ({year.shape[1]} series x {len(year)}): {one_shot:.2f} s wall, "
              f"{one_cpu:.2f} s CPU ({load_average()})", flush=True)
        for freq in args.freqs:
            store = backends.new(backend)
            groups = [g for _, g in year.groupby(year.index.floor(freq))]
            if args.limit_batches and len(groups) > args.limit_batches:
                groups = groups[:args.limit_batches]
            t0, c0 = time.perf_counter(), time.process_time()
            for part in groups:
                ingest(store, part, qc)
            total, cpu = time.perf_counter() - t0, time.process_time() - c0
            scale = (len(year) / sum(len(g) for g in groups))
            same = ""
            if scale == 1:
                final = store.flags().reindex(columns=flags_once.columns)
                diff = int((final.to_numpy() != flags_once.to_numpy()).sum())
                same = f"; final flags differ from the one-shot in {diff} of {final.size} values"
            print(f"{backend}: {freq} batches: {len(groups)} batches in {total:.1f} s wall, {cpu:.1f} s CPU "
                  f"({1000 * cpu / len(groups):.1f} ms CPU/batch)"
                  + (f", a year at that rate {cpu * scale:.0f} s CPU" if scale != 1 else "")
                  + f" = {cpu * scale / one_cpu:.1f} x the one-shot's CPU, {total * scale / one_shot:.1f} x its wall"
                  + f"{same} ({load_average()})", flush=True)
            store.close()


class Receiver:
    def __init__(self) -> None:
        self.arrivals: list[tuple[float, dict]] = []
        self.event = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.arrivals.append((time.perf_counter(), json.loads(body)))
                self.send_response(204)
                self.end_headers()
                owner.event.set()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def case_latency(args, backends):
    from aquaflag.alarms import Alarms
    from aquaflag.config import parse, template_text
    from aquaflag.ingest import ingest

    receiver = Receiver()
    base = Path(args.config).read_text(encoding="utf-8") if args.config else template_text("sensor")
    qc = parse(base + f'\n[[alarm]]\nname = "fail"\nwhen = "fail"\nwebhook = "{receiver.url}"\n',
               source="sensor_15min.toml + [[alarm]]")
    for backend in args.backends:
        for stations in (1, args.stations):
            store = backends.new(backend)
            frame = sensor_frame(stations, args.past + 40)
            store.add_values(frame.iloc[:args.past - 1])
            ingest(store, frame.iloc[args.past - 1:args.past], qc)
            alarms = Alarms(store, qc)
            e2e, after = [], []
            for k in range(args.repeat):
                row = frame.iloc[args.past + k:args.past + k + 1].copy()
                row.iloc[0, 0] = 999.0  # temperature out of range: FAIL
                receiver.event.clear()
                t0 = time.perf_counter()
                done = ingest(store, row, qc)
                t1 = time.perf_counter()
                events = alarms.after_ingest(done)
                if not receiver.event.wait(10):
                    raise SystemExit("no webhook arrived")
                arrived = receiver.arrivals[-1][0]
                assert events and events[0].ok
                e2e.append(arrived - t0)
                after.append(arrived - t1)
                # a clean value resolves it, so the next batch opens it again
                clean = frame.iloc[args.past + 20 + k:args.past + 21 + k].copy()
                clean.index = row.index + pd.Timedelta("1min")
                alarms.after_ingest(ingest(store, clean, qc))
            print(f"{backend}: {frame.shape[1]} series: batch handed to ingest -> webhook received: median "
                  f"{statistics.median(e2e):.3f} s (max {max(e2e):.3f}); end of ingest -> webhook: median "
                  f"{1000 * statistics.median(after):.1f} ms (max {1000 * max(after):.1f}); {len(e2e)} alarms")
            store.close()
    # through the watcher: a file appears in the folder -> webhook
    from aquaflag.watch import FolderSource, Watcher

    for backend in args.backends:
        store = backends.new(backend)
        inbox = backends.dir / f"in-{uuid.uuid4().hex[:6]}"
        inbox.mkdir()
        frame = sensor_frame(1, args.past + 40)
        store.add_values(frame.iloc[:args.past - 1])
        ingest(store, frame.iloc[args.past - 1:args.past], qc)
        watcher = Watcher(store, qc, FolderSource(inbox, settle=args.settle), check_every=3600)
        stop = threading.Event()
        thread = threading.Thread(target=watcher.run, args=(stop,), kwargs={"poll": 0.1}, daemon=True)
        thread.start()
        lat = []
        for k in range(args.repeat):
            row = frame.iloc[args.past + 2 * k:args.past + 2 * k + 1].copy()
            row.iloc[0, 0] = 999.0
            receiver.event.clear()
            tmp = inbox / f"f{k}.csv.part"
            row.to_csv(tmp)
            t0 = time.perf_counter()
            tmp.rename(inbox / f"f{k}.csv")
            if not receiver.event.wait(30):
                raise SystemExit("no webhook arrived through the watcher")
            lat.append(receiver.arrivals[-1][0] - t0)
            clean = frame.iloc[args.past + 2 * k + 1:args.past + 2 * k + 2]
            clean.to_csv(inbox / f"g{k}.csv.part")
            (inbox / f"g{k}.csv.part").rename(inbox / f"g{k}.csv")
            time.sleep(args.settle + 0.5)
        stop.set()
        thread.join()
        print(f"{backend}: watcher (--settle {args.settle}, --poll 0.1), 5 series: file renamed into the folder -> "
              f"webhook received: median {statistics.median(lat):.2f} s (max {max(lat):.2f})")
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", choices=["batch", "length", "year", "latency"])
    ap.add_argument("--postgresql", help="a PostgreSQL URL, or 'auto' to start a throw-away server")
    ap.add_argument("--only-postgresql", action="store_true")
    ap.add_argument("--config", help="another QC configuration (default: the shipped sensor template)")
    ap.add_argument("--stations", type=int, default=200, help="5 series each (default 200: 1 000 series)")
    ap.add_argument("--past", type=int, default=10_000)
    ap.add_argument("--lengths", default="10000,100000,1000000")
    ap.add_argument("--freqs", default="1D,1h,15min")
    ap.add_argument("--limit-batches", type=int, default=0, help="year: time only the first N batches")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--settle", type=float, default=0.5)
    args = ap.parse_args()
    args.lengths = [int(float(x)) for x in args.lengths.split(",")]
    args.freqs = args.freqs.split(",")
    backends = Backends(args.postgresql)
    args.backends = (["postgresql"] if args.only_postgresql else ["sqlite"]) + (
        ["postgresql"] if args.postgresql and not args.only_postgresql else [])
    template = ROOT / "src/aquaflag/templates/sensor_15min.toml"
    sha = hashlib.sha256(template.read_bytes()).hexdigest()[:12]
    commit = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h", "--", str(template)],
                            capture_output=True, text=True).stdout.strip()
    import aquaflag

    print(f"# {args.case}: aquaflag {aquaflag.__version__}, Python {platform.python_version()}, "
          f"config {args.config or f'sensor_15min.toml (sha256 {sha}, last changed in {commit})'}", flush=True)
    try:
        {"batch": case_batch, "length": case_length, "year": case_year, "latency": case_latency}[args.case](
            args, backends)
    finally:
        backends.close()


if __name__ == "__main__":
    main()

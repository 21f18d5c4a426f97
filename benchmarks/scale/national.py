"""A national network out of core (issue 11): 10 000 series x a year of 15-minute data.

    python benchmarks/scale/national.py [--stations 2000] [--days 365] [--keep DIR]
                                        [--out benchmarks/results/national.md]

Writes a partitioned Parquet dataset (one ``station=...`` folder per station, 5
variables: temperature, conductivity, pH, DO, turbidity; long layout) of
``stations x 5`` series, then judges it with the shipped default sensor
configuration (src/aquaflag/templates/sensor_15min.toml) with ``aquaflag run
--stream``: part by part, flags written as Parquet as they are made. Each run is
a fresh process; its peak memory is the process's high-water mark (VmHWM,
``RUSAGE_CHILDREN`` for Dask workers). Runs: serial (a thread per core), and on
a local Dask cluster with 1 and 2 single-threaded workers (the scaling with
workers). Targets: < 10 min, < 4 GiB, linear in Dask workers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "src" / "aquaflag" / "templates" / "sensor_15min.toml"
VARIABLES = {"temp": (15.0, 3.0, 0.01), "cond": (400.0, 20.0, 0.1), "ph": (8.0, 0.2, 0.01),
             "do": (9.0, 1.0, 0.01), "turb": (5.0, 2.0, 0.1)}  # level, diel amplitude, resolution


def write_dataset(folder: Path, stations: int, days: int, seed: int = 0) -> int:
    """One long Parquet part per station; returns the number of values."""
    n = days * 96
    idx = pd.date_range("2023-01-01", periods=n, freq="15min")
    hours = np.arange(n) / 4
    rng = np.random.default_rng(seed)
    total = 0
    for s in range(stations):
        parts = []
        for name, (level, amp, res) in VARIABLES.items():
            x = level + amp * np.sin(2 * np.pi * hours / 24 + rng.uniform(0, 6.3))
            x = np.round(x + rng.normal(0, amp / 10, n), int(round(-np.log10(res))))
            x[rng.integers(0, n, 3)] += 20 * amp  # a few spikes
            parts.append(pd.DataFrame({"time": idx, "parameter": name, "value": x}))
        table = pd.concat(parts, ignore_index=True)
        out = folder / f"station=S{s:05d}"
        out.mkdir(parents=True, exist_ok=True)
        table.to_parquet(out / "part-0.parquet", index=False)
        total += len(table)
    return total


CHILD = r"""
import json, resource, sys, time
from aquaflag.config import load
from aquaflag.stream import run_streamed
open("/proc/self/clear_refs", "w").write("5")
t0 = time.perf_counter()
done = run_streamed(sys.argv[1], load(sys.argv[2]), sys.argv[3], engine=sys.argv[4],
                    scheduler=sys.argv[5] or None)
wall = time.perf_counter() - t0
hwm = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"wall": wall, "hwm_mib": hwm, "children_mib": kids, "parts": done.parts,
                  "series": done.series, "values": done.values, "flagged": done.flagged}))
"""

SCHEDULER = r"""
import sys, time
from dask.distributed import LocalCluster
cluster = LocalCluster(n_workers=int(sys.argv[1]), threads_per_worker=1, processes=True,
                       dashboard_address=None, memory_limit="3GiB")
print(cluster.scheduler_address, flush=True)
time.sleep(10**6)
"""


def run(dataset: Path, out: Path, engine: str, workers: int = 0) -> dict:
    scheduler = ""
    sched_proc = None
    if engine == "dask":
        sched_proc = subprocess.Popen([sys.executable, "-c", SCHEDULER, str(workers)],
                                      stdout=subprocess.PIPE, text=True)
        scheduler = sched_proc.stdout.readline().strip()
    try:
        shutil.rmtree(out, ignore_errors=True)
        proc = subprocess.run([sys.executable, "-c", CHILD, str(dataset), str(CONFIG), str(out), engine,
                               scheduler], capture_output=True, text=True, check=True)
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        if sched_proc is not None:
            sched_proc.terminate()
            sched_proc.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stations", type=int, default=2000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--keep", type=Path, default=None, help="keep (or reuse) the dataset here")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "national.md")
    ap.add_argument("--skip-dask", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    dataset = args.keep or Path(tmp.name) / "network"
    t0 = time.perf_counter()
    if not dataset.exists() or not any(dataset.iterdir()):
        values = write_dataset(dataset, args.stations, args.days)
    else:
        values = args.stations * 5 * args.days * 96
    made = time.perf_counter() - t0
    rows = [("serial (a thread per core)", run(dataset, Path(tmp.name) / "out", "serial"))]
    if not args.skip_dask:
        for w in (1, 2):
            rows.append((f"Dask, {w} worker(s)", run(dataset, Path(tmp.name) / "out", "dask", w)))
    lines = [
        "# A national network out of core",
        "",
        f"`python benchmarks/scale/national.py --stations {args.stations} --days {args.days}`  ",
        f"{time.strftime('%Y-%m-%d')}, aquaflag {__import__('aquaflag').__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}; dataset {args.stations} stations x 5 variables x {args.days} "
        f"days at 15 min = {values:,} values ({args.stations * 5:,} series), written in {made:.0f} s; "
        f"configuration {CONFIG.name} (self-calibrating, every rule).",
        "",
        "| run | wall | values/s | peak memory (process) | peak (Dask workers) | flags |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows:
        lines.append(f"| {name} | {r['wall']:.0f} s ({r['wall'] / 60:.1f} min) | "
                     f"{r['values'] / r['wall']:,.0f} | {r['hwm_mib']:.0f} MiB | "
                     f"{r['children_mib']:.0f} MiB | {r['flagged']:,} |")
    lines += ["", "Targets (issue 11): < 10 min, peak < 4 GiB, linear in Dask workers."]
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

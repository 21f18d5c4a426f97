"""Peak memory and time of a 10^7-row long (tidy) input, CSV and Parquet, read and QC'd.

Run:  python benchmarks/scale/long_memory.py [--rows 10000000] [--out benchmarks/results/long_memory.md]

Each measurement runs in a fresh subprocess; its peak resident memory is the
process's high-water mark ``VmHWM`` (reset at the child's start, so the parent's
memory at fork is not counted; the whole process: Python, libraries, data).
Target (issue 5): within 4 GiB. The detect phase is also measured alone (its
high-water mark above the memory held after reading), over the values read:
that is where the Result's size shows (issue 11: < 3x).

    python benchmarks/scale/long_memory.py --src /tmp/base/src   # another source tree
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

CHILD = r'''
import json, sys, time
import aquaflag
def _hwm():
    return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
open("/proc/self/clear_refs", "w").write("5")  # reset the high-water mark: count this process only
def _rss():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024
t0 = time.perf_counter()
data = aquaflag.read(sys.argv[1])
t1 = time.perf_counter()
peak_read = _hwm()
open("/proc/self/clear_refs", "w").write("5")  # the detect phase alone: above the read data
before = _rss()
res = aquaflag.detect(data, method="all")
flags = res.flags
n_out = int(res.mask.to_numpy().sum())
t2 = time.perf_counter()
detect_mib = _hwm() - before
print(json.dumps({"read_s": t1 - t0, "detect_s": t2 - t1, "shape": list(data.shape),
                  "outliers": n_out, "peak_mib": max(peak_read, _hwm()), "detect_extra_mib": detect_mib,
                  "data_mib": data.to_numpy().nbytes / 2**20}))
'''

BASELINE = r'''
import json
import aquaflag, pandas, numpy, pyarrow
print(json.dumps({"peak_mib": int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024}))
'''


def make_long(rows: int, n_series: int, folder: Path) -> tuple[Path, Path]:
    """A long table: n_series (station x parameter) x rows/n_series 15-minute steps."""
    steps = rows // n_series
    rng = np.random.default_rng(0)
    times = pd.date_range("2020-01-01", periods=steps, freq="15min")
    stations = [f"S{i:03d}" for i in range(n_series // 5)]
    params = ["temp", "cond", "ph", "do", "turb"]
    parts = []
    for s in stations:
        for p in params:
            v = rng.normal(10, 1, steps).round(3)
            v[rng.integers(0, steps, 20)] += 25
            parts.append(pd.DataFrame({"time": times, "station": s, "parameter": p, "value": v}))
    long = pd.concat(parts, ignore_index=True)
    csv, parquet = folder / "long.csv", folder / "long.parquet"
    long.to_csv(csv, index=False, date_format="%Y-%m-%dT%H:%M:%S")
    long.to_parquet(parquet, index=False)
    return csv, parquet


def child(code: str, *args: str, src: str | None = None) -> dict:
    env = dict(os.environ)
    if src:  # measure another source tree (e.g. the code before a change)
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True,
                         env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--series", type=int, default=100)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/long_memory.md"))
    ap.add_argument("--src", help="source tree to measure instead of the installed aquaflag")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        csv, parquet = make_long(args.rows, args.series, Path(tmp))
        made = time.perf_counter() - t
        base = child(BASELINE, src=args.src)
        rows = []
        for path in (csv, parquet):
            r = child(CHILD, str(path), src=args.src)
            rows.append((path.suffix, path.stat().st_size / 2**20, r))
    lines = [
        "# Long (tidy) input: peak memory and time",
        "",
        f"Command: `python benchmarks/scale/long_memory.py --rows {args.rows} --series {args.series}"
        f"{' --src ' + args.src if args.src else ''}`",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; machine: {platform.machine()}, "
        f"{os.cpu_count()} cores; Python {platform.python_version()}, pandas {pd.__version__}",
        "",
        f"Input: {args.rows:,} rows = {args.series} series (station x parameter) x "
        f"{args.rows // args.series:,} 15-minute steps (generated in {made:.0f} s).",
        f"Work: `aquaflag.read(path)` (long layout detected, pivoted to one column per series), then "
        "`aquaflag.detect(data, method='all')` (four seed methods on every series) and the flag table.",
        f"Baseline process (Python + aquaflag + pandas + pyarrow imported): {base['peak_mib']:.0f} MiB.",
        "",
        "Detect memory: the peak resident memory of `detect` + the flag table above the level",
        "after reading, over the float64 values of the data read (the Result and its temporaries).",
        "",
        "| input | file size | read | detect (4 methods) | outliers | peak RSS | detect memory | target |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for suffix, size, r in rows:
        ok = "met" if r["peak_mib"] < 4096 else "MISSED"
        lines.append(f"| {suffix} | {size:.0f} MiB | {r['read_s']:.1f} s | {r['detect_s']:.1f} s | "
                     f"{r['outliers']:,} | {r['peak_mib']:.0f} MiB | "
                     f"{r['detect_extra_mib']:.0f} MiB ({r['detect_extra_mib'] / r['data_mib']:.1f}x) "
                     f"| < 4096 MiB: {ok} |")
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()

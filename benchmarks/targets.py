"""The speed and memory targets of the issues, measured on the current code in one short run.

Run:  python benchmarks/targets.py [--out benchmarks/results/targets.md]

Each case runs in a fresh subprocess (so numba's on-disk cache, imports and memory are
its own); time = median of 3 calls after one warm-up call; memory = the child's peak
resident memory above its level just before the measured call (VmHWM after resetting it),
relative to the input's float64 values. Takes about two minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

CHILD = r'''
import json, sys, time
import numpy as np, pandas as pd
import aquaflag, aquaflag.datasets
import aquaflag.kernels.stats
case = sys.argv[1]
rng = np.random.default_rng(0)

def hwm():
    return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024

def rss():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024

if case == "medcouple_1e6":
    x = rng.gamma(2.0, size=10**6); fn = lambda: aquaflag.kernels.stats.medcouple(x); size = x.nbytes
elif case == "seed4_100x1e5":
    x = pd.DataFrame(rng.gamma(2.0, size=(10**5, 100)), columns=[f"c{i}" for i in range(100)],
                     index=pd.date_range("2020", periods=10**5, freq="5min"))
    fn = lambda: aquaflag.detect(x, method="all"); size = x.to_numpy().nbytes
elif case.startswith("seed1e7_"):
    x = pd.Series(rng.gamma(2.0, size=10**7), name="x"); m = case.split("_", 1)[1]
    fn = lambda: aquaflag.detect(x, method=m).flags; size = x.to_numpy().nbytes
elif case == "hampel_1e6_w96":
    x = pd.Series(rng.normal(size=10**6), name="x")
    fn = lambda: aquaflag.detect(x, method="hampel", window=96); size = x.to_numpy().nbytes
elif case == "rolling_mad_1e6_w96":
    from aquaflag.kernels import rolling
    x = rng.normal(size=10**6); b = rolling.window_bounds(10**6, count=96)
    fn = lambda: rolling.rolling_robust(x, *b); size = x.nbytes
elif case == "sensor_config_site_year":
    x = aquaflag.datasets.sensor_demo(days=365)
    fn = lambda: aquaflag.run(x, "src/aquaflag/templates/sensor_15min.toml"); size = x.to_numpy().nbytes
fn()  # warm-up (imports, numba cache)
open("/proc/self/clear_refs", "w").write("5")
base = rss()
times = []
for _ in range(3):
    t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
print(json.dumps({"case": case, "median_s": sorted(times)[1], "extra_x_input": (hwm() - base) / (size / 2**20)}))
'''

CASES = [
    ("medcouple_1e6", "medcouple of 10^6 values", "< 0.5 s"),
    ("seed4_100x1e5", "four seed methods, 100 columns x 10^5 rows", "< 2 s"),
    ("hampel_1e6_w96", "Hampel, 10^6 points, window 96", "< 1 s"),
    ("rolling_mad_1e6_w96", "rolling median + MAD + quartiles, 10^6 points, window 96", "< 1 s"),
    ("sensor_config_site_year", "src/aquaflag/templates/sensor_15min.toml on one site-year (5 x 35,040 points)", "< 2 s"),
    ("seed1e7_zscore", "zscore, one series of 10^7", "memory < 3x input"),
    ("seed1e7_modified_zscore", "modified_zscore, one series of 10^7", "memory < 3x input"),
    ("seed1e7_iqr", "iqr, one series of 10^7", "memory < 3x input"),
    ("seed1e7_adjusted_boxplot", "adjusted_boxplot, one series of 10^7", "memory < 3x input"),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/targets.md"))
    args = ap.parse_args()
    rows = []
    for case, what, target in CASES:
        out = subprocess.run([sys.executable, "-c", CHILD, case], check=True, capture_output=True, text=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        if target.startswith("<"):
            limit = float(target.split()[1])
            verdict = "met" if r["median_s"] < limit else "missed"
        else:
            verdict = "met" if r["extra_x_input"] < 3 else "missed"
        rows.append(f"| {what} | {r['median_s']:.3f} s | {r['extra_x_input']:.1f}x | {target} | {verdict} |")
        print(rows[-1], flush=True)
    text = "\n".join([
        "# Targets, measured on the current code",
        "",
        "Command: `python benchmarks/targets.py`  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.machine()}, "
        f"{os.cpu_count()} cores; Python {platform.python_version()}",
        "",
        "Time: median of 3 calls after a warm-up, fresh process per case. Memory: peak resident",
        "memory above the level before the calls, over the input's float64 size.",
        "",
        "| case | time | extra memory | target | verdict |",
        "|---|---:|---:|---|---|",
        *rows,
    ]) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

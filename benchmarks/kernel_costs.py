"""The remaining kernel costs of issue 11 (item 5), measured before and after.

Run from the repository root::

    python benchmarks/kernel_costs.py [--out benchmarks/results/kernel_costs.md]
    # the same cases on another source tree, e.g. the code before the change:
    git worktree add /tmp/before 377ffe6   # (or: git archive 377ffe6 src | tar -x -C /tmp/before)
    python benchmarks/kernel_costs.py --src /tmp/before/src --w8640-per-window --out /tmp/before.md

Each case runs in a fresh child process (its own numba cache load, imports and
memory). Time: wall-clock seconds of the measured call(s) (median of 3 after a
warm-up on a short slice, or one call for the long cases), with the CPU seconds
of the process over the same calls beside it (all threads): on a shared machine
the wall time carries the other jobs' load, the CPU time much less. Memory: the
child's peak resident memory during the calls above its level just before them
(``VmHWM`` after resetting it), over the input's float64 size. The machine's load
average is recorded with every case.
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
import json, os, resource, sys, time
import numpy as np, pandas as pd
import aquaflag
case = sys.argv[1]
rng = np.random.default_rng(0)

def hwm():
    return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024

def rss():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

def sensor(n, freq="5min"):
    t = pd.date_range("2020-01-01", periods=n, freq=freq)
    day = np.arange(n) / (86400e9 / pd.Timedelta(freq).value)
    x = 10 + 3 * np.sin(2 * np.pi * day / 365) + np.sin(2 * np.pi * day) + rng.gamma(2.0, 0.3, n)
    x[rng.integers(0, n, n // 1000)] += 8
    x[rng.random(n) < 0.01] = np.nan
    return pd.Series(x, index=t, name="x")

repeat = 3
warm = None
if case == "rolling_ab_w96":
    s = sensor(10**6); size = s.to_numpy().nbytes
    fn = lambda: aquaflag.detect(s, method="adjusted_boxplot", window=96)
    warm = lambda: aquaflag.detect(s.iloc[:50_000], method="adjusted_boxplot", window=96)
elif case == "rolling_ab_w8640":
    s = sensor(10**6); size = s.to_numpy().nbytes; repeat = 1
    fn = lambda: aquaflag.detect(s, method="adjusted_boxplot", window=8640)
    warm = lambda: aquaflag.detect(s.iloc[:30_000], method="adjusted_boxplot", window=8640)
elif case == "rolling_ab_w8640_per_window":
    # for code whose rolling medcouple is O(w^2) per window (the whole case would take days):
    # the compiled kernel's medcouple of one full window of 8,640 values, times 10^6 windows
    from aquaflag.kernels._numba import _medcouple_sorted
    buf = np.sort(sensor(8640).dropna().to_numpy()); cw = buf.size
    work = np.empty(cw * cw + cw); size = 10**6 * 8; repeat = 3
    fn = lambda: _medcouple_sorted(buf, cw, work)
    warm = lambda: _medcouple_sorted(buf[:100], 100, work)
elif case == "stl_1e6":
    s = sensor(10**6, "15min"); size = s.to_numpy().nbytes; repeat = 1
    fn = lambda: aquaflag.detect(s, method="stl_residual")
    warm = lambda: aquaflag.detect(s.iloc[:40_000], method="stl_residual")
elif case in ("seed4_100x1e5", "seed4_100x1e5_one_thread"):
    x = pd.DataFrame(rng.gamma(2.0, size=(10**5, 100)), columns=[f"c{i}" for i in range(100)],
                     index=pd.date_range("2020", periods=10**5, freq="5min"))
    size = x.to_numpy().nbytes
    if case.endswith("one_thread"):  # one column at a time (frames under 2e5 values run serially)
        fn = lambda: [aquaflag.detect(x[[c]], method="seed") for c in x.columns]
    else:
        fn = lambda: aquaflag.detect(x, method="seed")
    warm = lambda: aquaflag.detect(x.iloc[:, :4], method="seed")
elif case == "adjusted_boxplot_1e7":
    x = pd.Series(rng.gamma(2.0, size=10**7), name="x"); size = x.to_numpy().nbytes
    fn = lambda: aquaflag.detect(x, method="adjusted_boxplot").flags
    warm = lambda: aquaflag.detect(x.iloc[:200_000], method="adjusted_boxplot").flags
else:
    raise SystemExit(f"unknown case {case}")
(warm or fn)()
open("/proc/self/clear_refs", "w").write("5")
base = rss()
times, cpus = [], []
for _ in range(repeat):
    t, c = time.perf_counter(), cpu()
    fn()
    times.append(time.perf_counter() - t); cpus.append(cpu() - c)
k = sorted(range(repeat), key=lambda i: times[i])[repeat // 2]
per = 10**6 if case.endswith("per_window") else 1  # per window -> 10^6 windows
print(json.dumps({"case": case, "wall_s": times[k] * per, "cpu_s": cpus[k] * per,
                  "load": os.getloadavg()[0], "extra_x_input": (hwm() - base) / (size / 2**20)}))
'''

CASES = [
    ("rolling_ab_w96", "adjusted boxplot, rolling window of 96 points, 10^6 values (5-min sensor data)",
     "< 2 s"),
    ("rolling_ab_w8640", "adjusted boxplot, rolling window of 8,640 points (30 days of 5-min data), "
                         "10^6 values", "report"),
    ("stl_1e6", "stl_residual (robust), 10^6 15-minute values", "< 3 s"),
    ("seed4_100x1e5", "four seed methods, 100 columns x 10^5 rows (a thread per core)", "< 2 s"),
    ("seed4_100x1e5_one_thread", "four seed methods, 100 columns x 10^5 rows, one column at a time",
     "report"),
    ("adjusted_boxplot_1e7", "adjusted_boxplot, one series of 10^7 (+ flag table)", "memory < 3x"),
]


def run_case(case: str, src: str | None) -> dict:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    out = subprocess.run([sys.executable, "-c", CHILD, case], capture_output=True, text=True, env=env,
                         cwd=Path(__file__).resolve().parents[1])
    if out.returncode:
        raise SystemExit(f"{case} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/kernel_costs.md"))
    ap.add_argument("--src", help="source tree to measure instead of the installed aquaflag "
                                  "(e.g. /tmp/before/src)")
    ap.add_argument("--only", nargs="*", help="case names to run (default: all)")
    ap.add_argument("--w8640-per-window", action="store_true",
                    help="time the w = 8640 case as one window's medcouple x 10^6 (for the O(w^2) "
                         "kernel before the change, where the whole case takes days)")
    args = ap.parse_args()
    rows = []
    for case, what, target in CASES:
        if args.only and case not in args.only:
            continue
        name = case
        if case == "rolling_ab_w8640" and args.w8640_per_window:
            name = "rolling_ab_w8640_per_window"
        r = run_case(name, args.src)
        note = " (one full window's medcouple x 10^6; memory: its w^2 work array)" if name != case else ""
        rows.append(f"| {what}{note} | {r['wall_s']:.2f} s | {r['cpu_s']:.2f} s | "
                    f"{r['extra_x_input']:.1f}x | {r['load']:.1f} | {target} |")
        print(rows[-1], flush=True)
    text = "\n".join([
        "# Kernel costs (issue 11, item 5)",
        "",
        f"Command: `python benchmarks/kernel_costs.py{' --src ' + args.src if args.src else ''}`  ",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.machine()}, "
        f"{os.cpu_count()} cores; Python {platform.python_version()}",
        "",
        "Wall: median of 3 calls after a warm-up on a short slice (one call for the long cases);",
        "CPU: process CPU seconds over the same call (all threads); memory: peak resident memory",
        "above the level before the calls, over the input's float64 size; load: the machine's",
        "1-minute load average when the case ended (2 cores: above 2, other jobs shared them).",
        "",
        "| case | wall | CPU | extra memory | load | target |",
        "|---|---:|---:|---:|---:|---|",
        *rows,
    ]) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()

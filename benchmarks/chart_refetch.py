"""Benchmark: re-fetching one chart of a 10⁶-point series over a zoom window.

What a review server does on every zoom (issue 9): :meth:`aquaflag.report.ChartData.column`
for one column over ``[start, end]`` at ``max_points`` points (MinMaxLTTB, every
flagged point kept), then ``json.dumps`` of the payload. Target: < 300 ms per
re-fetch on 10⁶ points.

The series: 1,000,000 one-minute values (daily and yearly cycles, noise,
rounded to 0.01 like a logger), 300 spikes, a two-day gap and 50 logger codes
7999; rules: gross_range (upper 40), modified_zscore, iqr. Windows: the whole
series, then random windows of 1/10, 1/100 and 1/1000 of it.

Run from the repository root::

    python benchmarks/chart_refetch.py             # writes benchmarks/results/chart_refetch.md
    python benchmarks/chart_refetch.py --rows 100000 --no-write
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import aquaflag
from aquaflag.report import ChartData, chart_payload
from machine import describe  # noqa: E402  (benchmarks/machine.py)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "chart_refetch.md"


def synthetic(rows: int, seed: int = 9) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(rows, dtype=np.float64)
    values = (15 + 6 * np.sin(2 * np.pi * t / (1440 * 365.25)) + 1.5 * np.sin(2 * np.pi * t / 1440)
              + rng.normal(0, 0.15, rows))
    spikes = rng.choice(rows, min(300, rows // 10), replace=False)
    values[spikes] += rng.choice([-1.0, 1.0], spikes.size) * rng.uniform(5, 12, spikes.size)
    codes = rng.choice(rows, min(50, rows // 100), replace=False)
    values[codes] = 7999.0
    start = int(rng.integers(0, max(rows - 3000, 1)))
    values[start:start + 2880] = np.nan
    index = pd.date_range("2020-01-01", periods=rows, freq="1min", name="time")
    return pd.DataFrame({"water_temp_C": np.round(values, 2)}, index=index)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--max-points", type=int, default=5000)
    ap.add_argument("--calls", type=int, default=20, help="re-fetches per window size")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    frame = synthetic(args.rows)
    res = aquaflag.evaluate(frame, [aquaflag.Rule("gross_range", {"upper": 40.0}),
                                    aquaflag.Rule("modified_zscore"), aquaflag.Rule("iqr")])
    col = "water_temp_C"
    x = frame.index
    rng = np.random.default_rng(1)

    t0 = time.perf_counter()
    first = chart_payload(res, col, max_points=args.max_points)
    t_cold = time.perf_counter() - t0  # includes importing tsdownsample, the axis, the flags
    t0 = time.perf_counter()
    charts = ChartData(res)
    charts.column(col, max_points=args.max_points)
    t_prepare = time.perf_counter() - t0

    rows = []
    for frac in (1.0, 0.1, 0.01, 0.001):
        times, sizes, shown = [], [], []
        for _ in range(args.calls):
            n = max(2, int(args.rows * frac))
            i0 = int(rng.integers(0, args.rows - n + 1))
            start, end = (None, None) if frac == 1.0 else (str(x[i0]), str(x[i0 + n - 1]))
            t0 = time.perf_counter()
            payload = charts.column(col, start=start, end=end, max_points=args.max_points)
            text = json.dumps(payload, allow_nan=False, separators=(",", ":"))
            times.append(time.perf_counter() - t0)
            sizes.append(len(text))
            shown.append(payload["ns"])
        rows.append((frac, times, sizes, shown))
    # without the kept state: the stateless function on every call
    stateless = []
    for _ in range(5):
        t0 = time.perf_counter()
        json.dumps(chart_payload(res, col, start=str(x[args.rows // 3]), end=str(x[args.rows // 3 * 2]),
                                 max_points=args.max_points), allow_nan=False)
        stateless.append(time.perf_counter() - t0)

    import tsdownsample

    cmd = "python benchmarks/chart_refetch.py" + ("" if not (argv or sys.argv[1:])
                                                   else " " + " ".join(argv or sys.argv[1:]))
    lines = [
        "# Chart re-fetch: one column of a 10⁶-point series over a zoom window",
        "",
        f"- command: `{cmd}` (from the repository root)",
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {describe()} (shared with other jobs)",
        f"- versions: aquaflag {aquaflag.__version__}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"tsdownsample {tsdownsample.__version__}",
        f"- data: {args.rows:,} one-minute values, 300 spikes, 50 logger codes 7999, a 2-day gap; "
        f"rules gross_range, modified_zscore, iqr; {first['nf']:,} flagged values; "
        f"max_points={args.max_points}",
        f"- first `chart_payload` call (imports tsdownsample, builds the axis and flag codes): {t_cold * 1000:.0f} ms; "
        f"a new `ChartData` and its first column: {t_prepare * 1000:.0f} ms",
        f"- the stateless `chart_payload(result, column, start=, end=)` on every call (1/3 of the series): "
        f"median {statistics.median(stateless) * 1000:.0f} ms, max {max(stateless) * 1000:.0f} ms",
        "",
        f"Re-fetch with a kept `ChartData` (`.column(...)` + `json.dumps`), {args.calls} random windows each:",
        "",
        "| window | rows in it | points sent (median) | JSON (median) | median | max |",
        "|---|---|---|---|---|---|",
    ]
    for frac, times, sizes, shown in rows:
        lines.append(f"| {'whole series' if frac == 1.0 else f'1/{round(1 / frac):,}'} | "
                     f"{int(args.rows * frac):,} | {int(statistics.median(shown)):,} | "
                     f"{statistics.median(sizes) / 1024:.0f} KiB | {statistics.median(times) * 1000:.0f} ms | "
                     f"{max(times) * 1000:.0f} ms |")
    worst = max(max(t) for _, t, _, _ in rows)
    lines += ["", f"Target < 300 ms per re-fetch: {'met' if worst < 0.3 else 'NOT met'} "
              f"(worst {worst * 1000:.0f} ms).", ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text, encoding="utf-8")
        print(f"written to {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

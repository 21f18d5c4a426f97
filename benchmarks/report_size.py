"""Benchmark: size, write time and browser load time of the HTML report on long series.

12 columns x 1,000,000 one-minute rows of synthetic sensor data (diurnal and
seasonal cycles, noise, rounded to 0.01 like a logger, 300 injected spikes and
one logger gap per column), flagged with two rules (modified_zscore and iqr);
then :func:`aquaflag.report.write_report` is timed, the page's size and the
per-chart point count are recorded, and, when headless Chromium and Selenium
are installed, the time the page takes to load and draw every chart.

Run from the repository root::

    python benchmarks/report_size.py                  # writes benchmarks/results/report_size.md
    python benchmarks/report_size.py --rows 100000 --no-write

The results file records the command, the machine (nproc, CPU model), the
date and the package versions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import aquaflag
from aquaflag import report
from machine import describe  # noqa: E402  (benchmarks/machine.py)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "report_size.md"
DATA_RE = re.compile(r'<script type="application/json" id="aquaflag-data">(.*?)</script>', re.DOTALL)


def synthetic(rows: int, columns: int, seed: int = 12) -> pd.DataFrame:
    """``columns`` one-minute series of ``rows`` values with spikes and one gap each."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2020-01-01", periods=rows, freq="1min", name="time")
    t = np.arange(rows, dtype=np.float64)
    day = 2 * np.pi * t / 1440.0
    year = 2 * np.pi * t / (1440.0 * 365.25)
    data = {}
    names = ["temp", "ph", "do", "cond", "turb", "chl"]
    for k in range(columns):
        base = 10 + 2 * k
        values = base + 0.3 * base * np.sin(year) + 0.05 * base * np.sin(day + k) \
            + rng.normal(0, 0.02 * base, rows)
        spikes = rng.choice(rows, min(300, rows // 10), replace=False)
        values[spikes] += rng.choice([-1.0, 1.0], spikes.size) * rng.uniform(0.8, 2.0, spikes.size) * base
        start = int(rng.integers(0, max(rows - 3000, 1)))
        values[start:start + 2880] = np.nan  # a two-day logger gap
        data[f"{names[k % len(names)]}({k // len(names) + 1})"] = np.round(values, 2)
    return pd.DataFrame(data, index=index)


def versions() -> str:
    import plotly
    import tsdownsample

    return (f"aquaflag {aquaflag.__version__}, numpy {np.__version__}, pandas {pd.__version__}, "
            f"plotly {plotly.__version__} (plotly.js embedded), tsdownsample {tsdownsample.__version__}")


def browser_load(path: Path, repeats: int) -> tuple[list[float], list[str]] | None:
    """Seconds until every chart of the page is drawn in headless Chromium (None if unavailable)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not (chromium and driver_path):
        return None
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        return None
    os.environ.setdefault("SE_OFFLINE", "true")
    times: list[float] = []
    errs: list[str] = []
    for _ in range(repeats):  # a fresh browser each time: a cold load
        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", f"--user-data-dir={tempfile.mkdtemp(prefix='aquaflag-bench-')}",
                    "--window-size=1280,1000"):
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=opts)
        try:
            driver.set_page_load_timeout(300)
            start = time.perf_counter()
            driver.get(path.resolve().as_uri())
            state = None
            while time.perf_counter() - start < 300:
                state = driver.execute_script("return document.body.getAttribute('data-rendered')")
                if state:
                    break
                time.sleep(0.02)
            times.append(time.perf_counter() - start)
            if state != "true":
                errs.append(f"state {state!r}")
            errs += [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        finally:
            driver.quit()
    return times, errs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--columns", type=int, default=12)
    ap.add_argument("--max-points", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=3, help="timed write_report calls")
    ap.add_argument("--browser-repeats", type=int, default=2)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--no-write", action="store_true", help="print only; do not write the results file")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    frame = synthetic(args.rows, args.columns)
    t_data = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = aquaflag.detect(frame, method=["modified_zscore", "iqr"])
    t_detect = time.perf_counter() - t0

    out_dir = Path(tempfile.mkdtemp(prefix="aquaflag-report-"))
    path = out_dir / "report.html"
    write_times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        report.write_report(res, path, max_points=args.max_points)
        write_times.append(time.perf_counter() - t0)
    text = path.read_text(encoding="utf-8")
    size = path.stat().st_size
    payload = json.loads(DATA_RE.search(text).group(1))
    data_bytes = len(DATA_RE.search(text).group(1).encode("utf-8"))
    plotly_bytes = len(report._cached_plotly_js().encode("utf-8"))
    shown = [c["ns"] for c in payload["columns"]]
    flagged = [c["nf"] for c in payload["columns"]]
    table_rows = len(payload["table"]["rows"])
    load = None if args.no_browser else browser_load(path, args.browser_repeats)

    cmd = "python benchmarks/report_size.py" + ("" if argv is None and len(sys.argv) == 1
                                                 else " " + " ".join(argv if argv is not None else sys.argv[1:]))
    lines = [
        "# HTML report: size, write time and load time on long series",
        "",
        f"- command: `{cmd}` (from the repository root)",
        f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- machine: {describe()}",
        f"- versions: {versions()}",
        f"- data: {args.columns} columns x {args.rows:,} one-minute rows (synthetic: cycles, noise, "
        "values rounded to 0.01, 300 spikes and a 2-day gap per column); "
        "rules: modified_zscore, iqr (defaults)",
        f"- generating the data: {t_data:.2f} s; `aquaflag.detect`: {t_detect:.2f} s",
        "",
        "| measure | value |",
        "|---|---|",
        f"| `write_report` wall time (max_points={args.max_points}), best of {args.repeats} | "
        f"{min(write_times):.2f} s (all: {', '.join(f'{t:.2f}' for t in write_times)} s) |",
        f"| file size | {size / 2**20:.2f} MiB ({size:,} bytes) |",
        f"| of which plotly.js (embedded once) | {plotly_bytes / 2**20:.2f} MiB |",
        f"| of which the embedded data (JSON) | {data_bytes / 2**20:.2f} MiB |",
        f"| points per chart (shown / non-missing) | min {min(shown):,}, median "
        f"{int(statistics.median(shown)):,}, max {max(shown):,} of {payload['columns'][0]['nv']:,} |",
        f"| flagged points per chart (all kept) | min {min(flagged):,}, max {max(flagged):,} |",
        f"| rows in the flagged-values table | {table_rows:,} (of {payload['table']['total']:,} flags) |",
    ]
    if load is None:
        lines.append("| page load in headless Chromium | not measured (chromium, chromedriver or selenium missing) |")
    else:
        times, errs = load
        lines.append(f"| page load until every chart is drawn, headless Chromium, cold start | "
                     f"{min(times):.2f} s best of {len(times)} (all: {', '.join(f'{t:.2f}' for t in times)} s); "
                     f"JavaScript errors: {len(errs)} |")
    lines += [
        "",
        "Every chart is downsampled with MinMaxLTTB to about `max_points` points, plus every "
        "flagged point and the first and last value; the page states it under each chart. "
        "The file size is dominated by plotly.js (embedded once, shared by all charts). "
        "The load time includes Chromium parsing plotly.js and drawing "
        f"{args.columns + 2} plotly figures (the column charts, the monthly heat map and the "
        "method comparison) one after the other, in software rendering (`--disable-gpu`).",
        "",
    ]
    text_out = "\n".join(lines)
    print(text_out)
    if load is not None and load[1]:
        print("browser errors:", load[1][:5], file=sys.stderr)
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(text_out, encoding="utf-8")
        print(f"written to {RESULTS}", file=sys.stderr)
    shutil.rmtree(out_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Speed and scale: aquaflag side by side with the tools users would pick instead.

Run from the repository root (one command; the full run takes ~15 minutes,
``--quick`` under 2 minutes)::

    python benchmarks/speed/run.py [--quick] [--out benchmarks/results/speed.md]

It times, in the same run and on the same seeded synthetic input:

1. the seed notebook's pandas expressions for the four rules (Z-score,
   modified Z-score, Tukey quartiles, adjusted boxplot with statsmodels'
   exact medcouple, and with its fast approximate one) vs
   ``aquaflag.detect(series, method=...)``;
2. ``statsmodels.stats.stattools.medcouple`` (exact and fast) vs
   ``aquaflag.stats.medcouple`` for n = 10^3 ... 10^7;
3. SaQC's ``flagZScore`` (whole series and rolling, standard and modified),
   ``flagRange``, ``flagConstants`` (and ``flagByStray``, which has no
   aquaflag equivalent) vs the aquaflag equivalents;
4. the ``hampel`` package vs aquaflag's rolling median/MAD;
5. pandas' rolling median and rolling-apply MAD (and bottleneck's
   ``move_median``) vs ``aquaflag.rolling.rolling_robust``;
6. a 100-column x 10^5-row frame: ``aquaflag.detect(frame, method="all")``
   vs the seed's per-column loop;

plus aquaflag's scaling curve (time vs n with the fitted log-log slope, table
and ``scaling.png`` beside the output file), peak memory of every case, the
numba compile cost of ``rolling_robust`` and the cold start of the CLI on the
small real file (read in place, never copied).

Every measured case runs in a fresh child process (``speed_harness.py`` says how
time and memory are measured); the tables go to ``--out`` (markdown).
Optional tools that are not installed (saqc, hampel, bottleneck) are
reported as such: ``pip install saqc hampel bottleneck``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import speed_cases as cases  # noqa: E402
import speed_harness as harness  # noqa: E402

ROOT = HERE.parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "speed.md"
#: The small real file of the CLI cold start (read in place, never copied): shared/ beside
#: the clone (as CI lays it out), else the workplace's copy.
REAL_FILE = next((p for p in (ROOT.parent / "shared" / "data" / "daecheong" / "Data.csv",
                              Path("/work/shared/data/daecheong/Data.csv")) if p.exists()),
                 Path("/work/shared/data/daecheong/Data.csv"))

SEED_METHODS = ("zscore", "modified_zscore", "iqr", "adjusted_boxplot")
#: Tools whose absence is reported rather than fatal.
OPTIONAL = {"saqc": "saqc", "hampel": "hampel", "bottleneck": "bottleneck"}


class Plan:
    """Sizes and limits of one mode."""

    def __init__(self, quick: bool):
        self.quick = quick
        if quick:
            self.sizes = [1_000, 10_000]
            self.sm_exact_sizes = [1_000, 2_000, 5_000]
            self.sm_fast_sizes = [1_000, 10_000]
            self.seed_fast_sizes = [1_000, 10_000]
            self.apply_sizes = [1_000, 10_000]
            self.saqc_sizes = [1_000, 10_000]
            self.stray_sizes = [1_000]
            self.frame = (10_000, 10)
            self.frame_fast_cols = 2
            self.af_limit = self.other_limit = 20.0
            self.compile_n = 100_000
        else:
            self.sizes = [1_000, 10_000, 100_000, 1_000_000, 10_000_000]
            self.sm_exact_sizes = [1_000, 2_000, 5_000, 10_000, 20_000]
            self.sm_fast_sizes = self.sizes
            self.seed_fast_sizes = [1_000, 10_000, 100_000]
            self.apply_sizes = [1_000, 10_000, 100_000]
            self.saqc_sizes = [1_000, 10_000, 100_000, 1_000_000]
            self.stray_sizes = [1_000, 10_000]
            self.frame = (100_000, 100)
            self.frame_fast_cols = 3
            #: aquaflag: 10^7 only where one call is predicted < 60 s.
            self.af_limit = 60.0
            #: other tools: run a size only where one call is predicted < 120 s.
            self.other_limit = 120.0
            self.compile_n = 1_000_000


def series_specs(plan: Plan, available: dict[str, bool], registered: list[str]) -> list[dict]:
    """Every measured series: a name, the case builder, its options and sizes."""
    S = plan.sizes
    specs: list[dict] = []

    def add(name, kind, sizes, family, limit=None, label=None, **opts):
        specs.append({"name": name, "kind": kind, "opts": opts, "sizes": list(sizes),
                      "label": label or name,
                      "family": family, "limit": limit or (plan.af_limit if family == "aquaflag"
                                                           else plan.other_limit)})

    # aquaflag: the scaling curve (and the aquaflag side of every comparison)
    for m in SEED_METHODS:
        extra = [20_000] if m == "adjusted_boxplot" and 20_000 in plan.sm_exact_sizes else []
        add(f"af:{m}", "af_detect", sorted(set(S + extra)), "aquaflag", label=f"detect {m}", method=m)
    add("af:medcouple", "af_medcouple",
        sorted(set(S + [n for n in plan.sm_exact_sizes if n not in S])), "aquaflag",
        label="stats.medcouple")
    add("af:rolling_robust", "af_rolling_robust", S, "aquaflag", label="rolling_robust (w = 96)")
    for m in SEED_METHODS:
        add(f"afw:{m}", "af_detect_w", S, "aquaflag", label=f"detect {m}, window = 96", method=m)
    # every other registered method (sensor, ESD, seasonal, ... added by other modules)
    for m in registered:
        if m not in SEED_METHODS:
            add(f"af:{m}", "af_detect_other", S, "aquaflag", label=f"detect {m}" + (
                f" ({', '.join(f'{k}={v}' for k, v in cases.sensor_params(m).items())})"
                if m in cases.SENSOR_CANDIDATES and cases.sensor_params(m) else " (defaults)"),
                method=m)
    # 1. the seed notebook
    for m in ("zscore", "modified_zscore", "iqr"):
        add(f"seed:{m}", "seed_rule", S, "seed", method=m)
    add("seed:adjusted_boxplot/sm_exact", "seed_rule",
        [n for n in plan.sm_exact_sizes if n in S or n == 20_000], "seed",
        method="adjusted_boxplot", mc="sm_exact")
    add("seed:adjusted_boxplot/sm_fast", "seed_rule", plan.seed_fast_sizes, "seed",
        method="adjusted_boxplot", mc="sm_fast")
    # 2. statsmodels' medcouple
    add("sm:medcouple_exact", "sm_medcouple", plan.sm_exact_sizes, "seed", fast=False)
    add("sm:medcouple_fast", "sm_medcouple", plan.sm_fast_sizes, "seed", fast=True)
    # 3. SaQC
    if available["saqc"]:
        k = 3.5 / 0.6745  # saqc's modified Z has no 0.6745 factor: same rule as the seed's 3.5
        add("saqc:flagZScore", "saqc", plan.saqc_sizes, "saqc", func="flagZScore", thresh=3.0)
        add("saqc:flagZScore(window=96)", "saqc", plan.saqc_sizes, "saqc", func="flagZScore",
            window=96, thresh=3.0, min_periods=3)
        add("saqc:flagZScore(modified)", "saqc", plan.saqc_sizes, "saqc", func="flagZScore",
            method="modified", thresh=k)
        add("saqc:flagZScore(modified, window=96)", "saqc", plan.saqc_sizes, "saqc",
            func="flagZScore", method="modified", window=96, thresh=k, min_periods=3)
        add("saqc:flagRange", "saqc", plan.saqc_sizes, "saqc", func="flagRange", min=8.0, max=15.0)
        add("saqc:flagConstants", "saqc", plan.saqc_sizes, "saqc", func="flagConstants",
            window=10, thresh=0.0)
        add("saqc:flagByStray", "saqc", plan.stray_sizes, "saqc", func="flagByStray")
    # 4. hampel package
    if available["hampel"]:
        add("hampel:hampel", "hampel_pkg", S, "other")
    # 5. pandas rolling, bottleneck
    add("pd:rolling_median", "pandas_rolling", S, "other", mad=False)
    add("pd:rolling_median+apply_mad", "pandas_rolling", plan.apply_sizes, "other", mad=True)
    if available["bottleneck"]:
        add("bn:move_median", "bottleneck", S, "other")
    # 6. frames
    rows, cols = plan.frame
    add("frame:aquaflag_all", "af_frame_all", [rows], "frame", cols=cols)
    add("frame:aquaflag_all_per_column", "af_frame_all", [rows], "frame", cols=cols,
        per_column=True)
    add("frame:aquaflag_3rules", "af_frame_all", [rows], "frame", cols=cols,
        methods="zscore,modified_zscore,iqr")
    add("frame:seed_3rules", "seed_frame", [rows], "frame", cols=cols,
        rules="zscore,modified_zscore,iqr")
    add("frame:seed_adjusted_sm_fast", "seed_frame", [rows], "frame", cols=plan.frame_fast_cols,
        rules="adjusted_boxplot", mc="sm_fast", limit=plan.other_limit * 2)
    add("frame:seed_4rules_aquaflag_mc", "seed_frame", [rows], "frame", cols=cols,
        rules="zscore,modified_zscore,iqr,adjusted_boxplot", mc="aquaflag")
    return specs


def predict(prev: list[tuple[int, float]], n: int) -> float | None:
    """One call's time at n, extrapolated from the largest measured sizes (slope >= 1)."""
    if not prev:
        return None
    (n1, t1) = prev[-1]
    slope = 1.0
    if len(prev) >= 2:
        (n0, t0) = prev[-2]
        if t0 > 0 and t1 > 0 and n1 > n0:
            slope = max(1.0, math.log(t1 / t0) / math.log(n1 / n0))
    return t1 * (n / n1) ** slope


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def execute(specs: list[dict], plan: Plan) -> dict:
    """Run every series; returns {name: {"spec": ..., "runs": {n: record}}}."""
    results = {s["name"]: {"spec": s, "runs": {}} for s in specs}
    if plan.quick:
        # quick: one child per family (memory figures then approximate; tiny sizes anyway)
        families: dict[str, list[dict]] = {}
        for s in specs:
            for n in s["sizes"]:
                families.setdefault(s["family"], []).append(
                    {"kind": s["kind"], "n": n, "opts": s["opts"], "name": s["name"]})
        for fam, jobs in families.items():
            log(f"quick: {fam} ({len(jobs)} cases)")
            for rec in harness.run_jobs(jobs, timeout=90):
                results[rec["job"]["name"]]["runs"][rec["job"]["n"]] = rec
        return results
    for s in specs:
        prev: list[tuple[int, float]] = []
        for n in s["sizes"]:
            est = predict(prev, n)
            if est is not None and est > s["limit"]:
                results[s["name"]]["runs"][n] = {"status": "skipped", "estimate": est,
                                                 "error": f"predicted {est:.0f} s > {s['limit']:.0f} s"}
                log(f"{s['name']} n={n:.0e}: skipped (predicted {est:.0f} s)")
                continue
            timeout = min(900.0, 120.0 + 5 * (est or 10.0))
            job = {"kind": s["kind"], "n": n, "opts": s["opts"], "name": s["name"]}
            t0 = time.perf_counter()
            rec = harness.run_jobs([job], timeout=timeout)[0]
            results[s["name"]]["runs"][n] = rec
            if rec["status"] == "ok":
                # steady-state time (the first call may load numba: not a size effect)
                prev.append((n, rec["median"]))
                log(f"{s['name']} n={n:.0e}: {rec['median']:.4g} s ({rec['policy']}), "
                    f"+{(rec['extra_rss'] or 0) / 2**20:.0f} MB [{time.perf_counter() - t0:.0f} s wall]")
            else:
                log(f"{s['name']} n={n:.0e}: {rec['status']}: {rec.get('error')}")
    return results


# ----------------------------------------------------------------------------- one-off measurements

COMPILE_CODE = r"""
import json, os, sys, time
t0 = time.perf_counter()
import numpy as np
from aquaflag.rolling import rolling_robust, window_bounds
t_import = time.perf_counter() - t0
sys.path.insert(0, {here!r})
import speed_cases as cases
x = cases.make_values({n})
b = window_bounds(x.size, cases.WINDOW)
t = time.perf_counter(); rolling_robust(x, *b); first = time.perf_counter() - t
t = time.perf_counter(); rolling_robust(x, *b); second = time.perf_counter() - t
t = time.perf_counter(); rolling_robust(x, *b); third = time.perf_counter() - t
from aquaflag.stats import medcouple
t = time.perf_counter(); medcouple(x); mc_first = time.perf_counter() - t
t = time.perf_counter(); medcouple(x); mc_second = time.perf_counter() - t
t = time.perf_counter(); medcouple(x); mc_third = time.perf_counter() - t
print({mark!r} + json.dumps({{"status": "ok", "import": t_import, "first": first,
                               "second": second, "third": third, "mc_first": mc_first,
                               "mc_second": mc_second, "mc_third": mc_third}}))
"""

PROFILE_CODE = r"""
import cProfile, json, pstats, sys, io
sys.path.insert(0, {here!r})
import speed_cases as cases, aquaflag
from aquaflag.stats import medcouple
target = {target!r}
if target == "frame":
    # one column at a time: the same per-series work, serial, so that cProfile (which only
    # sees the calling thread) sees all of it even when the engine spreads series on threads
    df = cases.make_frame({rows}, {cols})
    aquaflag.detect(df.iloc[:100_000, :2], method="all")
    call = lambda: [aquaflag.detect(df[[c]], method="all") for c in df.columns]
else:
    x = cases.make_values({rows})
    medcouple(x[:100_000])
    call = lambda: medcouple(x)
pr = cProfile.Profile()
pr.enable(); call(); pr.disable()
st = pstats.Stats(pr)
total = st.total_tt
rows = []
for (file, line, func), (cc, nc, tt, ct, callers) in st.stats.items():
    short = file.split("/src/")[-1] if "/src/aquaflag/" in file else file.rsplit("/", 1)[-1]
    rows.append({{"func": f"{{short}}:{{line}}({{func}})", "ncalls": nc, "tottime": tt, "cumtime": ct}})
by_tot = sorted(rows, key=lambda r: -r["tottime"])[:10]
by_cum = sorted([r for r in rows if "aquaflag/" in r["func"]], key=lambda r: -r["cumtime"])[:12]
print({mark!r} + json.dumps({{"status": "ok", "total": total, "by_tottime": by_tot, "by_cumtime": by_cum}}))
"""

IMPORT_CODE = r"""
import json, sys, time
t = time.perf_counter()
import aquaflag
dt = time.perf_counter() - t
print({mark!r} + json.dumps({{"status": "ok", "import": dt, "numba": "numba" in sys.modules,
                               "matplotlib": "matplotlib" in sys.modules}}))
"""


def numba_compile(plan: Plan) -> dict:
    out = {"n": plan.compile_n}
    code = COMPILE_CODE.format(here=str(HERE), n=plan.compile_n, mark=harness.MARK)
    log("numba: first vs second call, cache as installed")
    out["cached"] = harness.run_script(code, timeout=300)
    with tempfile.TemporaryDirectory(prefix="aquaflag-numba-") as tmp:
        env = harness.child_env()
        env["NUMBA_CACHE_DIR"] = tmp
        log("numba: first vs second call, empty NUMBA_CACHE_DIR (cold compile)")
        out["cold"] = harness.run_script(code, timeout=300, env=env)
    return out


def cli_cold_start() -> dict:
    out: dict = {"file": str(REAL_FILE), "runs": [], "imports": []}
    for _ in range(2):
        out["imports"].append(harness.run_script(IMPORT_CODE.format(mark=harness.MARK), timeout=120))
    if not REAL_FILE.exists():
        out["error"] = f"{REAL_FILE} not found"
        return out
    exe = Path(sys.executable).parent / "aquaflag"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "aquaflag"]
    out["command"] = " ".join([Path(cmd[0]).name if exe.exists() else "python -m aquaflag",
                               "detect", str(REAL_FILE), "--no-plots", "-q", "--out", "<tmp>"])
    for i in range(2):
        with tempfile.TemporaryDirectory(prefix="aquaflag-cli-") as tmp:
            log(f"CLI cold start, run {i + 1}")
            t = time.perf_counter()
            proc = subprocess.run(cmd + ["detect", str(REAL_FILE), "--no-plots", "-q", "--out",
                                         str(Path(tmp) / "x")], capture_output=True, text=True,
                                  timeout=300)
            out["runs"].append({"seconds": time.perf_counter() - t, "rc": proc.returncode,
                                "stderr": proc.stderr.strip()[-300:]})
    return out


def profile(target: str, rows: int, cols: int = 0) -> dict:
    log(f"cProfile: {target}")
    code = PROFILE_CODE.format(here=str(HERE), target=target, rows=rows, cols=cols,
                               mark=harness.MARK)
    return harness.run_script(code, timeout=600)


# ----------------------------------------------------------------------------- environment

#: The modules on the measured code paths (edits elsewhere, e.g. plotting, don't move timings).
MEASURED_SOURCES = ("engine.py", "stats.py", "rolling.py", "_numba_kernels.py", "detection.py",
                    "registry.py", "result.py", "methods/*.py")


def source_fingerprint() -> dict[str, str]:
    """sha1 (12 hex) of each aquaflag module on the measured paths: others edit the
    package while benchmarks run, and the report says so when it happened."""
    import hashlib

    import aquaflag

    root = Path(aquaflag.__file__).resolve().parent
    out = {}
    for pattern in MEASURED_SOURCES:
        for f in sorted(root.glob(pattern)):
            out[str(f.relative_to(root))] = hashlib.sha1(f.read_bytes()).hexdigest()[:12]
    return out


def machine_info(argv: list[str]) -> dict:
    import numpy
    import pandas

    info = {
        "date": _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "nproc": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": "unknown",
        "ram_gib": None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "command": " ".join(["/work/venv/bin/python" if sys.executable.startswith("/work/venv")
                             else Path(sys.executable).name,
                             "benchmarks/speed/run.py", *argv]),
        "versions": {"numpy": numpy.__version__, "pandas": pandas.__version__},
        "openblas_env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
                         if k in os.environ},
        "load_start": os.getloadavg(),
        "source_start": source_fingerprint(),
    }
    try:
        info["nproc"] = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout)
    except (OSError, ValueError):
        pass
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                info["ram_gib"] = int(line.split()[1]) / 2**20
                break
    except OSError:
        pass
    for mod in ("aquaflag", "numba", "scipy", "statsmodels", "saqc", "hampel", "bottleneck",
                "matplotlib"):
        try:
            m = __import__(mod)
            info["versions"][mod] = getattr(m, "__version__", "?")
        except Exception:  # noqa: BLE001 - absent optional tool
            info["versions"][mod] = None
    if info["versions"].get("hampel") == "?":
        try:
            from importlib.metadata import version

            info["versions"]["hampel"] = version("hampel")
        except Exception:  # noqa: BLE001
            pass
    return info


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        return harness.child_main(argv[1])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only (< 2 minutes)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="markdown file to write")
    ap.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    ap.add_argument("--render", type=Path, default=None, metavar="JSON",
                    help="re-render --out from a --json file of an earlier run (no measuring)")
    args = ap.parse_args(argv)
    if args.render:
        import speed_report as report

        raw = json.loads(args.render.read_text())
        results = {k: {"spec": v["spec"], "runs": {int(n): r for n, r in v["runs"].items()}}
                   for k, v in raw["results"].items()}
        info = raw["info"]
        plan = Plan(info["quick"])
        args.out.parent.mkdir(parents=True, exist_ok=True)
        png = args.out.parent / "scaling.png"
        args.out.write_text(report.render(results, raw["extras"], info, plan, png), encoding="utf-8")
        log(f"re-rendered {args.out} and {png} from {args.render}")
        return 0

    import aquaflag

    import speed_report as report

    t_start = time.perf_counter()
    plan = Plan(args.quick)
    info = machine_info(argv)
    available = {k: info["versions"].get(k) is not None for k in OPTIONAL}
    registered = list(aquaflag.method_names())
    specs = series_specs(plan, available, registered)
    log(f"{'quick' if plan.quick else 'full'} run: {len(specs)} series; methods registered: "
        f"{', '.join(registered)}")
    results = execute(specs, plan)
    extras = {"compile": numba_compile(plan), "cli": cli_cold_start(), "profiles": {}}
    frame = results["frame:aquaflag_all"]["runs"].get(plan.frame[0], {})
    serial = results["frame:aquaflag_all_per_column"]["runs"].get(plan.frame[0], {})
    # missed, or met only thanks to threads (one core would miss it): name the hot spot
    if any(r.get("status") == "ok" and r["median"] > 2.0 for r in (frame, serial)):
        extras["profiles"]["frame"] = profile("frame", *plan.frame)
    mc = results["af:medcouple"]["runs"].get(1_000_000, {})
    if mc.get("status") == "ok" and mc["median"] > 0.5:
        extras["profiles"]["medcouple"] = profile("medcouple", 1_000_000)
    info["load_end"] = os.getloadavg()
    info["source_end"] = source_fingerprint()
    info["wall_s"] = time.perf_counter() - t_start
    info["registered"] = registered
    info["available"] = available
    info["quick"] = plan.quick
    args.out.parent.mkdir(parents=True, exist_ok=True)
    png = args.out.parent / "scaling.png"
    text = report.render(results, extras, info, plan, png)
    args.out.write_text(text, encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({"results": results, "extras": extras, "info": info},
                                        indent=1, default=str))
    log(f"wrote {args.out} and {png} in {info['wall_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

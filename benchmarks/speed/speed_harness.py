"""Timing and memory measurement, each case in a child process.

Timing: ``time.perf_counter`` around the call. Policy (after a warm-up call
on a slice of at most 100 000 points, which loads lazy imports and numba
kernels):

* the first full-size call takes <= 3 s: it is a warm-up too, and the
  median of at least 3 further calls is reported (more, up to 7, while they
  add up to less than 0.5 s, to steady the smallest cases);
* 3 s to 30 s: the median of 3 calls, the first included;
* over 30 s: the single call (marked "1 run").

Memory: peak RSS of the child while the case runs, minus its RSS just
before (after imports, input creation, the warm-up and ``malloc_trim(0)``,
which returns the heap memory freed while making the input, so the case
cannot reuse it unseen). The kernel's
high-water mark of the process is reset before the case
(``/proc/self/clear_refs`` = 5) and read back as ``VmHWM`` from
``/proc/self/status``. Not ``ru_maxrss``: on Linux a child's ``ru_maxrss``
(``RUSAGE_SELF`` in the child or ``RUSAGE_CHILDREN`` in the parent) also
counts the parent's RSS at fork/exec time (~250 MB here, the orchestrator
with pandas and aquaflag loaded), and ``RUSAGE_CHILDREN`` is the maximum
over all children, not one per case. tracemalloc would miss numba's
allocations. ``ru_maxrss`` is still recorded, for reference.
"""

from __future__ import annotations

import gc
import json
import os
import re
import resource
import subprocess
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
MARK = "@@RESULT@@ "
WARM_LIMIT = 3.0
SINGLE_LIMIT = 30.0


def rss_now() -> int:
    with open("/proc/self/status") as fh:
        m = re.search(r"VmRSS:\s+(\d+) kB", fh.read())
    return int(m.group(1)) * 1024 if m else 0


def trim_heap() -> bool:
    """Give freed heap memory back to the OS (glibc ``malloc_trim``), so that memory freed
    while the input was made is not silently reused by the case (which would hide its
    allocations from the RSS measurement)."""
    try:
        import ctypes

        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0) or True)
    except (OSError, AttributeError):
        return False


def reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_rss() -> int:
    """The process's peak RSS (VmHWM) in bytes; ru_maxrss where /proc is missing."""
    try:
        with open("/proc/self/status") as fh:
            m = re.search(r"VmHWM:\s+(\d+) kB", fh.read())
        if m:
            return int(m.group(1)) * 1024
    except OSError:
        pass
    return ru_maxrss()


def ru_maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(job: dict) -> dict:
    """Build the case and time it; return a JSON-able record."""
    import speed_cases as cases

    t0 = time.perf_counter()
    case = cases.build(job["kind"], int(job["n"]), **job.get("opts", {}))
    if case.warm is not None:
        case.warm()
    setup_s = time.perf_counter() - t0
    gc.collect()
    trimmed = trim_heap()
    base = rss_now()
    hwm_reset = reset_peak()
    times = []
    t = time.perf_counter()
    out = case.call()
    first = time.perf_counter() - t
    summary = case.summary(out)
    del out
    if first > SINGLE_LIMIT:
        times, policy = [first], "1 run"
    elif first > WARM_LIMIT:
        times, policy = [first], "3 runs"
        for _ in range(2):
            gc.collect()
            t = time.perf_counter()
            out = case.call()
            times.append(time.perf_counter() - t)
            del out
    else:
        policy = "warm-up + median"
        while len(times) < 3 or (sum(times) < 0.5 and len(times) < 7):
            gc.collect()
            t = time.perf_counter()
            out = case.call()
            times.append(time.perf_counter() - t)
            del out
        policy = f"warm-up + {len(times)} runs"
    peak = peak_rss()
    times_sorted = sorted(times)
    return {
        "status": "ok",
        "median": times_sorted[len(times) // 2] if len(times) % 2 else
        0.5 * (times_sorted[len(times) // 2 - 1] + times_sorted[len(times) // 2]),
        "times": times,
        "first": first,
        "policy": policy,
        "base_rss": base,
        "peak_rss": peak,
        "extra_rss": max(0, peak - base) if hwm_reset else None,
        "ru_maxrss": ru_maxrss(),
        "hwm_reset": hwm_reset,
        "heap_trimmed": trimmed,
        "input_bytes": case.input_bytes,
        "setup_s": setup_s,
        "summary": summary,
        "info": case.info,
    }


def child_main(jobs_json: str) -> int:
    """Run the jobs given as JSON, one result line each on stdout."""
    sys.path.insert(0, str(HERE))
    for job in json.loads(jobs_json):
        try:
            rec = measure(job)
        except MemoryError:
            rec = {"status": "error", "error": "MemoryError"}
        except Exception as exc:  # noqa: BLE001 - recorded in the report
            rec = {"status": "error", "error": f"{type(exc).__name__}: {exc}",
                   "traceback": traceback.format_exc(limit=3)}
        rec["job"] = job
        print(MARK + json.dumps(rec), flush=True)
        gc.collect()
    return 0


def run_jobs(jobs: list[dict], timeout: float, env: dict | None = None) -> list[dict]:
    """Run ``jobs`` in one fresh child process; a job not reported in time is a timeout."""
    cmd = [sys.executable, str(HERE / "run.py"), "--child", json.dumps(jobs)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=env or child_env())
        stdout, stderr, rc = proc.stdout, proc.stderr, proc.returncode
        timed_out = False
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        rc, timed_out = None, True
    got = [json.loads(line[len(MARK):]) for line in stdout.splitlines() if line.startswith(MARK)]
    for job in jobs[len(got):]:
        if timed_out:
            got.append({"status": "timeout", "error": f"no result within {timeout:.0f} s", "job": job})
        else:
            tail = stderr.strip().splitlines()[-1:] or [f"exit code {rc}"]
            got.append({"status": "error", "error": f"child died (exit {rc}): {tail[0]}", "job": job})
    return got


def child_env() -> dict:
    env = dict(os.environ)
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


def run_script(code: str, timeout: float, env: dict | None = None) -> dict:
    """Run a snippet in a fresh interpreter; it prints one JSON line prefixed by MARK."""
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=timeout, env=env or child_env())
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "error": f"no result within {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            return json.loads(line[len(MARK):])
    tail = proc.stderr.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
    return {"status": "error", "error": tail[0]}

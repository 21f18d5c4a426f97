"""A national network out of core: a partitioned dataset judged part by part, flags written as made.

``aquaflag run -c qc.toml DATASET/ --stream --out qc/`` calls :func:`run_streamed`:
a partitioned Parquet dataset (``station=.../part-*.parquet``, long or wide) is
read one top-level partition at a time (:func:`aquaflag.io.read_parts`, the
same reader pipeline as everything else), each part is judged by the engine,
and its flags and provenance are written at once, atomically, as Parquet parts:

==========================  ==============================================================
``flags/<part>.parquet``    long: ``time, station, parameter, value, flag`` for every value
``provenance/<part>.parquet``  which rule flagged which value (only the flagged values)
``summary.csv``             per series and rule: n, evaluated, outliers, note (small)
``config.toml``             the configuration as run
==========================  ==============================================================

Memory is bounded by the largest part (plus what the engine holds while it
judges it), not by the network; parts are judged in parallel (threads here, or
tasks on a Dask cluster, each reading and writing its own part, so it scales
with workers). Rules that compare a series with others (``cross_station``,
``sonde_failure``) see the series of the same part only: partition by station
for a sonde's variables, by variable for stations' siblings.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import pandas as pd

from .config import Config
from .config import load as load_config
from .engine import evaluate
from .errors import InputError, ParameterError
from ._optional import require
from .io import read, read_group, write_long
from .io.sources import parquet_groups
from .io.write import atomic

__all__ = ["run_streamed", "Streamed"]


@dataclass
class Streamed:
    """What a streamed run did: parts, values and flags counted, where it wrote, how long."""

    out: Path
    parts: int = 0
    series: int = 0
    values: int = 0
    flagged: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def run_streamed(source, config, out, *, read_args: Mapping[str, Any] | None = None,
                 engine: str = "serial", scheduler: str | None = None, workers: int | None = None,
                 progress: Callable[[int, int], None] | None = None) -> Streamed:
    """Judge a partitioned dataset part by part; write each part's flags as soon as they are made.

    Parameters
    ----------
    source : path
        A Parquet dataset folder (or a single file: one part).
    config : path or Config
        The QC configuration.
    out : path
        The output folder (see the module docstring).
    read_args : dict, optional
        As for :func:`aquaflag.read` (``censored``, ``duplicates``, ``station_column``, ...).
    engine : {"serial", "dask"}
        Parts judged in threads here, or as tasks on a Dask cluster.
    scheduler : str, optional
        With ``engine="dask"``: a running scheduler's address (else a local cluster).
    workers : int, optional
        Parts judged at once here (default: one per core).
    progress : callable, optional
        ``progress(done, total)`` after each part.

    Returns
    -------
    Streamed
    """
    started = time.perf_counter()
    qc = config if isinstance(config, Config) else load_config(config)
    src, out = Path(source), Path(out)
    if not src.exists():
        raise InputError(f"{src}: not found")
    parts = [key for key, _ in parquet_groups(src)] if src.is_dir() else [src.name]
    if not parts:
        raise InputError(f"{src}: no Parquet parts inside")
    if engine not in ("serial", "dask"):
        raise ParameterError(f"engine must be 'serial' or 'dask'; got {engine!r}")
    for sub in ("flags", "provenance"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    with atomic(out / "config.toml") as tmp:
        tmp.write_text(qc.text, encoding="utf-8")
    args = dict(read_args or {})
    if engine == "dask":
        summaries = _on_dask(src, parts, qc, out, args, scheduler, progress)
    else:
        summaries = _here(src, parts, qc, out, args, workers or os.cpu_count() or 1, progress)
    table = pd.concat([s for s in summaries if len(s)], ignore_index=True) if summaries else pd.DataFrame()
    with atomic(out / "summary.csv") as tmp:
        table.to_csv(tmp, index=False, encoding="utf-8-sig")
    done = Streamed(out=out, parts=len(parts), seconds=time.perf_counter() - started)
    if len(table):
        per_series = table.drop_duplicates("column")
        done.series = len(per_series)
        done.values = int((per_series["n"] - per_series["missing"]).sum())
        done.flagged = int(table["outliers"].sum())
    return done


def judge_part(src: Path, key: str, qc: Config, out: Path, read_args: Mapping[str, Any]) -> pd.DataFrame:
    """Read one part, judge it, write its flags and provenance; return its summary (small)."""
    frame = read_group(src, key, **read_args) if src.is_dir() else read(src, **read_args)
    result = evaluate(frame, qc.rules, mapping=qc.mapping)
    name = _safe(key)
    with atomic(out / "flags" / f"{name}.parquet") as tmp:
        write_long(result.data, tmp, flags=result.flags)
    with atomic(out / "provenance" / f"{name}.parquet") as tmp:
        result.provenance.astype({"parameters": str, "derived": str}).to_parquet(tmp, index=False)
    summary = result.summary.drop(columns=["lower", "upper"], errors="ignore")
    summary.insert(0, "part", key)
    return summary


def _here(src, parts, qc, out, args, workers, progress) -> list[pd.DataFrame]:
    summaries: list[pd.DataFrame] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for i, summary in enumerate(pool.map(lambda k: judge_part(src, k, qc, out, args), parts), 1):
            summaries.append(summary)
            if progress is not None:
                progress(i, len(parts))
    return summaries


def _on_dask(src, parts, qc, out, args, scheduler, progress) -> list[pd.DataFrame]:
    distributed = require("dask.distributed", extra="dask", feature="the Dask engine")
    cluster = None
    if scheduler:
        client = distributed.Client(scheduler, timeout="5s")
    else:
        cluster = distributed.LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1,
                                           processes=True, dashboard_address=None)
        client = distributed.Client(cluster)
    try:
        with client:
            futures = [client.submit(judge_part, src, k, qc, out, args, pure=False) for k in parts]
            summaries = []
            for i, fut in enumerate(distributed.as_completed(futures), 1):
                summaries.append(fut.result())
                if progress is not None:
                    progress(i, len(parts))
            return summaries
    finally:
        if cluster is not None:
            cluster.close()


def _safe(key: str) -> str:
    """A part's key as a file name (``station=Mun-Ui`` stays readable)."""
    return "".join(ch if ch.isalnum() or ch in "=-_." else "_" for ch in key) or "part"

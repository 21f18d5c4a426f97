"""Run the rules on a Dask cluster: one task per whole series.

The unit of work is one series (a column: one station x parameter) with all
its rules, exactly :func:`aquaflag.engine.series_detections`, so whole-series
statistics stay exact and the results equal the serial path bit for bit.
Series that a rule compares with their siblings (``cross_station``) travel
with those siblings' values. Timestamps are sent to the workers once.

Without a scheduler address a local ``dask.distributed`` cluster (one
single-threaded worker process per core) is started for the run and closed
after it; with an address, that cluster is used and left running. Dask is an
optional dependency (``pip install 'aquaflag[dask]'``) imported only here.
"""

from __future__ import annotations

import os
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from .errors import InputError

__all__ = ["dask_detections"]


def _series_task(resolved, frame: pd.DataFrame | None, column, values: np.ndarray, times):
    from .engine import series_detections

    return series_detections(resolved, frame, column, values, times)


def dask_detections(resolved: Sequence, frame: pd.DataFrame, prior: pd.DataFrame | None,
                    times: np.ndarray | None, *, scheduler: str | None = None,
                    progress: Callable[[int, int], None] | None = None) -> dict:
    """``{column: {rule label: Detection}}`` for every column, computed on Dask."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError(
            "the Dask engine needs dask.distributed: pip install 'aquaflag[dask]'"
        ) from None
    from . import registry
    from .engine import evaluable, sibling_series

    wants_siblings = any("siblings" in registry.get(r.method).context for r in resolved)
    cluster = None
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise InputError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
        else:
            cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
        with client:
            shared_times = client.scatter(times, broadcast=True) if times is not None else None
            futures = {}
            shared_rules = client.scatter(list(resolved), broadcast=True)
            for col in frame.columns:
                # only series compared with their siblings travel with them
                sub = frame[[col, *sibling_series(frame, col)]] if wants_siblings else None
                fut = client.submit(_series_task, shared_rules, sub, col,
                                    evaluable(frame, col, prior), shared_times, pure=False)
                futures[fut] = col
            out = {}
            for done, fut in enumerate(as_completed(futures), 1):
                out[futures[fut]] = fut.result()
                if progress is not None:
                    progress(done, len(futures))
    finally:
        if cluster is not None:
            cluster.close()
    return {col: out[col] for col in frame.columns}

"""Run the rules on a Dask cluster: one task per whole series.

The unit of work is one series (a column: one variable at one station) with all
its rules, exactly :func:`aquaflag.engine.series.judge_series`, so whole-series
statistics stay exact and the results equal the serial path bit for bit.
Series that a rule judges with companions (``cross_station``'s siblings,
``sonde_failure``'s other variables) travel with those companions' values. Timestamps are sent to the workers once.

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

from .._optional import require
from ..errors import InputError
from .series import companion_kinds, companion_values, evaluable, judge_series

__all__ = ["dask_detections"]


def _series_task(resolved, info, values: np.ndarray, order, companions):
    return judge_series(resolved, info, values, order, companions)


def _result(future, column):
    """A task's result; the serial path's errors come back as they are, a lost worker as one line.

    A task that raised (an :class:`~aquaflag.errors.AquaflagError`, a
    MemoryError) re-raises the same exception here, as the serial engine
    would. A worker that died under the task (killed for memory by its
    nanny, or by the system) is reported as an ``InputError`` naming the
    series, instead of dask's ``FutureCancelledError``/``KilledWorker``.
    """
    import concurrent.futures

    try:
        return future.result()
    except concurrent.futures.CancelledError as exc:
        raise InputError(
            f"the Dask worker judging series {column!r} was lost ({type(exc).__name__}); "
            "most often it ran out of memory: give the workers more memory, or evaluate "
            "fewer or shorter series at once") from None
    except Exception as exc:  # noqa: BLE001 - sorted below: ours as is, dask's own as one line
        if type(exc).__module__.startswith(("distributed", "dask")):
            raise InputError(
                f"the Dask worker judging series {column!r} failed ({type(exc).__name__}: "
                f"{exc}); most often it ran out of memory") from None
        raise


def dask_detections(resolved: Sequence, frame: pd.DataFrame, infos: dict,
                    prior: pd.DataFrame | None, order, *, scheduler: str | None = None,
                    progress: Callable[[int, int], None] | None = None) -> dict:
    """``{column: {rule label: Detection}}`` for every column, computed on Dask."""
    distributed = require("dask.distributed", extra="dask", feature="the Dask engine")
    Client, LocalCluster, as_completed = (distributed.Client, distributed.LocalCluster,
                                          distributed.as_completed)
    kinds = companion_kinds(resolved)
    cluster = None
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout="5s")
            except (OSError, TimeoutError) as exc:
                raise InputError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
        else:
            cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
        with client:
            shared_order = client.scatter(order, broadcast=True)
            futures = {}
            shared_rules = client.scatter(list(resolved), broadcast=True)
            for col in frame.columns:
                # only series judged with companions (siblings, a sonde) travel with them
                comp = companion_values(frame, infos, col, kinds) if kinds else None
                fut = client.submit(_series_task, shared_rules, infos[str(col)],
                                    evaluable(frame, col, prior), shared_order, comp, pure=False)
                futures[fut] = col
            out = {}
            for done, fut in enumerate(as_completed(futures), 1):
                out[futures[fut]] = _result(fut, futures[fut])
                if progress is not None:
                    progress(done, len(futures))
    finally:
        if cluster is not None:
            cluster.close()
    return {col: out[col] for col in frame.columns}

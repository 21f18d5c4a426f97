"""The engine: the one loop over series.

It validates the input once (columns, dtypes, index, rules), resolves what each
series measures once (:mod:`aquaflag.variables`), then applies each rule to
each selected series (:func:`aquaflag.engine.series.judge_series`) and
collects the Detections into a :class:`~aquaflag.result.Result`. Methods only
do the maths on one series. The unit of work is a whole series, so
whole-series statistics are exact and series can be processed in parallel (or
on Dask) with identical results.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..config import Config
from ..config import load as load_config
from ..errors import ParameterError
from ..result import Result
from ..rules import Rule, resolve_rules, rules_for
from ..variables import series_of
from ..detection import Detection
from ..flags import combine
from .frame import align_human, align_prior, prepare_frame
from .series import TimeOrder, companion_kinds, companion_values, evaluable, judge_series

__all__ = ["detect", "evaluate", "run", "prepare_frame"]


def detect(
    data,
    method: str | Sequence[str] | Mapping[str, Mapping[str, Any]] = "adjusted_boxplot",
    columns: Sequence[str] | None = None,
    **params: Any,
) -> Result:
    """Detect outliers in each column of ``data`` with one or more methods.

    Parameters
    ----------
    data : Series, DataFrame or 1-d array
        One series, or a wide frame (ideally a DatetimeIndex and one column
        per series, as returned by :func:`aquaflag.read`). The input is never
        modified.
    method : str, list of str, dict or "seed"
        A registered method (``aquaflag methods`` lists them); a list to run
        several side by side; ``"seed"`` for the four seed methods (zscore,
        modified_zscore, iqr, adjusted_boxplot); or a dict ``{method: {param:
        value}}`` to give each its own parameters. Each method becomes one
        rule named after it.
    columns : list of str, optional
        Columns to evaluate (names or glob patterns). By default every
        numeric column; other columns are listed in ``Result.skipped``.
    **params
        Method parameters (e.g. ``threshold=3.0``). With several methods, a
        parameter must mean the same to each, so use the dict form instead.

    Returns
    -------
    Result

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series([7.1, 7.3, 7.2, 7.4, 7.2, 9.9, 7.3, 7.1], name="pH")
    >>> res = detect(s, method="modified_zscore")
    >>> res.outliers[["column", "value", "rule"]]
      column  value             rule
    0     pH    9.9  modified_zscore
    """
    return evaluate(data, rules_for(method, **params), columns=columns)


def evaluate(data, rules: Sequence[Rule], *, columns: Sequence[str] | None = None,
             mapping: Mapping[str, Any] | None = None,
             source: Any = None, prior_flags: pd.DataFrame | None = None,
             human: pd.DataFrame | None = None,
             engine: str = "serial", scheduler: str | None = None,
             progress: Callable[[int, int], None] | None = None) -> Result:
    """Apply ``rules`` to the columns of ``data``: the one loop over series.

    Each rule is validated once; each series is converted and described once.
    See :func:`detect` for ``data`` and ``columns``.

    Parameters
    ----------
    mapping : dict, optional
        What columns measure, where the names do not say it:
        ``{"Tp": "temperature", "Leit": {"variable": "conductivity", "unit": "mS/cm"}}``
        (see :func:`aquaflag.variables.describe`).
    prior_flags : DataFrame, optional
        Flags already given to the data (QARTOD codes, e.g. a ``flags.csv``
        from an earlier run or a technician), aligned by index and column
        name. They are respected: values flagged SUSPECT or FAIL are left out
        of every statistic (not judged again), and each cell's final flag is
        the most severe of the prior and the new one.
    human : DataFrame, optional
        Technicians' decisions (:meth:`aquaflag.store.Store.human`). A human
        flag wins: it is the cell's final flag, and provenance says who decided
        it and why. Values a technician rejected (or set suspect/fail) are
        left out of every statistic; an accepted value takes part, and a rule
        that flagged it before with the same method and parameters does not
        flag it again.
    engine : {"serial", "dask"}
        Where the series are evaluated: on this machine (series in parallel
        threads, one per core, for large inputs), or on a Dask cluster
        (``pip install 'aquaflag[dask]'``); either way one task per whole
        series, so the results are identical.
    scheduler : str, optional
        With ``engine="dask"``: the address of a running ``dask.distributed``
        scheduler (``"tcp://10.0.0.5:8786"``); by default a local cluster is
        started for the run and closed after it.
    progress : callable, optional
        Called as ``progress(done, total)`` after each series.
    """
    if engine not in ("serial", "dask"):
        raise ParameterError(f"engine must be 'serial' or 'dask'; got {engine!r}")
    resolved = resolve_rules(rules)
    frame, skipped, notes = prepare_frame(data, columns)
    if source is None:
        source = frame.attrs.get("aquaflag_read")
    try:
        infos = series_of(frame, mapping)
    except (TypeError, KeyError) as exc:
        raise ParameterError(str(exc).strip("'\"")) from None
    prior = align_prior(prior_flags, frame) if prior_flags is not None else None
    decided = align_human(human, frame) if human is not None else None
    held = _held_out(prior, decided, frame)
    order = TimeOrder(frame.index)
    notes.extend(order.notes)
    if engine == "dask":
        from .on_dask import dask_detections

        per_series = dask_detections(resolved, frame, infos, held, order, scheduler=scheduler,
                                     progress=progress)
    else:
        per_series = _local_detections(resolved, frame, infos, held, order, progress)
    detections = {(col, label): det for col, dets in per_series.items() for label, det in dets.items()}
    if decided is not None and len(decided):
        detections = _respect_acceptances(detections, resolved, decided)
    # A shared configuration may hold rules for variables a file lacks: say so, don't stop.
    for rule in resolved:
        if len(frame.columns) and not any(k[1] == rule.label for k in detections):
            notes.append(f"rule {rule.label!r} selects no column ({rule.selection() or 'all'}); not applied")
    return Result(frame, resolved, detections, series=infos, skipped=skipped, notes=notes,
                  source=source, prior_flags=prior, human=decided)


def run(data, config, *, columns: Sequence[str] | None = None,
        prior_flags: pd.DataFrame | None = None, engine: str = "serial",
        scheduler: str | None = None, progress: Callable[[int, int], None] | None = None) -> Result:
    """Apply a QC configuration to ``data``.

    Parameters
    ----------
    data : DataFrame or Series
        As for :func:`detect` (e.g. from :func:`aquaflag.read`).
    config : path-like, Config or list of Rule
        A TOML configuration file (see :mod:`aquaflag.config`), a parsed
        :class:`~aquaflag.config.Config`, or rules.
    columns : list of str, optional
        Restrict the run to these columns.
    prior_flags : DataFrame, optional
        Existing QARTOD flags to respect (see :func:`evaluate`).
    engine, scheduler, progress
        Where to run, and progress reporting (see :func:`evaluate`).

    Returns
    -------
    Result
    """
    if isinstance(config, (str, Path)):
        config = load_config(config)
    if isinstance(config, Config):
        rules, mapping = config.rules, config.mapping
    elif isinstance(config, Sequence) and not isinstance(config, str) and all(
            isinstance(r, Rule) for r in config):
        rules, mapping = list(config), None
    else:
        raise ParameterError("config must be the path of a TOML file, a Config or a list of aquaflag.Rule")
    return evaluate(data, rules, columns=columns, mapping=mapping, prior_flags=prior_flags,
                    engine=engine, scheduler=scheduler, progress=progress)


def _held_out(prior: pd.DataFrame | None, decided: pd.DataFrame | None,
              frame: pd.DataFrame) -> pd.DataFrame | None:
    """Codes whose SUSPECT/FAIL keep a value out of every statistic: prior flags and
    technicians' rejections (set-suspect/fail included)."""
    if decided is None or decided.empty:
        return prior
    codes = np.full(frame.shape, 2, dtype=np.uint8) if prior is None else prior.to_numpy(dtype=np.uint8).copy()
    pos = {str(c): j for j, c in enumerate(frame.columns)}
    bad = decided[decided["flag"].isin([3, 4])]
    cols = bad["column"].map(pos).to_numpy(dtype=np.int64)
    rows = bad["row"].to_numpy(dtype=np.int64)
    codes[rows, cols] = combine(codes[rows, cols], bad["flag"].to_numpy(dtype=np.uint8))
    return pd.DataFrame(codes, index=frame.index, columns=frame.columns)


def _respect_acceptances(detections: dict, rules, decided: pd.DataFrame) -> dict:
    """An accepted value is not flagged again by a rule with the same method and parameters."""
    accepted = decided[(decided["action"] == "accept") & decided["flagged_by"].map(bool)]
    if accepted.empty:
        return detections
    out = dict(detections)
    for rule in rules:
        key = f"{rule.method}: {rule.params_text()}"
        hits = accepted[accepted["flagged_by"].map(lambda keys: key in keys)]
        for col, group in hits.groupby("column"):
            det = out.get((col, rule.label))
            if det is None:
                continue
            mask = det.mask.copy()
            mask[group["row"].to_numpy(dtype=np.int64)] = False
            out[(col, rule.label)] = Detection(
                mask=mask, evaluated=det.evaluated, score=det.score, lower=det.lower, upper=det.upper,
                method=det.method, params=det.params, stats=det.stats, note=det.note, grade=det.grade)
    return out


def _local_detections(resolved, frame, infos, prior, order, progress) -> dict:
    """Every series on this machine: a thread per core (NumPy and the numba kernels release
    the GIL), results collected in column order, so identical to one-by-one evaluation."""
    columns = list(frame.columns)
    kinds = companion_kinds(resolved)

    def work(col):
        comp = companion_values(frame, infos, col, kinds) if kinds else None
        return judge_series(resolved, infos[str(col)], evaluable(frame, col, prior), order, comp)

    workers = min(os.cpu_count() or 1, len(columns), 8)
    out = {}
    if workers <= 1 or frame.size < 200_000:  # small data: threads cost more than they save
        for i, col in enumerate(columns):
            out[col] = work(col)
            if progress is not None:
                progress(i + 1, len(columns))
        return out
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for i, (col, dets) in enumerate(zip(columns, pool.map(work, columns))):
            out[col] = dets
            if progress is not None:
                progress(i + 1, len(columns))
    return out

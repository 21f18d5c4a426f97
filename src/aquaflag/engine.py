"""The engine: the one loop over series.

It validates the input once (columns, dtypes, index, parameters), then applies
each rule to each selected series and collects the Detections into a
:class:`~aquaflag.result.Result`. Methods only do the maths on one series.
The unit of work is a whole series, so whole-series statistics are exact and
series can be processed in parallel (or on Dask) with identical results.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import registry
from .detection import Detection
from .errors import InputError, ParameterError, did_you_mean
from .flags import severity_flag
from .result import Result

__all__ = ["Rule", "detect", "evaluate", "run", "prepare_frame"]

#: ``method="all"`` runs these side by side (the seed's Mode 1-4).
ALL = ("zscore", "modified_zscore", "iqr", "adjusted_boxplot")


@dataclass(frozen=True)
class Rule:
    """One method with its parameters, applied to a set of columns.

    Attributes
    ----------
    method : str
        A registered method name.
    params : dict
        Parameters given (validated and completed with defaults by :meth:`resolve`).
    columns : tuple of str or None
        Column names or glob patterns (``"pH*"``); None means every column.
    severity : {"suspect", "fail"}
        The flag set on the values the rule flags.
    label : str
        The name of the rule in tables (defaults to the method name).
    parameters, stations : tuple of str or None
        Further selectors: the parameter a column measures (a key of
        :data:`aquaflag.parameters.PARAMETERS` such as ``"ph"``, or the name
        before the parentheses) and the station in ``"Parameter(Station)"``.
        All given selectors must match.
    """

    method: str
    params: Mapping[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] | None = None
    severity: str | None = None
    label: str = ""
    parameters: tuple[str, ...] | None = None
    stations: tuple[str, ...] | None = None

    def resolve(self) -> "Rule":
        """Validate the method and parameters; fill defaults, severity and label."""
        spec = registry.get(self.method)
        params = spec.validate(dict(self.params))
        severity = self.severity or spec.default_severity
        severity_flag(severity)
        return replace(self, method=spec.name, params=params, severity=severity,
                       label=self.label or spec.name)

    def selection(self) -> str:
        """The rule's column selectors in words (empty when it applies to every column)."""
        parts = [f"{name} {', '.join(values)}" for name, values in
                 (("columns", self.columns), ("parameter", self.parameters), ("station", self.stations))
                 if values is not None]
        return "; ".join(parts)

    def selects(self, column: str) -> bool:
        """Whether this rule applies to ``column``."""
        column = str(column)
        if self.columns is not None and not any(
            column == pat or fnmatch.fnmatchcase(column, pat) for pat in self.columns
        ):
            return False
        if self.parameters is None and self.stations is None:
            return True
        from .parameters import parameter_of, parse_column

        name, station = parse_column(column)
        if self.stations is not None and (station or "").casefold() not in {
            s.casefold() for s in self.stations
        }:
            return False
        if self.parameters is not None:
            known = parameter_of(column)
            wanted = {p.casefold() for p in self.parameters}
            if name.casefold() not in wanted and (known is None or known.key not in wanted):
                return False
        return True


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
    method : str, list of str, dict or "all"
        A registered method (see :func:`aquaflag.methods_table` or
        ``aquaflag methods``); a list to run several side by side; ``"all"``
        for the four seed methods (zscore, modified_zscore, iqr,
        adjusted_boxplot); or a dict ``{method: {param: value}}`` to give
        each its own parameters.
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
    >>> res.outliers[["column", "value", "method"]]
      column  value           method
    0     pH    9.9  modified_zscore
    """
    return evaluate(data, rules_for(method, **params), columns=columns)


def rules_for(method, **params: Any) -> list[Rule]:
    """The rules :func:`detect` runs for ``method`` and ``params`` (see there)."""
    if isinstance(method, Mapping):
        if params:
            raise ParameterError(
                "give parameters inside the method dict, e.g. "
                "method={'zscore': {'threshold': 2.5}}, not as keywords"
            )
        return [Rule(m, dict(p or {})) for m, p in method.items()]
    if isinstance(method, str):
        names = list(ALL) if method.strip().lower() == "all" else [method]
    elif isinstance(method, Iterable):
        names = list(method)
    else:
        raise ParameterError(f"method must be a name, a list of names, a dict or 'all'; got {method!r}")
    if not names:
        raise ParameterError("method is an empty list; name at least one method")
    if len(names) > 1 and params:
        # A parameter like threshold means different things to zscore (3) and iqr (1.5).
        raise ParameterError(
            f"parameters {', '.join(params)} would apply to {len(names)} methods at once; "
            "give per-method parameters as method={'zscore': {'threshold': 2.5}, ...}"
        )
    return [Rule(m, dict(params)) for m in names]


def evaluate(data, rules: Sequence[Rule], *, columns: Sequence[str] | None = None,
             source: Any = None, prior_flags: pd.DataFrame | None = None,
             engine: str = "serial", scheduler: str | None = None,
             progress: Callable[[int, int], None] | None = None) -> Result:
    """Apply ``rules`` to the columns of ``data``: the one loop over series.

    Each rule is validated once; each series is converted once. See
    :func:`detect` for ``data`` and ``columns``.

    Parameters
    ----------
    prior_flags : DataFrame, optional
        Flags already given to the data (QARTOD codes, e.g. a ``flags.csv``
        from an earlier run or a technician), aligned by index and column
        name. They are respected: values flagged SUSPECT or FAIL are left out
        of every statistic (not judged again), and each cell's final flag is
        the most severe of the prior and the new one.
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
    resolved = resolve_rules(rules)
    frame, skipped, notes = prepare_frame(data, columns)
    if source is None:
        source = frame.attrs.get("aquaflag_read")
    prior = _align_prior(prior_flags, frame) if prior_flags is not None else None
    times = _times(frame)
    if engine not in ("serial", "dask"):
        raise ParameterError(f"engine must be 'serial' or 'dask'; got {engine!r}")
    if engine == "dask":
        from .dask_engine import dask_detections

        per_series = dask_detections(resolved, frame, prior, times, scheduler=scheduler,
                                     progress=progress)
    else:
        per_series = _local_detections(resolved, frame, prior, times, progress)
    detections = {(col, label): det for col, dets in per_series.items() for label, det in dets.items()}
    # A shared configuration may hold rules for parameters a file lacks: say so, don't stop.
    for rule in resolved:
        if len(frame.columns) and not any(k[1] == rule.label for k in detections):
            notes.append(f"rule {rule.label!r} selects no column ({rule.selection() or 'all'}); not applied")
    return Result(frame, resolved, detections, skipped=skipped, notes=notes, source=source,
                  prior_flags=prior)


def run(data, config, *, columns: Sequence[str] | None = None,
        prior_flags: pd.DataFrame | None = None, engine: str = "serial",
        scheduler: str | None = None, progress: Callable[[int, int], None] | None = None) -> Result:
    """Apply a QC configuration to ``data``.

    Parameters
    ----------
    data : DataFrame or Series
        As for :func:`detect` (e.g. from :func:`aquaflag.read`).
    config : path-like or list of Rule
        A TOML configuration file (see :mod:`aquaflag.config`) or rules.
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
        from .config import load

        rules = load(config)
    elif isinstance(config, Sequence) and all(isinstance(r, Rule) for r in config):
        rules = list(config)
    else:
        raise ParameterError("config must be the path of a TOML file or a list of aquaflag.Rule")
    return evaluate(data, rules, columns=columns, prior_flags=prior_flags, engine=engine,
                    scheduler=scheduler, progress=progress)


def _local_detections(resolved, frame, prior, times, progress) -> dict:
    """Every series on this machine: a thread per core (NumPy and the numba kernels release
    the GIL), results collected in column order, so identical to one-by-one evaluation."""
    columns = list(frame.columns)
    work = lambda col: series_detections(resolved, frame, col, evaluable(frame, col, prior), times)  # noqa: E731
    workers = min(os.cpu_count() or 1, len(columns), 8)
    if workers <= 1 or frame.size < 200_000:  # small data: threads cost more than they save
        out = {}
        for i, col in enumerate(columns):
            out[col] = work(col)
            if progress is not None:
                progress(i + 1, len(columns))
        return out
    from concurrent.futures import ThreadPoolExecutor

    out = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for i, (col, dets) in enumerate(zip(columns, pool.map(work, columns))):
            out[col] = dets
            if progress is not None:
                progress(i + 1, len(columns))
    return out


def evaluable(frame: pd.DataFrame, column: str, prior: pd.DataFrame | None) -> np.ndarray:
    """One column's values as float64, with values a prior flag failed or suspected set to NaN."""
    values = frame[column].to_numpy(dtype=np.float64)  # a view: the frame is float64 already
    if prior is not None:
        values = np.where(np.isin(prior[column].to_numpy(), (3, 4)), np.nan, values)
    return values


def resolve_rules(rules: Sequence[Rule]) -> list[Rule]:
    """Validate every rule once (method, parameters, severity) and check labels are unique."""
    resolved = [r.resolve() for r in rules]
    labels = [r.label for r in resolved]
    dupes = {lab for lab in labels if labels.count(lab) > 1}
    if dupes:
        raise ParameterError(f"two rules share the label {sorted(dupes)[0]!r}; give each a distinct label")
    return resolved


def series_detections(resolved: Sequence[Rule], frame: pd.DataFrame | None, column: str,
                      values: np.ndarray, times: np.ndarray | None) -> dict[str, Detection]:
    """All rules on one series: the unit of work (serial, parallel or on Dask alike).

    ``frame`` holds the series' siblings (other stations, same parameter) for the
    rules that compare with them; it may be None when no rule does.
    """
    out = {}
    for rule in resolved:
        if not rule.selects(column):
            continue
        siblings = None
        if "siblings" in registry.get(rule.method).context:
            siblings = sibling_series(frame, column)
        out[rule.label] = apply(rule, values, times, column=str(column), siblings=siblings)
    return out


def _align_prior(prior: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Prior flags on the frame's index and columns (2 NOT_EVALUATED where absent)."""
    if not isinstance(prior, pd.DataFrame):
        raise InputError("prior_flags must be a DataFrame of QARTOD codes like a flags.csv")
    extra = [c for c in prior.columns if c not in frame.columns]
    if extra:
        raise InputError(f"prior flags have column(s) not in the data: {', '.join(map(str, extra))}")
    aligned = prior.reindex(index=frame.index, columns=frame.columns)
    codes = aligned.to_numpy(dtype=np.float64, na_value=np.nan)
    valid = np.isnan(codes) | np.isin(codes, (1, 2, 3, 4, 9))
    if not valid.all():
        bad = codes[~valid][0]
        raise InputError(f"prior flags must be QARTOD codes 1, 2, 3, 4 or 9; found {bad:g}")
    return pd.DataFrame(np.nan_to_num(codes, nan=2).astype(np.uint8), index=frame.index,
                        columns=frame.columns)


def apply(rule: Rule, values: np.ndarray, times: np.ndarray | None = None, *,
          column: str | None = None, siblings: Mapping[str, np.ndarray] | None = None) -> Detection:
    """Run one resolved rule on one series (values as float64, NaN = missing, no inf)."""
    spec = registry.get(rule.method)
    given = {"times": times, "column": column, "siblings": siblings}
    return spec.func(values, **rule.params, **{k: given[k] for k in spec.context})


def sibling_series(frame: pd.DataFrame, column: str) -> dict[str, np.ndarray]:
    """The other columns of the same parameter at other stations: ``pH(B)``, ``pH(C)`` for ``pH(A)``."""
    from .parameters import parse_column

    param, station = parse_column(str(column))
    out = {}
    for other in frame.columns:
        if other == column:
            continue
        p2, s2 = parse_column(str(other))
        if p2.lower() == param.lower() and s2 != station:
            out[str(other)] = frame[other].to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def _times(frame: pd.DataFrame) -> np.ndarray | None:
    if isinstance(frame.index, pd.DatetimeIndex):
        return frame.index.to_numpy(dtype="datetime64[ns]")
    return None


def prepare_frame(data, columns: Sequence[str] | None = None
                  ) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Validate ``data`` once: return (numeric frame to evaluate, skipped columns, notes).

    The returned frame shares nothing mutable with the caller's object that
    aquaflag writes to; aquaflag never writes to it.
    """
    if isinstance(data, pd.Series):
        frame = data.to_frame(name=data.name if data.name is not None else "value")
    elif isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, (np.ndarray, list, tuple)):
        arr = np.asarray(data)
        if arr.ndim != 1:
            raise InputError(f"data as an array must be 1-d; got shape {arr.shape}. Pass a DataFrame for many series")
        frame = pd.Series(arr, name="value").to_frame()
    else:
        raise InputError(
            f"data must be a pandas Series or DataFrame (or a 1-d array); got {type(data).__name__}. "
            "Read files with aquaflag.read(path)"
        )
    cols = list(frame.columns)
    seen = set()
    for c in cols:
        if c in seen:
            raise InputError(f"column {c!r} appears more than once; give each column a unique name")
        seen.add(c)
    frame = _with_time_index(frame)
    skipped: dict[str, str] = {}
    if columns is not None:
        if isinstance(columns, str):
            columns = [columns]
        chosen: list = []
        for pat in columns:
            hits = [c for c in frame.columns if c == pat or (isinstance(c, str) and fnmatch.fnmatchcase(c, pat))]
            if not hits:
                tip = did_you_mean(pat, frame.columns)
                raise InputError(
                    f"column {pat!r} not found; {tip}columns: {', '.join(map(str, frame.columns))}"
                )
            chosen.extend(h for h in hits if h not in chosen)
        for c in chosen:
            reason = _not_numeric(frame[c])
            if reason:
                raise InputError(f"column {c!r} {reason}; choose numeric columns (aquaflag.read converts text like '<0.5')")
        use = chosen
    else:
        use = []
        for c in frame.columns:
            reason = _not_numeric(frame[c])
            if reason:
                skipped[str(c)] = reason
            else:
                use.append(c)
        if not use and len(frame.columns):
            raise InputError(
                "no numeric column to evaluate: "
                + "; ".join(f"{k}: {v}" for k, v in skipped.items())
            )
    notes: list[str] = []
    plain = all(frame[c].dtype == np.float64 for c in use)
    if plain and list(use) == list(frame.columns):
        # already what the engine needs: share the data (aquaflag never writes to it)
        out = frame.copy(deep=False)
        values = out.to_numpy()
        infinite = np.isinf(values).any(axis=0) if values.size else np.zeros(len(use), bool)
        if not infinite.any():
            return out, skipped, notes
    columns_out = {}
    for c in use:
        values = frame[c].to_numpy(dtype=np.float64, na_value=np.nan)
        infinite = np.isinf(values)
        if infinite.any():
            # +-inf is not a measurement: treat it as missing, and say so
            values = np.where(infinite, np.nan, values)
            notes.append(f"{c}: {int(infinite.sum())} infinite value(s) treated as missing")
        columns_out[c] = values
    out = pd.DataFrame(columns_out, index=frame.index)
    out.attrs = dict(frame.attrs)
    return out, skipped, notes


def _not_numeric(col: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(col.dtype):
        return "is boolean, not a measurement"
    if pd.api.types.is_numeric_dtype(col.dtype):
        return ""
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return "holds dates, not values"
    sample = col.dropna().astype(str).head(3).tolist()
    return f"is not numeric (dtype {col.dtype}; e.g. {sample})"


def _with_time_index(frame: pd.DataFrame) -> pd.DataFrame:
    """Use a date column as the index when the frame has none (e.g. plain ``pd.read_csv``)."""
    from .parameters import is_date_name

    if isinstance(frame.index, pd.DatetimeIndex):
        return frame
    for c in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[c].dtype):
            return frame.set_index(c)
    for c in frame.columns:
        if is_date_name(str(c)) and not pd.api.types.is_numeric_dtype(frame[c].dtype):
            parsed = pd.to_datetime(frame[c], errors="coerce", format="mixed")
            if parsed.notna().all():
                return frame.drop(columns=[c]).set_index(pd.DatetimeIndex(parsed, name=c))
    return frame

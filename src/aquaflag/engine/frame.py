"""The engine's input checks: the frame to evaluate, and prior flags aligned on it."""

from __future__ import annotations

import fnmatch
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError, did_you_mean
from ..io.cells import inexact_ints
from ..io.dates import choose_date_column
from ..io.report import ReadReport

__all__ = ["prepare_frame", "align_prior", "align_human"]


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
    notes: list[str] = []
    frame = _with_time_index(frame, notes)
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
        rounded = _rounded_integers(frame[c])
        if rounded:
            notes.append(f"{c}: {rounded} integer(s) beyond 2**53 rounded to the nearest float64 "
                         "(e.g. 27021597764225089 -> 27021597764225088)")
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


def _with_time_index(frame: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Use the date column as the index when the frame has none (e.g. plain ``pd.read_csv``).

    The date column is found and read by the reader's one date path
    (:func:`aquaflag.io.dates.choose_date_column`); no row is removed or
    reordered: a row whose date cannot be read gets no timestamp (NaT) and is
    not judged (:class:`aquaflag.engine.series.TimeOrder`), with a note.
    """
    if isinstance(frame.index, pd.DatetimeIndex):
        return frame
    for c in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[c].dtype):
            return frame.set_index(c)
    names = [str(c) for c in frame.columns]
    raw = frame.set_axis(names, axis=1).reset_index(drop=True)
    report = ReadReport(path="<data>", format="frame")
    col, dates = choose_date_column(raw, "the data", None, report)
    if col is None:
        return frame
    assert dates is not None  # found with its column
    original = frame.columns[names.index(col)]
    index = pd.DatetimeIndex(dates, name=col)
    report.date_column = col
    notes.extend(report.messages())
    return frame.drop(columns=[original]).set_axis(index, axis=0)


def _rounded_integers(column: pd.Series) -> int:
    """How many integers of ``column`` float64 cannot hold exactly (beyond ±2**53)."""
    if not pd.api.types.is_integer_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        return 0
    int_dtype: Any = getattr(column.dtype, "numpy_dtype", column.dtype)  # Int64 etc.: numpy's
    ints = column.to_numpy(dtype=int_dtype, na_value=0)
    big = np.abs(ints.astype(np.float64)) > 2.0**53
    if not big.any():
        return 0
    return int(inexact_ints(ints[big], ints.dtype.kind == "u").sum())


def align_prior(prior: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
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


def align_human(human: pd.DataFrame, frame: pd.DataFrame) -> pd.DataFrame:
    """Technicians' decisions on the frame's cells: ``column, time, row, flag, ...``.

    ``human`` is :meth:`aquaflag.store.Store.human`'s table; decisions on
    columns or times the frame does not hold are left out (they stay in the
    store). ``row`` is the position in the frame's index.
    """
    need = {"column", "time", "flag", "action", "reviewer", "reason", "flagged_by"}
    if not isinstance(human, pd.DataFrame) or not need <= set(human.columns):
        raise InputError("human decisions must be a table like Store.human() returns "
                         f"(columns {', '.join(sorted(need))})")
    table = human[human["column"].isin([str(c) for c in frame.columns])].copy()
    if not isinstance(frame.index, pd.DatetimeIndex) or table.empty:
        return table.iloc[:0].assign(row=pd.Series(dtype=np.int64))
    times = pd.DatetimeIndex(table["time"])
    index = frame.index
    if index.tz is not None and times.tz is None:
        times = times.tz_localize(index.tz)
    elif index.tz is None and times.tz is not None:
        times = times.tz_convert("UTC").tz_localize(None)
    rows = index.get_indexer(times)
    table["row"] = rows
    return table[rows >= 0].reset_index(drop=True)

"""Wide and long (tidy) layouts, and partitioned Parquet datasets.

aquaflag evaluates a *wide* frame: a time index and one column per series,
named ``"Parameter(Station)"`` (``"pH(Mun-Ui)"``). Network exports are often
*long* (tidy): one row per measurement, with columns ``time, station,
parameter, value`` (and optionally ``flag``). This module converts between the
two, reads long CSV/Parquet files and partitioned Parquet datasets (one folder
per station or parameter, ``station=Mun-Ui/part-0.parquet``), and writes them.

Reading a long file is built for size: columns are read with fixed dtypes
(station and parameter as categories, values as float), so a 10⁷-row file fits
comfortably in memory (see ``benchmarks/``). Values that are not numbers become
NaN and are counted in the read report; rows with no time are removed and
counted. Rows sharing (time, station, parameter) are averaged and counted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InputError, ParameterError
from .variables import parse_column

__all__ = ["LONG_COLUMNS", "looks_long", "to_long", "to_wide", "read_long", "write_long", "series_name"]

#: The long layout's columns, in order.
LONG_COLUMNS = ("time", "station", "parameter", "value")

_ALIASES = {
    "time": ("time", "datetime", "date", "timestamp", "일시", "측정일시", "일자", "측정일자", "날짜"),
    "station": ("station", "site", "site_code", "location", "지점", "측정소", "측정지점", "station_en"),
    "parameter": ("parameter", "param", "variable", "항목", "측정항목"),
    "value": ("value", "result", "값", "측정값"),
}


def series_name(parameter: str, station: str | None) -> str:
    """The wide column name of one series: ``"pH(Mun-Ui)"``, or ``"pH"`` without a station."""
    return f"{parameter}({station})" if station not in (None, "") else str(parameter)


def _find(columns, role: str) -> str | None:
    lowered = {str(c).strip().casefold(): c for c in columns}
    for alias in _ALIASES[role]:
        if alias.casefold() in lowered:
            return lowered[alias.casefold()]
    return None


def looks_long(columns) -> bool:
    """Whether a table's columns are the long layout (a parameter and a value column)."""
    return _find(columns, "parameter") is not None and _find(columns, "value") is not None


def to_long(frame: pd.DataFrame, flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """Wide frame (``"Parameter(Station)"`` columns) -> long table.

    Returns columns ``time, station, parameter, value`` (and ``flag`` when
    ``flags`` of the same shape are given); missing values are kept as rows
    with NaN so that nothing is lost.

    Examples
    --------
    >>> wide = pd.DataFrame({"pH(A)": [7.1, 7.2], "DO(A)": [9.0, np.nan]},
    ...                     index=pd.to_datetime(["2024-01-01", "2024-01-08"]))
    >>> to_long(wide)
            time station parameter  value
    0 2024-01-01       A        pH    7.1
    1 2024-01-08       A        pH    7.2
    2 2024-01-01       A        DO    9.0
    3 2024-01-08       A        DO    NaN
    """
    parts = []
    for col in frame.columns:
        param, station, _ = parse_column(str(col))
        part = pd.DataFrame({
            "time": frame.index,
            "station": station or "",
            "parameter": param,
            "value": frame[col].to_numpy(dtype=np.float64, na_value=np.nan),
        })
        if flags is not None:
            part["flag"] = flags[col].to_numpy()
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=list(LONG_COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    out["station"] = out["station"].astype("category")
    out["parameter"] = out["parameter"].astype("category")
    return out


def to_wide(long: pd.DataFrame, *, time: str | None = None, station: str | None = None,
            parameter: str | None = None, value: str | None = None) -> pd.DataFrame:
    """Long table -> wide frame with one ``"Parameter(Station)"`` column per series.

    Column roles are found by name (English or Korean: ``time/datetime/일시``,
    ``station/site/지점``, ``parameter/variable/항목``, ``value/값``) unless
    given. Rows sharing (time, station, parameter) are averaged. The index is
    the sorted union of the timestamps.

    Examples
    --------
    >>> long = pd.DataFrame({"time": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-08"]),
    ...                      "station": ["A", "B", "A"], "parameter": ["pH"] * 3,
    ...                      "value": [7.1, 7.4, 7.2]})
    >>> to_wide(long)
                pH(A)  pH(B)
    time
    2024-01-01    7.1    7.4
    2024-01-08    7.2    NaN
    """
    roles = _roles(long.columns, time=time, station=station, parameter=parameter, value=value)
    t, s, p, v = roles["time"], roles["station"], roles["parameter"], roles["value"]
    values = pd.to_numeric(long[v], errors="coerce")
    stations = long[s].astype(str) if s is not None else pd.Series("", index=long.index)
    series_code, series = _series_codes(long[p], stations)
    time_code, times = pd.factorize(long[t], sort=True)
    keep = time_code >= 0  # rows without a time have no place in the wide frame
    time_code, series_code, vals = time_code[keep], series_code[keep], values.to_numpy(np.float64)[keep]
    # Scatter the values into the grid; rows sharing (time, series) are averaged (NaN ignored).
    shape = (len(times), len(series))
    flat = time_code.astype(np.int64) * shape[1] + series_code
    grid = np.full(shape, np.nan)
    if flat.size == 0 or np.bincount(flat, minlength=grid.size).max() <= 1:
        grid.ravel()[flat] = vals
    else:
        ok = ~np.isnan(vals)
        sums = np.bincount(flat[ok], weights=vals[ok], minlength=grid.size)
        counts = np.bincount(flat[ok], minlength=grid.size)
        with np.errstate(invalid="ignore"):
            grid = (sums / counts).reshape(shape)
    return pd.DataFrame(grid, index=pd.DatetimeIndex(times, name="time") if
                        pd.api.types.is_datetime64_any_dtype(times) else pd.Index(times, name="time"),
                        columns=list(series))


def _series_codes(params: pd.Series, stations: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Per row the code of its series, and the series names in order of first appearance."""
    p_code, p_names = pd.factorize(params)
    s_code, s_names = pd.factorize(stations)
    codes, pairs = pd.factorize(p_code.astype(np.int64) * max(len(s_names), 1) + s_code)
    names = [series_name(str(p_names[pair // max(len(s_names), 1)]),
                         str(s_names[pair % max(len(s_names), 1)]) if len(s_names) else "")
             for pair in pairs]
    return codes, names


def _roles(columns, **given) -> dict[str, str | None]:
    roles = {}
    for role in ("time", "station", "parameter", "value"):
        name = given.get(role) or _find(columns, role)
        if name is not None and name not in columns:
            raise InputError(f"column {name!r} not found; columns: {', '.join(map(str, columns))}")
        if name is None and role != "station":
            raise InputError(
                f"long table has no {role} column; name it '{role}' or pass {role}=... "
                f"(columns: {', '.join(map(str, columns))})"
            )
        roles[role] = name
    return roles


def read_long(path, *, time: str | None = None, station: str | None = None,
              parameter: str | None = None, value: str | None = None,
              encoding: str | None = None) -> pd.DataFrame:
    """Read a long CSV/Parquet file, or a partitioned Parquet folder, into a wide frame.

    A folder is read as a (hive-partitioned) Parquet dataset, e.g.
    ``data/station=Mun-Ui/part-0.parquet``: the partition key becomes a column.
    The returned frame carries a read report in ``frame.attrs["aquaflag_read"]``
    (values that were not numbers, rows without a time, duplicates averaged).
    """
    from .io import ATTRS_KEY, ReadReport

    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file or folder not found")
    report = ReadReport(path=str(p), format="long")
    if p.is_dir() and not any(p.rglob("*.parquet")):
        raise InputError(f"{p}: not a file, and not a Parquet dataset folder (no .parquet files inside)")
    if p.is_dir() or p.suffix.lower() == ".parquet":
        long = pd.read_parquet(p)
        report.format = "parquet dataset (long)" if p.is_dir() else "parquet (long)"
    elif p.suffix.lower() in (".csv", ".txt"):
        long = _read_long_csv(p, encoding, report)
    else:
        raise InputError(f"{p}: long tables are read from .csv, .parquet or a Parquet folder")
    if long.empty:
        raise InputError(f"{p} has no data rows")
    roles = _roles(long.columns, time=time, station=station, parameter=parameter, value=value)
    report.n_rows = len(long)
    times = _parse_times(long[roles["time"]])
    bad_time = times.isna()
    if bad_time.any():
        report.bad_dates = int(bad_time.sum())
        long = long.loc[~bad_time]
        times = times.loc[~bad_time]
    long = long.assign(**{roles["time"]: times})
    raw_values = long[roles["value"]]
    values = pd.to_numeric(raw_values, errors="coerce")
    unparsed = values.isna() & raw_values.notna()
    wide = to_wide(long.assign(**{roles["value"]: values}), **roles)
    if unparsed.any():
        report.notes.append(f"{int(unparsed.sum())} value(s) were not numbers and were read as missing")
    key_cols = [c for c in (roles["time"], roles["station"], roles["parameter"]) if c is not None]
    dup = int(long.duplicated(subset=key_cols).sum())
    if dup:
        report.duplicates = dup
        report.duplicates_rule = "mean"
    report.date_column = roles["time"]
    report.columns = list(wide.columns)
    wide.attrs[ATTRS_KEY] = report
    return wide


def _parse_times(column: pd.Series) -> pd.Series:
    """Timestamps: ISO 8601 fast path, then any format pandas understands; unparsable -> NaT."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return column
    try:
        return pd.to_datetime(column, format="ISO8601")
    except (ValueError, TypeError):
        return pd.to_datetime(column, errors="coerce", format="mixed")


def _read_long_csv(p: Path, encoding: str | None, report) -> pd.DataFrame:
    encodings = [encoding] if encoding else ["utf-8-sig", "cp949"]
    last = None
    for enc in encodings:
        try:
            frame = pd.read_csv(p, encoding=enc, low_memory=False)
            report.encoding = enc
            return frame
        except UnicodeDecodeError as exc:
            last = exc
        except pd.errors.EmptyDataError:
            raise InputError(f"{p} is empty") from None
    raise InputError(f"{p}: cannot decode as UTF-8 or CP949 (Korean); pass encoding=... ({last})")


def write_long(frame: pd.DataFrame, path, *, flags: pd.DataFrame | None = None,
               partition_by: str | None = None) -> Path:
    """Write a wide frame in the long layout: ``.csv``, ``.parquet``, or a partitioned folder.

    Parameters
    ----------
    frame : DataFrame
        Wide frame (``"Parameter(Station)"`` columns).
    path : path-like
        A ``.csv`` or ``.parquet`` file, or a folder when ``partition_by`` is given.
    flags : DataFrame, optional
        QARTOD flags of the same shape, written as a ``flag`` column.
    partition_by : {"station", "parameter"}, optional
        Write a Parquet dataset with one folder per station or parameter.
    """
    long = to_long(frame, flags)
    p = Path(path)
    if partition_by is not None:
        if partition_by not in ("station", "parameter"):
            raise ParameterError(f"partition_by must be 'station' or 'parameter'; got {partition_by!r}")
        long[partition_by] = long[partition_by].astype(str)
        long.to_parquet(p, partition_cols=[partition_by], index=False)
        return p
    if p.suffix.lower() == ".parquet":
        long.to_parquet(p, index=False)
    elif p.suffix.lower() == ".csv":
        long.to_csv(p, index=False, encoding="utf-8-sig")
    else:
        raise ParameterError(f"{p}: write long tables as .csv or .parquet, or give partition_by")
    return p

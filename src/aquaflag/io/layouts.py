"""Layouts: wide, long (``time, station, parameter, value``) and station-column tables.

aquaflag evaluates a *wide* frame: a time index and one column per series.
Files come in three layouts, recognised from the header:

wide
    A date column and one column per series (``Date, pH(Mun-Ui), DO(Mun-Ui)``).
long (tidy)
    One row per measurement, with a parameter and a value column, and
    optionally a station and a unit column (``time, station, parameter,
    value``). Column roles are found by name, in English or Korean:
    ``time/datetime/date/일시``, ``station/site/지점/측정소``,
    ``parameter/variable/항목``, ``value/result/값/측정값``, ``unit/단위``.
station (station-column tidy)
    One row per time and station, a station column and one column per
    variable (``date, station, water_temp_C, pH``). The station column is found
    by name (station, site, site_code, location, 지점, 측정소, 측정지점, ...:
    an exact name first, in that order, then names that start with one of
    them, like ``station_en``; a column with more than one value is preferred)
    or given as ``station_column=``.

Long and station tables are pivoted: one series per (station, variable), named
``"Variable(Station)"`` (``"수온(문의)"``); the station and the variable's name
are recorded as series metadata from the table's own columns, not parsed back
from the generated name. Columns that are constant within each station
(another name of the station, coordinates, the water body) describe the
stations: they are not series, and the report says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError, did_you_mean
from ..variables import SeriesInfo, describe, series_of
from .dates import texts_of
from .report import N_ROWS_SHOWN, ReadReport, fmt_ts, plural

__all__ = ["LONG_COLUMNS", "STATION_ALIASES", "looks_long", "find_role", "long_roles",
           "find_station_column", "series_name", "Keys", "station_metadata", "to_long"]

#: The long layout's columns, in order.
LONG_COLUMNS = ("time", "station", "parameter", "value")

#: Names of a station (site) column, in order of preference (compared case-insensitively,
#: with ``_``, ``-``, ``.`` and spaces alike).
STATION_ALIASES = (
    "station", "site", "site_code", "location", "지점", "측정소", "측정지점",
    "station_name", "station_id", "station_code", "stationid", "site_name", "site_id", "siteid",
    "sampling_site", "sampling_point", "monitoring_site", "monitoring_location", "location_id",
    "지점명", "측정소명", "측정지점명", "관측소", "관측소명", "조사지점", "정점", "Messstelle",
)

_ALIASES = {
    "time": ("time", "datetime", "date", "timestamp", "일시", "측정일시", "일자", "측정일자", "날짜"),
    "station": STATION_ALIASES,
    "parameter": ("parameter", "param", "variable", "determinand", "analyte", "항목", "측정항목"),
    "value": ("value", "result", "값", "측정값", "결과값"),
    "unit": ("unit", "units", "단위"),
}
#: Aliases that also match as the start of a name (``station_en``, ``site code``).
_PREFIXES = ("station", "site", "location", "지점", "측정소")


def _norm(text: Any) -> str:
    return re.sub(r"[\s_\-./]+", " ", str(text).casefold()).strip()


def find_role(columns: Sequence[Any], role: str) -> str | None:
    """The column that plays ``role`` (time, station, parameter, value, unit), by exact alias."""
    lowered: dict[str, Any] = {}
    for c in columns:
        lowered.setdefault(_norm(c), c)
    for alias in _ALIASES[role]:
        if _norm(alias) in lowered:
            return lowered[_norm(alias)]
    return None


def looks_long(columns: Sequence[Any]) -> bool:
    """Whether a table's columns are the long layout (a parameter and a value column).

    Examples
    --------
    >>> looks_long(["time", "station", "parameter", "value"]), looks_long(["Date", "pH(A)"])
    (True, False)
    """
    return find_role(columns, "parameter") is not None and find_role(columns, "value") is not None


def long_roles(columns: Sequence[str], name: str, *, time: str | None = None,
               station: str | bool | None = None, parameter: str | None = None,
               value: str | None = None) -> dict[str, str | None]:
    """The columns of a long table by role (given ones checked); InputError when one is missing."""
    roles: dict[str, str | None] = {}
    given = {"time": time, "station": station, "parameter": parameter, "value": value}
    for role in ("time", "station", "parameter", "value", "unit"):
        chosen = given.get(role)
        if chosen is False:
            roles[role] = None
            continue
        if chosen is not None:
            if chosen not in columns:
                raise InputError(
                    f"{name}: {role} column {chosen!r} not found; {did_you_mean(chosen, columns)}"
                    f"columns: {', '.join(map(str, columns))}"
                )
            roles[role] = str(chosen)
            continue
        found = find_role(columns, role)
        if found is None and role in ("parameter", "value"):
            raise InputError(
                f"{name}: long table has no {role} column; name it {role!r} or pass "
                f"{role}=... (columns: {', '.join(map(str, columns))})"
            )
        roles[role] = found
    return roles


def find_station_column(raw: pd.DataFrame, name: str, given: str | bool | None,
                        exclude: tuple[str, ...] = ()) -> str | None:
    """The station column of a table (see the module docstring), or None.

    Parameters
    ----------
    raw : DataFrame
        The table with clean column names.
    name : str
        The file, for messages.
    given : str, False or None
        A column name to use, False for none, None to detect.
    exclude : tuple of str
        Columns that cannot be the station column (the date column).
    """
    columns = [c for c in raw.columns if c not in exclude]
    if given is False:
        return None
    if given is not None:
        if given not in raw.columns:
            raise InputError(
                f"{name}: station column {given!r} not found; {did_you_mean(given, raw.columns)}"
                f"columns: {', '.join(map(str, raw.columns))}"
            )
        return str(given)
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(_norm(c), c)
    exact = [by_norm[_norm(a)] for a in STATION_ALIASES if _norm(a) in by_norm]
    prefixed = [c for c in columns if c not in exact and any(
        _norm(c).startswith(_norm(p) + " ") for p in _PREFIXES)]
    usable = [c for c in exact if _could_be_stations(raw[c], strict=False)]
    usable += [c for c in prefixed if _could_be_stations(raw[c], strict=True)]
    if not usable:
        return None
    for c in usable:
        if raw[c].nunique(dropna=True) > 1:
            return c
    return usable[0]


def _could_be_stations(column: pd.Series, *, strict: bool) -> bool:
    """Text or whole numbers, some present; with ``strict``, repeated (few distinct values)."""
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
        return False
    present = column.dropna()
    if len(present) == 0:
        return False
    if pd.api.types.is_float_dtype(column):
        values = present.to_numpy(dtype=np.float64)
        if not np.all(values == np.floor(values)):
            return False
    if strict:
        return present.nunique() <= max(1, len(present) // 2)
    return True


def station_labels(column: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Per row the code of its label (-1 when empty), and the labels by code.

    Labels are the cells as text, stripped (whole numbers without ``.0``);
    factorised first, so that only the distinct values are cleaned.
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = texts_of(pd.Series(uniques))
    mapping, labels = pd.factorize(texts, use_na_sentinel=True)
    mapping = np.append(mapping.astype(np.int64), -1)  # code -1 (empty) stays -1
    return mapping[codes], [str(x) for x in labels]


def series_name(parameter: str, station: str | None) -> str:
    """The wide column name of one series: ``"pH(Mun-Ui)"``, or ``"pH"`` without a station.

    Examples
    --------
    >>> series_name("수온", "문의"), series_name("pH", None)
    ('수온(문의)', 'pH')
    """
    return f"{parameter}({station})" if station not in (None, "") else str(parameter)


def series_info(column: str, variable_name: str, station: str | None, unit: str | None = None) -> SeriesInfo:
    """What the table's own columns say about one generated series (source ``"file"``)."""
    base = describe([variable_name])[variable_name]
    return replace(base, column=column, station=station or None,
                   unit=unit if unit not in (None, "") else base.unit, source="file")


class RowNumbers:
    """File row numbers of the rows still in play, without an array until rows are removed.

    Parameters
    ----------
    n : int
        Rows read.
    first : int
        The file row number of the first data row (2 for text and Excel, 1 for
        Parquet, 0 for frames: positions).
    """

    def __init__(self, n: int, first: int, index: np.ndarray | None = None) -> None:
        self.n, self.first, self.index = n, first, index

    def kept(self, keep: np.ndarray) -> "RowNumbers":
        """The rows left after removing those where ``keep`` is False."""
        index = np.flatnonzero(keep) if self.index is None else self.index[keep]
        return RowNumbers(int(keep.sum()), self.first, index)

    def numbers(self, select: np.ndarray) -> np.ndarray:
        """File row numbers of the selected rows (a boolean mask or positions)."""
        positions = np.flatnonzero(select) if select.dtype == bool else select
        return (positions if self.index is None else self.index[positions]) + self.first


@dataclass
class Keys:
    """Where each row of a long or station table goes in the wide grid: (time, series).

    Attributes
    ----------
    time_code : ndarray of int64
        Per row, the position of its timestamp in ``times`` (sorted).
    series_code : ndarray of int64
        Per row, its series.
    times : DatetimeIndex
        The sorted distinct timestamps.
    n_series : int
    rows : RowNumbers
        File row numbers (for messages).
    """

    time_code: np.ndarray
    series_code: np.ndarray
    times: pd.Index
    n_series: int
    rows: RowNumbers
    _flat: np.ndarray | None = field(default=None, repr=False)
    _pick: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    n_duplicates: int = 0

    @classmethod
    def build(cls, dates: pd.Series, series_code: np.ndarray, n_series: int, rows: RowNumbers) -> "Keys":
        """From per-row timestamps and series codes (no NaT, no negative code)."""
        time_code, times = pd.factorize(dates, sort=True)
        index = pd.DatetimeIndex(times) if not isinstance(times, pd.DatetimeIndex) else times
        return cls(time_code.astype(np.int64), series_code.astype(np.int64), index, n_series, rows)

    @property
    def flat(self) -> np.ndarray:
        if self._flat is None:
            self._flat = self.time_code * max(self.n_series, 1) + self.series_code
        return self._flat

    def check(self, report: ReadReport, rule: str, name: str, date_column: str | None,
              series_names: list[str]) -> None:
        """Duplicates (counted, or an error) and order, into ``report``."""
        size = len(self.times) * max(self.n_series, 1)
        counts = np.bincount(self.flat, minlength=size) if len(self.flat) else np.zeros(0, np.int64)
        multi = counts > 1
        if multi.any():
            self.n_duplicates = int(counts[multi].sum())
            report.duplicates += self.n_duplicates
            report.duplicate_timestamps += int(multi.sum())
            if rule == "error":
                first = int(np.flatnonzero(multi)[0])
                where = self.rows.numbers(self.flat == first)
                ts = self.times[first // max(self.n_series, 1)]
                series = series_names[first % max(self.n_series, 1)]
                raise InputError(
                    f"{name}: duplicate timestamp {fmt_ts(ts)} in {date_column!r} for {series!r} "
                    f"(rows {', '.join(map(str, where[:N_ROWS_SHOWN]))}"
                    f"{', ...' if len(where) > N_ROWS_SHOWN else ''}); "
                    f"{plural(self.n_duplicates, 'value')} share their timestamp and series; "
                    "pass duplicates='mean', 'first' or 'last' (CLI: --duplicates)"
                )
        if not self._in_order():
            report.was_sorted = True

    def _in_order(self) -> bool:
        """Whether the timestamps of each series are non-decreasing in file order."""
        tc, sc = self.time_code, self.series_code
        if len(tc) < 2:
            return True
        step = np.diff(tc)
        if (step >= 0).all():
            return True
        same = np.diff(sc) == 0
        if ((step >= 0) | ~same).all() and int((~same).sum()) + 1 == self.n_series:
            return True  # each series in one block, each block in order
        order = np.argsort(sc, kind="stable")
        tcs, scs = tc[order], sc[order]
        return bool(((np.diff(tcs) >= 0) | (np.diff(scs) != 0)).all())

    def scatter(self, values: np.ndarray, rule: str, series_code: np.ndarray | None = None,
                n_series: int | None = None) -> np.ndarray:
        """The (times x series) grid of ``values``; duplicates combined by ``rule``."""
        n = self.n_series if n_series is None else n_series
        flat = self.flat if series_code is None else self.time_code * max(n, 1) + series_code
        shape = (len(self.times), n)
        grid = np.full(shape, np.nan)
        if not self.n_duplicates:
            grid.ravel()[flat] = values
            return grid
        if rule == "mean":
            ok = ~np.isnan(values)
            sums = np.bincount(flat[ok], weights=values[ok], minlength=grid.size)
            counts = np.bincount(flat[ok], minlength=grid.size)
            with np.errstate(invalid="ignore", divide="ignore"):
                return (sums / counts).reshape(shape)
        pick = self._picked(rule, flat)
        grid.ravel()[flat[pick]] = values[pick]
        return grid

    def _picked(self, rule: str, flat: np.ndarray) -> np.ndarray:
        """Rows kept by ``first``/``last``: one per (time, series), in file order."""
        if rule not in self._pick:
            order = np.argsort(flat, kind="stable")
            sorted_flat = flat[order]
            starts = np.flatnonzero(np.r_[True, sorted_flat[1:] != sorted_flat[:-1]])
            if rule == "first":
                self._pick[rule] = order[starts]
            else:
                ends = np.r_[starts[1:] - 1, len(sorted_flat) - 1]
                self._pick[rule] = order[ends]
        return self._pick[rule]


def station_metadata(column: pd.Series, codes: np.ndarray, labels: list[str],
                     stations: pd.Series) -> str | None:
    """Why a column describes the stations (constant within each), or None when it does not.

    A column qualifies when it has a value, some station has at least two rows,
    and every station's rows hold a single value (an empty cell counts as a
    value here, so a measurement taken once per station is not metadata). A
    numeric column must also differ between stations (coordinates do; a count
    that is zero everywhere is a series).
    """
    keep = codes >= 0
    if not keep.any():
        return None
    st = codes[keep]
    per_station = np.bincount(st, minlength=len(labels))
    if per_station.max() < 2:
        return None
    vcodes, uniques = pd.factorize(column[keep], use_na_sentinel=True)
    if (vcodes < 0).all():
        return None
    if pd.api.types.is_numeric_dtype(column) and (len(labels) < 2 or len(uniques) < 2):
        return None  # one number everywhere (all zero, a stuck sensor) is a series, not metadata
    nv = len(uniques) + 1
    pairs = np.unique(st * nv + (vcodes.astype(np.int64) + 1))
    if np.bincount(pairs // nv, minlength=len(labels)).max() > 1:
        return None
    first_of: dict[int, int] = {}
    for s, v in zip(st, vcodes):
        if s not in first_of:
            first_of[int(s)] = int(v)
        if len(first_of) == len(labels):
            break
    shown = [(labels[s], "" if v < 0 else str(uniques[v])) for s, v in list(first_of.items())[:2]]
    pairs_text = ", ".join(f"{a} = {b}" for a, b in shown)
    if len(uniques) == len(labels) and (vcodes >= 0).all() and not pd.api.types.is_numeric_dtype(column):
        return f"another name of each station ({pairs_text}, ...): station metadata, not a series"
    return f"one value per station ({pairs_text}, ...): station metadata, not a series"


def to_long(frame: pd.DataFrame, flags: pd.DataFrame | None = None) -> pd.DataFrame:
    """Wide frame -> long table (``time, station, parameter, value`` [, ``flag``]).

    The station and parameter of each column come from the frame's series
    metadata (what the reader found in a long or station table), else from the
    column name (``"pH(Mun-Ui)"``). Missing values are kept as rows with NaN so
    that nothing is lost.

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
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"to_long() needs a pandas DataFrame; got {type(frame).__name__}")
    infos = series_of(frame)
    parts = []
    seen: set[tuple[str, str]] = set()
    for col in frame.columns:
        info = infos[str(col)]
        param, station = info.name, info.station or ""
        if (param, station) in seen:  # two columns would read back as one series
            param = str(col)
        seen.add((param, station))
        part = pd.DataFrame({
            "time": frame.index,
            "station": station,
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

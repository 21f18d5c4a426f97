"""The reader pipeline: decode -> header -> dates -> cells -> frame, with one ReadReport.

Every format (delimited text, Excel, Parquet, a Parquet folder) and every
in-memory frame goes the same way; only the first step differs.
"""

from __future__ import annotations

import codecs
import math
import numbers
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from ..errors import InputError, ParameterError
from ..variables import ATTRS_KEY as SERIES_KEY
from ..variables import SeriesInfo, describe, is_date_name, is_qualifier_name
from . import cells as cellmod
from .cells import CENSORED_RULES, CellPolicy, Cleaned
from .dates import (CONTENT_MATCH_MIN, NAME_MATCH_MIN, choose_date_column, date_share, normalise_unit,
                    texts_of)
from .header import clean_names, needs_cleaning
from .layouts import (_PREFIXES, STATION_ALIASES, Keys, RowNumbers, _norm, find_station_column, long_roles, looks_long,
                      series_info, series_name, station_labels, station_metadata)
from .report import ATTRS_KEY, N_ROWS_SHOWN, ReadReport, fmt_ts, plural, row_list
from .sources import (EXCEL_SUFFIXES, PARQUET_SUFFIXES, READ_SUFFIXES, TEXT_SUFFIXES, parquet_groups,
                      read_excel, read_parquet, read_parquet_folder, read_text)

__all__ = ["read", "from_frame", "read_long", "read_parts", "read_group", "to_wide"]

DUPLICATE_RULES = ("mean", "first", "last", "error")
QUALIFIER_REASON = "qualifier/flag codes (named as such), not measurements"
LAYOUTS = ("auto", "wide", "long")


@dataclass(frozen=True)
class _Options:
    date_column: str | None
    policy: CellPolicy
    duplicates: str
    layout: str
    station_column: str | bool | None
    parameter: str | None = None
    value: str | None = None


def _options(date_column: Any, censored: Any, missing_codes: Any, duplicates: Any, layout: Any,
             station_column: Any) -> _Options:
    censored = _check_option("censored", censored, CENSORED_RULES)
    duplicates = _check_option("duplicates", duplicates, DUPLICATE_RULES)
    codes = _check_missing_codes(missing_codes)
    layout = _check_option("layout", layout, LAYOUTS)
    if date_column is not None and not isinstance(date_column, str):
        raise ParameterError(f"date_column must be a column name (str); got {date_column!r}")
    if station_column is True or not (station_column is None or station_column is False
                                      or isinstance(station_column, str)):
        raise ParameterError(
            f"station_column must be a column name (str), False (no station column) or None "
            f"(detect); got {station_column!r}")
    return _Options(date_column, CellPolicy(censored, codes), duplicates, layout, station_column)


# --------------------------------------------------------------------------- entry points


def read(
    path: str | Path,
    *,
    encoding: str | None = None,
    date_column: str | None = None,
    sheet: int | str = 0,
    censored: str = "missing",
    missing_codes: Any = (-9999.0,),
    duplicates: str = "mean",
    layout: str = "auto",
    station_column: str | bool | None = None,
) -> pd.DataFrame:
    """Read a monitoring table into a time-indexed frame of float columns.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``/``.txt`` (delimited text), ``.xlsx``/``.xls`` or
        ``.parquet`` file, or a folder of Parquet files (a partitioned
        dataset such as ``station=Mun-Ui/part-0.parquet``).
    encoding : str, optional
        Text encoding of a delimited file. By default a byte-order mark
        decides (UTF-32, UTF-16, UTF-8); else strict UTF-8, then CP949
        (Korean, a superset of EUC-KR). Ignored for Excel and Parquet.
    date_column : str, optional
        The column holding the timestamps. By default: the first column with a
        date-like name (date, time, datetime, timestamp, day, 일자, 날짜, 일시,
        측정일, 측정일자, 측정일시, 시간, 조사일) at least half of whose values
        are dates, else the first column in which at least 90 % of non-empty
        cells are dates (plain numbers never count, except ``YYYYMMDD``-style
        8/12/14-digit integers, and Excel serial day numbers in a date-named
        column), else none (the frame keeps a ``RangeIndex``). A Parquet
        file's ``DatetimeIndex`` is used as is.
    sheet : int or str, default 0
        Excel sheet, by position or name.
    censored : {"missing", "limit", "half"}, default "missing"
        What a censored value such as ``<0.5`` or ``>100`` becomes: NaN, the
        limit (0.5, 100), or half the limit for ``<`` and the limit for ``>``.
    missing_codes : sequence of float, default (-9999.0,)
        Numbers that mean "no data" and become NaN. The netCDF float fill value
        9.96921e36 always does (relative tolerance 1e-6).
    duplicates : {"mean", "first", "last", "error"}, default "mean"
        What to do with rows sharing a timestamp (long and station tables:
        a timestamp and a series): average them column-wise (NaN ignored),
        keep the first or the last (in file order), or raise.
    layout : {"auto", "wide", "long"}, default "auto"
        "long" reads a tidy table with a parameter and a value column
        (``time, station, parameter, value``) into one ``"Parameter(Station)"``
        column per series. "auto" does so when the header has a parameter and
        a value column; otherwise the table is wide (split by station when it
        has a station column, see ``station_column``).
    station_column : str or False, optional
        The column naming the station (site) of each row; rows are then split
        into one series per station and variable, ``"Variable(Station)"``. By
        default a column named station, site, site_code, location, 지점,
        측정소, 측정지점, ... is used when there is one (see
        :mod:`aquaflag.io.layouts`); False turns this off.

    Returns
    -------
    pandas.DataFrame
        Index: a ``DatetimeIndex`` named after the date column, sorted
        ascending (nanosecond resolution), or a ``RangeIndex`` when no date
        column was found. Columns: one ``float64`` column per series, in file
        order. ``frame.attrs["aquaflag_read"]`` holds the :class:`ReadReport`
        (see :func:`read_report`); ``frame.attrs["aquaflag_series"]`` holds a
        :class:`aquaflag.variables.SeriesInfo` per column (variable, station,
        unit; from the table's own station/parameter columns when it has them).

    Raises
    ------
    aquaflag.errors.InputError
        Missing file, unsupported extension, undecodable text, an empty file,
        a file without data rows, without any column of numbers, or whose
        values are all missing, an unknown ``date_column``, ``station_column``
        or ``sheet``, a malformed table, or duplicate timestamps with
        ``duplicates="error"``. The message names the file (and the column or
        row) and says what to do.
    aquaflag.errors.ParameterError
        An invalid ``encoding``, ``censored``, ``duplicates``,
        ``missing_codes``, ``sheet``, ``layout``, ``station_column`` or
        ``date_column`` argument.

    Notes
    -----
    The reading policy, step by step (each step's module documents it in full):

    Formats
        By extension: ``.csv`` and ``.txt`` (delimited text), ``.xlsx``
        (openpyxl; ``.xls`` needs xlrd), ``.parquet``, or a folder of Parquet
        files. Any other extension, a missing file, a file of 0 bytes or only
        whitespace ("FILE is empty") or a header without data rows ("FILE has
        no data rows") is an :class:`~aquaflag.errors.InputError`.
    Decoding (:mod:`aquaflag.io.decode`)
        A byte-order mark decides (UTF-32 before UTF-16, UTF-8); else strict
        UTF-8, UTF-8 with an incomplete last character (dropped, with a note),
        then CP949. Never a silent fallback to latin-1. Delimiter: a comma,
        unless the header line clearly uses tabs or semicolons.
    Header (:mod:`aquaflag.io.header`)
        Names are stripped; a column without a header is ``"Unnamed: i"``; a
        repeated name is kept and renamed visibly (``"pH"``, ``"pH (2)"``),
        with a note.
    Dates (:mod:`aquaflag.io.dates`)
        See ``date_column``. ISO 8601, Korean forms (``2016. 4. 4.``,
        ``2016년 4월 4일``, 오전/오후), then other forms with a four-digit year
        (day/month order decided per column, with a note); Excel serial day
        numbers in a date-named column. Rows whose date cannot be read, or is
        empty, are removed and reported. Timestamps with different UTC offsets
        are converted to UTC.
    Cells (:mod:`aquaflag.io.cells`)
        Numeric columns are kept as ``float64``. Text cells are cleaned:
        surrounding whitespace is removed; missing-value markers (``ND``,
        ``N.D.``, ``-``, ``--``, ``NA``, ``N/A``, ``#N/A``, ``NaN``, ``NULL``,
        ``None``, ``불검출``, ``결측``, ``미측정``, ``欠測``,
        ``<LOQ``/``<LOD``/``정량한계미만``/``검출한계미만`` without a number,
        blank cells; any case) become NaN; ``1,234`` is 1234 and ``7,5`` is
        7.5 as the column (or file) shows its commas are meant, reported;
        censored values (``<0.5``, ``< 0.5``, ``>100``, ``<LOQ 0.5``) follow
        ``censored``; anything else (and ``inf``) becomes NaN. Integers beyond
        ±2**53 are read as the nearest float64, reported. A column in which
        fewer than half of the non-missing cells are numbers (censored values
        count as numbers) is not a value column: it is skipped, with the reason
        in the report. So is a column without a header and without values (a
        trailing delimiter), and a qualifier/flag-code column (``temp_qual``,
        ``pH_flag``; see :func:`aquaflag.variables.is_qualifier_name`); a
        column with a header but no values is kept, all NaN, and reported.
    Missing codes
        Numbers equal to one of ``missing_codes`` (default -9999, the usual
        logger no-data code) or to the netCDF float fill value 9.96921e36
        (relative tolerance 1e-6) become NaN.
    Layouts (:mod:`aquaflag.io.layouts`)
        Long and station-column tables become one column per series; columns
        that are constant within each station are station metadata, not
        series, and are reported as such.
    Order and duplicates
        Rows are sorted by time (stable) when they are not in order (equal
        timestamps are not disorder). Rows sharing a timestamp (and series) are
        combined by ``duplicates``: ``"mean"`` (column-wise, NaN ignored),
        ``"first"``, ``"last"`` (in file order) or ``"error"``.
    Report
        Every skipped column, every renamed header, every cell set to NaN (by
        kind and column), censored values, removed rows (with file row numbers:
        the header is row 1, so the first data row is row 2, as in a text
        editor or Excel; for Parquet the first row is row 1), duplicates and
        sorting are recorded in the :class:`ReadReport`. Empty cells are
        ordinary missing values and are not counted; cells that become NaN for
        any other reason are. Counts refer to the rows kept after removing rows
        without a valid date, before duplicates are combined.
        ``read_report(frame).messages()`` lists them in plain words.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = pathlib.Path(tmp.name) / "munui.csv"
    >>> text = "측정일자,수온,pH,비고\\n2024-01-08,4.1,ND,맑음\\n2024-01-01,3.9,<7.0,흐림\\n"
    >>> _ = path.write_text(text, encoding="cp949")
    >>> frame = read(path, censored="limit")
    >>> frame
                 수온   pH
    측정일자
    2024-01-01  3.9  7.0
    2024-01-08  4.1  NaN
    >>> from aquaflag.io import read_report
    >>> report = read_report(frame)
    >>> report.encoding, report.date_column, report.counts("pH")
    ('cp949', '측정일자', {'missing_tokens': 1, 'missing_codes': 0, 'censored': 1, 'unparsed': 0})
    >>> for line in report.messages():
    ...     print(line)
    rows were not in time order; sorted by '측정일자'
    비고: skipped, text column (2 of 2 values are not numbers, e.g. '맑음', '흐림')
    pH: 1 missing-value marker (e.g. 'ND') read as missing
    pH: 1 censored value (e.g. '<7.0') kept at the limit (censored='limit')

    A table with a station column gives one series per station:

    >>> _ = path.write_text("date,station,수온\\n2024-01-01,문의,3.9\\n2024-01-01,추동,4.2\\n",
    ...                     encoding="utf-8")
    >>> read(path)
                수온(문의)  수온(추동)
    date
    2024-01-01     3.9     4.2
    >>> tmp.cleanup()
    """
    opts = _options(date_column, censored, missing_codes, duplicates, layout, station_column)
    if encoding is not None:
        encoding = _check_encoding(encoding)
    if isinstance(sheet, bool) or not isinstance(sheet, (int, str)):
        raise ParameterError(f"sheet must be a sheet number or name; got {sheet!r}")
    name = str(path)
    p = Path(path)
    report = ReadReport(
        path=name, format="csv", censored_rule=opts.policy.censored, duplicates_rule=opts.duplicates,
        missing_code_values=list(opts.policy.missing_codes),
    )
    if p.is_dir():
        raw = read_parquet_folder(p, name, report)
    else:
        suffix = p.suffix.lower()
        if suffix not in READ_SUFFIXES:
            raise InputError(
                f"{name}: unsupported file type {p.suffix or '(no extension)'!r}; "
                f"aquaflag reads {', '.join(READ_SUFFIXES)}"
            )
        if not p.exists():
            raise InputError(f"{name}: file not found")
        if not p.is_file():
            raise InputError(f"{name}: not a file")
        if p.stat().st_size == 0:
            raise InputError(f"{name} is empty")
        if suffix in TEXT_SUFFIXES:
            raw = read_text(p, name, encoding, report)
        elif suffix in EXCEL_SUFFIXES:
            raw = read_excel(p, name, sheet, report)
        else:
            assert suffix in PARQUET_SUFFIXES
            raw = read_parquet(p, name, report)
    table, raw_names, first_row = raw
    frame = _build(table, raw_names, first_row, name, report, opts)
    _require_values(frame, name, report)
    return frame


def read_parts(path: str | Path, **kwargs: Any):
    """Read a Parquet folder one top-level partition at a time, through the same pipeline.

    Yields ``(partition, frame)``: e.g. ``("station=Mun-Ui", frame)`` for each
    ``station=.../`` folder (partition keys become columns as in :func:`read`),
    so a national network stored as a partitioned dataset is read in pieces of
    bounded size (:mod:`aquaflag.stream`). Arguments as for :func:`read`; a
    single file gives one part.
    """
    p = Path(path)
    if not p.is_dir():
        yield p.name, read(p, **kwargs)
        return
    groups = parquet_groups(p)
    if not groups:
        raise InputError(f"{p}: not a file, and not a Parquet dataset folder (no .parquet files inside)")
    for key, files in groups:
        yield key, _read_files(p, key, files, **kwargs)


def read_group(path: str | Path, key: str, **kwargs: Any) -> pd.DataFrame:
    """One top-level partition ``key`` of a Parquet folder (see :func:`read_parts`)."""
    p = Path(path)
    files = dict(parquet_groups(p)).get(key)
    if files is None:
        raise InputError(f"{p}: no partition {key!r}")
    return _read_files(p, key, files, **kwargs)


def _read_files(p: Path, key: str, files: list[Path], **kwargs: Any) -> pd.DataFrame:
    for unused in ("encoding", "sheet"):  # (text and Excel only)
        kwargs.pop(unused, None)
    opts = _options(kwargs.pop("date_column", None), kwargs.pop("censored", "missing"),
                    kwargs.pop("missing_codes", (-9999.0,)), kwargs.pop("duplicates", "mean"),
                    kwargs.pop("layout", "auto"), kwargs.pop("station_column", None))
    if kwargs:
        raise ParameterError(f"read_parts has no parameter {sorted(kwargs)[0]!r}")
    name = f"{p} [{key}]"
    report = ReadReport(path=name, format="parquet dataset", censored_rule=opts.policy.censored,
                        duplicates_rule=opts.duplicates,
                        missing_code_values=list(opts.policy.missing_codes))
    table, raw_names, first_row = read_parquet_folder(p, name, report, files)
    frame = _build(table, raw_names, first_row, name, report, opts)
    _require_values(frame, name, report)
    return frame


def read_long(path: str | Path, **kwargs: Any) -> pd.DataFrame:
    """:func:`read` with ``layout="long"``: a tidy ``time, station, parameter, value`` file."""
    return read(path, layout="long", **kwargs)


def from_frame(
    frame: pd.DataFrame | pd.Series,
    *,
    date_column: str | None = None,
    censored: str = "missing",
    missing_codes: Any = (-9999.0,),
    duplicates: str = "mean",
    layout: str = "auto",
    station_column: str | bool | None = None,
    name: str = "<frame>",
) -> tuple[pd.DataFrame, ReadReport]:
    """The reader's header -> dates -> cells -> layout steps on an in-memory frame.

    For a frame from plain ``pd.read_csv`` (text cells, a date column), or any
    frame handed to aquaflag: the same policy as :func:`read`, the same report.
    The caller's frame is never modified.

    Parameters
    ----------
    frame : DataFrame or Series
        The data. A ``DatetimeIndex`` is the time axis; any other index that
        holds dates (by its name or its content, as for a column) becomes one;
        an index that is neither dates nor a ``RangeIndex`` is kept as it is
        (rows are then neither removed nor reordered).
    date_column, censored, missing_codes, duplicates, layout, station_column
        As for :func:`read`.
    name : str, default "<frame>"
        What messages call the frame. Rows are numbered by position from 0.

    Returns
    -------
    frame : DataFrame
        As :func:`read` returns. A frame that already has a ``DatetimeIndex``
        (sorted, unique, no NaT) or a ``RangeIndex``, unique clean string
        column names and only ``float64`` columns without infinities or
        missing codes passes through cheaply: a shallow copy sharing the
        caller's values (no copy of the data), with any report already attached
        kept.
    report : ReadReport
        Also in ``frame.attrs["aquaflag_read"]``.

    Raises
    ------
    aquaflag.errors.InputError
        Not a frame, no rows, no column of numbers, an unknown date or station
        column, duplicates with ``duplicates="error"``.
    aquaflag.errors.ParameterError
        An invalid argument.

    Examples
    --------
    >>> raw = pd.DataFrame({"Date": ["2024-01-08", "2024-01-01"], "pH": ["7.1", "<7.0"]})
    >>> frame, report = from_frame(raw, censored="limit")
    >>> frame
                 pH
    Date
    2024-01-01  7.0
    2024-01-08  7.1
    >>> report.censored, report.was_sorted
    ({'pH': 1}, True)
    >>> clean = frame.copy()
    >>> same, _ = from_frame(clean)
    >>> np.shares_memory(same["pH"].to_numpy(), clean["pH"].to_numpy())
    True
    """
    opts = _options(date_column, censored, missing_codes, duplicates, layout, station_column)
    if not isinstance(name, str):
        raise ParameterError(f"name must be a str; got {name!r}")
    if isinstance(frame, pd.Series):
        frame = frame.to_frame(name=frame.name if frame.name is not None else "value")
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"{name}: from_frame() needs a pandas DataFrame or Series; got {type(frame).__name__}"
        )
    if isinstance(frame.columns, pd.MultiIndex):
        raise InputError(f"{name}: columns with several levels (a MultiIndex) are not supported; "
                         "join the levels into one name per column first")
    attrs = dict(getattr(frame, "attrs", {}) or {})
    earlier = attrs.get(ATTRS_KEY) if isinstance(attrs.get(ATTRS_KEY), ReadReport) else None
    given = attrs.get(SERIES_KEY) if isinstance(attrs.get(SERIES_KEY), dict) else None
    if _passes_through(frame, opts):
        out = frame.copy(deep=False)
        if isinstance(out.index, pd.DatetimeIndex) and out.index.unit != "ns":
            try:  # the index only (not the values): nanoseconds, as read() gives
                out.index = out.index.as_unit("ns")
            except (OverflowError, ValueError):  # dates beyond 2262: keep the unit
                pass
        report = earlier
        if report is None:
            report = ReadReport(
                path=name, format="frame", censored_rule=opts.policy.censored,
                duplicates_rule=opts.duplicates, missing_code_values=list(opts.policy.missing_codes),
                n_rows=len(frame), columns=[str(c) for c in frame.columns],
                date_column=(_index_label(frame.index) if isinstance(frame.index, pd.DatetimeIndex)
                             else None),
            )
        infos = describe(frame.columns, given=given)
        out.attrs = {**attrs, ATTRS_KEY: report, SERIES_KEY: infos}
        return out, report
    report = ReadReport(
        path=name, format="frame", censored_rule=opts.policy.censored, duplicates_rule=opts.duplicates,
        missing_code_values=list(opts.policy.missing_codes), earlier=earlier,
    )
    table = frame.copy(deep=False)
    table.attrs = {}
    out = _build(table, list(frame.columns), 0, name, report, opts, frame_mode=True, given=given)
    if not len(out.columns):
        _require_values(out, name, report)
    other = {k: v for k, v in attrs.items() if k not in (ATTRS_KEY, SERIES_KEY)}
    out.attrs = {**other, **out.attrs}
    return out, report


def to_wide(long: pd.DataFrame, *, time: str | None = None, station: str | bool | None = None,
            parameter: str | None = None, value: str | None = None, duplicates: str = "mean",
            censored: str = "missing", missing_codes: Any = (-9999.0,)) -> pd.DataFrame:
    """Long table -> wide frame with one ``"Parameter(Station)"`` column per series.

    The reader's pipeline with ``layout="long"`` (see :func:`from_frame`):
    column roles are found by name (English or Korean: ``time/datetime/일시``,
    ``station/site/지점``, ``parameter/variable/항목``, ``value/값``) unless
    given; rows sharing (time, station, parameter) are combined by
    ``duplicates``; the index is the sorted union of the timestamps.

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
    if not isinstance(long, pd.DataFrame):
        raise InputError(f"to_wide() needs a pandas DataFrame; got {type(long).__name__}")
    opts = _options(time, censored, missing_codes, duplicates, "long", station)
    opts = replace(opts, parameter=parameter, value=value)
    name = "<long table>"
    report = ReadReport(path=name, format="frame", censored_rule=opts.policy.censored,
                        duplicates_rule=opts.duplicates,
                        missing_code_values=list(opts.policy.missing_codes))
    table = long.copy(deep=False)
    table.attrs = {}
    return _build(table, list(long.columns), 0, name, report, opts, frame_mode=True)


# --------------------------------------------------------------------------- the steps


def _build(table: pd.DataFrame, raw_names: list[Any], first_row: int, name: str, report: ReadReport,
           opts: _Options, *, frame_mode: bool = False,
           given: dict[str, SeriesInfo] | None = None) -> pd.DataFrame:
    """Header -> dates -> cells -> layout -> order: the steps shared by every source."""
    # The index: a DatetimeIndex is the date column; other indexes become columns
    # (a frame's non-date index is kept aside and put back).
    index_dates: pd.Series | None = None
    index_label: Any = None
    kept_index: pd.Index | None = None
    if isinstance(table.index, pd.DatetimeIndex) and (
        opts.date_column is None or opts.date_column == str(table.index.name)
    ):
        index_label = table.index.name
        index_dates = pd.Series(table.index, dtype=table.index.dtype)
        table = table.reset_index(drop=True)
    elif not isinstance(table.index, pd.RangeIndex):
        if frame_mode and not _index_holds_dates(table.index, opts.date_column):
            kept_index = table.index
            table = table.reset_index(drop=True)
        else:
            index = table.index
            levels = [n if n is not None else ("index" if index.nlevels == 1 else f"level_{i}")
                      for i, n in enumerate(index.names)]
            front = pd.DataFrame({f"\x01{i}": index.get_level_values(i) for i in range(index.nlevels)})
            table = pd.concat([front, table.reset_index(drop=True)], axis=1)
            raw_names = levels + list(raw_names)
    elif frame_mode and (table.index.start != 0 or table.index.step != 1):
        kept_index = table.index
        table = table.reset_index(drop=True)

    # Header.
    names, renamed = clean_names(raw_names)
    table = table.set_axis(names, axis=1)
    report.renamed = renamed
    rows = RowNumbers(len(table), first_row)

    # Entirely empty rows (blank lines, rows of bare delimiters): files only.
    if not frame_mode and len(table):
        blank = np.ones(len(table), dtype=bool)
        for col in table.columns:  # column by column: no table-sized temporary
            blank &= table[col].isna().to_numpy()
            if not blank.any():
                break
        if index_dates is not None:
            blank &= index_dates.isna().to_numpy()
        if blank.any():
            report.blank_rows = int(blank.sum())
            keep = ~blank
            table = table.loc[keep].reset_index(drop=True)
            rows = rows.kept(keep)
            if index_dates is not None:
                index_dates = index_dates[keep].reset_index(drop=True)
    report.n_rows = len(table)
    if len(table) == 0:
        raise InputError(f"{name} has no data rows")

    # Layout and dates.
    long = opts.layout == "long" or (opts.layout == "auto" and looks_long(list(table.columns)))
    roles: dict[str, str | None] = {}
    source: pd.Series | None = None  # the date column as read, for examples
    if long:
        report.layout = "long"
        roles = long_roles(list(table.columns), name, time=None, station=False,
                           parameter=opts.parameter, value=opts.value)
    exclude = tuple(r for r in (roles.get("parameter"), roles.get("value"), roles.get("unit")) if r)
    if index_dates is not None:
        dates: pd.Series | None = normalise_unit(index_dates)
        report.date_column = "index" if index_label is None else str(index_label)
        date_col = None
    else:
        wanted = opts.date_column
        if long and wanted is None and roles.get("time") is not None:
            wanted = roles["time"]
        date_col, dates = choose_date_column(table, name, wanted, report, exclude=exclude)
        report.date_column = date_col
        if date_col is not None:
            source = table[date_col]
    if long and dates is None:
        raise InputError(
            f"{name}: long table has no time column; name it 'time' or pass date_column=... "
            f"(columns: {', '.join(map(str, table.columns))})"
        )
    taken = tuple(c for c in (date_col, *exclude) if c)
    station = find_station_column(table, name, opts.station_column, exclude=taken)
    if long:
        roles["station"] = station

    if dates is not None:
        bad = dates.isna().to_numpy()
        if bad.any():
            report.bad_dates = int(bad.sum())
            report.bad_date_rows = [int(r) for r in rows.numbers(bad)[:N_ROWS_SHOWN]]
            if source is not None:
                report.bad_date_examples = _distinct(texts_of(source[bad]))
            keep = ~bad
            table = table.loc[keep].reset_index(drop=True)
            rows = rows.kept(keep)
            dates = dates[keep].reset_index(drop=True)
            if len(table) == 0:
                raise InputError(
                    f"{name}: no row has a valid date in {report.date_column!r}; name the date "
                    "column with date_column=... (CLI: --date-column)"
                )
    value_cols = [c for c in table.columns if c != date_col]
    index_name = index_label if index_dates is not None else date_col

    if long:
        frame, infos = _long(table, roles, dates, rows, name, report, opts, index_name)
    elif station is not None:
        report.layout = "station"
        report.station_column = station
        value_cols = [c for c in value_cols if c != station]
        frame, infos = _station(table, station, value_cols, dates, rows, name, report, opts,
                                index_name, kept_index)
    else:
        frame, infos = _wide(table, value_cols, dates, rows, name, report, opts, index_name,
                             kept_index, given)
    frame.attrs = {ATTRS_KEY: report, SERIES_KEY: infos}
    return frame



def _clean_columns(table: pd.DataFrame, columns: list[str], report: ReadReport,
                   opts: _Options) -> list[Cleaned]:
    """The cell policy over value columns; commas decided per column with the file's evidence."""
    prepared = []
    done: dict[str, Cleaned] = {}
    for col in columns:
        column = table[col]
        if col.startswith("Unnamed: ") and report.renamed.get(col) == "" and column.isna().all():
            done[col] = Cleaned(col, None, skip="no header and no values (e.g. a trailing delimiter)")
            continue
        prep = cellmod.prepare(column, col)
        if prep.skip is None and is_qualifier_name(report.renamed.get(col) or col):
            done[col] = Cleaned(col, None, skip=QUALIFIER_REASON)
        else:
            prepared.append(prep)
    file_default = cellmod.file_decimal_comma(prepared, report.delimiter)
    for prep in prepared:
        done[prep.name] = cellmod.finish(
            prep, opts.policy, decimal_comma=cellmod.column_decimal_comma(prep, file_default))
    return [done[c] for c in columns]


def _info(column: str, variable_name: str, report: ReadReport,
          given: dict[str, SeriesInfo] | None) -> SeriesInfo:
    """Series metadata of a wide column: what the caller attached, else what its name says."""
    if given and isinstance(given.get(column), SeriesInfo):
        return replace(given[column], column=column)
    original = report.renamed.get(column)
    base = describe([original or column])[original or column]
    return replace(base, column=column)


def _wide(table: pd.DataFrame, value_cols: list[str], dates: pd.Series | None, rows: RowNumbers,
          name: str, report: ReadReport, opts: _Options, index_name: Any,
          kept_index: pd.Index | None, given: dict[str, SeriesInfo] | None
          ) -> tuple[pd.DataFrame, dict[str, SeriesInfo]]:
    data: dict[str, np.ndarray] = {}
    infos: dict[str, SeriesInfo] = {}
    for cleaned in _clean_columns(table, value_cols, report, opts):
        if cleaned.skip is not None:
            report.skipped[cleaned.name] = cleaned.skip
            continue
        assert cleaned.values is not None
        data[cleaned.name] = cleaned.values
        report.columns.append(cleaned.name)
        cleaned.record(report, [cleaned.name])
        if np.isnan(cleaned.values).all():
            report.all_missing.append(cleaned.name)
        infos[cleaned.name] = _info(cleaned.name, cleaned.name, report, given)
    frame = _assembled(data, dates, kept_index, len(table), index_name)
    if dates is not None:
        frame = _order_and_combine(frame, rows, name, report, opts.duplicates)
    return frame, infos


def _station(table: pd.DataFrame, station: str, value_cols: list[str], dates: pd.Series | None,
             rows: RowNumbers, name: str, report: ReadReport, opts: _Options, index_name: Any,
             kept_index: pd.Index | None) -> tuple[pd.DataFrame, dict[str, SeriesInfo]]:
    codes, labels = station_labels(table[station])
    missing = codes < 0
    if missing.all():
        raise InputError(f"{name}: station column {station!r} is empty; name another with "
                         "station_column=... or pass station_column=False")
    if missing.any():
        report.note(f"{plural(int(missing.sum()), 'row')} removed: no station in {station!r} "
                    f"({row_list([int(r) for r in rows.numbers(missing)[:N_ROWS_SHOWN]], int(missing.sum()))})")
        keep = ~missing
        table = table.loc[keep].reset_index(drop=True)
        rows, codes = rows.kept(keep), codes[keep]
        dates = None if dates is None else dates[keep].reset_index(drop=True)
    if dates is None and len(labels) > 1:
        raise InputError(
            f"{name}: {len(labels)} stations in {station!r} ({', '.join(labels[:3])}"
            f"{', ...' if len(labels) > 3 else ''}) but no date column to line their rows up; "
            "pass date_column=... (CLI: --date-column), or station_column=False to read the "
            "table as it is"
        )
    report.stations = list(labels)
    keys = None
    if dates is not None:
        keys = Keys.build(dates, codes, len(labels), rows)
        keys.check(report, opts.duplicates, name, report.date_column, labels)
    data: dict[str, np.ndarray] = {}
    infos: dict[str, SeriesInfo] = {}
    stations = table[station]
    for cleaned in _clean_columns(table, value_cols, report, opts):
        col = cleaned.name
        reason = None
        if (cleaned.skip is not None and cleaned.skip.startswith("text column")) or (
                cleaned.skip is None and table[col].notna().all()):
            reason = station_metadata(table[col], codes, labels, stations)
        if reason is not None:
            report.skipped[col] = reason
            continue
        if cleaned.skip is not None:
            report.skipped[col] = cleaned.skip
            continue
        assert cleaned.values is not None
        variable = report.renamed.get(col) or col
        names = [series_name(col, lab) for lab in labels] if len(labels) > 1 else [col]
        grid = (keys.scatter(cleaned.values, opts.duplicates) if keys is not None
                else cleaned.values[:, None])
        for k, series in enumerate(names):
            data[series] = grid[:, k]
            report.columns.append(series)
            infos[series] = series_info(series, variable, labels[k])
            if np.isnan(grid[:, k]).all():
                report.all_missing.append(series)
        cleaned.record(report, names, codes)
    frame = _assembled(data, None if keys is None else keys.times, kept_index, len(table), index_name)
    return frame, infos


def _long(table: pd.DataFrame, roles: dict[str, str | None], dates: pd.Series | None,
          rows: RowNumbers, name: str, report: ReadReport, opts: _Options, index_name: Any
          ) -> tuple[pd.DataFrame, dict[str, SeriesInfo]]:
    assert dates is not None
    param_col, value_col = roles["parameter"], roles["value"]
    station_col, unit_col = roles.get("station"), roles.get("unit")
    assert param_col is not None and value_col is not None
    report.station_column = station_col
    used = {report.date_column, param_col, value_col, station_col, unit_col}
    for col in table.columns:
        if col not in used:
            report.skipped[col] = (QUALIFIER_REASON
                                   if is_qualifier_name(report.renamed.get(col) or col)
                                   else "not part of the long layout (time, station, parameter, value)")
    p_codes, p_labels = station_labels(table[param_col])
    missing = p_codes < 0
    if missing.all():
        raise InputError(f"{name}: parameter column {param_col!r} is empty; every row needs the "
                         "name of what was measured")
    if station_col is not None:
        s_codes, s_labels = station_labels(table[station_col])
    else:
        s_codes, s_labels = np.full(len(table), -1, dtype=np.int64), []
    if missing.any():
        report.note(f"{plural(int(missing.sum()), 'row')} removed: no parameter in {param_col!r} "
                    f"({row_list([int(r) for r in rows.numbers(missing)[:N_ROWS_SHOWN]], int(missing.sum()))})")
        keep = ~missing
        table = table.loc[keep].reset_index(drop=True)
        rows, p_codes, s_codes = rows.kept(keep), p_codes[keep], s_codes[keep]
        dates = dates[keep].reset_index(drop=True)
    if station_col is not None and (s_codes < 0).any():
        report.note(f"{plural(int((s_codes < 0).sum()), 'row')} without a station in "
                    f"{station_col!r}: their series are named without one")
    width = len(s_labels) + 1
    series_code, pairs = pd.factorize(p_codes * width + (s_codes + 1))
    series_code = series_code.astype(np.int64)
    pairs = np.asarray(pairs, dtype=np.int64)
    params = [p_labels[p // width] for p in pairs]
    stations = [s_labels[p % width - 1] if p % width else None for p in pairs]
    names = [series_name(p, s) for p, s in zip(params, stations)]
    names, dup_renamed = clean_names(names)  # "pH(A)" from two spellings: keep both, visibly
    for new, old in dup_renamed.items():
        report.renamed[new] = old
    units = _units(table[unit_col], series_code, len(names), name, report) if unit_col else None

    cleaned = _clean_columns(table, [value_col], report, opts)[0]
    if cleaned.skip is not None:
        raise InputError(f"{name}: the value column {value_col!r} holds no numbers "
                         f"({cleaned.skip}); name the right one with value=...")
    assert cleaned.values is not None
    keys = Keys.build(dates, series_code, len(names), rows)
    keys.check(report, opts.duplicates, name, report.date_column, names)
    grid = keys.scatter(cleaned.values, opts.duplicates)
    cleaned.record(report, names, series_code)
    data: dict[str, np.ndarray] = {}
    infos: dict[str, SeriesInfo] = {}
    for k, series in enumerate(names):
        data[series] = grid[:, k]
        report.columns.append(series)
        infos[series] = series_info(series, params[k], stations[k], None if units is None else units[k])
        if np.isnan(grid[:, k]).all():
            report.all_missing.append(series)
    frame = pd.DataFrame(data, index=pd.DatetimeIndex(keys.times, name=index_name),
                         columns=list(data))
    return frame, infos


def _units(column: pd.Series, series_code: np.ndarray, n: int, name: str,
           report: ReadReport) -> list[str | None]:
    """Each series' unit from a long table's unit column (the first given; a note if it varies)."""
    u_codes, u_labels = station_labels(column)
    out: list[str | None] = [None] * n
    has = u_codes >= 0
    if not has.any():
        return out
    pairs = np.unique(series_code[has] * (len(u_labels) + 1) + u_codes[has])
    per_series = np.bincount(pairs // (len(u_labels) + 1), minlength=n)
    for p in pairs:
        s = int(p // (len(u_labels) + 1))
        if out[s] is None:
            out[s] = u_labels[int(p % (len(u_labels) + 1))]
    varying = np.flatnonzero(per_series > 1)
    if len(varying):
        report.note(f"{plural(len(varying), 'series')} of {name} have more than one unit in "
                    f"{column.name!r}; the first is recorded (values are not converted)")
    return out


def _order_and_combine(frame: pd.DataFrame, rows: RowNumbers, name: str, report: ReadReport,
                       rule: str) -> pd.DataFrame:
    """Sort by time (stable) and handle rows sharing a timestamp (wide layout)."""
    index = frame.index
    assert isinstance(index, pd.DatetimeIndex)  # called on a frame indexed by the dates read
    dup_all = index.duplicated(keep=False)
    if dup_all.any():
        report.duplicates = int(dup_all.sum())
        report.duplicate_timestamps = int(pd.Index(index[dup_all]).nunique())
        if rule == "error":
            first = index[np.flatnonzero(dup_all)[0]]
            where = rows.numbers(np.asarray(index == first))
            raise InputError(
                f"{name}: duplicate timestamp {fmt_ts(first)} in {report.date_column!r} "
                f"(rows {', '.join(map(str, where[:N_ROWS_SHOWN]))}"
                f"{', ...' if len(where) > N_ROWS_SHOWN else ''}); "
                f"{plural(report.duplicates, 'row')} share "
                f"{plural(report.duplicate_timestamps, 'timestamp')}; "
                "pass duplicates='mean', 'first' or 'last' (CLI: --duplicates)"
            )
    if not index.is_monotonic_increasing:  # equal neighbours are in order: duplicates, not disorder
        report.was_sorted = True
        order = np.argsort(index.asi8, kind="stable")
        frame = frame.iloc[order]
    if report.duplicates:
        if rule == "mean":
            frame = _mean_of_duplicates(frame)
        else:
            # rule was checked against DUPLICATE_RULES by _options: "first" or "last" here
            frame = frame[~frame.index.duplicated(keep=cast(Literal["first", "last"], rule))]
    return frame


def _assembled(data: dict, times: Any, kept_index: pd.Index | None, n_rows: int, index_name: Any
               ) -> pd.DataFrame:
    """The value columns ``data`` as a frame: on ``times`` (a DatetimeIndex) when the table
    has dates, else on the index the input came with, else on row numbers."""
    if times is not None:
        index: pd.Index = pd.DatetimeIndex(times, name=index_name)
    elif kept_index is not None:
        index = kept_index
    else:
        index = pd.RangeIndex(n_rows)
    frame = pd.DataFrame(data, index=index, columns=list(data))
    return frame if data else frame.astype(np.float64)


def _mean_of_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sharing a timestamp averaged column-wise (NaN ignored), without overflow.

    The values are finite here (infinite cells were set to missing), so their mean is
    finite; the sum pandas divides can overflow near the float64 limit (pandas then gives
    NaN or inf). Those cells are recomputed as the sum of ``x / n``: each term at most the
    largest value over ``n``.
    """
    groups = frame.groupby(level=0, sort=False)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = groups.mean()
    overflowed = ~np.isfinite(mean.to_numpy()) & (groups.count().to_numpy() > 0)
    if overflowed.any():
        share = frame / groups.transform("count")
        safe = share.groupby(level=0, sort=False).sum(min_count=1)
        mean = mean.where(~overflowed, safe)
    return mean


def _require_values(frame: pd.DataFrame, name: str, report: ReadReport) -> None:
    """A file without a value column, or whose values are all missing, is an error, not a result."""
    if not len(frame.columns):
        found = "; ".join(f"{c}: {why}" for c, why in list(report.skipped.items())[:4])
        more = "; ..." if len(report.skipped) > 4 else ""
        what = f" ({found}{more})" if found else ""
        date = f" besides the date column {report.date_column!r}" if report.date_column else ""
        raise InputError(
            f"{name}: no column of numbers to check{date}{what}; aquaflag needs at least one "
            "column of measurements (name a column with date_column=... if the dates were taken "
            "for values)"
        )
    if report.format != "frame" and report.all_missing and len(report.all_missing) == len(frame.columns):
        kinds = [k for k in ("missing_tokens", "missing_codes", "censored", "unparsed")
                 if getattr(report, k)]
        why = f" (cells held: {', '.join(k.replace('_', ' ') for k in kinds)})" if kinds else ""
        hint = " or pass censored='limit'" if report.censored else ""
        raise InputError(
            f"{name}: no values left after cleaning: every cell of "
            f"{', '.join(map(repr, frame.columns[:4]))}{', ...' if len(frame.columns) > 4 else ''} "
            f"is missing{why}; check the file{hint}"
        )


def _passes_through(frame: pd.DataFrame, opts: _Options) -> bool:
    """Whether a frame is already what the reader returns (checked without copying values)."""
    index = frame.index
    if opts.layout == "long" or len(frame) == 0:
        return False
    if isinstance(index, pd.DatetimeIndex):
        if opts.date_column is not None and opts.date_column != index.name:
            return False
        if index.hasnans or not index.is_monotonic_increasing or not index.is_unique:
            return False
    elif isinstance(index, pd.RangeIndex):
        if opts.date_column is not None or index.start != 0 or index.step != 1:
            return False
    else:
        return False
    columns = list(frame.columns)
    if needs_cleaning(columns) or not columns:
        return False
    if any(dtype != np.float64 for dtype in frame.dtypes):
        return False
    if opts.layout == "auto" and looks_long(columns):
        return False
    aliases = {_norm(a) for a in STATION_ALIASES}
    for col in columns:
        norm = _norm(col)
        if opts.station_column is not False and (
                norm in aliases or any(norm.startswith(_norm(p) + " ") for p in _PREFIXES)):
            return False
        if is_qualifier_name(col) or (isinstance(index, pd.RangeIndex) and is_date_name(col)):
            return False
    for col in columns:
        values = frame[col].to_numpy()
        if np.isinf(values).any() or cellmod._coded(values, opts.policy.missing_codes).any():
            return False
    return True


def _index_holds_dates(index: pd.Index, date_column: str | None) -> bool:
    """Whether a frame's (non-Range, non-Datetime) index is its date column."""
    if index.nlevels != 1:
        return False
    label = index.name
    if date_column is not None:
        return date_column == label
    column = pd.Series(index.to_numpy(copy=False))
    if label is not None and is_date_name(label):
        return date_share(column, allow_digits=True, allow_serial=True) >= NAME_MATCH_MIN
    return date_share(column, allow_digits=False) >= CONTENT_MATCH_MIN


def _index_label(index: pd.Index) -> str:
    return "index" if index.name is None else str(index.name)


def _distinct(texts: pd.Series) -> list[str]:
    return [str(t) for t in pd.unique(texts.dropna().to_numpy())[:3]]


def _check_option(param: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ParameterError(f"{param} must be one of {choices}; got {value!r}")
    return value


def _check_missing_codes(codes: Any) -> tuple[float, ...]:
    if codes is None:
        return ()
    if isinstance(codes, numbers.Real) and not isinstance(codes, bool):
        codes = (codes,)
    if isinstance(codes, (str, bytes)) or not hasattr(codes, "__iter__"):
        raise ParameterError(f"missing_codes must be a sequence of numbers; got {codes!r}")
    out = []
    for code in codes:
        if isinstance(code, bool) or not isinstance(code, numbers.Real) or not math.isfinite(code):
            raise ParameterError(f"missing_codes must be finite numbers; got {code!r}")
        out.append(float(code))
    return tuple(out)


def _check_encoding(encoding: Any) -> str:
    if not isinstance(encoding, str):
        raise ParameterError(f"encoding must be an encoding name such as 'cp949'; got {encoding!r}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ParameterError(
            f"encoding must be a known text encoding (e.g. 'utf-8', 'cp949', 'euc-kr'); got {encoding!r}"
        ) from None
    return encoding

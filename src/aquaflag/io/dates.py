"""Dates: which column holds the timestamps, and how its cells are read (the one date path).

Policy
------
Which column
    ``date_column`` if given. Otherwise the first column whose name contains a
    date word (date, time, datetime, timestamp, day; 일자, 날짜, 일시, 측정일,
    측정일자, 측정일시, 시간, 조사일) and at least half of whose values are
    dates; else the first column in which at least 90 % of the non-empty cells
    are dates. Plain numbers are never taken as dates, except 8-, 12- and
    14-digit integers in ``YYYYMMDD[HHMM[SS]]`` form and, in a column named as
    a date (or given as ``date_column``), Excel serial day numbers: when every
    number in the column lies between 18264 and 73050 (1950-01-01 …
    2099-12-31), it is read as days since 1899-12-30 (Excel's 1900 date
    system), with a note.
How cells are read
    ISO 8601 (``-``, ``/`` or ``.`` separators), then Korean forms
    (``2016. 4. 4.``, ``2016년 4월 4일``, a weekday such as ``(월)``,
    오전/오후), then any other form dateutil understands that contains a
    four-digit year (day/month order: day first when some first field exceeds
    12, else month first, with a note). Timestamps with different UTC offsets
    are converted to UTC. Dates outside 1678 … 2261 (what nanosecond
    timestamps hold) cannot be read. A column that is entirely ISO 8601 text
    takes a fast path (one vectorised parse).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..variables import is_date_name
from .report import N_EXAMPLES, ReadReport, examples

__all__ = ["choose_date_column", "parse_dates", "date_share", "texts_of", "as_string",
           "normalise_unit", "PLAIN_NUMBER_RE"]

PLAIN_NUMBER_RE = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_DIGIT_DATE_FORMATS = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
_YEAR_RE = r"(?:^|[^0-9])(?:1[89]|2[01])[0-9][0-9](?:[^0-9]|$)"  # no look-arounds: Arrow's RE2
_MIN_TS = pd.Timestamp("1678-01-01")
_MAX_TS = pd.Timestamp("2261-12-31")
NAME_MATCH_MIN = 0.5
CONTENT_MATCH_MIN = 0.9
_SAMPLE = 1000

#: Excel's 1900 date system counts days from here (1900-02-29, which never was, included).
EXCEL_ORIGIN = pd.Timestamp("1899-12-30")
#: Serial day numbers read as dates: 1950-01-01 ... 2099-12-31.
SERIAL_MIN, SERIAL_MAX = 18264.0, 73050.0


def choose_date_column(
    raw: pd.DataFrame, name: str, date_column: str | None, report: ReadReport,
    exclude: tuple[str, ...] = (),
) -> tuple[str | None, pd.Series | None]:
    """Find (or check) the date column and read it; ``(None, None)`` when there is none.

    Parameters
    ----------
    raw : DataFrame
        The table with clean column names and a RangeIndex.
    name : str
        The file, for messages.
    date_column : str, optional
        The column the user named.
    report : ReadReport
        Receives notes (formats, time zones, columns with date-like names passed over).
    exclude : tuple of str
        Columns that cannot be the date column (a station column, ...).

    Returns
    -------
    column : str or None
    dates : Series of datetime64 or None
        One timestamp per row (NaT where the cell is not a date).
    """
    columns = list(raw.columns)
    if date_column is not None:
        if date_column not in columns:
            raise InputError(
                f"{name}: date column {date_column!r} not found; columns: "
                f"{', '.join(map(repr, columns))}"
            )
        dates = parse_dates(raw[date_column], date_column, report, allow_serial=True)
        if dates.notna().sum() == 0:
            texts = texts_of(raw[date_column]).dropna()
            ex = examples([str(t) for t in pd.unique(texts.to_numpy())[:N_EXAMPLES]], lead="e.g. ")
            raise InputError(
                f"{name}: no value of date column {date_column!r} is a date ({ex or 'all empty'}); "
                "name another column with date_column=... (CLI: --date-column)"
            )
        return date_column, dates

    candidates = [c for c in columns if c not in exclude]
    for col in candidates:
        if is_date_name(col):
            share = date_share(raw[col], allow_digits=True, allow_serial=True)
            if share >= NAME_MATCH_MIN:
                return col, parse_dates(raw[col], col, report, allow_serial=True)
            if share > 0 or not pd.api.types.is_numeric_dtype(raw[col]):
                report.note(
                    f"column {col!r} has a date-like name but only {share:.0%} of its "
                    "values are dates; not used as the date column"
                )
    for col in candidates:
        if is_date_name(col):
            continue
        if date_share(raw[col], allow_digits=False) >= CONTENT_MATCH_MIN:
            return col, parse_dates(raw[col], col, report)
    return None, None


def date_share(column: pd.Series, *, allow_digits: bool, allow_serial: bool = False) -> float:
    """Share of a sample of the non-empty cells that read as dates."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return 1.0 if column.notna().any() else 0.0
    if pd.api.types.is_bool_dtype(column):
        return 0.0
    if pd.api.types.is_numeric_dtype(column):
        if not allow_digits:
            return 0.0
        if allow_serial and _all_serial(column.to_numpy(dtype=np.float64, na_value=np.nan)):
            return 1.0
    texts = texts_of(column).dropna()
    if len(texts) == 0:
        return 0.0
    if len(texts) > _SAMPLE:
        texts = texts.iloc[np.linspace(0, len(texts) - 1, _SAMPLE).astype(np.int64)]
    parsed = parse_dates(texts.reset_index(drop=True), None, None, allow_digits=allow_digits,
                         allow_serial=allow_serial)
    return float(parsed.notna().mean())


def _all_serial(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    return bool(finite.size) and bool(((finite >= SERIAL_MIN) & (finite <= SERIAL_MAX + 1)).all())


def _from_serial(values: np.ndarray) -> pd.Series:
    """Excel serial day numbers -> timestamps (rounded to the millisecond)."""
    ms = np.round(values * 86_400_000.0)
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = np.isfinite(ms)
    out[ok] = EXCEL_ORIGIN.to_datetime64() + ms[ok].astype(np.int64).astype("timedelta64[ms]")
    return pd.Series(out)


def _serial_note(col: str | None, report: ReadReport | None, first: float) -> None:
    if report is not None and col is not None:
        ts = pd.Timestamp(EXCEL_ORIGIN + pd.Timedelta(days=float(first)))
        report.note(
            f"dates in {col!r} are Excel serial day numbers (e.g. {first:g} = "
            f"{ts.strftime('%Y-%m-%d')}; origin 1899-12-30); read as dates"
        )


def texts_of(column: pd.Series) -> pd.Series:
    """Cells as stripped strings (pandas ``string`` dtype); empty -> NA."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        integral = np.isfinite(values) & (values == np.floor(values)) & (np.abs(values) < 1e15)
        out = pd.Series(pd.NA, index=column.index, dtype="string")
        out[integral] = pd.Series(values[integral].astype(np.int64), dtype="string").to_numpy()
        other = np.isfinite(values) & ~integral
        out[other] = pd.Series(values[other]).astype("string").to_numpy()
        return out
    texts = as_string(column).str.strip()
    return texts.mask((texts == "").to_numpy(dtype=bool, na_value=False))


def as_string(column: pd.Series) -> pd.Series:
    """A column as pandas strings (Arrow-backed when possible: fast vectorised ops)."""
    try:
        return column.astype(pd.StringDtype("pyarrow"))
    except (ImportError, TypeError, ValueError):  # pragma: no cover - pyarrow is a dependency
        return column.astype("string")


def parse_dates(
    column: pd.Series,
    col_name: str | None,
    report: ReadReport | None,
    *,
    allow_digits: bool = True,
    allow_serial: bool = False,
) -> pd.Series:
    """Read a column as timestamps (NaT where it cannot); see the module policy.

    Parameters
    ----------
    column : Series
        The cells (any dtype).
    col_name : str, optional
        The column's name, for notes.
    report : ReadReport, optional
        Receives notes (formats, time zones, serial numbers).
    allow_digits : bool
        Whether 8-, 12- and 14-digit integers are ``YYYYMMDD[HHMM[SS]]``.
    allow_serial : bool
        Whether numbers are Excel serial day numbers (when all of them are in range).

    Returns
    -------
    Series of datetime64[ns] (tz-aware when the texts carry offsets), RangeIndex.

    Examples
    --------
    >>> parse_dates(pd.Series(["2016. 4. 4.", "45292"]), "date", None, allow_serial=True).tolist()
    [Timestamp('2016-04-04 00:00:00'), Timestamp('2024-01-01 00:00:00')]
    """
    column = column.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(column):
        return normalise_unit(column)
    if pd.api.types.is_bool_dtype(column):
        return pd.Series(pd.NaT, index=column.index, dtype="datetime64[ns]")
    if pd.api.types.is_numeric_dtype(column) and allow_serial:
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        if _all_serial(values):
            _serial_note(col_name, report, float(values[np.isfinite(values)][0]))
            return normalise_unit(_from_serial(values))
    if not pd.api.types.is_numeric_dtype(column):
        fast = _iso_fast(column)
        if fast is not None:
            return normalise_unit(fast)
    texts = texts_of(column)
    present = texts.notna().to_numpy()
    pieces: list[pd.Series] = []

    digits = texts.str.fullmatch(r"[0-9]{8}|[0-9]{12}|[0-9]{14}").to_numpy(dtype=bool, na_value=False)
    if allow_digits:
        lengths = texts.str.len().to_numpy(dtype=np.float64, na_value=0)
        for length, fmt in _DIGIT_DATE_FORMATS.items():
            mask = digits & (lengths == length)
            if mask.any():
                pieces.append(_to_datetime(texts[mask], fmt=fmt, report=report, col=col_name))
    numeric = texts.str.fullmatch(PLAIN_NUMBER_RE).to_numpy(dtype=bool, na_value=False)
    if allow_serial:
        numbers = numeric & ~digits
        if numbers.any():
            values = pd.to_numeric(texts[numbers], errors="coerce").to_numpy(dtype=np.float64,
                                                                              na_value=np.nan)
            if _all_serial(values):
                _serial_note(col_name, report, float(values[0]))
                serial = _from_serial(values)
                serial.index = texts.index[numbers]
                pieces.append(serial)
    todo = present & ~digits & ~numeric

    if todo.any():
        # 1. ISO 8601 (also 2016/04/04, 2016.04.04, 20160404T0015): fast.
        subset = texts[todo]
        first = _to_datetime(subset, fmt="ISO8601", report=report, col=col_name)
        pieces.append(first)
        rest = subset[first.isna().to_numpy()]
        if len(rest):
            # 2. Korean forms, then ISO 8601 again.
            norm = _normalise_korean(rest)
            second = _to_datetime(norm, fmt="ISO8601", report=report, col=col_name)
            pieces.append(second)
            rest = norm[second.isna().to_numpy()]
        has_year = rest.str.contains(_YEAR_RE, regex=True).to_numpy(dtype=bool, na_value=False)
        rest = rest[has_year]
        if len(rest):
            # 3. Anything dateutil reads that contains a four-digit year, on
            #    distinct texts only (dateutil is slow).
            dayfirst = _dayfirst(rest, col_name, report)
            uniques = pd.Series(pd.unique(rest.to_numpy()), dtype="string")
            parsed = _to_datetime(uniques, fmt="mixed", report=report, col=col_name, dayfirst=dayfirst)
            parsed.index = uniques.to_numpy()
            third = parsed.reindex(rest.to_numpy())
            third.index = rest.index
            pieces.append(third)

    return _combine_pieces(pieces, len(column), col_name, report)


def _iso_fast(column: pd.Series) -> pd.Series | None:
    """A column that is entirely ISO 8601 text (at least ``YYYY-MM-DD``), parsed in one go."""
    if not (pd.api.types.is_string_dtype(column) or column.dtype == object):
        return None
    try:
        lengths = column.str.len()
    except (AttributeError, TypeError):  # not all strings
        return None
    if lengths.isna().all() or lengths.min() < 10 or (lengths.isna() & column.notna()).any():
        return None
    codes = None
    if len(column) > 20_000 and int((column == column.iloc[0]).sum()) > 1:
        # Long tables repeat each timestamp once per series (the first one too, whether the
        # rows go series by series or time by time): parse the distinct texts only.
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        column = pd.Series(uniques)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = pd.Series(pd.to_datetime(column, format="ISO8601"))
        except (ValueError, TypeError, OverflowError):
            return None
    if not pd.api.types.is_datetime64_any_dtype(out):
        return None
    if codes is not None:
        values = out.to_numpy()
        taken = values.take(np.where(codes < 0, 0, codes))
        if (codes < 0).any():
            taken[codes < 0] = np.datetime64("NaT")
        dtype = out.dtype
        out = pd.Series(pd.array(taken, dtype=dtype) if isinstance(dtype, pd.DatetimeTZDtype) else taken)
    return out.reset_index(drop=True)


def _normalise_korean(texts: pd.Series) -> pd.Series:
    """``2016. 4. 4.``, ``2016년 4월 4일``, ``2016-4-4 (월)`` -> ``2016-04-04``; 오전/오후 -> AM/PM."""
    parts = texts.str.extract(
        r"^(?P<y>[0-9]{4})\s*(?:[-./]|년)\s*(?P<m>[0-9]{1,2})\s*(?:[-./]|월)\s*(?P<d>[0-9]{1,2})"
        r"\s*(?:\.|일)?\s*(?P<rest>.*)$"
    )
    ok = parts["y"].notna().to_numpy(dtype=bool, na_value=False)
    out = texts.copy()
    if ok.any():
        p = parts[ok]
        rebuilt = p["y"] + "-" + p["m"].str.zfill(2) + "-" + p["d"].str.zfill(2)
        # A weekday in brackets, as some Korean exports write it: 2016-04-04 (월).
        time = p["rest"].fillna("").str.replace(r"^\(?[월화수목금토일](?:요일)?\)\s*", "", regex=True)
        ampm = time.str.extract(r"^(?P<ap>오전|오후)\s*(?P<t>[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)$")
        has_ampm = ampm["ap"].notna().to_numpy(dtype=bool, na_value=False)
        if has_ampm.any():
            time = time.copy()
            time[has_ampm] = (
                ampm["t"][has_ampm] + " " + ampm["ap"][has_ampm].map({"오전": "AM", "오후": "PM"}).astype("string")
            )
        rebuilt = (rebuilt + " " + time).str.strip()
        out[ok] = rebuilt.to_numpy()
    return out


def _dayfirst(texts: pd.Series, col_name: str | None, report: ReadReport | None) -> bool:
    """Day/month order of ``a/b/yyyy`` texts: day first when some first field exceeds 12."""
    fields = texts.str.extract(r"^([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-][0-9]{2,4}")
    first = pd.to_numeric(fields[0], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    second = pd.to_numeric(fields[1], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if not np.isfinite(first).any():
        return False
    dayfirst = bool(np.nanmax(first) > 12)
    if report is not None and col_name is not None:
        if dayfirst:
            report.note(f"dates in {col_name!r} read as day/month/year")
        elif not np.nanmax(second) > 12:
            report.note(
                f"dates in {col_name!r} are ambiguous (day and month both <= 12); read as month/day/year"
            )
    return dayfirst


def _to_datetime(
    texts: pd.Series,
    *,
    fmt: str,
    report: ReadReport | None,
    col: str | None,
    dayfirst: bool = False,
) -> pd.Series:
    """``pd.to_datetime`` with errors coerced, quiet, mixed UTC offsets -> UTC."""
    kwargs: dict[str, Any] = {"format": fmt, "errors": "coerce"}
    if dayfirst:
        kwargs["dayfirst"] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = pd.to_datetime(texts, **kwargs)
            mixed = not pd.api.types.is_datetime64_any_dtype(out)  # pandas 2: object, no error
        except (ValueError, TypeError):
            mixed = True
        if mixed:
            out = pd.to_datetime(texts, utc=True, **kwargs)
            if report is not None and col is not None:
                report.note(f"timestamps in {col!r} have different UTC offsets; converted to UTC")
    return pd.Series(out, index=texts.index)


def _combine_pieces(
    pieces: list[pd.Series], n: int, col_name: str | None, report: ReadReport | None
) -> pd.Series:
    """Put the parsed pieces back in row order (NaT elsewhere)."""
    pieces = [p[p.notna().to_numpy()] for p in pieces]
    pieces = [p for p in pieces if len(p)]
    if not pieces:
        return pd.Series(pd.NaT, index=pd.RangeIndex(n), dtype="datetime64[ns]")
    tzs = {str(getattr(p.dt, "tz", None)) for p in pieces}
    if len(tzs) > 1:
        pieces = [p.dt.tz_localize("UTC") if p.dt.tz is None else p.dt.tz_convert("UTC") for p in pieces]
        if report is not None and col_name is not None:
            report.note(
                f"timestamps in {col_name!r} mix time zones; converted to UTC "
                "(those without an offset taken as UTC)"
            )
    pieces = [normalise_unit(p) for p in pieces]
    out = pd.concat(pieces) if len(pieces) > 1 else pieces[0]
    return out.reindex(pd.RangeIndex(n))


def normalise_unit(dates: pd.Series) -> pd.Series:
    """Nanosecond resolution (pandas 2 and 3 alike); dates outside its range -> NaT."""
    dates = pd.Series(dates)
    naive = dates.dt.tz_localize(None) if dates.dt.tz is not None else dates
    inside = ((naive >= _MIN_TS) & (naive <= _MAX_TS)).to_numpy()
    if not inside.all():
        dates = dates.where(inside)
    try:
        return dates.dt.as_unit("ns")
    except Exception:  # pragma: no cover - out-of-range values were removed above
        return dates

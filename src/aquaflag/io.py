"""Read and write monitoring tables: CSV, Excel and Parquet.

:func:`read` turns a monitoring file into the frame the rest of aquaflag works
on: a ``DatetimeIndex`` and one ``float64`` column per parameter. Everything it
had to decide or change is recorded in a :class:`ReadReport`, attached to the
frame as ``frame.attrs["aquaflag_read"]`` (see :func:`read_report`), so that
nothing is dropped or altered silently. :func:`write` saves a frame as CSV,
Excel or Parquet.

Reading policy
--------------
Formats
    By extension: ``.csv`` and ``.txt`` (delimited text), ``.xlsx`` (openpyxl;
    ``.xls`` needs xlrd), ``.parquet``. Any other extension, a missing file, a
    file of 0 bytes or only whitespace ("FILE is empty") or a header without
    data rows ("FILE has no data rows") is an :class:`~aquaflag.errors.InputError`.
Delimiter
    A comma, unless the header line clearly uses tabs or semicolons (more of
    them than commas, outside quotes).
Encoding (delimited text)
    Unless ``encoding`` is given: strict UTF-8 (a byte-order mark is removed),
    then CP949 (Korean; a superset of EUC-KR); a UTF-16 byte-order mark
    (Excel's "Unicode text") selects UTF-16. Never a silent fallback to
    latin-1: a file that decodes as neither is an error telling the user to
    pass ``encoding=...`` (CLI: ``--encoding``).
Date column
    ``date_column`` if given. Otherwise the first column whose name contains a
    date word (date, time, datetime, timestamp, day; 일자, 날짜, 일시, 측정일,
    측정일자, 측정일시, 시간, 조사일) and at least half of whose values are
    dates; else the first column in which at least 90 % of the non-empty cells
    are dates. Plain numbers are never taken as dates, except 8-, 12- and
    14-digit integers in ``YYYYMMDD[HHMM[SS]]`` form. An existing
    ``DatetimeIndex`` (Parquet) is used as is. Without a date column the frame
    keeps a ``RangeIndex``. Dates are read as ISO 8601 (``-``, ``/`` or ``.``
    separators), then Korean forms (``2016. 4. 4.``, ``2016년 4월 4일``, a
    weekday such as ``(월)``, 오전/오후), then any other form dateutil
    understands that contains a four-digit year (day/month order: day first
    when some first field exceeds 12, else month first, with a note).
    Rows whose date cannot be read, or is empty, are removed and reported.
    Timestamps with different UTC offsets are converted to UTC.
Value columns
    Numeric columns are kept as ``float64``. Text cells are cleaned: surrounding
    whitespace is removed; missing-value markers (``ND``, ``N.D.``, ``-``,
    ``--``, ``NA``, ``N/A``, ``#N/A``, ``NaN``, ``NULL``, ``None``, ``불검출``,
    ``결측``, ``미측정``, ``欠測``, ``<LOQ``/``<LOD``/``정량한계미만``/
    ``검출한계미만`` without a number, blank cells; any case) become NaN; ``1,234`` is 1234; censored values (``<0.5``,
    ``< 0.5``, ``>100``, ``<LOQ 0.5``) follow ``censored``; anything else
    (and ``inf``) becomes NaN. A column in which fewer than half of the
    non-missing cells are numbers (censored values count as numbers) is not a
    value column: it is skipped, with the reason in the report. So is a column
    without a header and without values (a trailing delimiter); a column with
    a header but no values is kept, all NaN, and reported.
Missing codes
    Numbers equal to one of ``missing_codes`` (default -9999, the usual logger
    no-data code) or to the netCDF float fill value 9.96921e36 (relative
    tolerance 1e-6) become NaN.
Order and duplicates
    Rows are sorted by time (stable) when they are not in order. Rows sharing a
    timestamp are combined by ``duplicates``: ``"mean"`` (column-wise, NaN
    ignored), ``"first"``, ``"last"`` (in file order) or ``"error"``.
Report
    Every skipped column, every cell set to NaN (by kind and column), censored
    values, removed rows (with file row numbers: the header is row 1, so the
    first data row is row 2, as in a text editor or Excel; for Parquet the
    first row is row 1), duplicates and sorting are recorded in the
    :class:`ReadReport`. Empty cells are ordinary missing values and are not
    counted; cells that become NaN for any other reason are. Counts refer to
    the rows kept after removing rows without a valid date, before duplicates
    are combined.
"""

from __future__ import annotations

import codecs
import math
import numbers
import re
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError, ParameterError
from .variables import is_date_name

__all__ = ["read", "write", "ReadReport", "read_report"]

ATTRS_KEY = "aquaflag_read"

_TEXT_SUFFIXES = (".csv", ".txt")
_EXCEL_SUFFIXES = (".xlsx", ".xls")
_PARQUET_SUFFIXES = (".parquet",)
_READ_SUFFIXES = _TEXT_SUFFIXES + _EXCEL_SUFFIXES + _PARQUET_SUFFIXES
_WRITE_SUFFIXES = (".csv", ".xlsx", ".parquet")

_CENSORED_RULES = ("missing", "limit", "half")
_DUPLICATE_RULES = ("mean", "first", "last", "error")

#: The netCDF default fill value of 32-bit floats.
NETCDF_FILL = 9.969209968386869e36

#: Cell texts (compared lower-case, after stripping whitespace) read as missing.
MISSING_TOKENS = frozenset(
    s.lower()
    for s in (
        "", "ND", "N.D.", "N.D", "n.d.", "-", "--", "NA", "N/A", "#N/A", "NaN",
        "nan", "NULL", "null", "None", "불검출", "결측", "미측정", "欠測",
        # below a detection/quantification limit, without the number
        "<LOQ", "<LOD", "<MDL", "<DL", "미검출", "정량한계미만", "검출한계미만",
    )
)


_NUMBER = r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_PLAIN_NUMBER_RE = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_INFINITY_RE = r"[+-]?(?:[iI][nN][fF]|[iI][nN][fF][iI][nN][iI][tT][yY])"
_THOUSANDS_RE = r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?"
_CENSORED_RE = (
    r"^(?P<op><=|>=|<|>|≤|≥|＜|＞)\s*"
    r"(?:(?:LOQ|LOD|MDL|DL|QL|RL)\s*[:=(]?\s*)?"
    rf"(?P<num>{_NUMBER})\s*\)?$"
)
_DIGIT_DATE_FORMATS = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S"}
_YEAR_RE = r"(?:^|[^0-9])(?:1[89]|2[01])[0-9][0-9](?:[^0-9]|$)"  # no look-arounds: Arrow's RE2
_MIN_TS = pd.Timestamp("1678-01-01")
_MAX_TS = pd.Timestamp("2261-12-31")
_NAME_MATCH_MIN = 0.5
_CONTENT_MATCH_MIN = 0.9
_SAMPLE = 1000
_N_EXAMPLES = 3
_N_ROWS_SHOWN = 5


# --------------------------------------------------------------------------- report


@dataclass
class ReadReport:
    """What :func:`read` found in a file and what it did about it.

    Per-column dictionaries hold only non-zero counts, keyed by column name.

    Attributes
    ----------
    path : str
        The file, as given to :func:`read`.
    format : str
        ``"csv"`` (delimited text), ``"xlsx"``, ``"xls"`` or ``"parquet"``.
    encoding : str or None
        Text encoding used (``"utf-8-sig"`` when the file starts with a
        byte-order mark, ``"utf-8"``, ``"cp949"``, ``"utf-16"`` or the one
        passed); None for Excel and Parquet.
    delimiter : str or None
        Field delimiter of delimited text.
    sheet : str, int or None
        Excel sheet read.
    date_column : str or None
        The column (or index name) that became the ``DatetimeIndex``; None
        when the frame has a ``RangeIndex``.
    n_rows : int
        Data rows in the file (blank rows not counted).
    columns : list of str
        The value columns kept, in file order.
    skipped : dict
        Column -> why it is not a value column.
    missing_tokens, missing_codes, censored, unparsed : dict
        Column -> number of cells set to NaN because they held a missing-value
        marker, a missing code, a censored value (the count is of censored
        values, whatever ``censored_rule`` made of them), or text that is not a
        number.
    missing_token_examples : dict
        Column -> up to 3 distinct missing-value markers seen.
    unparsed_examples : dict
        Column -> up to 3 distinct unparsed cell texts.
    censored_examples : dict
        Column -> up to 3 distinct censored cell texts.
    censored_rule : str
        The ``censored`` argument.
    missing_code_values : list of float
        The ``missing_codes`` argument (the netCDF fill value always applies).
    all_missing : list of str
        Kept columns with no values at all.
    blank_rows : int
        Entirely empty rows ignored.
    bad_dates : int
        Rows removed because their date is empty or cannot be read.
    bad_date_rows : list of int
        File row numbers of the first few of them.
    bad_date_examples : list of str
        Up to 3 distinct unreadable date texts.
    duplicates : int
        Rows sharing their timestamp with another row (all of them).
    duplicate_timestamps : int
        Distinct timestamps that occur more than once.
    duplicates_rule : str
        The ``duplicates`` argument.
    was_sorted : bool
        True when the rows were not in time order and :func:`read` sorted them.
    notes : list of str
        Other decisions worth telling (date format, time zones, ...).
    """

    path: str
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None
    date_column: str | None = None
    n_rows: int = 0
    columns: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    missing_tokens: dict[str, int] = field(default_factory=dict)
    missing_codes: dict[str, int] = field(default_factory=dict)
    censored: dict[str, int] = field(default_factory=dict)
    unparsed: dict[str, int] = field(default_factory=dict)
    missing_token_examples: dict[str, list[str]] = field(default_factory=dict)
    unparsed_examples: dict[str, list[str]] = field(default_factory=dict)
    censored_examples: dict[str, list[str]] = field(default_factory=dict)
    censored_rule: str = "missing"
    missing_code_values: list[float] = field(default_factory=list)
    all_missing: list[str] = field(default_factory=list)
    blank_rows: int = 0
    bad_dates: int = 0
    bad_date_rows: list[int] = field(default_factory=list)
    bad_date_examples: list[str] = field(default_factory=list)
    duplicates: int = 0
    duplicate_timestamps: int = 0
    duplicates_rule: str = "mean"
    was_sorted: bool = False
    notes: list[str] = field(default_factory=list)

    def counts(self, column: str) -> dict[str, int]:
        """Cells of one kept column that became NaN, by cause.

        Parameters
        ----------
        column : str
            A column of the frame :func:`read` returned.

        Returns
        -------
        dict
            ``{"missing_tokens": n, "missing_codes": n, "censored": n,
            "unparsed": n}`` (zeros included). ``censored`` counts censored
            values whether or not ``censored_rule`` kept a number for them.
            All zeros for a column :func:`read` did not produce (one added to
            the frame later, which keeps its ``attrs``, or a skipped column).
        """
        return {
            "missing_tokens": self.missing_tokens.get(column, 0),
            "missing_codes": self.missing_codes.get(column, 0),
            "censored": self.censored.get(column, 0),
            "unparsed": self.unparsed.get(column, 0),
        }

    def messages(self) -> list[str]:
        """One short line per noteworthy fact, for the command line to print.

        Returns
        -------
        list of str
            Empty when the file needed no cleaning at all.
        """
        out: list[str] = []
        if self.blank_rows:
            out.append(f"{_plural(self.blank_rows, 'empty row')} ignored")
        if self.date_column is None:
            out.append(
                "no date column found; rows are numbered from 0 "
                "(pass date_column=... / --date-column)"
            )
        if self.bad_dates:
            rows = _row_list(self.bad_date_rows, self.bad_dates)
            ex = _examples(self.bad_date_examples, lead="; e.g. ")
            out.append(
                f"{_plural(self.bad_dates, 'row')} removed: no valid date in "
                f"{self.date_column!r} ({rows}{ex})"
            )
        out.extend(self.notes)
        if self.was_sorted:
            out.append(f"rows were not in time order; sorted by {self.date_column!r}")
        if self.duplicates:
            how = {
                "mean": "averaged column-wise",
                "first": "kept the first row of each",
                "last": "kept the last row of each",
                "error": "error",
            }[self.duplicates_rule]
            out.append(
                f"{_plural(self.duplicates, 'row')} share "
                f"{_plural(self.duplicate_timestamps, 'timestamp')}; {how} "
                f"(duplicates={self.duplicates_rule!r})"
            )
            text_columns = [c for c, why in self.skipped.items() if why.startswith("text column")]
            if text_columns:
                out.append(
                    "rows sharing a timestamp may belong to different stations (text columns: "
                    f"{', '.join(text_columns[:_N_EXAMPLES])}{', ...' if len(text_columns) > _N_EXAMPLES else ''}); "
                    "a long table needs one column per station and parameter"
                )
        for name, reason in self.skipped.items():
            out.append(f"{name}: skipped, {reason}")
        for name in self.columns:
            n = self.missing_tokens.get(name)
            if n:
                ex = _examples(self.missing_token_examples.get(name, []), lead="e.g. ")
                out.append(f"{name}: {_plural(n, 'missing-value marker')} ({ex}) read as missing")
            n = self.missing_codes.get(name)
            if n:
                codes = ", ".join(_fmt_number(c) for c in self.missing_code_values)
                codes = f"{codes}, 9.96921e36" if codes else "9.96921e36"
                out.append(f"{name}: {_plural(n, 'missing code')} ({codes}) read as missing")
            n = self.censored.get(name)
            if n:
                how = {
                    "missing": "set to missing",
                    "limit": "kept at the limit",
                    "half": "set to half the limit for '<', the limit for '>'",
                }[self.censored_rule]
                ex = _examples(self.censored_examples.get(name, []), lead="e.g. ")
                out.append(
                    f"{name}: {_plural(n, 'censored value')} ({ex}) {how} "
                    f"(censored={self.censored_rule!r})"
                )
            n = self.unparsed.get(name)
            if n:
                ex = _examples(self.unparsed_examples.get(name, []), lead="e.g. ")
                out.append(f"{name}: {_plural(n, 'cell')} not a number ({ex}), set to missing")
        for name in self.all_missing:
            out.append(f"{name}: no values (every cell is missing)")
        return out

    def to_dict(self) -> dict[str, Any]:
        """The report as plain Python data (for JSON or the HTML report)."""
        return asdict(self)


def read_report(frame: pd.DataFrame) -> ReadReport | None:
    """The :class:`ReadReport` that :func:`read` attached to ``frame``.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame returned by :func:`read` (pandas keeps ``attrs`` through most
        operations).

    Returns
    -------
    ReadReport or None
        None when the frame does not come from :func:`read`.
    """
    report = getattr(frame, "attrs", {}).get(ATTRS_KEY)
    return report if isinstance(report, ReadReport) else None


# --------------------------------------------------------------------------- read


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
) -> pd.DataFrame:
    """Read a monitoring table into a time-indexed frame of float columns.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``/``.txt`` (delimited text), ``.xlsx``/``.xls`` or
        ``.parquet`` file.
    encoding : str, optional
        Text encoding of a delimited file. By default strict UTF-8 (with or
        without a byte-order mark), then CP949 (Korean, a superset of EUC-KR)
        are tried; a UTF-16 byte-order mark selects UTF-16. Ignored for Excel
        and Parquet.
    date_column : str, optional
        The column holding the timestamps. By default: the first column with a
        date-like name (date, time, datetime, timestamp, day, 일자, 날짜, 일시,
        측정일, 측정일자, 측정일시, 시간, 조사일) at least half of whose values
        are dates, else the first column in which at least 90 % of non-empty
        cells are dates (plain numbers never count, except ``YYYYMMDD``-style
        8/12/14-digit integers), else none (the frame keeps a ``RangeIndex``).
        A Parquet file's ``DatetimeIndex`` is used as is.
    sheet : int or str, default 0
        Excel sheet, by position or name.
    censored : {"missing", "limit", "half"}, default "missing"
        What a censored value such as ``<0.5`` or ``>100`` becomes: NaN, the
        limit (0.5, 100), or half the limit for ``<`` and the limit for ``>``.
    missing_codes : sequence of float, default (-9999.0,)
        Numbers that mean "no data" and become NaN. The netCDF float fill value
        9.96921e36 always does (relative tolerance 1e-6).
    duplicates : {"mean", "first", "last", "error"}, default "mean"
        What to do with rows sharing a timestamp: average them column-wise
        (NaN ignored), keep the first or the last (in file order), or raise.
    layout : {"auto", "wide", "long"}, default "auto"
        "long" reads a tidy table (``time, station, parameter, value``) or a
        partitioned Parquet folder with :func:`aquaflag.layout.read_long` and
        returns the wide frame (one ``"Parameter(Station)"`` column per
        series). "auto" does so for a folder, or for a CSV/Parquet file whose
        header has a parameter and a value column.

    Returns
    -------
    pandas.DataFrame
        Index: a ``DatetimeIndex`` named after the date column, sorted
        ascending (nanosecond resolution when the dates allow it), or a
        ``RangeIndex`` when no date column was found. Columns: one ``float64``
        column per value column, in file order. ``frame.attrs["aquaflag_read"]``
        holds the :class:`ReadReport` (see :func:`read_report`).

    Raises
    ------
    aquaflag.errors.InputError
        Missing file, unsupported extension, undecodable text, an empty file,
        a file without data rows, an unknown ``date_column`` or ``sheet``, a
        malformed table, or duplicate timestamps with ``duplicates="error"``.
        The message names the file.
    aquaflag.errors.ParameterError
        An invalid ``encoding``, ``censored``, ``duplicates``,
        ``missing_codes``, ``sheet`` or ``date_column`` argument.

    Notes
    -----
    Cleaning, per value column (vectorised, no loop over rows):

    - numeric columns are kept as they are (as ``float64``);
    - text cells are stripped; missing-value markers (``ND``, ``N.D.``, ``-``,
      ``--``, ``NA``, ``N/A``, ``#N/A``, ``NaN``, ``NULL``, ``None``,
      ``불검출``, ``결측``, ``미측정``, ``欠測``, ``<LOQ``/``<LOD`` without a
      number, blank; any case) become NaN;
    - ``1,234`` reads as 1234; censored values follow ``censored``;
    - any other text, and infinities, become NaN and are reported with
      examples;
    - when fewer than half of a column's non-missing cells are numbers
      (censored values count as numbers) the column is skipped, not read;
    - numbers equal to a missing code become NaN.

    Rows with an empty or unreadable date are removed. Every one of these
    decisions is counted in the report; ``read_report(frame).messages()``
    lists them in plain words. Row numbers in the report are file rows: the
    header is row 1, the first data row row 2 (Parquet: row 1).

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
    >>> report = read_report(frame)
    >>> report.encoding, report.date_column, report.counts("pH")
    ('cp949', '측정일자', {'missing_tokens': 1, 'missing_codes': 0, 'censored': 1, 'unparsed': 0})
    >>> for line in report.messages():
    ...     print(line)
    rows were not in time order; sorted by '측정일자'
    비고: skipped, text column (2 of 2 values are not numbers, e.g. '맑음', '흐림')
    pH: 1 missing-value marker (e.g. 'ND') read as missing
    pH: 1 censored value (e.g. '<7.0') kept at the limit (censored='limit')
    >>> tmp.cleanup()
    """
    censored = _check_option("censored", censored, _CENSORED_RULES)
    duplicates = _check_option("duplicates", duplicates, _DUPLICATE_RULES)
    codes = _check_missing_codes(missing_codes)
    if encoding is not None:
        encoding = _check_encoding(encoding)
    if isinstance(sheet, bool) or not isinstance(sheet, (int, str)):
        raise ParameterError(f"sheet must be a sheet number or name; got {sheet!r}")
    if date_column is not None and not isinstance(date_column, str):
        raise ParameterError(f"date_column must be a column name (str); got {date_column!r}")

    layout = _check_option("layout", layout, ("auto", "wide", "long"))
    name = str(path)
    p = Path(path)
    suffix = p.suffix.lower()
    if layout == "long" or (layout == "auto" and _is_long(p, encoding)):
        from .layout import read_long

        return read_long(p, encoding=encoding)
    if suffix not in _READ_SUFFIXES:
        raise InputError(
            f"{name}: unsupported file type {p.suffix or '(no extension)'!r}; "
            f"aquaflag reads {', '.join(_READ_SUFFIXES)}"
        )
    if not p.exists():
        raise InputError(f"{name}: file not found")
    if not p.is_file():
        raise InputError(f"{name}: not a file")
    if p.stat().st_size == 0:
        raise InputError(f"{name} is empty")

    report = ReadReport(
        path=name, format="csv", censored_rule=censored, duplicates_rule=duplicates,
        missing_code_values=list(codes),
    )
    if suffix in _TEXT_SUFFIXES:
        raw, first_row = _read_text(p, name, encoding, report)
    elif suffix in _EXCEL_SUFFIXES:
        raw, first_row = _read_excel(p, name, sheet, report)
    else:
        raw, first_row = _read_parquet(p, name, report)

    return _build(raw, first_row, name, report, date_column, censored, codes, duplicates)


def _is_long(p: Path, encoding: str | None) -> bool:
    """A folder (Parquet dataset), or a CSV/Parquet file whose header is the long layout."""
    from .layout import looks_long

    if p.is_dir():
        return True
    if not p.is_file() or p.stat().st_size == 0:
        return False
    suffix = p.suffix.lower()
    if suffix in _PARQUET_SUFFIXES:
        import pyarrow.parquet as pq

        try:
            return looks_long(pq.read_schema(p).names)
        except Exception:  # not a readable Parquet file: let the wide reader explain
            return False
    if suffix in _TEXT_SUFFIXES:
        with open(p, "rb") as fh:
            head = fh.read(65536).split(b"\n", 1)[0]
        for enc in ([encoding] if encoding else ["utf-8-sig", "cp949"]):
            try:
                header = head.decode(enc).strip()
            except (UnicodeDecodeError, LookupError):
                continue
            return looks_long([c.strip().strip('"') for c in header.split(_sniff_delimiter(header))])
    return False


def _build(
    raw: pd.DataFrame,
    first_row: int,
    name: str,
    report: ReadReport,
    date_column: str | None,
    censored: str,
    codes: tuple[float, ...],
    duplicates: str,
) -> pd.DataFrame:
    """Turn a raw table into the cleaned, time-indexed frame (shared by all formats)."""
    # An existing DatetimeIndex (Parquet) is the date column; any other
    # non-default index becomes ordinary columns.
    index_dates: pd.Series | None = None
    index_name: str | None = None
    if isinstance(raw.index, pd.DatetimeIndex) and (
        date_column is None or date_column == str(raw.index.name)
    ):
        index_name = "index" if raw.index.name is None else str(raw.index.name)
        index_dates = pd.Series(raw.index, dtype=raw.index.dtype)
        raw = raw.reset_index(drop=True)
    elif not isinstance(raw.index, pd.RangeIndex):
        raw = raw.reset_index()
    raw = _clean_header(raw)
    rows = np.arange(len(raw), dtype=np.int64) + first_row

    # Entirely empty rows (blank lines, rows of bare delimiters).
    blank = raw.isna().to_numpy().all(axis=1) if raw.shape[1] else np.zeros(len(raw), bool)
    if index_dates is not None:
        blank &= index_dates.isna().to_numpy()
    if blank.any():
        report.blank_rows = int(blank.sum())
        keep = ~blank
        raw = raw.loc[keep].reset_index(drop=True)
        rows = rows[keep]
        if index_dates is not None:
            index_dates = index_dates[keep].reset_index(drop=True)
    report.n_rows = len(raw)
    if len(raw) == 0:
        raise InputError(f"{name} has no data rows")

    # Dates.
    source: pd.Series | None = None  # the date column as read, for examples
    if index_dates is not None:
        dates: pd.Series | None = _normalise_unit(index_dates)
        report.date_column = index_name
    else:
        chosen, dates = _choose_date_column(raw, name, date_column, report)
        report.date_column = chosen
        if chosen is not None:
            source = raw[chosen]
            raw = raw.drop(columns=[chosen])
    if dates is not None:
        bad = dates.isna().to_numpy()
        if bad.any():
            report.bad_dates = int(bad.sum())
            report.bad_date_rows = [int(r) for r in rows[bad][:_N_ROWS_SHOWN]]
            if source is not None:
                report.bad_date_examples = _distinct(_texts(source[bad]))
            keep = ~bad
            raw = raw.loc[keep].reset_index(drop=True)
            rows = rows[keep]
            dates = dates[keep].reset_index(drop=True)
            if len(raw) == 0:
                raise InputError(f"{name}: no row has a valid date in {report.date_column!r}")

    # Values.
    data: dict[str, np.ndarray] = {}
    for col in raw.columns:
        if col.startswith("Unnamed: ") and raw[col].isna().all():
            report.skipped[col] = "no header and no values (e.g. a trailing delimiter)"
            continue
        values = _clean_column(raw[col], col, codes, censored, report)
        if values is not None:
            data[col] = values
            report.columns.append(col)
    if dates is not None:
        index: pd.Index = pd.DatetimeIndex(dates, name=report.date_column)
    else:
        index = pd.RangeIndex(len(raw))
    frame = pd.DataFrame(data, index=index, columns=list(data))
    if not data:
        frame = frame.astype(np.float64)

    if dates is not None:
        frame = _order_and_combine(frame, rows, name, report, duplicates)
    frame.attrs[ATTRS_KEY] = report
    return frame


def _order_and_combine(
    frame: pd.DataFrame, rows: np.ndarray, name: str, report: ReadReport, rule: str
) -> pd.DataFrame:
    """Sort by time (stable) and handle duplicate timestamps."""
    index = frame.index
    dup_all = index.duplicated(keep=False)
    if dup_all.any():
        report.duplicates = int(dup_all.sum())
        report.duplicate_timestamps = int(pd.Index(index[dup_all]).nunique())
        if rule == "error":
            first = index[np.flatnonzero(dup_all)[0]]
            where = rows[np.asarray(index == first)]
            raise InputError(
                f"{name}: duplicate timestamp {_fmt_ts(first)} in {report.date_column!r} "
                f"(rows {', '.join(map(str, where[:_N_ROWS_SHOWN]))}"
                f"{', ...' if len(where) > _N_ROWS_SHOWN else ''}); "
                f"{_plural(report.duplicates, 'row')} share "
                f"{_plural(report.duplicate_timestamps, 'timestamp')}; "
                "pass duplicates='mean', 'first' or 'last' (CLI: --duplicates)"
            )
    if not index.is_monotonic_increasing:
        report.was_sorted = True
        order = np.argsort(index.asi8 if hasattr(index, "asi8") else index.to_numpy(), kind="stable")
        frame = frame.iloc[order]
    if report.duplicates:
        if rule == "mean":
            frame = frame.groupby(level=0, sort=False).mean()
        else:
            frame = frame[~frame.index.duplicated(keep=rule)]
    return frame


# --------------------------------------------------------------------------- formats


def _read_text(p: Path, name: str, encoding: str | None, report: ReadReport) -> tuple[pd.DataFrame, int]:
    data = p.read_bytes()
    if encoding is None:
        text, encoding = _decode(data, name)
    else:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: cannot decode as {encoding} (byte {data[exc.start]:#04x} at "
                f"position {exc.start}); pass another encoding=... (CLI: --encoding)"
            ) from None
        if text.startswith("\ufeff"):
            text = text[1:]
            if codecs.lookup(encoding).name == "utf-8":
                encoding = "utf-8-sig"
    del data
    if not text.strip():
        raise InputError(f"{name} is empty")
    header = text.split("\n", 1)[0]
    del text
    delimiter = _sniff_delimiter(header)
    report.format = "csv"
    report.encoding = encoding
    report.delimiter = delimiter
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            raw = pd.read_csv(
                p, sep=delimiter, encoding=encoding, keep_default_na=False, na_values=[""],
                skip_blank_lines=False, index_col=False, low_memory=False,
            )
    except pd.errors.EmptyDataError:
        raise InputError(f"{name} is empty") from None
    except (pd.errors.ParserError, ValueError, UnicodeError) as exc:
        raise InputError(f"{name}: cannot read as delimited text ({_one_line(exc)})") from None
    for w in caught:
        if issubclass(w.category, pd.errors.ParserWarning):
            raise InputError(
                f"{name}: some rows have more fields than the header "
                f"({_one_line(w.message)}); fix the file or its delimiter"
            )
    return raw, 2


def _decode(data: bytes, name: str) -> tuple[str, str]:
    """Decode bytes as UTF-8 (BOM removed), then CP949; UTF-16 only with a BOM."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8-sig")
        return text, ("utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp949"), "cp949"
    except UnicodeDecodeError:
        pass
    raise InputError(
        f"{name}: cannot decode as UTF-8 or CP949 (Korean); pass encoding=... (CLI: --encoding)"
    )


def _sniff_delimiter(header: str) -> str:
    """Comma unless the header clearly uses tabs or semicolons (outside quotes)."""
    bare = re.sub(r'"[^"]*"', "", header)
    commas, tabs, semis = bare.count(","), bare.count("\t"), bare.count(";")
    if tabs > commas and tabs >= semis:
        return "\t"
    if semis > commas and semis > tabs:
        return ";"
    return ","


def _read_excel(p: Path, name: str, sheet: int | str, report: ReadReport) -> tuple[pd.DataFrame, int]:
    with open(p, "rb") as fh:
        magic = fh.read(8)
    if magic.startswith(b"PK"):
        engine, report.format = "openpyxl", "xlsx"
    elif magic.startswith(b"\xd0\xcf\x11\xe0"):
        engine, report.format = "xlrd", "xls"
    else:
        raise InputError(
            f"{name}: not an Excel workbook (it may be HTML or text saved with an Excel "
            "extension); save it as .xlsx or .csv"
        )
    try:
        __import__(engine)
    except ImportError:
        raise InputError(
            f"{name}: reading {'legacy .xls' if engine == 'xlrd' else '.xlsx'} files needs "
            f"the {engine} package (pip install {engine}), or save the file as .xlsx or .csv"
        ) from None
    try:
        book = pd.ExcelFile(p, engine=engine)
    except Exception as exc:  # corrupt workbooks raise many kinds of error
        raise InputError(f"{name}: cannot read as an Excel workbook ({_one_line(exc)})") from None
    with book:
        sheets = list(book.sheet_names)
        if isinstance(sheet, int):
            if not -len(sheets) <= sheet < len(sheets):
                raise InputError(
                    f"{name}: no sheet number {sheet}; it has {len(sheets)} "
                    f"({', '.join(map(repr, sheets))})"
                )
            sheet_name = sheets[sheet]
        elif sheet in sheets:
            sheet_name = sheet
        else:
            raise InputError(f"{name}: no sheet {sheet!r}; sheets: {', '.join(map(repr, sheets))}")
        report.sheet = sheet_name
        try:
            raw = pd.read_excel(book, sheet_name=sheet_name, keep_default_na=False, na_values=[""])
        except Exception as exc:
            raise InputError(f"{name}: cannot read sheet {sheet_name!r} ({_one_line(exc)})") from None
    if raw.shape[1] == 0:
        raise InputError(f"{name} is empty (sheet {sheet_name!r})")
    return raw, 2


def _read_parquet(p: Path, name: str, report: ReadReport) -> tuple[pd.DataFrame, int]:
    report.format = "parquet"
    try:
        import pyarrow  # noqa: F401  (lazy: only Parquet needs it)
    except ImportError:
        raise InputError(f"{name}: reading Parquet needs pyarrow (pip install pyarrow)") from None
    try:
        raw = pd.read_parquet(p, engine="pyarrow")
    except Exception as exc:
        raise InputError(f"{name}: cannot read as Parquet ({_one_line(exc)})") from None
    if raw.shape[1] == 0 and not isinstance(raw.index, pd.DatetimeIndex):
        raise InputError(f"{name} is empty")
    return raw, 1


def _clean_header(raw: pd.DataFrame) -> pd.DataFrame:
    """Column names as stripped strings (unless stripping would make duplicates)."""
    names = [str(c).strip() for c in raw.columns]
    if len(set(names)) == len(names):
        raw.columns = names
    else:
        raw.columns = [str(c) for c in raw.columns]
    return raw


# --------------------------------------------------------------------------- dates


def _choose_date_column(
    raw: pd.DataFrame, name: str, date_column: str | None, report: ReadReport
) -> tuple[str | None, pd.Series | None]:
    columns = list(raw.columns)
    if date_column is not None:
        if date_column not in columns:
            raise InputError(
                f"{name}: date column {date_column!r} not found; columns: "
                f"{', '.join(map(repr, columns))}"
            )
        dates = _parse_dates(raw[date_column], date_column, report)
        if dates.notna().sum() == 0:
            texts = _texts(raw[date_column]).dropna()
            ex = _examples([str(t) for t in pd.unique(texts.to_numpy())[:_N_EXAMPLES]], lead="e.g. ")
            raise InputError(
                f"{name}: no value of date column {date_column!r} is a date ({ex or 'all empty'})"
            )
        return date_column, dates

    for col in columns:
        if is_date_name(col):
            share = _date_share(raw[col], allow_digits=True)
            if share >= _NAME_MATCH_MIN:
                return col, _parse_dates(raw[col], col, report)
            if share > 0 or not pd.api.types.is_numeric_dtype(raw[col]):
                report.notes.append(
                    f"column {col!r} has a date-like name but only {share:.0%} of its "
                    "values are dates; not used as the date column"
                )
    for col in columns:
        if is_date_name(col):
            continue
        if _date_share(raw[col], allow_digits=False) >= _CONTENT_MATCH_MIN:
            return col, _parse_dates(raw[col], col, report)
    return None, None


def _date_share(column: pd.Series, *, allow_digits: bool) -> float:
    """Share of a sample of the non-empty cells that read as dates."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return 1.0 if column.notna().any() else 0.0
    if pd.api.types.is_bool_dtype(column):
        return 0.0
    if pd.api.types.is_numeric_dtype(column) and not allow_digits:
        return 0.0
    texts = _texts(column).dropna()
    if len(texts) == 0:
        return 0.0
    if len(texts) > _SAMPLE:
        texts = texts.iloc[np.linspace(0, len(texts) - 1, _SAMPLE).astype(np.int64)]
    parsed = _parse_dates(texts.reset_index(drop=True), None, None, allow_digits=allow_digits)
    return float(parsed.notna().mean())


def _texts(column: pd.Series) -> pd.Series:
    """Cells as stripped strings (pandas ``string`` dtype); empty -> NA."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        integral = np.isfinite(values) & (values == np.floor(values)) & (np.abs(values) < 1e15)
        out = pd.Series(pd.NA, index=column.index, dtype="string")
        out[integral] = pd.Series(values[integral].astype(np.int64), dtype="string").to_numpy()
        other = np.isfinite(values) & ~integral
        out[other] = pd.Series(values[other]).astype("string").to_numpy()
        return out
    texts = _as_string(column).str.strip()
    return texts.mask((texts == "").to_numpy(dtype=bool, na_value=False))


def _as_string(column: pd.Series) -> pd.Series:
    """A column as pandas strings (Arrow-backed when possible: fast vectorised ops)."""
    try:
        return column.astype(pd.StringDtype("pyarrow"))
    except (ImportError, TypeError, ValueError):  # pragma: no cover - pyarrow is a dependency
        return column.astype("string")


def _to_float(texts: pd.Series) -> np.ndarray:
    """Texts that are plain numbers -> float64 (fast cast, with a slower fallback)."""
    try:
        return texts.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)
    except (ValueError, TypeError):  # pragma: no cover - the regex admits only numbers
        return pd.to_numeric(texts, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _parse_dates(
    column: pd.Series,
    col_name: str | None,
    report: ReadReport | None,
    *,
    allow_digits: bool = True,
) -> pd.Series:
    """Read a column as timestamps (NaT where it cannot); see the module policy."""
    if pd.api.types.is_datetime64_any_dtype(column):
        return _normalise_unit(column.reset_index(drop=True))
    column = column.reset_index(drop=True)
    if pd.api.types.is_bool_dtype(column):
        return pd.Series(pd.NaT, index=column.index, dtype="datetime64[ns]")
    texts = _texts(column)
    present = texts.notna().to_numpy()
    pieces: list[pd.Series] = []

    digits = texts.str.fullmatch(r"[0-9]{8}|[0-9]{12}|[0-9]{14}").to_numpy(dtype=bool, na_value=False)
    if allow_digits:
        lengths = texts.str.len().to_numpy(dtype=np.float64, na_value=0)
        for length, fmt in _DIGIT_DATE_FORMATS.items():
            mask = digits & (lengths == length)
            if mask.any():
                pieces.append(_to_datetime(texts[mask], fmt=fmt, report=report, col=col_name))
    numeric = texts.str.fullmatch(_PLAIN_NUMBER_RE).to_numpy(dtype=bool, na_value=False)
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
            report.notes.append(f"dates in {col_name!r} read as day/month/year")
        elif not np.nanmax(second) > 12:
            report.notes.append(
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
                note = f"timestamps in {col!r} have different UTC offsets; converted to UTC"
                if note not in report.notes:
                    report.notes.append(note)
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
            report.notes.append(
                f"timestamps in {col_name!r} mix time zones; converted to UTC "
                "(those without an offset taken as UTC)"
            )
    pieces = [_normalise_unit(p) for p in pieces]
    out = pd.concat(pieces) if len(pieces) > 1 else pieces[0]
    return out.reindex(pd.RangeIndex(n))


def _normalise_unit(dates: pd.Series) -> pd.Series:
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


# --------------------------------------------------------------------------- values


def _clean_column(
    column: pd.Series,
    col: str,
    codes: tuple[float, ...],
    censored: str,
    report: ReadReport,
) -> np.ndarray | None:
    """A value column as float64 (None when skipped); counts go to ``report``."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        report.skipped[col] = "boolean column (True/False values)"
        return None
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype) or isinstance(
        dtype, pd.PeriodDtype
    ):
        report.skipped[col] = f"date/time column ({dtype})"
        return None
    if pd.api.types.is_complex_dtype(dtype):
        report.skipped[col] = f"complex numbers ({dtype})"
        return None

    n_tokens = n_censored = 0
    token_examples: list[str] = []
    censored_examples: list[str] = []
    unparsed_examples: list[str] = []
    numeric = pd.api.types.is_numeric_dtype(dtype)
    if numeric:
        values = column.to_numpy(dtype=np.float64, na_value=np.nan).copy()
        plain = ~np.isnan(values)
        unparsed = np.zeros(len(values), dtype=bool)
    else:
        texts = _as_string(column).str.strip()
        present = texts.notna().to_numpy()
        tokens = texts.str.lower().isin(MISSING_TOKENS).to_numpy(dtype=bool, na_value=False) & present
        n_tokens = int(tokens.sum())
        if n_tokens:
            token_examples = _distinct(texts[tokens])
        candidates = present & ~tokens
        plain = candidates & texts.str.fullmatch(_PLAIN_NUMBER_RE).to_numpy(dtype=bool, na_value=False)
        # "inf" is read as a number (as pandas does for numeric columns), then
        # reported as unparsed below, like any infinite value.
        plain |= candidates & texts.str.fullmatch(_INFINITY_RE).to_numpy(dtype=bool, na_value=False)
        values = np.full(len(texts), np.nan)
        if plain.any():
            values[plain] = _to_float(texts[plain])
        failed = candidates & ~plain
        unparsed = np.zeros(len(values), dtype=bool)
        if failed.any():
            idx = np.flatnonzero(failed)
            rest = texts.iloc[idx].reset_index(drop=True)
            # Thousands separators: 1,234 and 1,234.5.
            thousands = rest.str.fullmatch(_THOUSANDS_RE).to_numpy(dtype=bool, na_value=False)
            if thousands.any():
                values[idx[thousands]] = _to_float(rest[thousands].str.replace(",", "", regex=False))
                plain[idx[thousands]] = True
            # Censored values: <0.5, > 100, <LOQ 0.5 (the regex only runs on
            # cells that start with a comparison sign).
            maybe = ~thousands & rest.str.match(r"[<>≤≥＜＞]").to_numpy(dtype=bool, na_value=False)
            is_censored = np.zeros(len(rest), dtype=bool)
            if maybe.any():
                parts = rest[maybe].str.extract(_CENSORED_RE, flags=re.IGNORECASE)
                found = parts["num"].notna().to_numpy(dtype=bool, na_value=False)
                is_censored[np.flatnonzero(maybe)[found]] = True
                parts = parts[found]
            cen_idx = idx[is_censored]
            n_censored = len(cen_idx)
            if n_censored:
                limits = _to_float(parts["num"].str.replace(",", "", regex=False))
                below = parts["op"].isin(["<", "<=", "≤", "＜"]).to_numpy(dtype=bool, na_value=False)
                if censored == "missing":
                    values[cen_idx] = np.nan
                elif censored == "limit":
                    values[cen_idx] = limits
                else:
                    values[cen_idx] = np.where(below, 0.5 * limits, limits)
                censored_examples = _distinct(rest[is_censored])
            other = ~thousands & ~is_censored
            unparsed[idx[other]] = True
            unparsed_examples = _distinct(rest[other])

    # Whether this is a value column at all: infinities count as numbers.
    n_text = int(unparsed.sum())
    n_numbers = int(plain.sum()) + n_censored
    if not numeric and n_numbers + n_text and n_numbers < 0.5 * (n_numbers + n_text):
        ex = _examples(unparsed_examples, lead="e.g. ")
        report.skipped[col] = f"text column ({n_text} of {n_numbers + n_text} values are not numbers, {ex})"
        return None

    # Infinities are not usable numbers: NaN, reported as unparsed.
    infinite = plain & np.isinf(values)
    if infinite.any():
        unparsed |= infinite
        plain &= ~infinite
        if numeric:
            inf_texts = ["inf" if v > 0 else "-inf" for v in np.unique(values[infinite])]
        else:
            inf_texts = _distinct(texts[infinite])
        unparsed_examples = (unparsed_examples + inf_texts)[:_N_EXAMPLES]
        values[infinite] = np.nan
    n_unparsed = int(unparsed.sum())

    # Missing codes, among plain numbers only.
    coded = np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        for code in codes:
            coded |= values == code
        coded |= np.isclose(values, NETCDF_FILL, rtol=1e-6, atol=0.0)
    coded &= plain
    n_coded = int(coded.sum())
    if n_coded:
        values[coded] = np.nan

    if n_tokens:
        report.missing_tokens[col] = n_tokens
        report.missing_token_examples[col] = token_examples
    if n_coded:
        report.missing_codes[col] = n_coded
    if n_censored:
        report.censored[col] = n_censored
        report.censored_examples[col] = censored_examples
    if n_unparsed:
        report.unparsed[col] = n_unparsed
        report.unparsed_examples[col] = unparsed_examples
        values[unparsed] = np.nan
    if np.isnan(values).all():
        report.all_missing.append(col)
    return values


def _distinct(texts: pd.Series) -> list[str]:
    return [str(t) for t in pd.unique(texts.dropna().to_numpy())[:_N_EXAMPLES]]


# --------------------------------------------------------------------------- write


def write(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a frame to CSV, Excel or Parquet, chosen by the file extension.

    Parameters
    ----------
    frame : pandas.DataFrame
        The frame (a Series is written as a one-column frame). A
        ``DatetimeIndex`` (or any index other than the default ``RangeIndex``)
        is written as the first column, named ``date`` when it has no name, so
        that :func:`read` finds it again.
    path : str or path-like
        ``.csv`` (UTF-8 with a byte-order mark, so that Excel shows Hangul),
        ``.xlsx`` (openpyxl) or ``.parquet`` (pyarrow). An existing file is
        replaced.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    aquaflag.errors.InputError
        Unsupported extension, a missing directory, or a frame the format
        cannot hold (time zones in Excel).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> tmp = tempfile.TemporaryDirectory()
    >>> frame = pd.DataFrame({"DO": [8.1, 7.9]},
    ...                      index=pd.DatetimeIndex(["2024-01-01", "2024-01-08"], name="date"))
    >>> out = write(frame, pathlib.Path(tmp.name) / "do.csv")
    >>> print(out.read_text(encoding="utf-8-sig"), end="")
    date,DO
    2024-01-01,8.1
    2024-01-08,7.9
    >>> read(out).equals(frame)
    True
    >>> tmp.cleanup()
    """
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"write() needs a pandas DataFrame; got {type(frame).__name__}")
    p = Path(path)
    name = str(path)
    suffix = p.suffix.lower()
    if suffix not in _WRITE_SUFFIXES:
        raise InputError(
            f"{name}: cannot write {p.suffix or '(no extension)'!r} files; "
            f"aquaflag writes {', '.join(_WRITE_SUFFIXES)}"
        )
    if not p.parent.is_dir():
        raise InputError(f"{name}: directory {str(p.parent)!r} does not exist")

    out = frame.copy(deep=False)
    out.attrs = {}  # the ReadReport is not data (and not JSON for Parquet metadata)
    keep_index = not (
        isinstance(out.index, pd.RangeIndex)
        and out.index.start == 0
        and out.index.step == 1
        and out.index.name is None
    )
    if keep_index and out.index.name is None and out.index.nlevels == 1:
        out.index = out.index.rename("date" if isinstance(out.index, pd.DatetimeIndex) else "index")

    if suffix == ".csv":
        out.to_csv(p, encoding="utf-8-sig", index=keep_index)
    elif suffix == ".xlsx":
        try:
            import openpyxl  # noqa: F401  (lazy: only Excel needs it)
        except ImportError:
            raise InputError(f"{name}: writing .xlsx needs openpyxl (pip install openpyxl)") from None
        tz_index = isinstance(out.index, pd.DatetimeIndex) and out.index.tz is not None
        tz_cols = [c for c in out.columns if isinstance(out[c].dtype, pd.DatetimeTZDtype)]
        if tz_index or tz_cols:
            raise InputError(
                f"{name}: Excel cannot store time zones; convert the timestamps first "
                "(e.g. frame.index.tz_localize(None)) or write .csv/.parquet"
            )
        out.to_excel(p, index=keep_index, engine="openpyxl")
    else:
        try:
            import pyarrow  # noqa: F401  (lazy: only Parquet needs it)
        except ImportError:
            raise InputError(f"{name}: writing Parquet needs pyarrow (pip install pyarrow)") from None
        if not all(isinstance(c, str) for c in out.columns):
            out.columns = [str(c) for c in out.columns]
        try:
            out.to_parquet(p, engine="pyarrow", index=keep_index)
        except (ValueError, TypeError) as exc:
            raise InputError(f"{name}: cannot write as Parquet ({_one_line(exc)})") from None
    return p


# --------------------------------------------------------------------------- helpers


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


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _examples(texts: list[str], lead: str = "") -> str:
    if not texts:
        return ""
    return lead + ", ".join(repr(t) for t in texts)


def _row_list(rows: list[int], total: int) -> str:
    shown = ", ".join(map(str, rows))
    more = ", ..." if total > len(rows) else ""
    return f"{'row' if total == 1 else 'rows'} {shown}{more}"


def _fmt_number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)


def _fmt_ts(ts: pd.Timestamp) -> str:
    ts = pd.Timestamp(ts)
    if ts.tz is None and ts == ts.normalize():
        return ts.strftime("%Y-%m-%d")
    return ts.isoformat(sep=" ")


def _one_line(exc: Any) -> str:
    return " ".join(str(exc).split())

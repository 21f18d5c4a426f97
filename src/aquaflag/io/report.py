"""The read report: everything the reader decided or changed, in one object.

A :class:`ReadReport` travels with the frame as ``frame.attrs["aquaflag_read"]``
(see :func:`read_report`), so that nothing is dropped or altered silently.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

__all__ = ["ReadReport", "read_report", "ATTRS_KEY"]

#: Key of the report in ``frame.attrs``.
ATTRS_KEY = "aquaflag_read"

N_EXAMPLES = 3
N_ROWS_SHOWN = 5


@dataclass
class ReadReport:
    """What :func:`aquaflag.io.read` (or :func:`aquaflag.io.from_frame`) found and did.

    Per-column dictionaries hold only non-zero counts, keyed by the column name
    of the returned frame (for long and station-column tables: the generated
    series name, ``"수온(문의)"``).

    Attributes
    ----------
    path : str
        The file, as given to :func:`read` (``"<frame>"`` for :func:`from_frame`).
    format : str
        ``"csv"`` (delimited text), ``"xlsx"``, ``"xls"``, ``"parquet"``,
        ``"parquet dataset"`` (a folder) or ``"frame"``.
    layout : str
        ``"wide"`` (one column per series), ``"long"`` (``time, station,
        parameter, value``) or ``"station"`` (one row per time and station, a
        station column, one column per variable).
    encoding : str or None
        Text encoding used (``"utf-8-sig"`` when the file starts with a
        byte-order mark, ``"utf-8"``, ``"cp949"``, ``"utf-16"``, ``"utf-32"``
        or the one passed); None for Excel, Parquet and frames.
    delimiter : str or None
        Field delimiter of delimited text.
    sheet : str, int or None
        Excel sheet read.
    date_column : str or None
        The column (or index name) that became the ``DatetimeIndex``; None
        when the frame has a ``RangeIndex``.
    station_column : str or None
        The column whose values split the table into one series per station.
    stations : list of str
        The stations found in it, in order of first appearance.
    n_rows : int
        Data rows in the file (blank rows not counted).
    columns : list of str
        The value columns kept (the series), in output order.
    skipped : dict
        Column -> why it is not a value column (text, qualifier codes, station
        metadata, ...).
    renamed : dict
        Output column name -> the header as written, for headers that had to
        be changed (duplicates, blanks).
    missing_tokens, missing_codes, censored, unparsed : dict
        Column -> number of cells set to NaN because they held a missing-value
        marker, a missing code, a censored value (the count is of censored
        values, whatever ``censored_rule`` made of them), or text that is not a
        number.
    missing_token_examples, unparsed_examples, censored_examples : dict
        Column -> up to 3 distinct cell texts of that kind.
    rounded : dict
        Column -> number of integers written in full that ``float64`` cannot
        hold exactly (beyond ±2**53), read as the nearest ``float64``.
    rounded_examples : dict
        Column -> up to 3 of them, as written.
    decimal_comma : list of str
        Columns whose numbers were read with ``,`` as the decimal separator.
    ambiguous_commas : dict
        Column -> number of cells such as ``1,234`` that read differently with
        a decimal comma (1.234) and a thousands separator (1234); resolved per
        column, see ``decimal_comma``.
    ambiguous_comma_examples : dict
        Column -> up to 3 of them.
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
        Rows (long tables: measurements) sharing their timestamp (and series)
        with another one; all of them are counted.
    duplicate_timestamps : int
        Distinct timestamps (long tables: timestamp and series) that occur more
        than once.
    duplicates_rule : str
        The ``duplicates`` argument.
    was_sorted : bool
        True when the rows were not in time order (within each series, for long
        and station-column tables) and the reader sorted them. Equal timestamps
        in a row are in order: they are duplicates, not disorder.
    notes : list of str
        Other decisions worth telling (date format, time zones, encodings, ...).
    earlier : ReadReport or None
        :func:`from_frame` only: the report already attached to the input
        frame (by :func:`read`); its findings still apply.
    """

    path: str
    format: str
    layout: str = "wide"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None
    date_column: str | None = None
    station_column: str | None = None
    stations: list[str] = field(default_factory=list)
    n_rows: int = 0
    columns: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    missing_tokens: dict[str, int] = field(default_factory=dict)
    missing_codes: dict[str, int] = field(default_factory=dict)
    censored: dict[str, int] = field(default_factory=dict)
    unparsed: dict[str, int] = field(default_factory=dict)
    missing_token_examples: dict[str, list[str]] = field(default_factory=dict)
    unparsed_examples: dict[str, list[str]] = field(default_factory=dict)
    censored_examples: dict[str, list[str]] = field(default_factory=dict)
    rounded: dict[str, int] = field(default_factory=dict)
    rounded_examples: dict[str, list[str]] = field(default_factory=dict)
    decimal_comma: list[str] = field(default_factory=list)
    ambiguous_commas: dict[str, int] = field(default_factory=dict)
    ambiguous_comma_examples: dict[str, list[str]] = field(default_factory=dict)
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
    earlier: "ReadReport | None" = None

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

    def note(self, text: str) -> None:
        """Add a note once (the same decision is not told twice)."""
        if text not in self.notes:
            self.notes.append(text)

    def messages(self) -> list[str]:
        """One short line per noteworthy fact, for the command line to print.

        Returns
        -------
        list of str
            Empty when the input needed no cleaning at all.
        """
        out: list[str] = [] if self.earlier is None else self.earlier.messages()
        if self.blank_rows:
            out.append(f"{plural(self.blank_rows, 'empty row')} ignored")
        if self.date_column is None and self.format == "frame":
            out.append("no date column or DatetimeIndex found; rows keep their index "
                       "(pass date_column=...)")
        elif self.date_column is None:
            out.append(
                "no date column found; rows are numbered from 0 "
                "(pass date_column=... / --date-column)"
            )
        if self.bad_dates:
            rows = row_list(self.bad_date_rows, self.bad_dates)
            ex = examples(self.bad_date_examples, lead="; e.g. ")
            out.append(
                f"{plural(self.bad_dates, 'row')} removed: no valid date in "
                f"{self.date_column!r} ({rows}{ex})"
            )
        if self.station_column is not None and self.layout == "station":
            if len(self.stations) == 1:
                out.append(f"every row is from station {self.stations[0]!r} (column "
                           f"{self.station_column!r}); recorded as each series' station")
            else:
                shown = ", ".join(self.stations[:N_EXAMPLES]) + (", ..." if len(self.stations) > N_EXAMPLES else "")
                out.append(f"one series per station and variable: {len(self.stations)} stations "
                           f"in {self.station_column!r} ({shown})")
        out.extend(self.notes)
        for new, old in self.renamed.items():
            if new in self.skipped:
                continue
            if old == "":
                out.append(f"a column without a header is read as {new!r}")
            else:
                out.append(f"another column named {old!r} is read as {new!r}")
        if self.was_sorted:
            within = " within each series" if self.layout in ("long", "station") else ""
            out.append(f"rows were not in time order{within}; sorted by {self.date_column!r}")
        if self.duplicates:
            how = {
                "mean": "averaged column-wise" if self.layout == "wide" else "averaged",
                "first": "kept the first row of each" if self.layout == "wide" else "kept the first of each",
                "last": "kept the last row of each" if self.layout == "wide" else "kept the last of each",
                "error": "error",
            }[self.duplicates_rule]
            if self.layout == "wide":
                what = (f"{plural(self.duplicates, 'row')} share "
                        f"{plural(self.duplicate_timestamps, 'timestamp')}")
            else:
                what = (f"{plural(self.duplicates, 'value')} share their timestamp and series "
                        f"({plural(self.duplicate_timestamps, 'pair')})")
            out.append(f"{what}; {how} (duplicates={self.duplicates_rule!r})")
            text_columns = [c for c, why in self.skipped.items() if why.startswith("text column")]
            if text_columns and self.station_column is None:
                out.append(
                    "rows sharing a timestamp may belong to different stations (text columns: "
                    f"{', '.join(text_columns[:N_EXAMPLES])}{', ...' if len(text_columns) > N_EXAMPLES else ''}); "
                    "name the station column with station_column=... (CLI: --station-column)"
                )
        for name, reason in self.skipped.items():
            out.append(f"{name}: skipped, {reason}")
        if self.decimal_comma:
            shown = ", ".join(self.decimal_comma[:N_EXAMPLES])
            more = ", ..." if len(self.decimal_comma) > N_EXAMPLES else ""
            out.append(f"',' read as the decimal separator in {shown}{more}")
        for name in self.columns:
            n = self.ambiguous_commas.get(name)
            if n:
                ex = examples(self.ambiguous_comma_examples.get(name, []), lead="e.g. ")
                how = ("a decimal comma (1,234 = 1.234)" if name in self.decimal_comma
                       else "a thousands separator (1,234 = 1234)")
                out.append(f"{name}: {plural(n, 'value')} with an ambiguous comma ({ex}) read with "
                           f"{how}, as elsewhere in the column or file")
            n = self.missing_tokens.get(name)
            if n:
                ex = examples(self.missing_token_examples.get(name, []), lead="e.g. ")
                out.append(f"{name}: {plural(n, 'missing-value marker')} ({ex}) read as missing")
            n = self.missing_codes.get(name)
            if n:
                codes = ", ".join(fmt_number(c) for c in self.missing_code_values)
                codes = f"{codes}, 9.96921e36" if codes else "9.96921e36"
                out.append(f"{name}: {plural(n, 'missing code')} ({codes}) read as missing")
            n = self.censored.get(name)
            if n:
                how = {
                    "missing": "set to missing",
                    "limit": "kept at the limit",
                    "half": "set to half the limit for '<', the limit for '>'",
                }[self.censored_rule]
                ex = examples(self.censored_examples.get(name, []), lead="e.g. ")
                out.append(
                    f"{name}: {plural(n, 'censored value')} ({ex}) {how} "
                    f"(censored={self.censored_rule!r})"
                )
            n = self.unparsed.get(name)
            if n:
                ex = examples(self.unparsed_examples.get(name, []), lead="e.g. ")
                out.append(f"{name}: {plural(n, 'cell')} not a number ({ex}), set to missing")
            n = self.rounded.get(name)
            if n:
                ex = examples(self.rounded_examples.get(name, []), lead="e.g. ")
                out.append(
                    f"{name}: {plural(n, 'integer')} beyond ±2**53 ({ex}) rounded to the nearest "
                    "float64 (about 16 significant digits)"
                )
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
        A frame returned by :func:`read` or :func:`from_frame` (pandas keeps
        ``attrs`` through most operations).

    Returns
    -------
    ReadReport or None
        None when the frame does not come from the reader.
    """
    report = getattr(frame, "attrs", {}).get(ATTRS_KEY)
    return report if isinstance(report, ReadReport) else None


# --------------------------------------------------------------------------- wording helpers


def plural(n: int, noun: str) -> str:
    """``"1 row"``, ``"2 rows"``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def examples(texts: list[str], lead: str = "") -> str:
    """``"e.g. 'a', 'b'"`` (empty when there is none)."""
    if not texts:
        return ""
    return lead + ", ".join(repr(t) for t in texts)


def row_list(rows: list[int], total: int) -> str:
    """``"rows 3, 6, ..."``."""
    shown = ", ".join(map(str, rows))
    more = ", ..." if total > len(rows) else ""
    return f"{'row' if total == 1 else 'rows'} {shown}{more}"


def fmt_number(x: float) -> str:
    """A missing code as written by a person: ``-9999``, ``9.96921e+36``."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)


def fmt_ts(ts: Any) -> str:
    """A timestamp, without a time part when it is midnight."""
    ts = pd.Timestamp(ts)
    if ts.tz is None and ts == ts.normalize():
        return ts.strftime("%Y-%m-%d")
    return ts.isoformat(sep=" ")


def one_line(exc: Any) -> str:
    """An exception's message on one line."""
    return " ".join(str(exc).split())

"""Files -> raw tables: delimited text, Excel, Parquet files and partitioned Parquet folders.

Each reader returns the table with positional placeholder column names, the
headers as written (so that pandas' silent ``pH.1`` renaming never happens; the
header step names the columns), and the file row number of the first data row.
"""

from __future__ import annotations

import csv
import io
import urllib.parse
import warnings
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import InputError
from .decode import decode, header_fields, sniff_delimiter
from .report import ReadReport, one_line

__all__ = ["parquet_groups", "Raw", "read_text", "read_excel", "read_parquet", "read_parquet_folder"]

TEXT_SUFFIXES = (".csv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xls")
PARQUET_SUFFIXES = (".parquet",)
READ_SUFFIXES = TEXT_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES

Raw = tuple[pd.DataFrame, list[Any], int]


def _placeholders(n: int) -> list[str]:
    return [f"\x00{i}" for i in range(n)]


def read_text(p: Path, name: str, encoding: str | None, report: ReadReport) -> Raw:
    """A delimited text file: decoded, delimiter sniffed, header taken as written."""
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({one_line(exc)})") from None
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            f"{name}: is an Excel workbook (or another zip/binary file), not delimited text; "
            "give it the .xlsx/.xls extension or save it as .csv"
        )
    decoded = decode(data, name, encoding)
    del data
    text = decoded.text
    if not text or text.isspace():
        raise InputError(f"{name} is empty")
    end = text.find("\n")
    header = (text if end < 0 else text[:end]).rstrip("\r")  # no copy of the whole text
    delimiter = sniff_delimiter(header)
    fields = header_fields(text, delimiter)
    del text
    report.format = "csv"
    report.encoding = decoded.encoding
    report.delimiter = delimiter
    for note in decoded.notes:
        report.note(note)
    source: Any = BytesIO(decoded.data) if decoded.data is not None else p
    decoded.text = ""
    kwargs: dict[str, Any] = dict(
        sep=delimiter, encoding=decoded.encoding, keep_default_na=False, na_values=[""],
        skip_blank_lines=False, index_col=False, low_memory=False,
    )
    if fields:
        kwargs.update(header=0, names=_placeholders(len(fields)))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            raw = pd.read_csv(source, **kwargs)
    except pd.errors.EmptyDataError:
        raise InputError(f"{name} is empty") from None
    except (pd.errors.ParserError, ValueError, UnicodeError) as exc:
        raise InputError(f"{name}: cannot read as delimited text ({one_line(exc)}); check its "
                         "quotes and delimiter") from None
    for w in caught:
        if issubclass(w.category, pd.errors.ParserWarning):
            where = _first_long_row(decoded.data if decoded.data is not None else p, decoded.encoding,
                                    delimiter, len(fields))
            what = f"row {where[0]} has {where[1]} fields" if where else "some rows have more fields"
            raise InputError(
                f"{name}: {what}, more than the header's {len(fields)}; fix the file or its "
                f"delimiter (read as {delimiter!r})"
            )
    _integers_as_text(raw, source, kwargs)
    return raw, (fields if fields else list(raw.columns)), 2


def _integers_as_text(raw: pd.DataFrame, source: Any, kwargs: dict[str, Any]) -> None:
    """Re-read as text the float columns holding values beyond ±2**53 (rare), so that the cell
    step sees integers written in full and can report their rounding."""
    big = [c for c in raw.columns if raw[c].dtype == np.float64
           and bool((np.abs(raw[c].to_numpy()) > 2.0**53).any())]
    if not big:
        return
    if isinstance(source, BytesIO):
        source.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        texts = pd.read_csv(source, **{**kwargs, "usecols": big, "dtype": str})
    for c in big:
        raw[c] = texts[c].to_numpy()


def _first_long_row(source: Any, encoding: str, delimiter: str, n_fields: int) -> tuple[int, int] | None:
    """(file row number, fields) of the first row with more fields than the header."""
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
        text = data.decode(encoding, errors="replace")
        if text.startswith("\ufeff"):
            text = text[1:]
        for i, fields in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter)):
            if len(fields) > n_fields:
                return i + 1, len(fields)
    except (OSError, LookupError, csv.Error):
        pass
    return None


def read_excel(p: Path, name: str, sheet: int | str, report: ReadReport) -> Raw:
    """One sheet of an Excel workbook; the first row is the header."""
    with open(p, "rb") as fh:
        magic = fh.read(8)
    engine: Literal["openpyxl", "xlrd"]
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
        raise InputError(f"{name}: cannot read as an Excel workbook ({one_line(exc)})") from None
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
            grid = pd.read_excel(book, sheet_name=sheet_name, header=None, keep_default_na=False,
                                 na_values=[""])
        except Exception as exc:
            raise InputError(f"{name}: cannot read sheet {sheet_name!r} ({one_line(exc)})") from None
    if grid.shape[1] == 0 or grid.shape[0] == 0:
        raise InputError(f"{name} is empty (sheet {sheet_name!r})")
    names = list(grid.iloc[0])
    body = grid.iloc[1:].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        body = body.infer_objects()
    body.columns = _placeholders(body.shape[1])
    return body, names, 2


def read_parquet(p: Path, name: str, report: ReadReport) -> Raw:
    """A Parquet file (its stored index restored, e.g. a DatetimeIndex)."""
    report.format = "parquet"
    pq = _pyarrow(name)
    try:
        table = pq.read_table(p)
    except Exception as exc:
        raise InputError(f"{name}: cannot read as Parquet ({one_line(exc)})") from None
    return _table_to_raw(table, name)


def _pyarrow(name: str) -> Any:
    try:
        import pyarrow.parquet as pq  # lazy: only Parquet needs it
    except ImportError:
        raise InputError(f"{name}: reading Parquet needs pyarrow (pip install pyarrow)") from None
    return pq


def _table_to_raw(table: Any, name: str) -> Raw:
    names = list(table.column_names)
    duplicated = len(set(names)) != len(names)
    try:
        if duplicated:  # pandas metadata cannot name duplicates: plain columns
            table = table.replace_schema_metadata(None).rename_columns(_placeholders(len(names)))
        # the Arrow table is not used again: let pyarrow free it while converting
        raw = table.to_pandas(split_blocks=True, self_destruct=True)
        del table
    except Exception as exc:
        raise InputError(f"{name}: cannot convert the Parquet data ({one_line(exc)})") from None
    if not duplicated:
        names = list(raw.columns)  # the stored index (if any) is raw.index now
    raw.columns = _placeholders(raw.shape[1])
    if raw.shape[1] == 0 and not isinstance(raw.index, pd.DatetimeIndex):
        raise InputError(f"{name} is empty")
    return raw, names, 1


def read_parquet_folder(p: Path, name: str, report: ReadReport, files: list[Path] | None = None) -> Raw:
    """A (hive-partitioned) Parquet folder, part by part: ``station=Mun-Ui/part-0.parquet``.

    Partition keys (``key=value`` folders below ``p``) become columns. Parts
    whose column types disagree are not an error: a column that is a number in
    every part becomes float64, any other disagreement becomes text (then
    cleaned cell by cell), with a note naming the column and the parts.
    ``files`` reads only those parts (of ``p``), their keys still taken from
    their folders below ``p``.
    """
    if files is None:
        files = sorted(f for f in p.rglob("*.parquet") if f.is_file())
    if not files:
        raise InputError(f"{name}: not a file, and not a Parquet dataset folder (no .parquet files inside)")
    report.format = "parquet dataset"
    pq = _pyarrow(name)
    import pyarrow as pa

    tables = []
    for f in files:
        try:
            table = pq.read_table(f, partitioning=None)
        except Exception as exc:
            raise InputError(f"{name}: cannot read part {f.relative_to(p)} as Parquet ({one_line(exc)})") from None
        for part in f.relative_to(p).parts[:-1]:
            if "=" in part:
                key, value = part.split("=", 1)
                key, value = urllib.parse.unquote(key), urllib.parse.unquote(value)
                if key not in table.column_names:
                    table = table.append_column(key, pa.array([value] * table.num_rows, pa.string()))
        tables.append((f.relative_to(p), table.replace_schema_metadata(None)))
    order: list[str] = []
    types: dict[str, dict[str, list[str]]] = {}
    for rel, table in tables:
        for fld in table.schema:
            if fld.name not in types:
                order.append(fld.name)
                types[fld.name] = {}
            types[fld.name].setdefault(str(fld.type), []).append(str(rel))
    target: dict[str, Any] = {}  # a pyarrow DataType, or None: as read
    for col in order:
        kinds = types[col]
        if len(kinds) == 1:
            target[col] = None
            continue
        numeric = all(t in ("double", "float", "halffloat", "int8", "int16", "int32", "int64", "uint8",
                            "uint16", "uint32", "uint64", "null") for t in kinds)
        target[col] = pa.float64() if numeric else pa.string()
        if set(kinds) - {"null"}:
            desc = "; ".join(f"{t} in {', '.join(parts[:2])}{', ...' if len(parts) > 2 else ''}"
                             for t, parts in kinds.items())
            how = "read as numbers (float64)" if numeric else "read as text and cleaned cell by cell"
            report.note(f"parts of {name} disagree on the type of column {col!r} ({desc}); {how}")
    unified = []
    for _, table in tables:
        cols = []
        for col in order:
            if col in table.column_names:
                arr = table.column(col)
                want = target[col]
                if want is not None and arr.type != want:
                    try:
                        arr = arr.cast(want)
                    except Exception as exc:
                        raise InputError(f"{name}: cannot read column {col!r} of every part as "
                                         f"{want} ({one_line(exc)})") from None
            else:
                want = target[col] or next(iter(t.column(col).type for _, t in tables if col in t.column_names))
                arr = pa.nulls(table.num_rows, type=want)
            cols.append(arr)
        unified.append(pa.table(cols, names=order))
    try:
        table = pa.concat_tables(unified)
    except Exception as exc:
        raise InputError(f"{name}: cannot combine the Parquet parts ({one_line(exc)})") from None
    return _table_to_raw(table, name)


def parquet_groups(p: Path) -> list[tuple[str, list[Path]]]:
    """The parts of a Parquet folder grouped by their top-level partition.

    ``station=A/part-0.parquet, station=A/part-1.parquet, station=B/...`` gives
    ``[("station=A", [...]), ("station=B", [...])]``; files directly in the
    folder are a group each. The unit of a streamed run (:mod:`aquaflag.stream`).
    """
    groups: dict[str, list[Path]] = {}
    for f in sorted(x for x in p.rglob("*.parquet") if x.is_file()):
        rel = f.relative_to(p)
        key = rel.parts[0] if len(rel.parts) > 1 else rel.name
        groups.setdefault(key, []).append(f)
    return list(groups.items())

"""Write frames: CSV (UTF-8 with a byte-order mark), Excel and Parquet, wide or long.

:func:`write` saves a frame so that :func:`aquaflag.io.read` finds it again as
it was; :func:`write_long` saves it in the long layout, optionally as a
partitioned Parquet folder.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from typing import Iterator

import pandas as pd

from ..errors import InputError, ParameterError
from .layouts import to_long
from .report import one_line

__all__ = ["write", "write_long", "atomic"]


@contextlib.contextmanager
def atomic(path: Path) -> Iterator[Path]:
    """Write to a temporary file beside ``path``; rename it into place when complete.

    An interrupted write (Ctrl-C, a full disk, a killed process) leaves the
    previous file or none, never a truncated one that looks complete. An
    ``OSError`` becomes an :class:`~aquaflag.errors.InputError` naming the file.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")  # same suffix: writers check it
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        reason = "no space left on device" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        raise InputError(f"cannot write {path}: {reason}; nothing of it was kept") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise

_WRITE_SUFFIXES = (".csv", ".xlsx", ".parquet")


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
        ``.xlsx`` (openpyxl; it stores numbers with 16 significant digits and
        header names as text, never as formulas) or ``.parquet`` (pyarrow). An
        existing file is replaced.

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
    >>> from aquaflag.io import read
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
        with pd.ExcelWriter(p, engine="openpyxl") as writer:
            out.to_excel(writer, index=keep_index)
            # openpyxl stores a text starting with "=" as a formula: keep header names as text
            for cell in next(iter(writer.sheets.values()))[1]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
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
            raise InputError(f"{name}: cannot write as Parquet ({one_line(exc)})") from None
    return p


def write_long(frame: pd.DataFrame, path: str | Path, *, flags: pd.DataFrame | None = None,
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

    Returns
    -------
    pathlib.Path
        The file or folder written.

    Raises
    ------
    aquaflag.errors.ParameterError
        An unknown ``partition_by``, or a file extension other than ``.csv``
        and ``.parquet``.
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

"""Options shared by several commands, and reading the data they name."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click

from ..errors import InputError

__all__ = ["read_options", "output_options", "read_data", "read_prior", "split_columns"]


def _apply(options: list[Callable], func: Callable) -> Callable:
    for option in reversed(options):
        func = option(func)
    return func


def read_options(func: Callable) -> Callable:
    """Options of the commands that read a data file (see :func:`aquaflag.io.read`)."""
    return _apply([
        click.option("--encoding", default=None, help="File encoding (default: UTF-8, else CP949)."),
        click.option("--date-column", default=None, help="Name of the date column (default: detected)."),
        click.option("--censored", type=click.Choice(["missing", "limit", "half"]), default="missing",
                     show_default=True, help="Values like '<0.5': missing, at the limit, or half the limit."),
        click.option("--duplicates", type=click.Choice(["mean", "first", "last", "error"]), default="mean",
                     show_default=True, help="Rows sharing a timestamp: average them, keep one, or stop."),
        click.option("--station-column", "station_column", default=None, metavar="NAME",
                     help="Column naming the station (site) of each row, splitting a tidy table "
                          "into one series per station (default: detected; 'none': no split)."),
        click.option("--sheet", default="0", show_default=True, help="Excel sheet (name or number)."),
    ], func)


def output_options(func: Callable) -> Callable:
    """Options of the commands that write results: folder, report, plots, quiet."""
    return _apply([
        click.option("-o", "--out", type=click.Path(path_type=Path),
                     default=Path("aquaflag-out"), show_default=True, help="Output folder."),
        click.option("--report", "report", type=click.Path(dir_okay=False, path_type=Path),
                     default=None, help="Also write the interactive HTML report to this file."),
        click.option("--lang", type=click.Choice(["en", "ko"]), default="en", show_default=True,
                     help="Language of the report."),
        click.option("--plots/--no-plots", default=True, show_default=True, help="Write plots/*.png."),
        click.option("-q", "--quiet", is_flag=True, help="Print only errors."),
    ], func)


def read_data(file: Path, **read_args: Any):
    """The data of ``file`` through the one reader (:func:`aquaflag.io.read`)."""
    from ..io import read

    station = read_args.pop("station_column", None)
    if isinstance(station, str) and station.strip().lower() == "none":
        station = False
    sheet = read_args.pop("sheet", "0")
    sheet = int(sheet) if isinstance(sheet, str) and sheet.isdigit() else sheet
    return read(file, station_column=station, sheet=sheet, **read_args)


def read_prior(path: Path, data):
    """A flags file (QARTOD codes, like an earlier run's ``flags.csv``) for ``data``."""
    import pandas as pd

    try:
        prior = pd.read_csv(path, index_col=0, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: flags file not found") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: the flags file is not UTF-8 text; give a flags.csv as "
                         "aquaflag writes it") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{path}: not a flags table ({' '.join(str(exc).split())})") from None
    if isinstance(data.index, pd.DatetimeIndex):
        prior.index = pd.to_datetime(prior.index, errors="coerce")
    return prior[[c for c in prior.columns if c in data.columns]]


def split_columns(columns: tuple[str, ...]) -> list[str] | None:
    """``--columns a,b --columns c`` -> ``["a", "b", "c"]`` (None when not given)."""
    out = [c.strip() for arg in columns for c in arg.split(",") if c.strip()]
    return out or None

"""Write a Result to a folder: the tables a run leaves behind.

======================  ======================================================
``outliers.csv``        one row per flagged value and rule (tidy)
``flags.csv``           QARTOD flag codes, same rows and columns as the data
``cleaned.csv``         the data with flagged values set to NaN
``summary.csv``         one row per column and rule
``provenance.csv``      which rule (method, parameters) gave which flag to which value
``qc_data.csv``         per column: the value, its flag and its cleaned value, side by side
``config.toml``         the rules as run, every parameter written out (reproducible)
``plots/*.png``         one figure per column (+ a rule grid when several ran)
======================  ======================================================

How files are written, so that nothing is lost:

* **Atomically**: each file is written under a temporary name in the same
  folder and renamed into place when complete. An interrupted run (Ctrl-C, a
  full disk) leaves the previous file or none, never a truncated file that
  looks complete.
* **Never over the input**: paths given in ``protect`` (the data file, the
  configuration, a flags file) are refused as outputs, with an error naming
  both.
* **No stale files**: the folder keeps a manifest (``.aquaflag-outputs.json``)
  of what the last run wrote; files of an earlier run that this run does not
  write again (plots of columns no longer evaluated) are removed, and both
  the replaced and the removed files are reported. Other files are never
  touched.
* **Safe in spreadsheets**: text cells and headers that a spreadsheet would
  run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
  return) are written with a leading apostrophe (OWASP, "CSV injection");
  numbers stay numbers.
* Derived numbers (scores, bounds) are written to 15 significant digits
  (``6.4``, not ``6.399999999999999``); data values are written exactly.

CSV files are UTF-8 with a byte-order mark, so Excel shows Korean column
names correctly. Reads a Result only.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd

from .config import rules_to_toml
from .errors import InputError
from .io.write import atomic
from .result import Result

__all__ = ["write_outputs", "side_by_side", "Written", "csv_safe", "MANIFEST"]

#: The manifest of the files a run wrote into its output folder.
MANIFEST = ".aquaflag-outputs.json"
#: Cells starting with these characters are formulas to a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Derived (computed) columns, written to 15 significant digits.
_DERIVED = ("score", "lower", "upper")


@dataclass
class Written:
    """What :func:`write_outputs` did.

    Attributes
    ----------
    paths : dict
        Output name -> path (``"plots"`` maps to the plots folder).
    replaced : list of Path
        Files of an earlier run that were overwritten.
    removed : list of Path
        Files of an earlier run that this run did not write, removed.
    """

    paths: dict[str, Path] = field(default_factory=dict)
    replaced: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)


def side_by_side(result: Result, policy: str = "nan") -> pd.DataFrame:
    """Per column ``X``: ``X`` (original), ``X_flag`` (QARTOD code), ``X_clean`` (cleaned)."""
    flags, clean = result.flags, result.cleaned(policy)
    parts = {}
    for col in result.columns:
        parts[col] = result.data[col]
        parts[f"{col}_flag"] = flags[col]
        parts[f"{col}_clean"] = clean[col]
    return pd.DataFrame(parts, index=result.data.index)


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and labels cannot run as spreadsheet formulas.

    Examples
    --------
    >>> csv_safe(pd.DataFrame({"=cmd|' /C calc'!A0": ["@x", "ok"], "v": [-1.5, 2.0]}))
       '=cmd|' /C calc'!A0    v
    0                  '@x -1.5
    1                   ok  2.0
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(_safe_text)
    out.columns = [_safe_text(c) for c in out.columns]
    if out.index.dtype == object:
        out.index = out.index.map(_safe_text)
    if out.index.name is not None:
        out.index.name = _safe_text(out.index.name)
    return out


def _safe_text(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Derived columns to 15 significant digits (their last two digits are round-off)."""
    out = frame.copy()
    for col in _DERIVED:
        if col in out.columns:
            v = out[col].to_numpy(dtype=np.float64, na_value=np.nan)
            with np.errstate(invalid="ignore", divide="ignore"):
                digits = 14 - np.floor(np.log10(np.abs(np.where(v == 0, 1.0, v))))
            finite = np.isfinite(v) & np.isfinite(digits)
            v = v.copy()
            v[finite] = [round(float(x), int(d)) for x, d in zip(v[finite], digits[finite])]
            out[col] = v
    return out


def write_outputs(result: Result, directory, *, plots: bool = True,
                  protect: tuple[Any, ...] = (),
                  config_text: str | None = None,
                  progress: Callable[[str], Any] | None = None) -> Written:
    """Write the standard output files of ``result`` into ``directory``.

    Parameters
    ----------
    result : Result
    directory : path-like
        Created if missing. Files of the same names are replaced (and
        reported); see the module docstring for the rules.
    plots : bool
        Also write ``plots/*.png`` (needs matplotlib).
    protect : tuple of path-like
        Files that must not be overwritten (the input, the configuration).
    config_text : str, optional
        The configuration as the user wrote it, saved as ``config.toml`` with
        its comments; by default the rules are written out as TOML.
    progress : callable, optional
        Called as ``progress(column)`` after each column's plot is written.

    Returns
    -------
    Written

    Raises
    ------
    InputError
        When an output would overwrite a protected file, an output name is
        taken by a folder, or a file cannot be written (e.g. a full disk).
    """
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file, not a folder; give a folder for the results")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create output folder {out}: {exc.strerror}") from None
    paths = {
        "outliers": out / "outliers.csv",
        "flags": out / "flags.csv",
        "cleaned": out / "cleaned.csv",
        "summary": out / "summary.csv",
        "provenance": out / "provenance.csv",
        "qc_data": out / "qc_data.csv",
        "config": out / "config.toml",
    }
    _check_targets(paths.values(), protect)
    previous = _read_manifest(out)
    done = Written(paths=dict(paths))
    index_label = result.data.index.name or "time"

    def csv(frame: pd.DataFrame, path: Path, **kw) -> None:
        with _atomic(path, done) as tmp:
            csv_safe(frame).to_csv(tmp, encoding="utf-8-sig", **kw)

    csv(_rounded(result.outliers), paths["outliers"], index=False)
    csv(result.flags, paths["flags"], index_label=index_label)
    csv(result.cleaned(), paths["cleaned"], index_label=index_label)
    csv(result.summary, paths["summary"], index=False)
    csv(_rounded(result.provenance), paths["provenance"], index=False)
    csv(side_by_side(result), paths["qc_data"], index_label=index_label)
    text = config_text if config_text is not None else (
        "# aquaflag rules as run; reproduce with: aquaflag run -c config.toml DATA\n\n"
        + rules_to_toml(result.rules))
    with _atomic(paths["config"], done) as tmp:
        tmp.write_text(text, encoding="utf-8")
    written = list(paths.values())
    if plots:
        from .plot import save_plots

        paths["plots"] = done.paths["plots"] = out / "plots"
        before = {p for p in paths["plots"].glob("*.png")} if paths["plots"].is_dir() else set()
        try:
            pngs = save_plots(result, paths["plots"], progress=progress)
        except OSError as exc:
            raise InputError(f"cannot write plots into {paths['plots']}: {exc.strerror or exc}") from None
        done.replaced.extend(p for p in pngs if p in before)
        written.extend(pngs)
    done.removed = _remove_stale(out, previous, written)
    _write_manifest(out, written)
    return done


def _check_targets(targets, protect) -> None:
    shielded = {}
    for p in protect:
        if p is None:
            continue
        with contextlib.suppress(OSError):
            shielded[Path(p).resolve()] = Path(p)
    for target in targets:
        if target.resolve() in shielded:
            raise InputError(
                f"--out would overwrite {shielded[target.resolve()]} (written as {target.name}); "
                "choose another --out folder")
        if target.is_dir():
            raise InputError(f"cannot write {target}: a folder of that name is in the way; "
                             "move it or choose another --out")


@contextlib.contextmanager
def _atomic(path: Path, done: Written) -> Iterator[Path]:
    """:func:`aquaflag.io.write.atomic`, noting a file of an earlier run that it replaced."""
    existed = path.exists()
    with atomic(path) as tmp:
        yield tmp
    if existed:
        done.replaced.append(path)


def _read_manifest(out: Path) -> list[Path]:
    try:
        names = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [out / n for n in names if isinstance(n, str) and ".." not in Path(n).parts]


def _write_manifest(out: Path, written: list[Path]) -> None:
    names = sorted(str(p.relative_to(out).as_posix()) for p in written)
    with contextlib.suppress(OSError):
        (out / MANIFEST).write_text(json.dumps({"files": names}, ensure_ascii=False, indent=0),
                                    encoding="utf-8")


def _remove_stale(out: Path, previous: list[Path], written: list[Path]) -> list[Path]:
    keep = {p.resolve() for p in written}
    removed = []
    for p in previous:
        if p.resolve() not in keep and p.is_file():
            with contextlib.suppress(OSError):
                p.unlink()
                removed.append(p)
    return removed

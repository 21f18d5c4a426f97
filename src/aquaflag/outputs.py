"""Write a Result to a folder: the tables a run leaves behind.

======================  ======================================================
``outliers.csv``        one row per flagged value and rule (tidy)
``flags.csv``           QARTOD flag codes, same rows and columns as the data
``cleaned.csv``         the data with flagged values set to NaN
``summary.csv``         one row per column and rule
``provenance.csv``      which rule (method, parameters) gave which flag to which value
``qc_data.csv``         per column: the value, its flag and its cleaned value, side by side
``config.toml``         the rules as run, every parameter written out (reproducible)
``plots/*.png``         one figure per column (+ a method grid when several ran)
======================  ======================================================

CSV files are written as UTF-8 with a byte-order mark, so Excel shows Korean
column names correctly. Reads a Result only.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .config import rules_to_toml
from .errors import InputError
from .result import Result

__all__ = ["write_outputs", "side_by_side"]


def side_by_side(result: Result, policy: str = "nan") -> pd.DataFrame:
    """Per column ``X``: ``X`` (original), ``X_flag`` (QARTOD code), ``X_clean`` (cleaned)."""
    flags, clean = result.flags, result.cleaned(policy)
    parts = {}
    for col in result.columns:
        parts[col] = result.data[col]
        parts[f"{col}_flag"] = flags[col]
        parts[f"{col}_clean"] = clean[col]
    return pd.DataFrame(parts, index=result.data.index)


def write_outputs(result: Result, directory, *, plots: bool = True, progress=None) -> dict[str, Path]:
    """Write the standard output files of ``result`` into ``directory``.

    Parameters
    ----------
    result : Result
    directory : path-like
        Created if missing; existing files of the same names are replaced.
    plots : bool
        Also write ``plots/*.png`` (needs matplotlib).
    progress : callable, optional
        Called as ``progress(column)`` after each column's plot is written.

    Returns
    -------
    dict
        Output name -> path (``"plots"`` maps to the plots folder).
    """
    out = Path(directory)
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
    index_label = result.data.index.name or "time"
    result.outliers.to_csv(paths["outliers"], index=False, encoding="utf-8-sig")
    result.flags.to_csv(paths["flags"], index_label=index_label, encoding="utf-8-sig")
    result.cleaned().to_csv(paths["cleaned"], index_label=index_label, encoding="utf-8-sig")
    result.summary.to_csv(paths["summary"], index=False, encoding="utf-8-sig")
    result.provenance.to_csv(paths["provenance"], index=False, encoding="utf-8-sig")
    side_by_side(result).to_csv(paths["qc_data"], index_label=index_label, encoding="utf-8-sig")
    paths["config"].write_text(
        "# aquaflag rules as run; reproduce with: aquaflag run -c config.toml DATA\n\n"
        + rules_to_toml(result.rules), encoding="utf-8")
    if plots:
        from .plot import save_plots

        paths["plots"] = out / "plots"
        save_plots(result, paths["plots"], progress=progress)
    return paths

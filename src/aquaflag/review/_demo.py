"""The demo's QC store: the demo data with one season-aware run, ready for ``aquaflag review``."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["demo_store", "demo_hint", "DEMO_STORE", "DEMO_CONFIG"]

#: File names the demo store and its configuration get in the demo folder.
DEMO_STORE = "qc-store.sqlite"
DEMO_CONFIG = "qc-store.toml"


def demo_store(out_dir: str | os.PathLike, *, seed: int = 2016, korean: bool = False,
               fresh: bool = True) -> Path:
    """Write a QC store of the demo data with one recorded run, for ``aquaflag review``.

    The demo data (:func:`aquaflag.datasets.demo`: 3 Daecheong stations × 4
    variables, weekly 2016–2023, with injected anomalies) are judged by the
    season-aware starter configuration (:func:`aquaflag.config.starter`,
    written beside the store as ``qc-store.toml``) and recorded in
    ``out_dir/qc-store.sqlite`` with :func:`aquaflag.stored_run.run_in_store`.

    Parameters
    ----------
    out_dir : path
        The folder (created when missing).
    seed : int
        Seed of the demo data.
    korean : bool
        Korean series names (수온(문의), ...).
    fresh : bool
        Start from an empty store (an earlier demo store, with any decisions
        made in it, is replaced). False adds a run to the existing store.

    Returns
    -------
    Path
        The store file.

    Raises
    ------
    MissingDependency
        Without SQLAlchemy, with the line ``pip install 'aquaflag[review]'``.

    Examples
    --------
    >>> import tempfile
    >>> from aquaflag.store import open_store
    >>> path = demo_store(tempfile.mkdtemp())
    >>> with open_store(path) as store:
    ...     len(store.series()), len(store.runs())
    (12, 1)
    """
    from .._optional import require

    require("sqlalchemy", extra="review", feature="the demo's QC store")
    from ..config import parse, starter
    from ..datasets import demo
    from ..store import open_store
    from ..stored_run import run_in_store

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / DEMO_STORE
    if fresh:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    data = demo(seed, korean=korean)
    text = starter(data, source="demo_data.csv")
    (out / DEMO_CONFIG).write_text(text, encoding="utf-8")
    with open_store(path) as store:
        run_in_store(store, data, parse(text))
    return path


def demo_hint(store_path: str | os.PathLike, data_path: str | os.PathLike | None = None) -> str:
    """The lines ``aquaflag demo`` prints on how to review the demo store.

    Examples
    --------
    >>> print(demo_hint("aquaflag-demo/qc-store.sqlite", "aquaflag-demo/demo_data.csv"))
    review the flags in your browser: aquaflag review aquaflag-demo/qc-store.sqlite  (then open http://127.0.0.1:8765/)
    re-run QC with your decisions: aquaflag run --store aquaflag-demo/qc-store.sqlite -c aquaflag-demo/qc-store.toml aquaflag-demo/demo_data.csv
    """
    store_path = Path(store_path)
    config = store_path.with_name(DEMO_CONFIG)
    lines = [f"review the flags in your browser: aquaflag review {store_path.as_posix()}  "
             "(then open http://127.0.0.1:8765/)"]
    if data_path is not None:
        lines.append(f"re-run QC with your decisions: aquaflag run --store {store_path.as_posix()} "
                     f"-c {config.as_posix()} {Path(data_path).as_posix()}")
    return "\n".join(lines)

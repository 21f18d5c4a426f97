"""A whole-record run recorded in a QC store, respecting technicians' decisions.

``aquaflag run --store qc.sqlite -c qc.toml DATA`` calls :func:`run_in_store`:
the data's values are added to the store (raw values are immutable), the
configuration is applied with the decisions the store holds (a human flag
wins; rejected values are left out of every statistic; an accepted value is
not flagged again by the same rule with the same parameters — see
:func:`aquaflag.evaluate`), and the run is recorded with its configuration,
so the store's final flags, history and exports include it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from .config import Config
from .config import load as load_config
from .engine import evaluate, prepare_frame
from .errors import ParameterError
from .result import Result
from .rules import Rule
from .store import open_store

__all__ = ["run_in_store", "StoredRun"]


@dataclass
class StoredRun:
    """A run and its id in the store."""

    result: Result
    run: int


def run_in_store(store, data, config, *, columns: Sequence[str] | None = None,
                 engine: str = "serial", scheduler: str | None = None,
                 progress: Callable[[int, int], None] | None = None) -> StoredRun:
    """Apply ``config`` to ``data`` with the store's decisions, and record the run.

    Parameters
    ----------
    store : Store, path or URL
        The QC store (:func:`aquaflag.store.open_store`).
    data : DataFrame
        The values to judge (a DatetimeIndex is needed to store them).
    config : path, Config or list of Rule
        The QC configuration.
    columns, engine, scheduler, progress
        As for :func:`aquaflag.run`.

    Returns
    -------
    StoredRun
    """
    if not hasattr(store, "record_run"):
        store = open_store(store)
    if isinstance(config, (str, Path)):
        config = load_config(config)
    if isinstance(config, Config):
        rules, mapping, text = config.rules, config.mapping, config.text
    elif isinstance(config, Sequence) and all(isinstance(r, Rule) for r in config):
        rules, mapping, text = list(config), None, None
    else:
        raise ParameterError("config must be the path of a TOML file, a Config or a list of aquaflag.Rule")
    frame, _, _ = prepare_frame(data, columns)
    human = store.human([str(c) for c in frame.columns]) if len(frame.columns) else None
    result = evaluate(data, rules, columns=columns, mapping=mapping, human=human, engine=engine,
                      scheduler=scheduler, progress=progress)
    return StoredRun(result=result, run=store.record_run(result, text))


def decisions_note(result: Result) -> str:
    """One line on the decisions a run respected ("" when none)."""
    human: Any = getattr(result, "human", None)
    if human is None or not len(human):
        return ""
    counts = pd.Series(human["action"]).value_counts()
    return ("respected " + ", ".join(f"{n} {a}" for a, n in counts.items())
            + " decision(s) of technicians (a human flag wins)")

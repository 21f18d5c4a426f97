"""The unit of work: every rule on one whole series.

Serial, threaded and Dask runs all call :func:`judge_series` once per series,
so they give identical results. Whole-series statistics stay exact because a
series is never split.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .. import registry
from ..detection import Detection
from ..rules import Rule
from ..variables import SeriesInfo, siblings, sonde_mates

__all__ = ["judge_series", "apply", "evaluable", "companion_kinds", "companion_values",
           "COMPANIONS", "TimeOrder"]

#: Other series a method may judge a series with: the same variable at other stations
#: (``siblings``), the other variables at the same station (``sonde``).
COMPANIONS = {"siblings": siblings, "sonde": sonde_mates}

Companions = Mapping[str, Mapping[str, np.ndarray]]


def apply(rule: Rule, values: np.ndarray, times: np.ndarray | None = None, *,
          series: SeriesInfo | None = None, companions: Companions | None = None) -> Detection:
    """Run one resolved rule on one series (values as float64, NaN = missing, no inf)."""
    spec = registry.get(rule.method)
    given = {"times": times, "series": series, **{k: (companions or {}).get(k) for k in COMPANIONS}}
    return spec.run(values, **rule.params, **{k: given[k] for k in spec.context})


def companion_kinds(rules: Sequence[Rule]) -> tuple[str, ...]:
    """Which companion series (``siblings``, ``sonde``) any of the rules needs."""
    return tuple(k for k in COMPANIONS if any(k in r.context for r in rules))


def evaluable(frame: pd.DataFrame, column: str, prior: pd.DataFrame | None) -> np.ndarray:
    """One column's values as float64, with values a prior flag failed or suspected set to NaN."""
    values = frame[column].to_numpy(dtype=np.float64)  # a view: the frame is float64 already
    if prior is not None:
        values = np.where(np.isin(prior[column].to_numpy(), (3, 4)), np.nan, values)
    return values


def companion_values(frame: pd.DataFrame, infos: Mapping[str, SeriesInfo], column: str,
                     kinds: Sequence[str]) -> dict[str, dict[str, np.ndarray]]:
    """For each kind asked for, the companions' values on the frame's rows, by column."""
    return {kind: {c: frame[c].to_numpy(dtype=np.float64, na_value=np.nan)
                   for c in COMPANIONS[kind](infos, str(column))} for kind in kinds}


class TimeOrder:
    """How to present a frame's rows to the methods: in time order, without missing timestamps.

    Methods need increasing timestamps. A frame whose index is not sorted is
    judged in sorted (stable) order; rows without a timestamp (NaT) are not
    judged at all. Detections are put back in the frame's own row order, the
    left-out rows marked not evaluated, so nothing is reordered or dropped in
    what the user gets.
    """

    def __init__(self, index: pd.Index) -> None:
        self.n = len(index)
        self.rows: np.ndarray | None = None  # positions judged, in time order; None = all, as is
        self.notes: list[str] = []
        self.times: np.ndarray | None = None
        if not isinstance(index, pd.DatetimeIndex):
            return
        t = index.to_numpy(dtype="datetime64[ns]")
        nat = np.isnat(t)
        ordered = bool(np.all(t[~nat][1:] >= t[~nat][:-1])) if (~nat).sum() > 1 else True
        if nat.any() or not ordered:
            rows = np.flatnonzero(~nat)
            rows = rows[np.argsort(t[rows], kind="stable")]
            self.rows = rows
            if nat.any():
                self.notes.append(f"{int(nat.sum())} row(s) have no timestamp (NaT): not judged")
            if not ordered:
                self.notes.append("rows are not in time order: judged in time order, results "
                                  "given in the data's own row order")
            t = t[rows]
        self.times = t

    def take(self, values: np.ndarray) -> np.ndarray:
        """The values in the order the methods see them."""
        return values if self.rows is None else values[self.rows]

    def put_back(self, det: Detection) -> Detection:
        """A Detection on the frame's own rows (left-out rows not evaluated)."""
        return det if self.rows is None else det.scattered(self.rows, self.n)


def judge_series(rules: Sequence[Rule], info: SeriesInfo, values: np.ndarray,
                 order: TimeOrder, companions: Companions | None = None) -> dict[str, Detection]:
    """All rules that select the series on it: ``{rule label: Detection}``.

    ``values`` and ``companions`` (:func:`companion_values`) are on the frame's
    rows; ``order`` says how the methods see them (see :class:`TimeOrder`).
    """
    out = {}
    x = order.take(values)
    seen = None
    for rule in rules:
        if not rule.selects(info):
            continue
        if seen is None and companions and any(k in rule.context for k in COMPANIONS):
            seen = {kind: {c: order.take(v) for c, v in cols.items()} for kind, cols in companions.items()}
        det = apply(rule, x, order.times, series=info, companions=seen)
        out[rule.label] = order.put_back(det)
    return out

"""Score detections against expert labels: point-wise and event-wise.

Two views of the same comparison between a boolean *flagged* series (what a
detector found) and a boolean *labels* series (what an expert marked):

Point-wise
    Every counted point is one trial. With TP = flagged and labelled,
    FP = flagged not labelled, FN = labelled not flagged:

    .. math::

        P = \\frac{TP}{TP + FP}, \\qquad R = \\frac{TP}{TP + FN}, \\qquad
        F_1 = \\frac{2PR}{P + R} = \\frac{2\\,TP}{2\\,TP + FP + FN}

Event-wise
    A labelled *event* is a maximal run of consecutive labelled points; a
    *detected run* is a maximal run of consecutive flagged points.
    "Consecutive" means adjacent among the counted points, so a gap of
    uncounted (e.g. missing) points does not split a run.

    * a labelled event is **hit** if at least one of its points is flagged;
    * a detected run is **correct** if it overlaps at least one labelled
      event (shares at least one point); otherwise it is a false alarm.

    .. math::

        P_e = \\frac{\\text{correct runs}}{\\text{detected runs}}, \\qquad
        R_e = \\frac{\\text{hit events}}{\\text{labelled events}}, \\qquad
        F_{1,e} = \\frac{2 P_e R_e}{P_e + R_e}

    One long drift period counts once, as does one spike: the event view
    weighs each anomaly equally whatever its length, which the point view
    does not.

Undefined ratios
    Precision with nothing flagged and recall with nothing labelled are 0/0:
    they are NaN ("undefined"), not 0 or 1. F1 is 0 whenever precision and
    recall are both 0 or either is undefined (then the other is 0 or
    undefined too), so a series scores F1 = 0 unless something is found.
    Aggregate over series with :func:`micro` (sum the counts, then divide),
    which never averages NaN ratios.

This module only reads boolean masks; it does not run detectors.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from .errors import InputError, ParameterError
from .result import Result

__all__ = ["score", "score_table", "micro", "events", "TABLE_COLUMNS", "ANY"]

#: Columns of :func:`score_table`.
TABLE_COLUMNS = ["column", "rule", "n", "labelled", "flagged", "tp", "fp", "fn",
                 "precision", "recall", "f1", "event_precision", "event_recall", "event_f1"]
#: The rule name of the combined mask (any rule flagged the point).
ANY = "any"


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else float("nan")


def _f1(precision: float, recall: float) -> float:
    if np.isnan(precision) or np.isnan(recall) or precision + recall == 0:
        return 0.0
    return 2.0 * precision * recall / (precision + recall)


def _as_bool(arr, name: str) -> np.ndarray:
    a = np.asarray(arr)
    if a.ndim != 1:
        raise InputError(f"{name} must be 1-d; got shape {a.shape}")
    if a.dtype != bool:
        if a.dtype.kind == "f" and np.isnan(a).any():
            raise InputError(f"{name} holds NaN; give a boolean array (True/False)")
        if a.dtype.kind not in "biuf" or not np.isin(a, (0, 1)).all():
            raise InputError(f"{name} must be boolean (True/False or 0/1); got dtype {a.dtype}")
        a = a.astype(bool)
    return a


def events(mask) -> np.ndarray:
    """Number each maximal run of consecutive True values: 0 outside, 1, 2, ... inside.

    Parameters
    ----------
    mask : array of bool

    Returns
    -------
    ndarray of int64
        The run number of each point (0 where ``mask`` is False).

    Examples
    --------
    >>> events([False, True, True, False, True, False, False, True])
    array([0, 1, 1, 0, 2, 0, 0, 3])
    """
    m = _as_bool(mask, "mask")
    starts = m & ~np.concatenate(([False], m[:-1]))
    return np.where(m, np.cumsum(starts), 0).astype(np.int64)


def score(flagged, labels, *, evaluated=None) -> dict[str, Any]:
    """Point-wise and event-wise agreement of one flagged series with its labels.

    Parameters
    ----------
    flagged : array of bool, shape (n,)
        True where the detector flagged the point.
    labels : array of bool, shape (n,)
        True where the expert labelled the point anomalous.
    evaluated : array of bool, shape (n,), optional
        The points that count (e.g. ``~np.isnan(values)``: points with a
        value). Other points are dropped before anything is computed: they
        are neither TP, FP nor FN, and runs are formed among the remaining
        points. By default every point counts.

    Returns
    -------
    dict
        ``n`` counted points; ``labelled``, ``flagged`` counted points;
        ``tp``, ``fp``, ``fn``; ``precision``, ``recall``, ``f1``;
        ``events`` (labelled events), ``events_hit``, ``runs`` (detected
        runs), ``runs_hit`` (runs overlapping a labelled event);
        ``event_precision``, ``event_recall``, ``event_f1``.

    Notes
    -----
    Point-wise: :math:`P = TP/(TP+FP)`, :math:`R = TP/(TP+FN)`,
    :math:`F_1 = 2PR/(P+R) = 2TP/(2TP+FP+FN)`.

    Event-wise: a labelled event (maximal run of labelled points) is hit if
    any of its points is flagged; a detected run (maximal run of flagged
    points) is correct if it shares a point with a labelled event.
    :math:`P_e` = correct runs / runs, :math:`R_e` = hit events / events,
    :math:`F_{1,e} = 2P_eR_e/(P_e+R_e)`.

    A precision with nothing flagged, or a recall with nothing labelled, is
    NaN; F1 is 0 when precision and recall are both 0 or undefined.

    Examples
    --------
    Two labelled events (points 1-3 and 7); the detector flags points 2 and
    5-6: one run hits the first event, the other is a false alarm.

    >>> labels  = [0, 1, 1, 1, 0, 0, 0, 1, 0, 0]
    >>> flagged = [0, 0, 1, 0, 0, 1, 1, 0, 0, 0]
    >>> s = score(flagged, labels)
    >>> s["tp"], s["fp"], s["fn"]
    (1, 2, 3)
    >>> round(s["precision"], 3), s["recall"], round(s["f1"], 3)
    (0.333, 0.25, 0.286)
    >>> s["events"], s["events_hit"], s["runs"], s["runs_hit"]
    (2, 1, 2, 1)
    >>> s["event_precision"], s["event_recall"], s["event_f1"]
    (0.5, 0.5, 0.5)

    Points without a value do not count, and do not split an event:

    >>> import numpy as np
    >>> values = np.array([1.0, 9.0, np.nan, 9.0, 1.0])
    >>> s = score([0, 1, 0, 0, 0], [0, 1, 1, 1, 0], evaluated=~np.isnan(values))
    >>> s["n"], s["tp"], s["fn"], s["events"], s["event_recall"]
    (4, 1, 1, 1, 1.0)
    """
    f = _as_bool(flagged, "flagged")
    lab = _as_bool(labels, "labels")
    if f.shape != lab.shape:
        raise InputError(f"flagged has {f.size} points and labels {lab.size}; give arrays of equal length")
    if evaluated is not None:
        ev = _as_bool(evaluated, "evaluated")
        if ev.shape != f.shape:
            raise InputError(f"evaluated has {ev.size} points and flagged {f.size}; give arrays of equal length")
        f, lab = f[ev], lab[ev]
    tp = int(np.count_nonzero(f & lab))
    fp = int(np.count_nonzero(f & ~lab))
    fn = int(np.count_nonzero(~f & lab))
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)

    lab_ev = events(lab)
    run_ev = events(f)
    n_events = int(lab_ev.max()) if lab_ev.size else 0
    n_runs = int(run_ev.max()) if run_ev.size else 0
    both = f & lab
    events_hit = int(np.unique(lab_ev[both]).size)
    runs_hit = int(np.unique(run_ev[both]).size)
    e_precision = _ratio(runs_hit, n_runs)
    e_recall = _ratio(events_hit, n_events)
    return {
        "n": int(f.size),
        "labelled": tp + fn,
        "flagged": tp + fp,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "events": n_events,
        "events_hit": events_hit,
        "runs": n_runs,
        "runs_hit": runs_hit,
        "event_precision": e_precision,
        "event_recall": e_recall,
        "event_f1": _f1(e_precision, e_recall),
    }


def score_table(result_or_masks, labels: pd.DataFrame, *, by_rule: bool = True,
                evaluated: pd.DataFrame | None = None) -> pd.DataFrame:
    """Score every column (and rule) of a detection run against labels.

    Parameters
    ----------
    result_or_masks : Result or dict of str -> DataFrame of bool
        A :class:`~aquaflag.result.Result`: each rule's mask
        (``result.mask_of(label)``) and the combined ``result.mask`` are
        scored (a rule is scored only on the columns it applies to). Or a
        dict ``{rule: mask frame}``; the combined mask is the element-wise
        OR of the frames.
    labels : DataFrame of bool
        Expert labels, with the index of the masks (row order may differ)
        and a column for each column to score. Mask columns without a label
        column are not scored; label columns without a mask are ignored.
    by_rule : bool, default True
        One row per column and rule, then a row ``rule="any"`` for the
        combined mask. With False, only the ``"any"`` rows.
    evaluated : DataFrame of bool, optional
        The cells that count (see :func:`score`). By default, for a Result,
        the cells with a value (``result.data.notna()``: missing values are
        never flagged, so counting them would only add false negatives); for
        a dict of masks, every cell.

    Returns
    -------
    DataFrame
        Columns ``column, rule, n, labelled, flagged, tp, fp, fn,
        precision, recall, f1, event_precision, event_recall, event_f1``
        (see :func:`score`), ordered by column, then rule, then "any".

    Examples
    --------
    >>> import pandas as pd
    >>> flagged = pd.DataFrame({"ph": [False, True, True, False]})
    >>> labels = pd.DataFrame({"ph": [False, True, False, False]})
    >>> t = score_table({"range": flagged}, labels)
    >>> t[["column", "rule", "tp", "fp", "fn", "precision", "recall", "event_f1"]]
      column   rule  tp  fp  fn  precision  recall  event_f1
    0     ph  range   1   1   0        0.5     1.0       1.0
    1     ph    any   1   1   0        0.5     1.0       1.0
    """
    if isinstance(result_or_masks, Result):
        res = result_or_masks
        masks = {lab: res.mask_of(lab) for lab in res.labels}
        applies = {lab: {col for (col, rule) in res.detections if rule == lab} for lab in res.labels}
        combined = res.mask
        if evaluated is None:
            evaluated = res.data.notna()
    elif isinstance(result_or_masks, Mapping):
        if not result_or_masks:
            raise ParameterError("no masks to score: the dict is empty")
        if ANY in result_or_masks:
            raise ParameterError(f"{ANY!r} names the combined mask; give the rules other labels")
        masks = {}
        first = None
        for name, m in result_or_masks.items():
            if not isinstance(m, pd.DataFrame):
                raise InputError(f"mask {name!r} must be a DataFrame of bool; got {type(m).__name__}")
            if first is None:
                first = m
            elif not (m.index.equals(first.index) and list(m.columns) == list(first.columns)):
                raise InputError(f"mask {name!r} has another index or other columns than the first mask")
            masks[str(name)] = m
        applies = None
        combined = None
    else:
        raise InputError(
            "score_table takes a Result or a dict {rule: DataFrame of bool}; "
            f"got {type(result_or_masks).__name__}"
        )
    if not isinstance(labels, pd.DataFrame):
        raise InputError(f"labels must be a DataFrame of bool; got {type(labels).__name__}")

    ref = next(iter(masks.values()))
    index, cols = ref.index, list(ref.columns)
    lab = _aligned(labels, index, "labels")
    ev = None if evaluated is None else _aligned(evaluated, index, "evaluated")
    if combined is None:
        combined = pd.DataFrame(np.logical_or.reduce([m.to_numpy(dtype=bool) for m in masks.values()]),
                                index=index, columns=cols)
    scored = [c for c in cols if c in lab.columns]
    if not scored:
        raise InputError(
            f"no column to score: mask columns {', '.join(map(str, cols))}; "
            f"label columns {', '.join(map(str, labels.columns))}"
        )
    runs = (list(masks.items()) if by_rule else []) + [(ANY, combined)]
    rows = []
    for col in scored:
        lab_col = lab[col].to_numpy()
        ev_col = None
        if ev is not None:
            if col not in ev.columns:
                raise InputError(f"evaluated has no column {col!r}")
            ev_col = ev[col].to_numpy()
        for name, m in runs:
            if applies is not None and name != ANY and col not in applies[name]:
                continue  # the rule does not apply to this column
            s = score(m[col].to_numpy(dtype=bool), lab_col, evaluated=ev_col)
            rows.append({"column": col, "rule": name, **{k: s[k] for k in TABLE_COLUMNS[2:]}})
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def _aligned(frame: pd.DataFrame, index: pd.Index, name: str) -> pd.DataFrame:
    """``frame`` as bool, reordered to ``index``; every row of ``index`` must be present."""
    if not frame.index.equals(index):
        if frame.index.has_duplicates:
            raise InputError(f"{name} has duplicate index values; cannot align it with the masks")
        missing = ~index.isin(frame.index)
        if missing.any():
            raise InputError(
                f"{name} lacks {int(missing.sum())} row(s) of the masks (first: {index[missing][0]!r}); "
                "give it the same index"
            )
        frame = frame.reindex(index)
    out = {}
    for c in frame.columns:
        col = frame[c]
        if col.dtype != bool:
            if col.isna().any():
                raise InputError(f"{name}[{c!r}] holds missing values; give True/False")
            out[c] = _as_bool(col.to_numpy(), f"{name}[{c!r}]")
        else:
            out[c] = col.to_numpy()
    return pd.DataFrame(out, index=index, columns=frame.columns)


def micro(table: pd.DataFrame, *, by: str | list[str] | None = None):
    """Micro-average of a :func:`score_table`: sum the counts, then recompute the ratios.

    Parameters
    ----------
    table : DataFrame
        Rows of :func:`score_table` (or any frame with ``n, labelled,
        flagged, tp, fp, fn`` columns). Select the rows first, e.g.
        ``table[table.rule == "iqr"]``.
    by : str or list of str, optional
        Group by these columns (e.g. ``"rule"``) and average each group.

    Returns
    -------
    Series or DataFrame
        ``n, labelled, flagged, tp, fp, fn`` summed, and
        ``precision = Σtp / (Σtp + Σfp)``, ``recall = Σtp / (Σtp + Σfn)``,
        ``f1 = 2·P·R / (P + R)`` (NaN and 0 conventions of :func:`score`).
        A Series without ``by``; a DataFrame indexed by the groups with it.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"rule": ["a", "a", "b"], "n": [10, 10, 10], "labelled": [2, 6, 2],
    ...                   "flagged": [4, 0, 1], "tp": [2, 0, 1], "fp": [2, 0, 0], "fn": [0, 6, 1]})
    >>> micro(t[t.rule == "a"])[["tp", "fp", "fn", "precision", "recall", "f1"]].tolist()
    [2.0, 2.0, 6.0, 0.5, 0.25, 0.3333333333333333]
    >>> micro(t, by="rule")[["tp", "precision", "recall"]]
            tp  precision  recall
    rule
    a        2        0.5    0.25
    b        1        1.0    0.50
    """
    counts = ["n", "labelled", "flagged", "tp", "fp", "fn"]
    missing = [c for c in counts if c not in table.columns]
    if missing:
        raise InputError(f"table lacks column(s) {', '.join(missing)}; pass a score_table")

    def _one(sums: pd.Series) -> pd.Series:
        tp, fp, fn = sums["tp"], sums["fp"], sums["fn"]
        p = _ratio(tp, tp + fp)
        r = _ratio(tp, tp + fn)
        out = sums.copy()
        out["precision"], out["recall"], out["f1"] = p, r, _f1(p, r)
        return out

    if by is None:
        return _one(table[counts].sum().astype(float))
    grouped = table.groupby(by, sort=False)[counts].sum()
    ratios = [_one(grouped.loc[k].astype(float))[["precision", "recall", "f1"]] for k in grouped.index]
    return pd.concat([grouped, pd.DataFrame(ratios, index=grouped.index)], axis=1)

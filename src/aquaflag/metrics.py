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

PyHydroQC's convention
    The convention of the PyHydroQC study (Jones, Jones & Horsburgh 2022), so
    figures can be set beside the published ones (:func:`pyhydroqc_score`):
    labelled and detected points are each *widened* by ``wf`` points on both
    sides (``anomaly_events``), the timeline is cut into *groups* where the
    widened events start, end or both change at once (``compare_events``), and
    every point of a group holding both a labelled and a detected event is a
    TP, of a group with detections only an FP, with labels only an FN (the
    ``wf`` points at each edge of a group are not counted). One flag inside a
    long labelled event therefore makes the whole event TP: much more
    forgiving than the strict point view.

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

__all__ = ["score", "score_table", "micro", "events", "TABLE_COLUMNS", "ANY", "pyhydroqc_events",
           "pyhydroqc_confusion", "pyhydroqc_score", "evaluation_table", "pooled", "read_labels",
           "EVALUATION_COLUMNS", "POOLED"]

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


def _paired(flagged, labels, evaluated=None) -> tuple[np.ndarray, np.ndarray]:
    """``flagged`` and ``labels`` as boolean arrays of equal length, on the ``evaluated`` points only."""
    f = _as_bool(flagged, "flagged")
    lab = _as_bool(labels, "labels")
    if f.shape != lab.shape:
        raise InputError(f"flagged has {f.size} points and labels {lab.size}; give arrays of equal length")
    if evaluated is not None:
        ev = _as_bool(evaluated, "evaluated")
        if ev.shape != f.shape:
            raise InputError(f"evaluated has {ev.size} points and flagged {f.size}; give arrays of equal length")
        f, lab = f[ev], lab[ev]
    return f, lab


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
    f, lab = _paired(flagged, labels, evaluated)
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


# ------------------------------------------------------------- PyHydroQC's convention
def pyhydroqc_events(mask, wf: int = 1) -> np.ndarray:
    """Widen a mask by ``wf`` points each side and number the runs (PyHydroQC ``anomaly_events``).

    Point i (``wf <= i < n - wf``) belongs to an event when any point of
    ``mask[i - wf : i + wf + 1]`` is True; the first and last ``wf`` points
    never do. Consecutive event points share a number (1, 2, ...).

    Parameters
    ----------
    mask : array of bool
    wf : int, default 1
        The widening factor (PyHydroQC's ``wf``; 0: no widening).

    Returns
    -------
    ndarray of int64

    Examples
    --------
    >>> pyhydroqc_events([0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0], wf=1)
    array([0, 0, 1, 1, 1, 0, 0, 2, 2, 2, 0])
    """
    m = _as_bool(mask, "mask")
    if isinstance(wf, bool) or not isinstance(wf, (int, np.integer)) or wf < 0:
        raise ParameterError(f"wf must be a whole number >= 0; got {wf!r}")
    n = m.size
    if wf == 0 or n == 0:
        return events(m)
    c = np.concatenate(([0], np.cumsum(m, dtype=np.int64)))
    i = np.arange(n)
    lo = np.clip(i - wf, 0, n)
    hi = np.clip(i + wf + 1, 0, n)
    wide = (c[hi] - c[lo]) > 0
    wide[:wf] = False
    wide[max(n - wf, 0):] = False
    return events(wide)


def pyhydroqc_confusion(flagged, labels, *, wf: int = 1) -> np.ndarray:
    """Per-point confusion class in PyHydroQC's convention: 0 TN, 1 TP, 2 FP, 3 FN.

    Both masks are widened (:func:`pyhydroqc_events`). A new *group* starts
    at point i when the labelled or the detected event number changes there
    and either the previous point had neither, point i has neither, or both
    numbers change at once (PyHydroQC ``compare_events``). A group holding a
    detected and a labelled event is TP, detected only FP, labelled only FN,
    neither TN; the first and last ``wf`` points of each group are TN.

    PyHydroQC assigns a group's class only when the next group starts, so a
    group still open at the end of the series stays TN there; here it is
    classified like the others (it only matters with ``wf = 0`` and an event
    touching the last point).

    Examples
    --------
    A detection one point before a labelled spike still overlaps it once both
    are widened:

    >>> pyhydroqc_confusion([0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0], wf=1).tolist()
    [0, 0, 1, 1, 0, 0, 0]
    """
    f, lab = _paired(flagged, labels)
    n = f.size
    if n == 0:
        return np.zeros(0, dtype=np.int8)
    le, de = pyhydroqc_events(lab, wf), pyhydroqc_events(f, wf)
    prev_le = np.concatenate((le[:1], le[:-1]))
    prev_de = np.concatenate((de[:1], de[:-1]))
    changed = (prev_le != le) | (prev_de != de)
    new = changed & (((prev_le == 0) & (prev_de == 0)) | ((le == 0) & (de == 0))
                     | ((prev_le != le) & (prev_de != de)))
    group = np.cumsum(new)
    n_groups = int(group[-1]) + 1
    has_det = np.bincount(group, weights=de > 0, minlength=n_groups) > 0
    has_lab = np.bincount(group, weights=le > 0, minlength=n_groups) > 0
    kind = np.where(has_det & has_lab, 1, np.where(has_det, 2, np.where(has_lab, 3, 0))).astype(np.int8)
    out = kind[group]
    if wf > 0:
        starts = np.searchsorted(group, np.arange(n_groups), side="left")
        ends = np.searchsorted(group, np.arange(n_groups), side="right")
        pos = np.arange(n)
        edge = (pos - starts[group] < wf) | (ends[group] - 1 - pos < wf)
        out[edge] = 0
    return out


def pyhydroqc_score(flagged, labels, *, wf: int = 1, evaluated=None) -> dict[str, Any]:
    """Point and event scores in PyHydroQC's convention (``metrics`` and ``event_metrics``).

    Parameters
    ----------
    flagged, labels : array of bool, shape (n,)
    wf : int, default 1
        Widening factor (PyHydroQC's default in its model workflows).
    evaluated : array of bool, optional
        Points that count; the others are dropped first, as in :func:`score`.

    Returns
    -------
    dict
        ``tp, fp, fn`` (points of each class, :func:`pyhydroqc_confusion`),
        ``precision, recall, f1``; ``event_tp, event_fp, event_fn`` (the
        number of runs of each class: a run of TP points, then a run of FP
        points, count as one TP and one FP event) and ``event_precision,
        event_recall, event_f1``.

    Notes
    -----
    :math:`P = TP/(TP+FP)`, :math:`R = TP/(TP+FN)`, :math:`F_1 = 2PR/(P+R)`,
    with TP/FP/FN counted per point from the groups; the event figures use the
    run counts. NaN/0 conventions as in :func:`score`.

    References
    ----------
    .. [1] A. S. Jones, T. L. Jones and J. S. Horsburgh (2022), "Toward automating
       post processing of aquatic sensor data", *Environmental Modelling &
       Software* 151, 105364 (PyHydroQC, ``anomaly_utilities.py``:
       ``anomaly_events``, ``compare_events``, ``metrics``, ``event_metrics``).

    Examples
    --------
    One flag inside a 5-point labelled event: strict recall 1/5, PyHydroQC's 1.

    >>> lab = [0, 0, 1, 1, 1, 1, 1, 0, 0, 0]
    >>> fl  = [0, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    >>> s = pyhydroqc_score(fl, lab)
    >>> s["tp"], s["fp"], s["fn"], s["f1"]
    (5, 0, 0, 1.0)
    >>> round(score(fl, lab)["f1"], 3)
    0.333
    """
    f, lab = _paired(flagged, labels, evaluated)
    cm = pyhydroqc_confusion(f, lab, wf=wf)
    tp, fp, fn = (int(np.count_nonzero(cm == k)) for k in (1, 2, 3))
    prev = np.concatenate(([0], cm[:-1])) if cm.size else cm
    starts = cm != prev
    etp, efp, efn = (int(np.count_nonzero(starts & (cm == k))) for k in (1, 2, 3))
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    ep, er = _ratio(etp, etp + efp), _ratio(etp, etp + efn)
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": _f1(p, r),
            "event_tp": etp, "event_fp": efp, "event_fn": efn, "event_precision": ep,
            "event_recall": er, "event_f1": _f1(ep, er)}


#: Columns of :func:`evaluation_table`.
EVALUATION_COLUMNS = [
    "column", "n", "labelled", "flagged", "tp", "fp", "fn", "precision", "recall", "f1",
    "events", "events_hit", "runs", "runs_hit", "event_precision", "event_recall", "event_f1",
    "phq_tp", "phq_fp", "phq_fn", "phq_f1", "phq_event_tp", "phq_event_fp", "phq_event_fn",
    "phq_event_f1",
]
#: The ``column`` of the pooled row of :func:`evaluation_table`.
POOLED = "(pooled)"


def evaluation_table(flagged: pd.DataFrame, labels: pd.DataFrame, *,
                     evaluated: pd.DataFrame | None = None, wf: int = 1,
                     pooled_row: bool = True) -> pd.DataFrame:
    """Strict point-wise, event-wise and PyHydroQC-convention scores per column, and pooled.

    Parameters
    ----------
    flagged : DataFrame of bool
        What was flagged (e.g. ``result.mask``, or a flags table read as
        ``flag in (3, 4)``).
    labels : DataFrame of bool
        Expert labels on the same index (row order may differ); only columns
        present in both are scored.
    evaluated : DataFrame of bool, optional
        The cells that count (see :func:`score`); by default every cell.
    wf : int, default 1
        PyHydroQC's widening factor.
    pooled_row : bool, default True
        Append a row ``column = "(pooled)"`` that sums every count over the
        columns and recomputes the ratios (micro-average; :func:`pooled`).

    Returns
    -------
    DataFrame
        :data:`EVALUATION_COLUMNS`: the :func:`score` figures, then
        ``phq_*`` from :func:`pyhydroqc_score`.

    Examples
    --------
    >>> import pandas as pd
    >>> fl = pd.DataFrame({"ph": [0, 1, 0, 0, 0, 0], "do": [0, 0, 0, 0, 1, 1]}).astype(bool)
    >>> lab = pd.DataFrame({"ph": [0, 1, 1, 0, 0, 0], "do": [0, 0, 0, 0, 0, 1]}).astype(bool)
    >>> t = evaluation_table(fl, lab)
    >>> t[["column", "tp", "fp", "fn", "f1", "event_f1"]].round(3)
           column  tp  fp  fn     f1  event_f1
    0          ph   1   0   1  0.667       1.0
    1          do   1   1   0  0.667       1.0
    2  (pooled)   2   1   1  0.667       1.0
    """
    if not isinstance(flagged, pd.DataFrame) or not isinstance(labels, pd.DataFrame):
        raise InputError("flagged and labels must be DataFrames of bool with the same index")
    lab = _aligned(labels, flagged.index, "labels")
    ev = None if evaluated is None else _aligned(evaluated, flagged.index, "evaluated")
    cols = [c for c in flagged.columns if c in lab.columns]
    if not cols:
        raise InputError(
            f"no column to score: flagged columns {', '.join(map(str, flagged.columns))}; "
            f"label columns {', '.join(map(str, labels.columns))}")
    rows = []
    for c in cols:
        f = _as_bool(flagged[c].to_numpy(), f"flagged[{c!r}]")
        e = None
        if ev is not None:
            if c not in ev.columns:
                raise InputError(f"evaluated has no column {c!r}")
            e = ev[c].to_numpy()
        s = score(f, lab[c].to_numpy(), evaluated=e)
        q = pyhydroqc_score(f, lab[c].to_numpy(), wf=wf, evaluated=e)
        rows.append({"column": c, **{k: s[k] for k in EVALUATION_COLUMNS[1:17]},
                     **{f"phq_{k}": q[k] for k in ("tp", "fp", "fn", "f1", "event_tp",
                                                   "event_fp", "event_fn", "event_f1")}})
    table = pd.DataFrame(rows, columns=EVALUATION_COLUMNS)
    if pooled_row:
        table = pd.concat([table, pooled(table).to_frame().T], ignore_index=True)
    return table


def pooled(table: pd.DataFrame, *, name: str = POOLED) -> pd.Series:
    """One row pooling the rows of an :func:`evaluation_table`: counts summed, ratios recomputed.

    Point figures: micro-average (Σtp, Σfp, Σfn). Event figures: Σ hit
    events / Σ events and Σ correct runs / Σ runs. PyHydroQC figures: the
    summed point and event counts.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"n": [10, 10], "labelled": [2, 6], "flagged": [4, 0], "tp": [2, 0],
    ...                   "fp": [2, 0], "fn": [0, 6], "events": [1, 2], "events_hit": [1, 0],
    ...                   "runs": [2, 0], "runs_hit": [1, 0]})
    >>> r = pooled(t)
    >>> float(r["f1"]), round(float(r["event_f1"]), 3)
    (0.3333333333333333, 0.4)
    """
    rows = table[table["column"] != name] if "column" in table.columns else table
    out: dict[str, Any] = {"column": name}
    for k in ("n", "labelled", "flagged", "tp", "fp", "fn", "events", "events_hit", "runs", "runs_hit",
              "phq_tp", "phq_fp", "phq_fn", "phq_event_tp", "phq_event_fp", "phq_event_fn"):
        if k in rows.columns:
            out[k] = int(rows[k].sum())
    p, r = _ratio(out["tp"], out["tp"] + out["fp"]), _ratio(out["tp"], out["tp"] + out["fn"])
    out.update(precision=p, recall=r, f1=_f1(p, r))
    ep, er = _ratio(out["runs_hit"], out["runs"]), _ratio(out["events_hit"], out["events"])
    out.update(event_precision=ep, event_recall=er, event_f1=_f1(ep, er))
    if "phq_tp" in out:
        qp = _ratio(out["phq_tp"], out["phq_tp"] + out["phq_fp"])
        qr = _ratio(out["phq_tp"], out["phq_tp"] + out["phq_fn"])
        out["phq_f1"] = _f1(qp, qr)
        qep = _ratio(out["phq_event_tp"], out["phq_event_tp"] + out["phq_event_fp"])
        qer = _ratio(out["phq_event_tp"], out["phq_event_tp"] + out["phq_event_fn"])
        out["phq_event_f1"] = _f1(qep, qer)
    cols = [c for c in EVALUATION_COLUMNS if c in out] + [c for c in out if c not in EVALUATION_COLUMNS]
    return pd.Series({c: out[c] for c in cols}, name=name)


# ------------------------------------------------------------------------ label files
_TRUE = {"true", "t", "yes", "y", "1", "1.0", "x", "anomaly", "bad"}
_FALSE = {"false", "f", "no", "n", "0", "0.0", "", "good", "ok"}
_TIME_NAMES = ("time", "datetime", "date", "timestamp")


def read_labels(source, *, index: pd.Index | None = None,
                columns=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read expert labels: a wide table of booleans or qualifier codes, or long rows.

    Parameters
    ----------
    source : path or DataFrame
        A CSV file (UTF-8) or a frame in one of three layouts:

        * **long**, as ``Store.export_labels`` writes it: columns ``column``,
          ``time``, ``label`` (True anomalous, False judged good; other
          columns such as ``reviewer`` are ignored);
        * **wide booleans**, as :func:`aquaflag.datasets.lro.read_lro` returns
          them: a time column (``time``/``datetime``/``date``/``timestamp``, else
          the first column) and one column per data column holding
          True/False, 1/0, yes/no (empty = False);
        * **wide qualifiers**: columns named ``X_qual`` label column ``X``
          where the qualifier is not empty (the LRO/PyHydroQC convention; an
          LRO file itself can be given).
    index : DatetimeIndex, optional
        The data's index: labels are aligned on it (a time without a label is
        False, and not *known*); a labelled time not in the data is an error.
    columns : list of str, optional
        Keep these columns only.

    Returns
    -------
    labels : DataFrame of bool
        True where a point is labelled anomalous.
    known : DataFrame of bool
        True where a label was given (wide layouts: every cell of the file;
        long: the rows present). Scoring can be restricted to these
        (``aquaflag evaluate --only-labelled``).

    Raises
    ------
    InputError
        Naming the file, column and row of an unreadable label.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"column": ["ph", "ph"], "time": ["2020-01-01 00:15", "2020-01-01 00:30"],
    ...                      "label": [True, False]})
    >>> idx = pd.date_range("2020-01-01", periods=3, freq="15min")
    >>> lab, known = read_labels(long, index=idx)
    >>> lab["ph"].tolist(), known["ph"].tolist()
    ([False, True, False], [False, True, True])
    """
    name = "labels"
    if isinstance(source, pd.DataFrame):
        raw = source.copy()
    else:
        name = str(source)
        try:
            raw = pd.read_csv(source, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except FileNotFoundError:
            raise InputError(f"{name}: labels file not found") from None
        except UnicodeDecodeError:
            raise InputError(f"{name}: not UTF-8 text; save the labels as UTF-8 CSV") from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise InputError(f"{name}: not a labels table ({' '.join(str(exc).split())})") from None
    lower = {str(c).strip().lower(): c for c in raw.columns}
    if {"column", "time", "label"} <= set(lower):
        labels, known = _long_labels(raw, lower, name, index)
    else:
        labels, known = _wide_labels(raw, lower, name, index)
    if columns is not None:
        keep = [c for c in columns if c in labels.columns]
        labels, known = labels[keep], known[keep]
    return labels, known


def _parse_times(values, name: str, what: str) -> pd.DatetimeIndex:
    times = pd.to_datetime(pd.Series(values), errors="coerce", format="mixed")
    bad = times.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"{name}: {what} {list(values)[i]!r} at data row {i + 1} is not a date/time")
    if times.dt.tz is not None:
        times = times.dt.tz_convert(None)
    return pd.DatetimeIndex(times)


def _bool_cell(v, name: str, column: str, row: int) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)) and not (isinstance(v, float) and np.isnan(v)):
        if v in (0, 1):
            return bool(v)
    elif v is None or (isinstance(v, float) and np.isnan(v)):
        return False
    text = str(v).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE or text == "nan":
        return False
    raise InputError(f"{name}: column {column!r} holds {v!r} at data row {row + 1}; "
                     "labels must be True/False, 1/0 or yes/no")


def _long_labels(raw, lower, name, index):
    col, tcol, lcol = lower["column"], lower["time"], lower["label"]
    times = _parse_times(raw[tcol].tolist(), name, "time")
    vals = np.array([_bool_cell(v, name, "label", i) for i, v in enumerate(raw[lcol].tolist())], dtype=bool)
    series = raw[col].astype(str).to_numpy()
    if index is None:
        index = pd.DatetimeIndex(sorted(set(times)))
    index = pd.DatetimeIndex(index)
    names = list(dict.fromkeys(series.tolist()))
    labels = pd.DataFrame(False, index=index, columns=names)
    known = pd.DataFrame(False, index=index, columns=names)
    pos = index.get_indexer(times)
    missing = pos < 0
    if missing.any():
        i = int(np.flatnonzero(missing)[0])
        raise InputError(f"{name}: time {raw[tcol].iloc[i]!r} of column {series[i]!r} (data row {i + 1}) "
                         "is not a time of the data")
    for c in names:
        sel = series == c
        lv, kv = labels[c].to_numpy(copy=True), known[c].to_numpy(copy=True)
        lv[pos[sel]] = vals[sel]
        kv[pos[sel]] = True
        labels[c], known[c] = lv, kv
    return labels, known


def _wide_labels(raw, lower, name, index):
    tkey = next((k for k in _TIME_NAMES if k in lower), None)
    tcol = lower[tkey] if tkey else raw.columns[0]
    times = _parse_times(raw[tcol].tolist(), name, f"{tcol}")
    rest = [c for c in raw.columns if c != tcol]
    qual = [c for c in rest if str(c).lower().endswith("_qual")]
    out = {}
    if qual:
        for c in qual:
            v = raw[c]
            text = v.astype(object).where(v.notna(), "").astype(str).str.strip().str.upper()
            out[str(c)[:-5]] = ~text.isin(["", "NULL", "NAN", "NA", "NONE", "<NA>"]).to_numpy()
    else:
        for c in rest:
            out[str(c)] = np.array([_bool_cell(v, name, str(c), i) for i, v in enumerate(raw[c].tolist())],
                                   dtype=bool)
    labels = pd.DataFrame(out, index=times)
    if labels.index.has_duplicates:
        raise InputError(f"{name}: time {labels.index[labels.index.duplicated()][0]} appears twice")
    known = pd.DataFrame(True, index=labels.index, columns=labels.columns)
    if index is not None:
        index = pd.DatetimeIndex(index)
        extra = ~labels.index.isin(index)
        if extra.any():
            raise InputError(f"{name}: labelled time {labels.index[extra][0]} is not a time of the data")
        labels = labels.reindex(index, fill_value=False).astype(bool)
        known = known.reindex(index, fill_value=False).astype(bool)
    return labels, known

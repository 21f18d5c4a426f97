"""Learning from labels: tune a QC configuration's rules against technicians' labels.

A water agency's own labels are the best training data it has. :func:`tune`
takes a QC configuration (the rules to start from), one or more labelled
data sets (the values and, per value, whether a technician called it an
anomaly) and searches each rule's documented parameter space for the values
that best reproduce the labels:

1. **Rules per variable.** A rule that applies to several variables is split
   into one rule per variable (``"stuck sensor (do)"``): conventions differ
   between variables (a technician may label DO calibration offsets and
   leave pH ones), so each gets its own parameters.
2. **Search space from the registry.** Each parameter's candidate values come
   from its declared constraint (:mod:`aquaflag.registry`): every option of
   an ``Options``/``Boolean``; for a number, the starting value times 1/4,
   1/2, 0.7, 1.4, 2 and 4 (within the bounds), or five values spread over a
   bounded interval; for a window, the starting value times 1/4, 1/2, 2 and
   4. Parameters that start at 0 or unset (floors in data units), lists
   (codes, dates) and the physical ranges of ``gross_range`` and
   ``nodata_codes`` are left as they are.
3. **Coordinate descent, two starts.** In turn, each parameter of each rule
   takes the candidate value that maximises the objective with everything
   else fixed, then the rule is switched off if that is better still (and
   back on), a change being kept only when it gains at least ``min_gain``
   (and, with ``consensus=True``, when it raises the objective on more of the
   labelled data sets it changes than it lowers it on);
   rounds repeat until nothing changes (at most ``rounds``). The
   descent starts once from the configuration as given and once from each
   rule tuned alone (the others off: a rule flagging too much cannot then
   hide what another would find); the better end is kept.
4. **Objective.** The harmonic mean of the pooled point-wise F1 and the
   pooled event-wise F1 (:mod:`aquaflag.metrics`) over every labelled series
   of every data set (``objective="point"`` or ``"event"`` for one of them).
   The harmonic mean is low when either is low: event F1 alone rewards
   flagging everything (one run overlapping every event), point F1 alone
   neglects short events.
5. **Cross-validation in time blocks.** Each data set's rows are cut into
   ``folds`` consecutive blocks; for each block the search runs on the other
   blocks' labels and the result is scored on that block. The mean and
   spread of those held-out scores are the *expected* figures written into
   the configuration. The configuration itself is then tuned on all blocks.

Methods run on whole series (a rule sees all values, as in a normal run);
only the labels are held out. Events and runs are counted within each block.

Everything goes through the engine's own code path
(:func:`aquaflag.engine.series.apply`), so a tuned configuration flags in
``aquaflag run`` exactly what it flagged while being tuned.
"""

from __future__ import annotations

import datetime as _dt
import math
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import registry
from ._version import __version__
from .config import Config, _toml_key, _toml_value, rules_to_toml
from .config import load as load_config
from .engine import prepare_frame
from .engine.series import COMPANIONS, TimeOrder, apply, companion_values
from .errors import InputError, ParameterError
from .rules import Rule, resolve_rules
from .variables import series_of
from .windows import parse_window

__all__ = ["tune", "TuneResult", "search_space", "OBJECTIVES", "FACTORS"]

#: What the search maximises.
OBJECTIVES = ("both", "point", "event")
#: Multipliers of a number's starting value tried by the search.
FACTORS = (0.25, 0.5, 0.7, 1.4, 2.0, 4.0)
#: Multipliers of a window's starting value (whole multiples read better: 6h, 12h, 2D).
WINDOW_FACTORS = (0.25, 0.5, 2.0, 4.0)
#: Parameters never searched: physical ranges and code lists are facts, not statistics.
FIXED = {"gross_range": None, "nodata_codes": None}

# the counts kept per block: tp, fp, fn, labelled events, events hit, flagged runs, runs hit
_TP, _FP, _FN, _EV, _EH, _RU, _RH = range(7)


# ------------------------------------------------------------------ search space
def search_space(method: str, params: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Candidate values of each searchable parameter of ``method``, around ``params``.

    Parameters
    ----------
    method : str
        A registered method.
    params : dict
        The starting (resolved) parameters.

    Returns
    -------
    dict
        ``{param: [values...]}``, the starting value first, for every
        parameter the search may change (see the module notes).

    Examples
    --------
    >>> space = search_space("modified_zscore", {"threshold": 3.5})
    >>> space["threshold"]
    [3.5, 0.875, 1.75, 2.45, 4.9, 7.0, 14.0]
    >>> search_space("offset_stretch", registry.get("offset_stretch").validate({}))["ends"]
    ['first', 'none', 'all']
    """
    spec = registry.get(method)
    if method in FIXED and FIXED[method] is None:
        return {}
    out: dict[str, list[Any]] = {}
    for name, p in spec.params.items():
        value = params.get(name, p.default)
        values = _candidates(p.constraint, value)
        good = []
        for v in values:
            try:
                v = p.constraint.check(v)
            except ValueError:
                continue
            if v not in good:
                good.append(v)
        if len(good) > 1:
            out[name] = good
    return out


def _candidates(c, value) -> list[Any]:
    if value is None:
        return []
    if isinstance(c, registry.Options):
        return [value] + [v for v in c.values if v != value]
    if isinstance(c, registry.Boolean):
        return [value, not value]
    if isinstance(c, registry.Interval):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return []
        if c.left is not None and c.right is not None:
            lo, hi = float(c.left), float(c.right)
            grid = np.linspace(lo, hi, 7)[1:-1]
            vals = [round(float(v), 6) for v in grid]
            if c.type is int:
                vals = [int(round(v)) for v in vals]
            return [value] + vals
        if value == 0:
            return []
        vals = [value * f for f in FACTORS]
        if c.type is int:
            vals = [int(round(v)) for v in vals]
        else:
            vals = [float(f"{v:.6g}") for v in vals]
        return [value] + vals
    if isinstance(c, registry.WindowSpan):
        try:
            w = parse_window(value)
        except Exception:
            return []
        if w.count is not None:
            return [value] + [max(int(round(w.count * f)), c.min_count) for f in WINDOW_FACTORS]
        span = int(w.span_ns or 0)
        return [value] + [_span_text(int(span * f)) for f in WINDOW_FACTORS]
    return []


def _span_text(ns: int) -> str:
    """A time span as the shortest exact text: ``"6h"``, ``"90min"``, ``"2D"``."""
    for unit, size in (("D", 86_400 * 10**9), ("h", 3_600 * 10**9), ("min", 60 * 10**9),
                       ("s", 10**9)):
        if ns >= size and ns % size == 0:
            return f"{ns // size}{unit}"
    return f"{max(ns // 10**9, 1)}s"


# ------------------------------------------------------------------------ data
@dataclass
class _Series:
    dataset: int
    column: str
    info: Any
    values: np.ndarray          # in time order (what the methods see)
    times: np.ndarray | None
    companions: dict | None     # {kind: {series: values}} in time order
    labels: np.ndarray          # bool, time order
    counted: np.ndarray         # bool, time order
    block: np.ndarray           # int, time order
    rows: np.ndarray | None     # TimeOrder.rows


def _prepare(datasets, mapping, folds: int, columns) -> list[_Series]:
    out = []
    for d, item in enumerate(datasets):
        if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
            raise InputError("each labelled data set must be (data, labels) or (data, labels, counted)")
        data, labels = item[0], item[1]
        counted = item[2] if len(item) == 3 else None
        frame, _, _ = prepare_frame(data, columns)
        if not isinstance(labels, pd.DataFrame):
            raise InputError(f"labels of data set {d + 1} must be a DataFrame of bool")
        try:
            infos = series_of(frame, mapping)
        except (TypeError, KeyError) as exc:
            raise ParameterError(str(exc).strip("'\"")) from None
        order = TimeOrder(frame.index)
        n = len(frame)
        pos = np.arange(n)
        rows = order.rows
        tpos = pos if rows is None else pos[rows]
        # blocks: consecutive in time, equal numbers of rows
        block = np.minimum((np.arange(tpos.size) * folds) // max(tpos.size, 1), folds - 1)
        lab = labels.reindex(frame.index)
        cols = [c for c in frame.columns if c in labels.columns]
        if not cols:
            raise InputError(f"data set {d + 1}: no labelled column (data columns: "
                             f"{', '.join(map(str, frame.columns))}; label columns: "
                             f"{', '.join(map(str, labels.columns))})")
        for c in cols:
            v = frame[c].to_numpy(dtype=np.float64)
            lc = lab[c]
            if lc.isna().any():
                lc = lc.fillna(False)
            lv = lc.to_numpy(dtype=bool)
            cv = ~np.isnan(v)
            if counted is not None and c in counted.columns:
                cv &= counted[c].reindex(frame.index).fillna(False).to_numpy(dtype=bool)
            comp = companion_values(frame, infos, c, tuple(COMPANIONS))
            out.append(_Series(d, str(c), infos[str(c)], order.take(v), order.times,
                               {kind: {k: order.take(x) for k, x in cols.items()}
                                for kind, cols in comp.items()},
                               order.take(lv), order.take(cv), block, rows))
    return out


def _block_counts(f: np.ndarray, lab: np.ndarray, counted: np.ndarray, block: np.ndarray,
                  k: int) -> np.ndarray:
    """(k, 7) counts per block; events and runs are formed among counted points of a block."""
    f, lab, b = f[counted], lab[counted], block[counted]
    out = np.zeros((k, 7), dtype=np.int64)
    if f.size == 0:
        return out
    out[:, _TP] = np.bincount(b, weights=f & lab, minlength=k)
    out[:, _FP] = np.bincount(b, weights=f & ~lab, minlength=k)
    out[:, _FN] = np.bincount(b, weights=~f & lab, minlength=k)
    same = np.concatenate(([False], b[1:] == b[:-1]))
    both = f & lab
    for m, col, hitcol in ((lab, _EV, _EH), (f, _RU, _RH)):
        start = m & ~(np.concatenate(([False], m[:-1])) & same)
        nev = int(start.sum())
        if nev == 0:
            continue
        out[:, col] = np.bincount(b[start], minlength=k)
        eid = np.cumsum(start) - 1
        hit = np.zeros(nev, dtype=bool)
        hit[eid[both]] = True
        out[:, hitcol] = np.bincount(b[start][hit], minlength=k)
    return out


def _f1(tp, fp, fn) -> float:
    den = 2 * tp + fp + fn
    return float(2.0 * tp / den) if tp > 0 else 0.0


def _figures(c: np.ndarray) -> tuple[float, float]:
    """(point F1, event F1) of summed counts."""
    point = _f1(c[_TP], c[_FP], c[_FN])
    p = c[_RH] / c[_RU] if c[_RU] else float("nan")
    r = c[_EH] / c[_EV] if c[_EV] else float("nan")
    event = 0.0 if (math.isnan(p) or math.isnan(r) or p + r == 0) else float(2 * p * r / (p + r))
    return point, event


# ---------------------------------------------------------------------- result
@dataclass
class TuneResult:
    """What :func:`tune` found.

    Attributes
    ----------
    rules : list of Rule
        Every rule after tuning (per-variable splits included), resolved.
    enabled : list of bool
        Whether each rule is kept (False: switching it off scored better).
    start : list of Rule
        The same rules with their starting parameters.
    folds : DataFrame
        One row per fold: ``fold, point_f1, event_f1`` on the held-out block,
        and the number of labelled points and events in it.
    expected : dict
        Mean and standard deviation over folds of the held-out point and
        event F1 (``point_f1``, ``point_f1_sd``, ``event_f1``, ``event_f1_sd``).
    in_sample : dict
        Point and event F1 of the final configuration on all labels it was
        tuned on (optimistic: not evidence of quality on new data).
    mapping : dict
        The configuration's ``[columns]`` table.
    info : dict
        Objective, rounds, evaluations, seconds, data summary.
    """

    rules: list[Rule]
    enabled: list[bool]
    start: list[Rule]
    folds: pd.DataFrame
    expected: dict[str, float]
    in_sample: dict[str, float]
    mapping: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def kept(self) -> list[Rule]:
        """The rules left switched on."""
        return [r for r, on in zip(self.rules, self.enabled) if on]

    def changes(self) -> list[str]:
        """One line per rule saying what tuning changed."""
        out = []
        for r, s, on in zip(self.rules, self.start, self.enabled):
            diff = [f"{k} {s.params.get(k)!r} -> {v!r}" for k, v in r.params.items()
                    if s.params.get(k) != v]
            what = "; ".join(diff) if diff else "unchanged"
            out.append(f"{r.label}: {what}" + ("" if on else " (switched off)"))
        return out

    def toml(self, *, source: str = "", labels: str = "", data: str = "") -> str:
        """The tuned configuration as TOML, with the expected scores as comments."""
        e, ins, info = self.expected, self.in_sample, self.info
        fold_p = " ".join(f"{v:.2f}" for v in self.folds["point_f1"])
        fold_e = " ".join(f"{v:.2f}" for v in self.folds["event_f1"])
        lines = [
            f"# aquaflag QC configuration tuned by `aquaflag tune` (aquaflag {__version__}), "
            f"{_dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
            f"# start: {source or 'the given rules'}; labels: {labels or 'given'}; data: {data or 'given'}",
            f"# labelled history: {info.get('series', 0)} series, {info.get('labelled', 0)} labelled "
            f"points in {info.get('events', 0)} events, {info.get('counted', 0)} points counted",
            f"# search: coordinate descent over each rule's parameter grid (from the registry's "
            f"constraints), min_gain {info.get('min_gain', 0)}"
            f"{', consensus of the data sets' if info.get('consensus') else ''}, objective = {info.get('objective', 'both')} "
            f"({'harmonic mean of point and event F1' if info.get('objective') == 'both' else info.get('objective', '') + ' F1'})",
            f"# expected on new data (time-blocked cross-validation, {len(self.folds)} folds, "
            "scored on the held-out block):",
            f"#   point F1 {e['point_f1']:.3f} +/- {e['point_f1_sd']:.3f}   (folds: {fold_p})",
            f"#   event F1 {e['event_f1']:.3f} +/- {e['event_f1_sd']:.3f}   (folds: {fold_e})",
            f"# on the labels it was tuned on (in-sample, optimistic, not evidence): point F1 "
            f"{ins['point_f1']:.3f}, event F1 {ins['event_f1']:.3f}",
            "",
        ]
        if self.mapping:
            lines.append("[columns]")
            for col, entry in self.mapping.items():
                if isinstance(entry, Mapping):
                    body = ", ".join(f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in entry.items())
                    lines.append(f"{_toml_key(str(col))} = {{ {body} }}")
                else:
                    lines.append(f"{_toml_key(str(col))} = {_toml_value(entry)}")
            lines.append("")
        for r, s, on in zip(self.rules, self.start, self.enabled):
            text = rules_to_toml([r]).rstrip("\n").splitlines()
            diff = [f"{k} {_toml_value(s.params.get(k))} -> {_toml_value(v)}" for k, v in r.params.items()
                    if s.params.get(k) != v and v is not None]
            note = ("# tuned: " + ", ".join(diff)) if diff else "# tuned: kept as given"
            if not on:
                note += " (switched off: it lowered the objective)"
                text.insert(1, "enabled = false")
            lines.append(note)
            lines.extend(text)
            lines.append("")
        return "\n".join(lines)


# ------------------------------------------------------------------------ tune
def tune(datasets, config, *, folds: int = 4, objective: str = "both", rounds: int = 2,
         min_gain: float = 0.003, consensus: bool = False, columns: Sequence[str] | None = None,
         workers: int | None = None, progress: Callable[[str], None] | None = None) -> TuneResult:
    """Tune a configuration's rules against labelled data; estimate the result by blocked CV.

    Parameters
    ----------
    datasets : (data, labels) or list of them
        ``data``: a frame as :func:`aquaflag.read` returns it; ``labels``: a
        frame of bool on the same index (True = labelled anomalous), e.g.
        from :func:`aquaflag.metrics.read_labels`. A third element, a frame
        of bool, restricts which cells count (e.g. the ``known`` cells of
        store labels); values that are missing never count.
    config : path, Config or list of Rule
        The rules to start from (their parameters are the starting point).
    folds : int, default 4
        Number of time blocks for the cross-validation (>= 2).
    objective : {"both", "point", "event"}, default "both"
        What the search maximises: the harmonic mean of pooled point and event
        F1, or one of them.
    rounds : int, default 2
        Maximum passes of coordinate descent over every parameter.
    min_gain : float, default 0.003
        A change is kept only when it raises the objective by at least this
        much: small gains on the labelled history are mostly noise, and the
        starting values (documented defaults) travel better to new sites.
        (0.003 was chosen on two held-out sites of the LRO leave-one-site-out
        benchmark, where it did better than accepting every gain; see
        docs/benchmarks.md.)
    consensus : bool, default False
        Keep a change only when, besides the pooled gain, it raises the
        objective on more of the labelled data sets (each a site, say) whose
        figures it changes than it lowers it on. Technicians' conventions
        differ between sites (one labels DO calibration offsets, another only
        corrects them); a change that fits one site's convention at the
        others' expense is then not kept, even when that site has the most
        labels. With one data set it changes nothing.
    columns : list of str, optional
        Tune on these columns only.
    workers : int, optional
        Threads computing rule masks (default: up to 2).
    progress : callable, optional
        Called with a short message as the search advances.

    Returns
    -------
    TuneResult
        ``result.toml()`` is the tuned configuration.

    Raises
    ------
    InputError
        No labelled column, labels not aligned, too few rows for the folds.
    ParameterError
        A bad ``folds``, ``objective`` or ``rounds``.

    Notes
    -----
    The objective is computed from counts pooled over all labelled series:
    :math:`F_1 = 2\\sum TP / (2\\sum TP + \\sum FP + \\sum FN)` point-wise, and
    event-wise :math:`P_e = \\sum \\text{runs hit} / \\sum \\text{runs}`,
    :math:`R_e = \\sum \\text{events hit} / \\sum \\text{events}`,
    :math:`F_{1,e} = 2P_eR_e/(P_e+R_e)` (:func:`aquaflag.metrics.score`),
    runs and events being formed within each time block.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aquaflag import Rule
    >>> idx = pd.date_range("2020-01-01", periods=400, freq="h")
    >>> x = pd.DataFrame({"ph": 7 + 0.1 * np.sin(np.arange(400) / 4)}, index=idx)
    >>> x.iloc[[50, 150, 250, 350], 0] += [1.0, -0.8, 0.9, 1.1]
    >>> lab = pd.DataFrame({"ph": np.isin(np.arange(400), [50, 150, 250, 350])}, index=idx)
    >>> res = tune((x, lab), [Rule("zscore", {"threshold": 9.0})], folds=2)
    >>> res.rules[0].params["threshold"] < 9, res.in_sample["point_f1"]
    (True, 1.0)
    """
    if objective not in OBJECTIVES:
        raise ParameterError(f"objective of tune must be one of {', '.join(OBJECTIVES)}; got {objective!r}")
    if isinstance(folds, bool) or not isinstance(folds, int) or folds < 2:
        raise ParameterError(f"folds of tune must be a whole number >= 2; got {folds!r}")
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 1:
        raise ParameterError(f"rounds of tune must be a whole number >= 1; got {rounds!r}")
    if isinstance(min_gain, bool) or not isinstance(min_gain, (int, float)) or not 0 <= min_gain < 1:
        raise ParameterError(f"min_gain of tune must be a number in [0, 1); got {min_gain!r}")
    if not isinstance(consensus, bool):
        raise ParameterError(f"consensus of tune must be True or False; got {consensus!r}")
    say = progress or (lambda msg: None)
    began = time.perf_counter()
    cpu = time.process_time()
    if isinstance(config, (str, bytes)) or hasattr(config, "__fspath__"):
        config = load_config(config)
    if isinstance(config, Config):
        rules, mapping = config.rules, dict(config.mapping)
    elif isinstance(config, Sequence) and all(isinstance(r, Rule) for r in config):
        rules, mapping = resolve_rules(list(config)), {}
    else:
        raise ParameterError("config must be the path of a TOML file, a Config or a list of aquaflag.Rule")
    if isinstance(datasets, tuple) and len(datasets) in (2, 3) and isinstance(datasets[0], (pd.DataFrame, pd.Series)):
        datasets = [datasets]
    series = _prepare(list(datasets), mapping, folds, columns)
    rules = _split_per_variable(rules, series)
    search = _Search(rules, series, folds, objective, workers, min_gain, consensus)
    try:
        return _tune(search, rules, series, folds, rounds, objective, mapping, say, began, cpu)
    finally:
        search.close()


def _tune(search, rules, series, folds, rounds, objective, mapping, say, began, cpu) -> TuneResult:
    total = search.total_counts()
    info = {"objective": objective, "rounds": rounds, "min_gain": search.min_gain,
            "consensus": search.consensus, "series": len(series),
            "labelled": int(total[_TP] + total[_FN]), "events": int(total[_EV]),
            "counted": int(sum(s.counted.sum() for s in series)), "rules": len(rules)}
    if info["labelled"] == 0:
        raise InputError("no labelled anomaly among the counted values: nothing to tune against")
    fold_rows = []
    for k in range(folds):
        say(f"fold {k + 1}/{folds}: searching on the other {folds - 1} blocks")
        train = np.ones(folds, dtype=bool)
        train[k] = False
        state = search.run(train, rounds)
        c = search.counts(state, ~train)
        p, e = _figures(c)
        fold_rows.append({"fold": k + 1, "point_f1": p, "event_f1": e, "labelled": int(c[_TP] + c[_FN]),
                          "events": int(c[_EV])})
    say("final: searching on every block")
    final = search.run(np.ones(folds, dtype=bool), rounds)
    p_in, e_in = _figures(search.counts(final, np.ones(folds, dtype=bool)))
    fold_tab = pd.DataFrame(fold_rows)
    expected = {"point_f1": float(fold_tab["point_f1"].mean()),
                "point_f1_sd": float(fold_tab["point_f1"].std(ddof=1)),
                "event_f1": float(fold_tab["event_f1"].mean()),
                "event_f1_sd": float(fold_tab["event_f1"].std(ddof=1))}
    tuned = [replace(r, params=dict(params)) for r, (params, _) in zip(rules, final)]
    info.update(evaluations=search.evaluations, masks=search.computed,
                seconds=time.perf_counter() - began, cpu_seconds=time.process_time() - cpu)
    return TuneResult(rules=resolve_rules(tuned), enabled=[on for _, on in final], start=rules,
                      folds=fold_tab, expected=expected,
                      in_sample={"point_f1": p_in, "event_f1": e_in}, mapping=mapping, info=info)


def _split_per_variable(rules: list[Rule], series: list[_Series]) -> list[Rule]:
    """One rule per variable for rules that select labelled series of several variables."""
    out = []
    for r in rules:
        groups: dict[str, None] = {}
        for s in series:
            if r.selects(s.info):
                key = s.info.key or s.info.name.casefold()
                groups[key] = None
        if len(groups) <= 1:
            out.append(r)
            continue
        for key in groups:
            out.append(replace(r, variables=(key,), label=f"{r.label} ({key})"))
    return resolve_rules(out)


class _Search:
    """Coordinate descent with cached rule masks and per-block counts."""

    def __init__(self, rules, series, folds, objective, workers, min_gain, consensus=False):
        self.rules = rules
        self.series = series
        self.k = folds
        self.objective = objective
        self.selects = [[i for i, s in enumerate(series) if r.selects(s.info)] for r in rules]
        self._sets = [set(x) for x in self.selects]
        self.spaces = [search_space(r.method, r.params) for r in rules]
        self.masks: dict[tuple, dict[int, np.ndarray]] = {}
        self.evaluations = 0
        self.computed = 0
        self.workers = workers if workers is not None else 2
        self.min_gain = min_gain
        self.consensus = consensus
        self.dataset = [s.dataset for s in series]
        self._pool = None
        self.empty = [np.zeros(s.values.size, dtype=bool) for s in series]

    # masks -----------------------------------------------------------------
    def mask(self, ri: int, params: dict) -> dict[int, np.ndarray]:
        key = (ri, _freeze(params))
        hit = self.masks.get(key)
        if hit is not None:
            return hit
        rule = replace(self.rules[ri], params=params)
        todo = self.selects[ri]

        def one(si):
            s = self.series[si]
            det = apply(rule, s.values, s.times, series=s.info, companions=s.companions)
            return si, det.mask

        if self.workers > 1 and len(todo) > 1:
            if self._pool is None:
                from concurrent.futures import ThreadPoolExecutor

                self._pool = ThreadPoolExecutor(max_workers=self.workers)
            done = dict(self._pool.map(one, todo))
        else:
            done = dict(one(si) for si in todo)
        self.computed += len(todo)
        self.masks[key] = done
        return done

    def prefetch(self, ri: int, candidates: list[dict]) -> None:
        """Compute the masks of several parameter sets of one rule in parallel threads."""
        todo = [c for c in candidates if (ri, _freeze(c)) not in self.masks]
        if self.workers <= 1 or len(todo) < 2:
            return
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=self.workers)
        rule = self.rules[ri]

        def one(params):
            r = replace(rule, params=params)
            out = {}
            for si in self.selects[ri]:
                s = self.series[si]
                out[si] = apply(r, s.values, s.times, series=s.info, companions=s.companions).mask
            return _freeze(params), out

        for key, masks in self._pool.map(one, todo):
            self.masks[(ri, key)] = masks
            self.computed += len(masks)

    # counts ----------------------------------------------------------------
    def series_counts(self, si: int, combined: np.ndarray) -> np.ndarray:
        s = self.series[si]
        return _block_counts(combined, s.labels, s.counted, s.block, self.k)

    def combined(self, state, si: int, skip: int | None = None) -> np.ndarray:
        out = self.empty[si].copy()
        for ri, (params, on) in enumerate(state):
            if not on or ri == skip or si not in self._sets[ri]:
                continue
            out |= self.mask(ri, params)[si]
        return out


    def total_counts(self) -> np.ndarray:
        c = sum(self.series_counts(i, self.empty[i]) for i in range(len(self.series)))
        return np.asarray(c).sum(axis=0)

    def counts(self, state, blocks: np.ndarray) -> np.ndarray:
        total = np.zeros(7, dtype=np.int64)
        for si in range(len(self.series)):
            total += self.series_counts(si, self.combined(state, si))[blocks].sum(axis=0)
        return total

    def score(self, c: np.ndarray) -> float:
        p, e = _figures(c)
        both = 2 * p * e / (p + e) if p + e > 0 else 0.0
        return {"both": both, "point": p, "event": e}[self.objective]

    def votes(self, per, got) -> int:
        """Data sets whose objective ``got`` (new counts of some series) raises, minus those it lowers."""
        touched = {self.dataset[si] for si in got}
        up = 0
        for d in touched:
            members = [si for si in range(len(self.series)) if self.dataset[si] == d]
            old = np.sum([per[si] for si in members], axis=0)
            new = np.sum([got.get(si, per[si]) for si in members], axis=0)
            # ties (e.g. F1 = 0 before and after: nothing found yet) go to fewer errors
            a = (self.score(old), -int(old[_FP] + old[_FN]))
            b = (self.score(new), -int(new[_FP] + new[_FN]))
            up += (b > a) - (b < a)
        return up

    def accept(self, sc: float, best: float, per, got) -> bool:
        """Whether a trial scoring ``sc`` (new counts ``got``) replaces the current state."""
        if not sc > best + self.min_gain:
            return False
        return not self.consensus or self.votes(per, got) > 0

    # search ----------------------------------------------------------------
    def run(self, blocks: np.ndarray, rounds: int):
        """Search on the counted points of ``blocks`` from two starts; keep the better end.

        Start 1: the configuration as given. Start 2: each rule first tuned
        alone (the others off), so that a rule flagging too much cannot hide
        what another would find. Both then descend with every rule on.
        """
        given = self._descend([(dict(r.params), True) for r in self.rules], blocks, rounds, toggle=True)
        alone = []
        for ri in range(len(self.rules)):
            state = [(dict(r.params), i == ri) for i, r in enumerate(self.rules)]
            state = self._descend(state, blocks, 1, toggle=False, only=ri)
            alone.append(state[ri][0])
        apart = self._descend([(params, True) for params in alone], blocks, rounds, toggle=True)
        scores = [self.score(self.counts(st, blocks)) for st in (given, apart)]
        return given if scores[0] >= scores[1] else apart

    def _descend(self, state, blocks: np.ndarray, rounds: int, *, toggle: bool, only: int | None = None):
        per = [self.series_counts(si, self.combined(state, si))[blocks].sum(axis=0)
               for si in range(len(self.series))]
        best = self.score(np.sum(per, axis=0))
        for _ in range(rounds):
            changed = False
            for ri, rule in enumerate(self.rules):
                todo = self.selects[ri]
                if not todo or (only is not None and ri != only):
                    continue
                others = {si: self.combined(state, si, skip=ri) for si in todo}
                rest = np.sum([per[si] for si in range(len(self.series)) if si not in others], axis=0) \
                    if len(others) < len(self.series) else np.zeros(7, dtype=np.int64)

                def trial(params, on):
                    self.evaluations += 1
                    got = {}
                    tot = np.array(rest, dtype=np.int64, copy=True)
                    m = self.mask(ri, params) if on else None
                    for si in todo:
                        comb = others[si] | m[si] if m is not None else others[si]  # (on)
                        c = self.series_counts(si, comb)[blocks].sum(axis=0)
                        got[si] = c
                        tot += c
                    return self.score(tot), got

                params, on = state[ri]
                params = dict(params)
                for pname, values in self.spaces[ri].items():
                    self.prefetch(ri, [{**params, pname: v} for v in values if v != params.get(pname)])
                    for v in values:
                        if v == params.get(pname):
                            continue
                        cand = dict(params)
                        cand[pname] = v
                        sc, got = trial(cand, True)
                        if self.accept(sc, best, per, got):
                            best, params, on = sc, cand, True
                            for si, c in got.items():
                                per[si] = c
                            changed = True
                    state[ri] = (params, on)
                if not toggle:
                    continue
                sc, got = trial(params, not on)
                if self.accept(sc, best, per, got):
                    best, on = sc, not on
                    for si, c in got.items():
                        per[si] = c
                    changed = True
                state[ri] = (params, on)
            if not changed:
                break
        return state

    def close(self) -> None:
        """Stop the worker threads."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


def _freeze(params: Mapping[str, Any]) -> tuple:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))

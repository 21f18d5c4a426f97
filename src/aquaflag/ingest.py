"""Always-on QC: judge arriving data incrementally, against what the store holds.

:func:`ingest` appends a batch of new values to a QC store and judges only what
is new, plus the values whose judgement the new ones can change, with just the
stored context each rule needs:

* Each method declares its **reach** (:class:`aquaflag.registry.Reach`): how
  far back and ahead of a value it looks (a number of values or a time span).
  A batch loads, per series, the stored values within reach of the new ones
  (:meth:`aquaflag.store.Store.windows`: the cost does not grow with the
  record's length), judges them with the very same methods as a one-shot run
  (:func:`aquaflag.engine.series.judge_series`), and records the result as a
  run covering the new values and the values within ``ahead`` of them.
* **Causal rules** (``ahead`` = 0: trailing windows, rate of change, range,
  no-data codes) give, value for value, the flags of a one-shot run over the
  whole record, whatever the batch size (tested with daily, hourly and
  15-minute batches).
* **Rules that look ahead** (centred windows, the two-sided spike test, flat
  line) judge a value once, provisionally, and **revise** it when its future
  arrives: the next batch re-judges the values within ``ahead`` of its first
  new value. The revision is a new run in the store's history; the store's
  automatic flag is always the latest run's.
* **Whole-series rules** (statistics or thresholds derived from the whole
  series: a whole-series z-score, automatic spike, flat-line and level-shift
  thresholds) cannot equal a one-shot run over a record that keeps growing.
  The live configuration is **fitted**: for each series, once its stored
  context holds enough values (:data:`FIT_SPAN` of values at its sampling
  interval), each rule whose parameters the configuration leaves to be derived
  from the series gets them fitted on the last ``reference`` (default 90 days)
  of stored history plus the batch -- the values the method derives and records
  (:func:`aquaflag.methods._common.fitted_params`: thresholds and windows;
  the fitted statistics of the distribution tests) -- and stored with the live
  configuration (:meth:`aquaflag.store.Store.live_fits`), in the run's
  transaction. From then on the series is judged with those explicit
  parameters, so most such rules become bounded (a fitted z-score is judged
  value by value; a fitted spike test over two neighbours each side; a fitted
  flat line over its window) and are judged within their reach, exactly as
  judging with the fitted parameters directly. Until a series has enough
  values, and for rules that look at the whole series even when fitted
  (``level_shift``: its pairing of jumps), they are judged against the stored
  history of the last ``reference`` plus the batch. ``Ingested.notes`` say
  which rules were judged with fitted parameters and which against the
  reference. A refit is a re-judgement (:func:`rejudge`): fits belong to one
  live configuration and are never changed.
* **Configuration changes** are never mixed in silently: the store keeps the
  live configuration; a batch with another configuration is refused unless
  ``rejudge=True``, which re-judges the whole stored record with the new
  configuration (one run, recorded with the reason) and makes it live; each
  series is fitted anew at its next batch.

Counting windows count the values the store holds for a series (a missing
value is no value), as a one-shot run over that series alone does.
"""

from __future__ import annotations

import hashlib
import functools
import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from . import registry
from .config import Config, parse
from .config import load as load_config
from .detection import Detection
from .engine import evaluate, prepare_frame
from .engine.series import COMPANIONS, TimeOrder, companion_kinds, judge_series
from .errors import ConfigError, InputError, ParameterError
from .methods._common import fitted_params, median_step
from .methods.sensor import flat_band
from .registry import Reach
from .result import Result
from .rules import Rule
from .store import open_store
from .variables import SeriesInfo, series_of, variable_named
from .windows import parse_window

if TYPE_CHECKING:  # pragma: no cover
    from .store._live import Fit

__all__ = ["ingest", "Ingested", "rejudge", "fingerprint", "FIT_SPAN"]

#: A series is fitted once its context (the last ``reference`` of stored history plus the
#: batch) holds at least as many values as this span holds at the series' sampling interval
#: (the median step between its values): 1 344 values at 15 minutes, 336 hourly, 14 daily.
#: Two weeks: the derivations look at a typical day's largest step (a median over days) and
#: the longest natural runs of repeated values, which a few days do not show.
FIT_SPAN = "14D"


@dataclass
class Ingested:
    """What one batch did.

    Attributes
    ----------
    run : int or None
        The store's id of the run that judged the batch (None when there was
        nothing to judge).
    result : Result or None
        The judgement of the batch (the new values and the revised ones).
    new_values : dict
        Per series, how many values the batch brought.
    revised : dict
        Per series, how many earlier values were judged again (their future
        arrived, or late data arrived before them).
    notes : list of str
        What the batch could not judge as a one-shot run would, and why; which
        rules were judged with parameters fitted for the live configuration.
    fitted : dict
        Per series, the rules fitted in this batch (their parameters are in
        :meth:`aquaflag.store.Store.live_fits`).
    """

    run: int | None
    result: Result | None
    new_values: dict[str, int] = field(default_factory=dict)
    revised: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    fitted: dict[str, list[str]] = field(default_factory=dict)


def fingerprint(path: str | Path) -> str:
    """The content fingerprint of a file (SHA-256): the same bytes are judged once."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _as_config(config: Any) -> Config:
    if isinstance(config, Config):
        return config
    if isinstance(config, (str, Path)):
        return load_config(config)
    raise ParameterError("config must be the path of a TOML file or a Config")


def ingest(store: Any, new_data: Any, config: Any, *, reference: str = "90D", rejudge: bool = False,
           source: str | None = None, read_args: Mapping[str, Any] | None = None) -> Ingested:
    """Append ``new_data`` to ``store`` and judge it incrementally (see the module docstring).

    Parameters
    ----------
    store : Store, path or URL
        The QC store (:func:`aquaflag.store.open_store`).
    new_data : DataFrame or path
        The new values: a wide frame with a DatetimeIndex, or a file read with
        :func:`aquaflag.read` (its fingerprint is recorded: the same file is
        judged once).
    config : path or Config
        The QC configuration. The first batch makes it the store's live
        configuration; later batches must use the same one (see ``rejudge``).
    reference : str
        For whole-series rules: the span of stored history they are judged
        against until the series is fitted, and that the fit is made on (a
        time span in the window grammar).
    rejudge : bool
        When ``config`` differs from the live configuration: re-judge the whole
        stored record with it and make it live (recorded with the reason).
    source : str, optional
        A name for the batch in the store (a file name, a table); for a path,
        the path.
    read_args : dict, optional
        Arguments for :func:`aquaflag.read` when ``new_data`` is a path.

    Returns
    -------
    Ingested

    Raises
    ------
    ConfigError
        When ``config`` is not the live configuration and ``rejudge`` is False.
    InputError
        For data without timestamps, values that differ from stored ones (raw
        values are immutable), or a file already judged.
    """
    if not hasattr(store, "record_run"):
        store = open_store(store)
    qc = _as_config(config)
    reference_ns = parse_window(reference, allow_count=False).span_ns
    assert reference_ns is not None
    digest = None
    if isinstance(new_data, (str, Path)):
        from .io import read

        source = source or str(new_data)
        digest = fingerprint(new_data)
        if store.is_ingested(digest):
            return Ingested(run=None, result=None,
                            notes=[f"{source} was already judged (same content): skipped"])
        new_data = read(new_data, **dict(read_args or {}))
    frame, notes = _prepared(new_data)
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise InputError("new data need timestamps: give a DatetimeIndex (aquaflag.read finds the "
                         "date column)")
    live_id = _check_live_config(store, qc, rejudge)
    out = Ingested(run=None, result=None, notes=list(notes))
    if frame.empty or not len(frame.columns):
        out.notes.append("nothing new to judge")
        return out
    infos = series_of(frame, qc.mapping)
    rules = qc.rules
    base_reach = {r.label: r.reach for r in rules}  # once per batch, not once per series
    derived = {r.label: _derived(r) for r in rules}
    cols = [str(c) for c in frame.columns]
    fits = store.fitted(live_id, cols) if any(derived.values()) else {}
    t_rows = frame.index.as_unit("ns").asi8
    block = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    if t_rows.size > 1 and not bool(np.all(t_rows[1:] > t_rows[:-1])):
        order = np.argsort(t_rows, kind="stable")
        t_rows, block = t_rows[order], block[order]
    selected: dict[tuple[str, ...], list[Rule]] = {}  # series that rules select alike share a list
    work: list[_Series] = []
    for j, col in enumerate(cols):
        have = ~np.isnan(block[:, j])
        if not have.any():
            continue
        info = infos[col]
        key = _selection_key(info)
        own = selected.get(key)
        if own is None:
            own = selected[key] = [r for r in rules if r.selects(info)]
        fitted_text = fits.get(col, {})
        chosen = [_fitted_rule(r, fitted_text[r.label]) if r.label in fitted_text else (r, base_reach[r.label])
                  for r in own]
        todo = [r.label for r in own if derived[r.label] and r.label not in fitted_text]
        work.append(_plan(col, info, t_rows[have], block[have, j], chosen, frozenset(fitted_text), todo,
                          reference_ns))
    kinds = companion_kinds(rules)
    requests = {w.col: w.request for w in work}
    mates: dict[str, dict[str, list[str]]] = {}
    if kinds:  # companions (siblings, a sonde's other variables) are read over the same span
        known = {**_stored_infos(store.series()), **infos}
        for w in work:
            mates[w.col] = {kind: COMPANIONS[kind](known, w.col) for kind in kinds}
            for other in {m for names in mates[w.col].values() for m in names}:
                lo, hi, _, _ = w.request
                have_req = requests.get(other)
                requests[other] = (lo, hi, 0, 0) if have_req is None else (
                    _min(have_req[0], lo), _max(have_req[1], hi), have_req[2], have_req[3])
    stored = store.windows(requests)
    new_frame = {c: frame[c] for c in {m for ms in mates.values() for names in ms.values() for m in names}
                 if c in frame.columns} if kinds else {}
    new_fits: list["Fit"] = []
    fit_span_ns = parse_window(FIT_SPAN, allow_count=False).span_ns or 0
    for w in work:
        t, v = _merge(stored[w.col], w.t_new, w.v_new)
        comp = None
        if kinds:
            comp = {kind: {m: _align(stored.get(m), new_frame.get(m), t) for m in names}
                    for kind, names in mates[w.col].items()}
        keep = w.judged(t)
        w.t, w.v, w.keep = t, v, keep
        w.detections = _judge_within_reach(w.rules, w.info, t, v, keep, comp,
                                           earlier=functools.partial(store.last_outside, w.col))
        out.new_values[w.col] = w.n_new
        out.revised[w.col] = int(keep.sum()) - w.n_new
        if w.fit_todo and _enough(t, fit_span_ns):
            made = _fits(w, t)
            if made:
                new_fits.extend(made)
                out.fitted[w.col] = [f.rule for f in made]
    out.notes.extend(_notes(work, out.fitted, reference))
    result = _batch_result(frame, work, rules, infos)
    out.result = result
    out.run = store.record_run(result, qc.text, source=source, fingerprint=digest, fits=new_fits,
                               live_config=live_id)
    return out


def _prepared(data: Any) -> tuple[pd.DataFrame, list[str]]:
    """The batch as the engine takes it (:func:`aquaflag.engine.prepare_frame`), checked in bulk
    when it already is (float64 columns with unique names, a DatetimeIndex, no infinite value):
    a logger batch of 1 000 columns then costs no per-column checks."""
    if (isinstance(data, pd.DataFrame) and isinstance(data.index, pd.DatetimeIndex) and len(data.columns)
            and data.columns.is_unique and bool((data.dtypes == np.float64).all())):
        values = data.to_numpy()
        if not np.isinf(values).any():
            return data.copy(deep=False), []
    frame, _, notes = prepare_frame(data)
    return frame, notes


def rejudge(store: Any, config: Any, *, reason: str = "configuration changed") -> int:
    """Re-judge the whole stored record with ``config`` (one run) and make it live.

    Returns the run id. This is the documented way to change the configuration
    of a live store -- and to refit it: every value gets the new
    configuration's flag in one run, the change is in the store's history
    (``store.live_configs()``), and each series is fitted anew for the new live
    configuration at its next batch (the fits of the old one stay, with it).
    """
    if not hasattr(store, "record_run"):
        store = open_store(store)
    qc = _as_config(config)
    names = list(store.series()["name"])
    if not names:
        store.set_live_config(qc.text, reason=reason)
        return 0
    data = pd.concat({n: store.values(n) for n in names}, axis=1, sort=True)
    data.attrs.clear()
    result = evaluate(data, qc.rules, mapping=qc.mapping)
    run_id = store.record_run(result, qc.text)
    store.set_live_config(qc.text, reason=reason)
    return run_id


# ------------------------------------------------------------------------- fitted parameters
def _derived(rule: Rule) -> tuple[str, ...]:
    """The parameters of ``rule`` left to be derived from the series (None, with a derivation)."""
    spec = registry.get(rule.method)
    return tuple(name for name, p in spec.params.items() if p.derived and rule.params.get(name) is None)


#: Rules with fitted parameters, by the rule and the parameters' JSON text: a fitted rule is
#: validated, and its reach computed, once per process, not once per batch.
_FITTED: dict[tuple[Any, ...], tuple[Rule, Reach]] = {}
_FITTED_MAX = 200_000


def _fitted_rule(rule: Rule, text: str) -> tuple[Rule, Reach]:
    """``rule`` with the stored fitted parameters ``text`` (JSON), and its reach."""
    key = (rule.label, rule.method, rule.severity, rule.columns, rule.variables, rule.stations, text)
    hit = _FITTED.get(key)
    if hit is None:
        if len(_FITTED) >= _FITTED_MAX:
            _FITTED.clear()
        fitted = replace(rule, params=registry.get(rule.method).validate(json.loads(text)))
        hit = _FITTED[key] = (fitted, fitted.reach)
    return hit


def _enough(t: np.ndarray, span_ns: int) -> bool:
    """Whether a series' context holds enough values to fit it (see :data:`FIT_SPAN`)."""
    step = median_step(t)
    return bool(np.isfinite(step) and step > 0 and t.size >= math.ceil(span_ns / step))


def _fits(w: "_Series", t: np.ndarray) -> list["Fit"]:
    """Fit the rules of a series that have none yet, from their detections on its context.

    A rule is fitted when the method recorded every parameter it derived (a
    constant series gives a spike test no threshold: it stays unfitted and is
    tried again at the next batch) and the fitted set is valid.
    """
    from .store._live import Fit

    made = []
    for label in w.fit_todo:
        got = w.detections.get(label)
        if got is None:
            continue
        det, _, (a, b) = got
        rule = next(r for r, _ in w.rules if r.label == label)
        spec = registry.get(rule.method)
        params = fitted_params(spec, det)
        if any(params.get(name) is None for name in _derived(rule)):
            continue
        try:
            params = spec.validate(params)
        except ParameterError:
            continue
        made.append(Fit(w.col, label, rule.method, params, b - a, int(t[a]), int(t[b - 1])))
    return made


def _notes(work: Sequence["_Series"], fitted_now: Mapping[str, list[str]], reference: str) -> list[str]:
    """One note per kind of judgement, naming the rules and (a few of) the series."""
    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for w in work:
        given = tuple(r.label for r, reach in w.rules if r.label in w.fitted_labels and not reach.whole)
        given_whole = tuple(r.label for r, reach in w.rules if r.label in w.fitted_labels and reach.whole)
        raw_whole = tuple(r.label for r, reach in w.rules if reach.whole and r.label not in w.fitted_labels)
        for kind, labels in (("fitted", given), ("fitted whole", given_whole), ("whole", raw_whole)):
            if labels:
                groups.setdefault((kind, labels), []).append(w.col)
    text = {
        "fitted": "judged with the parameters fitted for the live configuration, within their reach",
        "fitted whole": ("use the whole series: judged with the parameters fitted for the live "
                         f"configuration against the stored reference period ({reference}), not the whole record"),
        "whole": (f"use the whole series: judged against the stored reference period ({reference}), "
                  f"not the whole record (not fitted yet: fewer values than {FIT_SPAN} hold)"),
    }
    out = []
    for (kind, labels), cols in groups.items():
        shown = ", ".join(cols[:3]) + (f" and {len(cols) - 3} more" if len(cols) > 3 else "")
        out.append(f"rule(s) {', '.join(labels)} {text[kind]}: {len(cols)} series ({shown})")
    if fitted_now:
        n_rules = sum(len(v) for v in fitted_now.values())
        shown = ", ".join(list(fitted_now)[:3]) + (f" and {len(fitted_now) - 3} more" if len(fitted_now) > 3 else "")
        out.append(f"fitted {n_rules} rule(s) on {len(fitted_now)} series ({shown}) for the live "
                   "configuration, from the stored reference period and this batch (store.live_fits())")
    return out


# ------------------------------------------------------------------------- the plan of one series
def _selection_key(info: SeriesInfo) -> tuple[str, ...]:
    """What rule selectors look at (column, station, variable): equal keys, equal selections."""
    return (info.column, info.station or "", info.name, info.key or "")


@dataclass(eq=False)
class _Series:
    """One series of a batch: its new values, rules, the stored values it needs, its judgement."""

    col: str
    info: SeriesInfo
    t_new: np.ndarray
    v_new: np.ndarray
    rules: list[tuple[Rule, Reach]]
    fitted_labels: frozenset[str]
    fit_todo: list[str]
    request: tuple[int | None, int | None, int, int]
    back_ns: int
    ahead_ns: int
    back_n: int
    ahead_n: int
    whole: bool
    t: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    v: np.ndarray = field(default_factory=lambda: np.empty(0))
    keep: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    detections: dict[str, tuple[Detection, np.ndarray, tuple[int, int]]] = field(default_factory=dict)

    @property
    def n_new(self) -> int:
        return int(self.t_new.size)

    def judged(self, t: np.ndarray) -> np.ndarray:
        """Values to (re-)judge: the new ones and those within reach of them."""
        pos = np.searchsorted(t, self.t_new)  # every new time is in t (merged)
        keep = np.zeros(t.size, dtype=bool)
        keep[pos] = True
        if self.whole:
            return keep
        first, last = int(pos[0]), int(pos[-1])
        # a value within `ahead` before a new one saw its future change; within `back`
        # after one (late data), its past
        keep[max(0, first - self.ahead_n):first] = True
        keep[last + 1:last + 1 + self.back_n] = True
        a = int(np.searchsorted(t, t[first] - self.ahead_ns, "left"))
        b = int(np.searchsorted(t, t[last] + self.back_ns, "right"))
        keep[a:b] = True
        return keep


def _plan(col: str, info: SeriesInfo, t_new: np.ndarray, v_new: np.ndarray,
          chosen: list[tuple[Rule, Reach]], fitted: frozenset[str], fit_todo: list[str],
          reference_ns: int) -> _Series:
    """Which stored values a series' batch needs (``t_new``, ``v_new``: its new values, sorted;
    ``chosen``: its rules, with fitted parameters where it has them (``fitted``: their labels);
    ``fit_todo``: the rules to fit when it has enough values)."""
    back_ns = ahead_ns = back_n = ahead_n = 0
    whole = bounded = False
    for _, reach in chosen:
        if reach.whole:
            whole = True
            continue
        bounded = True
        back_ns, ahead_ns = max(back_ns, _ns(reach.back)), max(ahead_ns, _ns(reach.ahead))
        back_n, ahead_n = max(back_n, _n(reach.back)), max(ahead_n, _n(reach.ahead))
    span = back_ns + ahead_ns
    lo = int(t_new[0]) - max(span, reference_ns if whole else 0)
    hi = int(t_new[-1]) + span
    count = back_n + ahead_n
    return _Series(col=col, info=info, t_new=t_new, v_new=v_new, rules=chosen, fitted_labels=fitted,
                   fit_todo=fit_todo, request=(lo, hi, count, count), back_ns=back_ns, ahead_ns=ahead_ns,
                   back_n=back_n, ahead_n=ahead_n, whole=whole and not bounded)


def _ns(w: Any) -> int:
    return int(w.span_ns or 0)


def _n(w: Any) -> int:
    return int(w.count or 0)


def _min(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _stored_infos(catalog: pd.DataFrame) -> dict[str, SeriesInfo]:
    """What the store says each of its series measures (``catalog``: :meth:`Store.series`)."""
    out = {}
    for row in catalog.itertuples(index=False):
        var = variable_named(str(row.variable)) if row.variable else None
        out[str(row.name)] = SeriesInfo(column=str(row.name), name=str(row.variable_name or row.name),
                                        variable=var, station=str(row.station) if row.station else None,
                                        unit=None if row.unit is None else str(row.unit), source="file")
    return out


def _merge(stored: tuple[np.ndarray, np.ndarray], t_new: np.ndarray, v_new: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Stored context and the batch's values (sorted, no NaN), by time (the batch's value where
    both exist: the store refuses a differing one when the run is recorded)."""
    t_old, v_old = stored
    if t_old.size == 0:
        return t_new, v_new
    if t_new[0] > t_old[-1]:  # the usual case: the batch comes after what is stored
        return np.concatenate([t_old, t_new]), np.concatenate([v_old, v_new])
    t = np.concatenate([t_old, t_new])
    v = np.concatenate([v_old, v_new])
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    last = np.ones(t.size, dtype=bool)
    last[:-1] = t[1:] != t[:-1]  # keep the batch's copy (it came later in the concatenation)
    return t[last], v[last]


def _align(stored: tuple[np.ndarray, np.ndarray] | None, new: pd.Series | None, t: np.ndarray) -> np.ndarray:
    """A companion series' values on the times ``t`` (NaN where it has none)."""
    ts, vs = stored if stored is not None else (np.empty(0, np.int64), np.empty(0))
    if new is not None:
        v_new = new.to_numpy(dtype=np.float64, na_value=np.nan)
        assert isinstance(new.index, pd.DatetimeIndex), "the batch's index (checked by ingest)"
        t_new = new.index.as_unit("ns").asi8
        have = ~np.isnan(v_new)
        order = np.argsort(t_new[have], kind="stable")
        ts, vs = _merge((ts, vs), t_new[have][order], v_new[have][order])
    out = np.full(t.size, np.nan)
    pos = np.searchsorted(ts, t)
    ok = (pos < ts.size) & (ts[np.minimum(pos, max(ts.size - 1, 0))] == t) if ts.size else np.zeros(t.size, bool)
    out[ok] = vs[pos[ok]]
    return out


class _Sorted(TimeOrder):
    """The time order of values whose times are sorted and unique (a store's): nothing to reorder."""

    def __init__(self, t: np.ndarray) -> None:
        self.n = int(t.size)
        self.rows = None
        self.notes = []
        self.times = t.view("M8[ns]")


Earlier = Callable[[int, float, float], "tuple[int, float] | None"]


def _judge_within_reach(rules: Sequence[tuple[Rule, Reach]], info: SeriesInfo, t: np.ndarray, v: np.ndarray,
                        keep: np.ndarray, comp: Any, earlier: Earlier | None = None
                        ) -> dict[str, tuple[Detection, np.ndarray, tuple[int, int]]]:
    """Each rule on the values within its own reach of the judged ones (``keep``), not the
    widest rule's: a 6-hour spike test does not run over the 60 days a level-shift rule needs.

    ``rules`` are the rules that select the series, with their reach. A rule whose reach has
    a ``change_band`` (flat_line judges nothing when the whole series is flat) gets, when
    its slice is flat within the band, the latest earlier stored value outside it
    (``earlier(before, low, high)``), as the whole record would show it.

    Returns, per rule label in rule order, its Detection on the values it was given, which of
    those are judged (a boolean mask), and the slice ``[a, b)`` of ``t`` it was given.
    """
    pos = np.flatnonzero(keep)
    first, last = int(pos[0]), int(pos[-1])
    groups: dict[tuple[int, int], list[tuple[Rule, Reach]]] = {}
    for rule, reach in rules:
        if reach.whole:
            a, b = 0, t.size
        else:
            a = min(max(0, first - _n(reach.back)), int(np.searchsorted(t, t[first] - _ns(reach.back), "left")))
            b = max(min(t.size, last + 1 + _n(reach.ahead)),
                    int(np.searchsorted(t, t[last] + _ns(reach.ahead), "right")))
        groups.setdefault((a, b), []).append((rule, reach))
    out: dict[str, tuple[Detection, np.ndarray, tuple[int, int]]] = {}
    for (a, b), group in groups.items():
        plain = [r for r, reach in group if reach.change_band is None]
        runs = [(plain, (t[a:b], v[a:b], keep[a:b], _cut(comp, a, b)))] if plain else []
        runs += [([r], _unflattened(t, v, keep, comp, a, b, reach, earlier))
                 for r, reach in group if reach.change_band is not None]
        for subset, (tt, vv, kk, ss) in runs:
            for label, det in judge_series(subset, info, vv, _Sorted(tt), ss).items():
                out[label] = (det, kk, (a, b))
    return {r.label: out[r.label] for r, _ in rules if r.label in out}


def _cut(comp: Any, a: int, b: int) -> Any:
    """Companion values (``{kind: {series: values}}``) on the slice ``[a, b)``."""
    return None if comp is None else {kind: {k: x[a:b] for k, x in cols.items()}
                                      for kind, cols in comp.items()}


def _unflattened(t: np.ndarray, v: np.ndarray, keep: np.ndarray, comp: Any, a: int, b: int, reach: Reach,
                 earlier: Earlier | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    """The slice ``[a, b)``, preceded by the latest earlier value outside the change band when
    the slice is flat within it (so "flat as a whole" means what it means for the record)."""
    tt, vv, kk, ss = t[a:b], v[a:b], keep[a:b], _cut(comp, a, b)
    finite = vv[~np.isnan(vv)]
    if earlier is None or finite.size == 0:
        return tt, vv, kk, ss
    assert reach.change_band is not None
    band = flat_band(finite, reach.change_band)
    lo, hi = float(finite.min()), float(finite.max())
    if hi - lo > band:
        return tt, vv, kk, ss
    found = earlier(int(tt[0]), hi - band, lo + band)
    if found is None:
        return tt, vv, kk, ss
    tx, vx = found
    ss = None if ss is None else {kind: {k: np.concatenate([[np.nan], x]) for k, x in cols.items()}
                                  for kind, cols in ss.items()}
    return (np.concatenate([[tx], tt]), np.concatenate([[vx], vv]),
            np.concatenate([[False], kk]), ss)


def _place(det: Detection, kk: np.ndarray, rows: np.ndarray, n: int) -> Detection:
    """The judged values' part (``kk``) of a Detection, placed on rows ``rows`` of ``n``."""
    if rows.size == n == kk.size and kk.all():  # judged on exactly the batch's rows: as it is
        return det
    def put(arr: np.ndarray, fill: Any, dtype: Any) -> np.ndarray:
        out = np.full(n, fill, dtype=dtype)
        out[rows] = np.asarray(arr)[kk]
        return out

    return Detection(mask=put(det.mask, False, bool), evaluated=put(det.evaluated, False, bool),
                     score=put(det.score, np.nan, np.float64), lower=put(det.lower, np.nan, np.float64),
                     upper=put(det.upper, np.nan, np.float64), method=det.method, params=det.params,
                     stats=det.stats, note=det.note,
                     grade=None if det.grade is None else put(det.grade, 0, np.uint8))


def _batch_result(frame: pd.DataFrame, work: Sequence[_Series], rules: Sequence[Rule],
                  infos: Mapping[str, SeriesInfo]) -> Result:
    """One Result over the union of the judged times; each series only where it was judged."""
    judged_t = [w.t[w.keep] for w in work]
    asi8 = np.unique(np.concatenate(judged_t))
    index = pd.DatetimeIndex(asi8.view("M8[ns]"), name=frame.index.name or "time")
    tz = getattr(frame.index, "tz", None)  # the batch's DatetimeIndex (checked by ingest)
    if tz is not None:
        index = index.tz_localize("UTC").tz_convert(tz)
    values = np.full((asi8.size, len(work)), np.nan)
    placed = {}
    for j, (w, tk) in enumerate(zip(work, judged_t)):
        rows = np.searchsorted(asi8, tk)
        values[rows, j] = w.v[w.keep]
        for label, (det, kk, _) in w.detections.items():
            placed[(w.col, label)] = _place(det, kk, rows, asi8.size)
    data = pd.DataFrame(values, index=index, columns=[w.col for w in work])
    return Result(data, rules, placed, series={w.col: infos[w.col] for w in work})


def _check_live_config(store: Any, qc: Config, rejudge_ok: bool) -> int:
    """The id of the live configuration, which ``qc`` must be (made so on the first batch)."""
    live = store.live_state()
    if live is None:
        store.set_live_config(qc.text, reason="first ingest")
        return int(store.live_state()[0])
    live_id, text, since = live
    if _same_rules(text, qc):
        return int(live_id)
    if not rejudge_ok:
        raise ConfigError(
            f"{qc.source}: not the store's live configuration (live since {since:%Y-%m-%d %H:%M} "
            "UTC); new data are judged with one configuration only. To change it, re-judge the "
            "stored record with the new one: aquaflag ingest --rejudge (or aquaflag.ingest.rejudge)")
    rejudge(store, qc, reason=f"configuration changed ({qc.source})")
    return int(store.live_state()[0])


def _same_rules(text: str, qc: Config) -> bool:
    """Whether the stored configuration text means the same rules and mapping as ``qc``."""
    if text == qc.text:
        return True
    try:
        stored = parse(text, source="<live>")
    except ConfigError:
        return False
    return stored.rules == qc.rules and stored.mapping == qc.mapping

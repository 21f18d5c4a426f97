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
  series: a whole-series z-score, automatic thresholds) are judged against the
  stored history of the last ``reference`` (default 90 days) plus the batch:
  they cannot equal a one-shot run over a record that keeps growing; give
  their thresholds explicitly (a fitted configuration) to make them bounded.
* **Configuration changes** are never mixed in silently: the store keeps the
  live configuration; a batch with another configuration is refused unless
  ``rejudge=True``, which re-judges the whole stored record with the new
  configuration (one run, recorded with the reason) and makes it live.

Counting windows count the values the store holds for a series (a missing
value is no value), as a one-shot run over that series alone does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .config import Config, parse
from .config import load as load_config
from .detection import Detection
from .engine import evaluate, prepare_frame
from .engine.series import COMPANIONS, TimeOrder, companion_kinds, judge_series
from .errors import ConfigError, InputError, ParameterError
from .methods.sensor import flat_band
from .result import Result
from .rules import Rule
from .store import open_store
from .variables import SeriesInfo, series_of, variable_named
from .windows import parse_window

__all__ = ["ingest", "Ingested", "rejudge", "fingerprint"]


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
        What the batch could not judge as a one-shot run would, and why.
    """

    run: int | None
    result: Result | None
    new_values: dict[str, int] = field(default_factory=dict)
    revised: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def fingerprint(path) -> str:
    """The content fingerprint of a file (SHA-256): the same bytes are judged once."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _as_config(config) -> Config:
    if isinstance(config, Config):
        return config
    if isinstance(config, (str, Path)):
        return load_config(config)
    raise ParameterError("config must be the path of a TOML file or a Config")


def ingest(store, new_data, config, *, reference: str = "90D", rejudge: bool = False,
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
        against (a time span in the window grammar).
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
    frame, _, notes = prepare_frame(new_data)
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise InputError("new data need timestamps: give a DatetimeIndex (aquaflag.read finds the "
                         "date column)")
    _check_live_config(store, qc, rejudge)
    infos = series_of(frame, qc.mapping)
    rules = qc.rules
    out = Ingested(run=None, result=None, notes=list(notes))
    if frame.empty or not len(frame.columns):
        out.notes.append("nothing new to judge")
        return out
    reach = {r.label: r.reach for r in rules}  # once per batch, not once per series
    plans = {col: _plan(frame[col], rules, infos[col], reference_ns, reach) for col in map(str, frame.columns)}
    kinds = companion_kinds(rules)
    requests = {c: p.request for c, p in plans.items() if p is not None}
    mates: dict[str, dict[str, list[str]]] = {}
    if kinds:  # companions (siblings, a sonde's other variables) are read over the same span
        known = {**_stored_infos(store.series()), **infos}
        for col, plan in list(plans.items()):
            if plan is None:
                continue
            mates[col] = {kind: COMPANIONS[kind](known, col) for kind in kinds}
            for other in {m for names in mates[col].values() for m in names}:
                lo, hi, _, _ = plan.request
                have = requests.get(other)
                requests[other] = (lo, hi, 0, 0) if have is None else (
                    _min(have[0], lo), _max(have[1], hi), have[2], have[3])
    stored = store.windows(requests)
    judged_frames, detections = {}, {}
    for col, plan in plans.items():
        if plan is None:
            continue
        t, v = _merge(stored[col], frame[col])
        comp = None
        if kinds:
            comp = {kind: {m: _align(stored.get(m), frame[m] if m in frame.columns else None, t)
                           for m in names} for kind, names in mates[col].items()}
        keep = plan.judged(t)
        dets = _judge_within_reach(rules, infos[col], t, v, keep, comp, reach,
                                   earlier=lambda before, lo, hi, col=col: store.last_outside(col, before, lo, hi))
        judged_frames[col] = pd.Series(v[keep], index=t[keep].view("M8[ns]"))
        for label, det in dets.items():
            detections[(col, label)] = det
        out.new_values[col] = plan.n_new
        out.revised[col] = int(keep.sum()) - plan.n_new_judged(t, keep)
        out.notes.extend(plan.notes)
    if not judged_frames:
        return out
    result = _batch_result(frame, judged_frames, detections, rules, infos)
    out.result = result
    out.run = store.record_run(result, qc.text, source=source, fingerprint=digest)
    return out


def rejudge(store, config, *, reason: str = "configuration changed") -> int:
    """Re-judge the whole stored record with ``config`` (one run) and make it live.

    Returns the run id. This is the documented way to change the configuration
    of a live store: every value gets the new configuration's flag in one run,
    and the change is in the store's history (``store.live_configs()``).
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


# ------------------------------------------------------------------------- the plan of one series
@dataclass
class _Plan:
    """Which stored values a series' batch needs, and which values it judges."""

    request: tuple[int | None, int | None, int, int]
    t_new: np.ndarray
    back_ns: int
    ahead_ns: int
    back_n: int
    ahead_n: int
    whole: bool
    notes: list[str]

    @property
    def n_new(self) -> int:
        return int(self.t_new.size)

    def judged(self, t: np.ndarray) -> np.ndarray:
        """Values to (re-)judge: the new ones and those within reach of them."""
        new = np.isin(t, self.t_new)
        if self.whole:
            return new
        pos = np.flatnonzero(new)
        keep = new.copy()
        if pos.size:
            first, last = pos[0], pos[-1]
            # a value within `ahead` before a new one saw its future change; within `back`
            # after one (late data), its past
            keep[max(0, first - self.ahead_n):first] = True
            keep[last + 1:last + 1 + self.back_n] = True
            t0, t1 = t[first], t[last]
            keep |= (t >= t0 - self.ahead_ns) & (t <= t1 + self.back_ns)
        return keep

    def n_new_judged(self, t: np.ndarray, keep: np.ndarray) -> int:
        return int(np.isin(t[keep], self.t_new).sum())


def _plan(column: pd.Series, rules: Sequence[Rule], info: SeriesInfo, reference_ns: int,
          reach_of: Mapping[str, Any]) -> _Plan | None:
    values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    t_new = column.index.as_unit("ns").asi8[~np.isnan(values)]
    if t_new.size == 0:
        return None
    t_new = np.sort(t_new)
    selected = [r for r in rules if r.selects(info)]
    reaches = [reach_of[r.label] for r in selected]
    whole = [r.label for r, reach in zip(selected, reaches) if reach.whole]
    bounded = [reach for reach in reaches if not reach.whole]
    back_ns = max([_ns(x.back) for x in bounded], default=0)
    ahead_ns = max([_ns(x.ahead) for x in bounded], default=0)
    back_n = max([_n(x.back) for x in bounded], default=0)
    ahead_n = max([_n(x.ahead) for x in bounded], default=0)
    notes = []
    if whole:
        notes.append(f"{info.column}: rule(s) {', '.join(whole)} use the whole series: judged "
                     "against the stored reference period, not the whole record")
    span = back_ns + ahead_ns
    lo = int(t_new[0]) - max(span, reference_ns if whole else 0)
    hi = int(t_new[-1]) + span
    count = back_n + ahead_n
    return _Plan(request=(lo, hi, count, count), t_new=t_new, back_ns=back_ns, ahead_ns=ahead_ns,
                 back_n=back_n, ahead_n=ahead_n, whole=bool(whole) and not bounded, notes=notes)


def _ns(w) -> int:
    return int(w.span_ns or 0)


def _n(w) -> int:
    return int(w.count or 0)


def _min(a, b):
    return b if a is None else a if b is None else min(a, b)


def _max(a, b):
    return b if a is None else a if b is None else max(a, b)


def _stored_infos(catalog: pd.DataFrame) -> dict[str, SeriesInfo]:
    """What the store says each of its series measures (``catalog``: :meth:`Store.series`)."""
    out = {}
    for row in catalog.itertuples(index=False):
        var = variable_named(row.variable) if row.variable else None
        out[str(row.name)] = SeriesInfo(column=str(row.name), name=str(row.variable_name or row.name),
                                        variable=var, station=row.station or None,
                                        unit=row.unit, source="file")
    return out


def _merge(stored: tuple[np.ndarray, np.ndarray], new: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Stored context and the batch's values, by time (the batch's value where both exist:
    the store refuses a differing one when the run is recorded)."""
    t_old, v_old = stored
    v_new = new.to_numpy(dtype=np.float64, na_value=np.nan)
    t_new = new.index.as_unit("ns").asi8
    have = ~np.isnan(v_new)
    t = np.concatenate([t_old, t_new[have]])
    v = np.concatenate([v_old, v_new[have]])
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    last = np.ones(t.size, dtype=bool)
    last[:-1] = t[1:] != t[:-1]  # keep the batch's copy (it came later in the concatenation)
    return t[last], v[last]


def _align(stored, new: pd.Series | None, t: np.ndarray) -> np.ndarray:
    """A companion series' values on the times ``t`` (NaN where it has none)."""
    ts, vs = stored if stored is not None else (np.empty(0, np.int64), np.empty(0))
    if new is not None:
        ts, vs = _merge((ts, vs), new)
    out = np.full(t.size, np.nan)
    pos = np.searchsorted(ts, t)
    ok = (pos < ts.size) & (ts[np.minimum(pos, max(ts.size - 1, 0))] == t) if ts.size else np.zeros(t.size, bool)
    out[ok] = vs[pos[ok]]
    return out


def _judge_within_reach(rules: Sequence[Rule], info: SeriesInfo, t: np.ndarray, v: np.ndarray,
                        keep: np.ndarray, comp, reach_of: Mapping[str, Any],
                        earlier=None) -> dict[str, Detection]:
    """Each rule on the values within its own reach of the judged ones (``keep``), not the
    widest rule's: a 6-hour spike test does not run over the 60 days a level-shift rule needs.

    A rule whose reach has a ``change_band`` (flat_line judges nothing when the whole series
    is flat) gets, when its slice is flat within the band, the latest earlier stored value
    outside it (``earlier(before, low, high)``), as the whole record would show it.

    Returns the detections on the judged values, in rule order.
    """
    pos = np.flatnonzero(keep)
    first, last = int(pos[0]), int(pos[-1])
    groups: dict[tuple[int, int], list[Rule]] = {}
    for rule in rules:
        if not rule.selects(info):
            continue
        reach = reach_of[rule.label]
        if reach.whole:
            a, b = 0, t.size
        else:
            a = min(max(0, first - _n(reach.back)), int(np.searchsorted(t, t[first] - _ns(reach.back), "left")))
            b = max(min(t.size, last + 1 + _n(reach.ahead)),
                    int(np.searchsorted(t, t[last] + _ns(reach.ahead), "right")))
        groups.setdefault((a, b), []).append(rule)
    out: dict[str, Detection] = {}
    for (a, b), group in groups.items():
        plain = [r for r in group if reach_of[r.label].change_band is None]
        for subset, (tt, vv, kk, ss) in ([(plain, (t[a:b], v[a:b], keep[a:b], _cut(comp, a, b)))]
                                         + [([r], _unflattened(t, v, keep, comp, a, b, reach_of[r.label],
                                                               earlier))
                                            for r in group if r not in plain]):
            if not subset:
                continue
            order = TimeOrder(pd.DatetimeIndex(tt.view("M8[ns]")))
            for label, det in judge_series(subset, info, vv, order, ss).items():
                out[label] = _take(det, kk)
    return {r.label: out[r.label] for r in rules if r.label in out}


def _cut(comp, a: int, b: int):
    """Companion values (``{kind: {series: values}}``) on the slice ``[a, b)``."""
    return None if comp is None else {kind: {k: x[a:b] for k, x in cols.items()}
                                      for kind, cols in comp.items()}


def _unflattened(t, v, keep, comp, a, b, reach, earlier):
    """The slice ``[a, b)``, preceded by the latest earlier value outside the change band when
    the slice is flat within it (so "flat as a whole" means what it means for the record)."""
    tt, vv, kk, ss = t[a:b], v[a:b], keep[a:b], _cut(comp, a, b)
    finite = vv[~np.isnan(vv)]
    if earlier is None or finite.size == 0:
        return tt, vv, kk, ss
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


def _take(det: Detection, keep: np.ndarray) -> Detection:
    def cut(a):
        return None if a is None else np.asarray(a)[keep]

    return Detection(mask=det.mask[keep], evaluated=det.evaluated[keep], score=det.score[keep],
                     lower=np.asarray(det.lower)[keep], upper=np.asarray(det.upper)[keep],
                     method=det.method, params=det.params, stats=det.stats, note=det.note,
                     grade=cut(det.grade))


def _batch_result(frame: pd.DataFrame, judged: Mapping[str, pd.Series],
                  detections: Mapping[tuple[str, str], Detection], rules, infos) -> Result:
    """One Result over the union of the judged times; each series only where it was judged."""
    index = pd.DatetimeIndex(np.unique(np.concatenate([s.index.asi8 for s in judged.values()])).view("M8[ns]"),
                             name=frame.index.name or "time")
    if frame.index.tz is not None:
        index = index.tz_localize(frame.index.tz)
    data = pd.DataFrame({c: pd.Series(s.to_numpy(), index=index[np.searchsorted(index.asi8, s.index.asi8)])
                         for c, s in judged.items()}, index=index)
    data = data.reindex(index)
    placed = {}
    for (col, label), det in detections.items():
        rows = np.searchsorted(index.asi8, judged[col].index.asi8)
        placed[(col, label)] = det.scattered(rows, len(index))
    return Result(data, rules, placed, series={c: infos[c] for c in judged})


def _check_live_config(store, qc: Config, rejudge_ok: bool) -> None:
    live = store.live_config()
    if live is None:
        store.set_live_config(qc.text, reason="first ingest")
        return
    text, since = live
    if _same_rules(text, qc):
        return
    if not rejudge_ok:
        raise ConfigError(
            f"{qc.source}: not the store's live configuration (live since {since:%Y-%m-%d %H:%M} "
            "UTC); new data are judged with one configuration only. To change it, re-judge the "
            "stored record with the new one: aquaflag ingest --rejudge (or aquaflag.ingest.rejudge)")
    rejudge(store, qc, reason=f"configuration changed ({qc.source})")


def _same_rules(text: str, qc: Config) -> bool:
    """Whether the stored configuration text means the same rules and mapping as ``qc``."""
    if text == qc.text:
        return True
    try:
        stored = parse(text, source="<live>")
    except ConfigError:
        return False
    return stored.rules == qc.rules and stored.mapping == qc.mapping

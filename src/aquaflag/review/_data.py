"""What the review app shows of a stored series, read through the store and kept between requests.

The app never computes a flag: the final flags come from
:meth:`Store.flags <aquaflag.store.Store.flags>`, the values from
:meth:`~aquaflag.store.Store.values`, who decided what from
:meth:`~aquaflag.store.Store.decisions` and the approval periods from
:meth:`~aquaflag.store.Store.approval`. Which decision holds each value and the
approval level of each value are derived with the store's own rules
(`aquaflag.store.levels_at`, `aquaflag.store.paint_decisions`), so the app and the store cannot disagree.

A :class:`SeriesState` holds one series as of one read of the store, wrapped
in a light Result-like view (:class:`StoredSeriesView`) so that the report's
:class:`~aquaflag.report.ChartData` draws it: the same downsampling (MinMaxLTTB,
every flagged value kept), y scale and hover text as the static report. A zoom
re-fetch reuses the kept state and costs tens of milliseconds on 10⁶ values.

States are kept in a small LRU cache (:class:`StateCache`), dropped at once
after a write through this app and re-validated against a cheap fingerprint of
the store (values, runs, decisions, approvals of the series) at most every
``revalidate`` seconds, so writes by other processes (a run, another server on
the same PostgreSQL database) show up too.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..detection import Detection
from ..errors import InputError, ParameterError
from ..report import ChartData
from ..store import LEVELS, levels_at, paint_decisions

__all__ = ["SeriesState", "StateCache", "StoredSeriesView", "Selection", "MAX_POINT_SELECTION"]

#: Values shown on each side of the value "next unreviewed flag" jumps to.
CONTEXT = 150
#: Most points one point selection (lasso, click) may hold.
MAX_POINT_SELECTION = 10_000
#: Flag meanings (QARTOD).
MEANING = {1: "good", 2: "not evaluated", 3: "suspect", 4: "fail", 9: "missing"}
_APPROVED = LEVELS.index("approved")


def wall_ms(index: pd.DatetimeIndex) -> np.ndarray:
    """Milliseconds since 1970 of the wall-clock times (what the charts' x axis uses)."""
    wall = index.tz_localize(None) if index.tz is not None else index
    return wall.to_numpy(dtype="datetime64[ms]").astype(np.int64)


def utc_ns(index: pd.DatetimeIndex) -> np.ndarray:
    """int64 ns of a DatetimeIndex (UTC when tz-aware), the store's time keys."""
    return pd.DatetimeIndex(index).as_unit("ns").asi8


def fmt_time(ts: Any) -> str | None:
    """A time as text for the page: wall clock of its zone, seconds dropped when zero."""
    if ts is None or ts is pd.NaT or (not isinstance(ts, str) and pd.isna(ts)):
        return None
    ts = pd.Timestamp(ts)
    text = ts.strftime("%Y-%m-%d %H:%M:%S")
    if text.endswith(":00"):
        text = text[:-3]
    if text.endswith(" 00:00"):
        text = text[:-6]
    return text


def fmt_clock(ts: Any) -> str | None:
    """A store-clock time (UTC) as text."""
    if ts is None or pd.isna(ts):
        return None
    return pd.Timestamp(ts).strftime("%Y-%m-%d %H:%M:%S UTC")


class StoredSeriesView:
    """A Result-like view of one stored series: what :class:`~aquaflag.report.ChartData` reads.

    Parameters
    ----------
    name : str
        The series name.
    index : DatetimeIndex
        Its times.
    values : ndarray
        Its raw values.
    final : ndarray of uint8
        The store's final flags.
    rules : list
        One entry per rule label found in the provenance (``label``, ``method``,
        ``severity``).
    detections : dict
        ``(name, label) -> Detection`` of the rule hits the store recorded
        (no bounds: the store keeps bounds only for flagged values).
    unit : str
        The series' unit.
    """

    def __init__(self, name: str, index: pd.DatetimeIndex, values: np.ndarray, final: np.ndarray,
                 rules: list, detections: dict, unit: str) -> None:
        self.data = pd.DataFrame({name: values}, index=index)
        self.flags = pd.DataFrame({name: final}, index=index)
        self.rules = rules
        self.detections = detections
        self.series = {name: SimpleNamespace(unit=unit)}


@dataclass
class Selection:
    """Values of one series picked in the chart: positions into its :class:`SeriesState`."""

    kind: str              # "range" or "points"
    rows: np.ndarray       # positions, ascending


@dataclass
class SeriesState:
    """One series as of one read of the store, with the arrays the pages need."""

    name: str
    info: Mapping[str, Any]
    stamp: tuple
    index: pd.DatetimeIndex
    ns: np.ndarray
    values: np.ndarray
    final: np.ndarray
    governing: np.ndarray
    decisions: list[dict]          # active non-undo decisions, ledger order (governing indexes these)
    ledger: pd.DataFrame           # every decision entry, with ``active``
    periods: list[dict]            # effective approval periods
    levels: np.ndarray
    charts: ChartData
    checked_at: float = field(default_factory=time.monotonic)
    _whole: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, store, name: str, info: Mapping[str, Any], stamp: tuple, ledger: pd.DataFrame) -> "SeriesState":
        """Read one series from the store (values, final flags, provenance, decisions, approval)."""
        values = store.values(name)
        flags = store.flags(name)
        index = values.index
        col = flags.columns[0] if len(flags.columns) else name
        if not flags.index.equals(index):  # values added between the two reads: the next check reloads
            final = flags[col].reindex(index, fill_value=2).to_numpy(dtype=np.uint8)
        else:
            final = flags[col].to_numpy(dtype=np.uint8)
        v = values.to_numpy(dtype=np.float64)
        ns = utc_ns(index)
        entries = ledger[(ledger["active"]) & (ledger["action"] != "undo")] if len(ledger) else ledger
        decisions: list[dict] = []
        starts: list[int] = []
        ends: list[int] = []
        codes: list[int] = []
        r: Any
        for r in entries.itertuples(index=False):
            start = pd.Timestamp(r.start)
            end = start if pd.isna(r.end) else pd.Timestamp(r.end)
            starts.append(start.as_unit("ns").value)
            ends.append(end.as_unit("ns").value)
            codes.append(int(r.flag))
            decisions.append({"id": int(r.id), "action": str(r.action), "flag": int(r.flag),
                              "reviewer": str(r.reviewer), "reason": str(r.reason),
                              "at": fmt_clock(r.decided_at), "start": fmt_time(start),
                              "end": None if pd.isna(r.end) else fmt_time(end)})
        _, governing = paint_decisions(ns, final, starts, ends, codes)
        appr = store.approval(name)
        spans = [(pd.Timestamp(s).as_unit("ns").value, pd.Timestamp(e).as_unit("ns").value, lev)
                 for s, e, lev in zip(appr["start"], appr["end"], appr["level"])]
        levels = levels_at(ns, spans)
        periods = []
        for s, e, lev in zip(appr["start"], appr["end"], appr["level"]):
            periods.append({"level": str(lev), "start": fmt_time(s), "end": fmt_time(e),
                            "ns0": pd.Timestamp(s).as_unit("ns").value, "ns1": pd.Timestamp(e).as_unit("ns").value,
                            "x0": int(wall_ms(pd.DatetimeIndex([s]))[0]),
                            "x1": int(wall_ms(pd.DatetimeIndex([e]))[0])})
        rules, detections = _rule_hits(store.provenance(name), name, ns, final, governing)
        unit = str(info.get("unit") or "")
        view = StoredSeriesView(name, index, v, final, rules, detections, unit)
        return cls(name=name, info=dict(info), stamp=stamp, index=index, ns=ns, values=v, final=final,
                   governing=governing, decisions=decisions, ledger=ledger, periods=periods, levels=levels,
                   charts=ChartData(view))  # type: ignore[arg-type]  # a Result-like view

    # ------------------------------------------------------------------ summaries
    def counts(self) -> dict[str, int]:
        """Values, flagged values, and the flagged values no one has reviewed yet.

        "Unreviewed" = final flag 3 or 4 that no decision holds and that lies
        outside an approved period (for those the final flag is the automatic one).
        """
        undecided = (self.governing < 0) & (self.levels != _APPROVED)
        return {
            "n_values": int(self.values.size),
            "suspect": int(np.count_nonzero(self.final == 3)),
            "fail": int(np.count_nonzero(self.final == 4)),
            "unreviewed_suspect": int(np.count_nonzero((self.final == 3) & undecided)),
            "unreviewed_fail": int(np.count_nonzero((self.final == 4) & undecided)),
            "decided": int(np.count_nonzero(self.governing >= 0)),
            "approved": int(np.count_nonzero(self.levels == _APPROVED)),
        }

    def unreviewed_rows(self) -> np.ndarray:
        """Positions of the unreviewed flagged values (see :meth:`counts`)."""
        return np.flatnonzero(np.isin(self.final, (3, 4)) & (self.governing < 0) & (self.levels != _APPROVED))

    # ------------------------------------------------------------------ chart
    def chart(self, start: Any = None, end: Any = None, points: int = 2000, lang: str = "en") -> dict:
        """The report's chart payload of the window, plus what a reviewer needs on top.

        ``review``: ``d`` (positions of shown points a decision holds), ``k``
        (for each, the index of that decision in ``decisions``), ``decisions``
        (those decisions), ``u`` (positions of unreviewed flagged points),
        ``periods`` (approval periods, x in chart units).
        """
        whole = start is None and end is None
        if whole and points in self._whole:  # the overview, asked for on every "whole series"
            return self._whole[points]
        payload = self.charts.column(self.name, start=start, end=end, max_points=points)
        rows = self._rows_of_x(payload["x"])
        d = np.flatnonzero(rows >= 0)
        d = d[self.governing[rows[d]] >= 0]
        gov = self.governing[rows[d]]
        used = sorted(set(gov.tolist()))
        remap = {g: i for i, g in enumerate(used)}
        unrev = (rows >= 0) & np.isin(self.final[np.maximum(rows, 0)], (3, 4)) \
            & (self.governing[np.maximum(rows, 0)] < 0) & (self.levels[np.maximum(rows, 0)] != _APPROVED)
        payload["review"] = {
            "d": d.tolist(),
            "k": [remap[g] for g in gov.tolist()],
            "decisions": [self.decisions[g] for g in used],
            "u": np.flatnonzero(unrev).tolist(),
            "periods": self.periods,
        }
        if whole:
            self._whole = {points: payload}  # one width at a time; a state is never changed, only replaced
        return payload

    def _rows_of_x(self, xs: Sequence) -> np.ndarray:
        """Positions of the values drawn at chart x ``xs`` (-1 where none)."""
        axis_x = self.charts.axis.x
        x = np.asarray([np.nan if v is None else v for v in xs], dtype=np.float64)
        if x.size == 0:
            return np.zeros(0, dtype=np.int64)
        if self.charts.axis.monotonic:
            pos = np.searchsorted(axis_x, x, side="left")
            pos = np.minimum(pos, max(axis_x.size - 1, 0))
            ok = axis_x[pos] == x
            return np.where(ok, pos, -1).astype(np.int64)
        # wall-clock times go back at a DST fall-back: look each x up (a repeated one: its first value)
        first = pd.Series(np.arange(axis_x.size)).groupby(axis_x).min()
        return first.reindex(x).fillna(-1).to_numpy(dtype=np.int64)

    # ------------------------------------------------------------------ selections
    def select(self, sel: Any, *, allow_empty: bool = False) -> Selection:
        """Resolve a selection sent by the page into value positions.

        ``{"kind": "range", "start": x0, "end": x1}`` (chart x: ms since 1970 of
        the wall-clock time, or a time text) or ``{"kind": "points", "x": [...]}``.
        """
        if not isinstance(sel, Mapping):
            raise ParameterError("selection must be an object with kind 'range' or 'points'")
        kind = sel.get("kind")
        if kind == "range":
            start, end = sel.get("start"), sel.get("end")
            if start is None or end is None:
                raise ParameterError("a range selection needs start and end")
            window = self.charts.axis.window(start, end)
            rows = np.arange(*window.indices(self.values.size)) if isinstance(window, slice) else window
        elif kind == "points":
            xs = sel.get("x")
            if not isinstance(xs, list) or not xs:
                raise ParameterError("a point selection needs x: a non-empty list of chart x values")
            if len(xs) > MAX_POINT_SELECTION:
                raise ParameterError(f"a point selection holds at most {MAX_POINT_SELECTION:,} points; "
                                     f"got {len(xs):,}: select a time range instead")
            coords = []
            for v in xs:
                c = self.charts.axis.coordinate(v, "x")
                coords.append(c)
            found = self._rows_of_x(coords)
            rows = np.unique(found[found >= 0])
        else:
            raise ParameterError(f"selection kind must be 'range' or 'points'; got {kind!r}")
        rows = np.asarray(rows, dtype=np.int64)
        rows = rows[np.isfinite(self.values[rows])] if rows.size else rows
        if rows.size == 0 and not allow_empty:
            raise InputError(f"no value of series {self.name!r} in the selection; select values in the chart")
        return Selection(kind=kind, rows=np.sort(rows))

    def describe(self, sel: Selection) -> dict:
        """What a selection holds: how many values, from/to, flags, decisions, lock."""
        rows = sel.rows
        if rows.size == 0:
            return {"kind": sel.kind, "n": 0, "message": "No values in the selection."}
        final = self.final[rows]
        locked = bool(np.any(self.levels[rows] == _APPROVED))
        if sel.kind == "range":  # a range decision covers every value between its ends, approved ones too
            a, b = self.ns[rows[0]], self.ns[rows[-1]]
            locked = bool(np.any(self.levels[(self.ns >= a) & (self.ns <= b)] == _APPROVED))
        return {
            "kind": sel.kind,
            "n": int(rows.size),
            "start": fmt_time(self.index[rows[0]]),
            "end": fmt_time(self.index[rows[-1]]),
            "flags": {str(c): int(np.count_nonzero(final == c)) for c in (1, 2, 3, 4) if np.any(final == c)},
            "decided": int(np.count_nonzero(self.governing[rows] >= 0)),
            "unreviewed": int(np.count_nonzero(np.isin(final, (3, 4)) & (self.governing[rows] < 0)
                                               & (self.levels[rows] != _APPROVED))),
            "locked": locked,
        }

    def decision_rows(self, sel: Selection, action: str, flag: int | None, reviewer: str,
                      reason: str) -> list[dict]:
        """The ``store.decide_many`` rows for a selection: one range, or one entry per point."""
        base = {"series": self.name, "action": action, "flag": flag, "reviewer": reviewer, "reason": reason}
        if sel.kind == "range":
            return [dict(base, start=self.index[sel.rows[0]], end=self.index[sel.rows[-1]])]
        return [dict(base, start=self.index[r], end=None) for r in sel.rows.tolist()]

    def bounds(self, sel: Selection | None) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last time of a selection (the whole series for None)."""
        if sel is None:
            if self.values.size == 0:
                raise InputError(f"series {self.name!r} has no values")
            return self.index[0], self.index[-1]
        return self.index[sel.rows[0]], self.index[sel.rows[-1]]

    def locked(self, start: Any, end: Any = None) -> bool:
        """Whether the closed range ``[start, end]`` (times of this series) touches an approved period."""
        if start is None or pd.isna(start):
            return False
        a = pd.Timestamp(start).as_unit("ns").value
        b = a if end is None or pd.isna(end) else pd.Timestamp(end).as_unit("ns").value
        for p in self.periods:
            if p["level"] == "approved" and p["ns0"] <= b and a <= p["ns1"]:
                return True
        return False

    def ledger_entry(self, decision_id: int) -> dict | None:
        """The ledger entry ``decision_id`` of this series (a dict of its columns), or None."""
        if not len(self.ledger):
            return None
        hit = self.ledger[self.ledger["id"] == decision_id]
        return None if hit.empty else hit.iloc[0].to_dict()

    def next_unreviewed(self, after: Any = None) -> dict | None:
        """The first unreviewed flagged value after chart x ``after`` (wrapping round), or None."""
        rows = self.unreviewed_rows()
        if rows.size == 0:
            return None
        xs = self.charts.axis.x[rows]
        k = 0
        if after is not None:
            a = self.charts.axis.coordinate(after, "after")
            later = np.flatnonzero(xs > a)
            k = int(later[0]) if later.size else 0
        r = int(rows[k])
        ax = self.charts.axis.x
        lo, hi = max(0, r - CONTEXT), min(ax.size - 1, r + CONTEXT)
        x0, x1 = float(ax[lo]), float(ax[hi])
        if x1 <= x0:
            x0, x1 = x0 - 3_600_000, x1 + 3_600_000
        value = float(self.values[r])
        return {"x": int(xs[k]), "time": fmt_time(self.index[r]), "value": value if np.isfinite(value) else None,
                "flag": int(self.final[r]), "left": int(rows.size), "window": [x0, x1]}


def _rule_hits(prov: pd.DataFrame, name: str, ns: np.ndarray, final: np.ndarray,
               governing: np.ndarray) -> tuple[list, dict]:
    """Rules and their hits from the store's provenance, as Detections for the chart's hover.

    Per value, the hits of the latest run that flagged it; hits on a value whose
    flag is neither 3 nor 4 and that no decision holds are dropped (a later
    run judged it good).
    """
    if prov is None or not len(prov) or ns.size == 0:
        return [], {}
    t = utc_ns(pd.DatetimeIndex(prov["time"]))
    pos = np.searchsorted(ns, t)
    pos = np.minimum(pos, ns.size - 1)
    ok = ns[pos] == t
    table = pd.DataFrame({"pos": pos[ok], "run": prov["run"].to_numpy()[ok],
                          "rule": prov["rule"].astype(str).to_numpy()[ok],
                          "method": prov["method"].astype(str).to_numpy()[ok],
                          "flag": prov["flag"].to_numpy(dtype=np.int64)[ok],
                          "score": prov["score"].to_numpy(dtype=np.float64)[ok]})
    if not len(table):
        return [], {}
    latest = table.groupby("pos")["run"].transform("max")
    table = table[table["run"] == latest]
    p = table["pos"].to_numpy()
    keep = np.isin(final[p], (3, 4)) | (governing[p] >= 0)
    table = table[keep]
    n = ns.size
    nan = np.broadcast_to(np.float64(np.nan), (n,))
    evaluated = np.broadcast_to(True, (n,))
    rules, detections = [], {}
    for label, part in table.groupby("rule", sort=False):
        mask = np.zeros(n, dtype=bool)
        score = np.full(n, np.nan)
        grade = np.zeros(n, dtype=np.uint8)
        where = part["pos"].to_numpy()
        mask[where] = True
        score[where] = part["score"].to_numpy()
        grade[where] = part["flag"].to_numpy(dtype=np.uint8)
        worst = int(part["flag"].max())
        rules.append(SimpleNamespace(label=str(label), method=str(part["method"].iloc[0]),
                                     severity="fail" if worst == 4 else "suspect"))
        detections[(name, str(label))] = Detection(mask=mask, evaluated=evaluated, score=score, lower=nan,
                                                   upper=nan, method=str(part["method"].iloc[0]), grade=grade)
    return rules, detections


# --------------------------------------------------------------------------- the cache
class StateCache:
    """Series states of one store, kept between requests (LRU), with the series list's counts.

    Parameters
    ----------
    store : Store
        The open store.
    size : int
        How many series states to keep (a 10⁶-value series takes about 60 MB).
    revalidate : float
        Seconds a kept state is trusted before its fingerprint is checked
        against the store again; writes through this app drop it at once.
    """

    def __init__(self, store, *, size: int = 6, revalidate: float = 2.0) -> None:
        self.store = store
        self.size = size
        self.revalidate = revalidate
        self._states: OrderedDict[str, SeriesState] = OrderedDict()
        self._counts: dict[str, tuple[tuple, dict]] = {}
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}
        self._refreshing: set[str] = set()

    def infos(self) -> dict[str, dict]:
        """The store's series, by name (``store.series()`` rows)."""
        table = self.store.series()
        return {str(r["name"]): r for r in table.to_dict("records")}

    def _stamp(self, name: str, info: Mapping[str, Any]) -> tuple[tuple, pd.DataFrame]:
        ledger = self.store.decisions(name)
        last_dec = int(ledger["id"].max()) if len(ledger) else 0
        appr = self.store.approvals(name)
        runs = self.store.runs(name)
        stamp = (int(info["n_values"]), str(info["last"]), len(ledger), last_dec, len(appr),
                 int(appr["id"].max()) if len(appr) else 0, len(runs),
                 int(runs["run"].max()) if len(runs) else 0)
        return stamp, ledger

    def _lock_for(self, name: str) -> threading.Lock:
        with self._lock:
            return self._loading.setdefault(name, threading.Lock())

    def get(self, name: str, info: Mapping[str, Any] | None = None, *, stale_ok: bool = False) -> SeriesState:
        """The state of series ``name``, loaded or re-validated as needed.

        With ``stale_ok`` (a zoom re-fetch), a kept state older than
        ``revalidate`` is returned at once and re-validated in the background,
        so a zoom never waits for the store.
        """
        if stale_ok:
            with self._lock:
                state = self._states.get(name)
            if state is not None:
                if time.monotonic() - state.checked_at >= self.revalidate:
                    self._refresh_later(name)
                return state
        with self._lock_for(name):
            with self._lock:
                state = self._states.get(name)
                if state is not None:
                    self._states.move_to_end(name)
            now = time.monotonic()
            if state is not None and now - state.checked_at < self.revalidate:
                return state
            if info is None:
                infos = self.infos()
                if name not in infos:
                    from ..errors import did_you_mean

                    raise InputError(f"no series {name!r} in the store; {did_you_mean(name, list(infos))}"
                                     "see the series list")
                info = infos[name]
            stamp, ledger = self._stamp(name, info)
            if state is not None and state.stamp == stamp:
                state.checked_at = now
                return state
            state = SeriesState.load(self.store, name, info, stamp, ledger)
            with self._lock:
                self._states[name] = state
                self._states.move_to_end(name)
                while len(self._states) > self.size:
                    self._states.popitem(last=False)
                self._counts[name] = (stamp, state.counts())
            return state

    def _refresh_later(self, name: str) -> None:
        with self._lock:
            if name in self._refreshing:
                return
            self._refreshing.add(name)

        def work() -> None:
            try:
                self.get(name)
            except Exception:  # noqa: BLE001 - the next request reports it
                pass
            finally:
                with self._lock:
                    self._refreshing.discard(name)

        threading.Thread(target=work, name=f"aquaflag-review-refresh-{name}", daemon=True).start()

    def warm(self) -> None:
        """Read every series once (the list's counts; the last ones stay kept), e.g. in a background thread."""
        for name, info in self.infos().items():
            self.counts(name, info)

    def counts(self, name: str, info: Mapping[str, Any]) -> dict:
        """The series list's counts of one series (kept while its fingerprint holds)."""
        with self._lock:
            state = self._states.get(name)
            kept = self._counts.get(name)
        if state is not None and time.monotonic() - state.checked_at < self.revalidate:
            return state.counts()
        stamp, _ = self._stamp(name, info)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        return self.get(name, info).counts()

    def forget(self, names: Iterable[str] | None = None) -> None:
        """Drop kept states (all, or of ``names``): the next read goes to the store."""
        with self._lock:
            if names is None:
                self._states.clear()
                return
            for n in names:
                self._states.pop(n, None)

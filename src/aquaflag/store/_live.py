"""What always-on QC keeps in the store: the live configuration, the files judged, the alarm log.

:class:`LiveLog` is part of :class:`aquaflag.store.Store` (a base class, to keep
this concept in its own module). Everything here is append-only, like the ledger:
the active configuration is the latest ``live_config`` row; an alarm's state is
its latest ``alarm_event``; a file is judged once because its fingerprint is
recorded in the same transaction as the run that judged it; the parameters fitted
for the live configuration (``live_fit``) are written with the run they were
fitted in, one row per (configuration, series, rule), never changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..errors import InputError
from ._clock import clock_to_timestamps, now_us
from ._db import insert_or_skip
from ._json import jsonable
from . import _chunks as chunks
from ._schema import alarm_event, ingested_file, live_config, live_fit, value_chunk
from ._schema import series as series_t

__all__ = ["LiveLog", "Fit"]

_DAY = 86_400 * 10**9
_vc = value_chunk.alias("vc")
#: Series by name, with the last time of their first chunk and their last time (index lookups).
_SERIES_SPAN = sa.select(
    series_t.c.name, series_t.c.id,
    sa.select(sa.func.min(_vc.c.t_last)).where(_vc.c.series_id == series_t.c.id)
    .correlate(series_t).scalar_subquery().label("first_last"),
    sa.select(sa.func.max(_vc.c.t_last)).where(_vc.c.series_id == series_t.c.id)
    .correlate(series_t).scalar_subquery().label("t_last"),
).where(series_t.c.name.in_(sa.bindparam("names", expanding=True)))


@dataclass(frozen=True)
class Fit:
    """The parameters of one rule fitted on one series for the live configuration.

    Attributes
    ----------
    series, rule, method : str
        The series, the rule's label and its method.
    parameters : dict
        Every parameter of the rule, the derived ones set to their fitted values
        (:func:`aquaflag.methods._common.fitted_params`).
    n_values, t_first, t_last : int
        How many values the fit came from and their first and last time (ns).
    """

    series: str
    rule: str
    method: str
    parameters: Mapping[str, Any]
    n_values: int
    t_first: int
    t_last: int


class LiveLog:
    """Live configuration, ingested files, alarm log and context windows of a store."""

    _w: Any
    _r: Any

    # ------------------------------------------------------------ configuration
    def live_config(self) -> tuple[str, pd.Timestamp] | None:
        """The configuration incremental runs apply (text, when it became active), or None."""
        c = live_config.c
        with self._r.connect() as conn:
            row = conn.execute(sa.select(c.config_text, c.recorded_us).order_by(c.id.desc()).limit(1)).first()
        if row is None:
            return None
        return row.config_text, clock_to_timestamps([row.recorded_us])[0]

    def set_live_config(self, text: str, *, reason: str) -> int:
        """Make ``text`` the live configuration (a new row; the history stays)."""
        with self._w.begin() as conn:
            return int(conn.execute(live_config.insert().values(
                recorded_us=now_us(), config_text=text, reason=reason)).inserted_primary_key[0])

    def live_state(self) -> tuple[int, str, pd.Timestamp] | None:
        """The live configuration's id, text and since when it is live; None before the first."""
        c = live_config.c
        with self._r.connect() as conn:
            row = conn.execute(sa.select(c.id, c.config_text, c.recorded_us).order_by(c.id.desc())
                               .limit(1)).first()
        if row is None:
            return None
        return int(row.id), row.config_text, clock_to_timestamps([row.recorded_us])[0]

    def live_configs(self) -> pd.DataFrame:
        """Every live configuration, oldest first: ``id, since, reason, config_text``."""
        c = live_config.c
        with self._r.connect() as conn:
            rows = conn.execute(sa.select(c.id, c.recorded_us, c.reason, c.config_text).order_by(c.id)).all()
        return pd.DataFrame({"id": [r.id for r in rows],
                             "since": clock_to_timestamps([r.recorded_us for r in rows]),
                             "reason": [r.reason for r in rows],
                             "config_text": [r.config_text for r in rows]})

    # ------------------------------------------------------------ fitted parameters
    def live_fits(self, series: str | Sequence[str] | None = None, *, config: int | None = None
                  ) -> pd.DataFrame:
        """Parameters fitted per series and rule for a live configuration (default: the live one).

        Returns
        -------
        DataFrame
            ``series, rule, method, parameters`` (a dict), ``n_values, first, last``
            (the values the fit came from), ``run`` (the run it was fitted in),
            ``recorded_at``, ``live_config``; one row per fitted (series, rule).
        """
        f = live_fit.c
        with self._r.connect() as conn:
            if config is None:
                config = conn.execute(sa.select(sa.func.max(live_config.c.id))).scalar()
            q = (sa.select(series_t.c.name, series_t.c.tz, f.rule, f.method, f.parameters, f.n_values,
                           f.t_first, f.t_last, f.run_id, f.recorded_us, f.live_config_id)
                 .select_from(live_fit.join(series_t, series_t.c.id == f.series_id))
                 .where(f.live_config_id == config).order_by(f.id))
            if series is not None:
                q = q.where(series_t.c.name.in_([series] if isinstance(series, str) else list(series)))
            rows = conn.execute(q).all()
        from ._clock import ns_index

        def stamp(ns: int, tz: str | None) -> pd.Timestamp:
            return ns_index(np.array([ns], dtype=np.int64), tz)[0]

        return pd.DataFrame({
            "series": [r.name for r in rows], "rule": [r.rule for r in rows],
            "method": [r.method for r in rows], "parameters": [json.loads(r.parameters) for r in rows],
            "n_values": [r.n_values for r in rows], "first": [stamp(r.t_first, r.tz) for r in rows],
            "last": [stamp(r.t_last, r.tz) for r in rows], "run": [r.run_id for r in rows],
            "recorded_at": clock_to_timestamps([r.recorded_us for r in rows]),
            "live_config": [r.live_config_id for r in rows]},
            columns=["series", "rule", "method", "parameters", "n_values", "first", "last", "run",
                     "recorded_at", "live_config"])

    def fitted(self, config: int, names: Sequence[str]) -> dict[str, dict[str, str]]:
        """The fitted parameters of live configuration ``config`` for series ``names``.

        Returns ``{series: {rule label: parameters as JSON text}}`` (series without
        fits are left out); one query.
        """
        f = live_fit.c
        out: dict[str, dict[str, str]] = {}
        with self._r.connect() as conn:
            rows = conn.execute(sa.select(series_t.c.name, f.rule, f.parameters)
                                .select_from(live_fit.join(series_t, series_t.c.id == f.series_id))
                                .where(f.live_config_id == config)).all()
        wanted = set(names)
        for name, rule, params in rows:
            if name in wanted:
                out.setdefault(name, {})[rule] = params
        return out

    @staticmethod
    def _write_fits(conn, config: int, fits: Sequence[Fit], sid_of: Mapping[str, int], run_id: int,
                    now: int) -> None:
        """Record fits with their run (a fit already recorded for the key is kept: first wins)."""
        if not fits:
            return
        rows = [{"live_config_id": config, "series_id": sid_of[x.series], "rule": x.rule, "method": x.method,
                 "parameters": json.dumps(jsonable(dict(x.parameters), exact=True), sort_keys=True),
                 "n_values": int(x.n_values), "t_first": int(x.t_first), "t_last": int(x.t_last),
                 "run_id": run_id, "recorded_us": now} for x in fits]
        conn.execute(insert_or_skip(conn, live_fit, ["live_config_id", "series_id", "rule"]), rows)

    # ------------------------------------------------------------ files
    def is_ingested(self, fingerprint: str) -> bool:
        """Whether a file (or batch) with this content fingerprint has been judged."""
        c = ingested_file.c
        with self._r.connect() as conn:
            return conn.execute(sa.select(c.id).where(c.fingerprint == fingerprint)).first() is not None

    def ingested_files(self) -> pd.DataFrame:
        """Files judged so far: ``source, fingerprint, n_values, run, recorded_at``."""
        c = ingested_file.c
        with self._r.connect() as conn:
            rows = conn.execute(sa.select(c.source, c.fingerprint, c.n_values, c.run_id, c.recorded_us)
                                .order_by(c.id)).all()
        return pd.DataFrame({"source": [r.source for r in rows], "fingerprint": [r.fingerprint for r in rows],
                             "n_values": [r.n_values for r in rows], "run": [r.run_id for r in rows],
                             "recorded_at": clock_to_timestamps([r.recorded_us for r in rows])})

    @staticmethod
    def _claim_file(conn, source: str, fingerprint: str, n_values: int, run_id: int, now: int) -> None:
        c = ingested_file.c
        if conn.execute(sa.select(c.id).where(c.fingerprint == fingerprint)).first() is not None:
            raise InputError(f"{source or 'this batch'} was already judged (same content); "
                             "a file is judged once")
        conn.execute(ingested_file.insert().values(source=source, fingerprint=fingerprint,
                                                   n_values=n_values, run_id=run_id, recorded_us=now))

    # ------------------------------------------------------------ context
    def windows(self, requests: Mapping[str, tuple[int | None, int | None, int, int]]
                ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Stored values around new data, for several series in one consistent read.

        Parameters
        ----------
        requests : dict
            ``{series: (lo, hi, before, after)}``: the values with times in
            ``[lo, hi]`` (int64 ns; None = unbounded), plus the ``before``
            values just before ``lo`` and the ``after`` values just after ``hi``.

        Returns
        -------
        dict
            ``{series: (times, values)}``, sorted by time; a series the store
            does not hold yet gives empty arrays. The cost does not grow with
            the length of a series' record.

        Notes
        -----
        A few queries whatever the number of series: one for the series and
        their first and last times, one per group of series with about the same
        range (the chunks overlapping it); a series whose ``before`` or ``after``
        values lie beyond the chunks read (rare: chunks hold 1 024 values) takes
        one more query for them.
        """
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        empty = (np.empty(0, np.int64), np.empty(0))
        c = value_chunk.c
        requests = {name: (None if lo is None else int(lo), None if hi is None else int(hi), int(before), int(after))
                    for name, (lo, hi, before, after) in requests.items()}
        with self._r.connect() as conn:
            known = {r.name: r for r in conn.execute(_SERIES_SPAN, {"names": list(requests)})}
            groups: dict[tuple[int | None, int | None], list[str]] = {}
            for name, (lo, hi, _, _) in requests.items():
                row = known.get(name)
                if row is None or row.t_last is None:
                    out[name] = empty
                    continue
                # series whose ranges start and end on the same days share a query
                key = (None if lo is None else lo // _DAY, None if hi is None else hi // _DAY)
                groups.setdefault(key, []).append(name)
            chunks: dict[int, list[Any]] = {}
            for names in groups.values():
                los = [requests[n][0] for n in names]
                his = [requests[n][1] for n in names]
                q = sa.select(c.series_id, c.t_first, c.t_last, c.times, c.vals).where(
                    c.series_id.in_([known[n].id for n in names]))
                if all(x is not None for x in los):
                    q = q.where(c.t_last >= min(x for x in los if x is not None))
                if all(x is not None for x in his):
                    q = q.where(c.t_first <= max(x for x in his if x is not None))
                for r in conn.execute(q.order_by(c.series_id, c.t_first)):
                    chunks.setdefault(r.series_id, []).append(r)
            for names in groups.values():
                for name in names:
                    out[name] = self._window(conn, known[name], chunks.get(known[name].id, []),
                                             *requests[name])
        return out

    def _window(self, conn: Any, srow: Any, rows: Sequence[Any], lo: int | None, hi: int | None,
                before: int, after: int) -> tuple[np.ndarray, np.ndarray]:
        """One series' window from the chunks read (``rows``), reading more only when needed."""
        if rows:
            t = np.concatenate([chunks.unpack_times(r.times) for r in rows]) if len(rows) > 1 \
                else chunks.unpack_times(rows[0].times)
            v = np.concatenate([chunks.unpack_values(r.vals) for r in rows]) if len(rows) > 1 \
                else chunks.unpack_values(rows[0].vals)
        else:
            t, v = np.empty(0, np.int64), np.empty(0)
        i0 = 0 if lo is None else int(np.searchsorted(t, lo, "left"))
        i1 = t.size if hi is None else int(np.searchsorted(t, hi, "right"))
        parts_t, parts_v = [], []
        if before and lo is not None:
            # every stored value from the first chunk read up to lo is in t[:i0]
            # (all there is when the first chunk read is the series' first, or none was read and
            # the first chunk ends after lo: it starts after hi then)
            if i0 >= before or (rows[0].t_last if rows else lo) <= srow.first_last:
                parts_t.append(t[max(0, i0 - before):i0])
                parts_v.append(v[max(0, i0 - before):i0])
            else:
                bt, bv = self._read_values(conn, srow.id, None, lo - 1, None, last=int(before))
                parts_t.append(bt)
                parts_v.append(bv)
        parts_t.append(t[i0:i1])
        parts_v.append(v[i0:i1])
        if after and hi is not None:
            if t.size - i1 >= after or hi >= srow.t_last or (rows and rows[-1].t_last >= srow.t_last):
                parts_t.append(t[i1:i1 + after])
                parts_v.append(v[i1:i1 + after])
            else:
                at, av = self._read_values(conn, srow.id, hi + 1, None, None, first=int(after))
                parts_t.append(at)
                parts_v.append(av)
        if len(parts_t) == 1:
            return parts_t[0], parts_v[0]
        return np.concatenate(parts_t), np.concatenate(parts_v)

    def last_outside(self, series: str, before: int, low: float, high: float
                     ) -> tuple[int, float] | None:
        """The latest stored value before time ``before`` (ns) lying outside ``[low, high]``.

        For incremental runs of a rule that judges nothing when the whole series
        is flat: the first earlier change of a stuck sensor. Reads chunks
        backwards, a few at a time (the cost grows with how long the series has
        been flat, not with the record). None when there is no such value.
        """
        c = value_chunk.c
        with self._r.connect() as conn:
            sid = conn.execute(sa.select(series_t.c.id).where(series_t.c.name == series)).scalar()
            if sid is None:
                return None
            upper = before - 1
            while True:
                rows = conn.execute(sa.select(c.t_first, c.times, c.vals)
                                    .where(c.series_id == sid, c.t_first <= upper)
                                    .order_by(c.t_last.desc()).limit(8)).all()
                if not rows:
                    return None
                for row in rows:  # newest chunk first
                    t = chunks.unpack_times(row.times)
                    v = chunks.unpack_values(row.vals)
                    hit = np.flatnonzero((t <= upper) & ((v < low) | (v > high)))
                    if hit.size:
                        return int(t[hit[-1]]), float(v[hit[-1]])
                upper = min(r.t_first for r in rows) - 1

    def _read_values(self, conn, sid, lo, hi, as_of, last=None, first=None):  # pragma: no cover
        raise NotImplementedError  # provided by Store

    # ------------------------------------------------------------ alarms
    def alarm_states(self) -> dict[str, dict[str, Any]]:
        """The latest event of every alarm key: ``{key: {series, kind, state, message, since}}``."""
        a = alarm_event.c
        latest = sa.select(sa.func.max(a.id)).group_by(a.key).scalar_subquery()
        with self._r.connect() as conn:
            rows = conn.execute(sa.select(a.key, a.series, a.kind, a.state, a.message, a.recorded_us)
                                .where(a.id.in_(latest))).all()
        return {r.key: {"series": r.series, "kind": r.kind, "state": r.state, "message": r.message,
                        "since": clock_to_timestamps([r.recorded_us])[0]} for r in rows}

    def record_alarm(self, key: str, *, series: str | None, kind: str, state: str, message: str,
                     delivered: Mapping[str, Any]) -> int:
        """Append an alarm event (``state`` "open" or "resolved") with where it was sent."""
        with self._w.begin() as conn:
            return int(conn.execute(alarm_event.insert().values(
                key=key, series=series, kind=kind, state=state, message=message,
                recorded_us=now_us(), delivered=json.dumps(dict(delivered), ensure_ascii=False,
                                                            sort_keys=True))).inserted_primary_key[0])

    def alarm_log(self) -> pd.DataFrame:
        """Every alarm event, oldest first."""
        a = alarm_event.c
        with self._r.connect() as conn:
            rows = conn.execute(sa.select(a.key, a.series, a.kind, a.state, a.message, a.recorded_us,
                                          a.delivered).order_by(a.id)).all()
        return pd.DataFrame({"key": [r.key for r in rows], "series": [r.series for r in rows],
                             "kind": [r.kind for r in rows], "state": [r.state for r in rows],
                             "message": [r.message for r in rows],
                             "recorded_at": clock_to_timestamps([r.recorded_us for r in rows]),
                             "delivered": [json.loads(r.delivered) for r in rows]})

"""The :class:`Store`: raw values, automatic runs and the decision ledger of many series.

See :mod:`aquaflag.store` for the model, the rules that derive final flags and
the storage layout.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa

from .._version import __version__
from ..errors import InputError, ParameterError, did_you_mean
from ..flags import Flag
from ..variables import SeriesInfo, series_of
from . import _chunks as ch
from ._live import Fit, LiveLog
from ._db import insert_or_skip
from ._json import jsonable
from ._clock import clock_to_timestamps, clock_us, fmt_ns, index_ns, now_us, ns_index, time_ns
from . import _derive as dv
from ._schema import (approval, decision, provenance, run, run_flag_chunk, run_rule, run_series,
                      value_chunk)
from ._schema import series as series_t

__all__ = ["Store", "ACTIONS"]

#: Decision actions.
ACTIONS = ("accept", "reject", "set_flag", "undo")
_SETTABLE = (1, 2, 3, 4)
_RANK = np.zeros(10, dtype=np.int8)
for _f in Flag:
    _RANK[int(_f)] = _f.rank
_CODE_OF_RANK = {f.rank: int(f) for f in Flag}
_MEANING = {1: "good", 2: "not evaluated", 3: "suspect", 4: "fail", 9: "missing"}


def _none_if_nan(x) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def worst(codes: np.ndarray) -> int | None:
    """The most severe code (by rank) of ``codes``; None when empty."""
    if codes.size == 0:
        return None
    return _CODE_OF_RANK[int(_RANK[codes].max())]


# --------------------------------------------------------------------------- state of one series
@dataclass
class State:
    """What the store holds for one series over a time range, as of one clock time."""

    name: str
    tz: str | None
    times: np.ndarray          # int64 ns, sorted
    values: np.ndarray         # float64
    auto: np.ndarray           # uint8: latest run's flag per value
    run_of: np.ndarray         # int: position in run_ids of the run that set ``auto``, -1 none
    run_ids: list[int]
    final: np.ndarray          # uint8
    governing: np.ndarray      # int: position in ``decisions`` of the deciding entry, -1 none
    decisions: list[Mapping]   # the active non-undo decisions in ledger order
    levels: np.ndarray         # int8: index into LEVELS

    @property
    def index(self) -> pd.DatetimeIndex:
        return ns_index(self.times, self.tz)


class Store(LiveLog):
    """A QC store; open one with :func:`aquaflag.store.open_store`.

    Every method reads or writes in one transaction. Writing methods lock the
    series they change, so concurrent writers (threads, processes, reviewers
    on one PostgreSQL server) serialise per series and lose nothing.
    """

    def __init__(self, write_engine, read_engine, url: str) -> None:
        self._w = write_engine
        self._r = read_engine
        self._url = url

    # ------------------------------------------------------------------ basics
    @property
    def url(self) -> str:
        """The store's database URL (password hidden)."""
        return sa.engine.make_url(self._url).render_as_string(hide_password=True)

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._w.dialect.name

    def close(self) -> None:
        """Release the database connections (the store stays on disk / on the server)."""
        self._w.dispose()
        self._r.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<aquaflag.store.Store {self.url}>"

    # ------------------------------------------------------------------ series
    def series(self) -> pd.DataFrame:
        """The series in the store, one row each.

        Returns
        -------
        DataFrame
            ``name, variable, variable_name, station, unit, tz, n_values, first, last``
            (``variable`` is the known variable key such as ``"ph"``; ``first``/``last``
            the first and last time of a value).
        """
        with self._r.connect() as conn:
            rows = conn.execute(sa.select(series_t).order_by(series_t.c.id)).mappings().all()
            stats = {r.series_id: r for r in conn.execute(
                sa.select(value_chunk.c.series_id, sa.func.sum(value_chunk.c.n).label("n"),
                          sa.func.min(value_chunk.c.t_first).label("first"),
                          sa.func.max(value_chunk.c.t_last).label("last"))
                .group_by(value_chunk.c.series_id))}
        out = []
        for r in rows:
            st = stats.get(r["id"])
            out.append({
                "name": r["name"], "variable": r["variable"], "variable_name": r["variable_name"],
                "station": r["station"], "unit": r["unit"], "tz": r["tz"],
                "n_values": int(st.n) if st else 0,
                "first": ns_index(np.array([st.first]), r["tz"])[0] if st else pd.NaT,
                "last": ns_index(np.array([st.last]), r["tz"])[0] if st else pd.NaT,
            })
        cols = ["name", "variable", "variable_name", "station", "unit", "tz", "n_values", "first", "last"]
        return pd.DataFrame(out, columns=cols)

    def _series_row(self, conn, name: Any) -> Mapping:
        row = conn.execute(sa.select(series_t).where(series_t.c.name == str(name))).mappings().first()
        if row is None:
            names = conn.execute(sa.select(series_t.c.name)).scalars().all()
            tip = did_you_mean(name, names)
            raise InputError(f"no series {str(name)!r} in the store; {tip}"
                             f"series: {', '.join(names[:20]) or '(none yet: add values first)'}")
        return row

    def _lock(self, conn, ids: Iterable[int]) -> None:
        """Lock series rows (PostgreSQL; SQLite already holds the write lock) in id order."""
        ids = sorted(set(ids))
        if ids and conn.dialect.name == "postgresql":
            conn.execute(sa.select(series_t.c.id).where(series_t.c.id.in_(ids))
                         .order_by(series_t.c.id).with_for_update())

    def _ensure_series(self, conn, infos: Mapping[str, SeriesInfo], tz: str | None,
                       now: int) -> dict[str, Mapping]:
        """Create the series that do not exist yet; lock all; check their time zone."""
        names = sorted(infos)
        found = {r["name"]: r for r in conn.execute(
            sa.select(series_t).where(series_t.c.name.in_(names))).mappings()}
        rows = [{"name": n, "variable": infos[n].key, "variable_name": infos[n].name,
                 "station": infos[n].station, "unit": infos[n].unit, "source": infos[n].source,
                 "tz": tz, "created_us": now} for n in names if n not in found]
        if rows:  # only the new ones (a concurrent writer may have created them meanwhile)
            conn.execute(insert_or_skip(conn, series_t, ["name"]), rows)
            found.update({r["name"]: r for r in conn.execute(
                sa.select(series_t).where(series_t.c.name.in_([r["name"] for r in rows]))).mappings()})
        self._lock(conn, [r["id"] for r in found.values()])
        for n in names:
            if found[n]["tz"] != tz:
                raise InputError(
                    f"series {n!r} has {'time zone ' + found[n]['tz'] if found[n]['tz'] else 'naive times'}"
                    f" in the store but the new values have {'time zone ' + tz if tz else 'naive times'};"
                    " convert the index first (DataFrame.tz_convert / tz_localize)")
        return found

    # ------------------------------------------------------------------ raw values
    def add_values(self, frame) -> dict[str, int]:
        """Add raw values; values already stored are kept, never changed.

        Parameters
        ----------
        frame : DataFrame or Series
            Wide frame: a DatetimeIndex (unique times) and one float column per
            series. NaN cells are absences, not values, and are not stored.
            ``frame.attrs["aquaflag_series"]`` (see :mod:`aquaflag.variables`)
            may give each series' variable, station and unit; otherwise they are
            read from the column names. The frame is not modified.

        Returns
        -------
        dict
            Per series, how many values were new.

        Raises
        ------
        InputError
            When a stored value differs from the new value at the same time:
            raw values are immutable. Correct a wrong value with a decision
            (reject, set_flag), never by overwriting it. Nothing is written then.

        Notes
        -----
        Adding the same values again is a no-op; new times may come in any order.
        """
        frame = _as_frame(frame)
        with self._w.begin() as conn:
            return self._add_frame(conn, frame)

    def _add_frame(self, conn, frame: pd.DataFrame) -> dict[str, int]:
        t_all, tz = index_ns(frame.index)
        order = np.argsort(t_all, kind="stable")
        t_sorted = t_all[order]
        rows = self._ensure_series(conn, series_of(frame), tz, now_us())
        now = now_us()  # read after the series are locked: clock order = commit order per series
        block = frame.to_numpy(dtype=np.float64, na_value=np.nan)[order]
        items = []
        for j, col in enumerate(frame.columns):
            v = block[:, j]
            keep = ~np.isnan(v)
            items.append((rows[str(col)], t_sorted[keep], v[keep]))
        return self._write_many(conn, items, now)

    def _write_many(self, conn, items, now: int) -> dict[str, int]:
        """Write sorted values of several series, in a few statements whatever their number.

        The last chunk of every series is read in one query. New times after a
        series' end are appended: its last chunk is re-packed when not full,
        and the updates and inserts of all series go to the database in one
        statement each. Times at or before the end whose values are all stored
        already, identical (values an incremental run judges again), are
        checked against the stored chunks (read in one more query) and not
        written at all. Anything else -- a value inside the record that is not
        stored yet, or one that differs (refused: raw values are immutable) --
        takes the general path (:meth:`_write_values`), series by series.
        """
        updates: list[dict] = []
        inserts: list[dict] = []
        added: dict[str, int] = {}
        todo = []
        for srow, t, v in items:
            if t.size == 0:
                added[srow["name"]] = 0
            else:
                todo.append((srow, t, v))
        if not todo:
            return added
        lasts = {r.series_id: r for r in conn.execute(_LAST_CHUNKS, {"sids": [s["id"] for s, _, _ in todo]})}
        # series whose new values reach back before their last chunk: read the chunks they overlap
        older = {srow["id"]: int(t[0]) for srow, t, _ in todo
                 if srow["id"] in lasts and t[0] < lasts[srow["id"]].t_first}
        overlap: dict[int, list] = {}
        if older:
            c = value_chunk.c
            cond = sa.or_(*[sa.and_(c.series_id == sid, c.t_last >= lo) for sid, lo in older.items()])
            for r in conn.execute(sa.select(c.series_id, c.t_first, c.times, c.vals).where(cond)
                                  .order_by(c.series_id, c.t_first)):
                overlap.setdefault(r.series_id, []).append(r)
        for srow, t, v in todo:
            name, sid = srow["name"], srow["id"]
            last = lasts.get(sid)
            if last is not None and t[0] <= last.t_last:
                k = int(np.searchsorted(t, last.t_last, "right"))  # t[:k]: at or before the end
                rows = overlap.get(sid, []) if sid in older else [last]
                if not _all_stored(rows, t[:k], v[:k]):
                    added[name] = self._write_values(conn, srow, t, v, now)
                    continue
                t, v = t[k:], v[k:]
                if t.size == 0:
                    added[name] = 0
                    continue
            n_new = int(t.size)
            new_added = np.full(t.size, now, dtype=np.int64)
            if last is not None and last.n < ch.CHUNK:
                room = ch.CHUNK - last.n
                head_t = np.concatenate([ch.unpack_times(last.times), t[:room]])
                head_v = np.concatenate([ch.unpack_values(last.vals), v[:room]])
                head_a = np.concatenate([ch.unpack_added(last.added), new_added[:room]])
                p = ch.pack(head_t, head_v)
                updates.append({"cid": last.id, "t_last": p.t_last, "n": p.n, "times": p.times,
                                "vals": p.values, "added": ch.pack_added(head_a)})
                t, v, new_added = t[room:], v[room:], new_added[room:]
            for sl in ch.slices(t.size):
                p = ch.pack(t[sl], v[sl])
                inserts.append({"series_id": sid, "t_first": p.t_first, "t_last": p.t_last, "n": p.n,
                                "times": p.times, "vals": p.values, "added": ch.pack_added(new_added[sl])})
            added[name] = n_new
        if updates:
            conn.execute(_UPDATE_CHUNK, updates)
        if inserts:
            conn.execute(value_chunk.insert(), inserts)
        return added

    def _write_values(self, conn, srow: Mapping, t: np.ndarray, v: np.ndarray, now: int) -> int:
        """Merge sorted values into one series' chunks (only the chunks they touch)."""
        if t.size == 0:
            return 0
        sid = srow["id"]
        lo, hi = int(t[0]), int(t[-1])
        c = value_chunk.c
        cols = (c.id, c.t_first, c.t_last, c.n, c.times, c.vals, c.added)
        touched = conn.execute(sa.select(*cols).where(c.series_id == sid, c.t_last >= lo, c.t_first <= hi)
                               .order_by(c.t_first)).all()
        before = conn.execute(sa.select(*cols).where(c.series_id == sid, c.t_last < lo)
                              .order_by(c.t_last.desc()).limit(1)).first()
        after = conn.execute(sa.select(*cols).where(c.series_id == sid, c.t_first > hi)
                             .order_by(c.t_first).limit(1)).first()
        load = list(touched)
        if before is not None and before.n < ch.CHUNK:
            load.insert(0, before)
        if after is not None and after.n < ch.CHUNK and not touched:
            load.append(after)
        if load:
            old_t = np.concatenate([ch.unpack_times(r.times) for r in load])
            old_v = np.concatenate([ch.unpack_values(r.vals) for r in load])
            old_a = np.concatenate([ch.unpack_added(r.added) for r in load])
        else:
            old_t, old_v, old_a = np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64)
        times, values, added, n_new, bad = ch.merge(old_t, old_v, old_a, t, v, now)
        if bad.size:
            pos = np.searchsorted(old_t, t[bad[:3]])
            shown = "; ".join(f"at {fmt_ns(int(t[b]), srow['tz'])} stored {old_v[p]!r}, new {v[b]!r}"
                              for b, p in zip(bad[:3], pos))
            more = f" (and {bad.size - 3} more)" if bad.size > 3 else ""
            raise InputError(
                f"series {srow['name']!r}: raw values are immutable and {bad.size} new value(s) differ "
                f"from stored ones: {shown}{more}. To correct a value, record a decision "
                "(store.decide(..., action='reject') or 'set_flag'); the raw value stays.")
        if n_new == 0:
            return 0
        if load:
            conn.execute(value_chunk.delete().where(c.id.in_([r.id for r in load])))
        rows = []
        for sl in ch.slices(times.size):
            p = ch.pack(times[sl], values[sl])
            rows.append({"series_id": sid, "t_first": p.t_first, "t_last": p.t_last, "n": p.n,
                         "times": p.times, "vals": p.values, "added": ch.pack_added(added[sl])})
        conn.execute(value_chunk.insert(), rows)
        return n_new

    def _read_values(self, conn, sid: int, lo: int | None, hi: int | None, as_of: int | None,
                     last: int | None = None, first: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        c = value_chunk.c
        where = [c.series_id == sid]
        if lo is not None:
            where.append(c.t_last >= lo)
        if hi is not None:
            where.append(c.t_first <= hi)
        cols = [c.times, c.vals] + ([c.added] if as_of is not None else [])
        if first is not None:  # the first values of the range, by the same bounded read
            limit = first // ch.CHUNK + 2
            while True:
                rows = conn.execute(sa.select(*cols, c.n).where(*where).order_by(c.t_first)
                                    .limit(limit)).all()
                if len(rows) < limit or sum(r.n for r in rows) >= 2 * first + ch.CHUNK:
                    break
                limit *= 4
        elif last is None:
            rows = conn.execute(sa.select(*cols).where(*where).order_by(c.t_first)).all()
        else:
            limit = last // ch.CHUNK + 2
            while True:
                rows = conn.execute(sa.select(*cols, c.n).where(*where).order_by(c.t_last.desc())
                                    .limit(limit)).all()
                if len(rows) < limit or sum(r.n for r in rows) >= 2 * last + ch.CHUNK:
                    break
                limit *= 4
            rows = rows[::-1]
        if not rows:
            return np.empty(0, np.int64), np.empty(0)
        t = np.concatenate([ch.unpack_times(r[0]) for r in rows])
        v = np.concatenate([ch.unpack_values(r[1]) for r in rows])
        keep = np.ones(t.size, dtype=bool)
        if lo is not None:
            keep &= t >= lo
        if hi is not None:
            keep &= t <= hi
        if as_of is not None:
            keep &= np.concatenate([ch.unpack_added(r[2]) for r in rows]) <= as_of
        t, v = t[keep], v[keep]
        if last is not None:
            t, v = t[-last:] if last else t[:0], v[-last:] if last else v[:0]
        if first is not None:
            t, v = t[:first], v[:first]
        return t, v

    def values(self, series: str, start=None, end=None, *, as_of=None, last: int | None = None) -> pd.Series:
        """The raw values of one series.

        Parameters
        ----------
        series : str
            The series (column) name.
        start, end : time, optional
            Closed time range; naive times are in the series' time zone.
        as_of : time, optional
            Only values added up to this store-clock time (naive = UTC).
        last : int, optional
            Only the last ``last`` values (of the range); the cost does not grow
            with the length of the record.

        Returns
        -------
        Series
            float64, named after the series, with a DatetimeIndex named ``time``.
        """
        if last is not None and (not isinstance(last, (int, np.integer)) or last < 0):
            raise ParameterError(f"last must be an integer >= 0; got {last!r}")
        with self._r.connect() as conn:
            srow = self._series_row(conn, series)
            lo, hi = self._range(srow, start, end)
            t, v = self._read_values(conn, srow["id"], lo, hi, clock_us(as_of),
                                     None if last is None else int(last))
        return pd.Series(v, index=ns_index(t, srow["tz"]), name=srow["name"])

    @staticmethod
    def _range(srow: Mapping, start, end) -> tuple[int | None, int | None]:
        lo = None if start is None else time_ns(start, srow["tz"], what="start", name=srow["name"])
        hi = None if end is None else time_ns(end, srow["tz"], what="end", name=srow["name"])
        if lo is not None and hi is not None and hi < lo:
            raise ParameterError(f"series {srow['name']!r}: end {end} is before start {start}")
        return lo, hi

    # ------------------------------------------------------------------ runs
    def record_run(self, result, config_text: str | None = None, *,
                   source: str | None = None, fingerprint: str | None = None,
                   fits: Sequence[Fit] = (), live_config: int | None = None) -> int:
        """Record an automatic run (an :class:`aquaflag.Result`) and the values it judged.

        Parameters
        ----------
        result : Result
            Its ``data`` (values are added to the raw store where absent),
            ``flags`` (the run's QARTOD code per value), ``provenance`` (which
            rule flagged what) and ``rules`` are recorded.
        config_text : str, optional
            The configuration (TOML) of the run; by default the rules written
            out with :func:`aquaflag.config.rules_to_toml`.
        source, fingerprint : str, optional
            The file (or table batch) the values came from and its content
            fingerprint: recorded with the run, in the same transaction, so a
            file is judged once, exactly (a second run of the same fingerprint
            is refused and records nothing).
        fits : sequence of Fit, optional
            Parameters fitted for the live configuration ``live_config`` (its
            id, :meth:`live_state`) on series of this run: recorded with the
            run, in the same transaction (see :meth:`live_fits`).

        Returns
        -------
        int
            The run id.

        Raises
        ------
        InputError
            When the data has no DatetimeIndex or a value differs from the raw
            value stored at the same time (then nothing is recorded).

        Notes
        -----
        All or nothing: a run interrupted while it is written leaves no trace.
        Each series' run covers the time range of ``result.data``; its flags are
        stored for the values present (NaN cells are absences). A few
        statements per table whatever the number of series (values already
        stored, identical, are checked and not written again).
        """
        data = getattr(result, "data", None)
        if not isinstance(data, pd.DataFrame):
            raise InputError(f"record_run needs an aquaflag Result; got {type(result).__name__}")
        data = _as_frame(data, what="the run's data")
        flags = result.flags
        prov = _provenance(result)
        if config_text is None:
            from ..config import rules_to_toml

            config_text = rules_to_toml(result.rules)
        rules = [{"position": i, "label": r.label, "method": r.method, "severity": r.severity,
                  "parameters": json.dumps(jsonable(dict(r.params)), sort_keys=True)}
                 for i, r in enumerate(result.rules)]
        t_all, tz = index_ns(data.index)
        order = np.argsort(t_all, kind="stable")
        with self._w.begin() as conn:
            srows = self._ensure_series(conn, series_of(data), tz, now_us())
            now = now_us()  # after the lock: a later run of a series has a later clock time
            block = data.to_numpy(dtype=np.float64, na_value=np.nan)[order]
            items = []
            for j, col in enumerate(data.columns):  # raw values first: a conflict stops everything
                keep = ~np.isnan(block[:, j])
                items.append((srows[str(col)], t_all[order][keep], block[keep, j]))
            self._write_many(conn, items, now)
            run_id = conn.execute(run.insert().values(
                recorded_us=now, aquaflag_version=__version__, config_text=config_text)).inserted_primary_key[0]
            if fingerprint is not None:
                self._claim_file(conn, source or "", fingerprint, int(np.count_nonzero(~np.isnan(block))),
                                 run_id, now)
            if rules:
                conn.execute(run_rule.insert(), [dict(r, run_id=run_id) for r in rules])
            codes_all = flags.to_numpy(dtype=np.uint8)[order]
            t_sorted = t_all[order]
            t_start = int(t_sorted[0]) if t_all.size else 0
            t_end = int(t_sorted[-1]) if t_all.size else 0
            series_rows, chunks = [], []
            for j, col in enumerate(data.columns):
                sid = srows[str(col)]["id"]
                keep = ~np.isnan(block[:, j])
                t, c = t_sorted[keep], codes_all[keep, j]
                series_rows.append({"run_id": run_id, "series_id": sid, "t_start": t_start, "t_end": t_end,
                                    "n_values": int(t.size)})
                for sl in ch.slices(t.size):
                    p = ch.pack(t[sl], c[sl], dtype=np.uint8)
                    chunks.append({"run_id": run_id, "series_id": sid, "t_first": p.t_first,
                                   "t_last": p.t_last, "n": p.n, "times": p.times, "codes": p.values})
            if series_rows:
                conn.execute(run_series.insert(), series_rows)
            if chunks:
                conn.execute(run_flag_chunk.insert(), chunks)
            if fits:
                if live_config is None:
                    raise ParameterError("record_run: fits need the live configuration they belong to "
                                         "(live_config=)")
                self._write_fits(conn, live_config, fits, {n: r["id"] for n, r in srows.items()}, run_id, now)
            if len(prov):
                p_ns, _ = index_ns(pd.DatetimeIndex(prov["time"]))
                sid_of = {n: r["id"] for n, r in srows.items()}
                conn.execute(provenance.insert(), [
                    {"run_id": run_id, "series_id": sid_of[str(col)], "time": int(tt), "rule": str(rule),
                     "method": str(method), "parameters": str(params), "flag": int(flag),
                     "score": _none_if_nan(score), "lower": _none_if_nan(lower), "upper": _none_if_nan(upper)}
                    for col, tt, rule, method, params, flag, score, lower, upper in zip(
                        prov["column"], p_ns, prov["rule"], prov["method"], prov["parameters"],
                        prov["flag"], prov["score"], prov["lower"], prov["upper"])])
        return int(run_id)

    def runs(self, series: str | None = None) -> pd.DataFrame:
        """The recorded runs: ``run, recorded_at, aquaflag_version, series, config_text``."""
        with self._r.connect() as conn:
            q = sa.select(run.c.id, run.c.recorded_us, run.c.aquaflag_version, run.c.config_text,
                          series_t.c.name).select_from(
                run.join(run_series, run_series.c.run_id == run.c.id)
                .join(series_t, series_t.c.id == run_series.c.series_id)).order_by(run.c.id, series_t.c.id)
            if series is not None:
                q = q.where(series_t.c.id == self._series_row(conn, series)["id"])
            rows = conn.execute(q).all()
        table: dict[int, dict[str, Any]] = {}
        for rid, rec, ver, cfg, name in rows:
            entry = table.setdefault(rid, {"run": rid, "recorded_at": rec, "aquaflag_version": ver,
                                           "series": [], "config_text": cfg})
            entry["series"].append(name)
        out = pd.DataFrame(list(table.values()),
                           columns=["run", "recorded_at", "aquaflag_version", "series", "config_text"])
        out["recorded_at"] = clock_to_timestamps(out["recorded_at"].to_numpy(dtype=np.int64))
        return out

    def provenance(self, series: str, start=None, end=None, *, as_of=None) -> pd.DataFrame:
        """Which rule flagged which value of a series, per run.

        Returns
        -------
        DataFrame
            ``run, time, rule, method, parameters, flag, score, lower, upper``.
        """
        with self._r.connect() as conn:
            srow = self._series_row(conn, series)
            lo, hi = self._range(srow, start, end)
            rows = self._provenance_rows(conn, srow["id"], lo, hi, clock_us(as_of))
        out = pd.DataFrame(rows, columns=["run", "time", "rule", "method", "parameters", "flag",
                                          "score", "lower", "upper"])
        out["time"] = ns_index(out["time"].to_numpy(dtype=np.int64), srow["tz"])
        for col in ("score", "lower", "upper"):
            out[col] = out[col].astype(float)
        return out

    def _provenance_rows(self, conn, sid, lo, hi, as_of):
        p = provenance.c
        q = (sa.select(p.run_id, p.time, p.rule, p.method, p.parameters, p.flag, p.score, p.lower, p.upper)
             .where(p.series_id == sid).order_by(p.run_id, p.time, p.id))
        if lo is not None:
            q = q.where(p.time >= lo)
        if hi is not None:
            q = q.where(p.time <= hi)
        if as_of is not None:
            q = q.where(p.run_id.in_(sa.select(run.c.id).where(run.c.recorded_us <= as_of)))
        return [tuple(r) for r in conn.execute(q)]

    # ------------------------------------------------------------------ derived state
    def _state(self, conn, srow: Mapping, lo: int | None, hi: int | None, as_of: int | None) -> State:
        sid = srow["id"]
        times, values, auto, run_of, run_ids = self._auto(conn, sid, lo, hi, as_of)
        entries = self._decision_rows(conn, sid, lo, hi, as_of)
        on = dv.active([e["id"] for e in entries], [e["action"] for e in entries],
                       [e["undoes"] for e in entries])
        applied = [e for e, a in zip(entries, on) if a and e["action"] != "undo"]
        final, governing = dv.paint_decisions(times, auto, [e["t_start"] for e in applied],
                                              [e["t_end"] for e in applied], [e["flag"] for e in applied])
        levels = dv.levels_at(times, self._periods(conn, sid, as_of))
        return State(srow["name"], srow["tz"], times, values, auto, run_of, run_ids, final, governing,
                     applied, levels)

    def _auto(self, conn, sid: int, lo: int | None, hi: int | None, as_of: int | None):
        """Times, values and automatic flags (with the run that set each) of one series."""
        times, values = self._read_values(conn, sid, lo, hi, as_of)
        f = run_flag_chunk.c
        q = (sa.select(f.run_id, f.times, f.codes).where(f.series_id == sid)
             .order_by(f.run_id, f.t_first))
        if lo is not None:
            q = q.where(f.t_last >= lo)
        if hi is not None:
            q = q.where(f.t_first <= hi)
        if as_of is not None:
            q = q.where(f.run_id.in_(sa.select(run.c.id).where(run.c.recorded_us <= as_of)))
        per_run: dict[int, list] = {}
        for rid, t, c in conn.execute(q):
            per_run.setdefault(rid, []).append((ch.unpack_times(t), ch.unpack_codes(c)))
        run_ids = list(per_run)
        runs = [(np.concatenate([a for a, _ in parts]), np.concatenate([b for _, b in parts]))
                for parts in per_run.values()]
        auto, run_of = dv.paint_runs(times, runs)
        return times, values, auto, run_of, run_ids

    def _decision_rows(self, conn, sid, lo, hi, as_of) -> list[Mapping]:
        d = decision.c
        q = sa.select(decision).where(d.series_id == sid).order_by(d.id)
        if lo is not None:
            q = q.where(d.t_end >= lo)
        if hi is not None:
            q = q.where(d.t_start <= hi)
        if as_of is not None:
            q = q.where(d.decided_us <= as_of)
        return [dict(r) for r in conn.execute(q).mappings()]

    def _periods(self, conn, sid, as_of) -> list[tuple[int, int, str]]:
        a = approval.c
        q = sa.select(a.t_start, a.t_end, a.level).where(a.series_id == sid).order_by(a.id)
        if as_of is not None:
            q = q.where(a.decided_us <= as_of)
        rows = conn.execute(q).all()
        return dv.periods([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])

    def _states(self, series, as_of, start, end) -> list[State]:
        as_of_us = clock_us(as_of)
        with self._r.connect() as conn:
            if series is None:
                srows = conn.execute(sa.select(series_t).order_by(series_t.c.id)).mappings().all()
            else:
                names = [series] if isinstance(series, str) else list(series)
                srows = [self._series_row(conn, n) for n in names]
            out = []
            for srow in srows:
                lo, hi = self._range(srow, start, end)
                out.append(self._state(conn, srow, lo, hi, as_of_us))
        return out

    def flags(self, series: str | Sequence[str] | None = None, as_of=None, *, start=None, end=None,
              automatic: bool = False) -> pd.DataFrame:
        """Final QARTOD flags (uint8), one column per series, like ``Result.flags``.

        Parameters
        ----------
        series : str or list of str, optional
            Series to include (default: all).
        as_of : time, optional
            The state at this store-clock time (naive = UTC): only values, runs,
            decisions and approvals recorded up to then count.
        start, end : time, optional
            Closed time range.
        automatic : bool
            True gives the automatic flags (the latest run's), without decisions.

        Returns
        -------
        DataFrame
            Index: the union of the series' times; a cell where a series has
            no value is 9 MISSING. A value no run judged is 2 NOT_EVALUATED;
            a decision overrides the automatic flag (accept 1, reject 4,
            set_flag its code; the latest active decision wins).
        """
        states = self._states(series, as_of, start, end)
        return _wide(states, lambda s: s.auto if automatic else s.final, fill=int(Flag.MISSING),
                     dtype=np.uint8)

    def human(self, series: str | Sequence[str] | None = None, *, start=None, end=None) -> pd.DataFrame:
        """The values a technician decided, with the decision that holds each, for a new run.

        Returns
        -------
        DataFrame
            One row per decided value: ``column, time, flag, action, reviewer,
            reason, decided_at, flagged_by``. ``flag`` is the final code the
            decision gives; ``flagged_by`` (for accepts) lists the
            ``"method: parameters"`` of the rules that had flagged the value in
            the latest run before the decision: :func:`aquaflag.run` with this
            store does not let the same rule with the same parameters flag an
            accepted value again. Series the store does not hold are skipped.
        """
        names = None
        if series is not None:
            held = set(self.series()["name"])
            names = [n for n in ([series] if isinstance(series, str) else list(series)) if n in held]
        states = self._states(names, None, start, end) if names is None or names else []
        rows = []
        with self._r.connect() as conn:
            recorded = dict(conn.execute(sa.select(run.c.id, run.c.recorded_us)).all())
            for s in states:
                decided = np.flatnonzero(s.governing >= 0)
                if decided.size == 0:
                    continue
                prov = None
                for i in decided:
                    entry = s.decisions[int(s.governing[i])]
                    flagged_by: list[str] = []
                    if entry["action"] == "accept":
                        if prov is None:
                            sid = self._series_row(conn, s.name)["id"]
                            prov = self._provenance_rows(conn, sid, None, None, None)
                        seen = [p for p in prov if p[1] == s.times[i] and p[5] in (3, 4)
                                and recorded.get(p[0], 0) <= entry["decided_us"]]
                        if seen:
                            last = max(p[0] for p in seen)
                            flagged_by = sorted({f"{p[3]}: {p[4]}" for p in seen if p[0] == last})
                    rows.append({"column": s.name, "time": s.index[int(i)], "flag": int(s.final[i]),
                                 "action": entry["action"], "reviewer": entry["reviewer"],
                                 "reason": entry["reason"],
                                 "decided_at": clock_to_timestamps([entry["decided_us"]])[0],
                                 "flagged_by": flagged_by})
        cols = ["column", "time", "flag", "action", "reviewer", "reason", "decided_at", "flagged_by"]
        return pd.DataFrame(rows, columns=cols)

    def cleaned(self, series: str | Sequence[str] | None = None, as_of=None, *, start=None, end=None,
                min_flag: str = "fail") -> pd.DataFrame:
        """Raw values with rejected/failed values set to NaN; the raw values stay stored.

        Parameters
        ----------
        series, as_of, start, end
            As for :meth:`flags`.
        min_flag : {"fail", "suspect"}
            Values whose final flag is at least this severe become NaN. The
            default "fail" blanks rejected values and automatic FAILs, keeping
            SUSPECT values (a technician's reject is a 4); note that
            ``Result.cleaned`` defaults to "suspect".
        """
        if min_flag not in ("fail", "suspect"):
            raise ParameterError(f"min_flag must be 'fail' or 'suspect'; got {min_flag!r}")
        bad = (3, 4) if min_flag == "suspect" else (4,)
        states = self._states(series, as_of, start, end)
        return _wide(states, lambda s: np.where(np.isin(s.final, bad), np.nan, s.values),
                     fill=np.nan, dtype=np.float64)

    # ------------------------------------------------------------------ the ledger
    def decide(self, series: str, start, end=None, *, action: str, reviewer: str, reason: str,
               flag: int | None = None) -> int:
        """Record a human decision on one value (``end=None``) or a closed time range.

        Parameters
        ----------
        series : str
            The series name.
        start, end : time
            The value's time (``end`` omitted), or a closed range holding at
            least one value. Naive times are in the series' time zone.
        action : {"accept", "reject", "set_flag"}
            accept sets 1 GOOD, reject sets 4 FAIL (a technician's "bad value"),
            set_flag sets ``flag`` (1, 2, 3 or 4). To take a decision back use
            :meth:`undo`.
        reviewer, reason : str
            Who decided, and why (both required).
        flag : int, optional
            The code for set_flag.

        Returns
        -------
        int
            The decision id.

        Raises
        ------
        InputError
            Unknown series, no value at the time / in the range, or the range
            touches an approved (locked) period.
        ParameterError
            Bad action, flag, reviewer or reason.

        Notes
        -----
        The automatic flag it overrides is recorded with it (for a range, the
        most severe automatic flag in it, and how many values it held). A range
        decision applies to every value in the range, including values added
        later.
        """
        return self.decide_many([{"series": series, "start": start, "end": end, "action": action,
                                  "flag": flag, "reviewer": reviewer, "reason": reason}])[0]

    def decide_many(self, decisions) -> list[int]:
        """Record many decisions in one transaction (all or none); see :meth:`decide`.

        Parameters
        ----------
        decisions : DataFrame or list of dict
            Columns/keys ``series, start, end, action, reviewer, reason`` and
            optionally ``flag`` (``end`` None/NaT for a point).

        Returns
        -------
        list of int
            The decision ids, in the given order.
        """
        rows = decisions.to_dict("records") if isinstance(decisions, pd.DataFrame) else list(decisions)
        if not rows:
            return []
        for k, r in enumerate(rows):
            missing = {"series", "start", "action", "reviewer", "reason"} - set(r)
            if missing:
                raise ParameterError(f"decision {k} lacks {', '.join(sorted(missing))}")
            _check_decision(r.get("action"), r.get("flag"), r.get("reviewer"), r.get("reason"),
                            where=f"decision on {r['series']!r}")
        ids: list[int] = [0] * len(rows)
        with self._w.begin() as conn:
            srows = {}
            for r in rows:
                name = str(r["series"])
                if name not in srows:
                    srows[name] = self._series_row(conn, name)
            self._lock(conn, [s["id"] for s in srows.values()])
            now = now_us()
            by_series: dict[str, list[int]] = {}
            for k, r in enumerate(rows):
                by_series.setdefault(str(r["series"]), []).append(k)
            inserts = []
            for name, ks in by_series.items():
                srow = srows[name]
                bounds = []
                for k in ks:
                    r = rows[k]
                    lo = time_ns(r["start"], srow["tz"], what="start", name=name)
                    end = r.get("end")
                    point = end is None or (not isinstance(end, str) and pd.isna(end))
                    hi = lo if point else time_ns(end, srow["tz"], what="end", name=name)
                    if hi < lo:
                        raise ParameterError(f"decision on {name!r}: end {end} is before start {r['start']}")
                    bounds.append((lo, hi, point))
                lo_all = min(b[0] for b in bounds)
                hi_all = max(b[1] for b in bounds)
                times, _, auto, _, _ = self._auto(conn, srow["id"], lo_all, hi_all, None)
                spans = self._periods(conn, srow["id"], None)
                for k, (lo, hi, point) in zip(ks, bounds):
                    r = rows[k]
                    a = int(np.searchsorted(times, lo, side="left"))
                    b = int(np.searchsorted(times, hi, side="right"))
                    if b == a:
                        raise InputError(_no_value_message(name, lo, hi, point, srow["tz"]))
                    _check_unlocked(name, lo, hi, spans, srow["tz"])
                    inserts.append((k, {
                        "series_id": srow["id"], "t_start": lo, "t_end": hi, "action": r["action"],
                        "flag": dv.decision_code(r["action"], _norm_flag(r.get("flag"))), "undoes": None,
                        "reviewer": str(r["reviewer"]).strip(), "reason": str(r["reason"]).strip(),
                        "decided_us": now, "auto_flag": worst(auto[a:b]), "n_values": b - a}))
            got = conn.execute(decision.insert().returning(decision.c.id, sort_by_parameter_order=True),
                               [values for _, values in inserts]).scalars().all()
            for (k, _), new_id in zip(inserts, got):
                ids[k] = int(new_id)
        return ids

    def undo(self, decision_id: int, *, reviewer: str, reason: str) -> int:
        """Take back an earlier decision by recording a new ledger entry; nothing is deleted.

        The undone decision stops applying (an earlier decision on the same
        values, or the automatic flag, shows again). Undoing an undo restores
        the decision it undid.

        Returns
        -------
        int
            The id of the undo entry.

        Raises
        ------
        InputError
            Unknown decision, one already undone, or one in an approved period.
        """
        _check_decision("undo", None, reviewer, reason, where=f"undo of decision {decision_id!r}")
        try:
            target_id = int(decision_id)
        except (TypeError, ValueError):
            raise ParameterError(f"decision_id must be an integer; got {decision_id!r}") from None
        with self._w.begin() as conn:
            target = conn.execute(sa.select(decision).where(decision.c.id == target_id)).mappings().first()
            if target is None:
                raise InputError(f"no decision {target_id} in the store; see store.decisions()")
            self._lock(conn, [target["series_id"]])
            srow = conn.execute(sa.select(series_t).where(series_t.c.id == target["series_id"])).mappings().one()
            entries = self._decision_rows(conn, srow["id"], target["t_start"], target["t_end"], None)
            on = dv.active([e["id"] for e in entries], [e["action"] for e in entries],
                           [e["undoes"] for e in entries])
            status = {e["id"]: a for e, a in zip(entries, on)}
            if not status.get(target_id, False):
                by = [e["id"] for e, a in zip(entries, on) if a and e["action"] == "undo"
                      and e["undoes"] == target_id]
                raise InputError(f"decision {target_id} on {srow['name']!r} is already undone"
                                 f"{' by decision ' + str(by[0]) if by else ''}; to restore it, undo "
                                 f"{'that undo' if by else 'the undo that took it back'}")
            _check_unlocked(srow["name"], target["t_start"], target["t_end"],
                            self._periods(conn, srow["id"], None), srow["tz"])
            times, _, auto, _, _ = self._auto(conn, srow["id"], target["t_start"], target["t_end"], None)
            now = now_us()
            new_id = conn.execute(decision.insert().values(
                series_id=srow["id"], t_start=target["t_start"], t_end=target["t_end"], action="undo",
                flag=None, undoes=target_id, reviewer=str(reviewer).strip(), reason=str(reason).strip(),
                decided_us=now, auto_flag=worst(auto), n_values=int(times.size))
            ).inserted_primary_key[0]
        return int(new_id)

    def set_approval(self, series: str, start, end, level: str, *, reviewer: str, reason: str) -> int:
        """Set the approval level of a series over a closed time range (a ledger entry).

        Levels go raw -> provisional -> approved. An approved period is locked:
        decisions and undos touching it are refused until it is re-opened by
        setting it (or part of it) back to provisional or raw with this method.

        Returns
        -------
        int
            The approval entry id.
        """
        if level not in dv.LEVELS:
            raise ParameterError(f"level must be one of {', '.join(map(repr, dv.LEVELS))}; got {level!r}")
        _check_who(reviewer, reason, where=f"approval of {series!r}")
        with self._w.begin() as conn:
            srow = self._series_row(conn, series)
            self._lock(conn, [srow["id"]])
            lo, hi = self._range(srow, start, end)
            if lo is None or hi is None:
                raise ParameterError(f"set_approval of {series!r} needs both start and end")
            new_id = conn.execute(approval.insert().values(
                series_id=srow["id"], t_start=lo, t_end=hi, level=level, reviewer=str(reviewer).strip(),
                reason=str(reason).strip(), decided_us=now_us())).inserted_primary_key[0]
        return int(new_id)

    def approval(self, series: str, *, as_of=None) -> pd.DataFrame:
        """Effective approval periods of a series: ``start, end, level`` (not listed: raw)."""
        with self._r.connect() as conn:
            srow = self._series_row(conn, series)
            spans = self._periods(conn, srow["id"], clock_us(as_of))
        return pd.DataFrame({
            "start": ns_index(np.array([s for s, _, _ in spans], dtype=np.int64), srow["tz"], "start"),
            "end": ns_index(np.array([e for _, e, _ in spans], dtype=np.int64), srow["tz"], "end"),
            "level": [lev for _, _, lev in spans]})

    def decisions(self, series: str | None = None, start=None, end=None, *, as_of=None) -> pd.DataFrame:
        """The decision ledger (oldest first), with whether each entry applies.

        Returns
        -------
        DataFrame
            ``id, series, start, end, action, flag, undoes, reviewer, reason,
            decided_at, auto_flag, n_values, active`` (``end`` NaT for a point;
            ``flag`` the code it sets; ``auto_flag`` the automatic flag it
            overrode; ``active`` as of ``as_of``).
        """
        as_of_us = clock_us(as_of)
        with self._r.connect() as conn:
            if series is None:
                srows = conn.execute(sa.select(series_t)).mappings().all()
            else:
                srows = [self._series_row(conn, series)]
            frames = []
            for srow in srows:
                lo, hi = self._range(srow, start, end)
                entries = self._decision_rows(conn, srow["id"], lo, hi, as_of_us)
                frames.append(_decision_frame(entries, srow, as_of_us))
        cols = ["id", "series", "start", "end", "action", "flag", "undoes", "reviewer", "reason",
                "decided_at", "auto_flag", "n_values", "active"]
        frames = [f for f in frames if len(f)]
        if not frames:
            return pd.DataFrame({c: [] for c in cols})
        return pd.concat(frames, ignore_index=True).sort_values("id", kind="stable").reset_index(drop=True)

    def approvals(self, series: str | None = None, *, as_of=None) -> pd.DataFrame:
        """The approval ledger: ``id, series, start, end, level, reviewer, reason, decided_at``."""
        as_of_us = clock_us(as_of)
        a = approval.c
        with self._r.connect() as conn:
            q = (sa.select(a.id, series_t.c.name, series_t.c.tz, a.t_start, a.t_end, a.level, a.reviewer,
                           a.reason, a.decided_us)
                 .select_from(approval.join(series_t, series_t.c.id == a.series_id)).order_by(a.id))
            if series is not None:
                q = q.where(a.series_id == self._series_row(conn, series)["id"])
            if as_of_us is not None:
                q = q.where(a.decided_us <= as_of_us)
            rows = conn.execute(q).all()
        return pd.DataFrame({
            "id": [r.id for r in rows], "series": [r.name for r in rows],
            "start": [ns_index(np.array([r.t_start]), r.tz)[0] for r in rows],
            "end": [ns_index(np.array([r.t_end]), r.tz)[0] for r in rows],
            "level": [r.level for r in rows], "reviewer": [r.reviewer for r in rows],
            "reason": [r.reason for r in rows],
            "decided_at": clock_to_timestamps([r.decided_us for r in rows])})

    def history(self, series: str, start=None, end=None, *, as_of=None) -> pd.DataFrame:
        """Runs, decisions and approvals touching a series (and range), in the order they were recorded.

        Returns
        -------
        DataFrame
            ``at, kind ("run"/"decision"/"approval"), id, action, start, end,
            flag, auto_flag, reviewer, reason, detail``. For a run, ``flag`` is
            its most severe flag in the range, ``detail`` the aquaflag version,
            the rules and how many values it flagged.
        """
        as_of_us = clock_us(as_of)
        with self._r.connect() as conn:
            srow = self._series_row(conn, series)
            lo, hi = self._range(srow, start, end)
            sid, tz = srow["id"], srow["tz"]
            rs = run_series.c
            q = (sa.select(run.c.id, run.c.recorded_us, run.c.aquaflag_version, rs.t_start, rs.t_end)
                 .select_from(run.join(run_series, rs.run_id == run.c.id)).where(rs.series_id == sid)
                 .order_by(run.c.id))
            if lo is not None:
                q = q.where(rs.t_end >= lo)
            if hi is not None:
                q = q.where(rs.t_start <= hi)
            if as_of_us is not None:
                q = q.where(run.c.recorded_us <= as_of_us)
            runs_ = conn.execute(q).all()
            prov = self._provenance_rows(conn, sid, lo, hi, as_of_us)
            rules: dict[int, list] = {}
            if runs_:
                for rid, label in conn.execute(sa.select(run_rule.c.run_id, run_rule.c.label)
                                               .where(run_rule.c.run_id.in_([r.id for r in runs_]))
                                               .order_by(run_rule.c.run_id, run_rule.c.position)):
                    rules.setdefault(rid, []).append(label)
            entries = self._decision_rows(conn, sid, lo, hi, as_of_us)
            a = approval.c
            qa = sa.select(approval).where(a.series_id == sid).order_by(a.id)
            if lo is not None:
                qa = qa.where(a.t_end >= lo)
            if hi is not None:
                qa = qa.where(a.t_start <= hi)
            if as_of_us is not None:
                qa = qa.where(a.decided_us <= as_of_us)
            apps = conn.execute(qa).mappings().all()
        out = []
        for r in runs_:
            mine = [p for p in prov if p[0] == r.id]
            n_flagged = len({p[1] for p in mine})
            out.append({"at": r.recorded_us, "kind": "run", "id": r.id, "action": "run",
                        "start": r.t_start, "end": r.t_end,
                        "flag": worst(np.array([p[5] for p in mine], dtype=np.uint8)),
                        "auto_flag": None, "reviewer": None, "reason": None,
                        "detail": f"aquaflag {r.aquaflag_version}; rules: {', '.join(rules.get(r.id, []))}; "
                                  f"{n_flagged} value(s) flagged"})
        for e in entries:
            detail = f"undoes decision {e['undoes']}" if e["action"] == "undo" else \
                f"{_MEANING.get(e['flag'], e['flag'])} over {e['n_values']} value(s)"
            out.append({"at": e["decided_us"], "kind": "decision", "id": e["id"], "action": e["action"],
                        "start": e["t_start"], "end": None if e["t_start"] == e["t_end"] else e["t_end"],
                        "flag": e["flag"], "auto_flag": e["auto_flag"], "reviewer": e["reviewer"],
                        "reason": e["reason"], "detail": detail})
        for e in apps:
            out.append({"at": e["decided_us"], "kind": "approval", "id": e["id"], "action": e["level"],
                        "start": e["t_start"], "end": e["t_end"], "flag": None, "auto_flag": None,
                        "reviewer": e["reviewer"], "reason": e["reason"], "detail": f"period set {e['level']}"})
        out.sort(key=lambda x: (x["at"], {"run": 0, "approval": 1, "decision": 2}[x["kind"]], x["id"]))
        cols = ["at", "kind", "id", "action", "start", "end", "flag", "auto_flag", "reviewer", "reason",
                "detail"]
        table = pd.DataFrame(out, columns=cols)
        table["at"] = clock_to_timestamps(table["at"].to_numpy(dtype=np.int64))
        for col in ("start", "end"):
            vals = table[col]
            ok = vals.notna().to_numpy()
            stamps = pd.Series(pd.NaT, index=table.index, dtype=ns_index(np.empty(0, np.int64), tz).dtype)
            if ok.any():
                stamps[ok] = ns_index(vals[ok].to_numpy(dtype=np.int64), tz)
            table[col] = stamps
        for col in ("flag", "auto_flag"):
            table[col] = table[col].astype("Int64")
        return table

    # ------------------------------------------------------------------ exports
    def export_labels(self, path=None, *, as_of=None) -> pd.DataFrame | Path:
        """Human decisions as labels for ``aquaflag evaluate`` / ``tune``.

        One row per value a decision governs (the latest active one):
        ``column, time, label, reviewer, decided_at``; ``label`` is True where
        the value was rejected or set to 3/4, False where it was accepted or set
        to 1 (set to 2 gives no label).

        Parameters
        ----------
        path : str or Path, optional
            Write a CSV there; without it, return the table.
        as_of : time, optional
            Labels as they stood at that store-clock time.
        """
        from ._export import labels_table, write_csv

        table = labels_table(self._states(None, as_of, None, None))
        return write_csv(table, path)

    def export_csv(self, path=None, *, as_of=None) -> pd.DataFrame | Path:
        """Every value with its final flag, qualifier, reviewer and approval level, as CSV.

        Columns: ``series, time, value, flag, flag_meaning, qualifier, reviewer, approval``.
        ``qualifier`` says why the value has its flag: the decision (action,
        reviewer, reason) or the rules of the run that flagged it.
        """
        from ._export import values_table, write_csv

        states = self._states(None, as_of, None, None)
        with self._r.connect() as conn:
            prov = {s.name: self._provenance_rows(conn, self._series_row(conn, s.name)["id"], None, None,
                                                  clock_us(as_of)) for s in states}
        return write_csv(values_table(states, prov), path)

    def export_netcdf(self, path, *, as_of=None):
        """Write values and flags to netCDF (CF conventions, via xarray); returns the Dataset.

        Per series: a data variable whose ``ancillary_variables`` name an
        aggregate flag variable (``standard_name = aggregate_quality_flag``,
        the final flags), one flag variable per rule of the runs (QARTOD test
        standard names where the method is a QARTOD test) and one for the human
        review. Every flag variable has ``flag_values = 1 2 3 4 9`` and
        ``flag_meanings = "pass not_evaluated suspect fail missing"``.
        """
        from ._export import netcdf_dataset

        as_of_us = clock_us(as_of)
        states = self._states(None, as_of, None, None)
        meta: dict[str, dict] = {}
        prov: dict[str, list] = {}
        rules: dict[int, list] = {}
        with self._r.connect() as conn:
            for s in states:
                srow = self._series_row(conn, s.name)
                meta[s.name] = dict(srow)
                prov[s.name] = self._provenance_rows(conn, srow["id"], None, None, as_of_us)
            if any(s.run_ids for s in states):
                ids = sorted({i for s in states for i in s.run_ids})
                for rid, label, method in conn.execute(
                        sa.select(run_rule.c.run_id, run_rule.c.label, run_rule.c.method)
                        .where(run_rule.c.run_id.in_(ids)).order_by(run_rule.c.run_id, run_rule.c.position)):
                    rules.setdefault(rid, []).append((label, method))
        ds = netcdf_dataset(states, meta, prov, rules, store_url=self.url, as_of=as_of)
        if path is not None:
            ds.to_netcdf(path, engine="h5netcdf")
        return ds


# --------------------------------------------------------------------------- statements
_c = value_chunk.c
#: The last chunk of a series (the index on (series_id, t_last) makes it one lookup).
_LAST_CHUNK = (sa.select(_c.id, _c.t_last, _c.n, _c.times, _c.vals, _c.added)
               .where(_c.series_id == sa.bindparam("sid")).order_by(_c.t_last.desc()).limit(1))
_last = value_chunk.alias("last_chunk")
#: The last chunk of each of several series, in one query (one index lookup per series,
#: whatever the record's length).
_LAST_CHUNKS = (sa.select(_c.id, _c.series_id, _c.t_first, _c.t_last, _c.n, _c.times, _c.vals, _c.added)
                .select_from(series_t.join(value_chunk, _c.id == sa.select(_last.c.id)
                                           .where(_last.c.series_id == series_t.c.id)
                                           .order_by(_last.c.t_last.desc()).limit(1)
                                           .correlate(series_t).scalar_subquery()))
                .where(series_t.c.id.in_(sa.bindparam("sids", expanding=True))))
#: Re-pack a chunk in place (its first time stays).
_UPDATE_CHUNK = (value_chunk.update().where(_c.id == sa.bindparam("cid"))
                 .values(t_last=sa.bindparam("t_last"), n=sa.bindparam("n"), times=sa.bindparam("times"),
                         vals=sa.bindparam("vals"), added=sa.bindparam("added")))


# --------------------------------------------------------------------------- helpers
def _provenance(result) -> pd.DataFrame:
    """``result.provenance``, built from the detections that flagged something only (the same
    rows: the others give none), so a run of many series and rules that flags little is cheap."""
    from ..result import Result

    if type(result) is not Result:  # a subclass may derive its provenance otherwise
        return result.provenance
    dets = result.detections
    flagged = {k: d for k, d in dets.items() if d.n_outliers}
    if len(flagged) == len(dets):
        return result.provenance
    return Result(result.data, result.rules, flagged, series=result.series,
                  prior_flags=result.prior_flags, human=result.human).provenance


def _all_stored(rows, t: np.ndarray, v: np.ndarray) -> bool:
    """Whether every (t, v) is a value of the chunks ``rows`` (sorted by time): stored, identical."""
    if not rows:
        return False
    st = rows[0].times if len(rows) == 1 else b"".join(r.times for r in rows)
    sv = rows[0].vals if len(rows) == 1 else b"".join(r.vals for r in rows)
    ts, vs = ch.unpack_times(st), ch.unpack_values(sv)
    pos = np.searchsorted(ts, t)
    if pos.size and pos[-1] >= ts.size:
        return False
    return bool(np.array_equal(ts[pos], t) and ch.same_value(vs[pos], v).all())


def _as_frame(frame, what: str = "values") -> pd.DataFrame:
    if isinstance(frame, pd.Series):
        frame = frame.to_frame(name=frame.name if frame.name is not None else "value")
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{what} must be a pandas DataFrame with a DatetimeIndex; got {type(frame).__name__}")
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise InputError(f"{what} need a DatetimeIndex (one row per time); got {type(frame.index).__name__}. "
                         "Read files with aquaflag.read or set the index with DataFrame.set_index")
    if frame.index.hasnans:
        raise InputError(f"{what}: the index has missing times (NaT); drop those rows first")
    dup = frame.index.duplicated()
    if dup.any():
        raise InputError(f"{what}: time {frame.index[dup][0]} appears more than once; one row per time")
    names = [str(c) for c in frame.columns]
    if not frame.columns.is_unique or len(set(names)) != len(names):
        raise InputError(f"{what}: column names repeat; each series needs its own name")
    dtypes = frame.dtypes
    if not bool((dtypes == np.float64).all()):  # float64 (the usual case) checked in bulk
        for col, dtype in zip(frame.columns, dtypes):
            if not (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)):
                raise InputError(f"{what}: column {str(col)!r} is not numeric ({dtype}); "
                                 "convert it with pd.to_numeric or drop it")
    return frame


def _check_who(reviewer, reason, *, where: str) -> None:
    if not isinstance(reviewer, str) or not reviewer.strip():
        raise ParameterError(f"{where}: reviewer must be a non-empty name; got {reviewer!r}")
    if not isinstance(reason, str) or not reason.strip():
        raise ParameterError(f"{where}: reason must be a non-empty text saying why; got {reason!r}")


def _norm_flag(flag):
    """None for a missing flag (None, NaN, NA); an int for an integral number; else unchanged."""
    if flag is None or (not isinstance(flag, str) and pd.isna(flag)):
        return None
    if isinstance(flag, (float, np.floating)) and float(flag).is_integer():
        return int(flag)
    return flag


def _check_decision(action, flag, reviewer, reason, *, where: str) -> None:
    flag = _norm_flag(flag)
    if action not in ACTIONS:
        raise ParameterError(f"{where}: action must be one of {', '.join(map(repr, ACTIONS[:3]))} "
                             f"(and store.undo for undo); got {action!r}")
    if action == "set_flag":
        if flag is None or isinstance(flag, bool) or not isinstance(flag, (int, np.integer)) \
                or int(flag) not in _SETTABLE:
            raise ParameterError(f"{where}: set_flag needs flag= one of 1 (good), 2 (not evaluated), "
                                 f"3 (suspect), 4 (fail); got {flag!r}")
    elif flag is not None:
        raise ParameterError(f"{where}: flag= goes with action='set_flag' only; {action!r} sets "
                             f"{dv.ACTION_CODES.get(action, 'nothing')}")
    _check_who(reviewer, reason, where=where)


def _check_unlocked(name: str, lo: int, hi: int, spans, tz) -> None:
    for s, e, lev in spans:
        if lev == "approved" and s <= hi and lo <= e:
            raise InputError(
                f"series {name!r}: {fmt_ns(lo, tz)} .. {fmt_ns(hi, tz)} touches the approved (locked) period "
                f"{fmt_ns(s, tz)} .. {fmt_ns(e, tz)}; re-open it first with store.set_approval({name!r}, "
                f"start, end, 'provisional', reviewer=..., reason=...)")


def _no_value_message(name, lo, hi, point, tz) -> str:
    if point:
        return (f"series {name!r} has no value at {fmt_ns(lo, tz)}; give the exact time of a value, "
                "or end= for a time range")
    return f"series {name!r} has no value in {fmt_ns(lo, tz)} .. {fmt_ns(hi, tz)}; check the range"


def _decision_frame(entries, srow, as_of_us) -> pd.DataFrame:
    on = dv.active([e["id"] for e in entries], [e["action"] for e in entries], [e["undoes"] for e in entries])
    tz = srow["tz"]
    return pd.DataFrame({
        "id": [e["id"] for e in entries],
        "series": srow["name"],
        "start": ns_index(np.array([e["t_start"] for e in entries], dtype=np.int64), tz),
        "end": ns_index(np.array([e["t_end"] for e in entries], dtype=np.int64), tz).where(
            np.array([e["t_end"] != e["t_start"] for e in entries], dtype=bool)),
        "action": [e["action"] for e in entries],
        "flag": pd.array([e["flag"] for e in entries], dtype="Int64"),
        "undoes": pd.array([e["undoes"] for e in entries], dtype="Int64"),
        "reviewer": [e["reviewer"] for e in entries],
        "reason": [e["reason"] for e in entries],
        "decided_at": clock_to_timestamps([e["decided_us"] for e in entries]),
        "auto_flag": pd.array([e["auto_flag"] for e in entries], dtype="Int64"),
        "n_values": [e["n_values"] for e in entries],
        "active": on,
    })


def _wide(states: Sequence[State], pick, *, fill, dtype) -> pd.DataFrame:
    if not states:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="time"))
    tzs = {s.tz for s in states}
    parts = []
    for s in states:
        idx = s.index
        if len(tzs) > 1:  # mixed time zones: everything in UTC
            idx = idx.tz_convert("UTC") if idx.tz is not None else idx.tz_localize("UTC")
        parts.append(pd.Series(pick(s), index=idx, name=s.name))
    if len(parts) == 1:
        return parts[0].astype(dtype).to_frame()
    out = pd.concat(parts, axis=1, join="outer", sort=True)
    out.index.name = "time"
    return out.fillna(fill).astype(dtype)

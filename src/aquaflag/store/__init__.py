"""The QC store: raw values, automatic runs and the ledger of human decisions.

Open one with :func:`open_store` (a file path for SQLite, the zero-set-up
default, or a ``postgresql://`` URL for a team)::

    from aquaflag.store import open_store
    store = open_store("qc.sqlite")
    store.add_values(data)                          # raw values, never modified
    run_id = store.record_run(aquaflag.run(data, "qc.toml"))
    store.decide("pH(Mun-Ui)", "2021-07-14", action="reject",
                 reviewer="kim", reason="probe out of the water")
    store.flags(as_of="2026-01-31")                # final flags as they stood then
    store.cleaned()                                 # failed/rejected values -> NaN
    store.history("pH(Mun-Ui)")                     # runs + decisions, in order

What it holds, per series (one column of a wide frame: one variable at one station)
------------------------------------------------------------------------------------
* **Raw values** ``(time, value)``, never modified: adding a value again is a
  no-op; a *different* value at a stored time is refused
  (:class:`~aquaflag.errors.InputError` naming the series and time); new times
  may arrive in any order. NaN cells of a frame are absences and are not stored.
* **Automatic runs**: config text (TOML), aquaflag version, the clock time, and
  per series the time range judged, the QARTOD code of every value judged and
  the provenance rows (rule, method, parameters, flag, score, bounds).
* **An append-only ledger** of decisions (accept, reject, set_flag, undo; who,
  when, why; a point or a closed time range; the automatic flag it overrides,
  recorded at decision time) and of approval levels per period (raw ->
  provisional -> approved). An approved period is locked until an explicit
  ledger entry re-opens it. No row of the ledger is ever updated or deleted.

Derived on read (never stored)
------------------------------
* automatic flag of a value: the code of the latest run that judged it, else 2;
* final flag: the latest *active* decision holding the value wins — accept 1
  GOOD, reject 4 FAIL (a technician's reject says "bad value", the QARTOD
  FAIL; use ``set_flag`` with 3 for "suspect"), set_flag its code; an undo
  makes the undone decision stop applying (undoing an undo restores it);
* cleaned values: final flag 4 -> NaN (``min_flag="suspect"`` also blanks 3);
* every read takes ``as_of=``, a time of the store clock: only values, runs,
  decisions and approvals recorded up to then count.

Storage layout (and why)
------------------------
Values and run flags are stored as *chunks*: up to 1 024 consecutive values of
one series per row, as little-endian int64 times and float64 values (uint8 codes
for run flags) in binary columns, with the first and last time of each chunk
indexed. A series' chunks are disjoint; new values re-pack only the chunks
they touch (on an in-order append, the series' last, not yet full chunk), so
appending costs the same for a record of 10³ or 10⁶ values, and the last N
values are read from the last ⌈N/1024⌉+1 chunks. Decisions, approvals and
provenance are one row each: they are few, and are queried by series and time.

Measured (``benchmarks/store/layout.py``, SQLite, this machine) against one
row per value, for a 10⁶-value series: writing 0.08 s vs 4.1 s, reading all
back into NumPy 0.04 s vs 14.7 s (PostgreSQL: 0.09 s vs 15.1 s); the last 100
of 10⁴/10⁵/10⁶ values ≈ 0.3–1.4 ms either way; one new value on each of 1 000
series 0.36 s vs 0.02 s — rows append faster, but chunks stay well within
budget and make whole-series reads (final flags, exports, the review chart) two
orders of magnitude cheaper. Chunks of 1 024, 4 096 and 16 384 read equally
fast; 1 024 re-packs the least on each append. See
``benchmarks/results/store.md`` for the store's own figures.

Back-ends
---------
SQLite (default): WAL journal, ``synchronous=FULL``, 30 s busy timeout, writes
take the write lock at ``BEGIN IMMEDIATE``. PostgreSQL: reads in one
REPEATABLE READ snapshot, writes lock the rows of the series they change.
Every write is one transaction: a run killed while it is written leaves no
trace; a decision whose ``decide`` returned is committed. The schema is
created and upgraded by Alembic migrations shipped in the package; a store
written by a newer aquaflag is refused.

Needs the ``store`` extra (``pip install 'aquaflag[store]'``), ``postgresql``
for PostgreSQL and ``netcdf`` for :meth:`Store.export_netcdf`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._derive import LEVELS, levels_at, paint_decisions

if TYPE_CHECKING:  # pragma: no cover
    from ._store import Store

__all__ = ["open_store", "Store", "ACTIONS", "LEVELS", "levels_at", "paint_decisions"]


def open_store(target: Any) -> "Store":
    """Open (and create or upgrade) a QC store.

    Parameters
    ----------
    target : str or Path
        A file path (``"qc.sqlite"``; created when missing), or an SQLAlchemy
        URL: ``sqlite:///path``, ``postgresql+psycopg://user@host/db`` (also
        ``postgresql://...``, which is mapped to psycopg 3). A PostgreSQL
        database must exist; its tables are created on first use.

    Returns
    -------
    Store

    Raises
    ------
    InputError
        Bad path or URL, or a store written by a newer aquaflag.
    ImportError
        With the ``pip install 'aquaflag[store]'`` line when SQLAlchemy or
        Alembic (or psycopg for PostgreSQL) is missing.
    """
    from ._db import make_engines, resolve_url, upgrade

    url = resolve_url(target)
    write, read = make_engines(url)
    from ._store import Store

    store = Store(write, read, url)
    try:
        upgrade(write, store.url)
    except BaseException:
        store.close()
        raise
    return store


def __getattr__(name: str):
    if name in ("Store", "ACTIONS"):
        from . import _db

        _db.require("sqlalchemy", "store")
        from . import _store

        return getattr(_store, name)
    raise AttributeError(f"module 'aquaflag.store' has no attribute {name!r}")

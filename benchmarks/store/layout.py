"""Layout experiment for the QC store: one row per value vs chunked arrays in blobs.

    .venv/bin/python benchmarks/store/layout.py [sqlite|postgresql://...]

Measures, on a bare schema built here with SQLAlchemy Core (not the store itself):
bulk write of 10^6 values, reading them all back into NumPy, reading the last 100 values
of a 10^4/10^5/10^6 history, and appending one value to each of 1 000 series (one
transaction). The chunked layout rewrites the series' last, not yet full chunk on append.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa


def make_engine(target: str | None):
    if target and target.startswith("postgresql"):
        eng = sa.create_engine(target)
        with eng.begin() as c:
            for t in ("lay_rows", "lay_chunks"):
                c.execute(sa.schema.DropTable(sa.Table(t, sa.MetaData()), if_exists=True))
        return eng
    path = Path(tempfile.mkdtemp()) / "layout.sqlite"
    eng = sa.create_engine(f"sqlite:///{path}")

    @sa.event.listens_for(eng, "connect")
    def _pragmas(dbapi, _rec):
        dbapi.isolation_level = None
        cur = dbapi.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @sa.event.listens_for(eng, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return eng


meta = sa.MetaData()
rows = sa.Table("lay_rows", meta,
                sa.Column("series_id", sa.Integer, primary_key=True),
                sa.Column("t", sa.BigInteger, primary_key=True),
                sa.Column("v", sa.Float))
chunks = sa.Table("lay_chunks", meta,
                  sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                  sa.Column("series_id", sa.Integer, nullable=False),
                  sa.Column("t_first", sa.BigInteger, nullable=False),
                  sa.Column("t_last", sa.BigInteger, nullable=False),
                  sa.Column("n", sa.Integer, nullable=False),
                  sa.Column("times", sa.LargeBinary, nullable=False),
                  sa.Column("vals", sa.LargeBinary, nullable=False),
                  sa.Index("ix_lay_chunks_last", "series_id", "t_last"))


def timed(fn, *a):
    t0 = time.perf_counter()
    out = fn(*a)
    return time.perf_counter() - t0, out


# ------------------------------------------------------------------ row per value
def rows_write(eng, sid, t, v):
    with eng.begin() as c:
        c.execute(rows.insert(), [{"series_id": sid, "t": int(a), "v": float(b)} for a, b in zip(t, v)])


def rows_read(eng, sid):
    with eng.connect() as c:
        res = c.execute(sa.select(rows.c.t, rows.c.v).where(rows.c.series_id == sid).order_by(rows.c.t)).all()
    arr = np.array(res, dtype=np.float64) if res else np.empty((0, 2))
    return arr


def rows_last(eng, sid, n):
    with eng.connect() as c:
        return c.execute(sa.select(rows.c.t, rows.c.v).where(rows.c.series_id == sid)
                         .order_by(rows.c.t.desc()).limit(n)).all()


def rows_append(eng, items):
    with eng.begin() as c:
        c.execute(rows.insert(), [{"series_id": s, "t": int(t), "v": float(v)} for s, t, v in items])


# ------------------------------------------------------------------ chunked blobs
def chunk_rows(sid, t, v, size):
    return [{"series_id": sid, "t_first": int(t[i]), "t_last": int(t[min(i + size, len(t)) - 1]),
             "n": int(min(size, len(t) - i)), "times": t[i:i + size].tobytes(), "vals": v[i:i + size].tobytes()}
            for i in range(0, len(t), size)]


def chunks_write(eng, sid, t, v, size):
    with eng.begin() as c:
        c.execute(chunks.insert(), chunk_rows(sid, t, v, size))


def chunks_read(eng, sid):
    with eng.connect() as c:
        res = c.execute(sa.select(chunks.c.times, chunks.c.vals).where(chunks.c.series_id == sid)
                        .order_by(chunks.c.t_first)).all()
    t = np.concatenate([np.frombuffer(r[0], dtype=np.int64) for r in res])
    v = np.concatenate([np.frombuffer(r[1], dtype=np.float64) for r in res])
    return t, v


def chunks_last(eng, sid, n):
    out, got = [], 0
    with eng.connect() as c:
        res = c.execute(sa.select(chunks.c.times, chunks.c.vals, chunks.c.n).where(chunks.c.series_id == sid)
                        .order_by(chunks.c.t_last.desc()).limit(max(1, n // 64) + 2))
        for times, vals, k in res:
            out.append((np.frombuffer(times, np.int64), np.frombuffer(vals, np.float64)))
            got += k
            if got >= n:
                break
    t = np.concatenate([a for a, _ in reversed(out)])[-n:]
    return t


def chunks_append(eng, items, size):
    with eng.begin() as c:
        for sid, t, v in items:
            last = c.execute(sa.select(chunks.c.id, chunks.c.n, chunks.c.t_first, chunks.c.times, chunks.c.vals)
                             .where(chunks.c.series_id == sid).order_by(chunks.c.t_last.desc()).limit(1)).first()
            if last is not None and last.n < size:
                times = np.append(np.frombuffer(last.times, np.int64), np.int64(t))
                vals = np.append(np.frombuffer(last.vals, np.float64), v)
                c.execute(chunks.update().where(chunks.c.id == last.id).values(
                    t_last=int(t), n=last.n + 1, times=times.tobytes(), vals=vals.tobytes()))
            else:
                c.execute(chunks.insert().values(series_id=sid, t_first=int(t), t_last=int(t), n=1,
                                                 times=np.int64(t).tobytes(), vals=np.float64(v).tobytes()))


def main(target=None):
    eng = make_engine(target)
    meta.create_all(eng)
    rng = np.random.default_rng(0)
    t0 = np.datetime64("2016-01-01", "ns").astype(np.int64)
    step = 15 * 60 * 10**9
    n = 10**6
    t = t0 + step * np.arange(n, dtype=np.int64)
    v = rng.normal(20, 2, n)
    print(f"back-end: {eng.dialect.name}")
    print("| layout | write 10^6 | read 10^6 | last 100 of 10^4 / 10^5 / 10^6 | append 1 value x 1000 series |")
    print("|---|---|---|---|---|")
    # histories of 10^4 and 10^5 for last-N reads, 1000 series of 1000 values for appends
    for layout in ("rows", 1024, 4096, 16384):
        with eng.begin() as c:
            c.execute(rows.delete())
            c.execute(chunks.delete())
        if layout == "rows":
            w, _ = timed(rows_write, eng, 1, t, v)
            r, _ = timed(rows_read, eng, 1)
            for sid, k in ((2, 10**4), (3, 10**5)):
                rows_write(eng, sid, t[:k], v[:k])
            lasts = [timed(rows_last, eng, sid, 100)[0] for sid in (2, 3, 1)]
            many = [(100 + i, t[:1000], v[:1000]) for i in range(1000)]
            with eng.begin() as c:
                c.execute(rows.insert(), [{"series_id": s, "t": int(a), "v": float(b)}
                                          for s, tt, vv in many for a, b in zip(tt, vv)])
            a, _ = timed(rows_append, eng, [(100 + i, t[1000], 1.0) for i in range(1000)])
        else:
            w, _ = timed(chunks_write, eng, 1, t, v, layout)
            r, _ = timed(chunks_read, eng, 1)
            for sid, k in ((2, 10**4), (3, 10**5)):
                chunks_write(eng, sid, t[:k], v[:k], layout)
            lasts = [timed(chunks_last, eng, sid, 100)[0] for sid in (2, 3, 1)]
            with eng.begin() as c:
                c.execute(chunks.insert(), [r_ for i in range(1000)
                                            for r_ in chunk_rows(100 + i, t[:1000], v[:1000], layout)])
            a, _ = timed(chunks_append, eng, [(100 + i, t[1000], 1.0) for i in range(1000)], layout)
        name = "row per value" if layout == "rows" else f"chunks of {layout}"
        print(f"| {name} | {w:.2f} s | {r:.3f} s | " + " / ".join(f"{x*1e3:.1f}" for x in lasts)
              + f" ms | {a:.3f} s |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)

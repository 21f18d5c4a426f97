"""Store.windows reads the context of many series in a few queries and gives what the plain reads give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from .helpers import frame


def _plain(store, name, lo, hi, before, after):
    with store._r.connect() as conn:
        sid = store._series_row(conn, name)["id"]
        parts = []
        if before and lo is not None:
            parts.append(store._read_values(conn, sid, None, lo - 1, None, last=before))
        parts.append(store._read_values(conn, sid, lo, hi, None))
        if after and hi is not None:
            parts.append(store._read_values(conn, sid, hi + 1, None, None, first=after))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def test_windows_equal_the_plain_reads_at_chunk_edges_and_ends(store):
    cols = [f"x{i}(S{i})" for i in range(6)]
    data = frame(5000, freq="15min", columns=cols)
    data.iloc[1000:1100, 2] = np.nan  # a gap in one series
    store.add_values(data.iloc[:4500])
    t = data.index.as_unit("ns").asi8
    cases = []
    for lo_i, hi_i, before, after in [(0, 10, 5, 5), (1023, 1030, 3, 3), (1024, 1024, 2000, 2),
                                      (4490, 4499, 4, 4), (4499, 4499, 0, 10), (1050, 1060, 7, 7),
                                      (2047, 3072, 1, 1), (3000, 4000, 1500, 600)]:
        cases.append((int(t[lo_i]), int(t[hi_i]), before, after))
    cases.append((None, int(t[10]), 0, 3))
    cases.append((int(t[4400]), None, 5, 0))
    cases.append((int(t[-1]) + 1, int(t[-1]) + 10, 4, 4))  # after the record (the next batch's request)
    cases.append((int(t[0]) - 10**12, int(t[0]) - 1, 4, 4))  # before it
    for lo, hi, before, after in cases:
        requests = {c: (lo, hi, before, after) for c in cols} | {"new(S9)": (lo, hi, before, after)}
        got = store.windows(requests)
        assert got["new(S9)"][0].size == 0
        for c in cols:
            want = _plain(store, c, lo, hi, before, after)
            np.testing.assert_array_equal(got[c][0], want[0], err_msg=f"{c} {lo} {hi} {before} {after}")
            np.testing.assert_array_equal(got[c][1], want[1])


def test_windows_take_a_few_queries_for_many_series(store):
    cols = [f"x{i}(S{i})" for i in range(80)]
    data = frame(3000, freq="15min", columns=cols)
    store.add_values(data)
    t = data.index.as_unit("ns").asi8
    import sqlalchemy as sa

    seen = []
    listener = lambda *a: seen.append(a[2])  # noqa: E731
    sa.event.listen(store._r, "before_cursor_execute", listener)
    try:
        got = store.windows({c: (t[2900] - (k % 3) * 3_600 * 10**9, t[-1], 4, 4) for k, c in enumerate(cols)})
    finally:
        sa.event.remove(store._r, "before_cursor_execute", listener)
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) <= 5
    assert all(got[c][0][-1] == t[-1] for c in cols)
    pd.testing.assert_index_equal(pd.Index(got[cols[0]][1]), pd.Index(data[cols[0]].to_numpy()[2896:]))

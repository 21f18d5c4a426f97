"""Runs written in bulk: a few statements per table whatever the number of series, same guarantees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import aquaflag
from aquaflag.errors import InputError
from aquaflag.store import _chunks
from aquaflag.store._live import Fit

from .helpers import frame


def _result(data: pd.DataFrame):
    return aquaflag.evaluate(data, [aquaflag.Rule("gross_range", {"lower": 0.0, "upper": 100.0})])


class Statements:
    def __init__(self, store):
        self.engine, self.seen = store._w, []

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._on)

    def _on(self, conn, cursor, statement, params, context, executemany):
        self.seen.append(statement.split()[0].upper())


def test_a_run_of_many_series_takes_a_few_statements(store):
    cols = [f"x{i}(S{i})" for i in range(60)]
    data = frame(3000, freq="15min", columns=cols)
    store.add_values(data.iloc[:2990])
    with Statements(store) as st:
        store.record_run(_result(data.iloc[2980:]))  # 10 values stored (revised), 10 new per series
    assert len(st.seen) < 20, st.seen  # not one (or five) per series
    pd.testing.assert_frame_equal(store.values(cols[7]).to_frame().astype(float), data[[cols[7]]],
                                  check_freq=False, check_names=False, check_index_type=False)


def test_values_stored_already_are_not_written_again(store):
    data = frame(200, freq="h")
    store.add_values(data.iloc[:150])
    added_before = _added(store, "pH(A)")
    store.record_run(_result(data.iloc[100:]))  # 100..149 stored, identical; 150.. new
    added_after = _added(store, "pH(A)")
    np.testing.assert_array_equal(added_after[:150], added_before)  # not re-added: the same clock
    assert (added_after[150:] > added_before.max()).all()
    assert len(store.values("pH(A)")) == 200


def test_a_revised_value_that_differs_is_refused_and_nothing_is_recorded(store):
    data = frame(2100, freq="15min")
    store.add_values(data.iloc[:2050])  # two full chunks and a part
    runs = len(store.runs())
    for lo in (2040, 1000):  # inside the last chunk; reaching back into older chunks
        changed = data.iloc[lo:2060].copy()
        changed.iloc[3, 0] += 1.0
        with pytest.raises(InputError, match="immutable"):
            store.record_run(_result(changed))
        assert len(store.runs()) == runs and len(store.values("pH(A)")) == 2050


def test_a_late_value_inside_the_record_takes_the_general_path(store):
    data = frame(3000, freq="15min")
    store.add_values(data.drop(data.index[500]).iloc[:2900])
    store.record_run(_result(data.iloc[400:2950]))  # brings the missing 500th value and 50 new ones
    got = store.values("pH(A)")
    assert len(got) == 2950 and got.index[500] == data.index[500]
    t = got.index.as_unit("ns").asi8
    assert (np.diff(t) > 0).all()
    with store._r.connect() as conn:  # the chunks stay disjoint and sorted
        c = aquaflag.store._schema.value_chunk.c
        rows = conn.execute(sa.select(c.t_first, c.t_last, c.n).order_by(c.series_id, c.t_first)).all()
    assert all(r.n <= _chunks.CHUNK for r in rows)


def test_fits_are_recorded_with_their_run_and_are_append_only(store):
    data = frame(20, freq="h")
    store.set_live_config("[[rule]]\nmethod = 'zscore'\n", reason="test")
    live, _, _ = store.live_state()
    fit = Fit("pH(A)", "zscore", "zscore", {"mean": 7.0, "std": 0.3, "threshold": 3.0}, 20,
              int(data.index[0].value), int(data.index[-1].value))
    run_id = store.record_run(_result(data), fits=[fit], live_config=live)
    table = store.live_fits()
    assert table[["series", "rule", "method", "n_values", "run", "live_config"]].values.tolist() == [
        ["pH(A)", "zscore", "zscore", 20, run_id, live]]
    assert table["parameters"][0] == {"mean": 7.0, "std": 0.3, "threshold": 3.0}
    assert table["first"][0] == data.index[0] and table["last"][0] == data.index[-1]
    assert store.fitted(live, ["pH(A)", "DO(A)"]) == {"pH(A)": {"zscore": '{"mean": 7.0, "std": 0.3, "threshold": 3.0}'}}
    with pytest.raises(sa.exc.DatabaseError, match="append-only"):
        with store._w.begin() as conn:
            conn.execute(sa.text("UPDATE live_fit SET n_values = 1"))
    store.set_live_config("[[rule]]\nmethod = 'iqr'\n", reason="rejudge")  # a new configuration: no fits yet
    assert store.live_fits().empty and len(store.live_fits(config=live)) == 1


def _added(store, name: str) -> np.ndarray:
    with store._r.connect() as conn:
        sid = store._series_row(conn, name)["id"]
        c = aquaflag.store._schema.value_chunk.c
        rows = conn.execute(sa.select(c.added).where(c.series_id == sid).order_by(c.t_first)).all()
    return np.concatenate([_chunks.unpack_added(r.added) for r in rows])

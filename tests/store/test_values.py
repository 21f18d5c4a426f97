"""Raw values: immutable, append in any order, metadata, reads by range / last N / as of."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from aquaflag.errors import InputError, ParameterError
from aquaflag.store import _chunks, open_store
from aquaflag.store._schema import value_chunk
from aquaflag.variables import ATTRS_KEY, SeriesInfo, variable_named

from .helpers import frame


def test_values_round_trip_and_adding_again_is_a_no_op(store):
    data = frame(40)
    before = data.copy()
    assert store.add_values(data) == {"pH(A)": 40, "DO(A)": 40}
    pd.testing.assert_frame_equal(data, before)  # the caller's frame is untouched
    assert store.add_values(data) == {"pH(A)": 0, "DO(A)": 0}
    got = store.values("pH(A)")
    np.testing.assert_array_equal(got.to_numpy(), data["pH(A)"].to_numpy())
    assert (got.index == data.index).all() and got.name == "pH(A)"


def test_a_different_value_at_a_stored_time_is_refused_and_nothing_is_written(store):
    data = frame(10)
    store.add_values(data)
    changed = frame(12)  # the same first 10 times (same seed) plus 2 new times ...
    changed.iloc[3, 0] += 1.0  # ... and one changed value
    with pytest.raises(InputError) as err:
        store.add_values(changed)
    msg = str(err.value)
    assert "pH(A)" in msg and "2021-01-04" in msg and "immutable" in msg and "decision" in msg
    assert len(store.values("pH(A)")) == 10 and len(store.values("DO(A)")) == 10  # all or nothing


@pytest.mark.parametrize("seed", [1, 2])
def test_out_of_order_appends_give_the_sorted_union_and_disjoint_chunks(store, monkeypatch, seed):
    monkeypatch.setattr(_chunks, "CHUNK", 4)  # many chunk boundaries with few values
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2020-01-01", periods=60, freq="h")
    full = pd.Series(rng.normal(size=60), index=idx, name="x")
    order = rng.permutation(60)
    for part in np.array_split(order, 9):  # batches of scattered times, in random order
        store.add_values(full.iloc[np.sort(part)].to_frame())
    got = store.values("x")
    pd.testing.assert_series_equal(got, full.rename_axis("time"), check_freq=False, check_index_type=False)
    with store._r.connect() as conn:
        rows = conn.execute(sa.select(value_chunk.c.t_first, value_chunk.c.t_last, value_chunk.c.n)
                            .order_by(value_chunk.c.t_first)).all()
    assert all(r.n <= 4 for r in rows) and sum(r.n for r in rows) == 60
    assert all(a.t_last < b.t_first for a, b in zip(rows, rows[1:]))


def test_nan_cells_are_absences_and_can_be_filled_later(store):
    data = frame(6)
    data.iloc[2, 0] = np.nan
    assert store.add_values(data)["pH(A)"] == 5
    fill = data.iloc[[2]][["pH(A)"]].fillna(7.5)
    assert store.add_values(fill) == {"pH(A)": 1}
    assert store.values("pH(A)").iloc[2] == 7.5


def test_range_last_and_as_of_reads(store):
    data = frame(3000, freq="15min")
    store.add_values(data.iloc[:2000])
    mid = pd.Timestamp.now(tz="UTC")
    store.add_values(data.iloc[2000:])
    s = data["DO(A)"]
    pd.testing.assert_series_equal(store.values("DO(A)", last=5), s.iloc[-5:].rename_axis("time"),
                                   check_freq=False, check_index_type=False)
    assert len(store.values("DO(A)", last=0)) == 0
    pd.testing.assert_series_equal(store.values("DO(A)", s.index[10], s.index[20]),
                                   s.iloc[10:21].rename_axis("time"), check_freq=False, check_index_type=False)
    assert len(store.values("DO(A)", as_of=mid)) == 2000
    assert len(store.values("DO(A)", last=10, as_of=mid)) == 10
    assert store.values("DO(A)", last=10, as_of=mid).index[-1] == s.index[1999]


def test_series_metadata_from_attrs_and_names(store):
    data = frame(5, columns=("Tp", "pH(Hoe-Nam)", "DO (mg/L)"))
    info = SeriesInfo(column="Tp", name="Tp", variable=variable_named("temperature"), station="Chu-Dong",
                      unit="°C", source="file")
    data.attrs[ATTRS_KEY] = {"Tp": info}
    store.add_values(data)
    table = store.series().set_index("name")
    assert table.loc["Tp", ["variable", "station", "unit"]].tolist() == ["temperature", "Chu-Dong", "°C"]
    assert table.loc["pH(Hoe-Nam)", ["variable", "station"]].tolist() == ["ph", "Hoe-Nam"]
    assert table.loc["DO (mg/L)", ["variable", "unit"]].tolist() == ["do", "mg/L"]
    assert table.loc["Tp", "n_values"] == 5 and table.loc["Tp", "first"] == data.index[0]


def test_time_zones_are_kept_and_not_mixed(store):
    data = frame(5).tz_localize("Asia/Seoul")
    store.add_values(data)
    got = store.values("pH(A)")
    assert str(got.index.tz) == "Asia/Seoul" and (got.index == data.index).all()
    assert store.values("pH(A)", "2021-01-02", "2021-01-03").size == 2  # naive = the series' zone
    with pytest.raises(InputError, match="time zone"):
        store.add_values(frame(5).iloc[:1])


@pytest.mark.parametrize("bad, match", [
    (pd.DataFrame({"x": [1.0, 2.0]}), "DatetimeIndex"),
    (pd.DataFrame({"x": [1.0, 2.0]}, index=pd.DatetimeIndex(["2020-01-01"] * 2)), "more than once"),
    (pd.DataFrame({"x": ["a", "b"]}, index=pd.date_range("2020", periods=2)), "not numeric"),
    ([1.0, 2.0], "DataFrame"),
])
def test_bad_frames_are_refused_clearly(store, bad, match):
    with pytest.raises(InputError, match=match):
        store.add_values(bad)


def test_unknown_series_and_bad_arguments(store):
    store.add_values(frame(5))
    with pytest.raises(InputError, match="did you mean 'pH\\(A\\)'"):
        store.values("ph(A)")
    with pytest.raises(ParameterError, match="last"):
        store.values("pH(A)", last=-1)
    with pytest.raises(ParameterError, match="before start"):
        store.values("pH(A)", "2021-01-05", "2021-01-01")


def test_open_store_accepts_paths_and_urls(tmp_path, target):
    if target.startswith("postgresql"):  # the plain postgresql:// form goes to psycopg 3
        with open_store(target.replace("postgresql+psycopg://", "postgresql://", 1)) as s:
            assert s.url.startswith("postgresql+psycopg://") and s.backend == "postgresql"
            s.add_values(frame(3))
        with open_store(target) as s:
            assert len(s.values("pH(A)")) == 3
    path = tmp_path / "sub.sqlite"
    with open_store(path) as s:  # a Path, created when missing
        s.add_values(frame(3))
    with open_store(f"sqlite:///{path}") as s:
        assert len(s.values("pH(A)")) == 3
    with pytest.raises(InputError, match="does not exist"):
        open_store(tmp_path / "missing" / "qc.sqlite")
    with pytest.raises(InputError, match="folder"):
        open_store(tmp_path)

"""``aquaflag export``: the reviewed data of a real SQLite store, through main(argv)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sqlalchemy")

from aquaflag.cli import main  # noqa: E402
from aquaflag.config import parse  # noqa: E402
from aquaflag.store import open_store  # noqa: E402
from aquaflag.stored_run import run_in_store  # noqa: E402

CONFIG = '[[rule]]\nname = "robust z"\nmethod = "modified_zscore"\n'


@pytest.fixture
def store(tmp_path):
    idx = pd.date_range("2020-01-06", periods=60, freq="7D", name="time")
    ph = np.round(7.4 + np.random.default_rng(4).normal(0, 0.1, 60), 2)
    ph[30], ph[40] = 9.5, 5.1
    data = pd.DataFrame({"pH(A)": ph}, index=idx)
    path = tmp_path / "qc.sqlite"
    qc = open_store(path)
    run_in_store(qc, data, parse(CONFIG))
    qc.decide("pH(A)", idx[30], action="accept", reviewer="kim", reason="storm peak, verified")
    qc.decide("pH(A)", idx[40], action="reject", reviewer="lee", reason="probe out of water")
    return path, data


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_values_with_final_flags_and_who_decided(store, tmp_path, capsys):
    path, data = store
    code, out, err = run(["export", path, tmp_path / "final.csv"], capsys)
    assert code == 0, err
    assert f"wrote 1 series to {tmp_path / 'final.csv'} (CSV)" in out
    table = pd.read_csv(tmp_path / "final.csv")
    assert list(table.columns) == ["series", "time", "value", "flag", "flag_meaning", "qualifier",
                                   "reviewer", "approval"]
    assert len(table) == len(data) and table["value"].tolist() == data["pH(A)"].tolist()
    assert table["flag"].iloc[30] == 1 and table["reviewer"].iloc[30] == "kim"
    assert table["flag"].iloc[40] == 4 and table["reviewer"].iloc[40] == "lee"


def test_labels_and_as_of(store, tmp_path, capsys):
    path, _ = store
    code, out, err = run(["export", path, tmp_path / "labels.csv", "--labels"], capsys)
    assert code == 0, err
    labels = pd.read_csv(tmp_path / "labels.csv")
    assert sorted(labels["label"].tolist()) == [False, True] and set(labels["reviewer"]) == {"kim", "lee"}
    code, out, err = run(["export", path, tmp_path / "before.csv", "--labels", "--as-of", "2000-01-01"], capsys)
    assert code == 0, err
    assert "as of 2000-01-01" in out
    assert len(pd.read_csv(tmp_path / "before.csv")) == 0  # no decision existed then


def test_netcdf(store, tmp_path, capsys):
    pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    path, data = store
    code, out, err = run(["export", path, tmp_path / "final.nc"], capsys)
    assert code == 0, err
    import xarray as xr

    with xr.open_dataset(tmp_path / "final.nc", engine="h5netcdf") as ds:
        flags = [v for v in ds.data_vars if ds[v].attrs.get("standard_name") == "aggregate_quality_flag"]
        assert len(flags) == 1 and int(ds[flags[0]].values[40]) == 4


@pytest.mark.parametrize("args, message", [
    (["missing.sqlite", "out.csv"], "no store 'missing.sqlite'"),
    (["{store}", "out.xlsx"], "write a .csv or a .nc (netCDF) file"),
    (["{store}", "out.nc", "--labels"], "labels are written as CSV"),
    (["{store}", "{store}"], "is the store itself"),
    (["{store}", "out.csv", "--as-of", "yesterday-ish"], "yesterday-ish"),
])
def test_bad_requests_get_one_line(store, tmp_path, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    path, _ = store
    code, out, err = run(["export"] + [a.format(store=path) for a in args], capsys)
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()

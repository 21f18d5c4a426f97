"""Exports: labels for evaluate/tune, the per-value CSV, CF netCDF."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag.engine import Rule

from .helpers import frame

S = "pH(A)"


@pytest.fixture
def reviewed(store):
    data = frame(60)
    data.iloc[[5, 30], 0] = [15.0, 9.5]
    rules = [Rule("gross_range", severity="fail"), Rule("modified_zscore", {"threshold": 3.0})]
    res = aquaflag.evaluate(data, rules)
    store.record_run(res)
    t = data.index
    ids = {
        "reject": store.decide(S, t[30], action="reject", reviewer="kim", reason="pump failure"),
        "accept": store.decide(S, t[2], t[4], action="accept", reviewer="lee", reason="calibrated"),
        "suspect": store.decide("DO(A)", t[10], action="set_flag", flag=3, reviewer="kim", reason="odd"),
        "neutral": store.decide("DO(A)", t[11], action="set_flag", flag=2, reviewer="kim", reason="unsure"),
        "undone": store.decide("DO(A)", t[20], action="reject", reviewer="kim", reason="typo"),
    }
    store.undo(ids["undone"], reviewer="kim", reason="wrong point")
    store.set_approval(S, t[0], t[9], "approved", reviewer="park", reason="checked")
    return store, data, res, ids


def test_labels_come_from_the_decisions_that_apply(reviewed, tmp_path):
    store, data, res, ids = reviewed
    t = data.index
    labels = store.export_labels(None)
    assert list(labels.columns) == ["column", "time", "label", "reviewer", "decided_at"]
    got = {(c, tt): lab for c, tt, lab in zip(labels["column"], labels["time"], labels["label"])}
    expected = {(S, t[30]): True, (S, t[2]): False, (S, t[3]): False, (S, t[4]): False,
                ("DO(A)", t[10]): True}
    assert got == expected
    path = store.export_labels(tmp_path / "labels.csv")
    back = pd.read_csv(path, parse_dates=["time"])
    assert len(back) == 5 and set(back["reviewer"]) == {"kim", "lee"}


def test_csv_has_final_flag_qualifier_reviewer_and_approval_per_value(reviewed, tmp_path):
    store, data, res, ids = reviewed
    t = data.index
    path = store.export_csv(tmp_path / "values.csv")
    table = pd.read_csv(path, parse_dates=["time"], keep_default_na=False)
    assert list(table.columns) == ["series", "time", "value", "flag", "flag_meaning", "qualifier", "reviewer",
                                   "approval"]
    assert len(table) == 120
    mine = table[table["series"] == S].set_index("time")
    flags = store.flags()[S]
    assert (mine["flag"].to_numpy() == flags.to_numpy()).all()
    np.testing.assert_allclose(mine["value"].to_numpy(), data[S].to_numpy())
    row = mine.loc[t[30]]
    assert row["flag"] == 4 and row["reviewer"] == "kim" and "rejected by kim" in row["qualifier"] \
        and "pump failure" in row["qualifier"]
    assert mine.loc[t[5], "flag"] == 4 and "automatic fail: gross_range" in mine.loc[t[5], "qualifier"]
    assert mine.loc[t[5], "approval"] == "approved" and mine.loc[t[20], "approval"] == "raw"
    assert mine.loc[t[40], "qualifier"] == "" and mine.loc[t[40], "flag_meaning"] == "good"


def test_netcdf_follows_cf_flag_conventions(reviewed, tmp_path):
    xr = pytest.importorskip("xarray", reason="pip install 'aquaflag[netcdf]'")
    store, data, res, ids = reviewed
    path = tmp_path / "qc.nc"
    store.export_netcdf(path)
    with xr.open_dataset(path, engine="h5netcdf") as ds:
        ph = ds["pH_A"]
        assert ph.attrs["long_name"] == S
        np.testing.assert_allclose(ph.values, data[S].to_numpy())
        anc = ph.attrs["ancillary_variables"].split()
        assert anc[0] == "pH_A_qc_agg" and "pH_A_qc_gross_range" in anc and "pH_A_qc_review" in anc
        for name in anc:
            var = ds[name]
            assert var.attrs["flag_meanings"] == "pass not_evaluated suspect fail missing"
            assert list(var.attrs["flag_values"]) == [1, 2, 3, 4, 9]
            assert var.dtype == np.int8
        assert ds["pH_A_qc_agg"].attrs["standard_name"] == "aggregate_quality_flag"
        assert ds["pH_A_qc_gross_range"].attrs["standard_name"] == "gross_range_test_quality_flag"
        assert ds["pH_A_qc_modified_zscore"].attrs["standard_name"] == "quality_flag"
        assert (ds["pH_A_qc_agg"].values == store.flags()[S].to_numpy()).all()
        gross = ds["pH_A_qc_gross_range"].values
        assert gross[5] == 4 and (np.delete(gross, 5) == 1).all()
        review = ds["pH_A_qc_review"].values
        assert review[30] == 4 and (review[2:5] == 1).all() and review[40] == 2
        assert ds["DO_A_qc_review"].values[20] == 2  # the undone decision does not show
        assert ds.attrs["Conventions"].startswith("CF-")

"""Reading Logan River Observatory files (real data, read from ../shared/data/lro at test time)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aquaflag.errors import InputError
from aquaflag.datasets.lro import VARIABLES, read_lro

LRO = Path(__file__).resolve().parents[3] / "shared" / "data" / "lro"
FILES = ("MainStreet2019.csv", "Mendon2019.csv", "TonyGrove2019.csv",
         "FranklinBasin2014.csv", "TonyGrove2014.csv", "BlackSmithFork2015.csv")


def lro_file(name: str) -> Path:
    path = LRO / name
    if not path.exists():
        pytest.skip(f"LRO data not available at {path} (expected ../shared/data/lro beside the repo)")
    return path


def oracle(path: Path):
    """Values and labels computed with the csv module, independently of pandas' parsers."""
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    values, labels = {}, {}
    for var in VARIABLES:
        if var not in rows[0]:
            continue
        vals = []
        for r in rows:
            text = r[var].strip()
            v = math.nan if text in ("NULL", "") else float(text)
            vals.append(math.nan if v == -9999 else v)
        values[var] = np.array(vals)
        labels[var] = np.array([r[f"{var}_qual"].strip() not in ("NULL", "") for r in rows])
    times = [r["datetime"] for r in rows]
    return times, values, labels


@pytest.mark.parametrize("name", FILES)
def test_read_lro_matches_an_independent_read(name):
    path = lro_file(name)
    values, labels = read_lro(path)
    times, exp_values, exp_labels = oracle(path)

    assert isinstance(values.index, pd.DatetimeIndex) and values.index.name == "datetime"
    assert values.index.equals(labels.index)
    assert len(values) == len(times)
    assert values.index[0] == pd.Timestamp(times[0]) and values.index[-1] == pd.Timestamp(times[-1])
    assert values.index.is_monotonic_increasing

    assert list(values.columns) == [v for v in VARIABLES if v in exp_values]
    assert list(labels.columns) == list(values.columns)
    for var in values.columns:
        assert values[var].dtype == np.float64
        np.testing.assert_array_equal(values[var].to_numpy(), exp_values[var])
        assert labels[var].dtype == bool
        np.testing.assert_array_equal(labels[var].to_numpy(), exp_labels[var])
    assert not (values == -9999).any().any()


def test_known_counts_mendon_2019():
    values, labels = read_lro(lro_file("Mendon2019.csv"))
    assert len(values) == 25883
    # the temperature logger wrote -9999 over a long outage; technicians labelled it
    assert int(values["temp"].isna().sum()) == 3644
    assert int(labels["temp"].sum()) == 3798
    assert int((labels["temp"] & values["temp"].isna()).sum()) == 3642
    assert int(labels["cond"].sum()) == 4453


def test_first_row_of_main_street_2019():
    values, labels = read_lro(lro_file("MainStreet2019.csv"))
    first = values.iloc[0]
    assert values.index[0] == pd.Timestamp("2019-01-01 00:00")
    assert (first["temp"], first["cond"], first["ph"], first["do"]) == (0.76, 372.4, 8.48, 14.08)
    assert labels.iloc[0].to_dict() == {"temp": False, "cond": False, "ph": False, "do": True,
                                        "turb": False, "stage": False}


def test_corrected_values_and_variable_selection():
    path = lro_file("TonyGrove2019.csv")
    cor, labels = read_lro(path, corrected=True, variables=["cond", "do"])
    assert list(cor.columns) == ["cond", "do"] and list(labels.columns) == ["cond", "do"]
    assert math.isnan(cor["cond"].iloc[0])          # cond_cor is -9999 on the first row
    assert cor["do"].iloc[0] == 11.51
    raw, _ = read_lro(path, variables=["cond"])
    assert raw["cond"].iloc[0] == 376.5


def test_parsing_rules_on_a_small_text():
    text = (
        "datetime,temp,temp_cor,temp_qual,do,do_cor,do_qual,stage,stage_cor\n"
        "2014-06-20 13:00:00.000,7.48,7.48,NULL,9.8,9.8,NULL,-9999,NULL\n"
        "2014-06-20 13:15:00.000,NULL,NULL,7,9.9,9.8,10,5.8,5.8\n"
        "2014-06-20 13:30:00.000,-9999.0,NULL,1,-9999,NULL,NULL,5.9,5.9\n"
    )
    values, labels = read_lro(io.StringIO(text))
    assert list(values.columns) == ["temp", "do", "stage"]
    assert list(labels.columns) == ["temp", "do"]           # stage has no qualifier column
    assert values["temp"].isna().tolist() == [False, True, True]
    assert values["do"].isna().tolist() == [False, False, True]
    assert values["stage"].isna().tolist() == [True, False, False]
    assert labels["temp"].tolist() == [False, True, True]
    assert labels["do"].tolist() == [False, True, False]
    assert values.index[1] == pd.Timestamp("2014-06-20 13:15")


def test_errors():
    with pytest.raises(InputError, match="not found"):
        read_lro(LRO / "NoSuchSite2019.csv")
    with pytest.raises(InputError, match="unknown LRO variable 'salinity'"):
        read_lro(io.StringIO("datetime,temp,temp_qual\n2019-01-01,1,NULL\n"), variables=["salinity"])
    with pytest.raises(InputError, match="no 'datetime' column"):
        read_lro(io.StringIO("date,temp,temp_qual\n2019-01-01,1,NULL\n"))
    with pytest.raises(InputError, match="none of the variables"):
        read_lro(io.StringIO("datetime,salinity\n2019-01-01,1\n"))
    with pytest.raises(InputError, match="holds text 'bad'"):
        read_lro(io.StringIO("datetime,temp,temp_qual\n2019-01-01,1,NULL\n2019-01-02,bad,NULL\n"))
    with pytest.raises(InputError, match="cannot parse"):
        read_lro(io.StringIO("datetime,temp,temp_qual\nyesterday,1,NULL\n"))

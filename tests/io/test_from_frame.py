"""from_frame: the reader's steps on an in-memory frame (what the engine calls instead of its own date path)."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aquaflag.errors import InputError, ParameterError
from aquaflag.io import ReadReport, from_frame, read, read_report
from aquaflag.variables import ATTRS_KEY as SERIES_KEY

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "daecheong" / "Data.csv"


def needs(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared test data not found: {path}")
    return path


def clean_frame(index: pd.Index | None = None) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=5, freq="D", name="time") if index is None else index
    return pd.DataFrame({"pH(A)": np.linspace(7, 8, 5), "DO(A)": np.linspace(9, 10, 5)}, index=index)


@pytest.mark.parametrize("index", [None, pd.RangeIndex(5)])
def test_clean_frame_passes_through_without_copying(index):
    frame = clean_frame(index)
    frame.attrs["mine"] = 1
    out, report = from_frame(frame)
    for col in frame.columns:
        assert np.shares_memory(out[col].to_numpy(), frame[col].to_numpy())
    assert out is not frame and out.index.equals(frame.index)
    assert out.attrs["aquaflag_read"] is report and report.format == "frame"
    assert out.attrs["mine"] == 1 and frame.attrs == {"mine": 1}  # the caller's attrs untouched
    assert set(out.attrs[SERIES_KEY]) == {"pH(A)", "DO(A)"}
    assert out.attrs[SERIES_KEY]["pH(A)"].station == "A"
    assert report.messages() == ([] if index is None else [
        "no date column or DatetimeIndex found; rows keep their index (pass date_column=...)"])


def test_report_of_a_read_frame_is_kept(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("date,x\n2024-01-01,ND\n2024-01-02,1\n")
    frame = read(path)
    out, report = from_frame(frame)
    assert report is read_report(frame)
    assert np.shares_memory(out["x"].to_numpy(), frame["x"].to_numpy())
    # a frame changed after reading goes the general way; the file's report stays reachable
    changed = frame.assign(y=["<0.5", "2"])
    out, report = from_frame(changed, censored="limit")
    assert report.earlier == read_report(frame) and report.censored == {"y": 1}
    assert report.messages()[0] == "x: 1 missing-value marker (e.g. 'ND') read as missing"


def test_plain_read_csv_equals_read():
    path = needs(DATA)
    expected = read(path)
    for raw in (pd.read_csv(path, encoding="utf-8-sig"),
                pd.read_csv(path, encoding="utf-8-sig", index_col=0),
                pd.read_csv(path, encoding="utf-8-sig", index_col="Date", parse_dates=True)):
        out, report = from_frame(raw)
        pd.testing.assert_frame_equal(out, expected)
        assert report.date_column == "Date" and report.format == "frame"


def test_messy_frame_is_cleaned_like_a_file_and_never_modified():
    raw = pd.DataFrame({
        "측정일자": ["2024-01-03", "2024-01-01", "nope", "2024-01-02"],
        "pH": ["7.1", "<7.0", "7.3", "ND"],
        " pH ": [1.0, np.inf, 3.0, -9999.0],
        "do_qual": [1, 0, 0, 1],
        "memo": ["a", "b", "c", "d"],
    })
    before = copy.deepcopy(raw)
    before_attrs = dict(raw.attrs)
    out, report = from_frame(raw, censored="half")
    pd.testing.assert_frame_equal(raw, before)
    assert raw.attrs == before_attrs
    assert list(out.columns) == ["pH", "pH (2)"]
    assert list(out.index) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    np.testing.assert_array_equal(out.to_numpy(), [[3.5, np.nan], [np.nan, np.nan], [7.1, 1.0]])
    assert report.bad_dates == 1 and report.bad_date_rows == [2]  # positions from 0
    assert report.was_sorted
    assert set(report.skipped) == {"do_qual", "memo"}
    assert report.renamed == {"pH (2)": "pH"}
    assert report.counts("pH (2)") == {"missing_tokens": 0, "missing_codes": 1, "censored": 0, "unparsed": 1}


def test_datetime_column_and_date_named_column_become_the_index():
    times = pd.date_range("2024-01-01", periods=3, freq="h")
    out, report = from_frame(pd.DataFrame({"when": times, "x": [1.0, 2.0, 3.0]}))
    assert report.date_column == "when" and out.index.equals(pd.DatetimeIndex(times, name="when"))
    out, report = from_frame(pd.DataFrame({"Date": ["2024-01-01", "2024-01-02"], "x": [1, 2]}))
    assert report.date_column == "Date" and out["x"].dtype == np.float64


def test_index_that_is_not_dates_is_kept():
    frame = pd.DataFrame({"x": ["1", "2", "3"]}, index=[10, 20, 30])
    out, report = from_frame(frame)
    assert list(out.index) == [10, 20, 30] and out["x"].tolist() == [1.0, 2.0, 3.0]
    assert report.date_column is None


def test_unsorted_duplicated_and_nat_datetime_index():
    index = pd.DatetimeIndex(["2024-01-02", "2024-01-01", None, "2024-01-02"], name="t")
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 5.0]}, index=index)
    out, report = from_frame(frame)
    assert out["x"].tolist() == [2.0, 3.0]
    assert (report.bad_dates, report.duplicates, report.was_sorted) == (1, 2, True)
    with pytest.raises(InputError, match=r"<frame>: duplicate timestamp 2024-01-02 in 't' \(rows 0, 3\)"):
        from_frame(frame, duplicates="error")


def test_duplicates_near_the_float_limit_average_without_overflow():
    big = np.finfo(np.float64).max
    index = pd.DatetimeIndex(["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-02"], name="t")
    frame = pd.DataFrame({"x": [big, big, big / 2, 1.0], "y": [1.0, 2.0, np.nan, 4.0]}, index=index)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        out, _ = from_frame(frame)
    expected = big / 3 + big / 3 + big / 6  # the mean of the three, computed without overflow
    assert np.isfinite(out["x"].iloc[0]) and out["x"].iloc[0] == pytest.approx(expected, rel=1e-15)
    assert out["y"].tolist() == [1.5, 4.0] and out["x"].iloc[1] == 1.0


def test_series_and_station_frames():
    out, _ = from_frame(pd.Series([1.0, 2.0], name="pH"))
    assert list(out.columns) == ["pH"]
    tidy = pd.DataFrame({"date": ["2024-01-01", "2024-01-01"], "site": ["A", "B"], "x": [1.0, 2.0]})
    out, report = from_frame(tidy)
    assert list(out.columns) == ["x(A)", "x(B)"] and report.station_column == "site"


def test_errors():
    with pytest.raises(InputError, match="needs a pandas DataFrame or Series; got list"):
        from_frame([1, 2])
    with pytest.raises(InputError, match="<frame> has no data rows"):
        from_frame(pd.DataFrame({"x": []}))
    with pytest.raises(InputError, match=r"my data: no column of numbers to check \(a: text column"):
        from_frame(pd.DataFrame({"a": ["x", "y"]}), name="my data")
    with pytest.raises(ParameterError, match="station_column must be a column name"):
        from_frame(clean_frame(), station_column=True)
    with pytest.raises(InputError, match="MultiIndex"):
        from_frame(pd.DataFrame([[1.0]], columns=pd.MultiIndex.from_tuples([("a", "b")])))

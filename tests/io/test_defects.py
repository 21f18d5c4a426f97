"""Regression tests of the reader defects of issues 10 and 12 (each failed before the io/ package).

Real data is read from ../shared/data at test time (never copied).
"""

from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aquaflag.errors import InputError
from aquaflag.io import read, read_report
from aquaflag.variables import ATTRS_KEY as SERIES_KEY

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
TIDY = SHARED / "daecheong" / "daecheong_algae_monitoring_2014_2026.csv"
LRO = SHARED / "lro"


def needs(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared test data not found: {path} (expected in ../shared/data)")
    return path


def put(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


# --------------------------------------------------------------------------- issue 10 #1


def test_tidy_file_split_by_station_not_averaged():
    frame = read(needs(TIDY))
    report = read_report(frame)
    assert report.layout == "station" and report.station_column == "station"
    assert report.stations == ["문의", "추동", "회남"]
    day = frame.loc["2016-04-04"]
    # was one series averaging the stations: 8.4667 = mean(8.8, 8.7, 7.9)
    assert (day["water_temp_C(문의)"], day["water_temp_C(추동)"], day["water_temp_C(회남)"]) == (8.8, 8.7, 7.9)
    assert frame.index.is_unique and report.duplicates == 0
    # the second station-name column and the constant columns are metadata, not series
    assert report.skipped["station_en"].startswith("another name of each station (문의 = Munui")
    assert report.skipped["site"].startswith("one value per station (문의 = 대청호")
    assert "category" in report.skipped
    assert not [c for c in frame.columns if c.startswith(("station_en", "site", "category"))]
    # station and variable name come from the table's columns, not from the generated name
    info = frame.attrs[SERIES_KEY]["water_temp_C(문의)"]
    assert (info.name, info.station, info.key, info.source) == ("water_temp_C", "문의", "temperature", "file")
    assert frame.attrs[SERIES_KEY]["pH(회남)"].key == "ph"


def test_station_column_explicit_and_off(tmp_path):
    text = ("date,지점,code,lat,수온,cyano\n"
            "2024-01-01,문의,A1,36.50,4.0,0\n2024-01-01,추동,B2,36.40,5.0,0\n"
            "2024-01-02,문의,A1,36.50,4.2,0\n2024-01-02,추동,B2,36.40,5.4,0\n")
    path = put(tmp_path, "s.csv", text)
    frame = read(path)
    # a count that is zero everywhere is a series; coordinates are station metadata
    assert list(frame.columns) == ["수온(문의)", "수온(추동)", "cyano(문의)", "cyano(추동)"]
    assert read_report(frame).skipped["lat"].startswith("one value per station (문의 = 36.5")
    frame = read(path, station_column="code")
    assert list(frame.columns)[:2] == ["수온(A1)", "수온(B2)"]
    assert frame.attrs[SERIES_KEY]["수온(A1)"].station == "A1"
    off = read(path, station_column=False)
    assert list(off.columns) == ["lat", "수온", "cyano"] and read_report(off).duplicates == 4
    assert any("name the station column with station_column" in m for m in read_report(off).messages())
    with pytest.raises(InputError, match=r"s\.csv: station column 'sitio' not found"):
        read(path, station_column="sitio")


def test_station_rows_without_dates_are_an_error(tmp_path):
    with pytest.raises(InputError, match=r"2 stations in 'station' \(A, B\) but no date column"):
        read(put(tmp_path, "n.csv", "station,x\nA,1\nB,2\n"))


# --------------------------------------------------------------------------- issue 10 #2


LONG = ("time,station,parameter,value\n"
        "2024-01-01,A,NH3,<0.5\n2024-01-02,A,NH3,ND\n2024-01-03,A,NH3,-9999\n2024-01-04,A,NH3,0.8\n")
WIDE = "time,NH3(A)\n2024-01-01,<0.5\n2024-01-02,ND\n2024-01-03,-9999\n2024-01-04,0.8\n"


@pytest.mark.parametrize("rule", ["missing", "limit", "half"])
def test_long_and_wide_files_share_one_cell_policy(tmp_path, rule):
    long = read(put(tmp_path, "long.csv", LONG), censored=rule)
    wide = read(put(tmp_path, "wide.csv", WIDE), censored=rule)
    assert read_report(long).layout == "long"
    pd.testing.assert_frame_equal(long, wide)
    rl, rw = read_report(long), read_report(wide)
    for field in ("missing_tokens", "missing_codes", "censored", "unparsed", "censored_examples"):
        assert getattr(rl, field) == getattr(rw, field), field
    assert rl.counts("NH3(A)") == {"missing_tokens": 1, "missing_codes": 1, "censored": 1, "unparsed": 0}


# --------------------------------------------------------------------------- issue 10 #3


def test_lro_qualifier_columns_are_not_data():
    frame = read(needs(LRO / "Mendon2019.csv"))
    report = read_report(frame)
    quals = [c for c in report.skipped if c.endswith("_qual")]
    assert quals == ["temp_qual", "cond_qual", "ph_qual", "do_qual", "turb_qual", "stage_qual"]
    assert all("qualifier" in report.skipped[c] for c in quals)
    assert not [c for c in frame.columns if c.endswith("_qual")]
    infos = frame.attrs[SERIES_KEY]
    assert infos["temp"].key == "temperature" and infos["do_cor"].key == "do"


def test_water_temp_c_is_temperature_through_the_reader(tmp_path):
    frame = read(put(tmp_path, "w.csv", "date,water_temp_C,pH_flag\n2024-01-01,4.5,1\n2024-01-02,4.7,0\n"))
    assert frame.attrs[SERIES_KEY]["water_temp_C"].key == "temperature"
    assert list(frame.columns) == ["water_temp_C"]
    assert "qualifier" in read_report(frame).skipped["pH_flag"]


# --------------------------------------------------------------------------- issue 12: commas


def test_decimal_commas_with_semicolons(tmp_path):
    frame = read(put(tmp_path, "eu.csv", "date;pH;EC\n2024-01-01;7,5;1,234\n2024-01-02;7,125;1,5\n"))
    report = read_report(frame)
    # was EC = [1234, NaN] and pH skipped as text
    assert frame["pH"].tolist() == [7.5, 7.125]
    assert frame["EC"].tolist() == [1.234, 1.5]
    assert report.decimal_comma == ["pH", "EC"]
    assert report.ambiguous_commas == {"pH": 1, "EC": 1}
    assert report.ambiguous_comma_examples == {"pH": ["7,125"], "EC": ["1,234"]}
    assert report.unparsed == {} and report.skipped == {}
    messages = report.messages()
    assert "',' read as the decimal separator in pH, EC" in messages
    assert any(m.startswith("EC: 1 value with an ambiguous comma (e.g. '1,234')") for m in messages)


def test_commas_decided_per_column_and_reported(tmp_path):
    text = ('date,a,b,c\n2024-01-01,"7,5","1,234,567","1,000"\n'
            '2024-01-02,"0,25","2,000.5","2,000"\n2024-01-03,"1,234",3.5,"3,000"\n')
    frame = read(put(tmp_path, "c.csv", text))
    report = read_report(frame)
    assert frame["a"].tolist() == [7.5, 0.25, 1.234]          # decimal commas (its own evidence)
    assert frame["b"].tolist() == [1234567.0, 2000.5, 3.5]     # thousands separators
    assert frame["c"].tolist() == [1000.0, 2000.0, 3000.0]     # only ambiguous: the file's default
    assert report.decimal_comma == ["a"]
    assert report.ambiguous_commas == {"a": 1, "c": 3}


# --------------------------------------------------------------------------- issue 12: numbers


def test_int64_above_2_53_is_reported(tmp_path):
    frame = read(put(tmp_path, "i.csv", "date,n\n2024-01-01,27021597764225089\n2024-01-02,12\n"))
    report = read_report(frame)
    assert frame["n"].tolist() == [27021597764225089.0, 12.0]
    assert report.rounded == {"n": 1}
    assert report.rounded_examples == {"n": ["27021597764225089"]}
    assert "n: 1 integer beyond ±2**53 (e.g. '27021597764225089') rounded to the nearest float64 " \
           "(about 16 significant digits)" in report.messages()


def test_int64_above_2_53_reported_for_frames_and_text_cells():
    from aquaflag.io import from_frame

    _, report = from_frame(pd.DataFrame({"n": np.array([2**53 + 1, 5], dtype=np.int64)}))
    assert report.rounded == {"n": 1}
    _, report = from_frame(pd.DataFrame({"n": ["27021597764225089", "ND", "3"]}))
    assert report.rounded == {"n": 1} and report.missing_tokens == {"n": 1}


# --------------------------------------------------------------------------- issue 12: headers


def test_duplicate_headers_renamed_visibly(tmp_path):
    frame = read(put(tmp_path, "d.csv", "date,pH,pH,pH (2)\n2024-01-01,7.1,7.2,7.3\n"))
    report = read_report(frame)
    # was pH, pH.1 without a word
    assert list(frame.columns) == ["pH", "pH (3)", "pH (2)"]
    assert frame.iloc[0].tolist() == [7.1, 7.2, 7.3]
    assert report.renamed == {"pH (3)": "pH"}
    assert "another column named 'pH' is read as 'pH (3)'" in report.messages()
    info = frame.attrs[SERIES_KEY]["pH (3)"]
    assert (info.key, info.station) == ("ph", None)  # "(3)" is not a station


# --------------------------------------------------------------------------- issue 12: dates


def test_excel_serial_dates_in_a_date_column(tmp_path):
    frame = read(put(tmp_path, "s.csv", "date,x\n45292,1.5\n45293,2.5\n45294.75,3.5\n"))
    report = read_report(frame)
    # was: 'date' judged a measurement column, RangeIndex
    assert list(frame.index) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02"),
                                 pd.Timestamp("2024-01-03 18:00")]
    assert list(frame.columns) == ["x"]
    assert any("Excel serial day numbers (e.g. 45292 = 2024-01-01; origin 1899-12-30)" in m
               for m in report.messages())


def test_excel_date_cells_stored_as_numbers(tmp_path):
    path = tmp_path / "n.xlsx"
    pd.DataFrame({"측정일자": [45292, 45299], "수온": [4.5, 4.1]}).to_excel(path, index=False)
    frame = read(path)
    assert list(frame.index) == [pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-08")]
    assert list(frame.columns) == ["수온"]


def test_numbers_in_a_date_named_column_outside_the_serial_range_stay_values(tmp_path):
    frame = read(put(tmp_path, "d.csv", "day,x\n1,5\n2,6\n40000,7\n"))
    assert read_report(frame).date_column is None and list(frame.columns) == ["day", "x"]


# --------------------------------------------------------------------------- issue 12: encodings


@pytest.mark.parametrize("encoding", ["utf-32", "utf-32-le", "utf-32-be"])
def test_utf32_file(tmp_path, encoding):
    text = "측정일자,수온\n2024-01-01,4.5\n"
    data = text.encode(encoding)
    if encoding != "utf-32":  # explicit byte order: add the mark Excel/Notepad write
        data = (codecs.BOM_UTF32_LE if encoding.endswith("le") else codecs.BOM_UTF32_BE) + data
    frame = read(put(tmp_path, "u.csv", data))
    # was decoded as UTF-16 into '\x00측\x00정...' names and an empty output
    assert list(frame.columns) == ["수온"] and read_report(frame).encoding == "utf-32"
    assert frame.index[0] == pd.Timestamp("2024-01-01")


def test_utf8_with_a_cut_off_last_character(tmp_path):
    data = "측정일자,수온,비고\n2024-01-01,4.5,맑음\n2024-01-02,4.7,흐".encode("utf-8")[:-1]
    frame = read(put(tmp_path, "t.csv", data))
    report = read_report(frame)
    assert frame["수온"].tolist() == [4.5, 4.7]
    assert report.encoding == "utf-8"
    assert any("ends in an incomplete UTF-8 character (bytes 0xed 0x9d at byte" in m for m in report.messages())


def test_utf8_mark_in_front_of_cp949_text(tmp_path):
    frame = read(put(tmp_path, "m.csv", codecs.BOM_UTF8 + "측정일자,수온\n2024-01-01,4.5\n".encode("cp949")))
    assert list(frame.columns) == ["수온"] and read_report(frame).encoding == "cp949"
    assert any("byte-order mark but the text is CP949" in m for m in read_report(frame).messages())


# --------------------------------------------------------------------------- issue 12: nothing to read


def test_all_text_file_is_an_error(tmp_path):
    path = put(tmp_path, "t.csv", "date,site,memo\n2024-01-01,문의,맑음\n2024-01-02,문의,흐림\n")
    with pytest.raises(InputError) as info:
        read(path, station_column=False)
    message = str(info.value)
    assert message.startswith(f"{path}: no column of numbers to check besides the date column 'date' (site: text column")
    assert "memo: text column" in message


def test_nothing_left_after_cleaning_is_an_error(tmp_path):
    path = put(tmp_path, "n.csv", "date,NH3\n2024-01-01,<0.5\n2024-01-02,ND\n")
    with pytest.raises(InputError, match=r"n\.csv: no values left after cleaning: every cell of 'NH3' is "
                                         r"missing \(cells held: missing tokens, censored\); check the file "
                                         r"or pass censored='limit'"):
        read(path)
    np.testing.assert_array_equal(read(path, censored="limit")["NH3"].to_numpy(), [0.5, np.nan])


# --------------------------------------------------------------------------- issue 12: Parquet folder


def test_parquet_folder_whose_parts_disagree_on_a_type(tmp_path):
    folder = tmp_path / "ds"
    (folder / "station=A").mkdir(parents=True)
    (folder / "station=B").mkdir()
    times = pd.to_datetime(["2024-01-01", "2024-01-02"])
    pd.DataFrame({"time": times, "parameter": "pH", "value": [7.0, 7.1]}).to_parquet(
        folder / "station=A" / "part-0.parquet")
    pd.DataFrame({"time": times, "parameter": "pH", "value": ["7.5", "ND"]}).to_parquet(
        folder / "station=B" / "part-0.parquet")
    frame = read(folder)  # was: ArrowInvalid
    report = read_report(frame)
    assert list(frame.columns) == ["pH(A)", "pH(B)"]
    np.testing.assert_array_equal(frame.to_numpy(), [[7.0, 7.5], [7.1, np.nan]])
    assert report.missing_tokens == {"pH(B)": 1}
    assert any("disagree on the type of column 'value'" in m and "read as text" in m for m in report.messages())


def test_parquet_folder_with_korean_partitions(tmp_path):
    from aquaflag.io import write_long

    wide = pd.DataFrame({"수온(문의)": [1.0, 2.0], "수온(추동)": [3.0, np.nan]},
                        index=pd.date_range("2024-01-01", periods=2, name="time", unit="ns"))
    folder = write_long(wide, tmp_path / "k", partition_by="station")
    back = read(folder)
    pd.testing.assert_frame_equal(back[wide.columns], wide, check_freq=False)
    assert back.attrs[SERIES_KEY]["수온(추동)"].station == "추동"


# --------------------------------------------------------------------------- issue 12: order


@pytest.mark.parametrize("kind", ["wide", "long"])
def test_sorted_duplicate_timestamps_are_not_called_unsorted(tmp_path, kind):
    if kind == "wide":
        text = "date,x\n2024-01-01,1\n2024-01-01,3\n2024-01-02,5\n"
    else:
        text = "time,station,parameter,value\n2024-01-01,A,x,1\n2024-01-01,A,x,3\n2024-01-02,A,x,5\n"
    frame = read(put(tmp_path, "d.csv", text))
    report = read_report(frame)
    assert report.was_sorted is False
    assert (report.duplicates, report.duplicate_timestamps) == (2, 1)
    assert not any("order" in m for m in report.messages())
    assert frame.iloc[:, 0].tolist() == [2.0, 5.0]
    with pytest.raises(InputError, match="duplicate timestamp 2024-01-01"):
        read(put(tmp_path, "d.csv", text), duplicates="error")


def test_long_duplicates_follow_the_rule(tmp_path):
    text = ("time,station,parameter,value\n2024-01-02,A,x,1\n2024-01-01,A,x,2\n"
            "2024-01-02,A,x,3\n2024-01-02,B,x,9\n")
    path = put(tmp_path, "d.csv", text)
    assert read(path, duplicates="first")["x(A)"].tolist() == [2.0, 1.0]
    assert read(path, duplicates="last")["x(A)"].tolist() == [2.0, 3.0]
    frame = read(path)
    np.testing.assert_array_equal(frame.to_numpy(), [[2.0, np.nan], [2.0, 9.0]])
    assert read_report(frame).was_sorted is True

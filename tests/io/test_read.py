"""Tests of aquaflag.io: reading and writing monitoring tables."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aquaflag.errors import AquaflagError, InputError, ParameterError
from aquaflag.io import ReadReport, read, read_report, write

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
DAECHEONG = SHARED / "daecheong" / "Data.csv"
LRO_MAIN = SHARED / "lro" / "MainStreet2019.csv"


def needs(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f"shared test data not found: {path} (expected in ../shared/data)")
    return path


def put(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def dt(*values: str, name: str | None = None) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(list(values), format="ISO8601"), name=name).as_unit("ns")


def report_of(frame: pd.DataFrame) -> ReadReport:
    report = read_report(frame)
    assert isinstance(report, ReadReport)
    return report


# --------------------------------------------------------------------------- real data


def test_daecheong_data_csv():
    path = needs(DAECHEONG)
    frame = read(path)
    report = report_of(frame)

    with open(path, encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh))
    assert header[0] == "Date"
    assert list(frame.columns) == header[1:]
    assert frame.shape == (411, 12)
    assert (frame.dtypes == np.float64).all()
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.name == "Date"
    assert frame.index[0] == pd.Timestamp("2016-04-04")
    assert frame.index[-1] == pd.Timestamp("2023-12-26")
    assert frame.index.is_monotonic_increasing and frame.index.is_unique

    assert report.encoding == "utf-8-sig"
    assert report.format == "csv"
    assert report.delimiter == ","
    assert report.date_column == "Date"
    assert report.n_rows == 411
    assert report.columns == header[1:]
    assert report.skipped == {}
    assert report.missing_tokens == report.missing_codes == report.censored == report.unparsed == {}
    assert report.bad_dates == 0 and report.duplicates == 0 and not report.was_sorted
    assert report.messages() == []

    # The same numbers an independent plain pandas read gives.
    plain = pd.read_csv(path, encoding="utf-8-sig", index_col="Date")
    np.testing.assert_array_equal(frame.to_numpy(), plain.to_numpy(dtype=float))
    assert int(frame.isna().sum().sum()) == int(plain.isna().sum().sum()) > 0


def test_lro_null_and_logger_codes():
    path = needs(LRO_MAIN)
    frame = read(path)
    report = report_of(frame)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert report.date_column == "datetime"
    assert report.encoding == "utf-8"
    assert len(frame) == report.n_rows == len(raw)
    for col in ("temp", "do_cor", "stage_cor"):
        assert report.missing_codes.get(col, 0) == int((pd.to_numeric(raw[col], errors="coerce") == -9999).sum())
    # (was: the *_qual code columns read as data, with their NULLs counted; issue 10 #4)
    for col in frame.columns:
        assert report.missing_tokens.get(col, 0) == int((raw[col] == "NULL").sum())
    assert report.missing_token_examples["turb_cor"] == ["NULL"]
    assert frame["temp"].min() > -100  # no -9999 left
    quals = [c for c in raw.columns if c.endswith("_qual")]
    assert len(quals) == 6
    assert report.skipped == {c: "qualifier/flag codes (named as such), not measurements" for c in quals}
    assert not set(quals) & set(frame.columns)


# --------------------------------------------------------------------------- encodings


KOREAN = "측정일자,수온(문의),pH(문의)\n2023-01-02,4.5,7.8\n2023-01-09,3.9,7.6\n"


def test_cp949_korean_headers_detected(tmp_path):
    path = put(tmp_path, "munui.csv", KOREAN, "cp949")
    frame = read(path)
    report = report_of(frame)
    assert report.encoding == "cp949"
    assert report.date_column == "측정일자"
    assert list(frame.columns) == ["수온(문의)", "pH(문의)"]
    assert frame.index.equals(dt("2023-01-02", "2023-01-09", name="측정일자"))
    assert frame["수온(문의)"].tolist() == [4.5, 3.9]
    assert frame["pH(문의)"].tolist() == [7.8, 7.6]


def test_euc_kr_is_read_as_cp949(tmp_path):
    path = put(tmp_path, "euckr.csv", "날짜,탁도\n2023-01-02,1.5\n", "euc-kr")
    frame = read(path)
    assert report_of(frame).encoding == "cp949"
    assert frame["탁도"].tolist() == [1.5]


def test_utf8_without_bom(tmp_path):
    path = put(tmp_path, "plain.csv", KOREAN, "utf-8")
    frame = read(path)
    assert report_of(frame).encoding == "utf-8"
    assert list(frame.columns) == ["수온(문의)", "pH(문의)"]
    assert frame["pH(문의)"].tolist() == [7.8, 7.6]


def test_utf8_with_bom(tmp_path):
    path = put(tmp_path, "bom.csv", KOREAN, "utf-8-sig")
    frame = read(path)
    assert report_of(frame).encoding == "utf-8-sig"
    assert report_of(frame).date_column == "측정일자"  # the BOM is not part of the name


def test_utf16_with_bom_tab_separated(tmp_path):
    # Excel's "Unicode text" export.
    path = put(tmp_path, "unicode.txt", KOREAN.replace(",", "\t"), "utf-16")
    frame = read(path)
    report = report_of(frame)
    assert (report.encoding, report.delimiter) == ("utf-16", "\t")
    assert frame["수온(문의)"].tolist() == [4.5, 3.9]


def test_undecodable_file(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"date,x\n2020-01-01,\x80\xff\xfe\n")
    with pytest.raises(InputError) as info:
        read(path)
    message = str(info.value)
    assert message == (
        f"{path}: cannot decode as UTF-8 or CP949 (Korean); pass encoding=... (CLI: --encoding)"
    )


def test_shift_jis_is_not_guessed_but_can_be_given(tmp_path):
    # (Some Shift-JIS byte sequences happen to be valid CP949; this one is not:
    # a half-width katakana byte followed by a newline.)
    path = tmp_path / "jp.csv"
    path.write_bytes("日付,ｽｲｵ\n2020-01-01,1.5\n".encode("shift_jis"))
    with pytest.raises(InputError, match="jp.csv: cannot decode as UTF-8 or CP949"):
        read(path)
    frame = read(path, encoding="shift_jis")
    assert list(frame.columns) == ["ｽｲｵ"]
    assert report_of(frame).encoding == "shift_jis"
    assert report_of(frame).date_column == "日付"  # by content: not a known date word


def test_explicit_wrong_encoding(tmp_path):
    path = put(tmp_path, "k.csv", KOREAN, "cp949")
    with pytest.raises(InputError, match=r"k\.csv: cannot decode as utf-8 \(byte 0x"):
        read(path, encoding="utf-8")


def test_unknown_encoding_name(tmp_path):
    path = put(tmp_path, "k.csv", KOREAN)
    with pytest.raises(ParameterError, match="encoding must be a known text encoding.*'klingon'"):
        read(path, encoding="klingon")


# --------------------------------------------------------------------------- empty files


@pytest.mark.parametrize("content", [b"", b"   \n\n\t \r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n  \n"])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value) == f"{path} is empty"


@pytest.mark.parametrize("content", ["date,x,y\n", "date,x,y", "date,x,y\n\n\n", "date,x,y\n,,\n"])
def test_header_only(tmp_path, content):
    path = put(tmp_path, "header.csv", content)
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value) == f"{path} has no data rows"


def test_empty_xlsx_and_parquet_files(tmp_path):
    for name in ("e.xlsx", "e.parquet"):
        path = tmp_path / name
        path.write_bytes(b"")
        with pytest.raises(InputError, match=f"{name} is empty"):
            read(path)


# --------------------------------------------------------------------------- files and parameters


def test_unknown_extension(tmp_path):
    path = put(tmp_path, "data.json", "{}")
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value) == (
        f"{path}: unsupported file type '.json'; aquaflag reads .csv, .txt, .xlsx, .xls, .parquet"
    )


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.csv"
    with pytest.raises(InputError) as info:
        read(path)
    assert str(info.value) == f"{path}: file not found"


def test_directory_is_not_a_file(tmp_path):
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(InputError, match="not a file"):
        read(folder)


def test_date_column_not_found(tmp_path):
    path = put(tmp_path, "d.csv", KOREAN)
    with pytest.raises(InputError) as info:
        read(path, date_column="Date")
    assert str(info.value) == (
        f"{path}: date column 'Date' not found; columns: '측정일자', '수온(문의)', 'pH(문의)'"
    )


def test_date_column_without_dates(tmp_path):
    path = put(tmp_path, "d.csv", "site,x\nA,1\nB,2\n")
    with pytest.raises(InputError, match=r"no value of date column 'site' is a date \(e.g. 'A', 'B'\)"):
        read(path, date_column="site")


def test_errors_are_value_errors(tmp_path):
    with pytest.raises(ValueError):
        read(tmp_path / "x.csv")
    assert issubclass(InputError, AquaflagError)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"censored": "x"}, "censored must be one of 'missing', 'limit', 'half'; got 'x'"),
        ({"censored": None}, "censored must be one of 'missing', 'limit', 'half'; got None"),
        ({"duplicates": "sum"}, "duplicates must be one of 'mean', 'first', 'last', 'error'; got 'sum'"),
        ({"missing_codes": "-9999"}, "missing_codes must be a sequence of numbers; got '-9999'"),
        ({"missing_codes": [-9999, "x"]}, "missing_codes must be finite numbers; got 'x'"),
        ({"missing_codes": [float("nan")]}, "missing_codes must be finite numbers; got nan"),
        ({"sheet": 1.5}, "sheet must be a sheet number or name; got 1.5"),
        ({"date_column": 0}, "date_column must be a column name (str); got 0"),
        ({"encoding": 8}, "encoding must be an encoding name such as 'cp949'; got 8"),
    ],
)
def test_bad_parameters(tmp_path, kwargs, message):
    path = put(tmp_path, "p.csv", KOREAN)
    with pytest.raises(ParameterError) as info:
        read(path, **kwargs)
    assert str(info.value) == message


# --------------------------------------------------------------------------- date column


def test_no_date_column_keeps_range_index(tmp_path):
    path = put(tmp_path, "n.csv", "depth,temp\n1,20.5\n2,19.0\n5,15.5\n")
    frame = read(path)
    report = report_of(frame)
    assert isinstance(frame.index, pd.RangeIndex) and list(frame.index) == [0, 1, 2]
    assert report.date_column is None
    assert list(frame.columns) == ["depth", "temp"]
    assert frame["depth"].tolist() == [1.0, 2.0, 5.0]  # plain numbers are never dates
    assert report.messages() == [
        "no date column found; rows are numbered from 0 (pass date_column=... / --date-column)"
    ]


def test_date_column_found_by_content(tmp_path):
    path = put(tmp_path, "c.csv", "site,when,x\nA,2020-01-01,1\nA,2020-01-02,2\nA,oops,3\n")
    frame = read(path)
    report = report_of(frame)
    # 2 of 3 (67 %) are dates: below 90 %, so no date column by content...
    assert report.date_column is None
    path = put(tmp_path, "c2.csv", "site,when,x\n" + "".join(f"A,2020-01-{d:02d},{d}\n" for d in range(1, 11)))
    frame = read(path)
    assert report_of(frame).date_column == "when"
    assert frame.index[0] == pd.Timestamp("2020-01-01")
    # (was: site skipped as a text column; it is now the station column, one station)
    assert report_of(frame).station_column == "site" and report_of(frame).stations == ["A"]
    assert report_of(frame).skipped == {}
    assert list(frame.columns) == ["x"]


def test_date_like_name_with_numbers_is_not_the_date(tmp_path):
    # "체류시간" (residence time) contains 시간 but holds numbers.
    path = put(tmp_path, "r.csv", "체류시간,일자,수온\n12.5,2021-05-01,18.0\n13.0,2021-05-02,18.4\n")
    frame = read(path)
    assert report_of(frame).date_column == "일자"
    assert list(frame.columns) == ["체류시간", "수온"]
    assert frame["체류시간"].tolist() == [12.5, 13.0]


def test_explicit_date_column(tmp_path):
    path = put(tmp_path, "e.csv", "start,end,x\n2020-01-01,2020-02-01,1\n2020-01-05,2020-03-01,2\n")
    frame = read(path, date_column="end")
    report = report_of(frame)
    assert frame.index.equals(dt("2020-02-01", "2020-03-01", name="end"))
    assert report.skipped["start"].startswith("text column (2 of 2 values are not numbers")
    assert list(frame.columns) == ["x"]


def test_yyyymmdd_integer_dates(tmp_path):
    path = put(tmp_path, "ymd.csv", "date,x\n20230102,1\n20230109,2\n")
    frame = read(path)
    assert frame.index.equals(dt("2023-01-02", "2023-01-09", name="date"))


def test_korean_date_forms(tmp_path):
    text = (
        "측정일시,수온\n"
        "2016. 4. 4.,1\n"
        "2016년 4월 11일,2\n"
        "2019-01-01 오후 3:15:00,3\n"
        "2019.01.02,4\n"
        "2019/01/03 09:30,5\n"
        "2019-01-04 (금),6\n"
    )
    frame = read(put(tmp_path, "k.csv", text, "cp949"))
    assert frame.index.equals(
        dt(
            "2016-04-04", "2016-04-11", "2019-01-01 15:15", "2019-01-02", "2019-01-03 09:30", "2019-01-04",
            name="측정일시",
        )
    )
    assert frame["수온"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert report_of(frame).bad_dates == 0


def test_day_first_dates(tmp_path):
    frame = read(put(tmp_path, "dmy.csv", "Date,x\n04/05/2016,1\n25/05/2016,2\n"))
    report = report_of(frame)
    assert frame.index.equals(dt("2016-05-04", "2016-05-25", name="Date"))
    assert "dates in 'Date' read as day/month/year" in report.messages()


def test_mixed_utc_offsets_become_utc(tmp_path):
    text = "timestamp,x\n2019-03-09T23:00-07:00,1\n2019-03-10T05:00-06:00,2\n"
    frame = read(put(tmp_path, "tz.csv", text))
    assert str(frame.index.tz) == "UTC"
    assert list(frame.index) == [pd.Timestamp("2019-03-10 06:00", tz="UTC"), pd.Timestamp("2019-03-10 11:00", tz="UTC")]
    assert any("different UTC offsets; converted to UTC" in m for m in report_of(frame).messages())


def test_unparseable_dates_are_removed_and_reported(tmp_path):
    text = (
        "date,x\n"           # row 1
        "2020-01-01,1\n"     # row 2
        "not a date,2\n"     # row 3
        "\n"                 # row 4: blank line
        "2020-01-03,3\n"     # row 5
        ",4\n"               # row 6: empty date
        "2020-13-45,5\n"     # row 7: impossible date
        "2020-01-04,6\n"     # row 8
    )
    frame = read(put(tmp_path, "bad.csv", text))
    report = report_of(frame)
    assert frame.index.equals(dt("2020-01-01", "2020-01-03", "2020-01-04", name="date"))
    assert frame["x"].tolist() == [1.0, 3.0, 6.0]
    assert report.n_rows == 6
    assert report.blank_rows == 1
    assert report.bad_dates == 3
    assert report.bad_date_rows == [3, 6, 7]
    assert report.bad_date_examples == ["not a date", "2020-13-45"]
    assert report.messages() == [
        "1 empty row ignored",
        "3 rows removed: no valid date in 'date' (rows 3, 6, 7; e.g. 'not a date', '2020-13-45')",
    ]


# --------------------------------------------------------------------------- value cleaning


CENSORED_TEXT = (
    "date,NH3,TP\n"
    "2020-01-01,<0.5,1.0\n"
    "2020-01-02,ND,-9999\n"
    "2020-01-03,-,2.0\n"
    "2020-01-04,< 0.5,>100\n"
    "2020-01-05,0.8,-9999\n"
    "2020-01-06,1.2,3.0\n"
    "2020-01-07,<LOQ 0.2,4.0\n"
)


@pytest.mark.parametrize(
    ("rule", "nh3", "tp"),
    [
        ("missing", [np.nan, np.nan, np.nan, np.nan, 0.8, 1.2, np.nan], [1.0, np.nan, 2.0, np.nan, np.nan, 3.0, 4.0]),
        ("limit", [0.5, np.nan, np.nan, 0.5, 0.8, 1.2, 0.2], [1.0, np.nan, 2.0, 100.0, np.nan, 3.0, 4.0]),
        ("half", [0.25, np.nan, np.nan, 0.25, 0.8, 1.2, 0.1], [1.0, np.nan, 2.0, 100.0, np.nan, 3.0, 4.0]),
    ],
)
def test_censored_missing_tokens_and_codes(tmp_path, rule, nh3, tp):
    frame = read(put(tmp_path, "c.csv", CENSORED_TEXT), censored=rule)
    report = report_of(frame)
    np.testing.assert_array_equal(frame["NH3"].to_numpy(), np.array(nh3))
    np.testing.assert_array_equal(frame["TP"].to_numpy(), np.array(tp))
    assert (frame.dtypes == np.float64).all()
    assert report.censored_rule == rule
    assert report.counts("NH3") == {"missing_tokens": 2, "missing_codes": 0, "censored": 3, "unparsed": 0}
    assert report.counts("TP") == {"missing_tokens": 0, "missing_codes": 2, "censored": 1, "unparsed": 0}
    assert report.missing_tokens == {"NH3": 2}
    assert report.missing_codes == {"TP": 2}
    assert report.censored == {"NH3": 3, "TP": 1}
    assert report.unparsed == {}
    assert report.censored_examples == {"NH3": ["<0.5", "< 0.5", "<LOQ 0.2"], "TP": [">100"]}
    how = {
        "missing": "set to missing",
        "limit": "kept at the limit",
        "half": "set to half the limit for '<', the limit for '>'",
    }[rule]
    assert report.messages() == [
        "NH3: 2 missing-value markers (e.g. 'ND', '-') read as missing",
        f"NH3: 3 censored values (e.g. '<0.5', '< 0.5', '<LOQ 0.2') {how} (censored={rule!r})",
        "TP: 2 missing codes (-9999, 9.96921e36) read as missing",
        f"TP: 1 censored value (e.g. '>100') {how} (censored={rule!r})",
    ]


def test_missing_tokens_all_forms(tmp_path):
    tokens = [
        "ND", "nd", "N.D.", "n.d.", "-", "--", "NA", "n/a", "N/A", "#N/A", "NaN", "nan",
        "NULL", "null", "None", "불검출", "결측", "미측정", "欠測", "  ", " ND ", "<LOQ", "정량한계미만",
    ]
    rows = "".join(f"2020-01-{i + 1:02d},{tok},1.5\n" for i, tok in enumerate(tokens))
    frame = read(put(tmp_path, "t.csv", "date,x,y\n" + rows, "utf-8"))
    report = report_of(frame)
    assert frame["x"].isna().all()
    assert report.missing_tokens == {"x": len(tokens)}
    assert report.all_missing == ["x"]
    assert "x: no values (every cell is missing)" in report.messages()
    assert report.skipped == {}
    assert frame["y"].tolist() == [1.5] * len(tokens)


def test_empty_cells_are_plain_missing(tmp_path):
    frame = read(put(tmp_path, "e.csv", "date,x,y\n2020-01-01,,1\n2020-01-02,2,ND\n2020-01-03,3,\n"))
    report = report_of(frame)
    np.testing.assert_array_equal(frame["x"].to_numpy(), [np.nan, 2.0, 3.0])
    np.testing.assert_array_equal(frame["y"].to_numpy(), [1.0, np.nan, np.nan])
    assert report.missing_tokens == {"y": 1}  # the empty cells are not counted


def test_unparsed_text_in_numeric_column(tmp_path):
    text = "date,DO\n2020-01-01,8.1\n2020-01-02,abc\n2020-01-03,7.9\n2020-01-04,12,5\n"
    with pytest.raises(InputError, match=r"u\.csv: cannot read as delimited text .*Expected 2 fields in line 5, saw 3"):
        read(put(tmp_path, "u.csv", text))
    text = (
        'date,DO\n2020-01-01,8.1\n2020-01-02,abc\n2020-01-03,7.9\n2020-01-04,"12,5"\n'
        "2020-01-05,abc\n2020-01-06,inf\n2020-01-07,8.0\n2020-01-08,8.2\n2020-01-09,7.7\n2020-01-10,7.5\n"
    )
    frame = read(put(tmp_path, "u.csv", text))
    report = report_of(frame)
    np.testing.assert_array_equal(
        frame["DO"].to_numpy(), [8.1, np.nan, 7.9, np.nan, np.nan, np.nan, 8.0, 8.2, 7.7, 7.5]
    )
    assert report.unparsed == {"DO": 4}
    assert report.unparsed_examples == {"DO": ["abc", "12,5", "inf"]}
    assert report.counts("DO") == {"missing_tokens": 0, "missing_codes": 0, "censored": 0, "unparsed": 4}
    assert report.messages() == ["DO: 4 cells not a number (e.g. 'abc', '12,5', 'inf'), set to missing"]


def test_infinite_numbers_in_numeric_column(tmp_path):
    frame = read(put(tmp_path, "i.csv", "date,x\n2020-01-01,1.5\n2020-01-02,-inf\n2020-01-03,1e999\n"))
    report = report_of(frame)
    np.testing.assert_array_equal(frame["x"].to_numpy(), [1.5, np.nan, np.nan])
    assert report.unparsed == {"x": 2}


def test_thousands_separators(tmp_path):
    text = 'date,cells\n2020-01-01,"1,234"\n2020-01-02,"12,345,678.5"\n2020-01-03,999\n2020-01-04,">1,000"\n'
    frame = read(put(tmp_path, "k.csv", text), censored="limit")
    report = report_of(frame)
    assert frame["cells"].tolist() == [1234.0, 12345678.5, 999.0, 1000.0]
    assert report.unparsed == {} and report.censored == {"cells": 1}


def test_text_column_skipped_and_reported(tmp_path):
    text = "date,station,수온\n2020-01-01,문의,4.0\n2020-01-02,문의,4.2\n2020-01-03,추동,-\n"
    frame = read(put(tmp_path, "s.csv", text))
    report = report_of(frame)
    # (was: station skipped as text, one series "수온" mixing both stations; issue 10 #1)
    assert list(frame.columns) == ["수온(문의)", "수온(추동)"]
    assert report.columns == ["수온(문의)", "수온(추동)"]
    assert report.skipped == {}
    assert report.messages() == [
        "one series per station and variable: 2 stations in 'station' (문의, 추동)",
        "수온(추동): 1 missing-value marker (e.g. '-') read as missing",
        "수온(추동): no values (every cell is missing)",
    ]
    text = "date,note,수온\n2020-01-01,맑음,4.0\n2020-01-02,흐림,4.2\n2020-01-03,비,-\n"
    frame = read(put(tmp_path, "s.csv", text))
    report = report_of(frame)
    assert report.skipped == {"note": "text column (3 of 3 values are not numbers, e.g. '맑음', '흐림', '비')"}
    zeros = {"missing_tokens": 0, "missing_codes": 0, "censored": 0, "unparsed": 0}
    assert report.counts("note") == zeros  # skipped: no counts
    assert report_of(frame.assign(double=frame["수온"] * 2)).counts("double") == zeros


def test_half_numbers_is_enough_to_keep_a_column(tmp_path):
    text = "date,a,b\n2020-01-01,1,1\n2020-01-02,x,x\n2020-01-03,2,y\n2020-01-04,y,z\n2020-01-05,ND,ND\n"
    frame = read(put(tmp_path, "h.csv", text))
    report = report_of(frame)
    # a: 2 numbers of 4 non-missing cells (50 %) -> kept; b: 1 of 4 -> skipped.
    assert list(frame.columns) == ["a"]
    np.testing.assert_array_equal(frame["a"].to_numpy(), [1.0, np.nan, 2.0, np.nan, np.nan])
    assert report.unparsed == {"a": 2}
    assert report.missing_tokens == {"a": 1}
    assert report.skipped == {"b": "text column (3 of 4 values are not numbers, e.g. 'x', 'y', 'z')"}


def test_netcdf_fill_value_and_custom_codes(tmp_path):
    text = "date,x\n2020-01-01,9.96921e36\n2020-01-02,9.9692099683868690e+36\n2020-01-03,-999\n2020-01-04,-9999\n2020-01-05,5\n"
    path = put(tmp_path, "f.csv", text)
    frame = read(path)
    np.testing.assert_array_equal(frame["x"].to_numpy(), [np.nan, np.nan, -999.0, np.nan, 5.0])
    assert report_of(frame).missing_codes == {"x": 3}
    frame = read(path, missing_codes=[-999])
    np.testing.assert_array_equal(frame["x"].to_numpy(), [np.nan, np.nan, np.nan, -9999.0, 5.0])
    assert report_of(frame).messages() == ["x: 3 missing codes (-999, 9.96921e36) read as missing"]
    frame = read(path, missing_codes=())
    np.testing.assert_array_equal(frame["x"].to_numpy(), [np.nan, np.nan, -999.0, -9999.0, 5.0])


def test_unnamed_empty_trailing_column(tmp_path):
    # Excel exports often end every line with a comma.
    frame = read(put(tmp_path, "t.csv", "date,x,\n2020-01-01,1,\n2020-01-02,2,\n"))
    report = report_of(frame)
    assert list(frame.columns) == ["x"]
    assert frame["x"].tolist() == [1.0, 2.0]
    assert report.skipped == {"Unnamed: 2": "no header and no values (e.g. a trailing delimiter)"}


# --------------------------------------------------------------------------- delimiters


def test_tab_separated(tmp_path):
    text = "Date\tpH\tDO\n2021-06-01\t7.1\t8.5\n2021-06-08\t7.3\tND\n"
    frame = read(put(tmp_path, "t.txt", text))
    report = report_of(frame)
    assert report.delimiter == "\t"
    assert frame.index.equals(dt("2021-06-01", "2021-06-08", name="Date"))
    np.testing.assert_array_equal(frame.to_numpy(), [[7.1, 8.5], [7.3, np.nan]])


def test_semicolon_separated(tmp_path):
    text = 'Date;"Temp, surface";pH\n2021-06-01;20.5;7.1\n2021-06-08;21.0;7.3\n'
    frame = read(put(tmp_path, "s.csv", text))
    assert report_of(frame).delimiter == ";"
    assert list(frame.columns) == ["Temp, surface", "pH"]
    assert frame["Temp, surface"].tolist() == [20.5, 21.0]


# --------------------------------------------------------------------------- order and duplicates


DUP_TEXT = (
    "date,x,y\n"
    "2020-01-02,1,10\n"   # row 2
    "2020-01-01,2,\n"     # row 3
    "2020-01-02,3,30\n"   # row 4
    "2020-01-01,4,40\n"   # row 5
    "2020-01-03,5,50\n"   # row 6
)


@pytest.mark.parametrize(
    ("rule", "x", "y"),
    [
        ("mean", [3.0, 2.0, 5.0], [40.0, 20.0, 50.0]),
        ("first", [2.0, 1.0, 5.0], [np.nan, 10.0, 50.0]),
        ("last", [4.0, 3.0, 5.0], [40.0, 30.0, 50.0]),
    ],
)
def test_duplicates(tmp_path, rule, x, y):
    frame = read(put(tmp_path, "d.csv", DUP_TEXT), duplicates=rule)
    report = report_of(frame)
    assert frame.index.equals(dt("2020-01-01", "2020-01-02", "2020-01-03", name="date"))
    np.testing.assert_array_equal(frame["x"].to_numpy(), x)
    np.testing.assert_array_equal(frame["y"].to_numpy(), y)
    assert (report.duplicates, report.duplicate_timestamps, report.duplicates_rule) == (4, 2, rule)
    assert report.was_sorted is True
    assert read_report(frame) is report  # the report survives groupby/selection
    how = {"mean": "averaged column-wise", "first": "kept the first row of each", "last": "kept the last row of each"}
    assert report.messages() == [
        "rows were not in time order; sorted by 'date'",
        f"4 rows share 2 timestamps; {how[rule]} (duplicates={rule!r})",
    ]


def test_duplicates_error(tmp_path):
    path = put(tmp_path, "d.csv", DUP_TEXT)
    with pytest.raises(InputError) as info:
        read(path, duplicates="error")
    assert str(info.value) == (
        f"{path}: duplicate timestamp 2020-01-02 in 'date' (rows 2, 4); 4 rows share "
        "2 timestamps; pass duplicates='mean', 'first' or 'last' (CLI: --duplicates)"
    )


def test_unsorted_without_duplicates(tmp_path):
    text = "date,x\n2020-01-03,3\n2020-01-01,1\n2020-01-02,2\n"
    frame = read(put(tmp_path, "u.csv", text), duplicates="error")
    assert frame.index.equals(dt("2020-01-01", "2020-01-02", "2020-01-03", name="date"))
    assert frame["x"].tolist() == [1.0, 2.0, 3.0]
    assert report_of(frame).was_sorted is True
    assert report_of(frame).duplicates == 0


def test_sorted_input_is_not_flagged(tmp_path):
    frame = read(put(tmp_path, "s.csv", "date,x\n2020-01-01,1\n2020-01-02,2\n"))
    assert report_of(frame).was_sorted is False


# --------------------------------------------------------------------------- Excel and Parquet


def sample_frame() -> pd.DataFrame:
    index = pd.DatetimeIndex(
        ["2023-01-02", "2023-01-09 09:30", "2023-01-16", "2023-01-23"], name="측정일자"
    ).as_unit("ns")
    return pd.DataFrame(
        {"수온(문의)": [4.5, 3.9, np.nan, 2.25], "pH(문의)": [7.8, 7.6, 7.7, 8.0]}, index=index
    )


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet", ".csv"])
def test_round_trip(tmp_path, suffix):
    frame = sample_frame()
    path = write(frame, tmp_path / f"out{suffix}")
    assert path == tmp_path / f"out{suffix}"
    back = read(path)
    pd.testing.assert_frame_equal(back, frame)
    report = report_of(back)
    assert report.format == suffix[1:]
    assert report.date_column == "측정일자"
    assert report.messages() == []


def test_write_after_read_drops_the_report(tmp_path):
    frame = read(write(sample_frame(), tmp_path / "a.csv"))
    assert read_report(frame) is not None
    back = read(write(frame, tmp_path / "b.parquet"))  # attrs are not JSON: must not break Parquet
    pd.testing.assert_frame_equal(back, sample_frame())


def test_write_csv_has_bom_for_excel(tmp_path):
    path = write(sample_frame(), tmp_path / "k.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0] == "측정일자,수온(문의),pH(문의)"


def test_write_unnamed_index_and_range_index(tmp_path):
    frame = pd.DataFrame({"x": [1.0, 2.0]}, index=pd.DatetimeIndex(["2020-01-01", "2020-01-02"]))
    path = write(frame, tmp_path / "u.csv")
    assert path.read_text(encoding="utf-8-sig").splitlines()[0] == "date,x"
    plain = pd.DataFrame({"a": [1.0, 2.0]})
    path = write(plain, tmp_path / "r.csv")
    assert path.read_text(encoding="utf-8-sig").splitlines()[0] == "a"


def test_write_errors(tmp_path):
    frame = sample_frame()
    with pytest.raises(InputError, match=r"cannot write '\.json' files; aquaflag writes \.csv, \.xlsx, \.parquet"):
        write(frame, tmp_path / "x.json")
    with pytest.raises(InputError, match="does not exist"):
        write(frame, tmp_path / "missing" / "x.csv")
    aware = frame.tz_localize("Asia/Seoul")
    with pytest.raises(InputError, match="Excel cannot store time zones"):
        write(aware, tmp_path / "tz.xlsx")
    with pytest.raises(InputError, match="needs a pandas DataFrame"):
        write([1, 2], tmp_path / "x.csv")


def test_excel_with_text_cells_and_sheets(tmp_path):
    path = tmp_path / "book.xlsx"
    data = pd.DataFrame(
        {
            "날짜": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03"]),
            "지점": ["문의", "문의", "문의"],
            "Chl-a": [1.5, "ND", "<0.5"],
        }
    )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"note": ["cover"]}).to_excel(writer, sheet_name="cover", index=False)
        data.to_excel(writer, sheet_name="data", index=False)
    frame = read(path, sheet="data", censored="half")
    report = report_of(frame)
    assert report.sheet == "data" and report.format == "xlsx" and report.encoding is None
    assert frame.index.equals(dt("2020-01-01", "2020-01-02", "2020-01-03", name="날짜"))
    np.testing.assert_array_equal(frame["Chl-a"].to_numpy(), [1.5, np.nan, 0.25])
    assert report.counts("Chl-a") == {"missing_tokens": 1, "missing_codes": 0, "censored": 1, "unparsed": 0}
    # (was: 지점 skipped as a text column; it is the station column now, one station)
    assert report.skipped == {} and report.station_column == "지점"
    assert read(path, sheet=1, censored="half").equals(frame)
    with pytest.raises(InputError) as info:
        read(path, sheet="Sheet9")
    assert str(info.value) == f"{path}: no sheet 'Sheet9'; sheets: 'cover', 'data'"
    with pytest.raises(InputError, match="no sheet number 5; it has 2"):
        read(path, sheet=5)
    # The first sheet holds no usable column: only one text column.
    # (was: an empty (1, 0) frame; issue 12: an error naming the file and what it found)
    with pytest.raises(InputError, match=r"book\.xlsx: no column of numbers to check \(note: text column"):
        read(path)


def test_excel_header_only(tmp_path):
    path = tmp_path / "h.xlsx"
    pd.DataFrame({"date": [], "x": []}).to_excel(path, index=False)
    with pytest.raises(InputError, match="h.xlsx has no data rows"):
        read(path)


def test_fake_xls_is_explained(tmp_path):
    path = put(tmp_path, "export.xls", "<html><table><tr><td>1</td></tr></table></html>")
    with pytest.raises(InputError, match="not an Excel workbook .*save it as .xlsx or .csv"):
        read(path)


def test_corrupt_parquet(tmp_path):
    path = put(tmp_path, "bad.parquet", "this is not parquet")
    with pytest.raises(InputError, match="bad.parquet: cannot read as Parquet"):
        read(path)


def test_parquet_with_datetime_index_and_text(tmp_path):
    frame = pd.DataFrame(
        {"x": ["1.5", "ND", "2.5"], "flag": [True, False, True], "n": pd.array([1, None, 3], dtype="Int64")},
        index=pd.DatetimeIndex(["2020-01-03", "2020-01-01", "2020-01-02"], name="time"),
    )
    path = tmp_path / "p.parquet"
    frame.to_parquet(path)
    back = read(path)
    report = report_of(back)
    assert back.index.equals(dt("2020-01-01", "2020-01-02", "2020-01-03", name="time"))
    np.testing.assert_array_equal(back["x"].to_numpy(), [np.nan, 2.5, 1.5])
    np.testing.assert_array_equal(back["n"].to_numpy(), [np.nan, 3.0, 1.0])
    assert report.skipped == {"flag": "boolean column (True/False values)"}
    assert report.date_column == "time"
    assert report.was_sorted is True
    assert report.bad_date_rows == []


# --------------------------------------------------------------------------- report API


def test_read_report_of_other_frames():
    assert read_report(pd.DataFrame({"x": [1.0]})) is None


def test_report_to_dict(tmp_path):
    frame = read(put(tmp_path, "c.csv", CENSORED_TEXT))
    data = report_of(frame).to_dict()
    assert data["censored"] == {"NH3": 3, "TP": 1}
    assert data["path"] == str(tmp_path / "c.csv")


def test_large_file_is_vectorised(tmp_path):
    n = 200_000
    rng = np.random.default_rng(1)
    values = rng.normal(5, 1, n).round(2).astype(str).astype(object)
    values[::97] = "ND"
    values[::101] = "<0.5"
    frame = pd.DataFrame(
        {
            "datetime": pd.date_range("2020-01-01", periods=n, freq="15min").strftime("%Y-%m-%d %H:%M"),
            "do": values,
            "station": np.where(rng.random(n) < 0.5, "문의", "추동"),
        }
    )
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    start = time.perf_counter()
    result = read(path)
    elapsed = time.perf_counter() - start
    report = report_of(result)
    # (was: shape (n, 1), the two stations mixed in one series; issue 10 #1)
    assert result.shape == (n, 2)
    n_nd = len(range(0, n, 97)) - len(range(0, n, 97 * 101))
    assert sum(report.missing_tokens.values()) == n_nd
    assert sum(report.censored.values()) == len(range(0, n, 101))
    assert set(report.censored) == {"do(문의)", "do(추동)"}
    assert elapsed < 10, f"reading {n} rows took {elapsed:.1f} s"

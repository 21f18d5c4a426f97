"""Every reader path tried as a hostile new user would: a frame that keeps the contract, or
one of aquaflag's errors naming the file (and what to do) — never another exception."""

from __future__ import annotations

import codecs
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aquaflag.errors import AquaflagError
from aquaflag.io import read, read_report

KOREAN = "측정일자,수온(문의),pH(문의)\n2023-01-02,4.5,7.8\n2023-01-09,3.9,<0.5\n"

CASES = {
    "empty.csv": b"",
    "spaces.csv": b"  \n\t\n",
    "bom_only.csv": codecs.BOM_UTF8,
    "header_only.csv": b"date,x,y\n",
    "one_date_column.csv": b"date\n2024-01-01\n2024-01-02\n",
    "one_value_column.csv": b"x\n1\n2\n",
    "constant.csv": b"date,x\n2024-01-01,5\n2024-01-02,5\n2024-01-03,5\n",
    "censored.csv": b"date,x\n2024-01-01,<0.5\n2024-01-02,0.7\n",
    "all_censored.csv": b"date,x\n2024-01-01,<0.5\n2024-01-02,< 0.5\n",
    "all_text.csv": "date,memo\n2024-01-01,맑음\n".encode(),
    "korean_cp949.csv": KOREAN.encode("cp949"),
    "korean_utf16.txt": KOREAN.replace(",", "\t").encode("utf-16"),
    "korean_utf32.csv": KOREAN.encode("utf-32"),
    "bom_cp949_mix.csv": codecs.BOM_UTF8 + KOREAN.encode("cp949"),
    "latin1.csv": "date,température\n2024-01-01,4.5\n".encode("latin-1"),
    "binary.csv": bytes(range(256)) * 8,
    "zip_as_csv.csv": b"PK\x03\x04" + bytes(200),
    "nul_bytes.csv": b"date,x\n2024-01-01,\x001\n",
    "ragged.csv": b"date,x\n2024-01-01,1,2,3\n",
    "open_quote.csv": b'date,x\n2024-01-01,"1\n',
    "only_delimiters.csv": b",,,\n,,,\n",
    "dates_only_bad.csv": b"date,x\nfoo,1\nbar,2\n",
    "all_bad_dates.csv": b"date,x\n2024-13-45,1\n2024-02-30,2\n",
    "formula_headers.csv": b"date,=cmd|' /C calc'!A0,@x,-1+1\n2024-01-01,1,2,3\n",
    "duplicate_everything.csv": b"x,x,x\n1,2,3\n",
    "blank_headers.csv": b",,\n1,2,3\n4,5,6\n",
    "huge_numbers.csv": b"date,x\n2024-01-01,1e308\n2024-01-02,1e309\n2024-01-03,-1e400\n",
    "long_no_time.csv": b"station,parameter,value\nA,pH,7\n",
    "long_text_values.csv": b"time,parameter,value\n2024-01-01,pH,high\n2024-01-02,pH,low\n",
    "long_no_parameter.csv": b"time,parameter,value\n2024-01-01,,7\n",
    "station_no_date.csv": b"station,x\nA,1\nB,2\n",
    "years_1600.csv": b"date,x\n1600-01-01,1\n1601-01-01,2\n",
    "tz_mix.csv": b"time,x\n2024-01-01T00:00+09:00,1\n2024-01-01T00:00,2\n",
    "semicolon_text.csv": b"date;x\n2024-01-01;a,b\n2024-01-02;1,5\n",
    "json.csv": b'{"a": [1, 2, 3]}',
    "not_excel.xlsx": b"<html><table></table></html>",
    "empty.xlsx": b"",
    "not_parquet.parquet": b"PAR1 this is not parquet",
    "unknown.json": b"{}",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_only_aquaflag_errors_naming_the_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(CASES[name])
    try:
        frame = read(path)
    except AquaflagError as exc:
        message = str(exc)
        assert str(path) in message, message
        assert "\n" not in message and "Traceback" not in message
        return
    assert isinstance(frame.index, (pd.DatetimeIndex, pd.RangeIndex))
    assert len(frame.columns) and all(frame.dtypes == np.float64)
    assert not np.isinf(frame.to_numpy()).any()
    report = read_report(frame)
    assert report is not None and report.columns == list(frame.columns)
    assert frame.notna().to_numpy().any()


def test_missing_file_and_folder_without_parquet(tmp_path):
    for path in (tmp_path / "nowhere.csv", tmp_path / "folder"):
        if path.suffix == "":
            path.mkdir()
        with pytest.raises(AquaflagError, match=str(path)):
            read(path)


def test_a_million_rows(tmp_path):
    n = 1_000_000
    rng = np.random.default_rng(3)
    values = rng.normal(7, 0.3, n).round(3).astype(str).astype(object)
    values[::1000] = "ND"
    values[::997] = "<0.5"
    frame = pd.DataFrame({"datetime": pd.date_range("2000-01-01", periods=n, freq="min")
                          .strftime("%Y-%m-%d %H:%M"), "pH": values, "temp_qual": 1})
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    start = time.perf_counter()
    out = read(path, censored="limit")
    elapsed = time.perf_counter() - start
    report = read_report(out)
    assert out.shape == (n, 1) and report.skipped.keys() == {"temp_qual"}
    assert report.censored == {"pH": len(range(0, n, 997))}
    assert report.missing_tokens == {"pH": len(range(0, n, 1000)) - len(range(0, n, 997 * 1000))}
    assert elapsed < 20, f"reading {n} rows took {elapsed:.1f} s"

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag.errors import InputError, ParameterError
from aquaflag.io import read, read_report
from aquaflag.io import looks_long, read_long, to_long, to_wide, write_long


@pytest.fixture
def wide():
    idx = pd.date_range("2024-01-01", periods=6, freq="15min", name="time", unit="ns")
    return pd.DataFrame({
        "pH(Mun-Ui)": [7.1, 7.2, np.nan, 7.3, 7.2, 7.1],
        "pH(Hoe-Nam)": [7.5, 7.4, 7.6, 7.5, 7.5, 7.4],
        "DO(Mun-Ui)": [9.0, 9.1, 9.2, 9.1, 9.0, 8.9],
    }, index=idx)


def test_round_trip_wide_long_wide(wide):
    long = to_long(wide)
    assert list(long.columns) == ["time", "station", "parameter", "value"]
    assert len(long) == wide.size  # NaN kept as a row: nothing lost
    back = to_wide(long)
    pd.testing.assert_frame_equal(back, wide, check_freq=False)


def test_flags_travel_with_long(wide):
    flags = pd.DataFrame(1, index=wide.index, columns=wide.columns)
    flags.iloc[2, 0] = 9
    long = to_long(wide, flags)
    assert long.loc[(long["parameter"] == "pH") & (long["station"] == "Mun-Ui"), "flag"].tolist()[2] == 9


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_read_long_file_through_read(wide, tmp_path, suffix):
    path = write_long(wide, tmp_path / f"long{suffix}")
    got = read(path)  # layout detected from the header
    pd.testing.assert_frame_equal(got, wide, check_freq=False)
    # (was: format "csv (long)"/"long"; the file format and the layout are now separate fields)
    assert read_report(got).layout == "long" and read_report(got).format == suffix[1:]


def test_partitioned_parquet_dataset(wide, tmp_path):
    folder = write_long(wide, tmp_path / "ds", partition_by="station")
    assert sorted(p.name for p in folder.iterdir()) == ["station=Hoe-Nam", "station=Mun-Ui"]
    got = read(folder)
    pd.testing.assert_frame_equal(got.sort_index(axis=1), wide.sort_index(axis=1), check_freq=False)
    res = aquaflag.detect(got, method="iqr")
    assert set(res.columns) == set(wide.columns)


def test_korean_long_headers_and_bad_values(tmp_path):
    path = tmp_path / "k.csv"
    path.write_text("측정일시,지점,항목,측정값\n2024-01-01 00:00,문의,수온,4.1\n"
                    "2024-01-01 00:15,문의,수온,ND\n2024-01-01 00:15,문의,수온,4.3\n"
                    "nodate,문의,수온,4.0\n", encoding="cp949")
    got = read(path)
    assert list(got.columns) == ["수온(문의)"]
    assert got["수온(문의)"].tolist() == [4.1, 4.3]
    rep = read_report(got)
    # (was: duplicates == 1 and ND counted as "not a number": the long reader had its own
    # policy; now duplicates count every row sharing the key, as for wide files, and ND is a
    # missing-value marker, as for wide files)
    assert rep.bad_dates == 1 and rep.duplicates == 2
    assert rep.missing_tokens == {"수온(문의)": 1} and rep.unparsed == {}


def test_looks_long():
    assert looks_long(["time", "station", "parameter", "value"])
    assert not looks_long(["Date", "pH(Mun-Ui)"])


def test_errors(tmp_path, wide):
    with pytest.raises(InputError, match="no value column"):
        to_wide(pd.DataFrame({"time": [1], "parameter": ["pH"], "x": [1.0]}))
    with pytest.raises(InputError, match="not found"):
        read_long(tmp_path / "none.csv")
    with pytest.raises(ParameterError, match="partition_by"):
        write_long(wide, tmp_path / "x", partition_by="month")

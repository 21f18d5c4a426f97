"""Property-based tests of the reader (hypothesis): nothing lost, nothing silent, no crash.

Fixed seed and a small budget by default (profile ``io``: the whole file runs in
seconds); ``AQUAFLAG_HYPOTHESIS_PROFILE=long`` (or ``AQUAFLAG_IO_PROFILE=io-long``)
runs 7500 random examples per property on demand.
"""

from __future__ import annotations

import copy
import csv
import tempfile
from pathlib import Path
import io
import math
import os
import re

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from aquaflag.errors import AquaflagError  # noqa: E402
from aquaflag.io import from_frame, read, read_report, write  # noqa: E402
from aquaflag.io.layouts import STATION_ALIASES  # noqa: E402
from aquaflag.variables import is_date_name, is_qualifier_name  # noqa: E402

settings.register_profile("io", max_examples=60, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("io-long", max_examples=7500, derandomize=False, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
_LONG = (os.environ.get("AQUAFLAG_IO_PROFILE") == "io-long"
         or os.environ.get("AQUAFLAG_HYPOTHESIS_PROFILE") == "long")  # the house's long-run switch
PROFILE = settings.get_profile("io-long" if _LONG else "io")

SCRATCH = Path(tempfile.mkdtemp(prefix="aquaflag-io-props-"))  # one file per test, overwritten
DATES = pd.date_range("2020-01-01", periods=40, freq="D").strftime("%Y-%m-%d").tolist()

# --------------------------------------------------------------------------- cells

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
plain_number = st.one_of(
    finite.map(repr),                                            # 17 significant digits, e+XXX
    finite.filter(lambda x: abs(x) < 1e15).map(lambda x: f"{x:.3f}"),
    st.integers(-10**6, 10**6).map(str),
    st.integers(-(2**63) + 1, 2**63 - 1).map(str),               # int64, often beyond 2**53
    st.decimals(min_value=-1000, max_value=1000, places=4, allow_nan=False).map(str),
)
token = st.sampled_from(["ND", "nd", "N.D.", "-", "--", "NA", "n/a", "#N/A", "NULL", "None",
                         "불검출", "결측", "<LOQ", " ND "])
censored = st.tuples(st.sampled_from(["<", ">", "< ", "<=", "≤"]),
                     st.floats(0.001, 1000).map(lambda x: f"{x:.3f}")).map("".join)
junk = st.sampled_from(["abc", "x1", "1.2.3", "inf", "-inf", "Infinity", "12a", "?", "분석중"])
code = st.sampled_from(["-9999", "-9999.0", "9.96921e36"])
cell = st.one_of(plain_number, plain_number, plain_number, token, censored, junk, code, st.just(""))


def kind_of(text: str) -> str:
    t = text.strip()
    if t == "":
        return "empty"
    if t.lower() in {"nd", "n.d.", "-", "--", "na", "n/a", "#n/a", "null", "none", "불검출", "결측", "<loq"}:
        return "token"
    if re.fullmatch(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", t):
        v = float(t)
        if math.isinf(v):
            return "junk"
        if v == -9999.0 or abs(v - 9.969209968386869e36) <= 1e-6 * 9.969209968386869e36:
            return "code"
        return "number"
    if t[0] in "<>≤":
        return "censored"
    return "junk"


@st.composite
def tables(draw):
    n_rows = draw(st.integers(1, 25))
    n_cols = draw(st.integers(1, 4))
    cols = [[draw(cell) for _ in range(n_rows)] for _ in range(n_cols)]
    return n_rows, cols


def to_csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


@settings(PROFILE)
@given(tables())
def test_every_numeric_cell_is_a_value_or_a_reported_coercion(table):
    n_rows, cols = table
    names = [f"v{i}" for i in range(len(cols))]
    rows = [[DATES[r]] + [c[r] for c in cols] for r in range(n_rows)]
    path = SCRATCH / "cells.csv"
    path.write_text(to_csv_text(["date", *names], rows), encoding="utf-8")
    try:
        frame = read(path, censored="limit")
    except AquaflagError as exc:
        # only when no column holds a single value
        assert "no column of numbers" in str(exc) or "no values left" in str(exc), str(exc)
        return
    report = read_report(frame)
    for name, column in zip(names, cols):
        kinds = [kind_of(t) for t in column]
        if name in report.skipped:
            assert report.skipped[name].startswith("text column")
            numbers = sum(k in ("number", "code", "censored") for k in kinds)
            assert numbers < 0.5 * sum(k in ("number", "code", "censored", "junk") for k in kinds)
            continue
        values = frame[name].to_numpy()
        expected = {"missing_tokens": kinds.count("token"), "missing_codes": kinds.count("code"),
                    "censored": kinds.count("censored"), "unparsed": kinds.count("junk")}
        assert report.counts(name) == expected
        big = 0
        for text, kind, value in zip(column, kinds, values):
            if kind == "number":
                assert value == float(text.strip()) or (value == 0 and float(text) == 0), (text, value)
                assert np.float64(value).tobytes() == np.float64(float(text.strip())).tobytes()
                integer = re.fullmatch(r"[+-]?[0-9]+", text.strip()) is not None
                big += integer and int(text) != int(float(text))  # float64 cannot hold it
            elif kind == "censored":
                assert value == float(re.sub(r"^[<>≤=\s]+", "", text.strip()))
            else:
                assert math.isnan(value)
        assert report.rounded.get(name, 0) == big


@settings(PROFILE)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 3)), min_size=1, max_size=20))
def test_decimal_commas_in_semicolon_files_read_exactly(values):
    texts = [repr(v).replace(".", ",") if not v.is_integer() else str(int(v)) for v in values]
    rows = [[DATES[i], t] for i, t in enumerate(texts)]
    path = SCRATCH / "eu.csv"
    path.write_text(to_csv_text(["date", "x"], rows, delimiter=";"), encoding="utf-8")
    frame = read(path, missing_codes=())
    report = read_report(frame)
    got = frame["x"].to_numpy()
    expected = np.array([float(t.replace(",", ".")) for t in texts])
    np.testing.assert_array_equal(got, expected)
    ambiguous = sum(re.fullmatch(r"-?[1-9][0-9]{0,2},[0-9]{3}", t) is not None for t in texts)
    assert report.ambiguous_commas.get("x", 0) == ambiguous
    assert report.unparsed == {}


# --------------------------------------------------------------------------- headers

header_text = st.text(
    alphabet=st.sampled_from(list("abcXYZ 수온측정일자문의()=+@-_,;\"'|!/.0123 \t") + ["\u3000"]),
    min_size=0, max_size=12)


@settings(PROFILE)
@given(st.lists(header_text, min_size=1, max_size=6), st.integers(1, 6), st.sampled_from([",", ";", "\t"]))
def test_random_headers_never_crash(header, n_rows, delimiter):
    header = ["date"] + header + header[:1]  # a duplicate, always
    rows = [[DATES[r]] + [f"{r + i}.5" for i in range(len(header) - 1)] for r in range(n_rows)]
    path = SCRATCH / "h.csv"
    path.write_text(to_csv_text(header, rows, delimiter), encoding="utf-8")
    try:
        frame = read(path)
    except AquaflagError as exc:
        assert str(path) in str(exc)
        return
    report = read_report(frame)
    assert len(set(frame.columns)) == len(frame.columns)
    assert all(frame.dtypes == np.float64)
    # every header is accounted for: a value column, a skipped one, the date or station column
    accounted = len(report.skipped) + (report.date_column is not None) + (report.station_column is not None)
    if report.layout == "wide":
        assert len(frame.columns) + accounted == len(header)


# --------------------------------------------------------------------------- round trip

_ALIAS = re.compile(r"^(?:" + "|".join(re.escape(a.casefold().replace("_", " ")) for a in STATION_ALIASES)
                    + r"|parameter|param|variable|value|result|unit|units|값|측정값|항목|단위)(?:\s|$)")


def plain_name(name: str) -> bool:
    norm = re.sub(r"[\s_\-./]+", " ", name.casefold()).strip()
    return (name == name.strip() and bool(name) and not is_date_name(name)
            and not is_qualifier_name(name) and not _ALIAS.match(norm) and "\ufeff" not in name)


column_name = st.text(alphabet=st.sampled_from(list("abpHDOxyz수온탁도문의추동 ()-_=+@")), min_size=1,
                      max_size=10).filter(plain_name)
value = st.one_of(st.floats(allow_infinity=False, width=64).filter(
    lambda x: x != -9999.0 and not (abs(x - 9.969209968386869e36) <= 1e-6 * 9.969209968386869e36)),
    st.just(float("nan")))


@settings(PROFILE)
@given(st.lists(column_name, min_size=1, max_size=4, unique=True), st.integers(1, 12),
       st.sampled_from([".csv", ".parquet", ".csv", ".parquet", ".xlsx"]), st.data())
def test_write_then_read_keeps_values(names, n_rows, suffix, data):
    cells = value if suffix != ".xlsx" else value.filter(lambda x: not abs(x) > 1e307)  # Excel's range
    values = {n: data.draw(st.lists(cells, min_size=n_rows, max_size=n_rows)) for n in names}
    assume(any(not math.isnan(v) for col in values.values() for v in col))
    index = pd.DatetimeIndex(DATES[:n_rows], name="date").as_unit("ns")
    frame = pd.DataFrame(values, index=index)
    path = write(frame, SCRATCH / f"rt{suffix}")
    back = read(path)
    report = read_report(back)
    assert report.renamed == {} and report.skipped == {}
    pd.testing.assert_index_equal(back.index, frame.index)
    assert list(back.columns) == list(frame.columns)
    for name in names:
        a, b = frame[name].to_numpy(), back[name].to_numpy()
        if suffix == ".xlsx":  # openpyxl writes 16 significant digits (Excel shows 15)
            np.testing.assert_allclose(b, a, rtol=1e-15, atol=0)
        else:
            assert np.array_equal(a, b, equal_nan=True), (name, a, b)


@settings(PROFILE)
@given(st.lists(column_name, min_size=1, max_size=3), st.integers(1, 8), st.data())
def test_from_frame_never_modifies_its_input(names, n_rows, data):
    frame = pd.DataFrame({f"{n}{i}": data.draw(st.lists(st.one_of(value, cell), min_size=n_rows,
                                                         max_size=n_rows)) for i, n in enumerate(names)},
                         index=pd.DatetimeIndex(data.draw(st.lists(st.sampled_from(DATES[:5]),
                                                                   min_size=n_rows, max_size=n_rows))))
    before = copy.deepcopy(frame)
    try:
        out, report = from_frame(frame)
    except AquaflagError:
        out = None
    pd.testing.assert_frame_equal(frame, before)
    assert frame.attrs == {}
    if out is not None:
        assert out.index.is_monotonic_increasing and out.index.is_unique
        assert all(out.dtypes == np.float64)

"""Tests of the report's chart payload (aquaflag.report.charts), its package files and the
defects of issue 10 in the report: ``lower=None`` in the rules table, sentinels that
flatten a chart, columns no rule checked."""

from __future__ import annotations

import fnmatch
import json
import re
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag import Rule, evaluate, report
from aquaflag.datasets import demo
from aquaflag.errors import InputError, ParameterError
from aquaflag.report import ChartData, chart_payload

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DATA_RE = re.compile(r'<script type="application/json" id="aquaflag-data">(.*?)</script>', re.DOTALL)
ROOT = Path(__file__).resolve().parents[2]
SENTINEL = 7999.0


def payload(page: str) -> dict:
    return json.loads(DATA_RE.search(page).group(1))


@pytest.fixture(scope="module")
def sentinel_result():
    """An LRO-like water temperature with logger codes 7999 and -9999, a gross range rule."""
    idx = pd.date_range("2021-06-01", periods=500, freq="15min", name="time")
    values = 18 + 3 * np.sin(np.arange(500) / 40) + np.random.default_rng(3).normal(0, 0.1, 500)
    values[[40, 41, 300]] = SENTINEL
    values[420] = -9999.0
    frame = pd.DataFrame({"water_temp_C": values, "pH": 7.5 + 0 * values}, index=idx)
    rules = [Rule("gross_range", {"upper": 40.0}, columns=("water_temp_C",)),
             Rule("zscore", columns=("water_temp_C",))]
    return evaluate(frame, rules)


@pytest.fixture(scope="module")
def long_result():
    """300,000 one-minute values with 200 spikes."""
    rng = np.random.default_rng(11)
    n = 300_000
    values = 10 + np.sin(np.arange(n) / 500) + rng.normal(0, 0.05, n)
    spikes = rng.choice(np.arange(100, n - 100), 200, replace=False)
    values[spikes] += 8
    index = pd.date_range("2022-01-01", periods=n, freq="1min", name="time")
    return aquaflag.detect(pd.DataFrame({"DO(x)": values}, index=index), method="modified_zscore")


# ------------------------------------------------------------------- defect 1: rules table
def test_rules_table_shows_only_parameters_set(sentinel_result):
    """Before: the rules table showed ``lower=None`` (the first parameter, even unset)."""
    page = report.write_report(sentinel_result)
    table = re.search(r'<table class="grid" id="rules-table">(.*?)</table>', page, re.DOTALL).group(1)
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>", table)
    params = {label: cell for label, _method, cell in rows}
    assert "None" not in table
    assert params["gross_range"] == "<code>upper=40.0</code>"
    assert params["zscore"] == '<span class="muted">defaults</span>'  # threshold=3.0 is the default
    res = evaluate(demo()[["pH(Mun-Ui)"]], [Rule("iqr", {"threshold": 2.0}), Rule("zscore", {"threshold": 3.0})])
    rows = report.tables.set_params
    assert rows(res.rule("iqr")) == ["threshold=2.0"] and rows(res.rule("zscore")) == []
    assert "기본값" in report.write_report(res, lang="ko")


# ------------------------------------------------------------------- defect 2: sentinels
def test_sentinels_do_not_flatten_the_chart(sentinel_result):
    """Before: the y range ran from -9999 to 7999 and the series was a flat line."""
    c = chart_payload(sentinel_result, "water_temp_C")
    values = sentinel_result.data["water_temp_C"].to_numpy()
    good = values[np.abs(values) < 1000]
    lo, hi = c["yr"]
    assert lo < good.min() and hi > good.max() and hi - lo < 2 * np.ptp(good)
    assert lo < c["edge"][0] < good.min() and good.max() < c["edge"][1] < hi
    assert c["off"] == 4
    # every value is still in the payload, with its true value (the script draws it at the edge)
    y = np.array(c["y"], dtype=float)
    assert np.count_nonzero(y == SENTINEL) == 3 and np.count_nonzero(y == -9999.0) == 1
    f = np.array(c["f"])
    assert set(f[(y == SENTINEL) | (y == -9999.0)]) == {4}
    page = report.write_report(sentinel_result)
    assert "4 flagged values lie outside the scale" in page
    assert payload(page)["columns"][0]["yr"] == c["yr"]


def test_y_range_follows_the_window(sentinel_result):
    full = chart_payload(sentinel_result, "water_temp_C")
    part = chart_payload(sentinel_result, "water_temp_C", start="2021-06-02 00:00", end="2021-06-02 06:00")
    assert part["off"] == 0 and part["nv"] == 25
    assert part["yr"][1] - part["yr"][0] < full["yr"][1] - full["yr"][0]


# ------------------------------------------------------------------- defect 3: not checked
def test_columns_no_rule_checked_are_listed():
    """Before: a column no rule selected looked like one whose values were all 'not evaluated'."""
    frame = demo()[["pH(Mun-Ui)", "DO(Mun-Ui)", "DO(Chu-Dong)"]].rename(
        columns={"DO(Chu-Dong)": "<b>DO</b>(Chu-Dong)"})
    res = evaluate(frame, [Rule("iqr", columns=("pH*",))])
    assert res.unchecked == ["DO(Mun-Ui)", "<b>DO</b>(Chu-Dong)"]
    page = report.write_report(res)
    listed = re.search(r'<ul class="notes" id="unchecked-list">(.*?)</ul>', page).group(1)
    assert listed == ('<li><a href="#col-1">DO(Mun-Ui)</a></li>'
                      '<li><a href="#col-2">&lt;b&gt;DO&lt;/b&gt;(Chu-Dong)</a></li>')
    assert '<h3 id="unchecked">Columns no rule checked</h3>' in page
    assert page.count('data-checked="false"') == 2
    assert 'badge not-checked">not checked</span>' in page
    data = payload(page)
    assert [c["checked"] for c in data["columns"]] == [True, False, False]
    assert "검사하지 않은 항목" in report.write_report(res, lang="ko")
    checked_all = report.write_report(aquaflag.detect(frame, method="iqr"))
    assert 'id="unchecked"' not in checked_all


# ------------------------------------------------------------------- chart_payload
def test_payload_is_what_the_page_embeds(sentinel_result):
    data = payload(report.write_report(sentinel_result, max_points=100))
    for c in sentinel_result.columns:
        j = sentinel_result.columns.index(c)
        assert data["columns"][j] == json.loads(json.dumps(chart_payload(sentinel_result, c, max_points=100)))


def test_payload_window_and_downsampling(long_result):
    res = long_result
    col = "DO(x)"
    charts = ChartData(res)
    flagged = np.flatnonzero(res.flags[col].isin([3, 4]).to_numpy())
    x_all = res.data.index.to_numpy(dtype="datetime64[ms]").astype(np.int64)
    whole = charts.column(col, max_points=1000)
    assert whole["ds"] and whole["nv"] == 300_000 and whole["nf"] == flagged.size
    assert whole["ns"] <= 1000 + flagged.size + 2
    # a window, by strings: only its rows, its flagged points all kept
    start, end = "2022-02-01", "2022-02-10 23:59"
    win = charts.column(col, start=start, end=end, max_points=1000)
    inside = (res.data.index >= start) & (res.data.index <= end)
    assert win["n"] == win["nv"] == int(inside.sum()) == 14_400
    x = np.array(win["x"])
    assert x.min() == x_all[inside][0] and x.max() == x_all[inside][-1]
    want = x_all[flagged[inside[flagged]]]
    f = np.array(win["f"])
    np.testing.assert_array_equal(x[(f == 3) | (f == 4)], want)
    assert win["nf"] == want.size and win["window"] == [float(x_all[inside][0]), float(x_all[inside][-1])]
    # the same window by the payload's own x (ms), and narrow enough to show every point
    again = charts.column(col, start=float(x_all[inside][0]), end=float(x_all[inside][-1]), max_points=1000)
    assert again["x"] == win["x"]
    narrow = charts.column(col, start="2022-02-01 00:00", end="2022-02-01 09:59", max_points=1000)
    assert not narrow["ds"] and narrow["ns"] == narrow["nv"] == 600
    # an empty window
    empty = charts.column(col, start="2030-01-01")
    assert empty["nv"] == 0 and empty["x"] == [] and empty["yr"] is None
    # the function and the class agree; the payload is strict JSON
    assert chart_payload(res, col, start=start, end=end, max_points=1000) == win
    json.dumps(win, allow_nan=False)


def test_payload_window_in_a_tz_aware_index():
    frame = demo().iloc[:100, :2]
    frame.index = frame.index.tz_localize("Asia/Seoul")
    res = aquaflag.detect(frame, method="iqr")
    col = frame.columns[0]
    local = chart_payload(res, col, start="2016-05-02", end="2016-05-02")
    utc = chart_payload(res, col, start=pd.Timestamp("2016-05-01 15:00", tz="UTC"),
                        end=pd.Timestamp("2016-05-01 15:00", tz="UTC"))
    assert local["nv"] == 1 and local["x"] == utc["x"] == [int(pd.Timestamp("2016-05-02").value // 10**6)]


def test_payload_numeric_and_positional_index():
    s = pd.Series([7.1, 7.3, 7.2, 7.4, 7.2, 9.9, 7.3, 7.1], name="pH", index=np.arange(8) * 0.5)
    res = aquaflag.detect(s, method="modified_zscore")
    c = chart_payload(res, "pH", start=1.0, end=2.5)
    assert c["x"] == [1, 1.5, 2, 2.5] and c["f"][-1] == 3
    with pytest.raises(ParameterError, match="number"):
        chart_payload(res, "pH", start="2020-01-01")


def test_payload_errors(sentinel_result):
    with pytest.raises(InputError, match="(?i)did you mean"):
        chart_payload(sentinel_result, "water_temp_c")
    with pytest.raises(ParameterError, match="start must not be after end"):
        chart_payload(sentinel_result, "pH", start="2021-06-03", end="2021-06-02")
    with pytest.raises(ParameterError, match="start must be a time"):
        chart_payload(sentinel_result, "pH", start="next tuesday-ish")
    with pytest.raises(ParameterError, match="max_points"):
        chart_payload(sentinel_result, "pH", max_points=5)
    with pytest.raises(ParameterError, match="lang"):
        ChartData(sentinel_result).meta("fr")


def test_payload_reads_the_result_only(sentinel_result):
    before = sentinel_result.data.copy()
    masks = {k: d.mask.copy() for k, d in sentinel_result.detections.items()}
    charts = ChartData(sentinel_result)
    charts.column("water_temp_C", start="2021-06-01 10:00", max_points=50)
    pd.testing.assert_frame_equal(sentinel_result.data, before)
    for k, d in sentinel_result.detections.items():
        np.testing.assert_array_equal(d.mask, masks[k])


def test_meta_for_a_server(sentinel_result):
    meta = ChartData(sentinel_result).meta("ko")
    assert meta["is_time"] and meta["xfmt"] == "%Y-%m-%d %H:%M"
    assert [r["label"] for r in meta["rules"]] == ["gross_range", "zscore"]
    assert meta["t"]["off_scale"] == "축 범위 밖"


# ------------------------------------------------------------------- package files
def test_strings_css_and_js_are_package_files():
    files = resources.files("aquaflag.report")
    for name in ("static/report.css", "static/report.js", "static/charts.js",
                 "strings/en.json", "strings/ko.json"):
        assert files.joinpath(name).is_file(), name
    en = json.loads(files.joinpath("strings/en.json").read_text(encoding="utf-8"))
    ko = json.loads(files.joinpath("strings/ko.json").read_text(encoding="utf-8"))
    assert set(en) == set(ko) and report.STRINGS == {"en": en, "ko": ko}
    assert all(isinstance(v, str) and v for v in [*en.values(), *ko.values()])
    # the {fields} of a text are the same in both languages
    for key in en:
        assert set(re.findall(r"\{(\w+)\}", en[key])) == set(re.findall(r"\{(\w+)\}", ko[key])), key


def test_package_data_lists_every_report_file():
    """pyproject's package-data must ship every file of report/static and report/strings."""
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = conf["tool"]["setuptools"]["package-data"]["aquaflag"]
    pkg = ROOT / "src" / "aquaflag"
    shipped = [p.relative_to(pkg).as_posix() for sub in ("report/static", "report/strings")
               for p in (pkg / sub).iterdir()]
    assert shipped
    for rel in shipped:
        assert any(fnmatch.fnmatch(rel, pat) for pat in patterns), rel


def test_charts_js_is_self_contained_and_escapes():
    js = resources.files("aquaflag.report").joinpath("static/charts.js").read_text(encoding="utf-8")
    assert "root.AquaflagCharts" in js and "innerHTML" not in js and report.charts_js() == js
    page_js = resources.files("aquaflag.report").joinpath("static/report.js").read_text(encoding="utf-8")
    assert "innerHTML" not in page_js  # text goes in with textContent


# ------------------------------------------------------------------- layers
ALLOWED_BELOW = {"result", "detection", "flags", "errors", "variables", "config", "_version", "scale",
                 "_optional"}


def _aquaflag_imports(path: Path, package: str) -> set[str]:
    """The aquaflag modules a file imports (module level and inside functions alike)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.startswith("aquaflag"):
                found.add(node.module)
            elif node.level == 1:  # inside the package itself
                found.add(f"aquaflag.{package}")
            elif node.level == 2:
                names = [node.module] if node.module else [a.name for a in node.names]
                found.update(f"aquaflag.{n}" for n in names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("aquaflag"))
    return found


@pytest.mark.parametrize("package", ["report", "plot"])
def test_writers_import_only_the_layers_below(package):
    """plot/ and report/ read results: never the engine, io, methods, or each other."""
    for path in sorted((ROOT / "src" / "aquaflag" / package).glob("*.py")):
        for module in _aquaflag_imports(path, package):
            top = module.split(".")[1] if "." in module else module
            assert top == package or top in ALLOWED_BELOW, f"{path.name} imports {module}"


def test_importing_the_writers_loads_no_heavy_library():
    import subprocess

    code = ("import sys, aquaflag.report, aquaflag.plot; "
            "from aquaflag.report import chart_payload, write_report, ChartData; "
            "bad = [m for m in ('plotly', 'tsdownsample', 'matplotlib') if m in sys.modules]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)

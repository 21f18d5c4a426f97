"""Tests of the HTML report (aquaflag.report): structure, data, escaping, languages.

The page is checked as text and through the JSON it embeds; the real browser
test is in test_report_browser.py.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag.datasets import demo
from aquaflag.config import parse as parse_config
from aquaflag import Rule, evaluate
from aquaflag.errors import ParameterError

from aquaflag import report

HOSTILE = "<script>alert(1)</script>"
DATA_RE = re.compile(r'<script type="application/json" id="aquaflag-data">(.*?)</script>', re.DOTALL)


# ----------------------------------------------------------------------------- helpers
def payload(page: str) -> dict:
    """The JSON the page embeds for its script."""
    found = DATA_RE.findall(page)
    assert len(found) == 1
    return json.loads(found[0])


def page_without_plotly(page: str) -> str:
    """The page with the embedded plotly.js removed (what aquaflag itself wrote)."""
    start = page.index("<script>/**\n* plotly.js")
    end = page.index("</script>", start)
    return page[:start] + "<script>PLOTLY</script>" + page[end + len("</script>"):]


def ms(index: pd.DatetimeIndex) -> np.ndarray:
    return index.to_numpy(dtype="datetime64[ms]").astype(np.int64)


def flagged_positions(res, column) -> np.ndarray:
    codes = res.flags[column].to_numpy()
    return np.flatnonzero((codes == 3) | (codes == 4))


@pytest.fixture(scope="module")
def demo_result():
    return aquaflag.detect(demo(), method="seed")


@pytest.fixture(scope="module")
def demo_page(demo_result):
    return report.write_report(demo_result)


@pytest.fixture(scope="module")
def long_series():
    """200,000 one-minute values with 150 spikes and a block of missing values."""
    rng = np.random.default_rng(7)
    n = 200_000
    t = np.arange(n)
    values = np.round(12 + 4 * np.sin(2 * np.pi * t / 1440) + rng.normal(0, 0.2, n), 2)
    spikes = rng.choice(np.arange(1000, n - 1000), 150, replace=False)
    values[spikes] += rng.choice([-1, 1], spikes.size) * rng.uniform(14, 25, spikes.size)
    values[50_000:52_000] = np.nan
    index = pd.date_range("2021-03-01", periods=n, freq="1min", name="time")
    frame = pd.DataFrame({"DO(Hoe-Nam)": values}, index=index)
    return aquaflag.detect(frame, method="modified_zscore")


# ----------------------------------------------------------------------------- structure
def test_returns_text_without_path_and_path_with_one(demo_result, demo_page, tmp_path):
    assert isinstance(demo_page, str)
    assert demo_page.startswith("<!DOCTYPE html>")
    out = report.write_report(demo_result, tmp_path / "sub" / "report.html")
    assert out == tmp_path / "sub" / "report.html"
    text = out.read_text(encoding="utf-8")
    assert text.count("<section id=") == demo_page.count("<section id=")


def test_self_contained_with_one_copy_of_plotly(demo_page):
    assert demo_page.count("* plotly.js v") == 1
    own = page_without_plotly(demo_page)
    assert "<link" not in own and "http://" not in own and "https://" not in own
    assert not re.search(r"""<(script|img|link|iframe)[^>]+(src|href)\s*=""", own)
    assert '<meta charset="utf-8">' in own
    # three script elements: plotly.js, the data, the app
    assert own.count("<script") == 3 and own.count("</script>") == 3
    for font in ("Noto Sans KR", "Malgun Gothic", "Apple SD Gothic Neo", "NanumGothic", "sans-serif"):
        assert font in own


def test_one_chart_div_per_column(demo_result, demo_page):
    data = payload(demo_page)
    assert [c["name"] for c in data["columns"]] == list(demo_result.data.columns)
    for j in range(len(demo_result.data.columns)):
        assert demo_page.count(f'id="chart-{j}"') == 1
    assert f'id="chart-{len(demo_result.data.columns)}"' not in demo_page
    assert 'id="heatmap"' in demo_page
    assert 'id="compare-chart"' in demo_page and '<select id="compare-column">' in demo_page
    assert 'id="flag-table"' in demo_page and 'id="flag-filter"' in demo_page


def test_summary_tables(demo_result, demo_page):
    own = page_without_plotly(demo_page)
    assert "2016-04-04 – 2023-12-25" in own
    for rule in demo_result.rules:
        assert f"<td>{rule.label}</td>" in own
    # the flag-count table: one row per column, the counts of each code
    codes = demo_result.flags
    for j, col in enumerate(demo_result.data.columns):
        row = re.search(rf'<tr data-column="{j}">(.*?)</tr>', own).group(1)
        for code in (9, 2, 1, 3, 4):
            n = int((codes[col] == code).sum())
            assert f'data-code="{code}">{n:,}</td>' in row


def test_json_has_every_flagged_point(demo_result, demo_page):
    data = payload(demo_page)
    assert data["is_time"] is True
    x_all = ms(demo_result.data.index)
    for j, col in enumerate(demo_result.data.columns):
        c = data["columns"][j]
        flagged = flagged_positions(demo_result, col)
        f = np.array(c["f"])
        x = np.array(c["x"])
        y = np.array(c["y"], dtype=float)
        shown_flagged = np.flatnonzero((f == 3) | (f == 4))
        np.testing.assert_array_equal(x[shown_flagged], x_all[flagged])
        np.testing.assert_allclose(y[shown_flagged], demo_result.data[col].to_numpy()[flagged])
        assert c["nf"] == flagged.size
        # which rules flagged each point, with its score
        for rd in c["rules"]:
            det = demo_result.detections[(col, data["rules"][rd["r"]]["label"])]
            assert len(rd["h"]) == det.n_outliers
            np.testing.assert_array_equal(x[rd["h"]], x_all[np.flatnonzero(det.mask)])
            np.testing.assert_allclose(np.array(rd["s"], dtype=float), det.score[det.mask], rtol=1e-3)
        # not downsampled: every non-missing value is there
        assert not c["ds"] and c["ns"] == c["nv"] == int(demo_result.data[col].notna().sum())


def test_missing_values_break_the_line(demo_result, demo_page):
    data = payload(demo_page)
    col = demo_result.data.columns[0]
    values = demo_result.data[col].to_numpy()
    shown = np.flatnonzero(~np.isnan(values))
    expected = [k for k in range(1, shown.size) if np.isnan(values[shown[k - 1] + 1:shown[k]]).any()]
    assert data["columns"][0]["gaps"] == expected and expected


def test_flagged_table_matches_outliers(demo_result, demo_page):
    data = payload(demo_page)
    rows = data["table"]["rows"]
    out = demo_result.outliers
    assert data["table"]["total"] == len(out) == len(rows)
    cols = [data["columns"][r[0]]["name"] for r in rows]
    rules = [data["rules"][r[3]]["label"] for r in rows]
    assert cols == out["column"].tolist()
    assert rules == out["method"].tolist()
    assert [r[1] for r in rows] == out["time"].dt.strftime("%Y-%m-%d").tolist()
    np.testing.assert_allclose([r[2] for r in rows], out["value"])
    assert {r[4] for r in rows} == {3}  # the seed rules are "suspect"


def test_bounds_are_scalars_for_whole_series_rules(demo_result, demo_page):
    data = payload(demo_page)
    c = data["columns"][3]
    for rd in c["rules"]:
        det = demo_result.detections[(c["name"], data["rules"][rd["r"]]["label"])]
        assert rd["lo"] == pytest.approx(det.lower[0], rel=1e-7)
        assert rd["hi"] == pytest.approx(det.upper[0], rel=1e-7)


def test_bounds_per_point_for_windowed_rules():
    frame = demo()[["pH(Mun-Ui)"]]
    res = aquaflag.detect(frame, method="zscore", window=9)
    det = res.detections[("pH(Mun-Ui)", "zscore")]
    c = payload(report.write_report(res))["columns"][0]
    rd = c["rules"][0]
    assert isinstance(rd["lo"], list) and len(rd["lo"]) == c["ns"]
    shown = np.flatnonzero(frame["pH(Mun-Ui)"].notna().to_numpy())
    expected = det.lower[shown]
    got = np.array([np.nan if v is None else v for v in rd["lo"]])
    np.testing.assert_allclose(got, expected, rtol=1e-6)


# ----------------------------------------------------------------------------- languages
def test_english_and_korean_strings(demo_result, demo_page):
    assert set(report.STRINGS["en"]) == set(report.STRINGS["ko"])
    assert '<html lang="en">' in demo_page
    for text in ("Summary", "Flagged values", "Monthly overview", "Method comparison", "Configuration"):
        assert f">{text}</h2>" in demo_page
    ko = report.write_report(demo_result, lang="ko")
    assert '<html lang="ko">' in ko
    for text in ("요약", "이상값 목록", "월별 이상값 현황", "방법 비교", "실행 설정", "시계열 그래프"):
        assert f">{text}</h2>" in ko
    assert payload(ko)["t"]["suspect"] == "의심"
    assert "요약" not in page_without_plotly(demo_page)


def test_korean_column_names_kept_as_text():
    res = aquaflag.detect(demo(korean=True), method="seed")
    page = report.write_report(res, lang="ko")
    data = payload(page)
    assert data["columns"][0]["name"] == "수온(문의)"
    assert ">수온(문의)" in page  # raw UTF-8, not escaped to entities
    assert data["columns"][0]["unit"] == "°C"


# ----------------------------------------------------------------------------- escaping
def test_hostile_column_name_and_rule_label_are_text():
    frame = demo()[["pH(Mun-Ui)", "DO(Mun-Ui)"]].rename(columns={"pH(Mun-Ui)": HOSTILE})
    label = "<img src=x onerror=alert(2)>"
    res = evaluate(frame, [Rule("iqr", label=label), Rule("zscore")])
    page = report.write_report(res)
    own = page_without_plotly(page)
    assert HOSTILE not in own
    assert label not in own
    assert html.escape(HOSTILE) in own
    assert html.escape(label) in own
    assert own.count("<script") == 3 and own.count("</script>") == 3
    raw_json = DATA_RE.search(page).group(1)
    assert "<" not in raw_json and ">" not in raw_json and "&" not in raw_json
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in raw_json
    data = payload(page)
    assert data["columns"][0]["name"] == HOSTILE  # the script shows it as text
    assert data["rules"][0]["label"] == label
    # the summary for Jupyter too
    frag = report.summary_html(res)
    assert HOSTILE not in frag and html.escape(HOSTILE) in frag and label not in frag


def test_hostile_file_name_is_escaped(tmp_path):
    name = '<img src=x onerror=alert(1)>&"x".csv'
    path = tmp_path / name
    frame = demo().iloc[:60, :2]
    frame.to_csv(path, index_label="Date")
    data = aquaflag.read(path)
    res = aquaflag.detect(data, method="iqr")
    assert res.source is not None and name in str(res.source.path)
    page = report.write_report(res)
    own = page_without_plotly(page)
    assert "<img" not in own
    assert html.escape(name) in own  # in the summary
    assert f"<title>aquaflag report — {html.escape(name)}</title>" in own
    config = html.unescape(re.search(r'<pre id="config-text">(.*?)</pre>', own, re.DOTALL).group(1))
    assert json.dumps(str(res.source.path), ensure_ascii=False) in config


def test_json_for_script_escapes_everything_that_could_end_the_element():
    text = report._json_for_script({"a": "</script><!-- & \u2028 \u2029 >"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"a": "</script><!-- & \u2028 \u2029 >"}


# ----------------------------------------------------------------------------- long series
def test_downsampling_keeps_every_flagged_point_and_says_so(long_series):
    res = long_series
    col = "DO(Hoe-Nam)"
    page = report.write_report(res, max_points=2000)
    c = payload(page)["columns"][0]
    flagged = flagged_positions(res, col)
    n_valid = int(res.data[col].notna().sum())
    assert flagged.size > 50
    assert c["ds"] and c["nv"] == n_valid == 198_000
    assert c["ns"] <= 2000 + flagged.size + 2
    assert c["ns"] >= 1500
    x = np.array(c["x"])
    f = np.array(c["f"])
    x_all = ms(res.data.index)
    # every flagged point is there, and marked as flagged
    assert set(x_all[flagged]) <= set(x.tolist())
    np.testing.assert_array_equal(x[(f == 3) | (f == 4)], x_all[flagged])
    # the extremes of the series are kept (MinMax)
    values = res.data[col].to_numpy()
    for extreme in (np.nanargmax(values), np.nanargmin(values)):
        assert x_all[extreme] in set(x.tolist())
    # the block of missing values is a gap in the line
    assert any(x[k - 1] < x_all[50_000] and x[k] >= x_all[52_000] for k in c["gaps"])
    inside = (x >= x_all[50_000]) & (x < x_all[52_000])
    assert not inside.any()
    # and the page says what it shows
    note = re.search(r'<p class="ds-note" id="ds-note-0">(.*?)</p>', page).group(1)
    assert note == (f"showing {c['ns']:,} of 198,000 points; all {flagged.size:,} flagged points kept")
    ko = report.write_report(res, max_points=2000, lang="ko")
    note_ko = re.search(r'<p class="ds-note" id="ds-note-0">(.*?)</p>', ko).group(1)
    assert note_ko == f"전체 198,000개 중 {c['ns']:,}개 표시, 이상값 {flagged.size:,}개는 모두 포함"


def test_short_series_are_not_downsampled(demo_page):
    assert "all 398 points shown" in demo_page


def test_downsampled_page_stays_small(long_series):
    page = report.write_report(long_series, max_points=2000)
    data_bytes = len(DATA_RE.search(page).group(1).encode())
    assert data_bytes < 200_000


# ----------------------------------------------------------------------------- heat map
def test_heatmap_counts_equal_flags_grouped_by_month(demo_result, demo_page):
    heat = payload(demo_page)["heat"]
    flags = demo_result.flags
    flagged = flags.isin([3, 4])
    by_month = flagged.groupby(flagged.index.to_period("M")).sum()
    months = pd.period_range(flags.index.min(), flags.index.max(), freq="M")
    by_month = by_month.reindex(months, fill_value=0)
    assert heat["months"] == [str(p) for p in months]
    assert heat["cols"] == list(flags.columns)
    np.testing.assert_array_equal(np.array(heat["z"]), by_month.to_numpy().T)
    suspect = (flags == 3).groupby(flags.index.to_period("M")).sum().reindex(months, fill_value=0)
    np.testing.assert_array_equal(np.array(heat["zs"]), suspect.to_numpy().T)
    assert np.array(heat["z"]).sum() == int(flagged.to_numpy().sum())


def test_heatmap_uses_local_time_of_a_tz_aware_index():
    frame = demo().iloc[:80, :3]
    frame.index = frame.index.tz_localize("Asia/Seoul")
    res = aquaflag.detect(frame, method="iqr")
    page = report.write_report(res)
    data = payload(page)
    assert data["heat"]["months"][0] == "2016-04"
    assert "times shown in Asia/Seoul" in page
    # times are the wall-clock times of the index
    assert data["columns"][0]["x"][0] == int(pd.Timestamp("2016-04-04").value // 10**6)


# ----------------------------------------------------------------------------- config
def test_config_block_reproduces_the_run(demo_result, demo_page):
    own = page_without_plotly(demo_page)
    assert f'<code id="aquaflag-version">{aquaflag.__version__}</code>' in own
    text = html.unescape(re.search(r'<pre id="config-text">(.*?)</pre>', own, re.DOTALL).group(1))
    assert text.startswith(f"# aquaflag {aquaflag.__version__}")
    rules = parse_config(text).rules
    assert [r.method for r in rules] == [r.method for r in demo_result.rules]
    again = evaluate(demo_result.data, rules)
    pd.testing.assert_frame_equal(again.flags, demo_result.flags)


def test_config_with_labels_columns_and_severity_round_trips():
    frame = demo()
    rules = [Rule("iqr", {"threshold": 2.0}, columns=("pH*",), severity="fail", label='iqr "strict"'),
             Rule("modified_zscore", columns=("DO(Mun-Ui)", "수온*"))]
    res = evaluate(frame, rules)
    again_rules = parse_config(report.config_toml(res)).rules
    again = evaluate(frame, again_rules)
    pd.testing.assert_frame_equal(again.flags, res.flags)
    assert again_rules[0].label == 'iqr "strict"' and again_rules[0].columns == ("pH*",)


def test_config_text_is_shown_escaped_when_given(demo_result):
    text = '[[rules]]\nmethod = "iqr"  # <b>not bold</b>\n'
    page = report.write_report(demo_result, config_text=text)
    assert f'<pre id="config-text">{html.escape(text)}</pre>' in page


# ----------------------------------------------------------------------------- other shapes
def test_range_index_has_no_monthly_overview_and_says_so():
    frame = demo().iloc[:, :3].reset_index(drop=True)
    res = aquaflag.detect(frame, method="seed")
    page = report.write_report(res)
    data = payload(page)
    assert data["heat"] is None and data["is_time"] is False
    assert 'id="heatmap"' not in page and 'id="no-heatmap"' in page
    assert "no monthly overview" in page
    assert "no dates (rows 0 to 403)" in page
    for j in range(3):
        assert f'id="chart-{j}"' in page
    c = data["columns"][1]
    flagged = flagged_positions(res, frame.columns[1])
    f = np.array(c["f"])
    assert np.array(c["x"])[(f == 3) | (f == 4)].tolist() == flagged.tolist()
    ko = report.write_report(res, lang="ko")
    assert "날짜 색인이 없어" in ko


def test_single_rule_has_no_comparison():
    res = aquaflag.detect(demo(), method="iqr")
    page = report.write_report(res)
    data = payload(page)
    assert data["compare"] == []
    assert 'id="compare-chart"' not in page and 'href="#compare"' not in page
    assert all(len(c["rules"]) == 1 for c in data["columns"])
    assert page.count('<div class="chart" id="chart-') == 12


def test_nothing_flagged_and_an_empty_column():
    frame = pd.DataFrame({"a": np.linspace(7, 8, 50), "b": np.nan},
                         index=pd.date_range("2020-01-01", periods=50, freq="D"))
    res = aquaflag.detect(frame, method="iqr")
    page = report.write_report(res)
    assert "No value was flagged." in page
    assert "no values in this column" in page
    assert payload(page)["columns"][1]["x"] == []


def test_series_result_and_numeric_index():
    s = pd.Series([7.1, 7.3, 7.2, 7.4, 7.2, 9.9, 7.3, 7.1], name="pH", index=np.arange(8) * 0.5)
    page = report.write_report(aquaflag.detect(s, method="modified_zscore"))
    c = payload(page)["columns"][0]
    assert c["x"][5] == 2.5 and c["f"][5] == 3


def test_bad_arguments():
    res = aquaflag.detect(demo().iloc[:, :1], method="iqr")
    with pytest.raises(ParameterError, match="lang"):
        report.write_report(res, lang="fr")
    with pytest.raises(ParameterError, match="max_points"):
        report.write_report(res, max_points=2)
    with pytest.raises(ParameterError, match="max_points"):
        report.write_report(res, max_points=True)


# ----------------------------------------------------------------------------- summary_html
def test_summary_html(demo_result, monkeypatch):
    frag = report.summary_html(demo_result)
    assert frag.startswith('<div class="aquaflag-summary"')
    assert frag.count("<tr>") == 1 + 48  # header, 12 columns x 4 rules
    monkeypatch.setattr(report.tables, "MAX_SUMMARY_ROWS", 10)
    frag = report.summary_html(demo_result)
    assert frag.count("<tr>") == 1 + 10 + 1  # header, rows, "more"
    assert "38 more (see Result.summary)" in frag
    monkeypatch.undo()
    small = aquaflag.detect(demo().iloc[:, :2], method="seed")
    frag = report.summary_html(small)
    assert frag.count("<tr>") == 1 + 8
    n_flagged = int(small.flags.isin([3, 4]).to_numpy().sum())
    assert f"{n_flagged} flagged" in frag
    assert "<th>평가 수</th>" in report.summary_html(small, lang="ko")


# ----------------------------------------------------------------------------- imports
def test_import_is_light():
    code = ("import sys, aquaflag.report; "
            "bad = [m for m in ('plotly', 'tsdownsample', 'matplotlib') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr

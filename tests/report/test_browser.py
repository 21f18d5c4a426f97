"""The HTML report in a real browser: headless Chromium driven by Selenium.

Needs the Debian packages ``chromium`` and ``chromium-driver`` (the system
chromedriver is used; no browser or driver is ever downloaded) and the pip
package ``selenium``. Without them the tests are skipped with the reason.

Each test opens a report from a ``file://`` URL (the page must work offline)
and checks that it loads with no JavaScript error (uncaught errors, rejected
promises and console errors), that every chart drew, and that the page takes a
non-trivial screenshot.
"""

from __future__ import annotations

import os
import shutil
import struct
import time
from pathlib import Path

import pytest

import aquaflag
from aquaflag.datasets import demo

from aquaflag import report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None
)
if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip("chromium not installed: apt-get install chromium chromium-driver",
                allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver",
                                reason="selenium not installed: pip install selenium")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

#: Installed before any script of the page runs: collects errors and alert() calls.
CATCH_ERRORS = """
window.__aquaflag_errors = [];
window.__aquaflag_alerts = [];
window.addEventListener("error", function (e) {
  window.__aquaflag_errors.push("error: " + (e.message || e.type) + " @" + (e.filename || "") + ":" + (e.lineno || ""));
}, true);
window.addEventListener("unhandledrejection", function (e) {
  window.__aquaflag_errors.push("unhandled rejection: " + String(e.reason));
});
var __origError = console.error;
console.error = function () {
  window.__aquaflag_errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
  return __origError.apply(console, arguments);
};
window.alert = function (m) { window.__aquaflag_alerts.push(String(m)); };
"""

RENDER_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager fetch anything
    profile = tmp_path_factory.mktemp("chromium-profile")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--allow-file-access-from-files", f"--user-data-dir={profile}",
                "--window-size=1280,1000"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"chromium could not be started ({type(exc).__name__}: {str(exc)[:300]}); "
                    "apt-get install chromium chromium-driver")
    driver.set_page_load_timeout(RENDER_TIMEOUT)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    yield driver
    driver.quit()


def open_report(driver, path: Path) -> float:
    """Load a report, wait for every chart to be drawn; return the seconds it took."""
    driver.get_log("browser")  # drop messages of earlier pages
    start = time.perf_counter()
    driver.get(path.resolve().as_uri())
    state = None
    while time.perf_counter() - start < RENDER_TIMEOUT:
        state = driver.execute_script("return document.body && document.body.getAttribute('data-rendered')")
        if state:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    assert state == "true", f"the page did not finish drawing (state {state!r}); errors: {errors(driver)}"
    return elapsed


def errors(driver) -> list[str]:
    """JavaScript errors: caught in the page, and SEVERE entries of the browser log."""
    caught = driver.execute_script("return window.__aquaflag_errors || []") or []
    logged = [f"{e.get('level')}: {e.get('message')}" for e in driver.get_log("browser")
              if e.get("level") == "SEVERE"]
    return list(caught) + logged


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def drawn_charts(driver) -> dict[str, bool]:
    return driver.execute_script("""
        var out = {};
        document.querySelectorAll("div.chart").forEach(function (d) {
          out[d.id] = !!d.querySelector("svg.main-svg") && !!d.querySelector(".plot-container");
        });
        return out;
    """)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_demo_report_loads_draws_and_screenshots(browser, tmp_path, lang):
    res = aquaflag.detect(demo(korean=(lang == "ko")), method="seed")
    page = report.write_report(res, tmp_path / f"report_{lang}.html", lang=lang)
    open_report(browser, page)
    assert errors(browser) == []
    drawn = drawn_charts(browser)
    expected = {f"chart-{j}" for j in range(len(res.data.columns))} | {"heatmap", "compare-chart"}
    assert set(drawn) == expected
    assert all(drawn.values()), drawn
    # each column chart holds its series line; the flagged points are drawn as markers
    n_points = browser.execute_script(
        "return Array.from(document.querySelectorAll('#chart-3 .scatterlayer .point')).length")
    assert n_points > 300
    # the table lists every flag
    rows = browser.find_elements(By.CSS_SELECTOR, "#flag-table tbody tr")
    assert len(rows) == len(res.outliers)
    # the comparison has one panel per rule
    titles = browser.execute_script(
        "return Array.from(document.querySelectorAll('#compare-chart .annotation-text')).map(e => e.textContent)")
    assert [t.split(":")[0] for t in titles] == res.labels
    shot = tmp_path / f"report_{lang}.png"
    assert browser.save_screenshot(str(shot))
    width, height = png_size(shot)
    assert width >= 800 and height >= 600
    assert shot.stat().st_size > 20_000  # a blank page compresses to a few kB


def test_picking_a_column_redraws_the_comparison(browser, tmp_path):
    res = aquaflag.detect(demo(), method="seed")
    open_report(browser, report.write_report(res, tmp_path / "r.html"))
    browser.execute_script("""
        var s = document.getElementById('compare-column');
        s.value = '0'; s.dispatchEvent(new Event('change'));
    """)
    n0 = {lab: res.detections[(res.data.columns[0], lab)].n_outliers for lab in res.labels}
    expected = [f"{lab}: {n0[lab]} outliers" for lab in res.labels]
    deadline = time.perf_counter() + 20
    while True:
        titles = browser.execute_script(
            "return Array.from(document.querySelectorAll('#compare-chart .annotation-text'))"
            ".map(e => e.textContent)")
        if titles == expected or time.perf_counter() > deadline:
            break
        time.sleep(0.1)
    assert titles == expected
    assert errors(browser) == []


def test_table_sorts_and_filters(browser, tmp_path):
    res = aquaflag.detect(demo(), method="seed")
    open_report(browser, report.write_report(res, tmp_path / "r.html"))

    def column(k):
        return [r.text for r in browser.find_elements(By.CSS_SELECTOR, f"#flag-table tbody td:nth-child({k})")]

    header = browser.find_element(By.CSS_SELECTOR, '#flag-table th[data-k="2"] button')
    header.click()
    values = [float(v) for v in column(3)]
    assert values == sorted(values)
    header.click()
    values = [float(v) for v in column(3)]
    assert values == sorted(values, reverse=True)
    assert browser.find_element(By.CSS_SELECTOR, '#flag-table th[data-k="2"]').get_attribute(
        "aria-sort") == "descending"
    box = browser.find_element(By.ID, "flag-filter")
    box.send_keys("adjusted_boxplot")
    rules = column(4)
    expected = int((res.outliers["method"] == "adjusted_boxplot").sum())
    assert len(rules) == expected and set(rules) == {"adjusted_boxplot"}
    assert browser.find_element(By.ID, "flag-count").text == f"{expected} of {len(res.outliers)} rows"
    assert errors(browser) == []


def test_hover_names_the_rules_and_scores(browser, tmp_path):
    res = aquaflag.detect(demo(), method="seed")
    col = "DO(Hoe-Nam)"
    j = list(res.data.columns).index(col)
    open_report(browser, report.write_report(res, tmp_path / "r.html"))
    text = browser.execute_script(f"""
        var gd = document.getElementById('chart-{j}');
        var k = gd.data.findIndex(function (t) {{ return t.legendgroup === 'f3'; }});
        var i = gd.data[k].y.indexOf(Math.max.apply(null, gd.data[k].y));
        Plotly.Fx.hover(gd, [{{curveNumber: k, pointNumber: i}}]);
        return Array.from(document.querySelectorAll('#chart-{j} .hoverlayer text')).map(e => e.textContent).join(' | ');
    """)
    labels = [lab for lab in res.labels if res.detections[(col, lab)].n_outliers]
    assert labels and "score" in text
    for lab in labels:
        assert lab in text


def test_off_scale_values_sit_at_the_edge_with_their_true_value(browser, tmp_path):
    """A value ten times the rest (258 °C, a typo of 25.8) no longer flattens its chart."""
    res = aquaflag.detect(demo(), method="seed")
    col = "Water Temperature(Chu-Dong)"
    j = list(res.data.columns).index(col)
    open_report(browser, report.write_report(res, tmp_path / "r.html"))
    info = browser.execute_script(f"""
        var gd = document.getElementById('chart-{j}');
        var k = gd.data.findIndex(function (t) {{ return t.legendgroup === 'off'; }});
        var t = gd.data[k];
        var i = t.customdata.findIndex(function (c) {{ return c[0] === '258'; }});
        Plotly.Fx.hover(gd, [{{curveNumber: k, pointNumber: i}}]);
        var text = Array.from(document.querySelectorAll('#chart-{j} .hoverlayer text')).map(e => e.textContent).join(' | ');
        return {{range: gd.layout.yaxis.range, y: t.y[i], symbol: t.marker.symbol[i], name: t.name, text: text,
                 drawn: document.querySelectorAll('#chart-{j} .scatterlayer .trace:nth-child(' + (k + 1) + ') .point').length}};
    """)
    lo, hi = info["range"]
    assert hi < 100 and lo > -50  # the good values (3-30 °C) and the bounds near them; not 258
    assert lo < info["y"] <= hi and info["symbol"] == "triangle-up"
    assert info["name"].startswith("off scale (") and info["drawn"] >= 1
    assert "258" in info["text"] and "2018-08-20" in info["text"] and "off the scale" in info["text"]
    for lab in res.labels:
        if res.detections[(col, lab)].mask[res.data[col].to_numpy() == 258].any():
            assert lab in info["text"]
    assert errors(browser) == []


def test_hostile_names_are_shown_as_text(browser, tmp_path):
    hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    frame = demo()[["pH(Mun-Ui)", "pH(Chu-Dong)"]].rename(columns={"pH(Mun-Ui)": hostile})
    res = aquaflag.evaluate(frame, [aquaflag.Rule("iqr", label="<b>iqr</b>"), aquaflag.Rule("zscore")])
    name = tmp_path / "<svg onload=alert(3)>.html"
    open_report(browser, report.write_report(res, name))
    assert browser.execute_script("return window.__aquaflag_alerts") == []
    assert errors(browser) == []
    assert browser.find_element(By.CSS_SELECTOR, "#col-0 h3").text.startswith(hostile)
    first_cell = browser.find_element(By.CSS_SELECTOR, "#flag-table tbody td")
    assert first_cell.text == hostile
    ticks = browser.execute_script(
        "return Array.from(document.querySelectorAll('#heatmap .ytick text')).map(e => e.textContent)")
    assert hostile[:47] + "\u2026" in ticks  # long names are cut on the heat map's axis, as text
    legend = browser.execute_script(
        "return Array.from(document.querySelectorAll('#chart-0 .legendtext')).map(e => e.textContent)")
    assert any(t.startswith("<b>iqr</b>") for t in legend)
    assert not browser.find_elements(By.CSS_SELECTOR, "main img, main svg[onload], main b > b")

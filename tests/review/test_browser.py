"""The review app in a real browser: headless Chromium (Selenium) against the app on a free localhost port.

Needs the Debian packages ``chromium`` and ``chromium-driver`` (the system
chromedriver; nothing is downloaded) and selenium; without them the module skips
and says why. The flow a technician follows: open the demo store's series list,
open a series, drag a time range in the chart, reject it with a reason, reload
(the decision is there: flags, history), undo it; no JavaScript error at any
point (uncaught errors, rejected promises, console errors, CSP violations).

The screenshots go to the test's temporary folder; with
``AQUAFLAG_DOCS_IMG=docs/img`` they are also written there (the images of
``docs/review.md``, made from the demo data by this test).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag.store import open_store

from .conftest import TOKENS

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)
if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip("chromium not installed: apt-get install chromium chromium-driver", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed: pip install selenium")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402

SERIES = "pH(Mun-Ui)"
TIMEOUT = 60.0

#: Installed before any script of a page runs: collects errors and alert() calls.
CATCH_ERRORS = """
window.__errors = []; window.__alerts = [];
window.addEventListener("error", function (e) {
  window.__errors.push("error: " + (e.message || e.type) + " @" + (e.filename || "") + ":" + (e.lineno || ""));
}, true);
window.addEventListener("unhandledrejection", function (e) { window.__errors.push("rejection: " + String(e.reason)); });
document.addEventListener("securitypolicyviolation", function (e) {
  window.__errors.push("CSP: " + e.violatedDirective + " " + e.blockedURI);
});
var __err = console.error;
console.error = function () { window.__errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
  return __err.apply(console, arguments); };
window.alert = function (m) { window.__alerts.push(String(m)); };
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager fetch anything
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
                "--window-size=1280,1300", "--force-device-scale-factor=1", "--lang=en-US"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"chromium could not be started ({type(exc).__name__}: {str(exc)[:300]})")
    driver.set_page_load_timeout(TIMEOUT)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": CATCH_ERRORS})
    yield driver
    driver.quit()


@pytest.fixture
def shots(tmp_path):
    """``shot(driver, name)``: a screenshot in tmp_path, and in $AQUAFLAG_DOCS_IMG when set."""
    docs = os.environ.get("AQUAFLAG_DOCS_IMG")

    def shot(driver, name: str, element=None) -> Path:
        path = tmp_path / name
        ok = element.screenshot(str(path)) if element is not None else driver.save_screenshot(str(path))
        assert ok and path.stat().st_size > 15_000, f"{name}: blank screenshot?"
        if docs:
            Path(docs).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, Path(docs) / name)
        return path

    return shot


def errors(driver) -> list[str]:
    caught = driver.execute_script("return (window.__errors || []).concat(window.__alerts || [])") or []
    logged = [f"{e.get('level')}: {e.get('message')}" for e in driver.get_log("browser")
              if e.get("level") == "SEVERE"]
    return list(caught) + logged


def wait_for(driver, script: str, what: str, timeout: float = TIMEOUT):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        got = driver.execute_script(script)
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}; errors: {errors(driver)}")


def open_page(driver, url: str) -> None:
    driver.get(url)
    wait_for(driver, "return document.body.getAttribute('data-rendered') === 'true'", f"{url} to render")


def draws(driver) -> int:
    return int(driver.execute_script("return +(document.body.getAttribute('data-draws') || 0)"))


def mouse_drag(driver, x0_js: str, x1_js: str) -> None:
    """Drag the mouse across the chart from x0 to x1 (JavaScript expressions of chart x, ms)."""
    px = driver.execute_script(f"var xa = document.getElementById('chart')._fullLayout.xaxis; "
                               f"return [xa.d2p({x0_js}), xa.d2p({x1_js})];")
    drag = driver.find_element(By.CSS_SELECTOR, "#chart .nsewdrag")
    half = drag.size["width"] / 2
    step = (px[1] - px[0]) / 2
    ActionChains(driver).move_to_element_with_offset(drag, round(px[0] - half), -20).click_and_hold() \
        .move_by_offset(round(step), 10).move_by_offset(round(px[1] - px[0]) - round(step), 10).release().perform()


def test_select_reject_reload_undo(browser, serve, demo_path, shots):
    live = serve(demo_path, local_name="Kim Min-ji")
    d = browser
    d.get_log("browser")
    open_page(d, live.url + "/")
    rows = d.find_elements(By.CSS_SELECTOR, "#series-table tbody tr")
    assert len(rows) == 12
    counts = [int(r.find_elements(By.TAG_NAME, "td")[6].text.replace(",", "")) for r in rows]
    assert counts == sorted(counts, reverse=True) and counts[0] > 0  # unreviewed flags first
    shots(d, "review-list.png")

    d.find_element(By.LINK_TEXT, SERIES).click()
    wait_for(d, "return location.pathname === '/series' && document.body.getAttribute('data-rendered') === 'true'",
             "the series page")
    assert d.find_element(By.ID, "series-name").text == SERIES
    assert d.execute_script("return document.querySelectorAll('#chart .scatterlayer .trace').length") >= 2
    kind = wait_for(d, "var r = document.querySelector('#history-table tbody tr'); return r && r.dataset.kind",
                    "the history")
    assert kind == "run"
    shots(d, "review-series.png")

    # zoom into 2022 with the mouse: the window is fetched again at the chart's resolution
    before = draws(d)
    mouse_drag(d, "Date.UTC(2022, 1, 1)", "Date.UTC(2022, 8, 30)")
    wait_for(d, f"return +(document.body.getAttribute('data-draws')||0) > {before}", "the zoom re-fetch")
    last = d.execute_script("return window.__aquaflagReview.last")
    assert last["window"] is not None and 25 < last["points"] < 45  # every weekly value of the window

    # select the run of repeated values (a stuck probe) flagged in 2022 by dragging a time range
    d.find_element(By.CSS_SELECTOR, "label[for=mode-select]").click()
    wait_for(d, "return document.getElementById('chart')._fullLayout.dragmode === 'select'", "select mode")
    run = d.execute_script("""
        var gd = document.getElementById('chart'), line = gd.data[0].x.filter(function (x) { return x !== null; });
        var xs = gd.data.filter(function (t) { return t.legendgroup === 'f3'; })[0].x.slice().sort();
        var a = line.indexOf(xs[0]), b = line.indexOf(xs[xs.length - 1]);
        return [(line[a - 1] + line[a]) / 2, (line[b] + line[b + 1]) / 2, xs.length];
    """)
    mouse_drag(d, str(run[0]), str(run[1]))
    summary = wait_for(d, "var t = document.getElementById('sel-summary').textContent; "
                          "return /values in the time range/.test(t) && t", "the selection summary")
    n_selected = int(summary.split(" ")[0].replace(",", ""))
    assert n_selected == run[2] and f"{n_selected} unreviewed" in summary
    assert d.find_element(By.ID, "reject").get_attribute("disabled")  # no reason yet
    d.find_element(By.ID, "reason").send_keys("probe stuck at 7.9 (repeated values); field sheet of 2022-06-27")
    d.execute_script("document.getElementById('chart').scrollIntoView()")
    shots(d, "review-selected.png")
    before = draws(d)
    d.find_element(By.ID, "reject").click()
    wait_for(d, f"return +(document.body.getAttribute('data-draws')||0) > {before} && "
                "/rejected by Kim Min-ji/.test(document.getElementById('status').textContent)", "the decision")
    wait_for(d, "return document.querySelector('#history-table tbody tr').dataset.kind === 'decision'", "history")
    with open_store(demo_path) as store:
        dec = store.decisions(SERIES)
        assert len(dec) == 1 and dec["action"].iloc[0] == "reject" and dec["reviewer"].iloc[0] == "Kim Min-ji"
        assert dec["n_values"].iloc[0] == n_selected
        n_fail = int((store.flags(SERIES)[SERIES] == 4).sum())
    assert n_fail >= n_selected
    d.execute_script("document.getElementById('chart').scrollIntoView()")
    shots(d, "review-decided.png")

    # reload: the decision is still there (flags, history)
    d.refresh()
    wait_for(d, "return document.body.getAttribute('data-rendered') === 'true' && "
                "document.querySelector('#history-table tbody tr')", "the reloaded page")
    decided = d.execute_script("return document.getElementById('chart').data.filter(function (t) { "
                               "return /^decided/.test(t.name); }).map(function (t) { return t.x.length; })")
    assert decided == [n_selected]
    fails = d.execute_script("return document.getElementById('chart').data.filter(function (t) { "
                             "return t.legendgroup === 'f4' || t.legendgroup === 'off'; })"
                             ".reduce(function (a, t) { return a + t.x.length; }, 0)")
    assert fails == n_fail
    first = d.find_element(By.CSS_SELECTOR, "#history-table tbody tr")
    assert "reject (decision" in first.text and "Kim Min-ji" in first.text and "probe stuck" in first.text

    # undo it (a new ledger entry), with a reason
    d.find_element(By.ID, "reason").send_keys("lab pH of 2022-05-30 agrees: not stuck")
    history = d.find_element(By.ID, "history")
    d.execute_script("arguments[0].scrollIntoView()", history)
    first.find_element(By.CSS_SELECTOR, "button.undo").click()
    wait_for(d, "return /undone by Kim Min-ji/.test(document.getElementById('status').textContent)", "the undo")
    wait_for(d, "return document.querySelector('#history-table tbody tr').textContent.indexOf('undo') >= 0",
             "the undo in the history")
    rows = d.find_elements(By.CSS_SELECTOR, "#history-table tbody tr")
    assert "undo (entry" in rows[0].text and "undone" in rows[1].get_attribute("class")
    with open_store(demo_path) as store:
        dec = store.decisions(SERIES)
        assert list(dec["action"]) == ["reject", "undo"] and list(dec["active"]) == [False, True]
        assert int((store.flags(SERIES)[SERIES] == 4).sum()) == n_fail - n_selected
    shots(d, "review-history.png", element=history)

    # click a point, shift-click another: the time range between them; approve it: the page shows the lock
    d.find_element(By.CSS_SELECTOR, "label[for=mode-zoom]").click()
    d.execute_script("document.getElementById('chart').scrollIntoView()")
    pts = d.execute_script("""
        var gd = document.getElementById('chart'), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
        var t = gd.data[0], xs = [], ys = [];
        for (var i = 0; i < t.x.length; i++) { if (t.x[i] !== null) { xs.push(t.x[i]); ys.push(t.y[i]); } }
        var a = 20, b = 60, r = gd.querySelector('.nsewdrag').getBoundingClientRect();
        return [[xa.d2p(xs[a]) - r.width / 2, ya.d2p(ys[a]) - r.height / 2],
                [xa.d2p(xs[b]) - r.width / 2, ya.d2p(ys[b]) - r.height / 2], xs[a], xs[b]];
    """)
    drag = d.find_element(By.CSS_SELECTOR, "#chart .nsewdrag")
    ActionChains(d).move_to_element_with_offset(drag, round(pts[0][0]), round(pts[0][1])).click().perform()
    wait_for(d, "return /1 value at/.test(document.getElementById('sel-summary').textContent)", "a clicked point")
    ActionChains(d).move_to_element_with_offset(drag, round(pts[1][0]), round(pts[1][1])) \
        .key_down(Keys.SHIFT).click().key_up(Keys.SHIFT).perform()
    summary = wait_for(d, "var t = document.getElementById('sel-summary').textContent; "
                          "return /41 values in the time range/.test(t) && t", "a shift-clicked range")
    d.find_element(By.ID, "reason").send_keys("checked against the lab sheets of 2016")
    Select(d.find_element(By.ID, "level")).select_by_value("approved")
    d.find_element(By.ID, "approve-sel").click()
    wait_for(d, "return /set approved by Kim Min-ji/.test(document.getElementById('status').textContent)",
             "the approval")
    locked = wait_for(d, "var s = document.getElementById('sel-summary'); "
                         "return s.classList.contains('locked') && s.textContent", "the lock in the page")
    assert "Locked" in locked
    assert d.find_element(By.ID, "reject").get_attribute("disabled")
    assert d.execute_script("return document.getElementById('chart').layout.shapes.some(function (s) { "
                            "return s.fillcolor === '#c8ecd2'; })")  # the approved period, shaded
    with open_store(demo_path) as store:
        assert list(store.approval(SERIES)["level"]) == ["approved"]
    d.execute_script("document.getElementById('main').scrollIntoView()")
    shots(d, "review-approved.png")

    assert errors(d) == []


def test_login_and_hostile_names_in_the_page(browser, serve, tmp_path, shots):
    names = ["<img src=x onerror=alert(1)>", "=cmd|' /C calc'!A0", "수온(문의)"]
    idx = pd.date_range("2022-01-01", periods=300, freq="D")
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({n: rng.normal(10, 1, idx.size) for n in names}, index=idx)
    frame.iloc[100, :] = 30.0
    path = tmp_path / "h.sqlite"
    with open_store(path) as store:
        store.record_run(aquaflag.evaluate(frame, [aquaflag.Rule("modified_zscore")]))
    live = serve(path, tokens=TOKENS, allowed_hosts=None)
    d = browser
    d.get_log("browser")
    open_page(d, live.url + "/")
    assert d.find_elements(By.ID, "token")
    shots(d, "review-login.png")
    d.find_element(By.ID, "token").send_keys("tok-kim-0123456789abcdef")
    d.find_element(By.CSS_SELECTOR, "form.login button[type=submit]").click()
    wait_for(d, "return document.getElementById('series-table')", "the list after logging in")
    assert d.find_element(By.ID, "who").text.startswith("Reviewer: Kim Min-ji")
    links = [a.text for a in d.find_elements(By.CSS_SELECTOR, "#series-table td.name a")]
    assert sorted(links) == sorted(names)
    assert d.execute_script("return document.querySelectorAll('img').length") == 0
    for name in names:
        open_page(d, live.url + "/series?name=" + quote(name, safe=""))
        assert d.find_element(By.ID, "series-name").text == name
        assert d.execute_script("return document.querySelectorAll('img, iframe, object').length") == 0
        assert d.execute_script("return Array.from(document.scripts).map(function (s) { return s.src; })"
                                ".every(function (s) { return /\\/static\\//.test(s); })")
    assert errors(d) == []

"""The review app's security model, over HTTP: CSRF, origins, hosts, tokens, escaping, headers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag.store import open_store

from .conftest import TOKENS, Client

SERIES = "pH(Mun-Ui)"
HOSTILE = ["<script>alert(1)</script>", "=cmd|' /C calc'!A0", "수온(문의)", "a/b \"q\" & 'x' <img src=x onerror=alert(2)>"]


def first_x(c: Client, name: str = "pH%28Mun-Ui%29") -> float:
    return c.get(f"/api/series/chart?name={name}").json["x"][3]


def decide_body(x: float) -> dict:
    return {"series": SERIES, "selection": {"kind": "points", "x": [x]}, "action": "reject", "reason": "r"}


def test_every_response_has_the_security_headers_and_is_json(demo_path, serve):
    live = serve(demo_path)
    c = Client(live.url)
    for path in ("/", "/series?name=x", "/static/review.js", "/static/plotly.css", "/api/session",
                 "/api/series", "/api/nothing", "/static/../_app.py", "/static/nothing.js"):
        r = c.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"
        if path.startswith("/api") or r.status >= 400:
            assert r.headers["Content-Type"].startswith("application/json"), path
            json.loads(r.body)
    assert c.get("/api/nothing").status == 404
    assert c.post("/api/series", {}).json["error"]  # 405, as JSON
    page = c.get("/").body.decode()
    assert "<script>" not in page and "<script src=\"/static/review.js\" defer></script>" in page
    assert "style=" not in page and "onclick" not in page  # no inline script or style in the page
    plotly = c.get("/static/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert plotly.status == 200 and plotly.headers["Content-Encoding"] == "gzip"


def test_session_cookie_is_httponly_and_samesite_strict(demo_path, serve):
    live = serve(demo_path)
    c = Client(live.url)
    r = c.get("/api/session")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert r.headers["Cache-Control"] == "no-store"


def test_writes_need_the_csrf_token_a_json_body_and_the_same_origin(demo_path, serve):
    live = serve(demo_path)
    c = Client(live.url)
    c.start()
    x = first_x(c)
    body = decide_body(x)
    assert Client(live.url).post("/api/decide", body).status == 401  # no session at all
    r = c.post("/api/decide", body, csrf=False)
    assert r.status == 403 and "CSRF" in r.json["error"]
    assert c.post("/api/decide", body, headers={"X-CSRF-Token": "forged"}, csrf=False).status == 403
    form = c.request("POST", "/api/decide", raw=b"series=pH&action=reject", content_type="application/x-www-form-urlencoded")
    assert form.status == 415
    plain = c.request("POST", "/api/decide", raw=json.dumps(body).encode(), content_type="text/plain")
    assert plain.status == 415  # what a cross-site form could send without a CORS preflight
    foreign = c.post("/api/decide", body, headers={"Origin": "http://evil.example"})
    assert foreign.status == 403 and "another site" in foreign.json["error"]
    assert c.post("/api/decide", body, headers={"Origin": "null"}).status == 403  # a sandboxed frame
    assert c.post("/api/decide", body, headers={"Origin": f"http://127.0.0.1:{live.port + 1}"}).status == 403
    with open_store(demo_path) as store:
        assert len(store.decisions()) == 0
    ok = c.post("/api/decide", body, headers={"Origin": live.url})
    assert ok.status == 200
    # no CORS grant is ever given
    assert "Access-Control-Allow-Origin" not in ok.headers


def test_other_host_names_are_refused_on_localhost(demo_path, serve):
    live = serve(demo_path)
    c = Client(live.url)
    r = c.get("/api/series", headers={"Host": f"rebind.evil.example:{live.port}"})
    assert r.status == 421 and "not served here" in r.json["error"]
    assert c.get("/api/series", headers={"Host": f"localhost:{live.port}"}).status == 200


def test_token_mode_reviewer_comes_from_the_token(demo_path, serve):
    live = serve(demo_path, tokens=TOKENS, allowed_hosts=None)
    anon = Client(live.url)
    s = anon.start()
    assert s["login"] is True and s["reviewer"] is None and s["csrf"] is None and s["store"] is None
    assert anon.get("/api/series").status == 401  # reads need a token too
    assert anon.login("not-a-token-at-all-xyz").status == 401
    kim = Client(live.url)
    assert kim.login("tok-kim-0123456789abcdef").status == 200
    assert kim.get("/api/session").json["reviewer"] == "Kim Min-ji"
    x = first_x(kim)
    body = dict(decide_body(x), reviewer="Lee")  # trying to decide in someone else's name
    assert kim.post("/api/decide", body).status == 200
    lee = Client(live.url, bearer="tok-lee-0123456789abcdef")  # a script: bearer token, no CSRF needed
    other = dict(decide_body(first_x(lee)), action="accept")
    assert lee.post("/api/decide", other).status == 200
    assert Client(live.url, bearer="tok-wrong-0123456789abc").get("/api/series").status == 401
    with open_store(demo_path) as store:
        assert list(store.decisions()["reviewer"]) == ["Kim Min-ji", "Lee"]
    assert kim.post("/api/logout").status == 200
    assert kim.get("/api/series").status == 401


def test_hostile_series_names_and_reasons_stay_text(tmp_path, serve):
    idx = pd.date_range("2022-01-01", periods=200, freq="D")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({n: rng.normal(10, 1, idx.size) for n in HOSTILE}, index=idx)
    frame.iloc[50, :] = 40.0
    path = tmp_path / "h.sqlite"
    with open_store(path) as store:
        store.record_run(aquaflag.evaluate(frame, [aquaflag.Rule("modified_zscore")]))
    live = serve(path)
    c = Client(live.url)
    c.start()
    raw = c.get("/api/series").body
    assert b"<" not in raw and b">" not in raw and b"&" not in raw  # escaped as \u003c ...
    names = [r["name"] for r in json.loads(raw)["series"]]
    assert sorted(names) == sorted(HOSTILE)
    from urllib.parse import quote

    for name in HOSTILE:
        info = c.get("/api/series/info?name=" + quote(name, safe="")).json
        assert info["name"] == name
        chart = c.get("/api/series/chart?name=" + quote(name, safe=""))
        assert chart.json["name"] == name and b"<script" not in chart.body
        x = chart.json["x"][50]
        r = c.post("/api/decide", {"series": name, "selection": {"kind": "points", "x": [x]}, "action": "reject",
                                   "reason": "</script><script>alert(3)</script> =HYPERLINK(\"x\")"})
        assert r.status == 200
        hist = c.get("/api/series/history?name=" + quote(name, safe=""))
        assert b"</script>" not in hist.body
        assert hist.json["rows"][0]["reason"].startswith("</script>")

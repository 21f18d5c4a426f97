"""The review app's HTTP API against a real server and a real store: reads, decisions, undo, approval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aquaflag.store import open_store

from .conftest import Client

SERIES = "pH(Mun-Ui)"


def expected_unreviewed(store, name: str) -> tuple[int, int]:
    """Unreviewed suspect/fail values, derived here from the store's public reads."""
    final = store.flags(name)[name].to_numpy()
    human = store.human(name)
    decided = set(pd.DatetimeIndex(human["time"]).asi8) if len(human) else set()
    idx = store.flags(name).index
    undecided = np.array([t not in decided for t in idx.asi8])
    appr = store.approval(name)
    locked = np.zeros(len(idx), dtype=bool)
    for s, e, lev in zip(appr["start"], appr["end"], appr["level"]):
        if lev == "approved":
            locked |= (idx >= s) & (idx <= e)
    keep = undecided & ~locked
    return int(((final == 3) & keep).sum()), int(((final == 4) & keep).sum())


def test_list_and_info_match_the_store(demo_path, serve):
    live = serve(demo_path)
    c = Client(live.url)
    me = c.start()
    assert me["reviewer"] and me["csrf"] and me["login"] is False
    rows = c.get("/api/series").json["series"]
    with open_store(demo_path) as store:
        assert [r["name"] for r in rows] == list(store.series()["name"])
        for r in rows:
            assert (r["unreviewed_suspect"], r["unreviewed_fail"]) == expected_unreviewed(store, r["name"])
            assert r["n_values"] == int(store.series().set_index("name").loc[r["name"], "n_values"])
    assert sum(r["unreviewed_suspect"] + r["unreviewed_fail"] for r in rows) > 0
    info = c.get("/api/series/info?name=" + "pH%28Mun-Ui%29").json
    assert info["name"] == SERIES and info["unit"] in ("", None) and info["meta"]["is_time"] is True
    missing = c.get("/api/series/info?name=pH%28Mun-Uj%29")
    assert missing.status == 400 and "did you mean 'pH(Mun-Ui)'" in missing.json["error"]


def test_chart_window_is_downsampled_at_the_asked_resolution_with_every_flag_kept(tmp_path, serve):
    import aquaflag

    idx = pd.date_range("2021-01-01", periods=60_000, freq="1min")
    rng = np.random.default_rng(3)
    v = 10 + np.sin(np.arange(idx.size) / 500) + rng.normal(0, 0.05, idx.size)
    v[rng.choice(idx.size, 40, replace=False)] += 9
    frame = pd.DataFrame({"temp": v}, index=idx)
    with open_store(tmp_path / "s.sqlite") as store:
        store.record_run(aquaflag.evaluate(frame, [aquaflag.Rule("modified_zscore")]))
        n_flagged = int(np.isin(store.flags("temp")["temp"].to_numpy(), (3, 4)).sum())
    live = serve(tmp_path / "s.sqlite")
    c = Client(live.url)
    whole = c.get("/api/series/chart?name=temp&points=800")
    assert whole.status == 200 and "app;dur=" in whole.headers["Server-Timing"]
    p = whole.json
    assert p["ds"] and p["nv"] == 60_000 and p["nf"] == n_flagged > 0
    assert p["ns"] <= 800 + n_flagged + 2
    assert sum(f in (3, 4) for f in p["f"]) == n_flagged  # every flagged value is drawn
    x0 = p["x"][100]
    x1 = x0 + 300 * 60_000  # 301 one-minute values
    zoom = c.get(f"/api/series/chart?name=temp&points=800&start={x0}&end={x1}").json
    assert zoom["window"] == [x0, x1] and not zoom["ds"] and zoom["x"][0] >= x0 and zoom["x"][-1] <= x1
    assert zoom["nv"] == len(zoom["x"]) == 301  # a narrow window shows every value


def test_decide_undo_and_final_flags_through_the_api(demo_path, serve):
    live = serve(demo_path, local_name="tech")
    c = Client(live.url)
    c.start()
    payload = c.get("/api/series/chart?name=pH%28Mun-Ui%29").json
    flagged = [i for i, f in enumerate(payload["f"]) if f == 3]
    x0, x1 = payload["x"][flagged[0]] - 1, payload["x"][flagged[0] + 3] + 1
    sel = {"kind": "range", "start": x0, "end": x1}
    preview = c.post("/api/preview", {"series": SERIES, "selection": sel}).json
    assert preview["n"] >= 4 and preview["unreviewed"] >= 1 and preview["locked"] is False
    with open_store(demo_path) as store:
        before = store.flags(SERIES)[SERIES]
    r = c.post("/api/decide", {"series": SERIES, "selection": sel, "action": "reject", "reason": "probe in mud",
                               "reviewer": "mallory"})  # a reviewer in the body is ignored
    assert r.status == 200, r.body
    (did,) = r.json["ids"]
    with open_store(demo_path) as store:
        d = store.decisions(SERIES)
        assert list(d["id"]) == [did] and d["reviewer"].iloc[0] == "tech" and d["reason"].iloc[0] == "probe in mud"
        after = store.flags(SERIES)[SERIES]
        inside = (after.index >= pd.Timestamp(preview["start"])) & (after.index <= pd.Timestamp(preview["end"]))
        assert (after[inside] == 4).all() and inside.sum() == preview["n"]
        assert (after[~inside] == before[~inside]).all()
    # the app shows the effect at once
    info = c.get("/api/series/info?name=pH%28Mun-Ui%29").json
    assert info["counts"]["decided"] == preview["n"]
    hist = c.get("/api/series/history?name=pH%28Mun-Ui%29").json["rows"]
    assert hist[0]["kind"] == "decision" and hist[0]["id"] == did and hist[0]["undoable"]
    assert hist[0]["reviewer"] == "tech" and hist[0]["reason"] == "probe in mud"
    # undo: a new ledger entry; the flags come back; nothing deleted
    u = c.post("/api/undo", {"series": SERIES, "decision": did, "reason": "wrong range"})
    assert u.status == 200, u.body
    with open_store(demo_path) as store:
        d = store.decisions(SERIES)
        assert list(d["id"]) == [did, u.json["id"]] and list(d["active"]) == [False, True]
        assert (store.flags(SERIES)[SERIES] == before).all()
    again = c.post("/api/undo", {"series": SERIES, "decision": did, "reason": "twice"})
    assert again.status == 400 and "already undone" in again.json["error"]
    # set_flag on points
    pts = {"kind": "points", "x": [payload["x"][i] for i in flagged[:2]]}
    s = c.post("/api/decide", {"series": SERIES, "selection": pts, "action": "set_flag", "flag": 3,
                               "reason": "confirmed suspect"})
    assert s.status == 200 and len(s.json["ids"]) == 2


BAD = [
    ({"action": "reject", "reason": "  "}, "reason is required"),
    ({"action": "reject"}, "reason is required"),
    ({"action": "delete", "reason": "x"}, "action must be"),
    ({"action": "set_flag", "flag": 9, "reason": "x"}, "flag 1, 2, 3 or 4"),
    ({"action": "set_flag", "flag": True, "reason": "x"}, "flag 1, 2, 3 or 4"),
    ({"action": "accept", "reason": "x", "selection": {"kind": "range", "start": 0, "end": 1}}, "no value"),
    ({"action": "accept", "reason": "x", "selection": {"kind": "range", "start": "soon", "end": 1}}, "time"),
    ({"action": "accept", "reason": "x", "selection": {"kind": "points", "x": []}}, "non-empty"),
    ({"action": "accept", "reason": "x", "selection": {"kind": "everything"}}, "kind must be"),
    ({"action": "accept", "reason": "x", "selection": None}, "selection must be"),
    ({"action": "accept", "reason": "x", "series": "nope"}, "no series 'nope'"),
    ({"action": "accept", "reason": "x" * 2001}, "over 2000"),
]


def test_bad_decisions_are_refused_in_one_line_and_write_nothing(demo_path, serve):
    live = serve(demo_path)
    c = Client(live.url)
    c.start()
    payload = c.get("/api/series/chart?name=pH%28Mun-Ui%29").json
    for body, words in BAD:
        full = {"series": SERIES, "selection": {"kind": "points", "x": [payload["x"][5]]}}
        full.update(body)
        r = c.post("/api/decide", full)
        assert r.status == 400 and words in r.json["error"] and "\n" not in r.json["error"], (body, r.json)
    assert c.request("POST", "/api/decide", raw=b"{not json").status == 400
    assert c.request("POST", "/api/decide", raw=b"[1, 2]").status == 400
    assert c.post("/api/undo", {"series": SERIES, "decision": 999, "reason": "x"}).status == 404
    assert c.post("/api/undo", {"series": SERIES, "decision": "1", "reason": "x"}).status == 400
    assert c.post("/api/approval", {"series": SERIES, "level": "final", "reason": "x"}).status == 400
    with open_store(demo_path) as store:
        assert len(store.decisions()) == 0 and len(store.approvals()) == 0


def test_approved_period_is_locked_in_the_api(demo_path, serve):
    live = serve(demo_path)
    c = Client(live.url)
    c.start()
    p = c.get("/api/series/chart?name=pH%28Mun-Ui%29").json
    x = p["x"]
    d = c.post("/api/decide", {"series": SERIES, "selection": {"kind": "points", "x": [x[30]]},
                               "action": "accept", "reason": "storm"}).json["ids"][0]
    a = c.post("/api/approval", {"series": SERIES, "selection": {"kind": "range", "start": x[0], "end": x[100]},
                                 "level": "approved", "reason": "checked 2016-2017"})
    assert a.status == 200 and a.json["level"] == "approved"
    info = c.get("/api/series/info?name=pH%28Mun-Ui%29").json
    assert [pp["level"] for pp in info["periods"]] == ["approved"]
    locked = c.post("/api/decide", {"series": SERIES, "selection": {"kind": "range", "start": x[90], "end": x[110]},
                                    "action": "reject", "reason": "x"})
    assert locked.status == 409 and "locked" in locked.json["error"]
    assert c.post("/api/preview", {"series": SERIES, "selection": {"kind": "points", "x": [x[50]]}}).json["locked"]
    u = c.post("/api/undo", {"series": SERIES, "decision": d, "reason": "x"})
    assert u.status == 409 and "locked" in u.json["error"]
    hist = c.get("/api/series/history?name=pH%28Mun-Ui%29").json["rows"]
    entry = next(h for h in hist if h["kind"] == "decision")
    assert entry["locked"] and not entry["undoable"]
    # outside the period: fine; re-opening unlocks
    assert c.post("/api/decide", {"series": SERIES, "selection": {"kind": "points", "x": [x[150]]},
                                  "action": "reject", "reason": "x"}).status == 200
    c.post("/api/approval", {"series": SERIES, "selection": {"kind": "range", "start": x[0], "end": x[100]},
                             "level": "provisional", "reason": "re-open: new lab data"})
    assert c.post("/api/undo", {"series": SERIES, "decision": d, "reason": "lab says bad"}).status == 200
    with open_store(demo_path) as store:
        assert list(store.approvals(SERIES)["level"]) == ["approved", "provisional"]


def test_next_unreviewed_walks_the_flags(demo_path, serve):
    live = serve(demo_path)
    c = Client(live.url)
    c.start()
    first = c.get("/api/series/next?name=pH%28Mun-Ui%29").json["next"]
    assert first["flag"] in (3, 4) and first["window"][0] <= first["x"] <= first["window"][1]
    second = c.get(f"/api/series/next?name=pH%28Mun-Ui%29&after={first['x']}").json["next"]
    assert second["x"] > first["x"] and second["left"] == first["left"]
    c.post("/api/decide", {"series": SERIES, "selection": {"kind": "points", "x": [first["x"]]},
                           "action": "accept", "reason": "seen"})
    assert c.get("/api/series/next?name=pH%28Mun-Ui%29").json["next"]["left"] == first["left"] - 1


def test_writes_by_another_process_show_up(demo_path, serve):
    live = serve(demo_path, revalidate=0.0)
    c = Client(live.url)
    c.start()
    before = c.get("/api/series/info?name=pH%28Mun-Ui%29").json["counts"]
    with open_store(demo_path) as store:  # e.g. a second server, or a script
        t = store.values(SERIES).index[3]
        store.decide(SERIES, t, action="reject", reviewer="script", reason="batch import")
    after = c.get("/api/series/info?name=pH%28Mun-Ui%29").json["counts"]
    assert after["decided"] == before["decided"] + 1

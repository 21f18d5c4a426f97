"""Fixtures of the review app's tests: real stores, a real server, a real HTTP client.

Every test talks HTTP to a uvicorn server on a free localhost port (in a thread,
or a subprocess for the kill test) over a real store: a SQLite file, and for the
concurrency test also a schema on a throw-away PostgreSQL server started the way
``tests/store/conftest.py`` does (skipped, with the reason, without PostgreSQL).
The client is the standard library's urllib with a cookie jar: nothing mocked.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the review app needs Starlette: pip install 'aquaflag[review]'")
pytest.importorskip("uvicorn", reason="the review app needs uvicorn: pip install 'aquaflag[review]'")
sa = pytest.importorskip("sqlalchemy", reason="the store needs SQLAlchemy: pip install 'aquaflag[store]'")

from store.conftest import postgres_server, target  # noqa: E402,F401  (fixtures: a throw-away PostgreSQL server, a store target)

TOKENS = {"tok-kim-0123456789abcdef": "Kim Min-ji", "tok-lee-0123456789abcdef": "Lee"}


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """The demo store (demo data + one season-aware run), made once; tests copy it."""
    from aquaflag.review import demo_store

    return demo_store(tmp_path_factory.mktemp("demo-template"))


@pytest.fixture
def demo_path(demo_template, tmp_path) -> Path:
    """A fresh copy of the demo store for one test."""
    import sqlite3

    target = tmp_path / "qc.sqlite"
    a, b = sqlite3.connect(demo_template), sqlite3.connect(target)
    try:
        a.backup(b)  # a consistent copy, whatever the WAL holds
    finally:
        a.close()
        b.close()
    return target


class Live:
    """A uvicorn server running an app in a thread, on a free localhost port."""

    def __init__(self, app) -> None:
        import uvicorn

        from aquaflag.review._serve import bind

        self.app = app
        self.sock = bind("127.0.0.1", 0)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        t0 = time.monotonic()
        while not self.server.started:
            if time.monotonic() - t0 > 20:
                raise RuntimeError("the review server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture
def serve():
    """``serve(store, **create_app_options) -> Live``; every server is stopped at the end."""
    from aquaflag.review import create_app

    servers = []

    def start(store, **kwargs) -> Live:
        live = Live(create_app(store, **kwargs))
        servers.append(live)
        return live

    yield start
    for live in servers:
        live.stop()
        live.app.review.store.close()


class Reply:
    def __init__(self, status: int, headers, body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))


class Client:
    """An HTTP client with a cookie jar, like one browser tab (urllib, no mocks)."""

    def __init__(self, base: str, bearer: str | None = None) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.bearer = bearer
        self.csrf: str | None = None

    def request(self, method: str, path: str, body=None, *, headers=None, raw: bytes | None = None,
                content_type: str = "application/json", csrf: bool = True) -> Reply:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode("utf-8"))
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        if self.bearer:
            req.add_header("Authorization", f"Bearer {self.bearer}")
        if csrf and self.csrf and method != "GET":
            req.add_header("X-CSRF-Token", self.csrf)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with self.opener.open(req, timeout=60) as r:
                return Reply(r.status, r.headers, r.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.headers, exc.read())

    def get(self, path: str, **kw) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, body=None, **kw) -> Reply:
        return self.request("POST", path, body if body is not None else {}, **kw)

    def start(self) -> dict:
        """Open the session (what the page does first) and keep its CSRF token."""
        reply = self.get("/api/session")
        assert reply.status == 200, reply.body
        self.csrf = reply.json["csrf"]
        return reply.json

    def login(self, token: str) -> Reply:
        reply = self.post("/api/login", {"token": token})
        if reply.status == 200:
            self.csrf = reply.json["csrf"]
        return reply

"""The review web app: a Starlette application over one QC store.

Pages are static files of this package (``static/app.html``, ``review.js``,
``review.css``) plus the report's ``charts.js`` and plotly.js from the installed
``plotly`` package; no page holds data or inline script. Everything the pages
show comes from the JSON API below, and every response is JSON (errors too:
``{"error": "one line"}``).

==========================  ====================================================
``GET /``                   the series list (page)
``GET /series?name=N``      one series: chart, selection, decisions, history (page)
``GET /static/F``           review.js, review.css, charts.js, plotly.min.js, plotly.css
``GET /api/session``        who you are, the CSRF token, whether a login is needed
``POST /api/login``         ``{"token"}``: start a session (token mode)
``POST /api/logout``        end it
``GET /api/series``         every series with its counts of unreviewed flags
``GET /api/series/info``    ``?name=``: one series, its counts, approval periods, chart strings
``GET /api/series/chart``   ``?name=&start=&end=&points=``: the chart of a window, downsampled
``GET /api/series/history`` ``?name=&limit=``: runs, decisions, approvals, newest first
``GET /api/series/next``    ``?name=&after=``: the next unreviewed flagged value
``POST /api/preview``       ``{series, selection}``: what a selection holds
``POST /api/decide``        ``{series, selection, action, flag?, reason}``: accept/reject/set_flag
``POST /api/undo``          ``{series, decision, reason}``: undo a decision (a new ledger entry)
``POST /api/approval``      ``{series, selection?, level, reason}``: set an approval level
==========================  ====================================================
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import math
import sys
import time
import traceback
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

import pandas as pd
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .._version import __version__
from ..errors import AquaflagError, InputError, ParameterError
from ..report import charts_js, json_for_script
from ._assets import package_file, page_html, plotly_css, plotly_js, plotly_sheets
from ._auth import Reviewers, Session, Sessions
from ._data import MEANING, SeriesState, StateCache, fmt_clock, fmt_time

__all__ = ["create_app", "CSP", "LOOPBACK_HOSTS"]

#: The Content-Security-Policy of every response: scripts and styles from the app only.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
#: Host names a browser uses for this machine.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
COOKIE = "aquaflag_review"
#: Largest request body accepted (a point selection of 10⁴ points is ~0.3 MB).
MAX_BODY = 2_000_000
MAX_REASON = 2000
_STATIC = {
    "review.js": "text/javascript; charset=utf-8",
    "review.css": "text/css; charset=utf-8",
}
_PAGES = ("/", "/series", "/login")


class ApiError(Exception):
    """An error answered with ``status`` and a one-line message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _json_bytes(obj: Any) -> bytes:
    # <, > and & as \u escapes: the JSON is never read as markup, even by a sniffing client
    return json_for_script(obj).encode("utf-8")


class JSON(Response):
    """A JSON response (``<``, ``>``, ``&`` escaped; NaN refused)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return _json_bytes(content)


def _error(status: int, message: str) -> JSON:
    return JSON({"error": " ".join(str(message).split())}, status_code=status)


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha1(data).hexdigest()[:20] + '"'


def _finite(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


class _Guard:
    review: Any

    """Pure ASGI middleware: the Host check and the security headers of every response."""

    def __init__(self, app, allowed_hosts: tuple[str, ...] | None) -> None:
        self.app = app
        self.allowed = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.allowed is not None:
            host = ""
            for k, v in scope.get("headers", []):
                if k == b"host":
                    host = v.decode("latin-1")
                    break
            name = (urlsplit("//" + host).hostname or "").lower()
            if name not in self.allowed:
                # DNS rebinding: a page of another site that resolves its name to this machine
                await _error(421, f"host {host!r} is not served here; open the app at 127.0.0.1 "
                                  "or localhost")(scope, receive, send)
                return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = [(b"content-security-policy", CSP.encode()),
                         (b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"no-referrer"),
                         (b"x-frame-options", b"DENY"),
                         (b"cross-origin-opener-policy", b"same-origin"),
                         (b"cross-origin-resource-policy", b"same-origin")]
                headers += [(k, v) for k, v in extra if k not in present]
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ReviewApp:
    """The handlers and what they share: the store, its state cache, reviewers, sessions."""

    def __init__(self, store, reviewers: Reviewers, *, revalidate: float = 2.0, lang: str = "en") -> None:
        self.store = store
        self.cache = StateCache(store, revalidate=revalidate)
        self.reviewers = reviewers
        self.sessions = Sessions()
        self.lang = lang

    # ------------------------------------------------------------------ identity
    def _bearer(self, request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        if not auth:
            return None
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not self.reviewers.required:
            raise ApiError(401, "Authorization: Bearer TOKEN works only when the server has reviewer tokens")
        name = self.reviewers.check(token.strip())
        if name is None:
            raise ApiError(401, "unknown token; check the token file of the server")
        return name

    def _session(self, request: Request) -> Session | None:
        return self.sessions.get(request.cookies.get(COOKIE))

    def reader(self, request: Request) -> str | None:
        """Who reads: needed only when the server has tokens."""
        name = self._bearer(request)
        if name is not None:
            return name
        s = self._session(request)
        if s is not None:
            return s.reviewer
        if self.reviewers.required:
            raise ApiError(401, "log in with your reviewer token first")
        return None

    def writer(self, request: Request) -> str:
        """Who writes; checks the CSRF token of a session (see :mod:`aquaflag.review._auth`)."""
        _same_origin(request)
        name = self._bearer(request)
        if name is not None:
            return name  # a header the browser never adds by itself: no CSRF possible
        s = self._session(request)
        if s is None:
            raise ApiError(401, "no session: reload the page" + (" and log in" if self.reviewers.required else ""))
        sent = request.headers.get("x-csrf-token", "")
        if not sent or not hmac.compare_digest(sent.encode(), s.csrf.encode()):
            raise ApiError(403, "missing or wrong CSRF token (X-CSRF-Token): reload the page")
        return s.reviewer

    # ------------------------------------------------------------------ pages
    async def page(self, request: Request) -> Response:
        body = page_html()
        return Response(body, media_type="text/html; charset=utf-8",
                        headers={"cache-control": "no-cache", "etag": _etag(body)})

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        encoding = None
        if name == "plotly.min.js":
            raw, packed = plotly_js()
            gz = "gzip" in request.headers.get("accept-encoding", "")
            body, encoding = (packed, "gzip") if gz else (raw, None)
            media, cache = "text/javascript; charset=utf-8", "public, max-age=86400"
            tag = _etag(raw)[:-1] + ('-gz"' if gz else '"')
        elif name == "plotly.css":
            body, media, cache = plotly_css(), "text/css; charset=utf-8", "public, max-age=86400"
            tag = _etag(body)
        elif name.startswith("plotly-") and name.endswith(".css") and name[7:-4] in plotly_sheets():
            body, media, cache = plotly_sheets()[name[7:-4]], "text/css; charset=utf-8", "public, max-age=86400"
            tag = _etag(body)
        elif name == "charts.js":
            body, media, cache = charts_js().encode("utf-8"), "text/javascript; charset=utf-8", "no-cache"
            tag = _etag(body)
        elif name in _STATIC:
            body, media, cache = package_file(name), _STATIC[name], "no-cache"
            tag = _etag(body)
        else:
            return _error(404, f"no file {name!r} here")
        if request.headers.get("if-none-match") == tag:
            return Response(status_code=304, headers={"etag": tag, "cache-control": cache})
        headers = {"cache-control": cache, "etag": tag, "vary": "accept-encoding"}
        if encoding:
            headers["content-encoding"] = encoding
        return Response(body, media_type=media, headers=headers)

    # ------------------------------------------------------------------ session
    async def session(self, request: Request) -> Response:
        bearer = self._bearer(request)
        s = self._session(request)
        fresh = None
        if s is None and bearer is None and not self.reviewers.required:
            s = fresh = self.sessions.new(self.reviewers.local_name)
        who = bearer or (s.reviewer if s else None)
        response = JSON({
            "reviewer": who,
            "csrf": s.csrf if s is not None and bearer is None else None,
            "login": who is None,
            "tokens": self.reviewers.required,
            "store": self.store.url if who is not None else None,  # nothing about the store before a login
            "store_name": _store_name(self.store.url) if who is not None else None,
            "version": __version__,
        }, headers={"cache-control": "no-store"})
        if fresh is not None:
            _set_cookie(response, request, fresh.sid)
        return response

    async def login(self, request: Request) -> Response:
        _same_origin(request)
        body = await _body(request)
        if not self.reviewers.required:
            raise ApiError(400, "this server has no reviewer tokens: you are "
                                f"{self.reviewers.local_name!r} already")
        name = self.reviewers.check(body.get("token") if isinstance(body.get("token"), str) else None)
        if name is None:
            await asyncio.sleep(0.2)  # a little friction for guessing (tokens are long anyway)
            raise ApiError(401, "unknown token; ask for yours (a line 'name token' in the server's token file)")
        self.sessions.drop(request.cookies.get(COOKIE))
        s = self.sessions.new(name)
        response = JSON({"reviewer": name, "csrf": s.csrf, "login": False})
        _set_cookie(response, request, s.sid)
        return response

    async def logout(self, request: Request) -> Response:
        self.writer(request)
        self.sessions.drop(request.cookies.get(COOKIE))
        response = JSON({"reviewer": None, "login": self.reviewers.required})
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
        return response

    # ------------------------------------------------------------------ reads
    async def series_list(self, request: Request) -> Response:
        self.reader(request)

        def work():
            infos = self.cache.infos()
            rows = []
            for name, info in infos.items():
                counts = self.cache.counts(name, info)
                rows.append({"name": name, "station": _text(info.get("station")),
                             "variable": _text(info.get("variable_name") or info.get("variable")),
                             "unit": _text(info.get("unit")), "first": fmt_time(info.get("first")),
                             "last": fmt_time(info.get("last")), **counts})
            return {"series": rows, "store": self.store.url}

        return JSON(await run_in_threadpool(work))

    def _state(self, name: Any) -> SeriesState:
        if not isinstance(name, str) or not name:
            raise ApiError(400, "give the series: ?name=NAME (as in the series list)")
        return self.cache.get(name)

    async def series_info(self, request: Request) -> Response:
        self.reader(request)
        name = request.query_params.get("name")

        def work():
            st = self._state(name)
            info = st.info
            return {"name": st.name, "station": _text(info.get("station")),
                    "variable": _text(info.get("variable_name") or info.get("variable")),
                    "unit": _text(info.get("unit")), "tz": _text(info.get("tz")),
                    "first": fmt_time(info.get("first")), "last": fmt_time(info.get("last")),
                    "counts": st.counts(), "periods": st.periods, "meta": st.charts.meta(self.lang),
                    "flag_meanings": {str(k): v for k, v in MEANING.items()}}

        return JSON(await run_in_threadpool(work))

    async def chart(self, request: Request) -> Response:
        self.reader(request)
        q = request.query_params
        start, end = _x(q.get("start")), _x(q.get("end"))
        points = _int(q.get("points"), "points", 2000, lo=100, hi=20_000)
        t0 = time.perf_counter()

        def work():
            name = q.get("name")
            if not isinstance(name, str) or not name:
                raise ApiError(400, "give the series: ?name=NAME (as in the series list)")
            return self.cache.get(name, stale_ok=True).chart(start=start, end=end, points=points)

        payload = await run_in_threadpool(work)
        ms = (time.perf_counter() - t0) * 1000
        response = JSON(payload)
        response.headers["server-timing"] = f"app;dur={ms:.1f}"
        response.headers["cache-control"] = "no-store"
        return response

    async def history(self, request: Request) -> Response:
        self.reader(request)
        q = request.query_params
        limit = _int(q.get("limit"), "limit", 300, lo=1, hi=100_000)

        def work():
            st = self._state(q.get("name"))
            table = self.store.history(st.name)
            active = dict(zip(st.ledger["id"].tolist(), st.ledger["active"].tolist())) if len(st.ledger) else {}
            rows = []
            for r in table.iloc[::-1].head(limit).itertuples(index=False):
                is_decision = r.kind == "decision"
                on = bool(active.get(int(r.id), False)) if is_decision else None
                locked = st.locked(r.start, r.end) if is_decision else False
                rows.append({
                    "at": fmt_clock(r.at), "kind": r.kind, "id": int(r.id), "action": _text(r.action),
                    "start": fmt_time(r.start), "end": fmt_time(r.end),
                    "flag": None if pd.isna(r.flag) else int(r.flag),
                    "auto_flag": None if pd.isna(r.auto_flag) else int(r.auto_flag),
                    "reviewer": _text(r.reviewer), "reason": _text(r.reason), "detail": _text(r.detail),
                    "active": on, "locked": locked, "undoable": bool(is_decision and on and not locked)})
            return {"series": st.name, "total": int(len(table)), "rows": rows}

        return JSON(await run_in_threadpool(work))

    async def next_unreviewed(self, request: Request) -> Response:
        self.reader(request)
        q = request.query_params
        after = _x(q.get("after"))

        def work():
            st = self._state(q.get("name"))
            return {"next": st.next_unreviewed(after)}

        return JSON(await run_in_threadpool(work))

    # ------------------------------------------------------------------ writes
    async def preview(self, request: Request) -> Response:
        self.reader(request)
        _same_origin(request)
        body = await _body(request)

        def work():
            st = self._state(body.get("series"))
            return st.describe(st.select(body.get("selection"), allow_empty=True))

        return JSON(await run_in_threadpool(work))

    async def decide(self, request: Request) -> Response:
        reviewer = self.writer(request)
        body = await _body(request)
        action = body.get("action")
        if action not in ("accept", "reject", "set_flag"):
            raise ApiError(400, f"action must be 'accept', 'reject' or 'set_flag'; got {action!r}")
        flag = body.get("flag")
        if action == "set_flag":
            if isinstance(flag, bool) or not isinstance(flag, int) or flag not in (1, 2, 3, 4):
                raise ApiError(400, f"set_flag needs flag 1, 2, 3 or 4; got {flag!r}")
        else:
            flag = None
        reason = _reason(body)

        def work():
            st = self._state(body.get("series"))
            sel = st.select(body.get("selection"))
            what = st.describe(sel)
            if what["locked"]:
                raise ApiError(409, f"the selection of {st.name!r} touches an approved period, which is "
                                    "locked; set that period back to provisional first")
            try:
                ids = self.store.decide_many(st.decision_rows(sel, action, flag, reviewer, reason))
            finally:
                self.cache.forget([st.name])
            return {"ids": ids, "reviewer": reviewer, "selection": what}

        return JSON(await run_in_threadpool(work))

    async def undo(self, request: Request) -> Response:
        reviewer = self.writer(request)
        body = await _body(request)
        reason = _reason(body)
        did = body.get("decision")
        if isinstance(did, bool) or not isinstance(did, int):
            raise ApiError(400, f"decision must be a decision id (an integer); got {did!r}")

        def work():
            st = self._state(body.get("series"))
            entry = st.ledger_entry(did)
            if entry is None:
                raise ApiError(404, f"series {st.name!r} has no decision {did}")
            if st.locked(entry["start"], entry["end"]):
                raise ApiError(409, f"decision {did} lies in an approved period of {st.name!r}, which is "
                                    "locked; set that period back to provisional first")
            try:
                new = self.store.undo(did, reviewer=reviewer, reason=reason)
            finally:
                self.cache.forget([st.name])
            return {"id": new, "undoes": did, "reviewer": reviewer}

        return JSON(await run_in_threadpool(work))

    async def approval(self, request: Request) -> Response:
        reviewer = self.writer(request)
        body = await _body(request)
        reason = _reason(body)
        level = body.get("level")
        if level not in ("raw", "provisional", "approved"):
            raise ApiError(400, f"level must be 'raw', 'provisional' or 'approved'; got {level!r}")

        def work():
            st = self._state(body.get("series"))
            sel = None if body.get("selection") is None else st.select(body.get("selection"))
            start, end = st.bounds(sel)
            try:
                new = self.store.set_approval(st.name, start, end, level, reviewer=reviewer, reason=reason)
            finally:
                self.cache.forget([st.name])
            return {"id": new, "level": level, "start": fmt_time(start), "end": fmt_time(end),
                    "reviewer": reviewer}

        return JSON(await run_in_threadpool(work))


# --------------------------------------------------------------------------- helpers
def _same_origin(request: Request) -> None:
    """Refuse a request whose Origin (when the browser sends one) is another site than this app's host.

    The scheme is not compared: behind an HTTPS reverse proxy the page's origin is
    https while the app itself is reached over http.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return
    if origin == "null" or urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower():
        raise ApiError(403, f"request from another site ({origin}) refused")


async def _body(request: Request) -> dict:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise ApiError(415, "send a JSON body (Content-Type: application/json)")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise ApiError(413, f"request body over {MAX_BODY:,} bytes")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise ApiError(413, f"request body over {MAX_BODY:,} bytes")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


def _reason(body: dict) -> str:
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ApiError(400, "a reason is required: say why (it is kept with the decision)")
    if len(reason) > MAX_REASON:
        raise ApiError(400, f"the reason is over {MAX_REASON} characters; keep it short")
    return reason.strip()


def _store_name(url: str) -> str:
    """What the page header shows of the store: a SQLite file's name, else the URL (password hidden)."""
    if url.startswith("sqlite:///"):
        return url.rsplit("/", 1)[-1]
    return url


def _text(v: Any) -> str | None:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    return str(v)


def _x(v: str | None) -> Any:
    """A chart x sent in a query: a number (ms since 1970 of the wall clock) or a time text."""
    if v is None or v == "":
        return None
    try:
        f = float(v)
    except ValueError:
        return v
    if not math.isfinite(f):
        raise ApiError(400, f"not a time: {v!r}")
    return f


def _int(v: str | None, name: str, default: int, *, lo: int, hi: int) -> int:
    if v is None or v == "":
        return default
    try:
        n = int(float(v))
    except ValueError:
        raise ApiError(400, f"{name} must be a whole number; got {v!r}") from None
    return max(lo, min(hi, n))


def _set_cookie(response: Response, request: Request, sid: str) -> None:
    response.set_cookie(COOKIE, sid, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")


def _api(fn: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    @functools.wraps(fn)
    async def wrapped(request: Request) -> Response:
        try:
            return await fn(request)
        except ApiError as exc:
            return _error(exc.status, exc.message)
        except (InputError, ParameterError, AquaflagError) as exc:
            return _error(400, str(exc))
        except HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001 - answer JSON, log the traceback
            traceback.print_exc(file=sys.stderr)
            return _error(500, f"internal error ({type(exc).__name__}); see the server's log")

    return wrapped


def create_app(store, *, tokens: dict[str, str] | None = None, local_name: str | None = None,
               allowed_hosts: tuple[str, ...] | None = LOOPBACK_HOSTS, revalidate: float = 2.0,
               lang: str = "en"):
    """The review app (an ASGI application) over ``store``.

    Parameters
    ----------
    store : Store, path or URL
        The QC store (opened with :func:`aquaflag.store.open_store` when a path or URL).
    tokens : dict, optional
        ``{token: reviewer name}`` (:func:`load_tokens`). With tokens every API
        call needs one; without, the reviewer is ``local_name`` (the user who
        started the server): serve it on localhost only.
    local_name : str, optional
        The reviewer's name without tokens (default: the OS user name).
    allowed_hosts : tuple of str or None
        Host names the app answers to (a guard against DNS rebinding); None: any.
    revalidate : float
        Seconds a kept series state is trusted before it is checked against the store.
    lang : {"en", "ko"}
        Language of the chart's text.

    Returns
    -------
    ASGI application
        A Starlette app behind the Host check and security headers; its
        ``review`` attribute holds the store and the kept series states.
    """
    if not hasattr(store, "decide_many"):
        from ..store import open_store

        store = open_store(store)
    app_ = ReviewApp(store, Reviewers(tokens, local_name=local_name), revalidate=revalidate, lang=lang)
    routes = [Route(p, _api(app_.page)) for p in _PAGES]
    routes += [
        Route("/static/{name}", _api(app_.static)),
        Route("/api/session", _api(app_.session)),
        Route("/api/login", _api(app_.login), methods=["POST"]),
        Route("/api/logout", _api(app_.logout), methods=["POST"]),
        Route("/api/series", _api(app_.series_list)),
        Route("/api/series/info", _api(app_.series_info)),
        Route("/api/series/chart", _api(app_.chart)),
        Route("/api/series/history", _api(app_.history)),
        Route("/api/series/next", _api(app_.next_unreviewed)),
        Route("/api/preview", _api(app_.preview), methods=["POST"]),
        Route("/api/decide", _api(app_.decide), methods=["POST"]),
        Route("/api/undo", _api(app_.undo), methods=["POST"]),
        Route("/api/approval", _api(app_.approval), methods=["POST"]),
    ]

    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _error(exc.status_code, exc.detail if exc.status_code != 404 else
                      f"nothing at {request.url.path}")

    async def server_error(request: Request, exc: Exception) -> Response:
        return _error(500, f"internal error ({type(exc).__name__}); see the server's log")

    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error,  # type: ignore[dict-item]
                                                       500: server_error})
    guarded = _Guard(app, allowed_hosts)
    guarded.review = app_  # the handlers' shared state (store, cache), for the server and tests
    return guarded

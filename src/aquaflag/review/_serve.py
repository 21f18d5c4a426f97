"""Serving the review app with uvicorn: the host check, the socket, the line saying where it is."""

from __future__ import annotations

import ipaddress
import socket
from typing import Callable

from ..errors import InputError

__all__ = ["serve", "is_loopback", "bind"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only (127.0.0.0/8, ::1, localhost).

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    h = host.strip().strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free port), or a one-line InputError."""
    if not (0 <= int(port) <= 65535):
        raise InputError(f"port must be 0..65535; got {port}")
    h = host.strip().strip("[]")
    try:
        infos = socket.getaddrinfo(h, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InputError(f"cannot serve on host {host!r}: {exc.strerror}") from None
    family, _, _, _, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        hint = "; choose another --port (or --port 0 for a free one)" if exc.errno in (98, 48, 10048) else ""
        raise InputError(f"cannot serve on {host}:{port}: {exc.strerror or exc}{hint}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(store, *, host: str = "127.0.0.1", port: int = 8765, tokens: dict[str, str] | None = None,
          allowed_hosts: tuple[str, ...] | None = None, say: Callable[[str], None] = print,
          revalidate: float = 2.0, lang: str = "en", warm: bool = True) -> None:
    """Serve the review app until interrupted (Ctrl+C).

    Parameters
    ----------
    store : Store, path or URL
        The QC store.
    host, port : str, int
        Where to listen; ``127.0.0.1`` (this machine only) by default. Port 0
        picks a free port (the line printed says which).
    tokens : dict, optional
        ``{token: reviewer}``; required when ``host`` is not a loopback address.
    allowed_hosts : tuple of str, optional
        Host names the app answers to. Default: localhost names when bound to
        localhost; any name when bound beyond it (tokens guard it then).
    say : callable
        Where the "serving ... at URL" line goes.
    warm : bool
        Read every series once in the background at start (the series list's
        counts; the last few series stay kept), so the first pages open fast.

    Raises
    ------
    InputError
        Beyond localhost without tokens; the port is taken; bad host.
    """
    from ._app import LOOPBACK_HOSTS, create_app

    local = is_loopback(host)
    if not local and not tokens:
        raise InputError(f"serving on {host} (beyond this machine) needs reviewer tokens: "
                         "--token-file FILE (lines 'name token') or AQUAFLAG_REVIEW_TOKENS")
    if allowed_hosts is None:
        allowed_hosts = LOOPBACK_HOSTS if local else None
    import uvicorn

    app = create_app(store, tokens=tokens, allowed_hosts=allowed_hosts, revalidate=revalidate, lang=lang)
    sock = bind(host, port)
    real_port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{real_port}/"
    who = (f"{len(tokens)} reviewer token(s)" if tokens else
           f"reviewer {app.review.reviewers.local_name!r}, this machine only")
    say(f"aquaflag review: {app.review.store.url} at {url}  ({who}; Ctrl+C to stop)")
    if warm:  # read the store once in the background: the list and the first charts open at once
        import threading

        threading.Thread(target=_warm, args=(app.review.cache,), name="aquaflag-review-warm", daemon=True).start()
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            server_header=False, date_header=False)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        app.review.store.close()


def _warm(cache) -> None:
    try:
        cache.warm()
    except Exception:  # noqa: BLE001 - the requests that need it report it
        pass

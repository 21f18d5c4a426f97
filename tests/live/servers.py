"""Local servers for the alarm tests: an HTTP receiver and an SMTP server. Nothing leaves the machine."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    body: dict
    at: float  # time.perf_counter() when the request was read


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 (http.server in a thread).

    ``fail_next`` requests are answered 503; ``hang_next`` are answered after ``hang`` s.
    """

    received: list[Received] = field(default_factory=list)
    attempts: int = 0
    fail_next: int = 0
    hang_next: int = 0
    hang: float = 2.0
    server: ThreadingHTTPServer | None = None
    arrived: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def start(self) -> "Receiver":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                owner.attempts += 1
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                at = time.perf_counter()
                if owner.hang_next:
                    owner.hang_next -= 1
                    time.sleep(owner.hang)
                if owner.fail_next:
                    owner.fail_next -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                owner.received.append(Received(self.path, json.loads(raw.decode("utf-8")), at))
                owner.arrived.set()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An SMTP server on 127.0.0.1 (aiosmtpd), keeping what it receives; optional AUTH."""

    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        self.messages: list = []
        self.logins: list[tuple[str, bool]] = []
        self.user, self.password = user, password
        self.port = free_port()
        self.controller = None

    def start(self) -> "Mailbox":
        from email import message_from_bytes
        from email.policy import default

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        owner = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
                msg = message_from_bytes(envelope.content, policy=default)
                owner.messages.append((envelope.rcpt_tos, msg))
                return "250 OK"

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == owner.user
                  and auth_data.password.decode() == owner.password)
            owner.logins.append((auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "?", ok))
            return AuthResult(success=ok)

        kwargs = {}
        if self.user is not None:
            kwargs = {"authenticator": authenticator, "auth_require_tls": False}
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()

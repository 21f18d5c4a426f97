"""Who is reviewing: reviewer tokens, sessions and the CSRF token of each session.

The security model (see :mod:`aquaflag.review`):

* **Reviewers and tokens.** A token file holds one reviewer per line,
  ``name token`` (the token is the last word; the name may hold spaces; ``#``
  starts a comment). The same lines may come from the environment variable
  ``AQUAFLAG_REVIEW_TOKENS`` (lines, or entries separated by ``;``). Tokens
  are at least 16 characters; names and tokens are unique. With tokens, every
  API call needs one (a session made by logging in with it, or an
  ``Authorization: Bearer`` header), and the reviewer recorded with a decision
  is the token's name — never a name sent by the page. Without tokens
  (localhost only) the reviewer is the user who started the server.
* **Sessions.** Logging in sets an ``HttpOnly``, ``SameSite=Strict`` cookie
  naming a random session id; the session (kept in the server's memory) holds
  the reviewer and a random CSRF token.
* **CSRF.** Every POST must carry the session's CSRF token in the
  ``X-CSRF-Token`` header (only the app's own script can read it, from
  ``GET /api/session``; another site can neither read it nor set the header
  without a CORS grant, which the app never gives) and a JSON body; an
  ``Origin`` header, when sent, must be the app's own. A request authenticated
  by an ``Authorization`` header carries no ambient credential and needs no
  CSRF token.
"""

from __future__ import annotations

import getpass
import hmac
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

__all__ = ["Reviewers", "Session", "Sessions", "load_tokens", "new_token", "ENV_TOKENS", "MIN_TOKEN"]

#: Environment variable that may hold the reviewers' ``name token`` lines.
ENV_TOKENS = "AQUAFLAG_REVIEW_TOKENS"
#: Shortest accepted token.
MIN_TOKEN = 16
#: A session lasts this long (seconds) without use.
SESSION_IDLE = 12 * 3600


def new_token() -> str:
    """A new random reviewer token (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def _parse(text: str, where: str) -> dict[str, str]:
    """``{token: name}`` from ``name token`` lines."""
    out: dict[str, str] = {}
    names: set[str] = set()
    for k, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.rsplit(None, 1)
        if len(parts) != 2:
            raise InputError(f"{where}, line {k}: expected 'name token'; got one word")
        name, token = parts[0].strip(), parts[1]
        if len(token) < MIN_TOKEN:
            raise InputError(f"{where}, line {k}: the token of {name!r} is shorter than {MIN_TOKEN} "
                             "characters; make one with `aquaflag review --new-token NAME`")
        if token in out:
            raise InputError(f"{where}, line {k}: the token of {name!r} is already given to {out[token]!r}")
        if name in names:
            raise InputError(f"{where}, line {k}: reviewer {name!r} appears twice")
        out[token] = name
        names.add(name)
    return out


def load_tokens(path: str | os.PathLike | None = None, *, env: bool = True) -> dict[str, str]:
    """Reviewer tokens from a token file and/or ``AQUAFLAG_REVIEW_TOKENS``.

    Parameters
    ----------
    path : path, optional
        A file of ``name token`` lines.
    env : bool
        Also read :data:`ENV_TOKENS`.

    Returns
    -------
    dict
        ``{token: reviewer name}``; empty when neither is given.

    Raises
    ------
    InputError
        Unreadable file, a malformed line, a short or repeated token, a repeated name.

    Examples
    --------
    >>> load_tokens(env=False)
    {}
    """
    tokens: dict[str, str] = {}
    if path is not None:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read token file {str(p)!r}: {exc.strerror or exc}") from None
        tokens.update(_parse(text, f"token file {str(p)!r}"))
    if env and os.environ.get(ENV_TOKENS, "").strip():
        more = _parse(os.environ[ENV_TOKENS].replace(";", "\n"), ENV_TOKENS)
        for token, name in more.items():
            if token in tokens and tokens[token] != name:
                raise InputError(f"{ENV_TOKENS}: the token of {name!r} is already given to {tokens[token]!r}")
            if name in tokens.values() and tokens.get(token) != name:
                raise InputError(f"{ENV_TOKENS}: reviewer {name!r} already has a token in the token file")
            tokens[token] = name
    if not tokens and path is not None:
        raise InputError(f"token file {str(path)!r} names no reviewer; add lines 'name token'")
    return tokens


class Reviewers:
    """Who may review: token holders, or (no tokens) the local user who started the server."""

    def __init__(self, tokens: dict[str, str] | None = None, *, local_name: str | None = None) -> None:
        self.tokens = dict(tokens or {})
        self.local_name = local_name or _local_user()

    @property
    def required(self) -> bool:
        """Whether a token is needed (tokens were given)."""
        return bool(self.tokens)

    def check(self, token: str | None) -> str | None:
        """The reviewer holding ``token``, or None (compared in constant time)."""
        if not token or not isinstance(token, str):
            return None
        found = None
        for known, name in self.tokens.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                found = name
        return found


def _local_user() -> str:
    try:
        return getpass.getuser() or "local"
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "local"


@dataclass
class Session:
    """One browser's session: who, its CSRF token, when last used."""

    sid: str
    reviewer: str
    csrf: str
    used: float


class Sessions:
    """Sessions in the server's memory (a restart logs everyone out)."""

    def __init__(self) -> None:
        self._by_id: dict[str, Session] = {}
        self._lock = threading.Lock()

    def new(self, reviewer: str) -> Session:
        s = Session(secrets.token_urlsafe(32), reviewer, secrets.token_urlsafe(32), time.monotonic())
        with self._lock:
            self._by_id[s.sid] = s
            if len(self._by_id) > 10_000:  # drop the idle ones
                cut = time.monotonic() - SESSION_IDLE
                self._by_id = {k: v for k, v in self._by_id.items() if v.used >= cut}
        return s

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        with self._lock:
            s = self._by_id.get(sid)
            if s is None:
                return None
            now = time.monotonic()
            if now - s.used > SESSION_IDLE:
                del self._by_id[sid]
                return None
            s.used = now
            return s

    def drop(self, sid: str | None) -> None:
        with self._lock:
            self._by_id.pop(sid or "", None)

"""``aquaflag review``: a local web app where technicians review the flags of a QC store.

Serve it with ``aquaflag review qc.sqlite`` (or :func:`serve`) and open the
address it prints. A technician

* picks a series from the list (the ones with the most *unreviewed* flags —
  suspect or fail values no decision holds, outside approved periods — first);
* sees it in the report's chart (:mod:`aquaflag.report`): downsampled on the
  server to the chart's width on every zoom, every flagged value kept, so a
  10⁶-value series stays fluid; decided values ringed, approval periods shaded;
* selects a time range (box select, or click then shift-click) or points
  (lasso, click), or types the range;
* accepts, rejects or sets the flag of the selection, with a reason (required);
* undoes a decision (a new ledger entry; nothing is deleted);
* sets the approval level of a period (raw → provisional → approved); an
  approved period is locked: the page shows it and the API refuses writes there;
* reads the history (runs, decisions, approvals: who, when, why).

Every change goes through the store (:mod:`aquaflag.store`), which keeps it in
its append-only ledger; the app holds no flag logic of its own. Re-run QC with
the decisions (``aquaflag run --store qc.sqlite -c qc.toml data.csv``) and
export (``store.export_csv``, ``export_netcdf``, ``export_labels``) as in
``docs/review.md``.

Security
--------
* Localhost by default. Beyond it (``--host 0.0.0.0``) reviewer tokens are
  required (a token file of ``name token`` lines, or ``AQUAFLAG_REVIEW_TOKENS``);
  the reviewer recorded with a decision comes from the token, never from the page.
* Writes need the session's CSRF token in a header and a JSON body; session
  cookies are ``HttpOnly`` and ``SameSite=Strict``; a request from another
  origin is refused; on localhost the app answers only to localhost host
  names (against DNS rebinding).
* Pages are static files; every value from the store reaches them as JSON and
  is put in the page as text (never as markup); a strict Content-Security-Policy
  allows scripts and styles from the app only (no inline script, no CDN:
  plotly.js is served from the installed ``plotly`` package).

Needs the ``review`` extra: ``pip install 'aquaflag[review]'`` (Starlette,
uvicorn, and the store and report extras).
"""

from __future__ import annotations

from typing import Any

from ._demo import DEMO_CONFIG, DEMO_STORE, demo_hint, demo_store

__all__ = ["create_app", "serve", "load_tokens", "new_token", "demo_store", "demo_hint",
           "DEMO_STORE", "DEMO_CONFIG"]


def _require() -> None:
    from .._optional import require

    for module in ("starlette", "uvicorn", "sqlalchemy", "plotly", "tsdownsample"):
        require(module, extra="review", feature="aquaflag review")


def create_app(store, **kwargs: Any):
    """The review app (ASGI) over ``store``; see :func:`aquaflag.review._app.create_app`."""
    _require()
    from ._app import create_app as make

    return make(store, **kwargs)


def serve(store, **kwargs: Any) -> None:
    """Serve the review app until interrupted; see :func:`aquaflag.review._serve.serve`."""
    _require()
    from ._serve import serve as run

    run(store, **kwargs)


def load_tokens(path=None, *, env: bool = True) -> dict[str, str]:
    """Reviewer tokens ``{token: name}``; see :func:`aquaflag.review._auth.load_tokens`."""
    from ._auth import load_tokens as load

    return load(path, env=env)


def new_token() -> str:
    """A new random reviewer token."""
    from ._auth import new_token as make

    return make()

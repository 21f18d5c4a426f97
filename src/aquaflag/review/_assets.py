"""The app's files: its own static files, the report's ``charts.js``, plotly.js and plotly's CSS.

plotly.js comes from the installed ``plotly`` package (no CDN). On load it
writes its style rules into a ``<style>`` element, which a strict
Content-Security-Policy (``style-src 'self'``) refuses. plotly.js skips that
when the page already holds an element ``#plotly.js-style-global`` of class
``no-inline-styles`` (plotly.js PR 7109); the app's page links
``/static/plotly.css`` with that id, and :func:`plotly_css` writes that file
from the rules found in the installed plotly.js, so the two always match.
"""

from __future__ import annotations

import functools
import gzip
import re
from importlib import resources

__all__ = ["package_file", "plotly_js", "plotly_css", "plotly_rules", "plotly_sheets", "page_html"]


@functools.lru_cache(maxsize=None)
def package_file(name: str) -> bytes:
    """A file of ``aquaflag/review/static``."""
    return resources.files(__package__).joinpath("static").joinpath(name).read_bytes()


@functools.lru_cache(maxsize=1)
def plotly_js() -> tuple[bytes, bytes]:
    """plotly.js of the installed plotly package, and its gzip."""
    try:
        import plotly.offline
    except ImportError as exc:  # pragma: no cover - the review extra installs it
        raise ImportError("aquaflag review needs plotly: pip install 'aquaflag[review]'") from exc
    raw = plotly.offline.get_plotlyjs().encode("utf-8")
    return raw, gzip.compress(raw, compresslevel=6)


_STRING = r"""(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
_PAIR = re.compile(r"""\s*(?P<key>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[A-Za-z_$][\w$]*)\s*:\s*"""
                   rf"(?P<value>{_STRING})\s*(?:,|$)", re.S)


def _object_at(text: str, start: int) -> str:
    """The JavaScript object literal starting at ``text[start] == "{"`` (strings skipped)."""
    depth, i, quote = 0, start, None
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
        i += 1
    raise ValueError("unterminated object")


def _unquote(s: str) -> str:
    if s[:1] in "\"'":
        s = s[1:-1]
    return re.sub(r"\\(.)", r"\1", s)


@functools.lru_cache(maxsize=1)
def plotly_rules() -> tuple[tuple[str, str], ...]:
    """plotly.js' own style rules ``(selector, declarations)``, read from the installed plotly.js.

    Raises
    ------
    RuntimeError
        When the rules cannot be found (a plotly.js far newer than this code).
    """
    text = plotly_js()[0].decode("utf-8")
    at = text.find('{"X,X div":')
    if at < 0:
        raise RuntimeError("plotly.js' style rules were not found in the installed plotly.js")
    body = _object_at(text, at)
    rules = []
    pos = 0
    while pos < len(body):
        m = _PAIR.match(body, pos)
        if m is None:
            raise RuntimeError(f"cannot read plotly.js' style rules near {body[pos:pos + 60]!r}")
        selector = _unquote(m.group("key"))
        selector = re.sub(r"^,", " ,", selector).replace("X", ".js-plotly-plot .plotly").replace(
            "Y", ".plotly-notifier")
        rules.append((selector, _unquote(m.group("value"))))
        pos = m.end()
    return tuple(rules)


@functools.lru_cache(maxsize=1)
def plotly_css() -> bytes:
    """plotly.js' style rules as a style sheet (see the module's notes)."""
    lines = ["/* plotly.js style rules, written by aquaflag.review from the installed plotly.js */"]
    lines += [f"{sel}{{{decl}}}" for sel, decl in plotly_rules()]
    return ("\n".join(lines) + "\n").encode("utf-8")


_SHEET = re.compile(r'if\(!document\.getElementById\("(?P<id>[0-9A-Za-z_-]{8,80})"\)\)\{var (?P<v>[\w$]+)='
                    r'document\.createElement\("style"\);(?P=v)\.id="(?P=id)",(?P=v)\.textContent=')


@functools.lru_cache(maxsize=1)
def plotly_sheets() -> dict[str, bytes]:
    """Style sheets plotly.js' bundled libraries inject by themselves: ``{element id: CSS}``.

    Only the map library does, for map traces, which the review charts never
    draw: its sheet is served empty; linking it under its id is what stops the
    injection.
    """
    text = plotly_js()[0].decode("utf-8")
    note = b"/* a style sheet of plotly.js' map library; the review app draws no maps */\n"
    return {m.group("id"): note for m in _SHEET.finditer(text)}


@functools.lru_cache(maxsize=1)
def page_html() -> bytes:
    """The app's page, with a link to each of plotly.js' style sheets under the id plotly.js looks for."""
    links = ['<link rel="stylesheet" href="/static/plotly.css" id="plotly.js-style-global" class="no-inline-styles">']
    links += [f'<link rel="stylesheet" href="/static/plotly-{key}.css" id="{key}">' for key in plotly_sheets()]
    return package_file("app.html").replace(b"<!-- plotly styles -->", "\n".join(links).encode("ascii"))

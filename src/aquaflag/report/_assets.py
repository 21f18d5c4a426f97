"""The report's package files: CSS, JavaScript, the EN/KO strings, and plotly.js.

Read with :mod:`importlib.resources`, so they work from a wheel, a zip or a
source tree alike; each is read once.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources

from .._optional import require

__all__ = ["STRINGS", "FONT_STACK", "LANGUAGES", "css", "charts_js", "script", "plotly_js",
           "cached_plotly_js"]

#: CSS font stack of the page and the charts: Latin system fonts, then Korean ones.
FONT_STACK = ('-apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans KR", '
              '"Malgun Gothic", "Apple SD Gothic Neo", "NanumGothic", "Noto Sans CJK KR", sans-serif')

#: The languages of the report's own text (``strings/<lang>.json``).
LANGUAGES = ("en", "ko")


@functools.lru_cache(maxsize=None)
def read_text(name: str) -> str:
    """A package file of :mod:`aquaflag.report` (``static/report.css``, ``strings/en.json``) as text."""
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _load_strings() -> dict[str, dict[str, str]]:
    return {lang: json.loads(read_text(f"strings/{lang}.json")) for lang in LANGUAGES}


#: The report's own text, one dict per language. ``{name}`` fields are filled in.
STRINGS: dict[str, dict[str, str]] = _load_strings()


def css() -> str:
    """The page's style sheet, with the font stack filled in."""
    return read_text("static/report.css").replace("__FONT__", FONT_STACK)


def charts_js() -> str:
    """``static/charts.js``: ``window.AquaflagCharts`` draws a chart payload with plotly.

    For a server that embeds the charts in its own page (with plotly.js) and
    re-fetches :func:`~aquaflag.report.chart_payload` on zoom.
    """
    return read_text("static/charts.js")


def script() -> str:
    """The page's script: the charts (``charts.js``, reusable by a server) and the page app."""
    return charts_js() + "\n" + read_text("static/report.js")


def plotly_js() -> str:
    """plotly.js from the installed ``plotly`` package, safe to embed in a ``<script>`` element."""
    require("plotly.offline", extra="report", feature="the HTML report")
    return cached_plotly_js()


@functools.lru_cache(maxsize=1)
def cached_plotly_js() -> str:
    import plotly.offline

    js = plotly.offline.get_plotlyjs()
    # plotly.js is embedded as is; make sure nothing in it can close the element early.
    return re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)

"""Escaping and number formatting: every string from the data goes through here.

HTML text and attributes use :func:`html.escape`; JSON embedded in a
``<script>`` element goes through :func:`json_for_script`, which writes ``<``,
``>``, ``&`` (and U+2028/U+2029) as ``\\u`` escapes so that no name can end the
element or open a comment.
"""

from __future__ import annotations

import html
import json
import math
from typing import Any

import numpy as np

__all__ = ["esc", "json_for_script", "fmt", "cap", "num", "floats"]

_HOSTILE_JSON = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def esc(value: Any) -> str:
    """``str(value)`` escaped for HTML text and double-quoted attributes."""
    return html.escape(str(value), quote=True)


def json_for_script(obj: Any) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>``, ``&`` (and U+2028/9) escaped.

    Examples
    --------
    >>> json_for_script({"name": "</script>"})
    '{"name":"\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for ch, rep in _HOSTILE_JSON.items():
        text = text.replace(ch, rep)
    return text


def fmt(x: Any) -> str:
    """A number for a table cell: up to 6 significant digits, '' for NaN."""
    if x is None:
        return ""
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(xf):
        return ""
    if math.isinf(xf):
        return "∞" if xf > 0 else "−∞"
    return f"{xf:.6g}"


def cap(text: str) -> str:
    """A table header: first letter upper case (no change for Hangul)."""
    return text[:1].upper() + text[1:]


def num(n: Any) -> str:
    """An integer with thousands separators."""
    return f"{int(n):,}"


def floats(arr: np.ndarray, sig: int | None = None) -> list:
    """A float array as a JSON-ready list: NaN/inf -> None, optionally rounded to ``sig`` digits.

    Examples
    --------
    >>> floats(np.array([1/3, np.nan, -np.inf, 2.5]), sig=4)
    [0.3333, None, None, 2.5]
    """
    values = np.asarray(arr, dtype=np.float64).tolist()
    if sig is None:
        return [v if v == v and v not in (math.inf, -math.inf) else None for v in values]
    form = f".{sig}g"
    return [float(format(v, form)) if v == v and v not in (math.inf, -math.inf) else None
            for v in values]

"""Matplotlib figures of a :class:`~aquaflag.result.Result`, and their PNG files.

* :func:`plot_column` — one column, its outliers in red, the bounds dashed;
* :func:`plot_rules` (also :func:`plot_methods`) — one panel per rule on a column;
* :func:`save_plots` — a PNG per column (and a rule grid) into a folder, fast;
* :func:`safe_filename` — the file name of a column: safe, limited in bytes.

The figures only *read* a Result. The y axis is scaled on the good values, so
that a logger sentinel (7999, -9999) does not flatten a series; flagged values
outside the scale are drawn at the edge. Figures use the object-oriented API
only (no pyplot state, GUI backend or figure registry).

This package is the lazy part of aquaflag: the core never imports it, and
importing it does not import matplotlib either; the figure functions load it
on first use (``aquaflag.plot_column`` does so too).

Layout: ``figures`` (the two figures), ``_save`` (PNG files), ``_names`` (file
names, no matplotlib), ``_fonts``
(a Hangul fallback font).
"""

from __future__ import annotations

from typing import Any

from ._names import safe_filename

__all__ = ["plot_column", "plot_rules", "plot_methods", "save_plots", "safe_filename"]

_LAZY = {
    "plot_column": "figures",
    "plot_rules": "figures",
    "plot_methods": "figures",
    "save_plots": "_save",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))

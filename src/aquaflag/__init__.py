"""aquaflag: find, flag and clean outliers in water-quality monitoring time series.

Quick start::

    import aquaflag
    data = aquaflag.read("Data.csv")                 # CSV/Excel/Parquet; UTF-8 or CP949
    res = aquaflag.detect(data, method="seed")       # the four seed tests side by side
    res.outliers                                      # tidy table of flagged values
    res.summary                                       # per column and rule
    res.cleaned()                                     # flagged values -> NaN; input untouched
    aquaflag.plot_column(res, "pH(Mun-Ui)")           # matplotlib figure, outliers in red
    aquaflag.write_report(res, "report.html")         # the interactive HTML report
    aquaflag.show_report(res)                         # ... inline in Jupyter

Heavy modules (plotting, reports, Dask) are imported only when used.
"""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .detection import Detection
from .engine import detect, evaluate, run
from .errors import AquaflagError, ConfigError, InputError, ParameterError
from .flags import Flag
from .registry import get as method
from .registry import names as method_names
from .result import Result
from .rules import Rule

__all__ = [
    "detect", "evaluate", "run", "read", "write", "demo", "plot_column", "plot_rules",
    "write_report", "show_report",
    "Rule", "Result", "Detection", "Flag", "method", "method_names", "AquaflagError",
    "InputError", "ParameterError", "ConfigError", "__version__",
]

#: Entry points loaded on first use, so that ``import aquaflag`` stays light.
_LAZY = {
    "read": ("aquaflag.io", "read"),
    "write": ("aquaflag.io", "write"),
    "demo": ("aquaflag.datasets", "demo"),
    "plot_column": ("aquaflag.plot", "plot_column"),
    "plot_rules": ("aquaflag.plot", "plot_rules"),
    "write_report": ("aquaflag.report", "write_report"),
    "show_report": ("aquaflag.report", "show_report"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'aquaflag' has no attribute {name!r}")

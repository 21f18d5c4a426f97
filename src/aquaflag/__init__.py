"""aquaflag: find, flag and clean outliers in water-quality monitoring time series.

Quick start::

    import aquaflag
    data = aquaflag.read("Data.csv")                 # CSV/Excel/Parquet; UTF-8 or CP949
    res = aquaflag.detect(data, method="all")        # the four seed tests side by side
    res.outliers                                      # tidy table of flagged values
    res.summary                                       # per column and method
    res.cleaned()                                     # flagged values -> NaN; input untouched
    res.plot("pH(Mun-Ui)")                            # matplotlib figure, outliers in red

Heavy modules (plotting, reports, Dask) are imported only when used.
"""

from __future__ import annotations

from .detection import Detection
from .engine import Rule, detect, evaluate, run
from .errors import AquaflagError, ConfigError, InputError, ParameterError
from .flags import Flag
from .registry import get as method
from .registry import names as method_names
from .result import Result

__version__ = "0.1.0"

__all__ = [
    "detect", "evaluate", "run", "read", "write", "demo", "Rule", "Result", "Detection", "Flag",
    "method", "method_names", "AquaflagError", "InputError", "ParameterError", "ConfigError",
]


def __getattr__(name: str):
    # Lazy entry points: keep `import aquaflag` light.
    if name in ("read", "write"):
        from . import io

        return getattr(io, name)
    if name == "demo":
        from .datasets import demo

        return demo
    raise AttributeError(f"module 'aquaflag' has no attribute {name!r}")

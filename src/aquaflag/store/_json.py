"""Rule parameters as JSON for the store's tables."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def jsonable(value: Any, *, exact: bool = False) -> Any:
    """``value`` made of what JSON holds: tuples as lists, NumPy scalars as Python numbers.

    Anything else becomes its text. Non-finite floats become text too (``"inf"``), as
    people read a run's parameters; with ``exact=True`` they stay floats (``json.dumps``
    writes ``Infinity``, which ``json.loads`` reads back), as fitted parameters must
    come back as they were.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v, exact=exact) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, exact=exact) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value) and not exact:
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)

"""The x axis shared by every chart: numbers for plotly, text for tables, months, windows."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from ._escape import floats

__all__ = ["Axis", "GAP_STEPS"]

#: A jump in time longer than this many median steps breaks a chart's line.
GAP_STEPS = 10


class Axis:
    """The index of a Result as chart coordinates.

    A time index becomes milliseconds since 1970 of the *wall-clock* time (a
    tz-aware index is shown in its own zone, as plotly shows naive dates); a
    numeric index is used as is; anything else by position. Computed once per
    Result (:class:`aquaflag.report.charts.ChartData` keeps it).
    """

    def __init__(self, index: pd.Index) -> None:
        self.tz: str | None = None
        self.wall: pd.DatetimeIndex | None = None
        self.fmt: str | None
        if isinstance(index, pd.PeriodIndex):
            index = index.to_timestamp()
        n = len(index)
        if isinstance(index, pd.DatetimeIndex):
            wall = index
            if index.tz is not None:
                self.tz = str(index.tz)
                wall = index.tz_localize(None)
            self.wall = wall
            self.is_time = True
            nat = np.asarray(wall.isna())
            ms = wall.to_numpy(dtype="datetime64[ms]").astype(np.int64)
            self.valid = ~nat
            self.x = ms.astype(np.float64)
            self.x[nat] = np.nan
            ok = ms[~nat]
            day = 86_400_000
            if ok.size == 0 or not (ok % day).any():
                self.fmt = "%Y-%m-%d"
            elif not (ok % 60_000).any():
                self.fmt = "%Y-%m-%d %H:%M"
            else:
                self.fmt = "%Y-%m-%d %H:%M:%S"
        elif pd.api.types.is_numeric_dtype(index.dtype) and not pd.api.types.is_bool_dtype(index.dtype):
            self.is_time = False
            self.x = index.to_numpy(dtype=np.float64, na_value=np.nan)
            self.valid = ~np.isnan(self.x)
            self.fmt = None
        else:
            self.is_time = False
            self.x = np.arange(n, dtype=np.float64)
            self.valid = np.ones(n, dtype=bool)
            self.fmt = None
        self.label = str(index.name) if index.name is not None else None
        self.index = index
        xs = self.x[self.valid]
        self.monotonic = bool(xs.size < 2 or np.all(xs[1:] >= xs[:-1]))
        self.ds_x = self.x if self.monotonic else np.arange(n, dtype=np.float64)
        # big jumps in time (no rows at all) break lines like missing values do
        jumps = np.zeros(n, dtype=bool)
        if self.monotonic and xs.size > 2:
            pos = np.flatnonzero(self.valid)
            steps = np.diff(self.x[pos])
            positive = steps[steps > 0]
            if positive.size:
                med = float(np.median(positive))
                jumps[pos[1:][steps > GAP_STEPS * med]] = True
        self.jumps = jumps

    def __len__(self) -> int:
        return self.x.size

    def strings(self, positions: np.ndarray) -> list[str]:
        """The index at ``positions`` as text for tables."""
        if self.wall is not None:
            sub = self.wall[positions]
            fmt = self.fmt or "%Y-%m-%d %H:%M:%S"
            return [("" if s is None or s != s else s) for s in sub.strftime(fmt).tolist()]
        vals = self.index[positions]
        return [str(v) for v in vals]

    def json_x(self, positions: np.ndarray) -> list:
        """x at ``positions`` for the JSON: integers (ms, or whole index values) where exact."""
        xs = self.x[positions]
        if self.is_time:
            return [None if v != v else int(v) for v in xs.tolist()]
        if np.all(np.isfinite(xs)) and np.all(xs == np.round(xs)) and np.all(np.abs(xs) < 2**53):
            return [int(v) for v in xs.tolist()]
        return floats(xs)

    def coordinate(self, value: Any, name: str) -> float | None:
        """A window end given by a caller, as an x coordinate of the charts.

        For a time axis: anything :class:`pandas.Timestamp` reads (``"2021-03-01
        12:00"``, what plotly reports on zoom, a datetime; a tz-aware time is
        converted to the index's zone) or a number of milliseconds since 1970
        (the payload's own ``x``). Otherwise a number in the index's units
        (positions for an index that is neither time nor numbers).
        """
        if value is None:
            return None
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            out = float(value)
            if out != out:
                raise ParameterError(f"{name} must be a number, not NaN")
            return out
        if not self.is_time:
            raise ParameterError(f"{name} must be a number (the charts' x axis is not time); got {value!r}")
        try:
            ts = pd.Timestamp(value)
        except (TypeError, ValueError, OverflowError):
            raise ParameterError(
                f"{name} must be a time such as '2021-03-01 12:00', or milliseconds since 1970; "
                f"got {value!r}") from None
        if ts is pd.NaT:
            raise ParameterError(f"{name} must be a time, not NaT")
        if ts.tzinfo is not None:
            ts = ts.tz_convert(self.tz or "UTC").tz_localize(None)
        return float(ts.value) / 1e6

    def window(self, start: Any = None, end: Any = None) -> np.ndarray | slice:
        """Rows whose x lies in ``[start, end]`` (both ends included; None: open)."""
        lo = self.coordinate(start, "start")
        hi = self.coordinate(end, "end")
        if lo is not None and hi is not None and lo > hi:
            raise ParameterError(f"start must not be after end; got start={start!r}, end={end!r}")
        if lo is None and hi is None:
            return slice(None)
        if self.monotonic and self.valid.all():
            i0 = 0 if lo is None else int(np.searchsorted(self.x, lo, side="left"))
            i1 = len(self) if hi is None else int(np.searchsorted(self.x, hi, side="right"))
            return slice(i0, i1)
        inside = self.valid.copy()
        if lo is not None:
            inside &= self.x >= lo
        if hi is not None:
            inside &= self.x <= hi
        return np.flatnonzero(inside)

"""The store's clocks: value times (int64 ns) and the recording clock (int64 µs UTC)."""

from __future__ import annotations

import time as _time
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError

__all__ = ["now_us", "clock_us", "clock_to_timestamps", "index_ns", "ns_index", "time_ns", "fmt_ns"]


def now_us() -> int:
    """The store clock: microseconds since 1970-01-01 UTC."""
    return _time.time_ns() // 1000


def clock_us(as_of: Any) -> int | None:
    """``as_of`` (a timestamp of the store clock; naive means UTC) in µs; None stays None."""
    if as_of is None:
        return None
    try:
        ts = pd.Timestamp(as_of)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"as_of must be a timestamp such as '2026-01-31 12:00'; got {as_of!r}") from exc
    if ts is pd.NaT:
        raise ParameterError("as_of must be a timestamp; got NaT")
    ts = ts.tz_localize("UTC") if ts.tz is None else ts.tz_convert("UTC")
    return ts.as_unit("ns").value // 1000


def clock_to_timestamps(us) -> pd.DatetimeIndex:
    """Store clock values (µs) as UTC timestamps."""
    return pd.to_datetime(np.asarray(us, dtype=np.int64), unit="us", utc=True)


def index_ns(index: pd.Index) -> tuple[np.ndarray, str | None]:
    """int64 ns of a DatetimeIndex (UTC when tz-aware) and its time zone name."""
    assert isinstance(index, pd.DatetimeIndex), "checked by the caller (_as_frame)"
    if index.tz is not None:
        return index.tz_convert("UTC").tz_localize(None).as_unit("ns").asi8, str(index.tz)
    return index.as_unit("ns").asi8, None


def ns_index(ns: np.ndarray, tz: str | None, name: str = "time") -> pd.DatetimeIndex:
    """The DatetimeIndex of int64 ns times (in ``tz`` when given)."""
    idx = pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("M8[ns]"), name=name)
    return idx.tz_localize("UTC").tz_convert(tz) if tz else idx


def time_ns(value: Any, tz: str | None, *, what: str, name: str) -> int:
    """A user-given time of series ``name`` as int64 ns (its time zone applies to naive times)."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{what} for series {name!r} must be a time such as '2021-06-01 12:00'; "
                             f"got {value!r}") from exc
    if ts is pd.NaT:
        raise ParameterError(f"{what} for series {name!r} must be a time; got NaT")
    if tz:
        ts = ts.tz_localize(tz) if ts.tz is None else ts.tz_convert(tz)
        return ts.tz_convert("UTC").as_unit("ns").value
    if ts.tz is not None:
        raise ParameterError(f"{what} {ts} has a time zone but series {name!r} has naive times; "
                             "give the time without a time zone")
    return ts.as_unit("ns").value


def fmt_ns(ns: int, tz: str | None) -> str:
    return str(ns_index(np.array([ns]), tz)[0])

"""The one window grammar: a number of points, or a fixed time span.

Every method parameter that is a window or a time offset (``window=``,
``per=``, ``max_gap=``), the ``limit=`` of cleaning and the keys of a QC
configuration are read by :func:`parse_window`, so ``"1MS"`` means the same
thing (and is refused the same way) wherever it is written.

Grammar
-------
* A whole number (``96``, ``96.0``, ``"96"``): a number of values. Missing
  values are not counted: a window of 96 holds 96 measurements, whatever the
  gaps (and whatever rows other series add to a wide frame).
* A pandas frequency string with a fixed length (``"15min"``, ``"2h"``,
  ``"1D"``, ``"1W"``, ``"30s"``, ``"500ms"``), read by
  :func:`pandas.tseries.frequencies.to_offset` first, so ``"1MS"`` is a month
  start, not a millisecond.
* Anything :class:`pandas.Timedelta` reads (``"15 min"``, ``"1 day 2h"``,
  ``"P1D"``).

Refused, with a message that says why: months, quarters and years (``"1M"``,
``"1MS"``, ``"1Y"``; not fixed durations: use ``"30D"``), business days,
zero or negative spans, counts below the method's minimum, fractions of a
point, and spans too long to be a duration (over ~292 years).
"""

from __future__ import annotations

import functools
import math
import numbers
import re
import warnings
from dataclasses import dataclass
from typing import Any, SupportsFloat

__all__ = ["Window", "parse_window", "WindowError", "USAGE", "describe"]

#: How a window may be written, for messages.
USAGE = "a number of points or a fixed time span like '30min', '6h' or '30D'"
#: The longest count accepted (windows longer than the series are clipped to it anyway).
MAX_COUNT = 2**53
#: The longest span accepted: timestamps are int64 nanoseconds (about 292 years).
MAX_SPAN_NS = 2**62

_CALENDAR = re.compile(r"^[+-]?\d*\s*(?:B?[MQYA][SE]?|B?[MQYA]S?-[A-Z]{3}|BYS?|SM[SE]?)$")


class WindowError(ValueError):
    """A window could not be read; the message starts with "must be" (for parameter messages)."""


@dataclass(frozen=True)
class Window:
    """A parsed window: exactly one of ``count`` (points) and ``span_ns`` (nanoseconds).

    Attributes
    ----------
    count : int or None
        A number of points.
    span_ns : int or None
        A fixed time span in nanoseconds.
    text : str
        The window as written (for messages and provenance).
    """

    count: int | None
    span_ns: int | None
    text: str

    @property
    def is_time(self) -> bool:
        """Whether the window is a time span (and so needs timestamps)."""
        return self.span_ns is not None

    def __str__(self) -> str:
        return self.text


def parse_window(value: Any, *, allow_count: bool = True, allow_time: bool = True,
                 min_count: int = 1) -> Window:
    """Read a window or time offset; raise :class:`WindowError` ("must be ...") if it is not one.

    Parameters
    ----------
    value : int, float, str or Window
        See the module docstring for the grammar.
    allow_count, allow_time : bool
        Whether a number of points / a time span is acceptable here.
    min_count : int
        The smallest number of points accepted.

    Examples
    --------
    >>> parse_window(96).count, parse_window("15min").span_ns // 10**9
    (96, 900)
    >>> parse_window("1W").span_ns // 86_400_000_000_000
    7
    >>> parse_window("1MS")
    Traceback (most recent call last):
    ...
    aquaflag.windows.WindowError: must be a number of points or a fixed time span like '30min', '6h' or '30D'; '1MS' is a calendar period (months and years vary in length): use e.g. '30D'
    """
    if isinstance(value, Window):
        if (value.is_time and not allow_time) or (not value.is_time and not allow_count):
            raise WindowError("must be " + describe(allow_count=allow_count, allow_time=allow_time,
                                                    min_count=min_count))
        return value
    usage = "must be " + describe(allow_count=allow_count, allow_time=allow_time, min_count=min_count)
    if isinstance(value, bool) or value is None:
        raise WindowError(usage)
    if isinstance(value, numbers.Real):
        return _count(value, usage, allow_count, min_count)
    if not isinstance(value, str) or not value.strip():
        raise WindowError(usage)
    text = value.strip()
    if text.isdigit():
        return _count(int(text), usage, allow_count, min_count)
    if not allow_time:
        raise WindowError(usage)
    return Window(count=None, span_ns=_span_ns(text, usage), text=text)


def describe(*, allow_count: bool = True, allow_time: bool = True, min_count: int = 1) -> str:
    """The accepted windows in words ("a number of points or a fixed time span like ...").

    Examples
    --------
    >>> describe(min_count=3)
    "a number of points (>= 3) or a fixed time span like '30min', '6h' or '30D'"
    """
    if allow_count and allow_time:
        return USAGE if min_count <= 1 else USAGE.replace(
            "a number of points", f"a number of points (>= {min_count})")
    if allow_time:
        return "a fixed time span like '30min', '6h' or '30D'"
    return f"a whole number of points >= {min_count}"


def _count(value: SupportsFloat, usage: str, allow_count: bool, min_count: int) -> Window:
    if not allow_count:
        raise WindowError(usage)
    if isinstance(value, numbers.Integral):
        count = int(value)
    else:
        f = float(value)
        if not math.isfinite(f) or not f.is_integer():
            raise WindowError(f"{usage} (a number of points is whole)")
        count = int(f)
    if count < min_count:
        raise WindowError(usage)
    if count > MAX_COUNT:
        raise WindowError(f"{usage}; {count} points is more than any series holds")
    return Window(count=count, span_ns=None, text=str(count))


@functools.lru_cache(maxsize=1024)  # a pure function of two strings, asked per series and batch by ingest
def _span_ns(text: str, usage: str) -> int:
    import pandas as pd
    from pandas.tseries.frequencies import to_offset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' deprecation notes on 'H', 'T', 'd', ...
        try:
            offset = to_offset(text)
        except (ValueError, TypeError):
            offset = None
        if offset is not None:
            if type(offset).__name__ == "Week":  # 'W' or 'W-SUN': seven days, however anchored
                nanos = int(offset.n) * 7 * 86_400_000_000_000
            else:
                try:
                    nanos = int(offset.nanos)
                except (ValueError, TypeError, OverflowError):
                    raise WindowError(
                        f"{usage}; {text!r} is a calendar period (months and years vary in "
                        "length): use e.g. '30D'") from None
        else:
            try:
                nanos = int(pd.Timedelta(text).value)
            except (ValueError, TypeError, OverflowError):
                if _CALENDAR.match(text):
                    raise WindowError(f"{usage}; {text!r} is a calendar period (months and "
                                      "years vary in length): use e.g. '30D'") from None
                raise WindowError(usage) from None
            if nanos == pd.NaT.value:
                raise WindowError(usage)
    if nanos <= 0:
        raise WindowError(f"{usage}, longer than 0")
    if nanos > MAX_SPAN_NS:
        raise WindowError(f"{usage}; {text!r} is longer than any time span pandas can hold")
    return nanos

"""Chunked arrays: how the store packs one series' times and values into blobs.

Pure NumPy, no database. A series' raw values live in *chunks* of at most
:data:`CHUNK` consecutive values (``times`` int64 ns, ``values`` float64, and
when each value was added, int64 µs, zlib-compressed because it is nearly
constant). A series' chunks are disjoint in time and sorted; writing new values
re-packs only the chunks they touch (the last, not yet full chunk when they
arrive in order), so the cost of an append does not grow with the record.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

__all__ = ["CHUNK", "Packed", "pack", "unpack_times", "unpack_values", "unpack_added",
           "unpack_codes", "merge", "slices"]

#: Values per chunk (see the layout measurements in the module docstring of
#: :mod:`aquaflag.store`): small enough that re-packing the last chunk on an append
#: is cheap, large enough that a 10⁶-value series is ~1 000 rows.
CHUNK = 1024

_T = np.dtype("<i8")
_V = np.dtype("<f8")
_C = np.dtype("u1")


@dataclass(frozen=True)
class Packed:
    """One chunk ready to be written."""

    t_first: int
    t_last: int
    n: int
    times: bytes
    values: bytes


def pack(times: np.ndarray, values: np.ndarray, *, dtype=_V) -> Packed:
    """Pack sorted ``times`` (int64 ns) and ``values`` into one chunk."""
    return Packed(int(times[0]), int(times[-1]), int(times.size),
                  np.ascontiguousarray(times, dtype=_T).tobytes(),
                  np.ascontiguousarray(values, dtype=dtype).tobytes())


def pack_added(added: np.ndarray) -> bytes:
    """The per-value 'added at' clock (int64 µs), compressed (it is nearly constant)."""
    return zlib.compress(np.ascontiguousarray(added, dtype=_T).tobytes(), 1)


def unpack_times(blob: bytes) -> np.ndarray:
    """Times (int64 ns) of a chunk."""
    return np.frombuffer(blob, dtype=_T)


def unpack_values(blob: bytes) -> np.ndarray:
    """Values (float64) of a chunk."""
    return np.frombuffer(blob, dtype=_V)


def unpack_codes(blob: bytes) -> np.ndarray:
    """Flag codes (uint8) of a run chunk."""
    return np.frombuffer(blob, dtype=_C)


def unpack_added(blob: bytes) -> np.ndarray:
    """The 'added at' clock (int64 µs) of a chunk."""
    return np.frombuffer(zlib.decompress(blob), dtype=_T)


def slices(n: int, size: int | None = None) -> list[slice]:
    """Consecutive slices of at most ``size`` (default :data:`CHUNK`) covering ``range(n)``.

    Examples
    --------
    >>> slices(5, 2)
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    size = CHUNK if size is None else size
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def same_value(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise: equal, or both NaN."""
    return (a == b) | (np.isnan(a) & np.isnan(b))


def merge(old_t: np.ndarray, old_v: np.ndarray, old_added: np.ndarray,
          new_t: np.ndarray, new_v: np.ndarray, now: int):
    """Merge new values into stored ones; raw values are never changed.

    Parameters
    ----------
    old_t, old_v, old_added : ndarray
        Stored times (sorted, unique), values and 'added at' clocks.
    new_t, new_v : ndarray
        New times (sorted, unique) and values.
    now : int
        The clock (µs) recorded for the new values.

    Returns
    -------
    times, values, added : ndarray
        The merged arrays, sorted by time.
    n_new : int
        How many values were new.
    conflicts : ndarray of int
        Positions in ``new_t`` where a stored value at the same time differs.

    Examples
    --------
    >>> t, v, a, n, bad = merge(np.array([1, 3]), np.array([1., 3.]), np.array([0, 0]),
    ...                         np.array([2, 3]), np.array([2., 3.]), 7)
    >>> t.tolist(), v.tolist(), a.tolist(), n, bad.tolist()
    ([1, 2, 3], [1.0, 2.0, 3.0], [0, 7, 0], 1, [])
    """
    pos = np.searchsorted(old_t, new_t)
    inside = pos < old_t.size
    exists = np.zeros(new_t.size, dtype=bool)
    exists[inside] = old_t[pos[inside]] == new_t[inside]
    conflicts = np.flatnonzero(exists)[~same_value(old_v[pos[exists]], new_v[exists])]
    fresh = ~exists
    n_new = int(fresh.sum())
    if n_new == 0:
        return old_t, old_v, old_added, 0, conflicts
    times = np.concatenate([old_t, new_t[fresh]])
    order = np.argsort(times, kind="stable")
    values = np.concatenate([old_v, new_v[fresh]])[order]
    added = np.concatenate([old_added, np.full(n_new, now, dtype=np.int64)])[order]
    return times[order], values, added, n_new, conflicts

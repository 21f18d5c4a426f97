"""Detection: what one method found on one series.

Every registered method returns a :class:`Detection`. It carries the
boolean outlier mask, a score per point where the method has one, the
lower/upper bounds actually used (per point, so windowed and seasonal
methods fit the same shape), which points were evaluated at all, and a
short note on any degenerate case met (``"MAD = 0: ..."``).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

__all__ = ["Detection"]


class Detection:
    """The outcome of one method on one series.

    Attributes
    ----------
    mask : ndarray of bool, shape (n,)
        True where the method flags the value. Never True where the input is NaN.
    evaluated : ndarray of bool, shape (n,)
        True where the method could judge the value (not NaN, enough data,
        a usable scale). ``mask`` implies ``evaluated``.
    score : ndarray of float, shape (n,)
        The method's score per point (NaN where not evaluated or where the
        method has no score). Its meaning is given in each method's docstring.
        A method may give it as a zero-argument function that computes it
        (from values that cannot change and a few statistics): the array is
        then computed on each access and not kept, so a Result holding many
        rules does not hold a float per value for each of them.
    lower, upper : ndarray of float, shape (n,)
        The bounds used for each point (NaN where a side has no bound).
    method : str
        The registered method name.
    params : dict
        The full parameter set used (defaults included).
    stats : dict
        Whole-series statistics of the method (mean, std, median, MAD, Q1, Q3,
        MC, ...), for reports.
    note : str
        A sentence on any degenerate case met; empty otherwise.
    grade : ndarray of uint8, shape (n,), or None
        For methods that grade what they flag (e.g. a gross-range test with a
        suspect span and a fail span): the QARTOD code (3 SUSPECT or 4 FAIL)
        of each flagged point. None means the rule's severity applies.

    A Detection is immutable: its attributes cannot be reassigned. Memory: a
    mask with few flagged points is kept as their positions (8 bytes per
    flagged point instead of 1 per value) and given back as a fresh boolean
    array on access; ``evaluated``, like ``score``, may be given as a function
    that recomputes it (from values that cannot change). A Result with many
    rules on long series then holds little beyond its data.
    """

    __slots__ = ("_mask", "_evaluated", "_score", "lower", "upper", "method", "params", "stats",
                 "note", "grade", "_n")

    _mask: "_Flagged | np.ndarray"
    _evaluated: np.ndarray | Callable[[], np.ndarray]
    _score: np.ndarray | Callable[[], np.ndarray]
    _n: int
    lower: np.ndarray
    upper: np.ndarray
    method: str
    params: dict[str, Any]
    stats: dict[str, float]
    note: str
    grade: np.ndarray | None

    def __init__(self, mask: np.ndarray, evaluated: np.ndarray | Callable[[], np.ndarray],
                 score: np.ndarray | Callable[[], np.ndarray], lower: np.ndarray,
                 upper: np.ndarray, method: str, params: dict[str, Any] | None = None,
                 stats: dict[str, float] | None = None, note: str = "",
                 grade: np.ndarray | None = None) -> None:
        put = object.__setattr__
        n = mask.shape[0]
        put(self, "_n", n)
        ev = evaluated() if callable(evaluated) else evaluated
        for name, arr in (("evaluated", ev), ("lower", lower), ("upper", upper), ("grade", grade),
                          ("score", None if callable(score) else score)):
            if arr is not None and arr.shape != (n,):
                raise ValueError(f"Detection.{name} has shape {arr.shape}; expected ({n},)")
        if np.any(mask & ~ev):
            raise ValueError("Detection.mask flags a point that was not evaluated")
        put(self, "_mask", _Flagged.of(mask))
        put(self, "_evaluated", evaluated)
        put(self, "_score", score)
        put(self, "lower", lower)
        put(self, "upper", upper)
        put(self, "method", method)
        put(self, "params", {} if params is None else params)
        put(self, "stats", {} if stats is None else stats)
        put(self, "note", note)
        put(self, "grade", grade)

    @property
    def mask(self) -> np.ndarray:
        """True where the method flags the value (see the class docstring)."""
        m = self._mask
        return m.array() if isinstance(m, _Flagged) else m

    @property
    def evaluated(self) -> np.ndarray:
        """True where the method could judge the value (see the class docstring)."""
        e = self._evaluated
        return e() if callable(e) else e

    @property
    def score(self) -> np.ndarray:
        """The score per point (see the class docstring)."""
        s = self._score
        return s() if callable(s) else s

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Detection is immutable: cannot assign {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Detection is immutable: cannot delete {name!r}")

    def __repr__(self) -> str:
        return (f"Detection(method={self.method!r}, n={self._n}, "
                f"evaluated={self.n_evaluated}, outliers={self.n_outliers}, note={self.note!r})")

    def __reduce__(self):
        # Bounds that are one value for the whole series are stride-0 views: ship the value,
        # not n copies of it (Dask sends Detections between processes). A score computed on
        # access is shipped computed.
        state = {}
        for name in ("mask", "evaluated", "score", "lower", "upper", "grade"):
            arr = getattr(self, name)
            if arr is not None and arr.ndim == 1 and arr.size > 1 and arr.strides == (0,):
                state[name] = ("constant", arr[0], arr.shape[0], arr.dtype)
            else:
                state[name] = arr
        return (_rebuild, (state, self.method, self.params, self.stats, self.note))

    def scattered(self, rows: np.ndarray, n: int) -> "Detection":
        """This Detection, computed on ``values[rows]``, placed back on ``n`` rows.

        Rows not in ``rows`` are not evaluated (mask False, score and bounds NaN).
        """
        def put(arr, fill, dtype):
            out = np.full(n, fill, dtype=dtype)
            out[rows] = arr
            return out

        return Detection(
            mask=put(self.mask, False, bool), evaluated=put(self.evaluated, False, bool),
            score=put(self.score, np.nan, np.float64), lower=put(self.lower, np.nan, np.float64),
            upper=put(self.upper, np.nan, np.float64), method=self.method, params=self.params,
            stats=self.stats, note=self.note,
            grade=None if self.grade is None else put(self.grade, 0, np.uint8),
        )

    @property
    def n_outliers(self) -> int:
        """Number of flagged points."""
        m = self._mask
        return m.rows.size if isinstance(m, _Flagged) else int(m.sum())

    @property
    def flagged(self) -> np.ndarray:
        """Positions of the flagged points, ascending (``np.flatnonzero(mask)``)."""
        m = self._mask
        return m.rows if isinstance(m, _Flagged) else np.flatnonzero(m)

    @property
    def n_evaluated(self) -> int:
        """Number of evaluated points."""
        return int(self.evaluated.sum())

    @classmethod
    def from_bounds(
        cls,
        values: np.ndarray,
        lower: float | np.ndarray,
        upper: float | np.ndarray,
        *,
        score: np.ndarray | None = None,
        method: str,
        params: dict[str, Any],
        stats: dict[str, float] | None = None,
        note: str = "",
        evaluated: np.ndarray | None = None,
    ) -> "Detection":
        """Flag ``values`` strictly outside ``[lower, upper]``.

        NaN values and NaN bounds never flag; ``evaluated`` defaults to the
        non-NaN values.
        """
        n = values.shape[0]
        lo = np.broadcast_to(np.asarray(lower, dtype=float), (n,))
        hi = np.broadcast_to(np.asarray(upper, dtype=float), (n,))
        if evaluated is None:
            evaluated = ~np.isnan(values)
        with np.errstate(invalid="ignore"):
            mask = evaluated & ((values < lo) | (values > hi))
        return cls(
            mask=mask,
            evaluated=evaluated,
            score=np.full(n, np.nan) if score is None else score,
            lower=np.array(lo),
            upper=np.array(hi),
            method=method,
            params=dict(params),
            stats=dict(stats or {}),
            note=note,
        )

    @classmethod
    def not_evaluated(
        cls, values: np.ndarray, *, method: str, params: dict[str, Any], note: str,
        stats: dict[str, float] | None = None,
    ) -> "Detection":
        """A Detection in which no point could be judged, with the reason."""
        n = values.shape[0]
        nan = np.full(n, np.nan)
        none = np.zeros(n, dtype=bool)
        return cls(none, none.copy(), nan, nan.copy(), nan.copy(), method, dict(params),
                   dict(stats or {}), note)


class _Flagged:
    """A boolean mask kept as the positions of its True values (few of them)."""

    __slots__ = ("rows", "n")

    #: Kept as positions when at most this share of the values is flagged.
    MAX_SHARE = 1 / 16

    def __init__(self, rows: np.ndarray, n: int) -> None:
        self.rows = rows
        self.n = n

    @classmethod
    def of(cls, mask: np.ndarray) -> "_Flagged | np.ndarray":
        """``mask`` itself, or its positions when they take less memory."""
        n = mask.shape[0]
        if n < 1024 or mask.dtype != np.bool_ or mask.ndim != 1:
            return mask
        hits = int(np.count_nonzero(mask))
        if hits > cls.MAX_SHARE * n:
            return mask
        rows = np.flatnonzero(mask)
        rows.flags.writeable = False
        return cls(rows, n)

    def array(self) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        out[self.rows] = True
        return out


def _rebuild(arrays: dict, method: str, params: dict, stats: dict, note: str) -> Detection:
    """Unpickle a :class:`Detection` (see ``Detection.__reduce__``)."""
    out = {}
    for name, value in arrays.items():
        if isinstance(value, tuple) and value and value[0] == "constant":
            _, v, n, dtype = value
            out[name] = np.broadcast_to(np.asarray(v, dtype=dtype), (n,))
        else:
            out[name] = value
    return Detection(method=method, params=params, stats=stats, note=note, **out)

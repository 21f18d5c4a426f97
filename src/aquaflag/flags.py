"""Quality flags: the QARTOD convention used by water agencies.

======  ===============  ====================================================
 code    name             meaning
======  ===============  ====================================================
 1       GOOD             evaluated by at least one rule; no rule flagged it
 2       NOT_EVALUATED    present, but no rule could judge it
 3       SUSPECT          flagged by a rule of severity "suspect"
 4       FAIL             flagged by a rule of severity "fail"
 9       MISSING          no value (NaN)
======  ===============  ====================================================

Flags combine by severity *rank*, never by the raw number:
NOT_EVALUATED < GOOD < SUSPECT < FAIL < MISSING (a missing value stays
missing whatever a rule says). Reference: U.S. IOOS (2020), *Manual for
Real-Time Quality Control of In-situ Temperature and Salinity Data* (QARTOD),
flag scheme table.
"""

from __future__ import annotations

import enum

import numpy as np

from .errors import ParameterError

__all__ = ["Flag", "combine", "rank_of_codes", "codes_of_ranks", "severity_flag", "SEVERITIES"]


class Flag(enum.IntEnum):
    """QARTOD flag codes."""

    GOOD = 1
    NOT_EVALUATED = 2
    SUSPECT = 3
    FAIL = 4
    MISSING = 9

    @property
    def rank(self) -> int:
        """Severity rank used to combine flags (higher wins)."""
        return _RANK[self]


_RANK = {Flag.NOT_EVALUATED: 0, Flag.GOOD: 1, Flag.SUSPECT: 2, Flag.FAIL: 3, Flag.MISSING: 4}
#: Rule severities and the flag each sets on the values it flags.
SEVERITIES = {"suspect": Flag.SUSPECT, "fail": Flag.FAIL}

# code -> rank lookup table, for vectorised combination of uint8 code arrays
_RANK_OF_CODE = np.zeros(10, dtype=np.int8)
_CODE_OF_RANK = np.zeros(5, dtype=np.uint8)
for _f, _r in _RANK.items():
    _RANK_OF_CODE[int(_f)] = _r
    _CODE_OF_RANK[_r] = int(_f)


def severity_flag(severity: str | None) -> Flag:
    """The flag a rule of ``severity`` ("suspect" or "fail") sets."""
    flag = SEVERITIES.get(severity) if isinstance(severity, str) else None
    if flag is None:
        raise ParameterError(
            f"severity must be one of {', '.join(map(repr, SEVERITIES))}; got {severity!r}"
        )
    return flag


def rank_of_codes(codes: np.ndarray) -> np.ndarray:
    """Severity ranks (int8) of an array of flag codes; see :attr:`Flag.rank`.

    Examples
    --------
    >>> rank_of_codes(np.array([1, 2, 3, 4, 9])).tolist()
    [1, 0, 2, 3, 4]
    """
    return _RANK_OF_CODE[np.asarray(codes).astype(np.uint8, copy=False)]


def codes_of_ranks(ranks: np.ndarray) -> np.ndarray:
    """Flag codes (uint8) of an array of severity ranks; the inverse of :func:`rank_of_codes`.

    Examples
    --------
    >>> codes_of_ranks(np.array([1, 0, 2, 3, 4])).tolist()
    [1, 2, 3, 4, 9]
    """
    return _CODE_OF_RANK[ranks]


def combine(*codes: np.ndarray) -> np.ndarray:
    """Combine flag-code arrays cell by cell: the most severe rank wins.

    Works on small integer codes without widening them (one byte per cell).

    Examples
    --------
    >>> combine(np.array([1, 2, 3, 2]), np.array([3, 1, 4, 2]))
    array([3, 1, 4, 2], dtype=uint8)
    """
    if not codes:
        raise ValueError("combine needs at least one array of flag codes")
    rank = rank_of_codes(codes[0])
    for c in codes[1:]:
        np.maximum(rank, rank_of_codes(c), out=rank)
    return codes_of_ranks(rank)

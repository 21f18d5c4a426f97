"""Derived on read: final flags from runs and the decision ledger; approval periods.

Pure functions over NumPy arrays and plain lists; the store feeds them what it
read for one series and one ``as_of`` time.

Rules (also in the docs of :mod:`aquaflag.store`):

* the automatic flag of a value is the code the latest run that judged it gave it;
  a value no run judged is 2 NOT_EVALUATED;
* a decision is *active* unless an active ``undo`` names it (an undo of an undo
  restores the decision);
* the final flag of a value is the code of the latest active decision whose
  point or range holds it (accept -> 1 GOOD, reject -> 4 FAIL, set_flag -> its
  code), else its automatic flag;
* the approval level of a time is the level of the latest approval record whose
  period holds it, else ``raw``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["ACTION_CODES", "LEVELS", "decision_code", "active", "paint_runs",
           "paint_decisions", "periods", "levels_at"]

#: The flag each action gives a value (set_flag gives its own code).
ACTION_CODES = {"accept": 1, "reject": 4}
#: Approval levels, in order.
LEVELS = ("raw", "provisional", "approved")


def decision_code(action: str, flag: int | None) -> int | None:
    """The flag code a decision gives the values it covers (None for undo)."""
    if action == "set_flag":
        if flag is None:
            raise ValueError("a set_flag decision needs its flag")
        return int(flag)
    return ACTION_CODES.get(action)


def active(ids: Sequence[int], actions: Sequence[str], undoes: Sequence[int | None]) -> np.ndarray:
    """Which ledger entries apply: not undone by an entry that itself applies.

    Parameters
    ----------
    ids, actions, undoes : sequences
        The ledger entries (any order); ``undoes`` is the id an undo names.

    Returns
    -------
    ndarray of bool
        Aligned with ``ids``.

    Examples
    --------
    >>> active([1, 2, 3], ["reject", "undo", "undo"], [None, 1, 2]).tolist()
    [True, False, True]
    """
    pos = {int(i): k for k, i in enumerate(ids)}
    on = np.ones(len(ids), dtype=bool)
    for k in sorted(range(len(ids)), key=lambda k: -int(ids[k])):  # an undo comes after its target
        target = undoes[k]
        if actions[k] == "undo" and on[k] and target is not None and int(target) in pos:
            on[pos[int(target)]] = False
    return on


def paint_runs(times: np.ndarray, runs: Sequence[tuple[np.ndarray, np.ndarray]]
               ) -> tuple[np.ndarray, np.ndarray]:
    """Automatic flags: each run's codes over the values it judged, later runs on top.

    Parameters
    ----------
    times : ndarray of int64
        The series' times, sorted.
    runs : sequence of (times, codes)
        Per run (in run order) the times it judged and its codes.

    Returns
    -------
    codes : ndarray of uint8
        2 NOT_EVALUATED where no run judged the value.
    which : ndarray of int
        Per value, the position in ``runs`` of the run that set its code, -1 for none.

    Examples
    --------
    >>> t = np.array([1, 2, 3, 4])
    >>> codes, which = paint_runs(t, [(np.array([1, 2, 3]), np.array([1, 3, 1])), (np.array([3]), np.array([4]))])
    >>> codes.tolist(), which.tolist()
    ([1, 3, 4, 2], [0, 0, 1, -1])
    """
    codes = np.full(times.size, 2, dtype=np.uint8)
    which = np.full(times.size, -1, dtype=np.int64)
    for k, (run_t, run_c) in enumerate(runs):
        idx = np.searchsorted(times, run_t)
        ok = idx < times.size
        ok[ok] = times[idx[ok]] == run_t[ok]
        codes[idx[ok]] = run_c[ok]
        which[idx[ok]] = k
    return codes, which


def paint_decisions(times: np.ndarray, auto: np.ndarray, starts: Sequence[int], ends: Sequence[int],
                    codes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Final flags: active decisions in ledger order over the automatic flags.

    Parameters
    ----------
    times : ndarray of int64
        Sorted times.
    auto : ndarray of uint8
        Automatic flags.
    starts, ends, codes : sequences
        The active, non-undo decisions in ledger order: closed time ranges and codes.

    Returns
    -------
    final : ndarray of uint8
    governing : ndarray of int
        Per value, the position (in the given decisions) of the decision that set
        its flag, -1 where none did.

    Examples
    --------
    >>> f, g = paint_decisions(np.array([1, 2, 3]), np.array([3, 3, 1], np.uint8), [1, 2], [3, 2], [1, 4])
    >>> f.tolist(), g.tolist()
    ([1, 4, 1], [0, 1, 0])
    """
    final = auto.copy()
    governing = np.full(times.size, -1, dtype=np.int64)
    lo = np.searchsorted(times, np.asarray(starts, dtype=np.int64), side="left")
    hi = np.searchsorted(times, np.asarray(ends, dtype=np.int64), side="right")
    for k, (a, b) in enumerate(zip(lo.tolist(), hi.tolist())):
        if b > a:
            final[a:b] = codes[k]
            governing[a:b] = k
    return final, governing


def periods(starts: Sequence[int], ends: Sequence[int], levels: Sequence[str]) -> list[tuple[int, int, str]]:
    """Effective approval periods from approval records in ledger order.

    Returns disjoint closed ranges ``(start, end, level)`` that are not ``raw``,
    sorted by time; adjacent ranges of one level are joined.

    Examples
    --------
    >>> periods([0, 5], [10, 7], ["approved", "provisional"])
    [(0, 4, 'approved'), (5, 7, 'provisional'), (8, 10, 'approved')]
    """
    if not starts:
        return []
    bounds = sorted({int(s) for s in starts} | {int(e) + 1 for e in ends})
    out: list[tuple[int, int, str]] = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        level = "raw"
        for s, e, lev in zip(starts, ends, levels):
            if s <= a and b - 1 <= e:
                level = lev
        if level == "raw":
            continue
        if out and out[-1][2] == level and out[-1][1] + 1 == a:
            out[-1] = (out[-1][0], b - 1, level)
        else:
            out.append((a, b - 1, level))
    return out


def levels_at(times: np.ndarray, spans: Sequence[tuple[int, int, str]]) -> np.ndarray:
    """Approval level (index into :data:`LEVELS`) of each time, from :func:`periods`."""
    out = np.zeros(times.size, dtype=np.int8)
    for s, e, lev in spans:
        a, b = np.searchsorted(times, s, side="left"), np.searchsorted(times, e, side="right")
        out[a:b] = LEVELS.index(lev)
    return out

"""Column names: one clean, unique text label per column, every change reported.

Policy
------
* Names are text, with surrounding whitespace (and a stray byte-order mark)
  removed.
* A column without a header is named ``"Unnamed: i"`` (``i`` counts columns
  from 0, as pandas does).
* A name used a second time is kept, renamed visibly: ``"pH"``, ``"pH (2)"``,
  ``"pH (3)"``. The report maps each new name to the header as written, and the
  series metadata of ``"pH (2)"`` is that of ``"pH"`` (so ``(2)`` is never read
  as a station).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

__all__ = ["clean_names", "needs_cleaning"]


def _text(name: Any) -> str:
    if name is None or (isinstance(name, float) and math.isnan(name)):
        return ""
    return str(name).replace("\ufeff", "").strip()


def needs_cleaning(names: Sequence[Any]) -> bool:
    """Whether :func:`clean_names` would change anything (cheap check for the fast path)."""
    seen: set[str] = set()
    for name in names:
        if not isinstance(name, str) or name != name.strip() or not name or name in seen \
                or "\ufeff" in name:
            return True
        seen.add(name)
    return False


def clean_names(names: Sequence[Any]) -> tuple[list[str], dict[str, str]]:
    """Clean, unique column names, and the renamed ones (new name -> header as written).

    Parameters
    ----------
    names : sequence
        The headers as read (any type; pandas' own de-duplication must not have
        run).

    Returns
    -------
    names : list of str
    renamed : dict
        New name -> stripped original (``""`` for a column without a header),
        for every name that is not the stripped original.

    Examples
    --------
    >>> clean_names(["date", " pH ", "pH", None, "pH (2)", "pH"])
    (['date', 'pH', 'pH (3)', 'Unnamed: 3', 'pH (2)', 'pH (4)'], {'pH (3)': 'pH', 'Unnamed: 3': '', 'pH (4)': 'pH'})
    """
    texts = [_text(n) for n in names]
    taken = set(t for t in texts if t)
    out: list[str] = []
    renamed: dict[str, str] = {}
    used: set[str] = set()
    for i, text in enumerate(texts):
        if not text:
            new = f"Unnamed: {i}"
            k = 2
            while new in taken or new in used:
                new = f"Unnamed: {i} ({k})"
                k += 1
            renamed[new] = ""
        elif text in used:
            k = 2
            new = f"{text} ({k})"
            while new in taken or new in used:
                k += 1
                new = f"{text} ({k})"
            renamed[new] = text
        else:
            new = text
        used.add(new)
        out.append(new)
    return out, renamed

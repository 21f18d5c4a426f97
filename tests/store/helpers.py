"""Helpers of the store tests: small frames and an independent oracle of final flags."""

from __future__ import annotations

import numpy as np
import pandas as pd


def frame(n: int = 50, start: str = "2021-01-01", freq: str = "D", columns=("pH(A)", "DO(A)"),
          seed: int = 0) -> pd.DataFrame:
    """A small wide frame with a DatetimeIndex."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range(start, periods=n, freq=freq)
    return pd.DataFrame({c: rng.normal(7 + k, 0.3, n) for k, c in enumerate(columns)}, index=idx)


def oracle_flags(times, auto: dict, ledger: list[dict]) -> pd.Series:
    """Final flags recomputed by a plain loop over the ledger, independently of the store.

    ``auto`` maps each time to its automatic flag; ``ledger`` lists entries in the order
    they were recorded: ``{"id", "action", "start", "end", "flag", "undoes"}`` (``end`` None
    for a point). Undo removes the decision it names from the applied set; an undo of an
    undo puts the decision that undo had removed back.
    """
    applied: dict[int, dict] = {}
    effect: dict[int, tuple[str, int]] = {}  # undo id -> ("removed" | "restored", decision id)
    by_id = {e["id"]: e for e in ledger}
    for e in ledger:
        if e["action"] != "undo":
            applied[e["id"]] = e
            continue
        target = by_id[e["undoes"]]
        if target["action"] != "undo":
            applied.pop(target["id"], None)
            effect[e["id"]] = ("removed", target["id"])
        else:
            what, victim = effect[target["id"]]
            if what == "removed":
                applied[victim] = by_id[victim]
                effect[e["id"]] = ("restored", victim)
            else:
                applied.pop(victim, None)
                effect[e["id"]] = ("removed", victim)
    code = {"accept": 1, "reject": 4}
    out = {}
    for t in times:
        flag = auto[t]
        for i in sorted(applied):
            d = applied[i]
            end = d["start"] if d["end"] is None else d["end"]
            if d["start"] <= t <= end:
                flag = d["flag"] if d["action"] == "set_flag" else code[d["action"]]
        out[t] = flag
    return pd.Series(out, dtype="uint8")

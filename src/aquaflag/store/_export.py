"""Exports of the store's derived state: labels, a per-value CSV, CF netCDF.

Functions of the per-series states the store derived (:class:`~aquaflag.store._store.State`-like
objects: ``name, tz, times, values, auto, run_of, run_ids, final, governing,
decisions, levels``); no database access here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from . import _derive as dv

__all__ = ["labels_table", "values_table", "write_csv", "netcdf_dataset", "FLAG_VALUES", "FLAG_MEANINGS",
           "TEST_STANDARD_NAMES"]

#: QARTOD codes and their CF ``flag_meanings`` (IOOS QARTOD flag scheme).
FLAG_VALUES = (1, 2, 3, 4, 9)
FLAG_MEANINGS = "pass not_evaluated suspect fail missing"
#: aquaflag methods that are QARTOD tests, and the standard name of their flag variables
#: (IOOS QARTOD standard names; other methods get the generic CF ``quality_flag``).
TEST_STANDARD_NAMES = {
    "gross_range": "gross_range_test_quality_flag",
    "spike": "spike_test_quality_flag",
    "rate_of_change": "rate_of_change_test_quality_flag",
    "flat_line": "flat_line_test_quality_flag",
    "cross_station": "neighbor_test_quality_flag",
}
_MEANING = {1: "good", 2: "not evaluated", 3: "suspect", 4: "fail", 9: "missing"}


def _clock(us) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(us, dtype=np.int64), unit="us", utc=True)


def _index(s) -> pd.DatetimeIndex:
    idx = pd.DatetimeIndex(np.asarray(s.times, dtype=np.int64).view("M8[ns]"), name="time")
    return idx.tz_localize("UTC").tz_convert(s.tz) if s.tz else idx


def write_csv(table: pd.DataFrame, path) -> pd.DataFrame | Path:
    """Return ``table`` when ``path`` is None, else write it as UTF-8 CSV and return the path."""
    if path is None:
        return table
    path = Path(path)
    table.to_csv(path, index=False, encoding="utf-8")
    return path


def labels_table(states: Sequence[Any]) -> pd.DataFrame:
    """Labels from decisions: ``column, time, label, reviewer, decided_at`` (see ``Store.export_labels``)."""
    parts = []
    for s in states:
        has = s.governing >= 0
        if not has.any() or not s.decisions:
            continue
        g = s.governing[has]
        codes = np.array([d["flag"] for d in s.decisions], dtype=np.int64)[g]
        keep = codes != 2
        parts.append(pd.DataFrame({
            "column": s.name,
            "time": _index(s)[has][keep],
            "label": np.isin(codes[keep], (3, 4)),
            "reviewer": np.array([d["reviewer"] for d in s.decisions], dtype=object)[g][keep],
            "decided_at": _clock(np.array([d["decided_us"] for d in s.decisions], dtype=np.int64)[g][keep]),
        }))
    if not parts:
        return pd.DataFrame({"column": pd.Series(dtype=object), "time": pd.Series(dtype="M8[ns]"),
                             "label": pd.Series(dtype=bool), "reviewer": pd.Series(dtype=object),
                             "decided_at": pd.Series(dtype="M8[ns, UTC]")})
    return pd.concat(parts, ignore_index=True)


def _decision_text(d: Mapping) -> str:
    when = _clock([d["decided_us"]])[0].strftime("%Y-%m-%d %H:%M UTC")
    if d["action"] == "set_flag":
        what = f"flag set to {d['flag']} ({_MEANING.get(d['flag'], '?')})"
    else:
        what = {"accept": "accepted", "reject": "rejected"}[d["action"]]
    return f"{what} by {d['reviewer']} on {when} (decision {d['id']}): {d['reason']}"


def values_table(states: Sequence[Any], provenance: Mapping[str, list]) -> pd.DataFrame:
    """One row per value: ``series, time, value, flag, flag_meaning, qualifier, reviewer, approval``.

    ``provenance`` maps a series name to its provenance rows ``(run, time, rule, ...)``.
    """
    parts = []
    for s in states:
        n = s.times.size
        qualifier = np.full(n, "", dtype=object)
        reviewer = np.full(n, "", dtype=object)
        rules: dict[tuple[int, int], list[str]] = {}
        for row in provenance.get(s.name, []):
            rules.setdefault((int(row[0]), int(row[1])), []).append(str(row[2]))
        flagged = np.flatnonzero(np.isin(s.auto, (3, 4)) & (s.run_of >= 0))
        for i in flagged.tolist():
            rid = s.run_ids[s.run_of[i]]
            names = rules.get((rid, int(s.times[i])))
            qualifier[i] = (f"automatic {_MEANING[int(s.auto[i])]}: "
                            f"{', '.join(names) if names else 'flagged'} (run {rid})")
        has = s.governing >= 0
        if has.any():
            texts = np.array([_decision_text(d) for d in s.decisions], dtype=object)
            who = np.array([d["reviewer"] for d in s.decisions], dtype=object)
            qualifier[has] = texts[s.governing[has]]
            reviewer[has] = who[s.governing[has]]
        parts.append(pd.DataFrame({
            "series": s.name, "time": _index(s), "value": s.values, "flag": s.final,
            "flag_meaning": pd.Series(s.final).map(_MEANING).to_numpy(dtype=object),
            "qualifier": qualifier, "reviewer": reviewer,
            "approval": np.array(dv.LEVELS, dtype=object)[s.levels],
        }))
    cols = ["series", "time", "value", "flag", "flag_meaning", "qualifier", "reviewer", "approval"]
    if not parts:
        return pd.DataFrame({c: [] for c in cols})
    if len({s.tz for s in states}) > 1:
        for p in parts:
            p["time"] = p["time"].dt.tz_convert("UTC") if p["time"].dt.tz is not None else \
                p["time"].dt.tz_localize("UTC")
    return pd.concat(parts, ignore_index=True)[cols]


def nc_name(name: str, used: set[str]) -> str:
    """A CF-safe variable name (letters, digits, underscores; starts with a letter), unique in ``used``.

    Examples
    --------
    >>> nc_name("pH(Mun-Ui)", set())
    'pH_Mun_Ui'
    >>> nc_name("수온(문의)", set())
    'series'
    """
    base = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", name)).strip("_")
    if not base or not base[0].isalpha():
        base = "series" + (f"_{base}" if base else "")
    out, k = base, 2
    while out in used:
        out, k = f"{base}_{k}", k + 1
    used.add(out)
    return out


def _flag_attrs(standard_name: str, long_name: str) -> dict:
    return {"standard_name": standard_name, "long_name": long_name,
            "flag_values": np.array(FLAG_VALUES, dtype=np.int8), "flag_meanings": FLAG_MEANINGS,
            "references": "U.S. IOOS QARTOD flag scheme (1 pass, 2 not evaluated, 3 suspect, 4 fail, "
                          "9 missing)"}


def netcdf_dataset(states: Sequence[Any], meta: Mapping[str, Mapping], provenance: Mapping[str, list],
                   rules: Mapping[int, list[tuple[str, str]]], *, store_url: str, as_of=None):
    """The CF dataset of :meth:`Store.export_netcdf` (see there)."""
    from ._db import require

    xr = require("xarray", "netcdf")
    from .. import __version__

    utc = [s.times for s in states]
    axis = np.unique(np.concatenate(utc)) if utc else np.empty(0, np.int64)
    time = pd.DatetimeIndex(axis.view("M8[ns]"), name="time")
    variables: dict[str, Any] = {}
    used: set[str] = {"time"}
    for s in states:
        info = meta.get(s.name, {})
        v = nc_name(s.name, used)
        pos = np.searchsorted(axis, s.times)
        present = np.zeros(axis.size, dtype=bool)
        present[pos] = True
        data = np.full(axis.size, np.nan)
        data[pos] = s.values
        agg = np.full(axis.size, 9, dtype=np.int8)
        agg[pos] = s.final
        names = [f"{v}_qc_agg"]
        variables[names[0]] = ("time", agg, _flag_attrs(
            "aggregate_quality_flag", f"{s.name}: aggregate quality flag (automatic runs and human review)"))
        # one flag variable per rule that judged the series, from provenance
        by_rule: dict[str, str] = {}
        for rid in s.run_ids:
            for label, method in rules.get(rid, []):
                by_rule.setdefault(label, method)
        judged = s.run_of >= 0
        prov_by: dict[str, list] = {}
        for row in provenance.get(s.name, []):
            prov_by.setdefault(str(row[2]), []).append(row)
        run_pos = {rid: k for k, rid in enumerate(s.run_ids)}
        for label, method in by_rule.items():
            has_rule = np.array([any(lab == label for lab, _ in rules.get(rid, [])) for rid in s.run_ids]
                                + [False], dtype=bool)
            codes = np.where(has_rule[s.run_of] & judged, np.where(s.auto == 2, 2, 1), 2).astype(np.int8)
            for row in prov_by.get(label, []):
                k = run_pos.get(int(row[0]))
                i = int(np.searchsorted(s.times, int(row[1])))
                if k is not None and i < s.times.size and s.times[i] == int(row[1]) and s.run_of[i] == k:
                    codes[i] = int(row[5])
            arr = np.full(axis.size, 9, dtype=np.int8)
            arr[pos] = codes
            name = nc_name(f"{v}_qc_{label}", used)
            names.append(name)
            variables[name] = ("time", arr, dict(
                _flag_attrs(TEST_STANDARD_NAMES.get(method, "quality_flag"),
                            f"{s.name}: test '{label}' ({method}) of the latest run that judged the value"),
                comment="1 means the rule ran on the value and did not flag it (it may not have been "
                        "able to judge it); 2 that the run which judged the value lacked this rule"))
        review = np.full(axis.size, 9, dtype=np.int8)
        rv = np.full(s.times.size, 2, dtype=np.int8)
        has = s.governing >= 0
        if has.any():
            rv[has] = np.array([d["flag"] for d in s.decisions], dtype=np.int8)[s.governing[has]]
        review[pos] = rv
        name = nc_name(f"{v}_qc_review", used)
        names.append(name)
        variables[name] = ("time", review, dict(
            _flag_attrs("quality_flag", f"{s.name}: human review flag"),
            comment="decision of a technician (accept 1, reject 4, set_flag its code); 2 where no decision"))
        attrs = {"long_name": s.name, "aquaflag_series": s.name, "ancillary_variables": " ".join(names)}
        for key in ("variable", "station", "unit"):
            if info.get(key):
                attrs["units" if key == "unit" else key] = info[key]
        if s.tz:
            attrs["comment"] = f"times converted from {s.tz} to UTC"
        variables[v] = ("time", data, attrs)
    ds = xr.Dataset({k: xr.Variable(*spec) for k, spec in variables.items()}, coords={"time": time})
    ds["time"].attrs.update({"standard_name": "time", "long_name": "time of the value"})
    ds.attrs.update({
        "Conventions": "CF-1.11",
        "title": "aquaflag QC store export: values with final quality flags",
        "source": f"aquaflag {__version__} QC store {store_url}",
        "history": f"{pd.Timestamp.now(tz='UTC'):%Y-%m-%dT%H:%M:%SZ} exported by aquaflag {__version__}"
                   + (f", state as of {as_of}" if as_of is not None else ""),
    })
    return ds

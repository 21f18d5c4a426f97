"""Result: what a run of rules over many series found, and views on it.

A :class:`Result` holds the untouched evaluated input, one
:class:`~aquaflag.detection.Detection` per (column, rule) — the provenance:
which rule, with which parameters, flagged what — and derives every view
from them: the outlier mask, the QARTOD flag table, the tidy table of
outliers, the per-column summary and cleaned data. Plots and reports read a
Result (:mod:`aquaflag.plot`, :mod:`aquaflag.report`); a Result knows nothing
of them, nor of the engine that made it. It never
modifies the input; views are computed on request (the mask and flag arrays once,
then cached: a Result is not meant to be changed after it is made).
"""

from __future__ import annotations

import functools
from typing import Any, Mapping, Protocol, Sequence

import numpy as np
import pandas as pd

from .cleaning import interpolate_gaps
from .detection import Detection
from .errors import InputError, ParameterError, did_you_mean
from .flags import Flag, codes_of_ranks, rank_of_codes, severity_flag
from .variables import SeriesInfo, describe

__all__ = ["Result", "OUTLIER_COLUMNS", "SUMMARY_COLUMNS", "RuleLike", "extreme"]


class RuleLike(Protocol):
    """What a Result needs of a rule (:class:`aquaflag.rules.Rule` is one)."""

    # read-only (properties), so that a frozen dataclass like Rule matches
    @property
    def method(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def severity(self) -> str | None: ...

    @property
    def params(self) -> Mapping[str, Any]: ...

    #: The rule's selectors (what the writers put in the configuration of a run).
    @property
    def columns(self) -> tuple[str, ...] | None: ...

    @property
    def variables(self) -> tuple[str, ...] | None: ...

    @property
    def stations(self) -> tuple[str, ...] | None: ...

    def params_text(self, params: Mapping[str, Any] | None = None) -> str: ...

    def changed_params(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]: ...


#: Columns of :attr:`Result.summary` (before the reader's per-column counts).
SUMMARY_COLUMNS = ["column", "rule", "method", "n", "missing", "evaluated", "outliers", "lower",
                   "upper", "parameters", "note"]
#: Columns of :attr:`Result.outliers`.
OUTLIER_COLUMNS = ["column", "time", "value", "rule", "method", "score", "lower", "upper"]


class Result:
    """Outcome of :func:`aquaflag.detect` or :func:`aquaflag.run`.

    Attributes
    ----------
    data : DataFrame
        The evaluated input (float columns, the caller's index). Never modified.
    rules : list of Rule
        The rules applied, in order; ``rule.label`` names each in the tables.
    detections : dict
        ``(column, label) -> Detection``.
    series : dict
        ``column -> SeriesInfo``: what each series measures (variable,
        station, unit), as the engine resolved it.
    skipped : dict
        Columns of the input that were not evaluated, with the reason.
    notes : list of str
        What the engine did to the input on the way (e.g. infinite values
        treated as missing).
    source : ReadReport or None
        What :func:`aquaflag.read` found in the file, when the data came from one.
    prior_flags : DataFrame or None
        Flags the data already had (respected: see :func:`aquaflag.evaluate`).
    human : DataFrame or None
        Technicians' decisions on the data's cells (``column, time, row, flag,
        action, reviewer, reason, ...``): a human flag wins over the rules'.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        rules: Sequence[RuleLike],
        detections: dict[tuple[str, str], Detection],
        *,
        series: Mapping[str, SeriesInfo] | None = None,
        skipped: dict[str, str] | None = None,
        notes: list[str] | None = None,
        source: Any = None,
        prior_flags: pd.DataFrame | None = None,
        human: pd.DataFrame | None = None,
    ) -> None:
        self.data = data
        self.rules = list(rules)
        self.detections = detections
        self.series = dict(series) if series is not None else describe(data.columns)
        self.skipped = dict(skipped or {})
        self.notes = list(notes or [])
        self.prior_flags = prior_flags
        self.human = human
        self.source = source

    # ------------------------------------------------------------------ access
    @property
    def columns(self) -> list[str]:
        """The evaluated columns, in input order."""
        return list(self.data.columns)

    @property
    def labels(self) -> list[str]:
        """The rule labels (method names for :func:`aquaflag.detect`), in order."""
        return [r.label for r in self.rules]

    def rule(self, label: str) -> RuleLike:
        """The rule named ``label``."""
        for r in self.rules:
            if r.label == label:
                return r
        raise ParameterError(f"no rule {label!r}; rules: {', '.join(self.labels)}")

    @property
    def unchecked(self) -> list[str]:
        """Evaluated columns that no rule selected: not checked at all."""
        judged = {col for col, _ in self.detections}
        return [c for c in self.columns if c not in judged]

    def detection(self, column: str, rule: str | None = None) -> Detection:
        """The Detection of one rule on one column.

        ``rule`` (a rule label) may be omitted when a single rule applies to the column.
        """
        self._check_column(column)
        labels = self.labels_on(column)
        if not labels:
            raise ParameterError(f"no rule selected column {column!r}; rules: {', '.join(self.labels)}")
        if rule is None:
            if len(labels) != 1:
                raise ParameterError(
                    f"column {column!r} has {len(labels)} rules ({', '.join(labels)}); "
                    "name one with rule="
                )
            rule = labels[0]
        try:
            return self.detections[(column, rule)]
        except KeyError:
            raise ParameterError(
                f"no rule {rule!r} on column {column!r}; rules there: {', '.join(labels)}"
            ) from None

    def labels_on(self, column: str) -> list[str]:
        """The labels of the rules that judged ``column``, in rule order."""
        return [lab for lab in self.labels if (column, lab) in self.detections]

    def _check_column(self, column: str) -> None:
        if column not in self.data.columns:
            tip = did_you_mean(column, self.columns)
            raise InputError(
                f"no evaluated column {column!r}; {tip}columns: {', '.join(map(str, self.columns))}"
            )

    def items(self):
        """(column, rule, detection) of every rule that judged a column: columns in order, then rules."""
        for col in self.columns:
            for rule in self.rules:
                det = self.detections.get((col, rule.label))
                if det is not None:
                    yield col, rule, det

    # ------------------------------------------------------------------- views
    @property
    def mask(self) -> pd.DataFrame:
        """Bool frame like :attr:`data`: True where any rule flagged the value."""
        return pd.DataFrame(self._mask_array.copy(), index=self.data.index, columns=self.data.columns)

    @functools.cached_property
    def _mask_array(self) -> np.ndarray:
        out = np.zeros(self.data.shape, dtype=bool)
        pos = {c: i for i, c in enumerate(self.columns)}
        for col, _rule, det in self.items():
            out[:, pos[col]] |= det.mask
        return out

    def mask_of(self, rule: str) -> pd.DataFrame:
        """Bool frame like :attr:`data`: True where the rule labelled ``rule`` flagged the value."""
        self.rule(rule)
        out = np.zeros(self.data.shape, dtype=bool)
        for j, col in enumerate(self.columns):
            det = self.detections.get((col, rule))
            if det is not None:
                out[:, j] = det.mask
        return pd.DataFrame(out, index=self.data.index, columns=self.data.columns)

    @property
    def flags(self) -> pd.DataFrame:
        """QARTOD flag codes (uint8) like :attr:`data`; see :mod:`aquaflag.flags`.

        A cell is 9 MISSING where the value is NaN; otherwise the most severe
        outcome of the rules: FAIL/SUSPECT where a rule of that severity
        flagged it (or the grade the method gave the point), GOOD where at
        least one rule evaluated it, else NOT_EVALUATED. Prior SUSPECT/FAIL
        flags (``prior_flags``) are kept.
        """
        return pd.DataFrame(self._flag_codes.copy(), index=self.data.index, columns=self.data.columns)

    @functools.cached_property
    def _flag_codes(self) -> np.ndarray:
        # Combined as severity ranks (see aquaflag.flags.combine), one column of a
        # column-major array per series, converted to codes once at the end.
        ranks = np.zeros(self.data.shape, dtype=np.int8, order="F")  # rank 0: NOT_EVALUATED
        if self.prior_flags is not None:
            prior = self.prior_flags.to_numpy(dtype=np.uint8)
            ranks[:] = np.where(np.isin(prior, (3, 4)), rank_of_codes(prior), 0)
        pos = {c: i for i, c in enumerate(self.columns)}
        for col, rule, det in self.items():
            column = ranks[:, pos[col]]  # a view: combined in place
            rule_ranks = det.evaluated.astype(np.int8)  # rank 1: GOOD where evaluated
            flagged = det.flagged  # positions: no full-size mask needed
            if flagged.size:
                rule_ranks[flagged] = (rank_of_codes(det.grade[flagged]) if det.grade is not None
                                       else severity_flag(rule.severity).rank)
            np.maximum(column, rule_ranks, out=column)
        codes = codes_of_ranks(ranks)
        for j, col in enumerate(self.columns):  # column by column: no copy of the whole frame
            codes[np.isnan(self._column_values(col)), j] = int(Flag.MISSING)
        if self.human is not None and len(self.human):
            cols = self.human["column"].map(pos).to_numpy(dtype=np.int64)
            codes[self.human["row"].to_numpy(dtype=np.int64), cols] = self.human["flag"].to_numpy(dtype=np.uint8)
        return codes

    def _column_values(self, column) -> np.ndarray:
        return self.data[column].to_numpy(dtype=np.float64, na_value=np.nan)

    @property
    def outliers(self) -> pd.DataFrame:
        """Tidy table, one row per (column, time, rule) flag.

        Columns: ``column, time, value, rule, method, score, lower, upper``
        (``rule`` is the rule's label, ``method`` the method it applies),
        sorted by column (input order), time, then rule order.
        """
        parts = []
        times = self.data.index
        for col, rule, det in self.items():
            idx = det.flagged
            if idx.size == 0:
                continue
            parts.append(pd.DataFrame({
                "column": col,
                "time": times[idx],
                "value": self._column_values(col)[idx],
                "rule": rule.label,
                "method": rule.method,
                "score": det.score[idx],
                "lower": det.lower[idx],
                "upper": det.upper[idx],
                "_pos": idx,
            }))
        if not parts:
            empty = pd.DataFrame({c: pd.Series(dtype=float) for c in OUTLIER_COLUMNS})
            empty = empty.astype({"column": object, "rule": object, "method": object})
            empty["time"] = pd.Series(times[:0])
            return empty
        table = pd.concat(parts, ignore_index=True)
        order = {c: i for i, c in enumerate(self.columns)}
        table["_col"] = table["column"].map(order)
        table = table.sort_values(["_col", "_pos"], kind="stable")
        return table.drop(columns=["_col", "_pos"]).reset_index(drop=True)

    @property
    def provenance(self) -> pd.DataFrame:
        """Which rule, with which method and parameters, flagged which value, at what level.

        One row per (column, time, rule) flag: ``column, time, value, rule,
        method, parameters, flag, score, lower, upper, derived`` (``flag`` is
        the QARTOD code the rule gave the value: 3 suspect, 4 fail;
        ``derived`` says how a self-calibrating rule derived its thresholds
        from the series, e.g. ``"window=14h (10th longest run 7h x 2),
        resolution=0.1, step=1min"``; empty for other rules).
        """
        table = self.outliers
        rules = {r.label: r for r in self.rules}
        table.insert(5, "parameters", table["rule"].map(lambda lab: rules[lab].params_text()))
        positions = self._flag_positions()
        flag = [
            int(det.grade[i]) if det.grade is not None else int(severity_flag(rules[lab].severity))
            for lab, det, i in positions
        ]
        table.insert(6, "flag", pd.Series(flag, dtype="uint8"))
        table["derived"] = pd.Series([str(det.stats.get("derived", "")) for _lab, det, _i in positions],
                                     dtype=object)
        if self.human is not None and len(self.human):
            table = self._with_human_rows(table)
        return table

    def _with_human_rows(self, table: pd.DataFrame) -> pd.DataFrame:
        """Provenance rows for technicians' decisions: rule "human", who and why."""
        h = self.human
        assert h is not None  # called only when there are human decisions
        pos = {c: i for i, c in enumerate(self.columns)}
        rows = h["row"].to_numpy(dtype=np.int64)
        human = pd.DataFrame({
            "column": h["column"].to_numpy(), "time": self.data.index[rows],
            "value": [self._column_values(c)[r] for c, r in zip(h["column"], rows)],
            "rule": "human", "method": "decision: " + h["action"].astype(str),
            "parameters": ("by " + h["reviewer"].astype(str) + ": " + h["reason"].astype(str)).to_numpy(),
            "flag": h["flag"].to_numpy(dtype=np.uint8), "score": np.nan, "lower": np.nan, "upper": np.nan,
            "derived": "",
        })
        both = pd.concat([table, human], ignore_index=True) if len(table) else human
        both["_col"] = both["column"].map(pos)
        both = both.sort_values(["_col", "time"], kind="stable")  # a decision after the rules' rows
        return both.drop(columns=["_col"]).reset_index(drop=True)

    def _flag_positions(self):
        """(label, detection, position) of every flag, in the order of :attr:`outliers`."""
        order = {c: i for i, c in enumerate(self.columns)}
        rows = [
            (order[col], int(i), rule.label, det, int(i))
            for col, rule, det in self.items() for i in det.flagged
        ]
        rows.sort(key=lambda r: (r[0], r[1]))
        return [(lab, det, i) for _, _, lab, det, i in rows]

    @property
    def summary(self) -> pd.DataFrame:
        """One row per (column, rule): n, missing, evaluated, outliers, bounds, parameters, note.

        Columns: ``column, rule, method, n, missing, evaluated, outliers, lower,
        upper, parameters, note``; a column no rule selected has one row with
        ``rule`` empty and the note "not checked by any rule".

        ``lower``/``upper`` are the bounds when one pair applies to the whole
        series; for windowed or seasonal rules they are the smallest lower and
        the largest upper bound used. When the data came from
        :func:`aquaflag.read`, the per-column counts of coerced cells
        (missing tokens, censored values, no-data codes, unparsed text) are
        added.
        """
        rows = []
        for col, rule, det in self.items():
            values = self.data[col]
            row = {
                "column": col,
                "rule": rule.label,
                "method": rule.method,
                "n": len(values),
                "missing": int(values.isna().sum()),
                "evaluated": det.n_evaluated,
                "outliers": det.n_outliers,
                "lower": extreme(det.lower, np.min),
                "upper": extreme(det.upper, np.max),
                "parameters": rule.params_text(det.params),
                "note": det.note,
            }
            row.update(self._source_counts(col))
            rows.append(row)
        for col in self.unchecked:
            values = self.data[col]
            rows.append({"column": col, "rule": "", "method": "", "n": len(values),
                         "missing": int(values.isna().sum()), "evaluated": 0, "outliers": 0,
                         "lower": np.nan, "upper": np.nan, "parameters": "",
                         "note": "not checked by any rule (no rule selects this series)",
                         **self._source_counts(col)})
        order = {c: i for i, c in enumerate(self.columns)}
        rows.sort(key=lambda r: order[r["column"]])  # stable: rule order within a column
        return pd.DataFrame(rows, columns=SUMMARY_COLUMNS if not rows else None)

    def _source_counts(self, column: str) -> dict[str, int]:
        if self.source is None or not hasattr(self.source, "counts"):
            return {}
        return {k: int(v) for k, v in self.source.counts(column).items()}

    def cleaned(self, policy: str = "nan", *, min_flag: str = "suspect",
                limit: str | int | None = None) -> pd.DataFrame:
        """A copy of the data with flagged values handled; the input is untouched.

        Parameters
        ----------
        policy : {"nan", "interpolate", "keep"}
            "nan" sets flagged values to NaN; "interpolate" then fills those
            (and only those) gaps by time-weighted linear interpolation
            between the nearest unflagged neighbours, for gaps no longer than
            ``limit``; "keep" returns the values unchanged (with
            :attr:`flags` beside them, for tools that read flags).
        min_flag : {"suspect", "fail"}
            Values with a flag at least this severe are treated as flagged.
        limit : str, int or None
            With "interpolate": the longest gap to fill, as a time span
            (``"1D"``) or a number of points; None fills every flagged gap
            that has a neighbour on both sides. Longer gaps stay NaN.

        Returns
        -------
        DataFrame
            Same index and columns as :attr:`data`. No row or column is dropped;
            the original values stay in :attr:`data` and the flags in :attr:`flags`.
        """
        if policy not in ("nan", "interpolate", "keep"):
            raise ParameterError(f"policy must be one of 'nan', 'interpolate', 'keep'; got {policy!r}")
        worst = severity_flag(min_flag)
        out = self.data.copy()
        if policy == "keep":
            return out
        flagged = self.flags.isin([int(f) for f in (Flag.SUSPECT, Flag.FAIL) if f.rank >= worst.rank])
        out = out.mask(flagged)
        if policy == "interpolate":
            out = interpolate_gaps(out, flagged, limit=limit)
        return out

    def _repr_html_(self) -> str:
        counts = self.summary.pivot_table(index="column", columns="rule", values="outliers",
                                          aggfunc="sum", sort=False) if len(self.detections) else None
        head = (f"<p><b>aquaflag.Result</b>: {len(self.columns)} column(s) &times; "
                f"{len(self.data)} rows; {int(self._mask_array.sum())} value(s) flagged "
                "(outliers per column and rule below; <code>aquaflag.report(result)</code> "
                "shows the interactive report)</p>")
        return head + ("" if counts is None else counts.to_html(na_rep="-"))

    def __repr__(self) -> str:
        n_out = int(self._mask_array.sum())
        return (f"<aquaflag.Result: {len(self.columns)} column(s) x {len(self.data)} rows, "
                f"rules {', '.join(self.labels)}; {n_out} value(s) flagged>")


def extreme(arr: np.ndarray, pick) -> float:
    """``pick`` (np.min or np.max) of the non-NaN bounds; NaN when there are none."""
    if arr.ndim == 1 and arr.size > 1 and arr.strides == (0,):  # one bound for the whole series
        arr = arr[:1]
    finite = arr[~np.isnan(arr)]
    return float(pick(finite)) if finite.size else float("nan")

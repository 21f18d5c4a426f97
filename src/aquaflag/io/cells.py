"""Cells -> numbers: the one cell-cleaning policy, for every format and layout.

Policy
------
Numeric columns
    Kept as ``float64`` (a ``float64`` column is not copied unless a cell must
    change). Integers beyond ±2**53 cannot all be held exactly by ``float64``:
    they are read (rounded to the nearest ``float64``) and reported by column
    and count.
Text cells
    Surrounding whitespace is removed; missing-value markers (``ND``,
    ``N.D.``, ``-``, ``--``, ``NA``, ``N/A``, ``#N/A``, ``NaN``, ``NULL``,
    ``None``, ``불검출``, ``결측``, ``미측정``, ``欠測``, ``<LOQ``/``<LOD``/
    ``정량한계미만``/``검출한계미만`` without a number, blank cells; any case)
    become NaN; plain numbers are read exactly as ``float()`` reads them;
    censored values (``<0.5``, ``< 0.5``, ``>100``, ``<LOQ 0.5``) follow
    ``censored``; anything else (and ``inf``) becomes NaN.
Commas in numbers
    Decided per column, never silently. ``1,234,567`` and ``1,234.5`` can only
    use ``,`` as a thousands separator; ``7,5``, ``0,125``, ``12,5`` and
    ``1.234,5`` only as a decimal separator; a plain number with a decimal
    point (``8.1``) is evidence against a decimal comma. A column follows its
    own evidence (the majority when it has both kinds: the other kind's cells
    are reported as not numbers). A column whose only commas are ambiguous
    (``1,234``: 1234 or 1.234?) follows the file: a decimal comma when the file
    as a whole shows decimal commas, or when it has no evidence either way and
    is separated by ``;`` (the European convention); else a thousands
    separator. Ambiguous cells are counted and reported with the choice made.
Value column or not
    A text column in which fewer than half of the non-missing cells are
    numbers (censored values count as numbers) is not a value column: it is
    skipped, with the reason in the report. Boolean, date/time and complex
    columns are skipped too.
Missing codes
    Numbers equal to one of ``missing_codes`` (default -9999, the usual logger
    no-data code) or to the netCDF float fill value 9.96921e36 (relative
    tolerance 1e-6) become NaN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .dates import PLAIN_NUMBER_RE, as_string
from .report import N_EXAMPLES, ReadReport, examples

__all__ = ["CellPolicy", "Prepared", "Cleaned", "prepare", "finish", "inexact_ints", "file_decimal_comma", "column_decimal_comma",
           "MISSING_TOKENS", "NETCDF_FILL", "CENSORED_RULES"]

#: The netCDF default fill value of 32-bit floats.
NETCDF_FILL = 9.969209968386869e36

#: What a censored value may become.
CENSORED_RULES = ("missing", "limit", "half")

#: Cell texts (compared lower-case, after stripping whitespace) read as missing.
MISSING_TOKENS = frozenset(
    s.lower()
    for s in (
        "", "ND", "N.D.", "N.D", "n.d.", "-", "--", "NA", "N/A", "#N/A", "NaN",
        "nan", "NULL", "null", "None", "불검출", "결측", "미측정", "欠測",
        # below a detection/quantification limit, without the number
        "<LOQ", "<LOD", "<MDL", "<DL", "미검출", "정량한계미만", "검출한계미만",
    )
)

_INFINITY_RE = r"[+-]?(?:[iI][nN][fF]|[iI][nN][fF][iI][nN][iI][tT][yY])"
#: One comma, three digits after it: 1234 or 1.234?
_AMBIGUOUS_RE = r"[+-]?[1-9][0-9]{0,2},[0-9]{3}"
#: Only a thousands separator: 1,234,567 or 1,234.5.
_THOUSANDS_RE = (r"[+-]?[1-9][0-9]{0,2}(?:,[0-9]{3}){2,}(?:\.[0-9]+)?"
                 r"|[+-]?[1-9][0-9]{0,2}(?:,[0-9]{3})+\.[0-9]+")
#: Only a decimal comma: 7,5 or 0,125 or 1.234,5.
_DECIMAL_RE = (r"[+-]?[0-9]*,[0-9]+(?:[eE][+-]?[0-9]+)?"
               r"|[+-]?[1-9][0-9]{0,2}(?:\.[0-9]{3})+,[0-9]+")
_CENSORED_RE = (
    r"^(?P<op><=|>=|<|>|≤|≥|＜|＞)\s*"
    r"(?:(?:LOQ|LOD|MDL|DL|QL|RL)\s*[:=(]?\s*)?"
    r"(?P<num>[+-]?[0-9.,]*[0-9](?:[eE][+-]?[0-9]+)?)\s*\)?$"
)
_BELOW = ("<", "<=", "≤", "＜")
_EXACT_INT = 2**53

#: The kinds of cells a column reports, in report order.
KINDS = ("missing_tokens", "missing_codes", "censored", "unparsed", "rounded", "ambiguous_commas")


@dataclass(frozen=True)
class CellPolicy:
    """How cells are cleaned: ``censored`` rule and ``missing_codes``."""

    censored: str = "missing"
    missing_codes: tuple[float, ...] = (-9999.0,)


@dataclass
class Prepared:
    """A column after the first pass: cells classified, comma evidence counted."""

    name: str
    column: pd.Series
    skip: str | None = None
    numeric: bool = False
    texts: pd.Series | None = None
    tokens: np.ndarray | None = None
    plain: np.ndarray | None = None
    votes_decimal: int = 0
    votes_point: int = 0
    has_commas: bool = False


@dataclass
class Cleaned:
    """A column after cleaning: float64 values (or why it is skipped) and what was done.

    ``cells[kind]`` holds the row positions of the cells of each kind (see
    :data:`KINDS`); :meth:`record` writes counts and examples to a report,
    for the whole column or split into series.
    """

    name: str
    values: np.ndarray | None
    skip: str | None = None
    cells: dict[str, np.ndarray] = field(default_factory=dict)
    texts: pd.Series | None = None
    raw: np.ndarray | None = None
    decimal_comma: bool = False
    changed: bool = True

    def record(self, report: ReadReport, names: list[str], codes: np.ndarray | None = None) -> None:
        """Counts and examples into ``report``: one output column, or one per code in ``codes``.

        Parameters
        ----------
        report : ReadReport
        names : list of str
            Output column names; with ``codes``, ``names[k]`` receives the rows
            whose code is ``k`` (rows with code -1 are nobody's).
        codes : ndarray of int, optional
            Per row, the index of the output column it goes to.
        """
        if self.decimal_comma:
            for name in names:
                if name not in report.decimal_comma:
                    report.decimal_comma.append(name)
        for kind in KINDS:
            rows = self.cells.get(kind)
            if rows is None or not len(rows):
                continue
            if codes is None:
                parts = {0: rows}
            else:
                which = codes[rows]
                order = np.argsort(which, kind="stable")
                which, sorted_rows = which[order], rows[order]
                bounds = np.flatnonzero(np.diff(which)) + 1
                parts = {int(w[0]): r for w, r in zip(np.split(which, bounds), np.split(sorted_rows, bounds))
                         if w[0] >= 0}
            for k, part in parts.items():
                _add(report, kind, names[k], len(part), self._examples(kind, part))

    def _examples(self, kind: str, rows: np.ndarray) -> list[str]:
        if kind == "missing_codes":
            return []
        out: list[str] = []
        for start in range(0, len(rows), 256):  # distinct texts in row order; few cells looked at
            chunk = rows[start:start + 256]
            if self.texts is not None:
                items = [str(t) for t in self.texts.iloc[chunk].dropna().tolist()]
            elif self.raw is not None:
                items = [_number_text(v) for v in self.raw[chunk]]
            else:
                return out
            for t in items:
                if t not in out:
                    out.append(t)
                    if len(out) == N_EXAMPLES:
                        return out
        return out


def _number_text(v: object) -> str:
    if isinstance(v, (float, np.floating)):
        if np.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(float(v))
    return str(v)


_FIELDS = {
    "missing_tokens": ("missing_tokens", "missing_token_examples"),
    "missing_codes": ("missing_codes", None),
    "censored": ("censored", "censored_examples"),
    "unparsed": ("unparsed", "unparsed_examples"),
    "rounded": ("rounded", "rounded_examples"),
    "ambiguous_commas": ("ambiguous_commas", "ambiguous_comma_examples"),
}


def _add(report: ReadReport, kind: str, name: str, n: int, ex: list[str]) -> None:
    count_field, ex_field = _FIELDS[kind]
    counts = getattr(report, count_field)
    counts[name] = counts.get(name, 0) + n
    if ex_field is not None and ex:
        have = getattr(report, ex_field).setdefault(name, [])
        for t in ex:
            if t not in have and len(have) < N_EXAMPLES:
                have.append(t)


# --------------------------------------------------------------------------- pass 1


def prepare(column: pd.Series, name: str) -> Prepared:
    """First pass over a column: dtype checks, text cells stripped, comma evidence counted."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return Prepared(name, column, skip="boolean column (True/False values)")
    if (pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype)
            or isinstance(dtype, pd.PeriodDtype)):
        return Prepared(name, column, skip=f"date/time column ({dtype})")
    if pd.api.types.is_complex_dtype(dtype):
        return Prepared(name, column, skip=f"complex numbers ({dtype})")
    if pd.api.types.is_numeric_dtype(dtype):
        return Prepared(name, column, numeric=True)
    texts = as_string(column).str.strip()
    present = texts.notna().to_numpy()
    tokens = texts.str.lower().isin(MISSING_TOKENS).to_numpy(dtype=bool, na_value=False) & present
    candidates = present & ~tokens
    plain = candidates & texts.str.fullmatch(PLAIN_NUMBER_RE).to_numpy(dtype=bool, na_value=False)
    prep = Prepared(name, column, numeric=False, texts=texts, tokens=tokens, plain=plain)
    commas = candidates & ~plain & texts.str.contains(",", regex=False).to_numpy(dtype=bool, na_value=False)
    if commas.any():
        prep.has_commas = True
        sub = _comma_numbers(texts[commas])
        prep.votes_decimal = int((_match(sub, _DECIMAL_RE) & ~_match(sub, _AMBIGUOUS_RE)).sum())
        prep.votes_point = int(_match(sub, _THOUSANDS_RE).sum()) + int(
            (plain & texts.str.contains(".", regex=False).to_numpy(dtype=bool, na_value=False)).sum())
    return prep


def _comma_numbers(texts: pd.Series) -> pd.Series:
    """The number inside censored cells (``<0,5`` -> ``0,5``), other cells as they are."""
    return texts.str.replace(r"^(?:<=|>=|<|>|≤|≥|＜|＞)\s*(?:(?:LOQ|LOD|MDL|DL|QL|RL)\s*[:=(]?\s*)?",
                             "", regex=True, flags=re.IGNORECASE).str.replace(r"\s*\)$", "", regex=True)


def _match(texts: pd.Series, pattern: str) -> np.ndarray:
    return texts.str.fullmatch(pattern).to_numpy(dtype=bool, na_value=False)


def point_votes_of_numbers(prep: Prepared) -> int:
    """Evidence of a decimal point in a numeric column: its non-integer values."""
    if not prep.numeric:
        return 0
    values = prep.column.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = values[np.isfinite(values)]
    return int((finite != np.floor(finite)).sum())


def file_decimal_comma(prepared: list[Prepared], delimiter: str | None) -> bool:
    """The file's default for columns whose only commas are ambiguous (see the module policy)."""
    if not any(p.has_commas for p in prepared):
        return delimiter == ";"
    decimal = sum(p.votes_decimal for p in prepared)
    point = sum(p.votes_point + point_votes_of_numbers(p) for p in prepared)
    if decimal == 0 and point == 0:
        return delimiter == ";"
    return decimal > point


def column_decimal_comma(prep: Prepared, file_default: bool) -> bool:
    """Whether a column reads ``,`` as its decimal separator."""
    d, p = prep.votes_decimal, prep.votes_point
    if d == 0 and p == 0:
        return file_default
    return d > p


# --------------------------------------------------------------------------- pass 2


def finish(prep: Prepared, policy: CellPolicy, *, decimal_comma: bool = False) -> Cleaned:
    """Second pass: the column's float64 values and the cells of each kind.

    Parameters
    ----------
    prep : Prepared
        From :func:`prepare`.
    policy : CellPolicy
    decimal_comma : bool
        Whether ``,`` is this column's decimal separator (see
        :func:`column_decimal_comma`).

    Returns
    -------
    Cleaned
        ``values`` is None (and ``skip`` says why) for a column that is not a
        value column.
    """
    if prep.skip is not None:
        return Cleaned(prep.name, None, skip=prep.skip)
    if prep.numeric:
        return _finish_numeric(prep, policy)
    return _finish_text(prep, policy, decimal_comma)


def _finish_numeric(prep: Prepared, policy: CellPolicy) -> Cleaned:
    column = prep.column
    cells: dict[str, np.ndarray] = {}
    if column.dtype == np.float64:
        values = column.to_numpy()  # a view: copied below only if a cell changes
        out = Cleaned(prep.name, values, cells=cells, raw=values, changed=False)
    else:
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        out = Cleaned(prep.name, values, cells=cells, raw=values)
        if pd.api.types.is_integer_dtype(column.dtype):
            int_dtype: Any = getattr(column.dtype, "numpy_dtype", column.dtype)  # Int64 etc.: numpy's
            unsigned = np.dtype(int_dtype).kind == "u"
            ints = column.to_numpy(dtype=np.uint64 if unsigned else np.int64, na_value=0)
            big = np.flatnonzero(ints > _EXACT_INT if unsigned else (ints > _EXACT_INT) | (ints < -_EXACT_INT))
            if len(big):
                inexact = inexact_ints(ints[big], unsigned)
                if inexact.any():
                    cells["rounded"] = big[inexact]
                    out.raw = ints
    infinite = np.isinf(values)
    coded = _coded(values, policy.missing_codes)
    if infinite.any() or coded.any():
        if not out.changed:
            values = values.copy()
        elif out.raw is values:
            out.raw = values.copy()
        values[infinite | coded] = np.nan
        out.values, out.changed = values, True
        if infinite.any():
            cells["unparsed"] = np.flatnonzero(infinite)
        if coded.any():
            cells["missing_codes"] = np.flatnonzero(coded)
    return out


def inexact_ints(ints: np.ndarray, unsigned: bool) -> np.ndarray:
    """Which integers (all beyond ±2**53) float64 cannot hold exactly."""
    floats = ints.astype(np.float64)
    limit = 2.0**64 if unsigned else 2.0**63
    out = np.abs(floats) >= limit  # rounded up past the integer type: certainly not exact
    ok = ~out
    back = floats[ok].astype(np.uint64 if unsigned else np.int64)
    out[ok] = back != ints[ok]
    return out


def _coded(values: np.ndarray, codes: tuple[float, ...]) -> np.ndarray:
    coded = np.zeros(len(values), dtype=bool)
    with np.errstate(invalid="ignore"):
        for code in codes:
            coded |= values == code
        coded |= (values >= NETCDF_FILL * (1 - 1e-6)) & (values <= NETCDF_FILL * (1 + 1e-6))
    return coded


def _finish_text(prep: Prepared, policy: CellPolicy, decimal_comma: bool) -> Cleaned:
    texts = prep.texts
    assert texts is not None and prep.tokens is not None and prep.plain is not None
    tokens, plain = prep.tokens, prep.plain.copy()
    n = len(texts)
    present = texts.notna().to_numpy()
    values = np.full(n, np.nan)
    if plain.any():
        values[plain] = _to_float(texts[plain])
    # "inf" is read as a number (as pandas does for numeric columns), then
    # reported as unparsed below, like any infinite value.
    candidates = present & ~tokens
    inf_text = candidates & ~plain & texts.str.fullmatch(_INFINITY_RE).to_numpy(dtype=bool, na_value=False)
    if inf_text.any():
        values[inf_text] = _to_float(texts[inf_text])
        plain |= inf_text
    failed = candidates & ~plain
    unparsed = np.zeros(n, dtype=bool)
    ambiguous = np.zeros(n, dtype=bool)
    is_censored = np.zeros(n, dtype=bool)
    comma_ok = np.zeros(n, dtype=bool)
    if failed.any():
        idx = np.flatnonzero(failed)
        rest = texts.iloc[idx].reset_index(drop=True)
        # Numbers with commas, by the column's decision.
        if prep.has_commas:
            nums, amb = _comma_values(rest, decimal_comma)
            ok = ~np.isnan(nums)
            values[idx[ok]] = nums[ok]
            comma_ok[idx[ok]] = True
            ambiguous[idx[amb & ok]] = True
        else:
            ok = np.zeros(len(rest), dtype=bool)
        # Censored values: <0.5, > 100, <LOQ 0.5 (the regex only runs on cells
        # that start with a comparison sign).
        maybe = ~ok & rest.str.match(r"[<>≤≥＜＞]").to_numpy(dtype=bool, na_value=False)
        cen = np.zeros(len(rest), dtype=bool)
        if maybe.any():
            parts = rest[maybe].str.extract(_CENSORED_RE, flags=re.IGNORECASE)
            found = parts["num"].notna().to_numpy(dtype=bool, na_value=False)
            parts = parts[found]
            limits = _number_values(parts["num"].reset_index(drop=True), decimal_comma)
            usable = ~np.isnan(limits[0])
            where = np.flatnonzero(maybe)[found][usable]
            cen[where] = True
            limits_v, limits_amb = limits[0][usable], limits[1][usable]
            below = parts["op"].isin(list(_BELOW)).to_numpy(dtype=bool, na_value=False)[usable]
            rows = idx[where]
            if policy.censored == "limit":
                values[rows] = limits_v
            elif policy.censored == "half":
                values[rows] = np.where(below, 0.5 * limits_v, limits_v)
            ambiguous[rows[limits_amb]] = True
        is_censored[idx[cen]] = True
        unparsed[idx[~ok & ~cen]] = True

    n_text = int(unparsed.sum())
    n_numbers = int(plain.sum()) + int(comma_ok.sum()) + int(is_censored.sum())
    out = Cleaned(prep.name, None, texts=texts, decimal_comma=False)
    if n_numbers + n_text and n_numbers < 0.5 * (n_numbers + n_text):
        ex = examples(_distinct(texts[unparsed]), lead="e.g. ")
        out.skip = f"text column ({n_text} of {n_numbers + n_text} values are not numbers, {ex})"
        return out

    # Infinities are not usable numbers: NaN, reported as unparsed.
    infinite = (plain | comma_ok) & np.isinf(values)
    unparsed |= infinite
    plain &= ~infinite
    numbers = plain | comma_ok
    # Missing codes, among numbers only (not among censored limits).
    coded = _coded(values, policy.missing_codes) & numbers
    # Integers beyond 2**53, as written.
    big = numbers & (np.abs(values) >= _EXACT_INT) & ~infinite
    rounded = np.zeros(n, dtype=bool)
    if big.any():
        where = np.flatnonzero(big)
        for i, text in zip(where, texts.iloc[where].tolist()):
            digits = str(text).replace(",", "")
            if re.fullmatch(r"[+-]?[0-9]+", digits) and int(digits) != int(values[i]):
                rounded[i] = True
    values[unparsed | coded] = np.nan
    if policy.censored == "missing":
        values[is_censored] = np.nan
    out.values = values
    out.decimal_comma = bool(decimal_comma and (comma_ok.any() or (is_censored & ambiguous).any()
                                                 or prep.votes_decimal))
    for kind, mask in (("missing_tokens", tokens), ("missing_codes", coded), ("censored", is_censored),
                       ("unparsed", unparsed), ("rounded", rounded), ("ambiguous_commas", ambiguous)):
        if mask.any():
            out.cells[kind] = np.flatnonzero(mask)
    return out


def _comma_values(texts: pd.Series, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray]:
    """Numbers written with commas, read by the column's decision: (values or NaN, ambiguous)."""
    return _number_values(texts, decimal_comma)


def _number_values(texts: pd.Series, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray]:
    """Plain or comma numbers -> float (NaN when not readable under the decision), ambiguous mask."""
    n = len(texts)
    values = np.full(n, np.nan)
    plain = _match(texts, PLAIN_NUMBER_RE)
    if plain.any():
        values[plain] = _to_float(texts[plain])
    amb = ~plain & _match(texts, _AMBIGUOUS_RE)
    if decimal_comma:
        ok = ~plain & (amb | _match(texts, _DECIMAL_RE))
        if ok.any():
            values[ok] = _to_float(texts[ok].str.replace(".", "", regex=False)
                                   .str.replace(",", ".", regex=False))
    else:
        ok = ~plain & (amb | _match(texts, _THOUSANDS_RE))
        if ok.any():
            values[ok] = _to_float(texts[ok].str.replace(",", "", regex=False))
    return values, amb


def _to_float(texts: pd.Series) -> np.ndarray:
    """Texts that are plain numbers -> float64 (fast cast, with a slower fallback)."""
    try:
        return texts.astype("float64").to_numpy(dtype=np.float64, na_value=np.nan)
    except (ValueError, TypeError):  # pragma: no cover - the regex admits only numbers
        return pd.to_numeric(texts, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _distinct(texts: pd.Series) -> list[str]:
    return [str(t) for t in pd.unique(texts.dropna().to_numpy())[:N_EXAMPLES]]

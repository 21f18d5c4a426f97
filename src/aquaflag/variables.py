"""Variables as data: what each series measures, where, and in which unit.

A *variable* is a water-quality quantity (water temperature, pH, dissolved
oxygen, ...). A *series* is one variable at one station: one column of a wide
frame. This module is the one place where column names are read for meaning;
everything downstream (rule selection, physical ranges, sibling stations,
units in plots) works on the :class:`SeriesInfo` resolved here, once.

Where the meaning comes from, in order of precedence:

1. a user mapping (``[columns."Tp"] variable = "temperature"`` in a QC
   configuration, or ``mapping=`` in Python);
2. what the reader found in the file (a ``station`` column of a tidy table,
   a ``parameter`` column of a long table), attached to the frame as
   ``frame.attrs["aquaflag_series"]``;
3. the column name: ``"Parameter(Station)"`` splits into variable name and
   station; a parenthesised unit (``"DO (mg/L)"``) is a unit, not a station;
   the variable name is matched against the aliases of :data:`VARIABLES`
   (English, Korean, German and the short forms of sensor exports).

Gross ranges are what a value can physically be (or what common sensors can
read), not what is typical at a site: a value outside is a FAIL. They are the
defaults of the ``gross_range`` method and can be overridden per rule.

================  =======  ==================  ==========================================
variable          unit     gross range         source / reason
================  =======  ==================  ==========================================
temperature       °C       −5 … 45             liquid fresh water (sensor QC practice)
ph                —        0 … 14              the pH scale
do                mg/L     0 … 30              ≥ 0; supersaturation rarely above 25 mg/L
do_saturation     %        0 … 500             ≥ 0; extreme supersaturation stays below
conductivity      µS/cm    0 … 100 000         fresh to sea water (≈ 55 000) with margin
turbidity         NTU      0 … 4 000           typical optical sensor range
transparency      m        0 … 40              Secchi depth of the clearest lakes ≈ 40 m
chlorophyll       mg/m³    0 … 1 000           hypereutrophic blooms stay far below
salinity          PSU      0 … 70              ≥ 0; hypersaline lagoons stay below
orp               mV       −2 000 … 2 000      redox electrodes' measuring range
chlorine          mg/L     0 … (none)          a concentration is ≥ 0
level             (any)    none                stage/level datums differ between sites
================  =======  ==================  ==========================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping

__all__ = [
    "Variable", "SeriesInfo", "VARIABLES", "ATTRS_KEY", "variable_named", "parse_column",
    "describe", "series_of", "siblings", "sonde_mates", "is_date_name", "is_qualifier_name",
    "convert_range",
]

#: Key of the per-column metadata the reader attaches to a frame (``frame.attrs``).
ATTRS_KEY = "aquaflag_series"


@dataclass(frozen=True)
class Variable:
    """A known water-quality variable: key, canonical unit, physical range, names."""

    key: str
    unit: str
    gross_range: tuple[float | None, float | None]
    names: tuple[str, ...]


VARIABLES: tuple[Variable, ...] = (
    Variable("temperature", "°C", (-5.0, 45.0),
             ("Water Temperature", "Temperature", "Water Temp", "temp", "WT", "Tp", "TW",
              "Wassertemperatur", "Temperatur", "Wtemp", "수온", "온도")),
    Variable("ph", "", (0.0, 14.0), ("pH", "pH value", "수소이온농도", "pH-Wert")),
    Variable("do_saturation", "%", (0.0, 500.0),
             ("DO saturation", "DO sat", "DO %", "DO pct", "ODO sat", "ODO %", "O2 sat",
              "Dissolved Oxygen Saturation", "Sauerstoffsättigung", "용존산소포화도")),
    Variable("do", "mg/L", (0.0, 30.0),
             ("DO", "Dissolved Oxygen", "ODO", "O2", "Oxygen", "Sauerstoff", "용존산소",
              "용존산소량")),
    Variable("conductivity", "µS/cm", (0.0, 100_000.0),
             ("Conductivity", "Specific Conductance", "Specific Conductivity", "EC", "cond",
              "spcond", "SpC", "Leit", "LF", "Leitfähigkeit", "Leitfaehigkeit", "전기전도도",
              "전기전도")),
    Variable("turbidity", "NTU", (0.0, 4000.0),
             ("Turbidity", "turb", "Tur", "Trueb", "Trüb", "Trübung", "Truebung", "탁도")),
    Variable("transparency", "m", (0.0, 40.0),
             ("Transparency", "Secchi", "Secchi Depth", "Sichttiefe", "투명도")),
    Variable("chlorophyll", "mg/m³", (0.0, 1000.0),
             ("Chlorophyll-a", "Chlorophyll", "Chl-a", "chl_a", "chla", "chl", "Chlorophyll a",
              "클로로필-a", "클로로필a", "클로로필")),
    Variable("salinity", "PSU", (0.0, 70.0), ("Salinity", "sal", "Salinität", "염분", "염도")),
    Variable("orp", "mV", (-2000.0, 2000.0),
             ("ORP", "Redox", "Redox Potential", "Oxidation Reduction Potential", "Eh",
              "산화환원전위")),
    Variable("chlorine", "mg/L", (0.0, None),
             ("Chlorine", "Free Chlorine", "Total Chlorine", "Residual Chlorine", "Cl2",
              "Chlor", "잔류염소", "유리잔류염소")),
    Variable("level", "", (None, None),
             ("Level", "Water Level", "Stage", "Gage Height", "Depth", "Pegel", "Wasserstand",
              "수위")),
)


@dataclass(frozen=True)
class SeriesInfo:
    """What one series (one column) measures.

    Attributes
    ----------
    column : str
        The column label.
    name : str
        The variable's name as written (``"pH"``, ``"수온"``, ``"Tp"``).
    variable : Variable or None
        The known variable, or None when aquaflag does not recognise it.
    station : str or None
        The station (site), or None.
    unit : str or None
        The unit as written in the file or mapping, else the variable's
        canonical unit, else None.
    source : str
        Where the meaning came from: ``"mapping"``, ``"file"`` or ``"name"``.
    """

    column: str
    name: str
    variable: Variable | None = None
    station: str | None = None
    unit: str | None = None
    source: str = "name"

    @property
    def key(self) -> str | None:
        """The known variable's key (``"ph"``), or None."""
        return None if self.variable is None else self.variable.key

    def gross_range(self) -> tuple[float | None, float | None]:
        """The physical range in this series' unit; ``(None, None)`` when unknown."""
        if self.variable is None:
            return (None, None)
        return convert_range(self.variable, self.unit)


_BY_KEY = {v.key: v for v in VARIABLES}


def _norm(text: str) -> str:
    """Case-folded, with ``_ - . /`` and runs of spaces turned into one space."""
    return re.sub(r"[\s_\-./]+", " ", str(text).casefold()).strip()


_BY_NAME = {_norm(name): v for v in VARIABLES for name in (*v.names, v.key)}
_ALIASES_LONGEST_FIRST = sorted(_BY_NAME, key=len, reverse=True)

#: Texts in parentheses that are units, not stations (compared after _norm).
_UNIT_WORDS = frozenset(_norm(u) for u in (
    "°C", "℃", "degC", "deg C", "°F", "degF", "mg/L", "mg/l", "mgL", "ppm", "ppb", "µg/L",
    "ug/L", "ug/l", "µg/l", "mg/m3", "mg/m³", "µS/cm", "uS/cm", "us/cm", "mS/cm", "ms/cm", "S/m",
    "mS/m", "NTU", "FNU", "FTU", "JTU", "%", "% sat", "%sat", "percent", "m", "cm", "mm", "ft",
    "mV", "psu", "PSU", "ppt", "‰", "pH", "pH units", "-", "RFU", "cells/mL", "cells/ml",
))

_COLUMN_RE = re.compile(r"^(?P<name>.*?)\s*\((?P<inner>[^()]*)\)\s*$", re.DOTALL)


def parse_column(column: str) -> tuple[str, str | None, str | None]:
    """Split a wide column name into (variable name, station, unit).

    The text inside the *last* pair of parentheses, which must end the name,
    is a unit when it is one (``mg/L``, ``°C``, ``µS/cm``, ``%``, ...) and a
    station otherwise. A unit before a station (``"DO (mg/L)(Mun-Ui)"``) is
    read too.

    Examples
    --------
    >>> parse_column("pH(Mun-Ui)")
    ('pH', 'Mun-Ui', None)
    >>> parse_column("DO (mg/L)")
    ('DO', None, 'mg/L')
    >>> parse_column("수온(℃)(문의)")
    ('수온', '문의', '℃')
    >>> parse_column("pH")
    ('pH', None, None)
    """
    if not isinstance(column, str):
        raise TypeError(f"column must be a str; got {type(column).__name__}")
    name, station, unit = column.strip(), None, None
    for _ in range(2):
        match = _COLUMN_RE.match(name)
        if match is None:
            break
        inner = match.group("inner").strip()
        if not inner or inner == "-":  # "pH()", "pH(-)": nothing said
            pass
        elif unit is None and _norm(inner) in _UNIT_WORDS:
            unit = inner
        elif station is None and unit is None:
            station = inner
        else:
            break
        name = match.group("name").strip()
    return name, station, unit


def variable_named(name: str) -> Variable | None:
    """The known variable a name (or column name) denotes; None when unknown.

    Names are compared case-insensitively, with ``_``, ``-``, ``.`` and spaces
    alike. An exact alias wins; otherwise the longest alias the name starts
    with, followed by a separator (``"DO_mgL"`` is DO, ``"water_temp_C"`` is
    temperature, ``"Phosphate"`` is not pH, ``"Dosage"`` is not DO).

    Examples
    --------
    >>> variable_named("용존산소(회남)").key
    'do'
    >>> variable_named("water_temp_C").key
    'temperature'
    >>> variable_named("DO_sat").key
    'do_saturation'
    >>> variable_named("Phosphate") is None
    True
    """
    if not isinstance(name, str):
        return None
    text = _norm(parse_column(name)[0]) if "(" in name else _norm(name)
    if not text:
        return None
    if text in _BY_NAME:
        return _BY_NAME[text]
    for alias in _ALIASES_LONGEST_FIRST:
        if text.startswith(alias) and len(text) > len(alias) and text[len(alias)] == " ":
            return _BY_NAME[alias]
    return None


#: Unit conversions of gross ranges: (canonical unit, unit as written) -> (factor, offset).
_UNIT_CONVERSIONS = {
    ("µS/cm", "us/cm"): (1.0, 0.0), ("µS/cm", "µs/cm"): (1.0, 0.0),
    ("µS/cm", "ms/cm"): (1e-3, 0.0), ("µS/cm", "s/m"): (1e-4, 0.0), ("µS/cm", "ms/m"): (0.1, 0.0),
    ("°C", "℃"): (1.0, 0.0), ("°C", "degc"): (1.0, 0.0), ("°C", "deg c"): (1.0, 0.0),
    ("°C", "°f"): (1.8, 32.0), ("°C", "degf"): (1.8, 32.0),
    ("mg/L", "ppm"): (1.0, 0.0), ("mg/L", "µg/l"): (1000.0, 0.0), ("mg/L", "ug/l"): (1000.0, 0.0),
    ("mg/m³", "µg/l"): (1.0, 0.0), ("mg/m³", "ug/l"): (1.0, 0.0), ("mg/m³", "mg/m3"): (1.0, 0.0),
    ("mg/m³", "mg/l"): (1e-3, 0.0),
    ("m", "cm"): (100.0, 0.0), ("m", "mm"): (1000.0, 0.0), ("m", "ft"): (3.28084, 0.0),
    ("%", "% sat"): (1.0, 0.0), ("%", "%sat"): (1.0, 0.0), ("%", "percent"): (1.0, 0.0),
    ("PSU", "ppt"): (1.0, 0.0), ("PSU", "‰"): (1.0, 0.0),
    ("", "ph"): (1.0, 0.0), ("", "ph units"): (1.0, 0.0), ("", "-"): (1.0, 0.0),
}


def convert_range(variable: Variable, unit: str | None) -> tuple[float | None, float | None]:
    """The variable's gross range in ``unit``; ``(None, None)`` for a unit it cannot convert to.

    Examples
    --------
    >>> convert_range(variable_named("EC"), "mS/cm")
    (0.0, 100.0)
    >>> convert_range(variable_named("temp"), "°F")
    (23.0, 113.0)
    """
    lo, hi = variable.gross_range
    if unit is None or unit.strip().casefold() == variable.unit.casefold():
        return lo, hi
    conv = _UNIT_CONVERSIONS.get((variable.unit, unit.strip().casefold()))
    if conv is None:
        return (None, None)
    factor, offset = conv
    return (None if lo is None else lo * factor + offset,
            None if hi is None else hi * factor + offset)


def _from_name(column: str) -> SeriesInfo:
    name, station, unit = parse_column(column)
    var = variable_named(name)
    return SeriesInfo(column=column, name=name, variable=var, station=station,
                      unit=unit if unit is not None else (None if var is None else var.unit))


def _from_mapping(column: str, entry: Any, base: SeriesInfo) -> SeriesInfo:
    """Apply a user mapping entry: a variable key/name, or a dict of variable/station/unit."""
    if isinstance(entry, str):
        entry = {"variable": entry}
    if not isinstance(entry, Mapping):
        raise TypeError(f"mapping for column {column!r} must be a variable name or a table "
                        f"with variable/station/unit; got {entry!r}")
    unknown = set(entry) - {"variable", "station", "unit"}
    if unknown:
        raise KeyError(f"mapping for column {column!r} has unknown key {sorted(unknown)[0]!r}; "
                       "use variable, station and unit")
    info = base
    if "variable" in entry:
        text = str(entry["variable"])
        var = _BY_KEY.get(text.casefold()) or variable_named(text)
        info = replace(info, name=text, variable=var,
                       unit=info.unit if info.unit is not None or var is None else var.unit)
    if "station" in entry:
        info = replace(info, station=None if entry["station"] in (None, "") else str(entry["station"]))
    if "unit" in entry:
        info = replace(info, unit=str(entry["unit"]))
    return replace(info, source="mapping")


def describe(columns: Iterable[Any], *, given: Mapping[str, SeriesInfo] | None = None,
             mapping: Mapping[str, Any] | None = None) -> dict[str, SeriesInfo]:
    """Resolve what every column measures: the one place names are read for meaning.

    Parameters
    ----------
    columns : iterable
        Column labels.
    given : dict, optional
        :class:`SeriesInfo` found by the reader (``frame.attrs["aquaflag_series"]``).
    mapping : dict, optional
        User mapping ``{column: "variable"}`` or ``{column: {"variable": ..., "station":
        ..., "unit": ...}}``; wins over everything else.

    Returns
    -------
    dict
        ``{str(column): SeriesInfo}`` in column order.

    Examples
    --------
    >>> info = describe(["pH(A)", "Tp", "x"], mapping={"x": {"variable": "cond", "unit": "mS/cm"}})
    >>> [(i.key, i.station, i.unit) for i in info.values()]
    [('ph', 'A', ''), ('temperature', None, '°C'), ('conductivity', None, 'mS/cm')]
    """
    given = dict(given or {})
    mapping = dict(mapping or {})
    out = {}
    for col in columns:
        label = str(col)
        info = given.get(label)
        if info is None or info.column != label:
            info = _from_name(label) if info is None else replace(info, column=label)
        if label in mapping:
            info = _from_mapping(label, mapping[label], info)
        out[label] = info
    return out


def series_of(frame: Any, mapping: Mapping[str, Any] | None = None) -> dict[str, SeriesInfo]:
    """:func:`describe` for a frame's columns, with what its reader attached."""
    attrs = getattr(frame, "attrs", {}) or {}
    return describe(frame.columns, given=attrs.get(ATTRS_KEY), mapping=mapping)


def siblings(infos: Mapping[str, SeriesInfo], column: str) -> list[str]:
    """The columns of the same variable at other stations (for cross-station rules).

    Same variable means the same known key, or, for unknown variables, the same
    name (case-insensitive). A series without a station has no siblings.
    """
    me = infos[column]
    if me.station is None:
        return []

    def same(other: SeriesInfo) -> bool:
        if me.variable is not None or other.variable is not None:
            return me.key == other.key
        return _norm(me.name) == _norm(other.name)

    return [c for c, o in infos.items()
            if c != column and o.station is not None and o.station != me.station and same(o)]


def sonde_mates(infos: Mapping[str, SeriesInfo], column: str) -> list[str]:
    """The other variables at the same station: the series one sonde (or one site) measures.

    A series without a station has none (a single-station file's columns are all one
    sonde only when the file says so: give them a station in a ``[columns]`` mapping).
    """
    me = infos[column]
    if me.station is None:
        return []
    return [c for c, o in infos.items()
            if c != column and o.station == me.station
            and (o.key != me.key or (me.key is None and _norm(o.name) != _norm(me.name)))]


_ENGLISH_DATE_WORDS = frozenset({"date", "time", "datetime", "timestamp", "day", "dates"})
_KOREAN_DATE_WORDS = ("일자", "날짜", "일시", "측정일", "측정일자", "측정일시", "시간", "조사일")


def is_date_name(column: Any) -> bool:
    """Whether a column name names dates or times (English as a word, Korean anywhere).

    Examples
    --------
    >>> is_date_name("Date"), is_date_name("측정일자"), is_date_name("sampleTime")
    (True, True, True)
    >>> is_date_name("Water Temperature(Mun-Ui)")
    False
    """
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(column)).lower()
    if set(re.split(r"[^a-z]+", spaced)) & _ENGLISH_DATE_WORDS:
        return True
    return any(word in str(column) for word in _KOREAN_DATE_WORDS)


_QUALIFIER_RE = re.compile(
    r"(?:^|[\s_\-.])(?:qual|qualifier|qualifiers|flag|flags|qc|qa|quality|code|codes|grade)$"
    r"|^(?:qual|qualifier|flag|flags|qc|quality)(?:[\s_\-.]|$)", re.IGNORECASE)
_QUALIFIER_KO = ("플래그", "품질코드", "상태코드")


def is_qualifier_name(column: Any) -> bool:
    """Whether a column name names qualifier or flag codes rather than measurements.

    Such columns (``do_qual``, ``pH_flag``, ``QC code``) hold codes a technician
    or a logger gave the values, not values to judge.

    Examples
    --------
    >>> is_qualifier_name("do_qual"), is_qualifier_name("pH flag"), is_qualifier_name("QC")
    (True, True, True)
    >>> is_qualifier_name("Qualicum River temp"), is_qualifier_name("do_cor")
    (False, False)
    """
    text = str(column).strip()
    return bool(_QUALIFIER_RE.search(text)) or any(w in text for w in _QUALIFIER_KO)

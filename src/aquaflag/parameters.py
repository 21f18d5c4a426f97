"""What aquaflag knows about water-quality parameters: names, units, physical ranges.

Column names are recognised in English and Korean and in the short forms of
sensor exports (``"Water Temperature(Mun-Ui)"``, ``"수온(문의)"``, ``"temp"``).
A wide column name ``"Parameter(Station)"`` splits into parameter and station,
which is how sibling stations of the same parameter are found.

Gross ranges are what a value can physically be (or what common sensors can
read), not what is typical at a site: a value outside is a FAIL. They are
defaults for :func:`aquaflag.methods.gross_range` and are overridden per rule.

==============  =======  ================  ===============================================
parameter       unit     gross range       source / reason
==============  =======  ================  ===============================================
temperature     °C       −5 … 45           liquid fresh water; issue spec (sensor QC practice)
ph              —        0 … 14            the pH scale
do              mg/L     0 … 30            ≥ 0; supersaturation rarely above 25 mg/L
conductivity    µS/cm    0 … 100 000       fresh to sea water (≈ 55 000) with margin
turbidity       NTU      0 … 4 000         typical optical sensor range
transparency    m        0 … 40            Secchi depth of the clearest lakes ≈ 40 m
chlorophyll     mg/m³    0 … 1 000         hypereutrophic blooms stay far below
==============  =======  ================  ===============================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Parameter", "PARAMETERS", "UNITS", "parse_column", "parameter_of", "unit_of",
           "is_date_name"]


@dataclass(frozen=True)
class Parameter:
    """A known water-quality parameter."""

    key: str
    unit: str
    gross_range: tuple[float | None, float | None]
    names: tuple[str, ...]


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("temperature", "°C", (-5.0, 45.0),
              ("Water Temperature", "Temperature", "Water Temp", "temp", "WT", "수온", "온도")),
    Parameter("ph", "", (0.0, 14.0), ("pH", "수소이온농도")),
    Parameter("do", "mg/L", (0.0, 30.0), ("DO", "Dissolved Oxygen", "용존산소", "용존산소량")),
    Parameter("conductivity", "µS/cm", (0.0, 100_000.0),
              ("Conductivity", "Specific Conductance", "Specific Conductivity", "EC", "cond",
               "spcond", "전기전도도", "전기전도")),
    Parameter("turbidity", "NTU", (0.0, 4000.0), ("Turbidity", "turb", "탁도")),
    Parameter("transparency", "m", (0.0, 40.0),
              ("Transparency", "Secchi", "Secchi Depth", "투명도")),
    Parameter("chlorophyll", "mg/m³", (0.0, 1000.0),
              ("Chlorophyll-a", "Chlorophyll", "Chl-a", "chl_a", "클로로필-a", "클로로필a", "클로로필")),
)

#: Unit by parameter name (every English, Korean and short alias).
UNITS: dict[str, str] = {name: p.unit for p in PARAMETERS for name in p.names}

_BY_NAME = {name.casefold(): p for p in PARAMETERS for name in p.names}
_COLUMN_RE = re.compile(r"^(?P<param>.*?)\s*\((?P<station>[^()]*)\)\s*$", re.DOTALL)


def parse_column(column: str) -> tuple[str, str | None]:
    """Split a wide-format column name into parameter and station.

    The station is the text inside the *last* pair of parentheses, which must
    end the name; it is None when there is none.

    Examples
    --------
    >>> parse_column("pH(Mun-Ui)")
    ('pH', 'Mun-Ui')
    >>> parse_column("Water Temperature (Hoe-Nam)")
    ('Water Temperature', 'Hoe-Nam')
    >>> parse_column("pH")
    ('pH', None)
    """
    if not isinstance(column, str):
        raise TypeError(f"column must be a str; got {type(column).__name__}")
    match = _COLUMN_RE.match(column)
    if match is None:
        return column.strip(), None
    station = match.group("station").strip()
    return match.group("param").strip(), (station or None)


def parameter_of(column: str) -> Parameter | None:
    """The known parameter a column measures, from its name; None when unknown.

    The part before ``"("`` is compared case-insensitively with every alias:
    an exact match wins; otherwise the longest alias it starts with, followed
    by a non-alphanumeric character (``"DO_mgL"`` is DO, ``"Phosphate"`` is
    not pH, ``"Dosage"`` is not DO).

    Examples
    --------
    >>> parameter_of("용존산소(회남)").key
    'do'
    >>> parameter_of("temp_cor").key
    'temperature'
    >>> parameter_of("Phosphate") is None
    True
    """
    if not isinstance(column, str):
        return None
    name = parse_column(column)[0].casefold()
    if not name:
        return None
    if name in _BY_NAME:
        return _BY_NAME[name]
    best = None
    for alias in _BY_NAME:
        if name.startswith(alias) and not name[len(alias)].isalnum():
            if best is None or len(alias) > len(best):
                best = alias
    return None if best is None else _BY_NAME[best]


def unit_of(column: str) -> str | None:
    """The unit of a column from its parameter name (``""`` for pH); None when unknown.

    Examples
    --------
    >>> unit_of("DO(Hoe-Nam)")
    'mg/L'
    >>> unit_of("수온(문의)")
    '°C'
    >>> unit_of("Secchi depth")
    'm'
    >>> unit_of("Nitrate") is None
    True
    """
    param = parameter_of(column)
    return None if param is None else param.unit


_ENGLISH_DATE_WORDS = frozenset({"date", "time", "datetime", "timestamp", "day", "dates"})
_KOREAN_DATE_WORDS = ("일자", "날짜", "일시", "측정일", "측정일자", "측정일시", "시간", "조사일")


def is_date_name(column: str) -> bool:
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

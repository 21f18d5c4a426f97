import pytest

from aquaflag.variables import VARIABLES, describe, parse_column, variable_named

EN_COLUMNS = [
    f"{p}({s})"
    for p in ("Water Temperature", "pH", "DO", "Transparency")
    for s in ("Mun-Ui", "Chu-Dong", "Hoe-Nam")
]
KO_COLUMNS = [f"{p}({s})" for p in ("수온", "pH", "용존산소", "투명도") for s in ("문의", "추동", "회남")]


@pytest.mark.parametrize("column, key", [
    ("Water Temperature(Mun-Ui)", "temperature"), ("수온(문의)", "temperature"), ("temp", "temperature"),
    ("temp_cor", "temperature"), ("pH(Hoe-Nam)", "ph"), ("ph", "ph"), ("DO(Chu-Dong)", "do"),
    ("용존산소(회남)", "do"), ("cond", "conductivity"), ("전기전도도", "conductivity"),
    ("turb", "turbidity"), ("탁도(문의)", "turbidity"), ("Transparency(Mun-Ui)", "transparency"),
    ("Secchi depth", "transparency"), ("클로로필-a(문의)", "chlorophyll"),
])
def test_variable_recognised(column, key):
    assert variable_named(column).key == key


@pytest.mark.parametrize("column", ["Phosphate", "Dosage", "", "총질소(문의)", "Qualicum"])
def test_unknown_variables(column):
    assert variable_named(column) is None and unit_of(column) is None


def test_gross_ranges_are_ordered_and_units_set():
    for p in VARIABLES:
        lo, hi = p.gross_range
        assert lo is None or hi is None or lo < hi
    assert variable_named("pH").gross_range == (0.0, 14.0)
    assert variable_named("temp").gross_range == (-5.0, 45.0)


def test_parse_column_nested():
    assert parse_column("DO(Hoe-Nam)") == ("DO", "Hoe-Nam", None)
    assert parse_column("용존산소(회남)") == ("용존산소", "회남", None)
    assert parse_column("a (b) (c)") == ("a (b)", "c", None)
    with pytest.raises(TypeError):
        parse_column(3)


# --- units and column names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "unit"),
    [
        ("Water Temperature(Mun-Ui)", "°C"),
        ("water temperature(Mun-Ui)", "°C"),
        ("수온(문의)", "°C"),
        ("pH(Chu-Dong)", ""),
        ("PH", ""),
        ("pH", ""),
        ("DO(Hoe-Nam)", "mg/L"),
        ("do", "mg/L"),
        ("용존산소(회남)", "mg/L"),
        ("Transparency(Mun-Ui)", "m"),
        ("투명도(추동)", "m"),
        ("Conductivity(Mun-Ui)", "µS/cm"),
        ("전기전도도(문의)", "µS/cm"),
        ("Turbidity", "NTU"),
        ("탁도(회남)", "NTU"),
        ("Chlorophyll-a(Mun-Ui)", "mg/m³"),
        ("클로로필-a(문의)", "mg/m³"),
        ("DO_surface(Mun-Ui)", "mg/L"),
        ("Water Temperature (Hoe-Nam)", "°C"),
        ("temp", "°C"),
        ("cond", "µS/cm"),
        ("turb", "NTU"),
    ],
)
def test_unit_of_known(column, unit):
    assert unit_of(column) == unit


def unit_of(column):
    return describe([column])[column].unit


@pytest.mark.parametrize(
    "column", ["Phosphate(Mun-Ui)", "Dosage", "", "(Mun-Ui)", "총질소(문의)"]
)
def test_unit_of_unknown(column):
    assert unit_of(column) is None


def test_units_of_names():
    required = {
        "Water Temperature": "°C", "수온": "°C", "pH": "", "DO": "mg/L", "용존산소": "mg/L",
        "Transparency": "m", "투명도": "m", "Conductivity": "µS/cm", "전기전도도": "µS/cm",
        "Turbidity": "NTU", "탁도": "NTU", "Chlorophyll-a": "mg/m³", "클로로필-a": "mg/m³",
    }
    for key, unit in required.items():
        assert variable_named(key).unit == unit
    for col in EN_COLUMNS + KO_COLUMNS:
        assert unit_of(col) is not None


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("pH(Mun-Ui)", ("pH", "Mun-Ui", None)),
        ("pH", ("pH", None, None)),
        ("Water Temperature(Chu-Dong)", ("Water Temperature", "Chu-Dong", None)),
        ("Water Temperature (Hoe-Nam)", ("Water Temperature", "Hoe-Nam", None)),
        ("용존산소(회남)", ("용존산소", "회남", None)),
        ("Chlorophyll-a(Mun-Ui)", ("Chlorophyll-a", "Mun-Ui", None)),
        ("DO (mg/L)(Mun-Ui)", ("DO", "Mun-Ui", "mg/L")),
        ("DO (mg/L)", ("DO", None, "mg/L")),
        ("EC(µS/cm)", ("EC", None, "µS/cm")),
        ("pH()", ("pH", None, None)),
        ("  pH  ", ("pH", None, None)),
    ],
)
def test_parse_column(column, expected):
    assert parse_column(column) == expected


def test_parse_column_roundtrip():
    for col in EN_COLUMNS + KO_COLUMNS:
        param, station, _ = parse_column(col)
        assert f"{param}({station})" == col


def test_parse_column_rejects_non_string():
    with pytest.raises(TypeError, match="column must be a str"):
        parse_column(3)



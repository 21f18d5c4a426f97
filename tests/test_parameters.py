import pytest

from aquaflag.parameters import PARAMETERS, parameter_of, parse_column, unit_of


@pytest.mark.parametrize("column, key", [
    ("Water Temperature(Mun-Ui)", "temperature"), ("수온(문의)", "temperature"), ("temp", "temperature"),
    ("temp_cor", "temperature"), ("pH(Hoe-Nam)", "ph"), ("ph", "ph"), ("DO(Chu-Dong)", "do"),
    ("용존산소(회남)", "do"), ("cond", "conductivity"), ("전기전도도", "conductivity"),
    ("turb", "turbidity"), ("탁도(문의)", "turbidity"), ("Transparency(Mun-Ui)", "transparency"),
    ("Secchi depth", "transparency"), ("클로로필-a(문의)", "chlorophyll"),
])
def test_parameter_recognised(column, key):
    assert parameter_of(column).key == key


@pytest.mark.parametrize("column", ["Phosphate", "Dosage", "stage", "", "총질소(문의)"])
def test_unknown_parameters(column):
    assert parameter_of(column) is None and unit_of(column) is None


def test_gross_ranges_are_ordered_and_units_set():
    for p in PARAMETERS:
        lo, hi = p.gross_range
        assert lo < hi
    assert parameter_of("pH").gross_range == (0.0, 14.0)
    assert parameter_of("temp").gross_range == (-5.0, 45.0)


def test_parse_column():
    assert parse_column("DO(Hoe-Nam)") == ("DO", "Hoe-Nam")
    assert parse_column("용존산소(회남)") == ("용존산소", "회남")
    assert parse_column("a (b) (c)") == ("a (b)", "c")
    with pytest.raises(TypeError):
        parse_column(3)

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag.errors import InputError, ParameterError
from aquaflag.flags import Flag


@pytest.fixture
def result():
    idx = pd.date_range("2021-01-01", periods=40, freq="D", name="Date")
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"a": rng.normal(10, 1, 40), "b": rng.normal(0, 1, 40)}, index=idx)
    df.iloc[5, 0] = 30.0
    df.iloc[7, 0] = np.nan
    df.iloc[33, 1] = -12.0
    return aquaflag.detect(df, method=["zscore", "iqr"])


def test_mask_is_union_and_masks_per_method(result):
    m = result.mask
    assert m.shape == result.data.shape and m.index.equals(result.data.index)
    assert m.iloc[5, 0] and m.iloc[33, 1]
    assert (result.mask_of("zscore") | result.mask_of("iqr")).equals(m)
    with pytest.raises(ParameterError):
        result.mask_of("hampel")


def test_outliers_table(result):
    out = result.outliers
    assert list(out.columns) == ["column", "time", "value", "rule", "method", "score", "lower", "upper"]
    row = out[(out["column"] == "a") & (out["method"] == "zscore")].iloc[0]
    assert row["value"] == 30.0 and row["time"] == result.data.index[5]
    det = result.detection("a", "zscore")
    assert row["score"] == det.score[5] and row["upper"] == det.upper[5]
    # ordered by column, then time, then method
    assert out["column"].tolist() == sorted(out["column"].tolist(), key=["a", "b"].index)


def test_empty_outliers_table_has_the_columns():
    res = aquaflag.detect(pd.Series([1.0, 1.1, 0.9, 1.0], name="x"), method="zscore")
    assert res.outliers.empty
    assert list(res.outliers.columns) == ["column", "time", "value", "rule", "method", "score", "lower", "upper"]


def test_flags_qartod(result):
    flags = result.flags
    assert flags.iloc[5, 0] == Flag.SUSPECT
    assert flags.iloc[7, 0] == Flag.MISSING
    assert flags.iloc[0, 0] == Flag.GOOD
    assert flags.dtypes.unique().tolist() == [np.uint8]


def test_summary(result):
    s = result.summary
    assert len(s) == 4
    row = s[(s["column"] == "a") & (s["method"] == "zscore")].iloc[0]
    assert row["n"] == 40 and row["missing"] == 1 and row["evaluated"] == 39
    assert row["outliers"] == 1 and row["parameters"] == "threshold=3.0"
    det = result.detection("a", "zscore")
    assert row["lower"] == det.lower[0] and row["upper"] == det.upper[0]


def test_cleaned_sets_flagged_to_nan_and_keeps_input(result):
    before = result.data.copy()
    clean = result.cleaned()
    assert np.isnan(clean.iloc[5, 0]) and np.isnan(clean.iloc[33, 1])
    assert clean.shape == result.data.shape
    assert clean.iloc[0, 0] == before.iloc[0, 0]
    pd.testing.assert_frame_equal(result.data, before)
    assert result.cleaned("keep").equals(result.data)
    with pytest.raises(ParameterError, match="policy"):
        result.cleaned("drop")


def test_detection_lookup_errors(result):
    with pytest.raises(ParameterError, match="2 rules"):
        result.detection("a")
    with pytest.raises(InputError, match="did you mean 'a'"):
        result.detection("A", "zscore")


def test_repr(result):
    assert "2 column(s) x 40 rows" in repr(result)


def test_cleaned_interpolate_fills_only_flagged_runs_within_limit():
    idx = pd.date_range("2024-01-01", periods=12, freq="h")
    x = np.array([1.0, 2, 3, 50, 5, 6, np.nan, 8, 9, 10, 11, 12])
    res = aquaflag.detect(pd.DataFrame({"x": x}, index=idx), method="modified_zscore")
    assert res.mask["x"].tolist()[3]
    filled = res.cleaned("interpolate")
    assert filled["x"].iloc[3] == pytest.approx(4.0)
    assert np.isnan(filled["x"].iloc[6])  # missing in the input: stays missing
    assert np.isnan(res.cleaned("interpolate", limit="30min")["x"].iloc[3])  # gap is 2 h
    assert res.cleaned("interpolate", limit="2h")["x"].iloc[3] == pytest.approx(4.0)
    assert res.data["x"].iloc[3] == 50.0


def test_detection_of_unselected_column():
    df = pd.DataFrame({"pH(A)": [7.0, 7.1, 7.2, 9.0], "DO(A)": [8.0, 8.1, 8.2, 8.3]})
    res = aquaflag.evaluate(df, [aquaflag.Rule("zscore", columns=("pH*",))])
    with pytest.raises(ParameterError, match="no rule selected column 'DO\\(A\\)'"):
        res.detection("DO(A)")


def test_provenance_names_rule_method_parameters_and_flag():
    idx = pd.date_range("2024-01-01", periods=30, freq="D")
    x = np.r_[np.linspace(7.0, 7.5, 29), 20.0]
    rules = [aquaflag.Rule("zscore", {"threshold": 2.5}, label="z", severity="fail"),
             aquaflag.Rule("iqr", label="tukey")]
    res = aquaflag.evaluate(pd.DataFrame({"pH(A)": x}, index=idx), rules)
    prov = res.provenance
    assert list(prov.columns) == ["column", "time", "value", "rule", "method", "parameters", "flag",
                                  "score", "lower", "upper", "derived"]
    z = prov[prov["rule"] == "z"].iloc[0]
    assert z["method"] == "zscore" and z["parameters"] == "threshold=2.5" and z["flag"] == 4
    assert prov[prov["rule"] == "tukey"].iloc[0]["flag"] == 3
    assert len(prov) == len(res.outliers)


def test_prior_flags_are_respected():
    idx = pd.date_range("2024-01-01", periods=40, freq="D")
    rng = np.random.default_rng(0)
    x = rng.normal(10, 0.5, 40)
    x[5] = 60.0  # a technician already failed this one
    df = pd.DataFrame({"a": x}, index=idx)
    prior = pd.DataFrame({"a": np.ones(40, dtype=int)}, index=idx)
    prior.iloc[5, 0] = 4
    res = aquaflag.evaluate(df, [aquaflag.Rule("zscore")], prior_flags=prior)
    assert res.flags["a"].iloc[5] == 4
    assert not res.detection("a").evaluated[5]  # left out of the statistics
    free = aquaflag.detect(df, method="zscore").detection("a")
    assert res.detection("a").stats["std"] < free.stats["std"]
    with pytest.raises(InputError, match="QARTOD codes"):
        aquaflag.evaluate(df, [aquaflag.Rule("zscore")], prior_flags=prior.replace(1, 7))


def test_detection_pickles_constant_bounds_compactly():
    import pickle

    det = aquaflag.detect(pd.Series(np.random.default_rng(0).normal(size=100_000), name="x"),
                          method="zscore").detection("x")
    assert det.lower.strides == (0,)
    data = pickle.dumps(det)
    assert len(data) < 100_000 * 12  # score + two bool arrays, not two more float arrays
    back = pickle.loads(data)
    for name in ("mask", "evaluated", "score", "lower", "upper"):
        np.testing.assert_array_equal(getattr(back, name), getattr(det, name))
    assert back.params == det.params and back.stats == det.stats

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag import Rule, evaluate
from aquaflag.errors import InputError, ParameterError


@pytest.fixture
def frame():
    idx = pd.date_range("2020-01-06", periods=60, freq="7D", name="Date")
    rng = np.random.default_rng(0)
    df = pd.DataFrame({
        "pH(A)": 7.5 + rng.normal(0, 0.1, 60),
        "DO(A)": 9 + rng.normal(0, 0.5, 60),
        "station": ["A"] * 60,
    }, index=idx)
    df.iloc[10, 0] = 11.0
    df.iloc[20, 1] = np.nan
    return df


def test_input_is_never_mutated(frame):
    before = frame.copy()
    res = aquaflag.detect(frame, method="seed")
    res.cleaned()
    res.flags
    pd.testing.assert_frame_equal(frame, before)


def test_text_column_is_reported_not_dropped_silently(frame):
    res = aquaflag.detect(frame, method="zscore")
    assert res.columns == ["pH(A)", "DO(A)"]
    assert "station" in res.skipped and "not numeric" in res.skipped["station"]


def test_explicit_text_column_is_a_clear_error(frame):
    with pytest.raises(InputError, match="column 'station' is not numeric"):
        aquaflag.detect(frame, columns=["station"])


def test_unknown_column_suggests(frame):
    with pytest.raises(InputError, match="did you mean 'pH\\(A\\)'"):
        aquaflag.detect(frame, columns=["ph(A)"])


def test_glob_columns(frame):
    res = aquaflag.detect(frame, columns=["pH*"])
    assert res.columns == ["pH(A)"]


def test_unknown_method_suggests():
    with pytest.raises(ParameterError, match="did you mean 'zscore'"):
        aquaflag.detect(pd.Series([1.0, 2, 3]), method="zcore")


def test_shared_parameter_with_several_methods_is_ambiguous(frame):
    with pytest.raises(ParameterError, match="per-method parameters"):
        aquaflag.detect(frame, method="seed", threshold=2)


def test_per_method_parameters_dict(frame):
    res = aquaflag.detect(frame, method={"zscore": {"threshold": 2.0}, "iqr": {}})
    assert res.labels == ["zscore", "iqr"]
    assert res.detection("pH(A)", "zscore").params["threshold"] == 2.0
    assert res.detection("pH(A)", "iqr").params["threshold"] == 1.5


def test_bad_parameter_names_parameter_and_method(frame):
    with pytest.raises(ParameterError, match=r"^threshold of modified_zscore must be > 0; got -1$"):
        aquaflag.detect(frame, method="modified_zscore", threshold=-1)


def test_series_array_and_list_inputs():
    s = pd.Series([1.0, 1.1, 0.9, 1.0, 9.0, 1.05, 0.95], name="x")
    assert aquaflag.detect(s, method="modified_zscore").mask["x"].tolist()[4]
    arr = aquaflag.detect(s.to_numpy(), method="modified_zscore")
    assert arr.columns == ["value"] and arr.mask["value"].iloc[4]
    with pytest.raises(InputError, match="1-d"):
        aquaflag.detect(np.zeros((3, 3)))
    with pytest.raises(InputError, match="Series or DataFrame"):
        aquaflag.detect("Data.csv")


def test_duplicate_column_names_rejected():
    df = pd.DataFrame([[1.0, 2.0]], columns=["a", "a"])
    with pytest.raises(InputError, match="appears more than once"):
        aquaflag.detect(df)


def test_no_numeric_column_is_a_clear_error():
    with pytest.raises(InputError, match="no numeric column"):
        aquaflag.detect(pd.DataFrame({"name": ["a", "b"]}))


def test_plain_read_csv_date_column_becomes_index(daecheong_csv):
    raw = pd.read_csv(daecheong_csv, encoding="utf-8-sig")  # 'Date' as text, RangeIndex
    res = aquaflag.detect(raw, method="iqr")
    assert isinstance(res.data.index, pd.DatetimeIndex)
    assert res.data.index.name == "Date" and len(res.columns) == 12


def test_infinite_values_are_missing_and_reported():
    x = np.r_[np.random.default_rng(1).normal(size=50), np.inf]
    res = aquaflag.detect(pd.Series(x, name="x"), method="zscore")
    det = res.detection("x")
    assert not det.evaluated[-1] and not det.mask[-1]
    assert det.n_evaluated == 50
    assert res.flags["x"].iloc[-1] == 9
    assert res.notes == ["x: 1 infinite value(s) treated as missing"]


def test_rule_columns_and_labels(frame):
    rules = [Rule("zscore", columns=("pH*",), severity="fail", label="ph_z"), Rule("iqr")]
    res = evaluate(frame, rules)
    assert ("DO(A)", "ph_z") not in res.detections
    assert res.flags.loc[frame.index[10], "pH(A)"] == 4
    with pytest.raises(ParameterError, match="share the label"):
        evaluate(frame, [Rule("iqr"), Rule("iqr")])
    res = evaluate(frame, [Rule("iqr", columns=("Turb*",)), Rule("zscore")])
    assert res.notes == ["rule 'iqr' selects no column (columns Turb*); not applied"]


def test_nullable_float_dtype():
    s = pd.Series([1.0, None, 1.1, 0.9, 1.0, 25.0, 1.02], dtype="Float64", name="x")
    res = aquaflag.detect(s, method="modified_zscore")
    assert res.mask["x"].tolist() == [False, False, False, False, False, True, False]


def test_a_sondes_other_variables_reach_sonde_failure():
    idx = pd.date_range("2021-06-01", periods=48, freq="h")
    t = np.arange(48.0)
    do = 9 + 0.5 * np.sin(t / 4)
    cond = 400 + 5 * np.cos(t / 5)
    do[20:30] = do[20]
    cond[20:30] = cond[20]
    other = 7.5 + 0.1 * np.sin(t / 3)
    frame = pd.DataFrame({"DO(A)": do, "Conductivity(A)": cond, "pH(B)": other}, index=idx)
    res = aquaflag.evaluate(frame, [aquaflag.Rule("sonde_failure", {"stuck": 4, "min_duration": 4})])
    assert list(np.flatnonzero(res.detection("DO(A)").mask)) == list(range(20, 30))
    assert res.detection("DO(A)").stats["n_variables"] == 2  # DO and conductivity at station A
    assert "judged on this series alone" in res.detection("pH(B)").note

import textwrap

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag.config import load, parse, rules_to_toml
from aquaflag.errors import ConfigError


def frame():
    idx = pd.date_range("2020-01-06", periods=80, freq="7D")
    rng = np.random.default_rng(1)
    df = pd.DataFrame({f"{p}({s})": rng.normal(m, 0.3, 80)
                       for p, m in (("pH", 7.5), ("DO", 9.0)) for s in ("A", "B")}, index=idx)
    df.iloc[10, 0] = 12.0
    return df


GOOD = textwrap.dedent('''
    # a comment
    [[rule]]
    name = "robust"
    method = "modified_zscore"
    parameter = "ph"
    threshold = 3.0

    [[rule]]
    method = "iqr"
    station = ["B"]
    severity = "fail"

    [[rule]]
    method = "zscore"
    enabled = false
''')


def test_parse_and_run(tmp_path):
    path = tmp_path / "qc.toml"
    path.write_text(GOOD, encoding="utf-8")
    rules = load(path).rules
    assert [r.label for r in rules] == ["robust", "iqr"]
    assert rules[0].params["threshold"] == 3.0 and rules[1].severity == "fail"
    res = aquaflag.run(frame(), path)
    assert ("pH(A)", "robust") in res.detections and ("DO(A)", "robust") not in res.detections
    assert ("DO(B)", "iqr") in res.detections and ("pH(A)", "iqr") not in res.detections
    assert res.flags["pH(A)"].iloc[10] == 3


def test_config_round_trip_reproduces_the_run(tmp_path):
    res = aquaflag.run(frame(), parse(GOOD))
    again = aquaflag.run(frame(), parse(rules_to_toml(res.rules)))
    pd.testing.assert_frame_equal(res.flags, again.flags)
    assert [r.params for r in again.rules] == [r.params for r in res.rules]


@pytest.mark.parametrize("text, message", [
    ("[[rule]]\nmethod = 'iqr'\nthreshold = -1\n", "<c>, rule 1 (line 1): threshold of iqr must be > 0; got -1"),
    ("[[rule]]\nname='x'\nmethod = 'iqr'\n\n[[rule]]\nname = 'sp'\nmethod = 'zscor'\n",
     "<c>, rule 2 'sp' (line 5): unknown method 'zscor'; did you mean 'zscore'?"),
    ("[[rule]]\nmethod = 'iqr'\ntreshold = 2\n", "iqr has no parameter 'treshold'; did you mean 'threshold'?"),
    ("[[rule]]\nthreshold = 2\n", "rule 1 (line 1): missing 'method'"),
    ("[[rule]]\nmethod = 'iqr'\nseverity = 'bad'\n", "severity must be one of 'suspect', 'fail'"),
    ("[[rule]]\nmethod = 'iqr'\ncolumns = 3\n", "columns must be a string or a list of strings"),
    ("[rules]\nmethod = 'iqr'\n", "unknown top-level key 'rules'"),
    ("method = ", "not valid TOML"),
    ("", "no rules"),
    ("[[rule]]\nmethod='iqr'\n[[rule]]\nmethod='iqr'\n", "share the label 'iqr'"),
])
def test_errors_name_file_rule_and_key(text, message):
    with pytest.raises(ConfigError) as err:
        parse(text, source="<c>")
    assert message in str(err.value)


def test_missing_file():
    with pytest.raises(ConfigError, match="not found"):
        load("no/such/qc.toml")


def test_run_rejects_other_config_types():
    with pytest.raises(aquaflag.ParameterError, match="TOML file, a Config or a list"):
        aquaflag.run(frame(), {"rule": []})

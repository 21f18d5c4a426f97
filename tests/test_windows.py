"""The one window grammar: every window-like parameter reads the same strings the same way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag import Rule
from aquaflag.errors import ParameterError
from aquaflag.windows import WindowError, parse_window


@pytest.mark.parametrize("text, seconds", [
    ("30min", 1800), ("2h", 7200), ("1D", 86400), ("15 min", 900), ("1h30min", 5400),
    ("1W", 7 * 86400), ("W-SUN", 7 * 86400), ("2H", 7200), ("P1D", 86400), ("500ms", 0.5),
])
def test_time_spans(text, seconds):
    assert parse_window(text).span_ns == round(seconds * 10**9)


@pytest.mark.parametrize("value, count", [(96, 96), (96.0, 96), ("96", 96), (np.int64(7), 7)])
def test_counts(value, count):
    assert parse_window(value).count == count


@pytest.mark.parametrize("text", ["1M", "1MS", "1ME", "1Y", "2QS", "B"])
def test_calendar_periods_refused_with_the_reason(text):
    with pytest.raises(WindowError, match="calendar period"):
        parse_window(text)


@pytest.mark.parametrize("value", ["abc", "-1h", "0s", "", 0, -3, 2.5, True, None, 3.5j,
                                   99999999999999999999, "100000000D"])
def test_bad_windows_refused(value):
    with pytest.raises(WindowError, match="^must be"):
        parse_window(value)


def test_time_only_and_count_only():
    with pytest.raises(WindowError, match="fixed time span"):
        parse_window(5, allow_count=False)
    with pytest.raises(WindowError, match="whole number of points >= 3"):
        parse_window("2h", allow_time=False, min_count=3)


# "1MS" used to be one millisecond for zscore(window=) and cleaned(limit=) but a month
# start for hampel/flat_line: every place now refuses it the same way, by name.
@pytest.mark.parametrize("method, param", [
    ("zscore", "window"), ("modified_zscore", "window"), ("iqr", "window"),
    ("adjusted_boxplot", "window"), ("hampel", "window"), ("flat_line", "window"),
    ("rate_of_change", "per"), ("level_shift", "max_gap"),
])
def test_one_grammar_for_every_method(method, param):
    with pytest.raises(ParameterError, match=rf"^{param} of {method} must be .*calendar period"):
        Rule(method, {param: "1MS"}).resolve()
    assert Rule(method, {param: "90min"}).resolve().params[param] == "90min"


def test_cleaning_limit_uses_the_same_grammar():
    idx = pd.date_range("2024-01-01", periods=20, freq="h")
    data = pd.Series(np.r_[np.full(10, 7.0), 50.0, np.full(9, 7.0)], index=idx, name="pH")
    res = aquaflag.detect(data, method="modified_zscore")
    with pytest.raises(ParameterError, match=r"^limit of cleaned must be .*calendar period"):
        res.cleaned("interpolate", limit="1MS")
    assert res.cleaned("interpolate", limit="2h")["pH"].iloc[10] == 7.0

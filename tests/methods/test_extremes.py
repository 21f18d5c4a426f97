"""Extreme values (issue 12): a huge spike is never missed, constant data never flagged,
no overflow warning reaches the user, and the medcouple stays exact and bounded."""

from __future__ import annotations

import resource
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag.kernels.stats import mean_std, medcouple
from aquaflag.methods._common import resolution

SPIKE_METHODS = ["zscore", "modified_zscore", "iqr", "adjusted_boxplot", "spike", "rate_of_change",
                 "stl_residual", "generalized_esd", "hampel"]


@pytest.mark.parametrize("size", [4294967295.0, 3e8, 1e155, 1e200, 1.7e308])
@pytest.mark.parametrize("method", SPIKE_METHODS)
def test_a_single_huge_spike_is_flagged_without_warnings(method, size):
    rng = np.random.default_rng(0)
    x = 7 + rng.normal(0, 0.3, 500)
    x[250] = size
    index = pd.date_range("2024-01-01", periods=500, freq="h")
    clean = aquaflag.detect(pd.Series(np.r_[x[:250], 7.0, x[251:]], index=index, name="pH"),
                            method=method).detection("pH")
    s = pd.Series(x, index=index, name="pH")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        det = aquaflag.detect(s, method=method).detection("pH")
    assert det.mask[250], f"{method} misses a spike of {size:g}"
    # and the spike does not turn other values into outliers
    assert det.mask.sum() <= clean.mask.sum() + 3


def test_resolution_is_not_set_by_the_spike_itself():
    # the uint32 logger error code used to become the "resolution" (threshold 3.4e10)
    assert resolution(np.array([7.1, 7.2, 4294967295.0, 7.3, 7.5])) == 0.1


@pytest.mark.parametrize("method, params", [("zscore", {"threshold": 1e-9}),
                                            ("spike", {}), ("rate_of_change", {"per": None}),
                                            ("generalized_esd", {})])
@pytest.mark.parametrize("value", [5.3, 0.1, 8.988e307, -1.797e308, 5e-324])
def test_constant_series_is_never_flagged(method, params, value):
    det = aquaflag.method(method)(np.full(10, value), **params)
    assert not det.mask.any()


def test_short_series_zscore_says_nothing_can_be_flagged():
    res = aquaflag.detect(pd.Series([1.0, 2, 3, 4, 5, 6, 7, 80], name="x"), method="zscore")
    assert "no |z| can exceed" in res.summary["note"][0] and res.outliers.empty


def test_mean_std_equals_numpy_below_the_overflow_range():
    x = np.random.default_rng(1).normal(3, 2, 1000)
    assert mean_std(x) == (float(np.mean(x)), float(np.std(x, ddof=1)))


def test_mean_std_scales_huge_values():
    x = np.r_[np.full(99, 7.0), 1e200]
    m, s = mean_std(x)
    assert np.isfinite(m) and np.isfinite(s)
    assert m == pytest.approx(1e198) and s == pytest.approx(1e199, rel=1e-9)


@pytest.mark.parametrize("case", ["subnormal_plus_huge", "both_extremes", "huge_mix"])
def test_medcouple_exact_on_extreme_inputs(case):
    sm = pytest.importorskip("statsmodels.stats.stattools")
    rng = np.random.default_rng(2)
    if case == "subnormal_plus_huge":  # used to double its sample until MemoryError
        x = rng.normal(0, 1, 259) * 1e-310
        x[0] = 1e308
    elif case == "both_extremes":
        x = rng.normal(0, 1, 556) * 1e300
        x[:5], x[5:9] = 1.797e308, -1.797e308
    else:
        x = rng.standard_t(2, 400) * 10.0 ** rng.integers(-300, 300, 400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' own overflow in its reference path
        expected = float(sm.medcouple(x, use_fast=False))
    assert medcouple(x) == pytest.approx(expected, abs=1e-12)


def test_medcouple_memory_is_bounded_on_extreme_values():
    # run in a child with a 2 GiB address-space limit: the old code was OOM-killed at 24 GB
    code = (
        "import resource, numpy as np;"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30));"
        "from aquaflag.kernels.stats import medcouple;"
        "x = np.random.default_rng(2).normal(0, 1, 259) * 1e-310; x[0] = 1e308;"
        "y = np.random.default_rng(3).normal(0, 1, 556); y[:278] = 1.797e308; y[278:] = -1.797e308;"
        "print(medcouple(x), medcouple(y))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert resource.getrlimit(resource.RLIMIT_AS)  # (the parent's limit is untouched)

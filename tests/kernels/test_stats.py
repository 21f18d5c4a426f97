import numpy as np
import pytest
from statsmodels.stats.stattools import medcouple as sm_medcouple

from aquaflag.kernels.stats import mad, mean_abs_dev, medcouple, quantiles


def exact(x):
    """statsmodels' exact O(n^2) definition (use_fast=False) on the non-NaN values."""
    x = np.asarray(x, dtype=float)
    return float(sm_medcouple(x[~np.isnan(x)], use_fast=False))


# Hand-computed from the definition (see the test docstrings).
def test_medcouple_hand_odd_with_tie_at_median():
    # median 3, u = {1, 7}, v = {1, 2}, one tie: kernels -1,-1,-1/3,0,0,5/9,3/4,1,1 -> median 0
    assert medcouple([1.0, 2.0, 3.0, 4.0, 10.0]) == 0.0


def test_medcouple_hand_even():
    # median 3, u = {1, 5}, v = {1, 2}: kernels -1/3, 0, 3/7, 2/3 -> (0 + 3/7) / 2
    assert medcouple([1.0, 2.0, 4.0, 8.0]) == pytest.approx(3 / 14, abs=1e-15)


def test_medcouple_symmetric_is_zero():
    x = np.concatenate([-np.arange(1, 50.0), [0.0], np.arange(1, 50.0)])
    assert medcouple(x) == pytest.approx(0.0, abs=1e-15)


def test_medcouple_sign_follows_skew():
    rng = np.random.default_rng(3)
    x = rng.lognormal(size=500)
    assert medcouple(x) > 0
    assert medcouple(-x) == pytest.approx(-medcouple(x), abs=1e-12)


@pytest.mark.parametrize("seed", range(60))
def test_medcouple_matches_exact_definition(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 2001))
    kind = seed % 6
    if kind == 0:
        x = rng.normal(size=n)
    elif kind == 1:
        x = np.round(rng.lognormal(size=n), 1)  # ties everywhere
    elif kind == 2:
        x = rng.integers(0, 5, size=n).astype(float)  # a handful of distinct values
    elif kind == 3:
        x = rng.normal(size=n)
        x[: n // 2] = np.median(x)  # half the values equal the median
    elif kind == 4:
        x = np.round(rng.exponential(size=n) * 10)
    else:
        x = rng.standard_t(2, size=n)  # heavy tails
    assert abs(medcouple(x) - exact(x)) <= 1e-12


@pytest.mark.parametrize("n", [3000, 4501])
def test_medcouple_large_band_narrowing_matches_exact(n):
    # Large enough that the randomized narrowing runs several rounds before materialising.
    rng = np.random.default_rng(n)
    for x in (rng.lognormal(size=n), np.round(rng.normal(size=n) * 3), rng.integers(0, 3, n) * 1.0):
        assert abs(medcouple(x) - exact(x)) <= 1e-12


def test_medcouple_result_does_not_depend_on_rng():
    x = np.random.default_rng(0).gamma(2.0, size=50_000)
    assert medcouple(x, rng=1) == medcouple(x, rng=2) == medcouple(x)


def test_medcouple_ignores_nan_and_does_not_mutate():
    rng = np.random.default_rng(5)
    x = rng.lognormal(size=300)
    x[::7] = np.nan
    before = x.copy()
    assert medcouple(x) == pytest.approx(exact(x), abs=1e-12)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("huge", [1e300, 9.96921e36, 1e308])
def test_medcouple_huge_values_terminate_and_match(huge):
    rng = np.random.default_rng(1)
    x = rng.normal(size=1000)
    x[[3, 500]] = huge
    expected = exact(np.where(x == huge, 1e30, x))  # same ranks; kernel values of huge pairs are ~ +1
    assert medcouple(x) == pytest.approx(expected, abs=1e-12)


def test_medcouple_degenerate():
    assert np.isnan(medcouple([]))
    assert np.isnan(medcouple([np.nan, np.nan]))
    assert medcouple([4.2]) == 0.0
    assert medcouple([4.2] * 10) == 0.0
    assert medcouple([1.0, 2.0]) == 0.0


def test_quantiles_linear_like_pandas():
    import pandas as pd

    x = np.array([3.0, 1.0, np.nan, 7.0, 2.0, 10.0])
    s = pd.Series(x)
    np.testing.assert_allclose(quantiles(x, (0.25, 0.75)), [s.quantile(0.25), s.quantile(0.75)])
    assert np.isnan(quantiles([np.nan])).all()


def test_mad_and_mean_abs_dev():
    x = [1.0, 2.0, 3.0, 4.0, 100.0, np.nan]
    assert mad(x) == 1.0
    assert mean_abs_dev(x) == pytest.approx((2 + 1 + 0 + 1 + 97) / 5)
    assert np.isnan(mad([]))


@pytest.mark.parametrize("seed", range(24))
def test_medcouple_compiled_count_matches_exact_definition(seed, monkeypatch):
    """The compiled merge-walk count (long series) on the same random cases, forced on."""
    import aquaflag.kernels.stats as st

    monkeypatch.setattr(st, "_COMPILED_MIN_ROWS", 0)
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(1, 3000))
    x = [rng.normal(size=n), np.round(rng.lognormal(size=n), 1), rng.integers(0, 4, size=n) * 1.0,
         np.round(rng.standard_t(2, size=n) * 5)][seed % 4]
    assert abs(st.medcouple(x) - exact(x)) <= 1e-12


def test_medcouple_both_counting_paths_agree_on_a_long_series(monkeypatch):
    import aquaflag.kernels.stats as st

    x = np.round(np.random.default_rng(9).gamma(2.0, size=200_000), 2)
    compiled = st.medcouple(x)
    monkeypatch.setattr(st, "_COMPILED_MIN_ROWS", 1 << 62)
    assert st.medcouple(x) == compiled

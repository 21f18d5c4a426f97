"""The four seed methods: exact equivalence with the seed rules, and degenerate cases.

The reference flags are computed here independently of aquaflag: plain pandas
expressions of the seed rules (../shared/DESIGN.md) and statsmodels' exact
medcouple as the oracle.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.stattools import medcouple as sm_medcouple

import aquaflag
from aquaflag.methods import adjusted_boxplot, iqr, modified_zscore, zscore


def seed_flags(s: pd.Series, method: str) -> pd.Index:
    """Timestamps the seed rule flags on one column (NaN dropped first, as the seed did)."""
    s = s.dropna()
    if method == "zscore":
        z = (s - s.mean()) / s.std()
        return s.index[z.abs() > 3]
    if method == "modified_zscore":
        med = s.median()
        mad = (s - med).abs().median()
        return s.index[(0.6745 * (s - med) / mad).abs() > 3.5]
    q1, q3 = s.quantile(0.25), s.quantile(0.75)
    iqr_ = q3 - q1
    if method == "iqr":
        return s.index[(s < q1 - 1.5 * iqr_) | (s > q3 + 1.5 * iqr_)]
    mc = sm_medcouple(s.to_numpy(), use_fast=False)
    if mc >= 0:
        lo, hi = q1 - 1.5 * np.exp(-4 * mc) * iqr_, q3 + 1.5 * np.exp(3 * mc) * iqr_
    else:
        lo, hi = q1 - 1.5 * np.exp(-3 * mc) * iqr_, q3 + 1.5 * np.exp(4 * mc) * iqr_
    return s.index[(s < lo) | (s > hi)]


SEED_TOTALS = {"zscore": 24, "modified_zscore": 20, "iqr": 38, "adjusted_boxplot": 55}


@pytest.mark.parametrize("method", list(SEED_TOTALS))
def test_seed_equivalence_on_daecheong(daecheong, method):
    result = aquaflag.detect(daecheong, method=method)
    got = result.outliers
    total = 0
    for col in daecheong.columns:
        expected = seed_flags(daecheong[col], method)
        flagged = got.loc[got["column"] == col, "time"]
        assert list(pd.DatetimeIndex(flagged)) == list(expected), col
        total += len(expected)
    assert total == SEED_TOTALS[method] == len(got)


def test_all_methods_side_by_side_equal_single_runs(daecheong):
    together = aquaflag.detect(daecheong, method="seed").outliers
    for method in SEED_TOTALS:
        alone = aquaflag.detect(daecheong, method=method).outliers
        part = together[together["method"] == method].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, alone)


def test_zscore_reference_values():
    x = np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])
    det = zscore(x, threshold=1.0)
    s = pd.Series(x)
    np.testing.assert_allclose(det.score, (s - s.mean()) / s.std())
    assert det.mask.nonzero()[0].tolist() == [0, 7]
    assert det.lower[0] == pytest.approx(s.mean() - s.std())


def test_modified_zscore_mad_zero_falls_back_to_mean_abs_dev():
    x = np.array([5.0] * 8 + [5.5, 9.0])
    det = modified_zscore(x)
    mean_ad = np.mean(np.abs(x - 5.0))  # (0.5 + 4) / 10
    expected = (x - 5.0) / (1.253314 * mean_ad)
    np.testing.assert_allclose(det.score, expected)
    assert det.mask.nonzero()[0].tolist() == [9]
    assert "MAD = 0" in det.note


def test_constant_series_not_evaluated_with_reason():
    x = np.full(20, 7.0)
    for fn in (zscore, modified_zscore, iqr, adjusted_boxplot):
        det = fn(x)
        assert not det.mask.any() and not det.evaluated.any()
        assert det.note


def test_iqr_zero_is_not_evaluated_rather_than_flagging_everything():
    x = np.array([1.0] * 10 + [1.2, 0.8, 50.0])
    det = iqr(x)
    assert not det.mask.any()
    assert "IQR = 0" in det.note
    assert modified_zscore(x).mask[12]  # the documented alternative catches it


def test_fewer_than_three_values():
    det = zscore([1.0, 2.0, np.nan])
    assert not det.evaluated.any() and "at least 3" in det.note


def test_adjusted_boxplot_uses_medcouple_fences():
    rng = np.random.default_rng(2)
    x = rng.lognormal(size=400)
    det = adjusted_boxplot(x)
    q1, q3 = np.quantile(x, [0.25, 0.75])
    mc = sm_medcouple(x, use_fast=False)
    assert det.stats["mc"] == pytest.approx(mc, abs=1e-12)
    assert det.lower[0] == pytest.approx(q1 - 1.5 * np.exp(-4 * mc) * (q3 - q1))
    assert det.upper[0] == pytest.approx(q3 + 1.5 * np.exp(3 * mc) * (q3 - q1))
    # negative skew mirrors the fences
    neg = adjusted_boxplot(-x)
    assert neg.lower[0] == pytest.approx(-det.upper[0])
    np.testing.assert_array_equal(neg.mask, det.mask)


def test_fence_scores_cross_threshold_exactly_at_the_fence():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 30.0])
    det = iqr(x)
    flagged = np.abs(det.score) > 1.5
    np.testing.assert_array_equal(flagged, det.mask)
    assert det.score[4] == 0.0  # between the quartiles


@pytest.mark.parametrize("fn", [zscore, modified_zscore, iqr, adjusted_boxplot])
def test_score_recomputed_on_access_is_the_score_computed_eagerly(fn):
    """On a long read-only series (what the engine passes) the Detection keeps no score
    array and recomputes it when asked; it must be the very score of a writable copy."""
    rng = np.random.default_rng(4)
    x = rng.gamma(2.0, size=50_000)
    x[rng.integers(0, x.size, 400)] = np.nan
    x[:3] = [40.0, -5.0, 0.0]
    frozen = x.copy()
    frozen.flags.writeable = False
    lazy, eager = fn(frozen), fn(x.copy())
    assert callable(lazy._score) and not callable(eager._score)
    np.testing.assert_array_equal(lazy.score, eager.score)  # NaN where not evaluated, too
    np.testing.assert_array_equal(lazy.mask, eager.mask)
    np.testing.assert_array_equal(lazy.evaluated, eager.evaluated)
    assert not np.shares_memory(lazy.score, lazy.score)  # a fresh array each time: not kept


def test_windowed_and_seasonal_scores_are_kept():
    x = np.random.default_rng(5).normal(size=20_000)
    x.flags.writeable = False
    assert not callable(zscore(x, window=50)._score)


def test_detection_is_immutable_and_pickles_a_deferred_score():
    import pickle

    x = np.random.default_rng(6).normal(size=20_000)
    x.flags.writeable = False
    det = iqr(x)
    with pytest.raises(AttributeError):
        det.note = "changed"
    back = pickle.loads(pickle.dumps(det))
    np.testing.assert_array_equal(back.score, det.score)
    assert back.lower.strides == (0,)  # a whole-series bound still travels as one value


def test_compact_mask_and_deferred_evaluated_give_the_same_arrays():
    """Few flagged points are kept as positions, and `evaluated` of a whole-series rule on
    read-only values is recomputed: what a Detection gives back is unchanged."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=40_000)
    x[rng.integers(0, x.size, 30)] += 20
    x[::97] = np.nan
    frozen = x.copy()
    frozen.flags.writeable = False
    for fn in (zscore, modified_zscore, iqr, adjusted_boxplot):
        lazy, eager = fn(frozen), fn(x.copy())
        assert callable(lazy._evaluated) and not callable(eager._evaluated)
        assert not isinstance(lazy._mask, np.ndarray)  # a few flagged points: positions
        np.testing.assert_array_equal(lazy.mask, eager.mask)
        np.testing.assert_array_equal(lazy.evaluated, eager.evaluated)
        np.testing.assert_array_equal(lazy.flagged, np.flatnonzero(eager.mask))
        assert lazy.n_outliers == eager.n_outliers and lazy.n_evaluated == eager.n_evaluated
        assert lazy.mask.dtype == bool and lazy.mask.shape == x.shape


def test_many_flagged_points_keep_the_boolean_mask():
    from aquaflag.detection import Detection

    mask = np.zeros(5000, dtype=bool)
    mask[::3] = True
    det = Detection(mask, np.ones(5000, dtype=bool), np.zeros(5000), np.zeros(5000),
                    np.zeros(5000), "m")
    assert det._mask is mask and det.n_outliers == mask.sum()
    with pytest.raises(ValueError, match="not evaluated"):
        Detection(mask, np.zeros(5000, dtype=bool), np.zeros(5000), np.zeros(5000),
                  np.zeros(5000), "m")


# ---------------------------------------------------------------- fitted statistics (issue 11)
FITTED = {"zscore": ("mean", "std"), "modified_zscore": ("median", "mad", "mean_abs_dev"),
          "iqr": ("q1", "q3"), "adjusted_boxplot": ("q1", "q3", "mc")}


def _fit_cases():
    rng = np.random.default_rng(7)
    normal = rng.normal(5, 2, 4000)
    normal[::97] = np.nan
    tied = np.r_[np.full(60, 3.0), np.round(rng.normal(3, 1, 40), 1)]  # MAD = 0, IQR = 0
    skewed = np.r_[rng.lognormal(0, 1, 3000), 80.0]
    long = rng.normal(0, 1, 30_000)  # beyond _DEFER_MIN: scores recomputed on access
    long.setflags(write=False)
    return {"normal": normal, "tied": tied, "skewed": skewed, "long read-only": long}


@pytest.mark.parametrize("method", list(FITTED))
@pytest.mark.parametrize("case", list(_fit_cases()))
def test_the_whole_series_own_statistics_reproduce_its_result_bit_for_bit(method, case):
    from aquaflag import registry
    from aquaflag.methods._common import fitted_params

    x = _fit_cases()[case]
    spec = registry.get(method)
    whole = spec(x)
    params = fitted_params(spec, whole)
    assert {k for k in FITTED[method] if params.get(k) is not None} >= set(FITTED[method]) - {"mean_abs_dev"}
    fitted = spec(x, **params)
    for attr in ("mask", "evaluated", "score", "lower", "upper"):
        np.testing.assert_array_equal(np.asarray(getattr(fitted, attr)), np.asarray(getattr(whole, attr)),
                                      err_msg=f"{method} {case}: {attr}")
    # judged value by value: any slice gets the same judgement as inside the whole series
    part = spec(x[100:130], **params)
    np.testing.assert_array_equal(part.mask, whole.mask[100:130])
    np.testing.assert_array_equal(part.score, np.asarray(whole.score)[100:130])


@pytest.mark.parametrize("method", list(FITTED))
def test_fitted_statistics_make_the_reach_pointwise(method):
    from aquaflag import registry

    spec = registry.get(method)
    assert spec.reach(spec.validate({})).whole
    given = {k: 1.0 for k in FITTED[method]} | ({"mc": 0.1} if method == "adjusted_boxplot" else {})
    reach = spec.reach(spec.validate(given))
    assert reach.causal and reach == registry.POINTWISE
    # a window keeps its own reach (and the combination is refused when run)
    assert not spec.reach(spec.validate({"window": 5})).whole


@pytest.mark.parametrize("method, params, match", [
    ("zscore", {"mean": 1.0}, "std of zscore must be given with mean"),
    ("zscore", {"mean": 1.0, "std": 1.0, "window": 10}, "do not go with window or by"),
    ("zscore", {"std": -1.0, "mean": 0.0}, "std of zscore must be >= 0"),
    ("iqr", {"q1": 2.0, "q3": 1.0}, "q1 of iqr must be <= q3"),
    ("adjusted_boxplot", {"q1": 1.0, "q3": 2.0, "mc": 2.0}, "mc of adjusted_boxplot must be"),
    ("adjusted_boxplot", {"q1": 1.0, "q3": 2.0}, "mc of adjusted_boxplot must be given"),
    ("modified_zscore", {"median": 1.0, "mad": 0.0}, "mean_abs_dev of modified_zscore must be given"),
    ("modified_zscore", {"median": float("inf"), "mad": 1.0}, "finite"),
])
def test_fitted_statistics_are_validated(method, params, match):
    from aquaflag import registry
    from aquaflag.errors import ParameterError

    with pytest.raises(ParameterError, match=match):
        registry.get(method)(np.arange(20.0), **params)


def test_fitted_statistics_judge_new_data_against_the_reference():
    x = np.r_[np.random.default_rng(3).normal(10, 1, 500)]
    fit = zscore(x, threshold=3.0)
    new = np.array([10.0, 14.5, 5.0, 10.2])
    det = zscore(new, threshold=3.0, mean=fit.stats["mean"], std=fit.stats["std"])
    expected = np.abs((new - fit.stats["mean"]) / fit.stats["std"]) > 3.0
    np.testing.assert_array_equal(det.mask, expected)
    assert det.stats == {"mean": fit.stats["mean"], "std": fit.stats["std"]}

"""Rosner's generalized ESD test, validated on Rosner (1983)'s published example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import aquaflag
from aquaflag import Rule
from aquaflag.methods import generalized_esd
from aquaflag.methods.esd import esd_critical_values

#: Rosner (1983)'s 54 observations, as reproduced in the NIST/SEMATECH
#: e-Handbook of Statistical Methods, section 1.3.5.17.3.
ROSNER = np.array([
    -0.25, 0.68, 0.94, 1.15, 1.20, 1.26, 1.26, 1.34, 1.38, 1.43, 1.49, 1.49, 1.55, 1.56,
    1.58, 1.65, 1.69, 1.70, 1.76, 1.77, 1.81, 1.91, 1.94, 1.96, 1.99, 2.06, 2.09, 2.10,
    2.14, 2.15, 2.23, 2.24, 2.26, 2.35, 2.37, 2.40, 2.47, 2.54, 2.62, 2.64, 2.90, 2.92,
    2.92, 2.93, 3.21, 3.26, 3.30, 3.59, 3.68, 4.30, 4.64, 5.34, 5.42, 6.01,
])
#: NIST's table (values shown to 3 decimals, truncated): R_i and lambda_i at alpha = 0.05.
NIST_R = [3.118, 2.942, 3.179, 2.810, 2.815, 2.848, 2.279, 2.310, 2.101, 2.067]
NIST_LAMBDA = [3.158, 3.151, 3.143, 3.136, 3.128, 3.120, 3.111, 3.103, 3.094, 3.085]


def removal_order(det):
    scored = np.flatnonzero(~np.isnan(det.score))
    # the i-th removed value has the i-th statistic; recover the order by replaying removals
    x = list(ROSNER)
    order = []
    for _ in range(len(scored)):
        a = np.array(x)
        j = int(np.argmax(np.abs(a - a.mean())))
        order.append(x.pop(j))
    return order


def test_rosner_example_three_outliers():
    assert ROSNER.size == 54
    det = generalized_esd(ROSNER, max_outliers=10, alpha=0.05)
    assert det.stats["n_outliers"] == 3
    assert sorted(ROSNER[det.mask]) == [5.34, 5.42, 6.01]


def test_rosner_example_statistics_match_nist_table():
    det = generalized_esd(ROSNER, max_outliers=10)
    # the statistic of each removed value, in removal order
    removed_values = removal_order(det)
    by_value = {float(v): s for v, s in zip(ROSNER, det.score) if not np.isnan(s)}
    r = [by_value[float(v)] for v in removed_values]
    np.testing.assert_array_equal(np.floor(np.array(r) * 1000) / 1000, NIST_R)
    lam = esd_critical_values(54, 10, 0.05)
    np.testing.assert_array_equal(np.floor(lam * 1000) / 1000, NIST_LAMBDA)
    # masking: R_1, R_2 < lambda but R_3 > lambda_3, so three outliers
    assert r[0] < lam[0] and r[1] < lam[1] and r[2] > lam[2]


def test_critical_values_formula_independently():
    n, alpha = 54, 0.05
    for i in (1, 5, 10):
        p = 1 - alpha / (2 * (n - i + 1))
        t = stats.t.ppf(p, n - i - 1)
        want = (n - i) * t / np.sqrt((n - i - 1 + t * t) * (n - i + 1))
        assert esd_critical_values(n, 10, alpha)[i - 1] == pytest.approx(want, rel=1e-12)


def test_nan_ignored_and_positions_kept():
    x = np.concatenate([[np.nan], ROSNER[:27], [np.nan, np.nan], ROSNER[27:]])
    det = generalized_esd(x)
    assert sorted(x[det.mask]) == [5.34, 5.42, 6.01]
    assert not det.evaluated[[0, 28, 29]].any()
    assert det.evaluated.sum() == 54


def test_lower_outlier_found():
    x = np.r_[ROSNER[1:], -6.0]
    det = generalized_esd(x, max_outliers=5)
    assert -6.0 in x[det.mask]


def test_max_outliers_capped():
    det = generalized_esd([1.0, 2.0, 3.0, 50.0], max_outliers=10)
    assert "capped at n - 2 = 2" in det.note


@pytest.mark.parametrize("values, note", [
    ([], "0 non-missing"), ([1.0, 2.0], "2 non-missing"), ([4.0] * 10, "constant"),
])
def test_degenerate(values, note):
    det = generalized_esd(values)
    assert not det.evaluated.any() and note in det.note


def test_stops_when_rest_is_constant():
    det = generalized_esd([5.0, 5.0, 5.0, 5.0, 5.0, 100.0], max_outliers=4)
    assert det.mask.nonzero()[0].tolist() == [5]
    assert np.isfinite(det.score).sum() == 1


def test_through_evaluate():
    frame = pd.DataFrame({"DO(A)": ROSNER},
                         index=pd.date_range("2020-01-01", periods=54, freq="7D"))
    res = aquaflag.evaluate(frame, [Rule("generalized_esd", {"max_outliers": 10})])
    assert sorted(res.outliers["value"]) == [5.34, 5.42, 6.01]
    assert set(res.flags["DO(A)"]) == {1, 3}

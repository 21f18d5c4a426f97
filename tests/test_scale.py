"""The y range of charts (PNG and report alike): scaled on good values, sentinels at the edge."""

import numpy as np
import pytest

from aquaflag.scale import NEAR_SPANS, PAD, display_range, edges


def test_sentinel_does_not_set_the_range():
    values = np.r_[np.linspace(10, 12, 50), 7999.0]
    flagged = np.r_[np.zeros(50, bool), True]
    lo, hi = display_range(values, flagged)
    assert lo == pytest.approx(10 - PAD * 2) and hi == pytest.approx(12 + PAD * 2)


def test_flags_and_bounds_near_the_data_widen_it():
    values = np.r_[np.linspace(10, 12, 50), 13.5]
    flagged = np.r_[np.zeros(50, bool), True]
    lo, hi = display_range(values, flagged, extra=np.array([9.5, np.inf]))
    assert lo == pytest.approx(9.5 - PAD * 4) and hi == pytest.approx(13.5 + PAD * 4)
    assert 13.5 <= 12 + NEAR_SPANS * 2  # (within one span: shown in place)


@pytest.mark.parametrize("values, flagged, expected", [
    (np.array([np.nan, np.inf]), np.zeros(2, bool), None),
    (np.array([3.0, 3.0, 3.0]), np.zeros(3, bool), (3 - PAD * 0.3, 3 + PAD * 0.3)),
    (np.array([1.0, 2.0]), np.ones(2, bool), (1 - PAD, 2 + PAD)),  # all flagged: their own range
])
def test_degenerate_cases(values, flagged, expected):
    got = display_range(values, flagged)
    assert got == expected if expected is None else got == pytest.approx(expected)


def test_edges_sit_inside_the_margin():
    lo, hi = edges((0.0, 1.12))
    assert 0.0 < lo < 0.06 and 1.06 < hi < 1.12

"""Properties every registered method keeps, on hostile values (issue 12).

Shape and types, NaN never judged, nothing flagged in a constant series, input
never modified, deterministic, and only aquaflag's own errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given

from aquaflag import registry
from aquaflag.errors import AquaflagError

from .strategies import series_values

SPECS = registry.specs()


def call(spec, x):
    times = pd.date_range("2020-01-01", periods=x.size, freq="15min").to_numpy(dtype="datetime64[ns]")
    extra = {"period": 24} if spec.name == "stl_residual" else {}
    try:
        return spec(x, times=times, series="pH(A)", **extra)
    except AquaflagError:
        return None  # a clear, named refusal is allowed; anything else is a defect


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
@given(x=series_values())
def test_contract_on_hostile_values(spec, x):
    before = x.copy()
    x.setflags(write=False)
    det = call(spec, x)
    np.testing.assert_array_equal(x, before)  # never modified (bit for bit, NaN included)
    if det is None:
        return
    n = x.size
    assert det.mask.shape == (n,) and det.mask.dtype == bool
    for arr in (det.score, det.lower, det.upper):
        assert arr.shape == (n,) and arr.dtype == np.float64
    assert not (det.mask & ~det.evaluated).any()
    assert not det.evaluated[np.isnan(x)].any()  # NaN is "not evaluated", never an outlier
    again = call(spec, x.copy())
    np.testing.assert_array_equal(det.mask, again.mask)  # deterministic
    np.testing.assert_array_equal(det.score, again.score)


#: Methods that judge each value against the others (not a value on its own: a constant
#: -9999 or a constant pH of 20 must still fail gross_range and nodata_codes).
STATISTICAL = [s for s in SPECS if s.reach(s.validate({})) != registry.POINTWISE]


@pytest.mark.parametrize("spec", STATISTICAL, ids=[s.name for s in STATISTICAL])
@given(x=series_values(min_size=1))
def test_a_constant_series_is_never_flagged(spec, x):
    finite = x[np.isfinite(x)]
    value = finite[0] if finite.size else 7.0
    det = call(spec, np.full(x.size, value))
    assert det is None or not det.mask.any()

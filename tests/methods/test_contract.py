"""The common contract every registered method must honour (run over the whole registry).

Adding a method to the registry adds it here automatically; it must also get an
entry in ``OBVIOUS`` below: a series and the positions it must flag.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aquaflag import registry
from aquaflag.detection import Detection
from aquaflag.errors import ParameterError

SPECS = registry.specs()
IDS = [s.name for s in SPECS]
N = 200
TIMES = pd.date_range("2020-01-01", periods=N, freq="15min").to_numpy(dtype="datetime64[ns]")


def _base(n=N, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 10 + np.sin(t / 20) + rng.normal(0, 0.1, n)


def _spiky():
    x = _base()
    x[120] = 60.0
    return x


def _coded():
    x = _base()
    x[120] = -9999.0
    return x


def _stuck():
    x = _base()
    x[100:140] = x[100]  # 40 x 15 min = 9h45 stuck
    return x


def _stuck_long():
    x = _base()
    x[100:160] = x[100]  # 60 x 15 min = 14h45 stuck: beyond flat_line's derived window (12 h floor)
    return x


def _shifted():
    x = _base()
    x[60:160] += 5.0  # a calibration offset for 25 h, then put right
    return x


def _shifted_short():
    x = _base()
    x[100:140] += 5.0  # a calibration offset for 10 h, clearly shorter than the record's rest
    return x


def _noisy():
    x = _base()
    x[100:160] += np.random.default_rng(7).normal(0, 1.0, 60)  # a degraded probe for 15 h
    return x


#: method -> (series, positions that must be flagged, extra kwargs)
OBVIOUS = {
    "zscore": (_spiky(), [120], {}),
    "modified_zscore": (_spiky(), [120], {}),
    "iqr": (_spiky(), [120], {}),
    "adjusted_boxplot": (_spiky(), [120], {}),
    "gross_range": (_spiky(), [120], {"lower": 0.0, "upper": 50.0}),
    "nodata_codes": (_coded(), [120], {}),
    "spike": (_spiky(), [120], {}),
    "rate_of_change": (_spiky(), [120], {}),
    "flat_line": (_stuck_long(), list(range(100, 160)), {}),
    "generalized_esd": (_spiky(), [120], {}),
    "stl_residual": (_spiky(), [120], {"period": 24}),  # 8 cycles of 6 h in 200 points
    "cross_station": (_spiky(), [120], {"siblings": {"b": _base(seed=1), "c": _base(seed=2)}}),
    "hampel": (_spiky(), [120], {}),
    "level_shift": (_shifted(), list(range(60, 160)), {}),
    "offset_stretch": (_shifted_short(), list(range(100, 140)),
                       {"cycle": 24, "step": 1, "min_duration": 4, "threshold": 3.0}),
    "noisy_stretch": (_noisy(), list(range(112, 148)), {"smooth": 5, "block": 4, "min_duration": 8}),
    "sonde_failure": (_stuck(), list(range(100, 140)), {}),
}


def call(spec, values, **params):
    """Run a method through its validated entry point, with timestamps when it needs them."""
    return spec(values, times=TIMES[: len(values)], **params)


@pytest.fixture(params=SPECS, ids=IDS)
def spec(request):
    return request.param


def test_every_method_has_an_obvious_case(spec):
    assert spec.name in OBVIOUS, f"add {spec.name} to OBVIOUS with a case it must flag"


def test_flags_the_obvious_outlier(spec):
    values, expected, extra = OBVIOUS[spec.name]
    det = call(spec, values.copy(), **extra)
    assert isinstance(det, Detection)
    assert set(expected) <= set(np.flatnonzero(det.mask))


def test_shapes_and_types(spec):
    values, _, extra = OBVIOUS[spec.name]
    det = call(spec, values.copy(), **extra)
    n = len(values)
    assert det.mask.dtype == bool and det.mask.shape == (n,)
    assert det.evaluated.dtype == bool
    for arr in (det.score, det.lower, det.upper):
        assert arr.shape == (n,) and arr.dtype == np.float64
    assert det.method == spec.name
    assert set(det.params) == set(spec.params)


def test_input_not_mutated_and_read_only_ok(spec):
    values, _, extra = OBVIOUS[spec.name]
    values = values.copy()
    values[5] = np.nan
    before = values.copy()
    values.setflags(write=False)
    call(spec, values, **extra)
    np.testing.assert_array_equal(values, before)


def test_deterministic(spec):
    values, _, extra = OBVIOUS[spec.name]
    a = call(spec, values.copy(), **extra)
    b = call(spec, values.copy(), **extra)
    np.testing.assert_array_equal(a.mask, b.mask)
    np.testing.assert_array_equal(a.score, b.score)


def test_nan_is_never_flagged(spec):
    values, expected, extra = OBVIOUS[spec.name]
    values = values.copy()
    nan_at = [0, 1, 50, 51, 52, len(values) - 1]
    values[nan_at] = np.nan
    det = call(spec, values, **extra)
    assert not det.mask[nan_at].any()
    assert not det.evaluated[nan_at].any()
    assert set(expected) <= set(np.flatnonzero(det.mask))


@pytest.mark.parametrize("case", ["empty", "all_nan", "one", "two", "constant"])
def test_degenerate_input_is_defined(spec, case):
    values = {
        "empty": np.array([], dtype=float),
        "all_nan": np.full(50, np.nan),
        "one": np.array([3.0]),
        "two": np.array([3.0, 4.0]),
        "constant": np.full(50, 7.5),
    }[case]
    det = call(spec, values)
    assert det.mask.shape == values.shape
    assert not det.mask.any(), f"{spec.name} flags something in a {case} series"
    if case in ("empty", "all_nan"):
        assert not det.evaluated.any()


def _bad_cases():
    for s in SPECS:
        for p in s.params.values():
            for bad in p.constraint.bad_values():
                if bad is None and p.nullable:
                    continue
                yield pytest.param(s, p.name, bad, id=f"{s.name}-{p.name}-{bad!r}")


@pytest.mark.parametrize("spec_, pname, bad", list(_bad_cases()))
def test_bad_parameter_rejected_by_name(spec_, pname, bad):
    with pytest.raises(ParameterError) as err:
        call(spec_, _spiky(), **{pname: bad})
    msg = str(err.value)
    assert msg.startswith(f"{pname} of {spec_.name} ") and "got" in msg


def test_unknown_parameter_rejected_with_suggestion(spec):
    first = next(iter(spec.params), None)
    if first is None:
        pytest.skip("method has no parameters")
    with pytest.raises(ParameterError, match=f"did you mean {first!r}"):
        spec.validate({first + "x": 1})

"""Properties of a whole run on hostile frames (issue 12): odd timestamps, infinities, dtypes.

Every method through the engine: no crash (only aquaflag's own, named errors),
NaN and infinity never flagged (infinity is coded missing and noted), the
caller's frame never modified, flags of the frame's shape; ``cleaned()`` leaves
every unflagged value bit for bit and never modifies the input.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aquaflag
from aquaflag import registry
from aquaflag.cli import main
from aquaflag.errors import AquaflagError

from .strategies import series_values, time_index

METHODS = registry.names()


@st.composite
def frames(draw) -> pd.DataFrame:
    x = draw(series_values(max_size=120, allow_inf=True))
    y = draw(series_values(min_size=x.size, max_size=x.size, allow_inf=True))[: x.size]
    index = draw(time_index(x.size))
    dtype = draw(st.sampled_from(["float64", "float32", "Float64", "object-number"]))
    frame = pd.DataFrame({"pH(A)": x, "pH(B)": y}, index=index)
    if dtype == "float32":
        with np.errstate(over="ignore"):
            frame = frame.astype("float32")
    elif dtype == "Float64":
        frame = frame.astype("Float64")
    elif dtype == "object-number":
        frame = frame.astype(object)
    return frame


def bits(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64).view(np.int64)


@pytest.mark.parametrize("method", METHODS)
@given(frame=frames())
def test_any_method_on_any_frame(method, frame):
    before = frame.copy(deep=True)
    try:
        res = aquaflag.detect(frame, method=method)
    except AquaflagError:
        pd.testing.assert_frame_equal(frame, before)
        return
    pd.testing.assert_frame_equal(frame, before)  # the caller's data, untouched
    flags = res.flags
    assert flags.shape == res.data.shape
    values = res.data.to_numpy(dtype=np.float64, na_value=np.nan)
    original = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = ~np.isfinite(original)
    assert (flags.to_numpy()[missing] == 9).all()  # NaN and +-inf: missing, never an outlier
    assert not res.mask.to_numpy()[missing].any()
    if np.isinf(original).any():
        assert any("infinite" in n for n in res.notes)
    cleaned = res.cleaned()
    kept = ~res.mask.to_numpy() & ~missing
    flagged = res.flags.isin([3, 4]).to_numpy()
    np.testing.assert_array_equal(bits(cleaned.to_numpy())[kept & ~flagged], bits(values)[kept & ~flagged])
    assert np.isnan(cleaned.to_numpy()[flagged]).all()
    pd.testing.assert_frame_equal(frame, before)


@settings(max_examples=25)
@given(frame=frames(), text=st.sampled_from(["", "<0.5", "ND", "-", "1,5", "=1+2", "abc", "1e999"]))
def test_cli_exit_0_or_one_line_exit_2(frame, text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.csv"
        out = frame.astype(object)
        if len(out):
            out.iloc[0, 0] = text
        out.to_csv(path, index_label="date")
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(["detect", str(path), "--out", str(Path(tmp) / "out"), "--no-plots", "-q"])
        lines = err.getvalue().strip().splitlines()
        assert code in (0, 2), err.getvalue()
        if code == 2:
            assert len(lines) == 1 and lines[0].startswith("aquaflag: error: "), err.getvalue()
        assert "Traceback" not in err.getvalue()

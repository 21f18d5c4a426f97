"""The engine's input checks: the one date path, nothing dropped, rounding said."""

import numpy as np
import pandas as pd

import aquaflag


def test_a_date_column_is_found_by_the_readers_date_path_and_no_row_is_dropped():
    frame = pd.DataFrame({"측정일자": ["2024. 1. 1.", "2024. 1. 2.", "없음", "2024. 1. 4.", "2024. 1. 5."],
                          "pH": [7.1, 7.2, 7.3, 7.2, 9.9]})
    res = aquaflag.detect(frame, method="iqr")
    assert len(res.data) == 5 and res.data.index.name == "측정일자"
    assert res.data.index[0] == pd.Timestamp("2024-01-01") and res.data.index.isna().sum() == 1
    assert res.flags["pH"].iloc[2] == 2  # no timestamp: not judged, still there
    assert any("no timestamp" in n for n in res.notes)


def test_integers_beyond_2_53_are_said_to_be_rounded():
    frame = pd.DataFrame({"count": np.array([27021597764225089, 1, 2, 3, 4], dtype=np.int64)})
    res = aquaflag.detect(frame, method="iqr")
    assert any("27021597764225089 -> 27021597764225088" in n and "1 integer(s)" in n for n in res.notes)
    assert not any("integer" in n for n in aquaflag.detect(frame.iloc[1:], method="iqr").notes)

"""Shared fixtures. Real data is read from ../shared/data at test time (never copied)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_file(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available at {path} (expected ../shared/data beside the repo)")
    return path


@pytest.fixture(scope="session")
def daecheong_csv() -> Path:
    return shared_file("daecheong", "Data.csv")


@pytest.fixture(scope="session")
def daecheong(daecheong_csv) -> pd.DataFrame:
    """Data.csv read the way the seed notebook read it (plain pandas)."""
    return pd.read_csv(daecheong_csv, encoding="utf-8-sig", index_col="Date", parse_dates=True)

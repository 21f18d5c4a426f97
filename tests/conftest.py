"""Shared fixtures. Real data is read from ../shared/data at test time (never copied)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

# Property-based tests (issue 12): a short, reproducible run in CI ("ci": fixed seed,
# few examples), a long one on demand (7 500 examples per property: over 30 minutes on one
# core; 6 000 took 29):  AQUAFLAG_HYPOTHESIS_PROFILE=long pytest -n 0 tests/properties tests/io/test_properties.py
settings.register_profile("ci", derandomize=True, max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("long", max_examples=7_500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
if not any(a.startswith("--hypothesis-profile") for a in sys.argv):  # the option wins
    settings.load_profile(os.environ.get("AQUAFLAG_HYPOTHESIS_PROFILE", "ci"))

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

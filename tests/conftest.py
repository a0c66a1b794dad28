"""Shared fixtures. Nothing here is skipped: missing shared data is a failure, not a skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Fuzz tests check what the code does, never how fast: on a loaded 2-core CI machine (two pytest
# processes and Chromium side by side) a slow example must not fail as DeadlineExceeded or Flaky,
# nor slow data generation as a health check. Tests' own @settings inherit this profile.
settings.register_profile("evalkit", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("evalkit")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def data_dir() -> Path:
    assert DATA.is_dir(), f"sample data folder missing: {DATA} (run `make data`)"
    return DATA


@pytest.fixture(scope="session")
def dices_dir() -> Path:
    d = SHARED / "data" / "dices"
    assert d.is_dir(), f"DICES-350 data missing: expected it at {d} (../shared beside the clone)"
    return d

# The Phoenix round trip needs a Phoenix server in its own venv: `make test-phoenix` sets
# EVALKIT_PHOENIX=1 and runs tests/phoenix there; other runs do not collect it.
collect_ignore = [] if os.environ.get("EVALKIT_PHOENIX") == "1" else ["phoenix"]
# Fixture generator scripts (tests/fixtures/traces/real/generate_*.py) drive the real client
# libraries of the `clients` extra; they are run by hand, not collected as doctest modules.
collect_ignore_glob = ["fixtures/*"]

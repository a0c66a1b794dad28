"""Shared fixtures. Nothing here is skipped: missing shared data is a failure, not a skip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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

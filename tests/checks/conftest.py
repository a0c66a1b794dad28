"""Fixtures for the code-based checks: small canonical frames and the bundled sample data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import evalkit

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "traces"


def frame(**cols: list[Any]) -> pd.DataFrame:
    """A small trace frame: trace ids t0, t1, ... plus the given columns."""
    n = len(next(iter(cols.values())))
    return pd.DataFrame({"trace_id": [f"t{i}" for i in range(n)], **cols})


def verdicts(traces: pd.DataFrame, check: evalkit.checks.Check) -> list[str]:
    return evalkit.run_checks(traces, [check], by=None).frame["verdict"].astype(str).tolist()


@pytest.fixture(scope="session")
def sample_traces() -> pd.DataFrame:
    return evalkit.load_traces(ROOT / "data" / "traces")


@pytest.fixture(scope="session")
def tool_schemas_from_openai(sample_traces: pd.DataFrame) -> dict[str, Any]:
    meta = sample_traces["metadata"]
    row = meta[meta.map(lambda m: isinstance(m, dict) and "tools" in m)].iloc[0]
    return evalkit.checks.tool_schemas(row)

"""Small frames for golden-set tests."""

from __future__ import annotations

import pandas as pd
import pytest


def make_traces(
    n: int, *, segments: dict[str, int] | None = None, prefix: str = "t"
) -> pd.DataFrame:
    """``n`` traces (or the given segment sizes) with an email in every fifth output."""
    segs: list[str] = []
    if segments is None:
        segs = ["main"] * n
    else:
        for name, k in segments.items():
            segs += [name] * k
    ids = [f"{prefix}{i}" for i in range(len(segs))]
    return pd.DataFrame({
        "trace_id": ids,
        "input": [f"question {i}" for i in range(len(segs))],
        "output": [f"answer {i} mail u{i}@example.com" if i % 5 == 0 else f"answer {i}"
                   for i in range(len(segs))],
        "segment": segs,
    })


def make_labels(traces: pd.DataFrame) -> pd.DataFrame:
    """Two annotators agreeing: every third trace fails with a mode."""
    rows = []
    for i, t in enumerate(traces["trace_id"]):
        v = "fail" if i % 3 == 0 else "pass"
        for a in ("ann_a", "ann_b"):
            rows.append({"trace_id": t, "annotator": a, "verdict": v,
                         "failure_modes": "ignored_context" if v == "fail" else "",
                         "labeled_at": "2025-03-18T09:03:39Z"})
    return pd.DataFrame(rows)


@pytest.fixture
def small() -> tuple[pd.DataFrame, pd.DataFrame]:
    tr = make_traces(0, segments={"big": 60, "mid": 30, "rare": 4})
    return tr, make_labels(tr)

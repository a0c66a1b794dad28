"""Regression tests for loader defects of issues 10 and 12 (items 2, 8, 15) not tied to a client.

The fixtures are built inline; each test failed before its fix.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.errors import TraceFormatError
from evalkit.traces import load_traces


def _pair(i: int) -> dict:
    return {
        "request": {"model": "m", "messages": [{"role": "user", "content": f"q{i}"}]},
        "response": {
            "id": f"c{i}",
            "created": 1700000000,
            "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": f"a{i}"}}],
        },
    }


def test_two_objects_on_one_line_is_an_error_on_the_fast_path_too(tmp_path: Path) -> None:
    """Issue 12.2: a blank line elsewhere no longer hides a line holding two JSON objects."""
    path = tmp_path / "log.jsonl"
    lines = [json.dumps(_pair(1)), json.dumps(_pair(2)) + json.dumps(_pair(3)), ""]
    path.write_text("\n".join([*lines, json.dumps(_pair(4))]) + "\n")
    with pytest.raises(TraceFormatError, match=r"log.jsonl:2"):
        load_traces(path)
    df, errors = load_traces(path, errors="collect")
    assert df["trace_id"].tolist() == ["c1", "c4"]
    assert [e.line for e in errors] == [2]

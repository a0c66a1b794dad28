"""Messages go to Arrow a chunk of rows at a time: the frame does not depend on the chunk size.

Oracle: ``schema.conform`` of the same rows, which normalises every message itself, and the
frame the readers give with one chunk for the whole file.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path

import pandas as pd
import pytest

from evalkit.traces import _frames, load_traces, schema

FIX = Path(__file__).parents[1] / "fixtures" / "traces"
OTLP = [
    FIX / "otel" / "genai_lines.jsonl",
    FIX / "otel" / "genai_current.json",
    FIX / "openinference" / "phoenix_otlp.json",
]


def _load(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_traces(path)


@pytest.mark.parametrize("path", OTLP, ids=lambda p: p.name)
@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_otlp_frames_do_not_depend_on_the_chunk_size(path, chunk, monkeypatch):
    from evalkit.traces import _otlp_fast

    # the span reader's chunks (JSON Lines of common shapes take the vectorised path, which
    # tests/traces/test_otlp_fast.py compares with this reader)
    monkeypatch.setattr(_otlp_fast, "read_fast_otlp", lambda path: None)
    whole = _load(path)
    monkeypatch.setattr(_frames, "_CHUNK", chunk)
    pieces = _load(path)
    pd.testing.assert_frame_equal(pieces, whole)
    assert pieces["messages"].array._pa_array.num_chunks >= min(len(whole), 2) // chunk


def _canonical(role: str, text: str) -> dict:
    return {"role": role, "content": text, "name": None, "tool_calls": [], "tool_call_id": None}


def _rows_with(messages: list[list[dict]]) -> list[dict]:
    return [
        {"trace_id": f"t{i}", "input": "q", "output": "a", "messages": m}
        for i, m in enumerate(messages)
    ]


def test_a_later_odd_chunk_gives_earlier_messages_back_and_conforms_everything(monkeypatch):
    monkeypatch.setattr(_frames, "_CHUNK", 2)
    good = [[_canonical("user", f"q{i}"), _canonical("assistant", f"a{i}")] for i in range(4)]
    odd = [[{"role": "user", "content": [{"type": "text", "text": "parts, not text"}]}]]
    rows = _rows_with(good + odd)
    oracle = schema.conform(copy.deepcopy(rows))
    builder = _frames.MessagesToArrow(rows)
    builder.step()  # two full chunks go to Arrow; the odd row's chunk is not full yet
    assert builder.done == 4 and "messages" not in rows[0]
    frame = builder.frame()
    assert all("messages" in row for row in rows)  # given back before conforming
    pd.testing.assert_frame_equal(frame, oracle)


def test_rows_are_given_back_whole_when_conforming_fails(monkeypatch):
    monkeypatch.setattr(_frames, "_CHUNK", 1)
    rows = _rows_with([[_canonical("user", "q")], [_canonical("user", "r")]])
    rows[1]["input_tokens"] = "not a number"
    kept = copy.deepcopy(rows)
    with pytest.raises((TypeError, ValueError)):
        _frames.rows_to_frame(rows)
    assert [r["messages"] for r in rows] == [r["messages"] for r in kept]


@pytest.mark.parametrize("chunk", [1, 2, 5])
def test_canonical_rows_give_the_conformed_frame_whatever_the_chunk(chunk, monkeypatch):
    monkeypatch.setattr(_frames, "_CHUNK", chunk)
    messages = [[_canonical("user", f"q{i}")] * (i % 3) for i in range(7)]  # some empty
    rows = _rows_with(messages)
    oracle = schema.conform(copy.deepcopy(rows))
    pd.testing.assert_frame_equal(_frames.rows_to_frame(rows), oracle)

"""Tool calls of tool spans are completed from the conversation's messages.

A tool span often records only the tool's name (arguments and results are opt-in content in the
OpenTelemetry GenAI conventions; an app's OpenInference TOOL span may set only ``tool.name``),
while the chat messages around it carry both. These files, written by the real instrumentations
(tests/fixtures/traces/real/generate_errors.py), used to load with ``arguments`` and ``result``
``None`` although the very same trace's messages held them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalkit.traces import load_traces
from evalkit.traces._common_messages import complete_tool_calls, tool_calls_from_messages
from tests.traces.test_real_clients import REAL, S


@pytest.mark.parametrize("name", ["otel_error_spans.json", "openinference_error_spans.json"])
def test_real_tool_spans_get_arguments_and_result_from_the_messages(name: str) -> None:
    df = load_traces(REAL / name)
    (row,) = df.to_dict("records")
    # the app's tool span has the tool's name only; the second request's messages answer it
    assert row["tool_calls"] == [
        {"name": S.TOOL_NAME, "arguments": S.TOOL_ARGS, "result": S.TOOL_RESULT}
    ]


def _kv(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": {"stringValue": value}}


def _span(i: int, name: str, attrs: list[dict[str, Any]], parent: int | None = 0) -> dict:
    span = {
        "traceId": "ab" * 16,
        "spanId": f"{i:016x}",
        "name": name,
        "startTimeUnixNano": str(1_000 + i),
        "endTimeUnixNano": str(2_000 + i),
        "attributes": attrs,
    }
    if parent is not None and i != parent:
        span["parentSpanId"] = f"{parent:016x}"
    return span


def _otlp(spans: list[dict[str, Any]], path: Path) -> Path:
    doc = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": spans}]}]}
    path.write_text(json.dumps(doc))
    return path


_TOOL = [_kv("gen_ai.operation.name", "execute_tool"), _kv("gen_ai.tool.name", "weather")]


def _chat(i: int, inputs: str, outputs: str) -> dict[str, Any]:
    attrs = [
        _kv("gen_ai.operation.name", "chat"),
        _kv("gen_ai.input.messages", inputs),
        _kv("gen_ai.output.messages", outputs),
    ]
    return _span(i, "chat", attrs)


def _chat_messages(calls: list[tuple[str, str, dict[str, Any], str]]) -> tuple[str, str]:
    """Input and output messages: the calls made by the model, then their results."""
    parts = [{"type": "tool_call", "id": i, "name": n, "arguments": a} for i, n, a, _ in calls]
    answers = [
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": i, "response": r}]}
        for i, _, _, r in calls
    ]
    inputs = [
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Oslo and Rome?"}]},
        {"role": "assistant", "parts": parts},
        *answers,
    ]
    outputs = [{"role": "assistant", "parts": [{"type": "text", "content": "Cold, then warm."}]}]
    return json.dumps(inputs), json.dumps(outputs)


def test_otel_tool_spans_are_matched_by_call_id_not_order(tmp_path: Path) -> None:
    calls = [("c1", "weather", {"city": "Oslo"}, "4C"), ("c2", "weather", {"city": "Rome"}, "20C")]
    inputs, outputs = _chat_messages(calls)
    spans = [
        _span(0, "agent", [], parent=None),
        # the spans ran in the other order (Rome first) and name their calls
        _span(1, "execute_tool weather", [*_TOOL, _kv("gen_ai.tool.call.id", "c2")]),
        _span(2, "execute_tool weather", [*_TOOL, _kv("gen_ai.tool.call.id", "c1")]),
        _chat(3, inputs, outputs),
    ]
    df = load_traces(_otlp(spans, tmp_path / "t.json"), format="otel_genai")
    assert df["tool_calls"].iloc[0] == [
        {"name": "weather", "arguments": {"city": "Rome"}, "result": "20C"},
        {"name": "weather", "arguments": {"city": "Oslo"}, "result": "4C"},
    ]


def test_what_the_span_records_wins_over_the_messages(tmp_path: Path) -> None:
    inputs, outputs = _chat_messages([("c1", "weather", {"city": "Oslo"}, "4C")])
    spans = [
        _span(0, "agent", [], parent=None),
        _span(1, "execute_tool weather", [*_TOOL, _kv("gen_ai.tool.call.result", "4C, wind")]),
        _chat(2, inputs, outputs),
    ]
    df = load_traces(_otlp(spans, tmp_path / "t.json"), format="otel_genai")
    assert df["tool_calls"].iloc[0] == [
        {"name": "weather", "arguments": {"city": "Oslo"}, "result": "4C, wind"}
    ]


def test_a_tool_span_the_messages_do_not_mention_is_left_as_it_is() -> None:
    msgs = [{"role": "assistant", "tool_calls": [{"id": "c1", "name": "a", "arguments": "{}"}]}]
    calls = [{"name": "b", "arguments": None, "result": None}]
    assert complete_tool_calls(calls, msgs) == calls
    assert complete_tool_calls(calls, []) == calls


@pytest.mark.parametrize("message_name", ["weather", ["weather"]])
def test_langsmith_tool_run_without_outputs_takes_the_tool_message(
    tmp_path: Path, message_name: Any
) -> None:
    root = {
        "id": "00000000-0000-0000-0000-000000000001",
        "trace_id": "00000000-0000-0000-0000-000000000001",
        "name": "agent",
        "run_type": "chain",
        "inputs": {"question": "Weather?"},
        "outputs": {"answer": "4C"},
    }
    llm = {
        "id": "00000000-0000-0000-0000-000000000002",
        "trace_id": root["id"],
        "parent_run_id": root["id"],
        "name": "ChatOpenAI",
        "run_type": "llm",
        "inputs": {"messages": [
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": "c1", "type": "function",
                 "function": {"name": message_name, "arguments": '{"city": "Oslo"}'}}]},
            {"role": "tool", "tool_call_id": "c1", "content": "4C"},
        ]},
        "outputs": {"messages": [{"role": "assistant", "content": "It is 4C."}]},
    }
    tool = {
        "id": "00000000-0000-0000-0000-000000000003",
        "trace_id": root["id"],
        "parent_run_id": root["id"],
        "name": "weather",
        "run_type": "tool",
        "inputs": {"city": "Oslo"},
    }
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (root, llm, tool)))
    df = load_traces(path, format="langsmith")
    if isinstance(message_name, str):
        assert df["tool_calls"].iloc[0] == [
            {"name": "weather", "arguments": {"city": "Oslo"}, "result": "4C"}
        ]
    else:  # a name that is not text matches nothing (and used to crash the load)
        assert df["tool_calls"].iloc[0] == [
            {"name": "weather", "arguments": {"city": "Oslo"}, "result": None}
        ]


_names = st.sampled_from(["a", "b", "c"])
_values = st.one_of(st.none(), st.text(max_size=3))


@st.composite
def _case(draw: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Any]]:
    # a name read from a hand-made file can be any JSON value (a list is not hashable)
    any_name = st.one_of(_names, st.none(), st.lists(st.sampled_from(["a", "b"]), max_size=2))
    made = draw(st.lists(st.tuples(st.one_of(st.none(), st.sampled_from(["c1", "c2", "c3"])),
                                   any_name, _values, _values), max_size=6))
    msgs = [{"role": "assistant", "content": None, "tool_calls": [
        {"id": i, "name": n, "arguments": None if a is None else json.dumps(a)}
        for i, n, a, _ in made]}]
    msgs += [{"role": "tool", "tool_call_id": i, "content": r} for i, _, _, r in made if i]
    spans = draw(st.lists(st.tuples(any_name, _values, _values,
                                    st.one_of(st.none(), st.sampled_from(["c1", "c2", "x"]))),
                          max_size=6))
    calls = [{"name": n, "arguments": a, "result": r} for n, a, r, _ in spans]
    return calls, msgs, [i for *_, i in spans]


@given(_case())
def test_completing_keeps_the_spans_calls_and_takes_only_what_they_lack(case: Any) -> None:
    calls, msgs, ids = case
    before = [dict(c) for c in calls]
    out = complete_tool_calls(calls, msgs, ids)
    assert calls == before  # the input is not changed in place
    found = tool_calls_from_messages(msgs)
    if not calls:  # no tool spans: the messages' own calls
        assert out == found
        return
    assert [c["name"] for c in out] == [c["name"] for c in calls]
    for c, o in zip(calls, out, strict=True):
        for key in ("arguments", "result"):
            if c[key] is not None:
                assert o[key] == c[key]  # a value the span has is kept
            elif o[key] is not None:  # a filled value is one of the messages' values
                assert o[key] in [m[key] for m in found]

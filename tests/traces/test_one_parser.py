"""One tool-argument parser and one JSON Lines reader for every trace reader (issue 10 clean-up).

There were two ``parse_arguments``: ``""`` gave ``""`` in the OpenAI/OTel readers and ``{}`` in the
Langfuse/LangSmith/CSV readers. The decision: blank arguments mean "no arguments", ``{}``, in the
flattened ``tool_calls`` column of every reader; the message keeps the raw text.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from evalkit.traces import _common_messages, _jsonio, load_traces


def _chat(arguments: str) -> dict:
    return {
        "messages": [
            {"role": "user", "content": "ping"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "ping", "arguments": arguments},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "pong"},
            {"role": "assistant", "content": "done"},
        ]
    }


@pytest.mark.parametrize("arguments", ["", "   "])
@pytest.mark.parametrize("fmt", ["openai", "json", "csv"])
def test_blank_arguments_are_no_arguments_in_every_reader(tmp_path, fmt, arguments):
    record = _chat(arguments)
    if fmt == "csv":
        path = tmp_path / "t.csv"
        frame = pd.DataFrame({"trace_id": ["t1"], "messages": [json.dumps(record["messages"])]})
        frame.to_csv(path, index=False)
    else:
        path = tmp_path / "t.jsonl"
        path.write_text(json.dumps(record) + "\n")
    df = load_traces(path, format=fmt)
    assert df.loc[0, "tool_calls"] == [{"name": "ping", "arguments": {}, "result": "pong"}]
    (call,) = df.loc[0, "messages"][1]["tool_calls"]
    assert call["arguments"] == arguments  # the raw text stays in the message


def test_one_definition_each():
    assert _common_messages.parse_arguments is _jsonio.parse_arguments
    assert not hasattr(
        __import__("evalkit.traces._common_files").traces._common_files, "iter_jsonl"
    )
    assert _jsonio.parse_arguments("not json {") == "not json {"
    assert _jsonio.parse_arguments('{"a": [1]}') == {"a": [1]}

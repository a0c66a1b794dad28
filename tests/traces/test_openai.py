"""OpenAI chat JSONL: fine-tuning, Batch API input/output and request/response log pairs."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from evalkit.errors import TraceFormatError
from evalkit.traces import load_traces

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "traces" / "openai"


def test_finetune_shape() -> None:
    df = load_traces(FIX / "finetune.jsonl")
    assert df["input"].tolist() == [
        "How do I reset my password?",
        "What is the status of invoice INV-42?",
        "What does this error mean?\n[image_url]",  # the image part is kept as a marker
    ]
    assert df["output"].tolist() == [
        "Open Settings > Security and choose Reset password.",
        "Invoice INV-42 is paid.",
        "It means your quota is exhausted.",
    ]
    row = df.iloc[1]
    assert [m["role"] for m in row["messages"]] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
    ]
    assert row["messages"][2]["tool_calls"] == [
        {"id": "call_1", "name": "get_invoice", "arguments": '{"invoice_id": "INV-42"}'}
    ]
    assert row["messages"][3]["tool_call_id"] == "call_1"
    assert row["tool_calls"] == [
        {
            "name": "get_invoice",
            "arguments": {"invoice_id": "INV-42"},
            "result": '{"status": "paid"}',
        }
    ]
    assert row["metadata"]["tools"][0]["function"]["name"] == "get_invoice"
    assert row["metadata"]["parallel_tool_calls"] is False
    assert df["model"].isna().all() and df["timestamp"].isna().all()


def test_log_pairs_shape() -> None:
    df = load_traces(FIX / "log_pairs.jsonl")
    assert df["trace_id"].tolist() == ["chatcmpl-A1", "chatcmpl-A2", "chatcmpl-A3"]
    assert df["timestamp"].tolist() == [
        pd.Timestamp(1731000000, unit="s", tz="UTC"),
        pd.Timestamp(1731000002, unit="s", tz="UTC"),
        pd.Timestamp(1731000100, unit="s", tz="UTC"),
    ]
    assert df["input_tokens"].tolist() == [80, 120, 40]
    assert df["output_tokens"].tolist() == [18, 9, 10]
    assert df["model"].tolist() == ["gpt-4o-mini-2024-07-18"] * 3
    assert df["user_id"].tolist()[:2] == ["user-42", "user-42"] and pd.isna(df["user_id"].iloc[2])
    assert df["session_id"].iloc[0] == "sess-7" and df["segment"].iloc[0] == "infra"
    # the first response is a tool call: no final text, the tool result is not known yet
    assert pd.isna(df["output"].iloc[0])
    assert df["tool_calls"].iloc[0] == [
        {"name": "get_vm_status", "arguments": {"vm_id": "vm-eu-1"}, "result": None}
    ]
    # the second carries the tool result in the request history, matched by tool_call_id
    assert df["tool_calls"].iloc[1] == [
        {
            "name": "get_vm_status",
            "arguments": {"vm_id": "vm-eu-1"},
            "result": '{"state": "running"}',
        }
    ]
    assert df["output"].iloc[1] == "Yes, vm-eu-1 is running."
    assert df["messages"].iloc[1][-1] == {
        "role": "assistant",
        "content": "Yes, vm-eu-1 is running.",
        "tool_calls": [],
        "tool_call_id": None,
        "name": None,
    }
    # arguments that are not JSON stay raw, nothing lost
    assert df["tool_calls"].iloc[2][0]["arguments"] == "{plan: pro"
    meta = df["metadata"].iloc[0]
    assert meta["finish_reason"] == "tool_calls" and meta["system_fingerprint"] == "fp_a1"
    assert meta["session_id"] == "sess-7"


def test_batch_input_and_output() -> None:
    inp = load_traces(FIX / "batch_input.jsonl")
    assert inp["trace_id"].tolist() == ["request-1", "request-2"]
    assert inp["input"].tolist() == ["Hello world!", "Summarise our refund policy."]
    assert inp["model"].tolist() == ["gpt-4o-mini", "gpt-4o-mini"]
    assert inp["metadata"].iloc[0]["url"] == "/v1/chat/completions"
    out = load_traces(FIX / "batch_output.jsonl")
    assert out["trace_id"].tolist() == ["request-2", "request-1"]
    assert out["output"].iloc[0] == "Refunds are issued within 14 days."
    assert out["input_tokens"].iloc[0] == 22
    assert out["metadata"].iloc[0]["completion_id"] == "chatcmpl-123"
    assert out["metadata"].iloc[1]["error"]["code"] == "rate_limit_exceeded"
    assert pd.isna(out["output"].iloc[1])


def test_batch_input_and_output_together_join_per_custom_id() -> None:
    # Both files key lines by custom_id: loaded together, each pair is one trace (issue 10).
    df = load_traces([FIX / "batch_input.jsonl", FIX / "batch_output.jsonl"])
    assert df["trace_id"].tolist() == ["request-1", "request-2"]
    assert df["input"].tolist() == ["Hello world!", "Summarise our refund policy."]
    assert pd.isna(df["output"].iloc[0])  # request-1 failed: its error is kept
    assert df["metadata"].iloc[0]["error"]["code"] == "rate_limit_exceeded"
    assert df["output"].iloc[1] == "Refunds are issued within 14 days."
    assert df["input_tokens"].iloc[1] == 22
    assert df["metadata"].iloc[1]["batch_output"]["line"] == 1
    assert df["source"].iloc[1]["file"].endswith("batch_input.jsonl")


def test_batch_custom_id_twice_on_one_side_is_still_a_duplicate(tmp_path) -> None:
    lines = (FIX / "batch_input.jsonl").read_text()
    (tmp_path / "in.jsonl").write_text(lines + lines)
    with pytest.raises(TraceFormatError, match="duplicate trace_id 'request-1'"):
        load_traces([tmp_path / "in.jsonl", FIX / "batch_output.jsonl"])


@pytest.mark.parametrize(
    ("record", "field", "message"),
    [
        ({"messages": "hi"}, None, "not an OpenAI chat record"),
        ({"messages": ["hi"]}, "messages[0]", "message must be an object"),
        (
            {"messages": [{"role": "user", "content": 3}]},
            "messages[0].content",
            "content must be a string",
        ),
        (
            {"messages": [{"role": "assistant", "tool_calls": [{"id": "c", "function": {}}]}]},
            "messages[0].tool_calls[0].function.name",
            "missing or not a string",
        ),
        (
            {"messages": [{"role": "assistant", "tool_calls": {"id": "c"}}]},
            "messages[0].tool_calls",
            "must be an array",
        ),
        (
            {"request": {"messages": []}, "response": {"id": "x", "choices": []}},
            "response.choices",
            "missing or empty",
        ),
        (
            {
                "request": {"messages": []},
                "response": {"choices": [{"message": {"role": "assistant", "content": "a"}}]},
            },
            "response.id",
            "missing",
        ),
        (
            {
                "request": {"messages": []},
                "response": {
                    "id": "x",
                    "choices": [{"message": {"role": "assistant"}}],
                    "usage": {"prompt_tokens": "12"},
                },
            },
            "response.usage.prompt_tokens",
            "must be an integer",
        ),
        (
            {
                "request": {"messages": [], "metadata": [1]},
                "response": {"id": "x", "choices": [{"message": {"role": "assistant"}}]},
            },
            "request.metadata",
            "must be an object",
        ),
        ({"custom_id": 5, "body": {"messages": []}}, "custom_id", "must be a non-empty string"),
        ({"custom_id": "a", "body": {"messages": None}}, "body.messages", "must be an array"),
        ([1, 2], None, "not an OpenAI chat record: expected a JSON object"),
    ],
)
def test_field_errors_name_line_and_field(
    tmp_path: Path, record: object, field: str | None, message: str
) -> None:
    p = tmp_path / "x.jsonl"
    p.write_text(
        json.dumps({"messages": [{"role": "user", "content": "ok"}]})
        + "\n"
        + json.dumps(record)
        + "\n"
    )
    with pytest.raises(TraceFormatError, match=message) as info:
        load_traces(p, format="openai")
    assert (info.value.file, info.value.line, info.value.field) == (str(p), 2, field)
    df, errors = load_traces(p, format="openai", errors="collect")
    assert len(df) == 1 and len(errors) == 1 and errors[0].field == field


def test_legacy_function_call_and_refusal(tmp_path: Path) -> None:
    rec = {
        "messages": [
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "weather", "arguments": '{"c": 1}'},
            },
            {"role": "function", "name": "weather", "content": "sunny"},
            {"role": "assistant", "content": None, "refusal": "I can't help with that."},
        ]
    }
    p = tmp_path / "f.jsonl"
    p.write_text(json.dumps(rec) + "\n")
    row = load_traces(p).iloc[0]
    assert row["tool_calls"] == [{"name": "weather", "arguments": {"c": 1}, "result": "sunny"}]
    assert row["output"] == "I can't help with that."


def test_sniff_on_a_first_line_longer_than_the_head(tmp_path: Path) -> None:
    from evalkit.traces._load import detect_format

    p = tmp_path / "long.jsonl"
    p.write_text(json.dumps({"messages": [{"role": "user", "content": "z" * 200_000}]}) + "\n")
    assert detect_format(p) == "openai"

"""The vectorised OpenAI log-pair path gives exactly the careful reader's frame, or steps aside."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pandas as pd
import pytest

from evalkit.errors import TraceFormatError
from evalkit.traces import load_traces, schema
from evalkit.traces._base import ErrorSink
from evalkit.traces._openai import read_careful
from evalkit.traces._openai_fast import read_fast

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "traces" / "openai"


def _record(i: int, rng: random.Random) -> dict:
    extra = random.Random(i)  # its own stream: the other tests' records stay as they were
    msgs: list[dict] = [{"role": "system", "content": "You are Acme support."}]
    for turn in range(rng.randint(0, 3)):
        msgs.append(
            {"role": "user", "content": f"question {i}.{turn}" if rng.random() < 0.9 else None}
        )
        if rng.random() < 0.3:
            msgs.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": f"call_{i}_{turn}",
                            "type": "function",
                            "function": {
                                "name": "lookup",
                                "arguments": json.dumps({"q": turn})
                                if rng.random() < 0.8
                                else "{bad",
                            },
                        }
                    ],
                }
            )
            if rng.random() < 0.7:
                msgs.append(
                    {
                        "role": "tool",
                        "tool_call_id": f"call_{i}_{turn}",
                        "content": f"result {turn}",
                    }
                )
            if extra.random() < 0.2:  # a repeated result: the later one wins on both paths
                msgs.append(
                    {"role": "tool", "tool_call_id": f"call_{i}_{turn}", "content": "again"}
                )
        if extra.random() < 0.15:  # an id-less call answered by a legacy function message
            msgs.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"type": "function", "function": {"name": f"fn{turn}"}}],
                }
            )
            msgs.append({"role": "function", "name": f"fn{turn}", "content": f"fn says {i}"})
        msgs.append(
            {
                "role": "assistant",
                "content": f"answer {i}.{turn}",
                "name": "bot" if rng.random() < 0.2 else None,
            }
        )
    message: dict = {"role": "assistant", "content": f"final {i}", "refusal": None}
    if rng.random() < 0.1:
        message = {"role": "assistant", "content": None, "refusal": "I can't help with that."}
    if rng.random() < 0.1:
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"call_{i}_x",
                    "type": "function",
                    "function": {"name": "escalate", "arguments": "{}"},
                }
            ],
        }
    request: dict = {"model": "gpt-4o-mini", "messages": msgs}
    if rng.random() < 0.7:
        request["metadata"] = {"session_id": f"s{i % 4}", "segment": rng.choice(["a", "b", None])}
    if rng.random() < 0.5:
        request["user"] = f"u{i}"
    if rng.random() < 0.5:
        request["temperature"] = rng.choice([0, 0.5, None])
    response: dict = {
        "id": f"chatcmpl-{i}",
        "object": "chat.completion",
        "created": 1731000000 + i,
        "model": rng.choice(["gpt-4o-mini-2024-07-18", None]),
        "choices": [
            {"index": 0, "message": message, "finish_reason": rng.choice(["stop", "length", None])}
        ],
    }
    if rng.random() < 0.8:
        response["usage"] = {
            "prompt_tokens": i,
            "completion_tokens": i % 7,
            "total_tokens": i + i % 7,
        }
    if rng.random() < 0.5:
        response["system_fingerprint"] = "fp_x"
    return {"request": request, "response": response}


@pytest.mark.parametrize("piece", [None, 2048])  # one piece; many pieces parsed ahead
@pytest.mark.parametrize("seed", range(6))
def test_fast_path_matches_careful_reader(
    tmp_path: Path, seed: int, piece: int | None, monkeypatch
) -> None:
    from evalkit.traces import _fast_pieces

    if piece is not None:
        monkeypatch.setattr(_fast_pieces, "PIECE", piece)
    rng = random.Random(seed)
    p = tmp_path / "logs.jsonl"
    p.write_text("".join(json.dumps(_record(i, rng)) + "\n" for i in range(rng.randint(1, 60))))
    fast = read_fast(p)
    assert fast is not None, "the fast path should take plain log pairs"
    careful = schema.conform(read_careful(p, sink=ErrorSink()))
    pd.testing.assert_frame_equal(fast, careful)


def test_fast_path_is_what_load_traces_uses(tmp_path: Path) -> None:
    rng = random.Random(7)
    p = tmp_path / "logs.jsonl"
    p.write_text("".join(json.dumps(_record(i, rng)) + "\n" for i in range(20)))
    df = load_traces(p)
    assert df.attrs.get("canonical") is True
    pd.testing.assert_frame_equal(
        df, schema.conform(read_careful(p, sink=ErrorSink())), check_flags=False
    )


def _lines(records: list[dict]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


@pytest.mark.parametrize(
    ("mutate", "line", "field"),
    [
        (lambda r: r["request"]["messages"][0].pop("role"), 2, "request.messages[0].role"),
        (lambda r: r["response"].pop("id"), 2, "response.id"),
        (lambda r: r["response"].update(choices=[]), 2, "response.choices"),
        (lambda r: r["response"].update(created=10**12), 2, "response.created"),
        (
            lambda r: r["response"]["usage"].update(prompt_tokens=1.5),
            2,
            "response.usage.prompt_tokens",
        ),
        (lambda r: r["request"].update(metadata=["x"]), 2, "request.metadata"),
    ],
)
def test_bad_records_fall_back_and_name_the_line(
    tmp_path: Path, mutate, line: int, field: str
) -> None:
    base = json.loads((FIX / "duplicate_ids.jsonl").read_text().splitlines()[0])
    records = [json.loads(json.dumps(base)) for _ in range(3)]
    for k, r in enumerate(records):
        r["response"]["id"] = f"c{k}"
        r["response"]["usage"] = {"prompt_tokens": 1, "completion_tokens": 1}
    mutate(records[1])
    p = tmp_path / "x.jsonl"
    p.write_text(_lines(records))
    assert read_fast(p) is None
    with pytest.raises(TraceFormatError) as info:
        load_traces(p)
    assert (info.value.line, info.value.field) == (line, field)


def test_blank_lines_keep_exact_line_numbers(tmp_path: Path) -> None:
    rng = random.Random(1)
    p = tmp_path / "x.jsonl"
    p.write_text(json.dumps(_record(0, rng)) + "\n\n" + json.dumps(_record(1, rng)) + "\n")
    df = load_traces(p)
    assert [s["line"] for s in df["source"]] == [1, 3]


def test_a_line_longer_than_a_parse_block(tmp_path: Path) -> None:
    rng = random.Random(2)
    rec = _record(0, rng)
    rec["response"]["choices"][0]["message"] = {"role": "assistant", "content": "z" * (10 << 20)}
    p = tmp_path / "x.jsonl"
    p.write_text(_lines([rec, _record(1, rng)]))
    fast = read_fast(p)
    assert fast is not None and len(fast.loc[0, "output"]) == 10 << 20


def test_bad_utf8_and_truncation_in_a_log_file_name_the_line(tmp_path: Path) -> None:
    rng = random.Random(3)
    good = (json.dumps(_record(0, rng)) + "\n").encode()
    bad = json.dumps(_record(1, rng)).encode().replace(b"final 1", b"final \xff")
    p = tmp_path / "x.jsonl"
    p.write_bytes(good + bad + b"\n" + good.replace(b"chatcmpl-0", b"chatcmpl-9"))
    with pytest.raises(
        TraceFormatError, match=r"x\.jsonl:2 \[openai\]: invalid UTF-8 at byte offset"
    ):
        load_traces(p)
    df, errors = load_traces(p, errors="collect")
    assert df["trace_id"].tolist() == ["chatcmpl-0", "chatcmpl-9"] and errors[0].line == 2
    p.write_bytes(good + good.replace(b"chatcmpl-0", b"chatcmpl-9")[:-40])
    with pytest.raises(
        TraceFormatError, match=r"x\.jsonl:2 \[openai\]: invalid JSON \(the JSON is truncated\)"
    ):
        load_traces(p)


_TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Find it.",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
    },
}


@pytest.mark.parametrize("tools", ["same", "varied", "some lines", "empty list"])
def test_request_tools_in_metadata_as_the_careful_reader_gives_them(
    tmp_path: Path, tools: str
) -> None:
    """The same ``tools`` on every line is made into Python once (and shared by the rows)."""
    rng = random.Random(3)
    records = [_record(i, rng) for i in range(40)]
    for i, r in enumerate(records):
        if tools == "same":
            r["request"]["tools"] = [
                _TOOL,
                {**_TOOL, "function": {**_TOOL["function"], "name": "x"}},
            ]
        elif tools == "varied":
            r["request"]["tools"] = [_TOOL] * (1 + i % 3)
        elif tools == "some lines" and i % 2:
            r["request"]["tools"] = [_TOOL]
        elif tools == "empty list":
            r["request"]["tools"] = []
    p = tmp_path / "logs.jsonl"
    p.write_text(_lines(records))
    fast = read_fast(p)
    assert fast is not None
    careful = schema.conform(read_careful(p, sink=ErrorSink()))
    pd.testing.assert_frame_equal(fast, careful)
    got = [m.get("tools") for m in fast["metadata"]]
    assert got == [r["request"].get("tools") for r in records]
    if tools == "same":
        assert len({id(t) for t in got}) == 1

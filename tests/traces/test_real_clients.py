"""Files written by the real client libraries (tests/fixtures/traces/real/, see VERSIONS.txt).

Each generator replays one scenario (``_scenario.py``): a system prompt, a question, a
``get_weather`` tool call with its result, the final answer, two completions with known usage,
and (where the client records one) a retrieval of two scored documents. Every canonical column
is checked against that scenario; the oracle is the scenario module and the raw files themselves.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from evalkit.traces import load_traces

REAL = Path(__file__).parents[1] / "fixtures" / "traces" / "real"
_spec = importlib.util.spec_from_file_location("_real_scenario", REAL / "_scenario.py")
assert _spec is not None and _spec.loader is not None
S = importlib.util.module_from_spec(_spec)
sys.modules["_real_scenario"] = S
_spec.loader.exec_module(S)


def _hex(b64: str) -> str:
    return base64.b64decode(b64).hex()


def _otlp_root(path: Path, key: str = "resourceSpans") -> dict[str, Any]:
    doc = json.loads(path.read_text())
    spans = [sp for rs in doc[key] for ss in rs["scopeSpans"] for sp in ss["spans"]]
    (root,) = [sp for sp in spans if not sp.get("parentSpanId")]
    return root


def _otlp_latency(root: dict[str, Any]) -> float:
    return (int(root["endTimeUnixNano"]) - int(root["startTimeUnixNano"])) / 1e6


def check_scenario(
    row: dict[str, Any],
    *,
    retrieved: bool = False,
    session: bool = True,
    tokens: tuple[int, int] = (S.INPUT_TOKENS, S.OUTPUT_TOKENS),
) -> None:
    """Assert the canonical columns of one loaded trace against the scenario."""
    assert row["input"] == S.QUESTION
    assert row["output"] == S.ANSWER
    msgs = row["messages"]
    assert msgs[0]["role"] == "system" and msgs[0]["content"] == S.SYSTEM
    assert [m["role"] for m in msgs if m["role"] != "system"][:1] == ["user"]
    assert msgs[-1]["role"] == "assistant" and msgs[-1]["content"] == S.ANSWER
    calls = [c for m in msgs for c in (m["tool_calls"] or [])]
    assert [(c["name"], json.loads(c["arguments"])) for c in calls] == [(S.TOOL_NAME, S.TOOL_ARGS)]
    tool_msgs = [m for m in msgs if m["role"] == "tool"]
    assert [m["content"] for m in tool_msgs] == [S.TOOL_RESULT]
    assert row["tool_calls"] == [
        {"name": S.TOOL_NAME, "arguments": S.TOOL_ARGS, "result": S.TOOL_RESULT}
    ]
    assert row["model"] == S.RESPONSE_MODEL
    assert (row["input_tokens"], row["output_tokens"]) == tokens
    if retrieved:
        assert [(d["id"], d["text"], d["score"]) for d in row["retrieved"]] == S.DOCS
    else:
        assert list(row["retrieved"]) == []
    if session:
        assert (row["session_id"], row["user_id"]) == (S.SESSION, S.USER)
    assert row["latency_ms"] > 0


def _rows(source: Any, **kw: Any) -> list[dict[str, Any]]:
    df = load_traces(source, **kw)
    return df.to_dict("records")


# --- OpenAI client logs -------------------------------------------------------------------------


def test_openai_model_dump_log_pairs_with_tools():
    rows = _rows(REAL / "openai_model_dump.jsonl")
    assert [r["trace_id"] for r in rows] == ["chatcmpl-real0", "chatcmpl-real1"]
    first, last = rows
    # the first completion only calls the tool: no text output, the call is recorded
    assert first["output"] is None
    assert first["tool_calls"] == [{"name": S.TOOL_NAME, "arguments": S.TOOL_ARGS, "result": None}]
    assert (first["input_tokens"], first["output_tokens"]) == S.USAGE[0]
    assert last["input"] == S.QUESTION and last["output"] == S.ANSWER
    assert last["model"] == S.RESPONSE_MODEL
    assert (last["input_tokens"], last["output_tokens"]) == S.USAGE[1]
    assert last["tool_calls"] == [
        {"name": S.TOOL_NAME, "arguments": S.TOOL_ARGS, "result": S.TOOL_RESULT}
    ]
    assert last["messages"][0]["content"] == S.SYSTEM
    assert last["metadata"]["temperature"] == 0.2
    assert last["metadata"]["system_fingerprint"] == "fp_real"


def test_openai_model_dump_takes_the_fast_path(monkeypatch):
    """``"function_call": null`` and request ``tools`` keep real logs on the fast path."""
    from evalkit.traces import _openai

    calls = []
    real = _openai.read_fast

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(_openai, "read_fast", spy)
    fast = load_traces(REAL / "openai_model_dump.jsonl")
    assert calls == [True]
    monkeypatch.setattr(_openai, "read_fast", lambda *a, **k: None)
    slow = load_traces(REAL / "openai_model_dump.jsonl")
    assert fast.drop(columns="metadata").equals(slow.drop(columns="metadata"))
    assert fast["metadata"].tolist() == slow["metadata"].tolist()


def test_openai_batch_input_and_output_join_per_custom_id(tmp_path):
    rows = _rows([REAL / "openai_batch_input.jsonl", REAL / "openai_batch_output.jsonl"])
    assert len(rows) == 1
    (row,) = rows
    assert row["trace_id"] == "req-1"
    assert row["input"] == S.QUESTION and row["output"] == S.ANSWER
    assert row["model"] == S.RESPONSE_MODEL
    assert (row["input_tokens"], row["output_tokens"]) == S.USAGE[1]
    assert row["messages"][0]["content"] == S.SYSTEM
    assert row["messages"][-1]["content"] == S.ANSWER
    assert row["tool_calls"] == [
        {"name": S.TOOL_NAME, "arguments": S.TOOL_ARGS, "result": S.TOOL_RESULT}
    ]
    # the same through a folder
    for name in ("openai_batch_input.jsonl", "openai_batch_output.jsonl"):
        shutil.copy(REAL / name, tmp_path / name)
    assert load_traces(tmp_path)["output"].tolist() == [S.ANSWER]


# --- OpenTelemetry GenAI (opentelemetry-instrumentation-openai-v2) ------------------------------


def test_otel_span_only_mode():
    path = REAL / "otel_span_only_spans.json"
    (row,) = _rows(path)
    root = _otlp_root(path)
    assert row["trace_id"] == _hex(root["traceId"])
    assert row["source"]["span_id"] == _hex(root["spanId"])
    check_scenario(row)
    assert row["latency_ms"] == pytest.approx(_otlp_latency(root))
    meta = row["metadata"]
    assert meta["gen_ai.provider.name"] == "openai"
    # every span attribute is kept: shared ones once, differing ones per span
    assert meta["attributes"]["gen_ai.request.temperature"] == 0.2
    assert meta["attributes"]["openai.response.system_fingerprint"] == "fp_real"
    per_span = meta["span_attributes"]
    assert per_span["chat gpt-4o-mini"]["gen_ai.response.id"] == "chatcmpl-real0"
    assert per_span["chat gpt-4o-mini #2"]["gen_ai.response.id"] == "chatcmpl-real1"


@pytest.mark.parametrize("mode", ["legacy", "event_only"])
def test_otel_log_events_joined_to_spans(mode, tmp_path):
    spans, logs = REAL / f"otel_{mode}_spans.json", REAL / f"otel_{mode}_logs.json"
    (row,) = _rows([spans, logs])
    root = _otlp_root(spans)
    assert row["trace_id"] == _hex(root["traceId"])
    check_scenario(row)
    assert row["latency_ms"] == pytest.approx(_otlp_latency(root))
    # a folder holding both files gives the same trace
    shutil.copy(spans, tmp_path / spans.name)
    shutil.copy(logs, tmp_path / logs.name)
    (again,) = _rows(tmp_path)
    assert again["messages"] == row["messages"]


def test_otel_spans_without_their_logs_are_reported():
    from evalkit.errors import TraceWarning

    with pytest.warns(TraceWarning, match=r"1 of 1 traces have no output.*otel_legacy_spans"):
        df = load_traces(REAL / "otel_legacy_spans.json")
    assert df["output"].isna().all()


def test_otel_logs_without_spans_are_an_error():
    _, errors = load_traces(REAL / "otel_legacy_logs.json", errors="collect")
    assert errors and all("log record" in e.message for e in errors)
    assert errors[0].file.endswith("otel_legacy_logs.json")


# --- OpenInference --------------------------------------------------------------------------------


def test_openinference_spans():
    path = REAL / "openinference_spans.json"
    (row,) = _rows(path)
    root = _otlp_root(path)
    assert row["trace_id"] == _hex(root["traceId"])
    check_scenario(row, retrieved=True)
    assert row["segment"] == "weather"
    assert row["latency_ms"] == pytest.approx(_otlp_latency(root))
    meta = row["metadata"]
    # attributes of every span are kept, not only the root's
    flat = json.dumps(meta)
    assert "llm.invocation_parameters" in flat and "chatcmpl-real1" in flat


# --- LangSmith ------------------------------------------------------------------------------------


def test_langsmith_runs_from_the_sdk():
    path = REAL / "langsmith_runs.jsonl"
    (row,) = _rows(path)
    runs = [json.loads(line) for line in path.read_text().splitlines()]
    (root,) = [r for r in runs if r["parent_run_id"] is None]
    assert row["trace_id"] == root["trace_id"]
    check_scenario(row, retrieved=True)
    assert row["segment"] == "weather"


# --- Langfuse -------------------------------------------------------------------------------------


def test_langfuse_otel_sdk_spans():
    path = REAL / "langfuse_otel_spans.json"
    (row,) = _rows(path)
    root = _otlp_root(path)
    assert row["trace_id"] == _hex(root["traceId"])
    assert row["source"]["format"] == "langfuse"
    check_scenario(row, retrieved=True)
    assert row["segment"] == "weather"
    assert row["latency_ms"] == pytest.approx(_otlp_latency(root))


# --- Inspect AI -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["inspect_log.json", "inspect_log.eval"])
def test_inspect_logs(name):
    df = load_traces(REAL / name)
    rows = {r["metadata"]["sample_id"]: r for r in df.to_dict("records")}
    assert set(rows) == {"weather", "broken"}
    ok, broken = rows["weather"], rows["broken"]
    check_scenario(ok, session=False)
    assert ok["segment"] == "weather"
    # an errored sample has no output: null, not an invented empty answer
    assert broken["output"] is None
    assert "weather service is down" in broken["metadata"]["error"]["message"]
    assert [m["role"] for m in broken["messages"]] == ["system", "user"]


def test_inspect_json_and_eval_agree():
    # two runs of the same task: ids and times differ, the content does not
    cols = ["input", "output", "messages", "tool_calls", "model", "input_tokens", "segment"]
    a = load_traces(REAL / "inspect_log.json")[cols]
    b = load_traces(REAL / "inspect_log.eval")[cols]
    assert a.equals(b)


def test_inspect_eval_total_decompressed_size_is_bounded(tmp_path, monkeypatch):
    """Issue 12.13: the guard bounds the sum of all members, not each one."""
    import zipfile

    from evalkit.errors import TraceFormatError

    with pytest.raises(TraceFormatError, match=r"max_total_bytes=20000.*samples/"):
        load_traces(REAL / "inspect_log.eval", max_total_bytes=20_000)
    bomb = tmp_path / "bomb.eval"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("header.json", json.dumps({"eval": {"eval_id": "e", "task": "t"}}))
        for i in range(5):  # each member is ~1 MB, under max_member_bytes; 5 MB in all
            sample = {"id": i, "epoch": 1, "messages": [], "pad": "x" * 1_000_000}
            zf.writestr(f"samples/{i}_epoch_1.json", json.dumps(sample))
    assert bomb.stat().st_size < 50_000
    with pytest.raises(TraceFormatError, match=r"more than max_total_bytes=3000000"):
        load_traces(bomb, max_member_bytes=2_000_000, max_total_bytes=3_000_000)
    # the ratio guard stops it without any size option: 5 MB from a few KB is >200x
    from evalkit.traces import _inspect

    monkeypatch.setattr(_inspect, "RATIO_FLOOR", 1_000_000)  # the 64 MiB floor, scaled down
    with pytest.raises(TraceFormatError, match=r"max_ratio=200 times the file's \d+ bytes"):
        load_traces(bomb)
    assert len(load_traces(REAL / "inspect_log.eval")) == 2  # a real log is far below the ratio


def test_otel_spans_and_logs_in_one_json_lines_file(tmp_path):
    """A collector's file export may hold span lines and log lines in one JSON Lines file."""
    spans = json.loads((REAL / "otel_legacy_spans.json").read_text())
    logs = json.loads((REAL / "otel_legacy_logs.json").read_text())
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(logs) + "\n" + json.dumps(spans) + "\n")
    (row,) = _rows(path)
    check_scenario(row)

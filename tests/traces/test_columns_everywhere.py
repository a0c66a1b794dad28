"""``columns=`` with dotted paths for the Langfuse, LangSmith, OTel/OTLP, OpenInference and Inspect
readers (issue 10), on the files the real clients wrote (tests/fixtures/traces/real/).

The oracle for each expected value is the raw fixture file itself, read here with ``json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evalkit.errors import TraceFormatError
from evalkit.traces import load_traces

FIX = Path(__file__).parents[1] / "fixtures" / "traces"
REAL = FIX / "real"


def _spans(path: Path) -> list[dict[str, Any]]:
    doc = json.loads(path.read_text())
    return [sp for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for sp in ss["spans"]]


def _attr(span: dict[str, Any], key: str) -> Any:
    for kv in span["attributes"]:
        if kv["key"] == key:
            return next(iter(kv["value"].values()))
    raise KeyError(key)


def _root(path: Path) -> dict[str, Any]:
    (root,) = [sp for sp in _spans(path) if not sp.get("parentSpanId")]
    return root


def test_langsmith_paths_into_the_root_run():
    runs = [json.loads(x) for x in (REAL / "langsmith_runs.jsonl").read_text().splitlines()]
    (root,) = [r for r in runs if r["parent_run_id"] is None]
    df = load_traces(
        REAL / "langsmith_runs.jsonl",
        columns={
            "extra.metadata.revision_id": "segment",
            "inputs.question": "input",
            "extra.runtime.sdk_version": "model",
            "session_name": "session_id",
        },
    )
    (row,) = df.to_dict("records")
    assert row["segment"] == root["extra"]["metadata"]["revision_id"]
    assert row["input"] == root["inputs"]["question"]
    assert row["model"] == root["extra"]["runtime"]["sdk_version"] == "0.15.1"
    assert row["session_id"] == root["session_name"]
    assert row["output"] == root["outputs"]["output"]  # not mapped: the reader's own value


def test_langsmith_falls_back_to_child_runs():
    """``outputs.system_fingerprint`` is on the llm runs only: the first one in order gives it."""
    runs = [json.loads(x) for x in (REAL / "langsmith_runs.jsonl").read_text().splitlines()]
    llms = sorted((r for r in runs if r["run_type"] == "llm"), key=lambda r: r["dotted_order"])
    (row,) = load_traces(
        REAL / "langsmith_runs.jsonl",
        columns={"outputs.system_fingerprint": "segment", "extra.metadata.ls_model_name": "model"},
    ).to_dict("records")
    assert row["segment"] == llms[0]["outputs"]["system_fingerprint"]
    assert row["model"] == llms[0]["extra"]["metadata"]["ls_model_name"]


def test_langfuse_otel_sdk_spans():
    path = REAL / "langfuse_otel_spans.json"
    root = _root(path)
    df = load_traces(
        path,
        columns={
            "langfuse.trace.metadata.segment": "segment",
            "resource.service.name": "model",
            "attributes.user.id": "session_id",
        },
    )
    (row,) = df.to_dict("records")
    resource = json.loads(path.read_text())["resourceSpans"][0]["resource"]
    assert row["model"] == _attr(resource, "service.name")
    # the SDK writes metadata values as JSON text: '"weather"'; the column holds the text
    assert json.loads(_attr(root, "langfuse.trace.metadata.segment")) == row["segment"]
    assert row["session_id"] == _attr(root, "user.id")


def test_langfuse_export_paths_into_the_trace_object():
    doc = json.loads((FIX / "langfuse" / "traces_full.json").read_text())
    cols = {"release": "segment", "metadata.region": "model", "tags.0": "user_id"}
    df, errors = load_traces(FIX / "langfuse" / "traces_full.json", columns=cols, errors="collect")
    full, bare = doc["data"]  # the second trace has no release, region or tags
    (row,) = df.to_dict("records")
    assert row["trace_id"] == full["id"]
    assert (row["segment"], row["model"], row["user_id"]) == (
        full["release"],
        full["metadata"]["region"],
        full["tags"][0],
    )
    text = (FIX / "langfuse" / "traces_full.json").read_text().splitlines()
    starts = text.index('      "id": "lf-trace-002",')  # 0-based id line = 1-based "{" line
    assert [(e.field, e.line) for e in errors] == [("metadata.region", starts)]
    assert bare["metadata"] == {}


@pytest.mark.parametrize(
    "name", ["otel_span_only_spans.json", "otel_legacy_spans.json", "otel_event_only_spans.json"]
)
def test_otel_genai_root_then_other_spans(name):
    path = REAL / name
    spans = _spans(path)
    root = _root(path)
    chat = next(
        sp for sp in spans if any(kv["key"] == "gen_ai.response.id" for kv in sp["attributes"])
    )
    (row,) = load_traces(
        path, columns={"name": "segment", "attributes.gen_ai.response.id": "session_id"}
    ).to_dict("records")
    assert row["segment"] == root["name"]
    assert row["session_id"] == _attr(chat, "gen_ai.response.id")  # not on the root: next span


def test_openinference_json_metadata_attribute_is_walked_into():
    path = REAL / "openinference_spans.json"
    root = _root(path)
    (row,) = load_traces(
        path,
        columns={"attributes.metadata.segment": "model", "llm.token_count.total": "output_tokens"},
    ).to_dict("records")
    assert row["model"] == json.loads(_attr(root, "metadata"))["segment"]
    totals = [
        int(_attr(sp, "llm.token_count.total"))
        for sp in _spans(path)
        if any(kv["key"] == "llm.token_count.total" for kv in sp["attributes"])
    ]
    assert row["output_tokens"] == totals[0]  # the first span in tree order holding it


@pytest.mark.parametrize("name", ["inspect_log.json", "inspect_log.eval"])
def test_inspect_sample_then_log_header(name):
    # the .eval holds the same log as the .json (test_real_clients checks that they agree);
    # its members are zstd-compressed, so the .json is the oracle for both
    log = json.loads((REAL / "inspect_log.json").read_text())
    samples, header = log["samples"], log
    df = load_traces(
        REAL / name,
        columns={"target": "segment", "eval.model": "model", "epoch": "input_tokens"},
    )
    by_id = {s["id"]: s for s in samples}
    assert len(df) == len(samples)
    for row in df.to_dict("records"):
        _eval_id, sample_id, _epoch = row["trace_id"].split(":")  # "<eval id>:<sample>:<epoch>"
        sample = by_id[sample_id]
        assert row["model"] == header["eval"]["model"]  # not in the sample: the log header
        assert row["segment"] == sample["target"]
        assert row["input_tokens"] == sample["epoch"]


def test_a_missing_path_names_the_path_and_the_trace():
    with pytest.raises(TraceFormatError, match=r"`columns` path 'extra.nope' \(for segment\)") as e:
        load_traces(REAL / "langsmith_runs.jsonl", columns={"extra.nope": "segment"})
    assert e.value.field == "extra.nope" and e.value.line == 1
    df, errors = load_traces(
        REAL / "otel_span_only_spans.json",
        columns={"attributes.nope": "segment"},
        errors="collect",
    )
    assert df.empty and [x.field for x in errors] == ["attributes.nope"]
    assert errors[0].span_id == _otlp_hex(_root(REAL / "otel_span_only_spans.json")["spanId"])


def _otlp_hex(value: str) -> str:
    from evalkit.traces._otlp import otlp_id

    return otlp_id(value)


def test_bad_values_through_columns_are_typed_errors():
    with pytest.raises(TraceFormatError, match="expected a number") as e:
        load_traces(REAL / "langsmith_runs.jsonl", columns={"name": "input_tokens"})
    assert e.value.field == "name"
    with pytest.raises(TraceFormatError, match="metadata must be an object"):
        load_traces(REAL / "inspect_log.json", columns={"target": "metadata"})


def test_messages_through_columns_rederive_input_output_and_tool_calls():
    log = json.loads((REAL / "inspect_log.json").read_text())
    df = load_traces(REAL / "inspect_log.json", columns={"messages": "messages"})
    good = df[df["trace_id"].str.contains(":weather:")].iloc[0]
    msgs = next(s for s in log["samples"] if s["id"] == "weather")["messages"]
    assert good["input"] == next(m["content"] for m in msgs if m["role"] == "user")
    assert msgs[-1]["role"] == "assistant" and good["output"] == msgs[-1]["content"]
    assert [c["name"] for c in good["tool_calls"]] == [
        tc["function"] for m in msgs for tc in (m.get("tool_calls") or [])
    ]


def test_columns_argument_errors_stay_argument_errors():
    with pytest.raises(ValueError, match="not a canonical column"):
        load_traces(REAL / "langsmith_runs.jsonl", columns={"x": "verdict"})
    with pytest.raises(TypeError, match="`columns` must"):
        load_traces(REAL / "otel_span_only_spans.json", columns=["name"])


def test_phoenix_parquet_columns(tmp_path):
    path = REAL / "phoenix_spans_dataframe.parquet"
    import pandas as pd

    frame = pd.read_parquet(path)
    root = frame[frame["parent_id"].isna()].iloc[0]
    (row,) = load_traces(path, columns={"name": "segment"}).to_dict("records")
    assert row["segment"] == root["name"]


def test_an_unrecognised_file_with_columns_is_a_trace_error_not_an_option_error(tmp_path):
    """Found by the fuzz test: no reader ran, so `columns` was 'an option no reader accepts'."""
    path = tmp_path / "null.json"
    path.write_text("null")
    df, errors = load_traces(path, columns={"x": "segment"}, errors="collect")
    assert df.empty and [e.file for e in errors] == [str(path)]
    with pytest.raises(TypeError, match="no reader accepts: delimiter"):
        load_traces(REAL / "langsmith_runs.jsonl", delimiter=";")

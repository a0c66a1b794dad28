"""Infinite or garbage numbers in OTLP attributes are typed errors, never silent nulls (issue 12).

Each case edits one attribute of a real-client fixture (tests/fixtures/traces/real/) and checks
that the load names the file, the span holding the attribute and the attribute itself. Before,
``num``/``int_or_none`` turned these values into null with no error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evalkit.errors import TraceFormatError
from evalkit.traces import load_traces
from evalkit.traces._otlp import otlp_id

REAL = Path(__file__).parents[1] / "fixtures" / "traces" / "real"


def _edit(src: str, key: str, value: dict[str, Any], tmp_path: Path) -> tuple[Path, str]:
    """Set attribute ``key`` of the first span holding it; return the file and that span's id."""
    doc = json.loads((REAL / src).read_text())
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                for kv in span["attributes"]:
                    if kv["key"] == key:
                        kv["value"] = value
                        out = tmp_path / src
                        out.write_text(json.dumps(doc))
                        return out, otlp_id(span["spanId"])
    raise AssertionError(f"{key} not in {src}")


CASES = [
    # (fixture, attribute, new AnyValue, message)
    (
        "otel_span_only_spans.json",
        "gen_ai.usage.input_tokens",
        {"doubleValue": "Infinity"},
        "must be a finite number; got inf (not finite)",
    ),
    (
        "otel_span_only_spans.json",
        "gen_ai.usage.output_tokens",
        {"stringValue": "lots"},
        "must be a number; got 'lots'",
    ),
    (
        "otel_span_only_spans.json",
        "gen_ai.usage.input_tokens",
        {"doubleValue": 2.5},
        "must be a whole number; got 2.5",
    ),
    (
        "openinference_spans.json",
        "llm.token_count.prompt",
        {"stringValue": "-Infinity"},
        "must be a finite number; got '-Infinity' (not finite)",
    ),
    (
        "openinference_spans.json",
        "llm.token_count.completion",
        {"boolValue": True},
        "must be a number; got boolean True",
    ),
    (
        "openinference_spans.json",
        "retrieval.documents.0.document.score",
        {"stringValue": "high"},
        "must be a number; got 'high'",
    ),
]


@pytest.mark.parametrize(("src", "key", "value", "message"), CASES)
def test_bad_numbers_name_file_span_and_attribute(src, key, value, message, tmp_path):
    path, span_id = _edit(src, key, value, tmp_path)
    with pytest.raises(TraceFormatError) as raised:
        load_traces(path)
    err = raised.value.error
    assert err.file == str(path) and err.span_id == span_id
    field = "retrieval.documents.document.score" if "document.score" in key else key
    assert err.field == field
    assert err.message == message
    df, errors = load_traces(path, errors="collect")
    assert df.empty and [e.span_id for e in errors] == [span_id]


def test_langfuse_usage_and_cost_details(tmp_path):
    src = "langfuse_otel_spans.json"
    key = "langfuse.observation.usage_details"
    path, span_id = _edit(src, key, {"stringValue": '{"input": "many", "output": 3}'}, tmp_path)
    with pytest.raises(TraceFormatError, match="must be a number; got 'many'") as raised:
        load_traces(path)
    assert raised.value.span_id == span_id
    assert raised.value.field == "langfuse.observation.usage_details.input"
    # the SDK wrote no cost here: add one on the same span
    doc = json.loads(path.read_text())
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for span in ss["spans"]:
                if otlp_id(span["spanId"]) == span_id:
                    span["attributes"] = [kv for kv in span["attributes"] if kv["key"] != key]
                    span["attributes"].append(
                        {
                            "key": "langfuse.observation.cost_details",
                            "value": {"stringValue": '{"total": "Infinity"}'},
                        }
                    )
    path.write_text(json.dumps(doc))
    with pytest.raises(TraceFormatError, match="not finite") as raised:
        load_traces(path)
    assert raised.value.span_id == span_id
    assert raised.value.field == "langfuse.observation.cost_details.total"


def test_phoenix_parquet_bad_token_count_is_a_typed_error(tmp_path):
    import pandas as pd

    frame = pd.read_parquet(REAL / "phoenix_spans_dataframe.parquet")
    llm = frame["attributes.llm.token_count.prompt"].notna()
    frame.loc[llm, "attributes.llm.token_count.prompt"] = float("inf")
    frame.to_parquet(tmp_path / "spans.parquet")
    with pytest.raises(TraceFormatError, match="not finite") as raised:
        load_traces(tmp_path / "spans.parquet", format="openinference")
    assert raised.value.field == "llm.token_count.prompt"
    assert raised.value.span_id in set(frame.index[llm])


def test_nan_counts_as_missing_as_documented(tmp_path):
    key = "llm.token_count.prompt"
    path, _ = _edit("openinference_spans.json", key, {"stringValue": "NaN"}, tmp_path)
    (row,) = load_traces(path).to_dict("records")
    # NaN is pandas' null (the README's decision): the first call's prompt tokens are missing
    prompts = [52, 81]  # the scenario's two calls; the first one's count is now NaN
    assert row["input_tokens"] == prompts[1]


def test_openai_infinite_tokens_say_what_was_received(tmp_path):
    line = json.loads((REAL / "openai_model_dump.jsonl").read_text().splitlines()[0])
    line["response"]["usage"]["prompt_tokens"] = float("inf")
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(line) + "\n")  # Python writes Infinity, as json.dumps does
    with pytest.raises(TraceFormatError) as raised:
        load_traces(path)
    assert raised.value.field == "response.usage.prompt_tokens"
    assert str(raised.value).endswith("must be a finite integer; got inf (not finite)")
    line["response"]["usage"]["prompt_tokens"] = "12"
    path.write_text(json.dumps(line) + "\n")
    with pytest.raises(TraceFormatError, match="must be an integer, got string '12'"):
        load_traces(path)

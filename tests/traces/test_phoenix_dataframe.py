"""A real Phoenix ``get_spans_dataframe()`` saved as Parquet (issue 10).

``tests/fixtures/traces/real/phoenix_spans_dataframe.parquet`` was written by
``generate_phoenix.py``: a real Phoenix server (arize-phoenix 20.26.1, see VERSIONS.txt) received
the scenario's OpenInference spans from the real instrumentation and gave them back through
``Client().spans.get_spans_dataframe()``. No server is needed here. The oracles are the scenario
module and the Parquet file itself (read with pandas).
"""

from __future__ import annotations

import pandas as pd

from evalkit.traces import load_traces
from tests.traces.test_real_clients import REAL, S, check_scenario

PARQUET = REAL / "phoenix_spans_dataframe.parquet"


def test_every_canonical_column_of_the_phoenix_dataframe():
    frame = pd.read_parquet(PARQUET)
    root = frame[frame["parent_id"].isna()]
    assert len(root) == 1 and len(frame) == 4  # CHAIN, RETRIEVER and two LLM spans
    root = root.reset_index(drop=True).iloc[0]
    df = load_traces(PARQUET)
    assert list(df["source"].map(lambda s: s["format"])) == ["openinference"]
    (row,) = df.to_dict("records")
    check_scenario(row, retrieved=True)  # messages, tool call, tokens, model, session, user...
    assert row["trace_id"] == root["context.trace_id"]
    assert row["source"]["span_id"] == root["context.span_id"]
    assert row["timestamp"] == root["start_time"]
    expected_ms = (root["end_time"] - root["start_time"]).total_seconds() * 1000
    assert abs(row["latency_ms"] - expected_ms) < 1e-3
    assert row["segment"] == "weather"  # from the root span's `metadata` attribute
    assert row["metadata"]["segment"] == "weather"
    assert pd.isna(row["cost_usd"])  # the instrumentation records no cost
    assert row["metadata"]["response_ids"] == ["chatcmpl-real0", "chatcmpl-real1"]


def test_the_dataframe_and_the_otlp_json_of_the_same_spans_agree():
    """The same instrumentation, once through Phoenix and once written as OTLP JSON."""
    via_phoenix = load_traces(PARQUET).iloc[0]
    via_otlp = load_traces(REAL / "openinference_spans.json").iloc[0]
    for col in (
        "input",
        "output",
        "model",
        "session_id",
        "user_id",
        "segment",
        "input_tokens",
        "output_tokens",
    ):
        assert via_phoenix[col] == via_otlp[col], col
    for col in ("messages", "tool_calls", "retrieved"):
        assert list(via_phoenix[col]) == list(via_otlp[col]), col
    assert via_phoenix["input_tokens"] == S.INPUT_TOKENS

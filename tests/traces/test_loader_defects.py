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


# --- Langfuse ------------------------------------------------------------------------------------

LANGFUSE = Path(__file__).parents[1] / "fixtures" / "traces" / "langfuse"


def test_langfuse_export_with_a_utf8_bom_is_recognised(tmp_path: Path) -> None:
    """Issue 12.8: other formats accept the BOM; Langfuse exports were 'unrecognised'."""
    plain = LANGFUSE / "traces_full.json"
    bom = tmp_path / "traces_full.json"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    a, b = load_traces(plain), load_traces(bom)
    assert len(b) == len(a) > 0
    assert b["trace_id"].tolist() == a["trace_id"].tolist()
    assert b["output"].tolist() == a["output"].tolist()


def test_langfuse_v2_observations_keep_session_user_metadata_and_unwrap_observe_args(
    tmp_path: Path,
) -> None:
    obs = [
        {
            "id": "root",
            "traceId": "t1",
            "type": "SPAN",
            "name": "agent",
            "startTime": "2025-01-01T00:00:00Z",
            "endTime": "2025-01-01T00:00:01Z",
            "parentObservationId": None,
            "sessionId": "s1",
            "userId": "u1",
            "metadata": {"segment": "billing", "team": "a"},
            "input": {"args": ["Refund?"], "kwargs": {}},
            "output": "Refunded.",
        },
        {
            "id": "tool",
            "traceId": "t1",
            "type": "TOOL",
            "name": "refund",
            "startTime": "2025-01-01T00:00:00.2Z",
            "endTime": "2025-01-01T00:00:00.3Z",
            "parentObservationId": "root",
            "input": {"args": [], "kwargs": {"order": 7}},
            "output": "ok",
        },
    ]
    path = tmp_path / "observations.json"
    path.write_text(json.dumps({"data": obs, "meta": {"page": 1}}))
    (row,) = load_traces(path).to_dict("records")
    assert (row["session_id"], row["user_id"], row["segment"]) == ("s1", "u1", "billing")
    assert row["metadata"]["team"] == "a"
    assert row["input"] == "Refund?" and row["output"] == "Refunded."
    assert row["tool_calls"] == [{"name": "refund", "arguments": {"order": 7}, "result": "ok"}]


def test_request_only_line_has_no_output_and_the_last_question_as_input(tmp_path: Path) -> None:
    msgs = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Where is my order?"},
    ]
    path = tmp_path / "requests.jsonl"
    path.write_text(json.dumps({"messages": msgs}) + "\n")
    (row,) = load_traces(path).to_dict("records")
    assert row["input"] == "Where is my order?"
    assert row["output"] is None


# --- roles ---------------------------------------------------------------------------------------


def _chat(path: Path, roles: list[str]) -> Path:
    lines = [
        json.dumps(
            {"messages": [{"role": "user", "content": f"q{i}"}, {"role": r, "content": "a"}]}
        )
        for i, r in enumerate(roles)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_role_synonyms_map_through_the_one_table(tmp_path: Path) -> None:
    from evalkit.traces._roles import ROLE_TABLE

    spellings = [k for k, v in ROLE_TABLE.items() if v == "assistant"]
    df = load_traces(_chat(tmp_path / "c.jsonl", [s.upper() for s in spellings]))
    assert df["output"].tolist() == ["a"] * len(spellings)
    assert {m["role"] for ms in df["messages"] for m in ms} == {"user", "assistant"}


def test_unknown_role_is_a_trace_error_naming_file_line_and_role(tmp_path: Path) -> None:
    path = _chat(tmp_path / "c.jsonl", ["assistant", "asssistant", "agent", "critic"])
    with pytest.raises(
        TraceFormatError, match=r"c.jsonl:2, field 'messages\[1\].role'.*'asssistant'"
    ):
        load_traces(path)
    df, errors = load_traces(path, errors="collect")
    assert df["input"].tolist() == ["q0", "q2"]
    assert [(e.line, e.field) for e in errors] == [(2, "messages[1].role"), (4, "messages[1].role")]
    assert "'critic'" in errors[1].message


def test_repeated_content_in_an_id_less_log_gets_distinct_stable_ids(tmp_path: Path) -> None:
    from evalkit.errors import TraceWarning

    hello = {
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
    }
    other = {
        "messages": [{"role": "user", "content": "Bye"}, {"role": "assistant", "content": "Bye"}]
    }
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (hello, other, hello, hello)) + "\n")
    with pytest.warns(TraceWarning, match=r"2 line\(s\) repeat .*first at line 3"):
        df = load_traces(path)
    ids = df["trace_id"].tolist()
    assert len(set(ids)) == 4
    assert ids[2] == f"{ids[0]}-2" and ids[3] == f"{ids[0]}-3"
    with pytest.warns(TraceWarning):
        assert load_traces(path)["trace_id"].tolist() == ids  # stable across reloads
    df, errors = load_traces(path, errors="collect")
    assert len(df) == 4 and errors == []


# --- Phoenix spans frame -------------------------------------------------------------------------


def test_phoenix_parquet_keeps_openinference_metadata(tmp_path: Path) -> None:
    """Phoenix's get_spans_dataframe() hands metadata back parsed: segment was lost (NA)."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "context.trace_id": ["t1", "t1", "t2"],
            "context.span_id": ["s1", "s2", "s3"],
            "parent_id": [None, "s1", None],
            "name": ["agent", "llm", "agent"],
            "span_kind": ["CHAIN", "LLM", "CHAIN"],
            "start_time": pd.to_datetime(["2025-01-01T00:00:00Z"] * 3),
            "end_time": pd.to_datetime(["2025-01-01T00:00:01Z"] * 3),
            "attributes.metadata": [
                {"segment": "billing", "team": "a"},
                None,
                {"segment": "infra"},
            ],
            "attributes.input.value": ["Refund?", None, "Down?"],
            "attributes.output.value": ["Done.", None, "Up."],
            "attributes.llm.model_name": [None, "gpt-4o", None],
        }
    )
    path = tmp_path / "spans.parquet"
    frame.to_parquet(path)
    df = load_traces(path).set_index("trace_id")
    assert df.loc["t1", "segment"] == "billing" and df.loc["t2", "segment"] == "infra"
    assert df.loc["t1", "metadata"]["team"] == "a"
    assert "team" not in df.loc["t2", "metadata"]  # no filled-in nulls from the Parquet struct
    assert df.loc["t1", "output"] == "Done."


# --- tables --------------------------------------------------------------------------------------


def test_csv_column_with_a_json_message_list_is_parsed_as_messages(tmp_path: Path) -> None:
    import csv

    conv = [
        {"role": "user", "content": "Weather in Oslo?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city": "Oslo"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "4C"},
    ]
    path = tmp_path / "t.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["trace_id", "input", "output"])
        w.writerow(["t1", json.dumps(conv), "It is 4C."])
    (row,) = load_traces(path).to_dict("records")
    assert (row["input"], row["output"]) == ("Weather in Oslo?", "It is 4C.")
    assert len(row["messages"]) == 4
    assert row["tool_calls"] == [{"name": "weather", "arguments": {"city": "Oslo"}, "result": "4C"}]


def test_csv_messages_column_fills_tool_calls(tmp_path: Path) -> None:
    import pandas as pd

    conv = [
        {"role": "user", "content": "Hi"},
        {
            "role": "assistant",
            "tool_calls": [{"id": "x", "function": {"name": "f", "arguments": "{}"}}],
        },
        {"role": "tool", "tool_call_id": "x", "content": "ok"},
        {"role": "assistant", "content": "Done"},
    ]
    df = load_traces(pd.DataFrame({"trace_id": ["a"], "messages": [json.dumps(conv)]}))
    assert df.loc[0, "tool_calls"] == [{"name": "f", "arguments": {}, "result": "ok"}]


# --- OTLP metadata -------------------------------------------------------------------------------


def _kv(key: str, value: object) -> dict:
    return {"key": key, "value": {"stringValue": value}}


def test_otel_provider_comes_from_the_generation_not_the_first_span(tmp_path: Path) -> None:
    out = json.dumps([{"role": "assistant", "parts": [{"type": "text", "content": "ok"}]}])
    spans = [
        {"traceId": "ab" * 16, "spanId": "01" * 8, "name": "retrieve",
         "startTimeUnixNano": "1", "endTimeUnixNano": "2",
         "attributes": [_kv("gen_ai.operation.name", "retrieval"),
                        _kv("gen_ai.provider.name", "chroma"),
                        _kv("db.query.text", "refund policy")]},
        {"traceId": "ab" * 16, "spanId": "02" * 8, "name": "chat",
         "startTimeUnixNano": "3", "endTimeUnixNano": "4",
         "attributes": [_kv("gen_ai.operation.name", "chat"), _kv("gen_ai.provider.name", "openai"),
                        _kv("gen_ai.output.messages", out)]},
    ]  # fmt: skip
    doc = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": spans}]}]}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc))
    (row,) = load_traces(path).to_dict("records")
    assert row["metadata"]["gen_ai.provider.name"] == "openai"
    # the retrieval query, on a span that is not the root, is kept too
    assert row["metadata"]["attributes"]["db.query.text"] == "refund policy"


def test_every_reader_of_id_less_rows_warns_once_about_repeated_content() -> None:
    import pandas as pd

    from evalkit.errors import TraceWarning

    frame = pd.DataFrame({"input": ["q", "q", "r", "q"], "output": ["a", "a", "b", "a"]})
    with pytest.warns(TraceWarning, match=r"2 row\(s\) repeat .*first at line 2") as caught:
        ids = load_traces(frame)["trace_id"].tolist()
    assert sum("repeat the content" in str(w.message) for w in caught) == 1
    assert ids[1] == f"{ids[0]}-2" and ids[3] == f"{ids[0]}-3" and len(set(ids)) == 4
    import datasets  # a runtime dependency

    ds = datasets.Dataset.from_pandas(frame)
    with pytest.warns(TraceWarning, match=r"2 row\(s\) repeat"):
        assert load_traces(ds)["trace_id"].tolist()[1].endswith("-2")

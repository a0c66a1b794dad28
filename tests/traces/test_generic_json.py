"""Generic JSON records: pretty-printed documents, arrays, JSON Lines, ``columns=`` paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.errors import TraceError, TraceFormatError, TraceWarning
from evalkit.traces import load_traces

HOMEWORK = {
    "request": {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Capital of France?"},
        ],
    },
    "response": {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Capital of France?"},
            {"role": "assistant", "content": "Paris."},
        ]
    },
    "metadata": {"lsmith_id": "run-1", "student": "ann"},
}


def test_pretty_printed_request_response_document(tmp_path: Path) -> None:
    """Issue 10: was read as JSON Lines and gave one 'truncated JSON' error per line."""
    path = tmp_path / "hw1.json"
    path.write_text(json.dumps(HOMEWORK, indent=2))
    df, errors = load_traces(path, errors="collect")
    assert errors == []
    (row,) = df.to_dict("records")
    assert row["source"]["format"] == "json"
    assert (row["input"], row["output"], row["model"]) == (
        "Capital of France?",
        "Paris.",
        "gpt-4o-mini",
    )
    # the response repeats the request's messages: kept once
    assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant"]
    assert row["metadata"]["student"] == "ann"


def test_columns_with_dotted_paths(tmp_path: Path) -> None:
    path = tmp_path / "hw1.json"
    path.write_text(json.dumps(HOMEWORK, indent=2))
    df = load_traces(
        path, columns={"response.messages": "messages", "metadata.lsmith_id": "trace_id"}
    )
    assert df["trace_id"].tolist() == ["run-1"]
    assert df["output"].tolist() == ["Paris."]
    with pytest.raises(TraceFormatError, match=r"field 'response\.nope'.*not in the record"):
        load_traces(path, columns={"response.nope": "messages"})
    with pytest.raises(ValueError, match="not a canonical column"):
        load_traces(path, columns={"response.messages": "msgs"})


def test_columns_reach_nested_fields_of_openai_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "chat.jsonl"
    line = {
        "messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}],
        "meta": {"conv": "c-9"},
    }
    path.write_text(json.dumps(line) + "\n")
    df = load_traces(path, columns={"meta.conv": "trace_id"})
    assert df["trace_id"].tolist() == ["c-9"] and df["output"].tolist() == ["Yo"]


def test_top_level_array_and_wrapped_list(tmp_path: Path) -> None:
    arr = [
        {"id": "a", "question": "2+2?", "answer": "4"},
        {"id": "b", "prompt": "3+3?", "completion": "6", "label": "pass"},
    ]
    (tmp_path / "arr.json").write_text(json.dumps(arr, indent=1))
    (tmp_path / "wrapped.json").write_text(
        json.dumps({"data": [{"id": "c", "input": "x", "output": "y"}]})
    )
    df = load_traces(tmp_path)
    assert df["trace_id"].tolist() == ["a", "b", "c"]
    assert df["output"].tolist() == ["4", "6", "y"]
    # indent=1: "[" on line 1, record a on lines 2-6 ("{", 3 keys, "}"), record b from line 7
    assert df["source"].map(lambda s: s["line"]).tolist() == [2, 7, 1]
    assert df["metadata"].iloc[1] == {"label": "pass"}


def test_tool_calls_come_from_messages(tmp_path: Path) -> None:
    rec = {
        "conversation": [
            {"role": "user", "content": "Weather?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "w", "arguments": '{"q": 1}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "4C"},
            {"role": "assistant", "content": "4C."},
        ]
    }
    (tmp_path / "t.json").write_text(json.dumps(rec, indent=2))
    (row,) = load_traces(tmp_path / "t.json").to_dict("records")
    assert row["tool_calls"] == [{"name": "w", "arguments": {"q": 1}, "result": "4C"}]


def test_id_less_repeats_get_numbered_ids(tmp_path: Path) -> None:
    rec = {"input": "hello", "output": "hi"}
    (tmp_path / "r.json").write_text(json.dumps([rec, rec]))
    with pytest.warns(TraceWarning, match="repeat"):
        ids = load_traces(tmp_path / "r.json")["trace_id"].tolist()
    assert ids[1] == ids[0] + "-2"


def test_bad_records_are_typed_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('[{"id": "a", "input": "x", "output": "y"}, 3, {"id": [1]}]')
    df, errors = load_traces(tmp_path / "bad.json", errors="collect")
    assert df["trace_id"].tolist() == ["a"]
    assert len(errors) == 2 and all(e.file.endswith("bad.json") for e in errors)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "messages",
                    "request",
                    "response",
                    "input",
                    "output",
                    "role",
                    "content",
                    "model",
                    "usage",
                    "timestamp",
                    "data",
                    "tool_calls",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    doc=_json, pretty=st.booleans(), cols=st.sampled_from([None, {"response.messages": "messages"}])
)
def test_fuzz_generic_json_only_typed_errors(tmp_path: Path, doc, pretty: bool, cols) -> None:
    path = tmp_path / "f.json"
    path.write_text(json.dumps(doc, indent=2 if pretty else None))
    options = {} if cols is None else {"columns": cols}
    try:
        _, errors = load_traces(path, format="json", errors="collect", **options)
    except TraceFormatError:  # pragma: no cover - collect mode never raises
        raise
    assert all(isinstance(e, TraceError) for e in errors)


def test_a_json_file_without_conversations_is_reported_not_loaded(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"name": "x", "version": 2}, indent=2))
    df, errors = load_traces(tmp_path, errors="collect")
    assert df.empty
    assert len(errors) == 1 and "no conversation in the record" in errors[0].message
    assert "['name', 'version']" in errors[0].message

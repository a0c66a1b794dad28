"""Tabular reader: CSV/TSV, Parquet and DataFrames with canonical or mapped column names."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalkit.errors import TraceError, TraceFormatError, TraceWarning
from evalkit.traces import _tabular
from evalkit.traces._base import ErrorSink

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "traces" / "tabular"
CUSTOM = {
    "conv_id": "trace_id",
    "question": "input",
    "answer": "output",
    "when": "timestamp",
    "duration_ms": "latency_ms",
}


def read(
    name: str | Path, mode: str = "raise", **kw: object
) -> tuple[list[dict], list[TraceError]]:
    sink = ErrorSink(mode=mode)  # type: ignore[arg-type]
    path = name if isinstance(name, Path) else FIX / name
    return _tabular.read(path, sink=sink, **kw), sink.errors  # type: ignore[arg-type]


def test_canonical_csv_exact_values() -> None:
    rows, errors = read("support.csv")
    assert errors == []
    assert [r["trace_id"] for r in rows] == ["csv-001", "csv-002", "csv-003"]
    r = rows[0]
    assert r["timestamp"] == datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    assert (r["session_id"], r["user_id"], r["model"], r["segment"]) == (
        "s-1",
        "u-1",
        "gpt-4o",
        "account",
    )
    assert r["output"] == "Go to Settings > Security.\nThen click Reset."  # quoted newline kept
    assert (r["latency_ms"], r["input_tokens"], r["output_tokens"], r["cost_usd"]) == (
        1234.5,
        100,
        20,
        0.0012,
    )
    assert [m["role"] for m in r["messages"]] == ["user", "assistant"]
    assert r["tool_calls"] == [
        {"name": "lookup_user", "arguments": {"email": "a@b.c"}, "result": "found"}
    ]
    assert r["retrieved"] == [
        {"id": "kb-3", "text": "Password resets live under Security.", "score": 0.8}
    ]
    assert r["metadata"] == {"app_version": "2.1", "channel": "web"}  # JSON metadata + extra column


def test_csv_empty_cells_and_offsets() -> None:
    rows, _ = read("support.csv")
    r = rows[1]
    assert r["timestamp"] == datetime(2025, 3, 1, 8, 5, tzinfo=UTC)  # 10:05+02:00
    assert (r["session_id"], r["latency_ms"], r["input_tokens"], r["cost_usd"]) == (
        None,
        None,
        None,
        None,
    )
    # no messages column value: built from input/output
    assert [(m["role"], m["content"]) for m in r["messages"]] == [
        ("user", "What is your uptime?"),
        ("assistant", "99.9%"),
    ]
    assert rows[2]["input"] == "Ünïcödé question ✓" and rows[2]["output"] == "Réponse — ok"


def test_csv_line_numbers_are_physical_lines() -> None:
    rows, _ = read("support.csv")
    # header = line 1; csv-001 spans lines 2-3 (a quoted newline), so csv-002 starts on line 4
    assert [r["source"]["line"] for r in rows] == [2, 4, 5]
    assert rows[0]["source"] == {
        "format": "csv",
        "file": str(FIX / "support.csv"),
        "line": 2,
        "span_id": None,
    }


def test_columns_mapping() -> None:
    rows, errors = read("custom.csv", columns=CUSTOM)
    assert errors == []
    r = rows[0]
    assert (r["trace_id"], r["input"], r["output"], r["latency_ms"]) == (
        "c-1",
        "How do I export data?",
        "Use Settings > Export.",
        640.0,
    )
    assert r["timestamp"] == datetime(2025, 3, 2, 8, 0, tzinfo=UTC)
    assert r["metadata"] == {"team": "data"}


def test_columns_mapping_unknown_target() -> None:
    with pytest.raises(
        ValueError,
        match=(
            r"`columns` maps 'answer' to 'reply', which is not a canonical column; "
            r"must be one of 'trace_id', 'timestamp'.*'metadata'\."
        ),
    ):
        read("custom.csv", columns={"answer": "reply"})


def test_columns_mapping_two_sources_one_target() -> None:
    with pytest.raises(
        ValueError, match=r"`columns` maps both 'question' and 'answer' to 'output'"
    ):
        read("custom.csv", columns={"question": "output", "answer": "output"})


def test_columns_mapping_not_a_dict() -> None:
    with pytest.raises(TypeError, match=r"`columns` must be a dict"):
        read("custom.csv", columns=["answer"])


def test_columns_mapping_names_absent_column() -> None:
    with pytest.raises(
        TraceFormatError, match=r"custom\.csv:1, field 'reply'.*`columns` names \['reply'\]"
    ):
        read("custom.csv", columns={"reply": "output"})


def test_displaced_canonical_column_goes_to_metadata(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("id,output,trace_id\n7,hi,old-7\n")
    rows, _ = read(p, columns={"id": "trace_id"})
    assert rows[0]["trace_id"] == "7" and rows[0]["metadata"] == {"trace_id": "old-7"}


def test_missing_output_column() -> None:
    with pytest.raises(
        TraceFormatError,
        match=r"missing_output\.csv:1, field 'output'.*no `output` or `messages` column",
    ):
        read("missing_output.csv")
    rows, _ = read("missing_output.csv", columns={"answer_text": "output"})
    assert rows[0]["output"] == "a"


def test_bad_json_names_line_and_column() -> None:
    with pytest.raises(
        TraceFormatError,
        match=r"bad_json\.csv:5, field 'messages'.*invalid JSON in column 'messages'",
    ):
        read("bad_json.csv")
    rows, errors = read("bad_json.csv", "collect")
    assert [r["trace_id"] for r in rows] == ["b-1", "b-2", "b-4"]
    assert [(e.line, e.field) for e in errors] == [(5, "messages")]  # b-2 spans lines 3-4


def test_bad_numbers() -> None:
    rows, errors = read("bad_number.csv", "collect")
    assert [r["trace_id"] for r in rows] == ["n-1"]
    assert [(e.line, e.field, e.message) for e in errors] == [
        (3, "latency_ms", "expected a number; got 'fast'"),
        (4, "input_tokens", "expected a whole number; got 2.5"),
    ]


def test_wrong_json_types() -> None:
    rows, errors = read("wrong_type.csv", "collect")
    assert [r["trace_id"] for r in rows] == ["w-3"]
    assert [(e.line, e.field) for e in errors] == [(2, "metadata"), (3, "messages")]


def test_empty_trace_id_cell() -> None:
    with pytest.raises(
        TraceFormatError, match=r"empty_id\.csv:3, field 'trace_id'.*required field is missing"
    ):
        read("empty_id.csv")


def test_bad_utf8_and_ragged_rows() -> None:
    rows, errors = read("bad_utf8.csv", "collect")
    assert [r["trace_id"] for r in rows] == ["u-1", "u-3"]
    assert (errors[0].line, errors[0].field, errors[0].message) == (3, "output", "invalid UTF-8")
    rows, errors = read("ragged.csv", "collect")
    assert [r["trace_id"] for r in rows] == ["r-1", "r-3"]
    assert (errors[0].line, errors[0].message) == (3, "row has 3 fields but the header has 2")


def test_empty_file() -> None:
    with pytest.raises(TraceFormatError, match=r"empty\.csv \[csv\]: file is empty"):
        read("empty.csv")


def test_content_hash_ids_are_stable_and_unique() -> None:
    with pytest.warns(TraceWarning, match=r"no_id\.csv: 1 row\(s\) repeat .*first at line 4"):
        a, _ = read("no_id.csv")  # as every reader of id-less records: one summary warning
    with pytest.warns(TraceWarning):
        b, _ = read("no_id.csv")
    ids = [r["trace_id"] for r in a]
    assert ids == [r["trace_id"] for r in b]
    assert ids[0].startswith("csv-") and len(ids[0]) == len("csv-") + 16
    assert ids[2] == ids[0] + "-2"  # row 3 repeats row 1 exactly
    assert len(set(ids)) == 3


def test_ten_megabyte_csv_field(tmp_path: Path) -> None:
    big = "w" * (10 * 1024 * 1024)
    p = tmp_path / "big.csv"
    pd.DataFrame({"trace_id": ["t1", "t2"], "output": [big, "small"]}).to_csv(p, index=False)
    rows, errors = read(p)
    assert errors == [] and len(rows[0]["output"]) == len(big) and rows[1]["source"]["line"] == 3


def test_tsv(tmp_path: Path) -> None:
    p = tmp_path / "t.tsv"
    p.write_text("trace_id\toutput\tlatency_ms\nt1\thello, world\t5\n")
    rows, _ = read(p)
    assert (rows[0]["output"], rows[0]["latency_ms"]) == ("hello, world", 5.0)


def test_parquet_native_and_json_string_columns(tmp_path: Path) -> None:
    table = pa.Table.from_pylist(
        [
            {
                "trace_id": "p-1",
                "output": "ok",
                "messages": [
                    {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "ok"},
                ],
                "metadata": '{"a": 1}',
                "input_tokens": 4,
                "timestamp": datetime(2025, 1, 1, tzinfo=UTC),
                "lang": "en",
            },
            {
                "trace_id": "p-2",
                "output": "fine",
                "messages": None,
                "metadata": None,
                "input_tokens": None,
                "timestamp": None,
                "lang": None,
            },
        ]
    )
    p = tmp_path / "t.parquet"
    pq.write_table(table, p)
    assert _tabular.sniff(p, p.read_bytes()[:8])
    rows, errors = read(p)
    assert errors == []
    r = rows[0]
    assert [m["content"] for m in r["messages"]] == ["hi", "ok"]
    assert r["metadata"] == {"a": 1, "lang": "en"} and r["input_tokens"] == 4
    assert r["timestamp"] == datetime(2025, 1, 1, tzinfo=UTC)
    assert r["source"] == {"format": "parquet", "file": str(p), "line": 1, "span_id": None}
    assert rows[1]["input_tokens"] is None and rows[1]["source"]["line"] == 2


def test_parquet_bad_json_names_row_and_column(tmp_path: Path) -> None:
    p = tmp_path / "b.parquet"
    pq.write_table(
        pa.Table.from_pylist(
            [
                {"trace_id": "a", "output": "x", "tool_calls": "[{"},
                {"trace_id": "b", "output": "y", "tool_calls": "[]"},
            ]
        ),
        p,
    )
    rows, errors = read(p, "collect")
    assert [r["trace_id"] for r in rows] == ["b"] and (errors[0].line, errors[0].field) == (
        1,
        "tool_calls",
    )


def test_corrupt_parquet(tmp_path: Path) -> None:
    p = tmp_path / "c.parquet"
    p.write_bytes(b"PAR1" + b"\x00" * 20)
    with pytest.raises(TraceFormatError, match=r"\[parquet\]: cannot read Parquet"):
        read(p)


def test_read_frame() -> None:
    df = pd.DataFrame({"id": ["x", "y"], "answer": ["A", "B"], "score": [0.5, float("nan")]})
    rows = _tabular.read_frame(df, sink=ErrorSink(), columns={"id": "trace_id", "answer": "output"})
    assert [r["trace_id"] for r in rows] == ["x", "y"]
    assert rows[0]["metadata"] == {"score": 0.5} and rows[1]["metadata"] == {"score": None}
    assert rows[0]["source"] == {"format": "dataframe", "file": None, "line": 1, "span_id": None}


def test_read_frame_errors_collect() -> None:
    df = pd.DataFrame({"trace_id": ["x", "y"], "output": ["A", "B"], "latency_ms": ["3", "slow"]})
    sink = ErrorSink(mode="collect")
    rows = _tabular.read_frame(df, sink=sink)
    assert [r["trace_id"] for r in rows] == ["x"] and (
        sink.errors[0].line,
        sink.errors[0].field,
        sink.errors[0].file,
    ) == (2, "latency_ms", None)


def test_sniff() -> None:
    assert _tabular.sniff(FIX / "support.csv", b"")
    lf = FIX.parent / "langfuse" / "traces_full.json"
    assert not _tabular.sniff(lf, lf.read_bytes())


def test_through_load_traces() -> None:
    import evalkit

    df = evalkit.load_traces(FIX / "custom.csv", columns=CUSTOM)
    assert df["trace_id"].tolist() == ["c-1", "c-2"] and df["latency_ms"].tolist() == [640.0, 410.0]
    frame = evalkit.load_traces(
        pd.DataFrame({"trace_id": ["q"], "output": ["o"], "extra": [json.dumps({"k": 1})]})
    )
    assert frame.loc[0, "metadata"] == {"extra": '{"k": 1}'}
    _, problems = evalkit.load_traces(FIX / "bad_json.csv", errors="collect")
    assert [(p.line, p.field) for p in problems] == [(5, "messages")]


def test_sample_data_file(data_dir: Path) -> None:
    rows, errors = read(data_dir / "traces" / "support.csv", "collect")
    assert errors == [] and len(rows) == 90  # data/README.md: 90 CSV traces
    truth = pd.read_csv(data_dir / "ground_truth.csv").set_index("trace_id")
    for r in rows:
        t = truth.loc[r["trace_id"]]
        assert (r["segment"], r["model"], len(r["output"])) == (
            t["segment"],
            t["model"],
            t["response_chars"],
        )
        assert r["messages"][-1]["content"] == r["output"] and r["retrieved"]
    assert sum(bool(r["tool_calls"]) for r in rows) > 0


def test_pathologically_nested_value_is_a_typed_error() -> None:
    deep: dict = {}
    cur = deep
    for _ in range(5000):  # deeper than Python's recursion limit
        cur["k"] = {}
        cur = cur["k"]
    df = pd.DataFrame({"trace_id": ["deep", "ok"], "output": ["a", "b"], "metadata": [deep, {}]})
    sink = ErrorSink(mode="collect")
    rows = _tabular.read_frame(df, sink=sink)
    assert [r["trace_id"] for r in rows] == ["ok"]
    assert (sink.errors[0].line, sink.errors[0].message) == (
        1,
        "a value is nested too deeply to read",
    )


def test_delimiter_option(tmp_path: Path) -> None:
    p = tmp_path / "semi.csv"
    p.write_text("trace_id;output\ns1;hello, world\n")
    rows, _ = read(p, delimiter=";")
    assert (rows[0]["trace_id"], rows[0]["output"]) == ("s1", "hello, world")
    with pytest.raises(
        ValueError, match=r"`delimiter` must be a single character such as ';'; got ';;'"
    ):
        read(p, delimiter=";;")

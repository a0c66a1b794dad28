"""Hostile trace files (issue 12): every problem is a typed error naming the file, never a crash,
a hang, an unbounded read or a silently dropped row.

Items covered here: 1 (CSV unclosed quote), 6 (huge integers, lone surrogates, int64 overflow),
7 (dangling symlink, self-link, ``..`` loop), 11 (FIFO), 12 (symlink to a device) and the
"decide and document" list: numbers, duplicate JSON keys, UTF-16/32, empty folders.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalkit.errors import TraceError, TraceFormatError
from evalkit.traces import load_traces

CHAT = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
CHAT_LINE = json.dumps(CHAT) + "\n"
HUGE = "9" * 5000  # beyond CPython's 4300-digit int/str conversion limit


def _chat(**extra: Any) -> str:
    return json.dumps(CHAT | extra) + "\n"


LANGFUSE_TRACE = {
    "id": "t1", "timestamp": "2024-01-01T00:00:00Z", "name": "x", "input": "hi", "output": "yo",
    "observations": [{
        "id": "o1", "traceId": "t1", "type": "GENERATION", "name": "gen",
        "startTime": "2024-01-01T00:00:00Z", "endTime": "2024-01-01T00:00:01Z",
        "input": [{"role": "user", "content": "hi"}], "output": "yo",
    }],
}  # fmt: skip


def _log_pair(usage: str) -> str:
    """A request/response log line whose usage block is raw JSON text."""
    return (
        '{"request": {"model": "m", "messages": [{"role": "user", "content": "hi"}]}, '
        '"response": {"id": "c1", "object": "chat.completion", "created": 1700000000, '
        '"model": "m", "choices": [{"index": 0, "message": {"role": "assistant", '
        f'"content": "yo"}}, "finish_reason": "stop"}}], "usage": {usage}}}}}\n'
    )


@pytest.fixture
def alarm() -> Iterator[None]:
    """Fail (instead of hanging the suite) when a load blocks for more than 10 s."""

    def on_alarm(*_: Any) -> None:
        raise TimeoutError("load_traces blocked for more than 10 s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(10)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _collect(source: Any, **kw: Any) -> tuple[pd.DataFrame, list[TraceError]]:
    frame, problems = load_traces(source, errors="collect", **kw)
    assert all(isinstance(p, TraceError) for p in problems)
    return frame, problems


# --------------------------------------------------------------------------- item 1


def test_csv_unclosed_quote_is_reported_and_later_rows_still_load(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('trace_id,output\nt1,"hello\nt2,b\nt3,c\n')
    frame, problems = _collect(path)
    assert [(p.line, "quote" in p.message) for p in problems] == [(2, True)]
    assert frame["trace_id"].tolist() == ["t2", "t3"]
    with pytest.raises(TraceFormatError, match=r"q\.csv:2.*quote"):
        load_traces(path)


def test_csv_unclosed_quote_in_the_last_row(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('trace_id,output\nt1,a\nt2,"never closed\n')
    frame, problems = _collect(path)
    assert frame["trace_id"].tolist() == ["t1"]
    assert [p.line for p in problems] == [3]


def test_csv_quoted_newlines_still_load(tmp_path: Path) -> None:
    path = tmp_path / "ok.csv"
    path.write_text('trace_id,output\nt1,"two\nlines"\nt2,b\n')
    frame = load_traces(path)
    assert frame["output"].tolist() == ["two\nlines", "b"]


# --------------------------------------------------------------------------- item 6


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("big.jsonl", _chat(n=0).replace('"n": 0', '"n": ' + HUGE)),
        ("big.json", json.dumps([CHAT]).replace('"hi"', '"hi", "n": ' + HUGE)),
        ("sur.jsonl", _chat().replace('"yo"', '"\\ud800"')),
        ("i64.jsonl", _log_pair('{"prompt_tokens": ' + "9" * 30 + ', "completion_tokens": 1}')),
        ("big_log.jsonl", _log_pair('{"prompt_tokens": ' + HUGE + ', "completion_tokens": 1}')),
        ("i64.csv", "trace_id,output,input_tokens\nt1,a," + "9" * 30 + "\n"),
        ("big.csv", "trace_id,output,input_tokens\nt1,a," + HUGE + "\n"),
        ("sur.csv", 'trace_id,output,messages\nt1,a,"[{""role"": ""user"", ""content"": '
         '""\\ud800""}]"\n'),
    ],
)  # fmt: skip
def test_hostile_numbers_and_text_are_typed_errors(tmp_path: Path, name: str, text: str) -> None:
    good = tmp_path / "good.jsonl"
    good.write_text(_chat(custom="keep"))
    bad = tmp_path / name
    bad.write_text(text)
    frame, problems = _collect([good, bad])
    assert len(frame) == 1  # the good file still loads
    assert problems and all(p.file == str(bad) for p in problems)
    with pytest.raises(TraceFormatError, match=name.replace(".", r"\.")):
        load_traces(bad)


@pytest.mark.parametrize(
    "array",
    [
        pa.array([2**64 - 1], pa.uint64()),
        pa.array([2**63 + 5], pa.uint64()),
    ],
)
def test_parquet_tokens_beyond_int64_are_typed_errors(tmp_path: Path, array: pa.Array) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"trace_id": ["t1"], "output": ["a"], "input_tokens": array}), path)
    frame, problems = _collect(path)
    assert frame.empty
    assert [(p.field, p.line) for p in problems] == [("input_tokens", 1)]


def test_lone_surrogate_in_a_dataframe_is_a_typed_error() -> None:
    # object dtype: pandas 3's default (Arrow) strings cannot even hold a lone surrogate
    df = pd.DataFrame({"trace_id": ["t1", "t2"], "output": ["\ud800", "fine"]}, dtype=object)
    frame, problems = _collect(df)
    assert frame["trace_id"].tolist() == ["t2"]
    assert [(p.line, p.field) for p in problems] == [(1, "output")]
    assert "surrogate" in problems[0].message


# --------------------------------------------------------------------------- item 7, 11, 12


def test_dangling_self_and_parent_links_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "a.jsonl").write_text(CHAT_LINE)
    os.symlink("missing.jsonl", folder / "dangling.jsonl")
    os.symlink("self.jsonl", folder / "self.jsonl")
    os.symlink("..", folder / "up")
    os.symlink(".", folder / "here")
    frame, problems = _collect(folder)
    assert len(frame) == 1
    by_file = {Path(p.file or "").name: p.message for p in problems}
    assert set(by_file) == {"dangling.jsonl", "self.jsonl", "up", "here"}
    assert "broken symbolic link" in by_file["dangling.jsonl"]
    assert "symbolic link" in by_file["self.jsonl"]
    assert "loop" in by_file["up"] and "loop" in by_file["here"]
    with pytest.raises(TraceFormatError, match=r"dangling\.jsonl"):
        load_traces(folder)


def test_broken_links_named_directly_or_by_a_glob_are_reported(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(CHAT_LINE)
    os.symlink("nowhere.jsonl", tmp_path / "b.jsonl")
    os.symlink("c.jsonl", tmp_path / "c.jsonl")
    frame, problems = _collect(str(tmp_path / "*.jsonl"))
    assert len(frame) == 1
    assert [Path(p.file or "").name for p in problems] == ["b.jsonl", "c.jsonl"]
    frame, problems = _collect([tmp_path / "a.jsonl", tmp_path / "b.jsonl"])
    assert len(frame) == 1 and "broken symbolic link" in problems[0].message


def test_a_symlink_to_a_file_inside_the_folder_still_loads(tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    (folder / "sub").mkdir(parents=True)
    (tmp_path / "outside.jsonl").write_text(CHAT_LINE)
    os.symlink(tmp_path / "outside.jsonl", folder / "sub" / "linked.jsonl")
    assert len(load_traces(folder)) == 1


def test_fifo_in_a_folder_does_not_block(tmp_path: Path, alarm: None) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "a.jsonl").write_text(CHAT_LINE)
    os.mkfifo(folder / "pipe.jsonl")
    frame, problems = _collect(folder)
    assert len(frame) == 1
    assert [Path(p.file or "").name for p in problems] == ["pipe.jsonl"]
    assert "named pipe" in problems[0].message
    with pytest.raises(TraceFormatError, match="not a regular file"):
        load_traces(folder / "pipe.jsonl")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".json", ".parquet", ".eval"])
def test_symlink_to_a_device_is_not_read(tmp_path: Path, alarm: None, suffix: str) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "a.jsonl").write_text(CHAT_LINE)
    os.symlink("/dev/zero", folder / f"zero{suffix}")
    frame, problems = _collect(folder)
    assert len(frame) == 1
    assert len(problems) == 1 and "character device" in problems[0].message


# --------------------------------------------------------------------------- decide and document


def test_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / ".hidden.jsonl").write_text(CHAT_LINE)
    with pytest.raises(TraceFormatError, match="no trace files"):
        load_traces(tmp_path / "empty")
    frame, problems = _collect(tmp_path / "empty")
    assert frame.empty and "no trace files" in problems[0].message


@pytest.mark.parametrize(
    ("codec", "name"),
    [
        ("utf-16-le", "UTF-16 LE"),
        ("utf-16-be", "UTF-16 BE"),
        ("utf-32-le", "UTF-32 LE"),
        ("utf-32-be", "UTF-32 BE"),
    ],
)
@pytest.mark.parametrize("text", [CHAT_LINE, "trace_id,output\nt1,a\n"])
def test_utf16_and_utf32_are_refused_naming_the_encoding(
    tmp_path: Path, codec: str, name: str, text: str
) -> None:
    suffix = ".csv" if text.startswith("trace_id") else ".jsonl"
    path = tmp_path / f"wide{suffix}"
    path.write_bytes("\ufeff".encode(codec) + text.encode(codec))
    with pytest.raises(TraceFormatError, match=f"{name}.*UTF-8"):
        load_traces(path)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("dup.jsonl", '{"messages": [], ' + CHAT_LINE[1:]),
        ("dup_log.jsonl", _log_pair('{"prompt_tokens": 1, "prompt_tokens": 2}')),
        ("dup.json", json.dumps([LANGFUSE_TRACE]).replace('"x"', '"x", "name": "y"')),
        ("dup.csv", 'trace_id,output,metadata\nt1,a,"{""k"": 1, ""k"": 2}"\n'),
    ],
)
def test_duplicate_json_keys_are_errors(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(TraceFormatError, match="duplicate key"):
        load_traces(path)


NUMBER_CASES = [
    ("latency_ms", -5, "negative"),
    ("cost_usd", -0.01, "negative"),
    ("input_tokens", -1, "negative"),
    ("output_tokens", -3, "negative"),
    ("latency_ms", float("inf"), "finite"),
    ("cost_usd", float("-inf"), "finite"),
    ("input_tokens", float("inf"), "finite"),
]


def _write_number(tmp_path: Path, kind: str, field: str, value: float) -> Path:
    if kind == "csv":
        path = tmp_path / "n.csv"
        path.write_text(f"trace_id,output,{field}\nt1,a,{value!r}\n")
    elif kind == "parquet":
        path = tmp_path / "n.parquet"
        pd.DataFrame({"trace_id": ["t1"], "output": ["a"], field: [value]}).to_parquet(path)
    elif kind == "log":  # openai request/response log (the fast path when it applies)
        path = tmp_path / "n.jsonl"
        key = {"input_tokens": "prompt_tokens", "output_tokens": "completion_tokens"}.get(field)
        if key is None:
            raise AssertionError("the OpenAI log has no latency or cost field")
        path.write_text(_log_pair(f'{{"{key}": {json.dumps(value)}}}').replace("Infinity", "1e999"))
    else:  # langfuse trace export
        path = tmp_path / "n.json"
        trace = json.loads(json.dumps(LANGFUSE_TRACE))
        obs = trace["observations"][0]
        lf = {"latency_ms": "latency", "cost_usd": "totalCost"}
        if field in lf:
            trace[lf[field]] = value
        else:
            obs["usageDetails"] = {"input" if field == "input_tokens" else "output": value}
        path.write_text(json.dumps([trace]).replace("Infinity", "1e999"))
    return path


@pytest.mark.parametrize(
    ("kind", "field", "value", "word"),
    [
        (k, f, v, w)
        for k in ("csv", "parquet", "log", "langfuse", "frame")
        for f, v, w in NUMBER_CASES
        if not (k == "log" and f in ("latency_ms", "cost_usd"))
    ],
)
def test_numbers_are_checked_the_same_way_in_every_reader(
    tmp_path: Path, kind: str, field: str, value: float, word: str
) -> None:
    if kind == "frame":
        source: Any = pd.DataFrame({"trace_id": ["t1"], "output": ["a"], field: [value]})
    else:
        source = _write_number(tmp_path, kind, field, value)
    frame, problems = _collect(source)
    assert frame.empty
    assert len(problems) == 1
    assert problems[0].field is not None and problems[0].field.endswith(
        {"latency_ms": ("latency_ms", "latency"), "cost_usd": ("cost_usd", "totalCost"),
         "input_tokens": ("input_tokens", "prompt_tokens", "input"),
         "output_tokens": ("output_tokens", "completion_tokens", "output")}[field]
    )  # fmt: skip
    # the OpenAI log schema allows only JSON integers for usage: a float inf fails that check first
    words = (word, "integer") if kind == "log" else (word,)
    assert any(w in problems[0].message for w in words)


@pytest.mark.parametrize("kind", ["csv", "frame"])
def test_nan_numbers_are_missing(tmp_path: Path, kind: str) -> None:
    if kind == "csv":
        source: Any = tmp_path / "n.csv"
        source.write_text("trace_id,output,latency_ms,input_tokens\nt1,a,nan,NaN\n")
    else:
        source = pd.DataFrame(
            {
                "trace_id": ["t1"],
                "output": ["a"],
                "latency_ms": [float("nan")],
                "input_tokens": [float("nan")],
            }
        )
    frame = load_traces(source)
    assert pd.isna(frame.loc[0, "latency_ms"]) and pd.isna(frame.loc[0, "input_tokens"])


def test_a_collected_problem_never_aborts_other_files(tmp_path: Path) -> None:
    """Regression for the whole family: one hostile file per kind, one good file, all typed."""
    (tmp_path / "good.jsonl").write_text(CHAT_LINE)
    (tmp_path / "big.jsonl").write_text(_chat().replace('"yo"', '"yo", "n": ' + HUGE))
    (tmp_path / "sur.jsonl").write_text(_chat().replace('"hi"', '"\\udfff"'))
    os.symlink("nowhere", tmp_path / "dangling.csv")
    frame, problems = _collect(tmp_path)
    assert len(frame) == 1
    assert len({p.file for p in problems}) == 3

"""The chat JSONL path's hash workers: the careful reader's ids and frames, fallbacks, no leaks."""

from __future__ import annotations

import hashlib
import json
import warnings
from array import array
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.errors import TraceWarning
from evalkit.traces import _fast_chat, _fast_pieces, _hash_worker, load_traces, schema
from evalkit.traces._base import ErrorSink
from evalkit.traces._fast_chat import read_fast_chat
from evalkit.traces._jsonio import content_hash
from evalkit.traces._openai import read_careful

TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]


def _careful(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TraceWarning)
        return schema.conform(read_careful(path, sink=ErrorSink()))


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> list[_hash_worker.Worker]:
    """Small pieces (so the workers run) and every worker started, to check on afterwards."""
    started: list[_hash_worker.Worker] = []
    real = _hash_worker.start

    def start(path: Path) -> _hash_worker.Worker | None:
        worker = real(path)
        if worker is not None:
            started.append(worker)
        return worker

    monkeypatch.setattr(_fast_pieces, "PIECE", 300)
    monkeypatch.setattr(_hash_worker, "start", start)
    return started


def _chat(i: int, text: str) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": text},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": f"c{i}",
                        "type": "function",
                        "function": {"name": "f", "arguments": json.dumps({"n": i})},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": f"c{i}", "content": f"r{i}"},
            {"role": "assistant", "content": f"answer {i}"},
        ],
        "tools": TOOLS,
    }


def _same_as_careful(path: Path) -> pd.DataFrame:
    fast = read_fast_chat(path)
    assert fast is not None
    frame, _ = fast
    careful = _careful(path)
    pd.testing.assert_frame_equal(frame, careful)
    assert frame["metadata"].tolist() == careful["metadata"].tolist()
    assert frame["tool_calls"].tolist() == careful["tool_calls"].tolist()
    return frame


def _reaped(started: list[_hash_worker.Worker]) -> bool:
    return all(w.proc.returncode is not None for w in started)


def test_workers_give_the_careful_ids_and_frame_with_repeats_across_pieces(
    tmp_path: Path, workers: list[_hash_worker.Worker]
) -> None:
    records = [_chat(i, t) for i, t in enumerate(["héllo ✓", 'a\\b "q"', "\u2028", "𝔘"] * 3)]
    records += [records[0], records[5], records[0]]  # repeats, some pieces apart
    records.insert(
        4, {**_chat(99, "big"), "n": 2**63 - 1, "nested": {"z": [{"y": None}, {"y": 2}]}}
    )
    p = tmp_path / "chat.jsonl"
    p.write_text("\n".join(json.dumps(r, ensure_ascii=i % 2 == 0) for i, r in enumerate(records)))
    frame = _same_as_careful(p)
    assert len(workers) == _fast_chat.HASHERS and _reaped(workers)
    assert len(_fast_pieces.cuts(p)) > 4  # many pieces: both workers answered several
    ids = frame["trace_id"].tolist()
    assert ids[-3:] == [ids[0] + "-2", ids[6] + "-2", ids[0] + "-3"]
    assert ids[1] == content_hash("openai", records[1])  # the id scheme is unchanged
    # equal tool schemas are shared between rows, the metadata dicts are not
    assert frame.loc[1, "metadata"]["tools"] is frame.loc[9, "metadata"]["tools"]
    assert frame.loc[1, "metadata"] is not frame.loc[2, "metadata"]


def test_floats_in_a_later_piece_are_hashed_like_the_standard_library(
    tmp_path: Path, workers: list[_hash_worker.Worker]
) -> None:
    records = [_chat(i, f"q{i}") for i in range(8)]
    records[6]["w"] = 1e16  # orjson writes 1e16, json.dumps 1e+16: content_hash uses the latter
    records[7]["n"] = 2**77  # orjson reads it as a float (pyarrow too: the piece has floats)
    p = tmp_path / "chat.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    frame = _same_as_careful(p)
    assert frame["trace_id"][6] == content_hash("openai", records[6])
    assert frame["trace_id"][7] == content_hash("openai", records[7])
    assert frame["metadata"][7]["n"] == 2**77
    assert workers and _reaped(workers)


@pytest.mark.parametrize(
    "bad",
    [
        '{"messages": [{"role": "user", "content": "a"}], "x": NaN}',
        '{"messages": [{"role": "user", "content": "a\\ud800"}]}',
        '{"messages": [{"role": "user", "content": "a"}]} {"messages": []}',
        ' {"messages": [{"role": "user", "content": "a"}]}',
    ],
)
def test_a_line_the_worker_cannot_read_sends_the_file_to_the_careful_reader(
    tmp_path: Path, workers: list[_hash_worker.Worker], bad: str
) -> None:
    lines = [json.dumps(_chat(i, f"q{i}")) for i in range(8)]
    lines[6] = bad  # in a later piece: the workers have already answered earlier ones
    p = tmp_path / "chat.jsonl"
    p.write_text("\n".join(lines) + "\n")
    assert read_fast_chat(p) is None
    assert workers and _reaped(workers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TraceWarning)
        frame, _ = load_traces(p, errors="collect")
        careful = schema.conform(read_careful(p, sink=ErrorSink("collect")))
    pd.testing.assert_frame_equal(frame, careful)


def test_a_worker_that_dies_leaves_its_pieces_to_the_reader(
    tmp_path: Path, workers: list[_hash_worker.Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    started = _hash_worker.start  # the fixture's recorder

    def start_and_kill(path: Path) -> _hash_worker.Worker | None:
        worker = started(path)
        if worker is not None and len(workers) == 1:
            worker.proc.kill()  # the first one dies before answering anything
        return worker

    monkeypatch.setattr(_hash_worker, "start", start_and_kill)
    p = tmp_path / "chat.jsonl"
    p.write_text("\n".join(json.dumps(_chat(i % 5, f"q{i % 5}")) for i in range(12)) + "\n")
    frame = _same_as_careful(p)
    assert frame["trace_id"].is_unique and len(workers) == 2 and _reaped(workers)


def test_an_interrupted_load_leaves_no_worker_running(
    tmp_path: Path, workers: list[_hash_worker.Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(_fast_chat, "_chat_batch", interrupted)
    p = tmp_path / "chat.jsonl"
    p.write_text("\n".join(json.dumps(_chat(i, f"q{i}")) for i in range(12)) + "\n")
    with pytest.raises(KeyboardInterrupt):
        read_fast_chat(p)
    assert workers and _reaped(workers)


def test_a_file_that_grows_while_read_goes_to_the_careful_reader(
    tmp_path: Path, workers: list[_hash_worker.Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    p = tmp_path / "chat.jsonl"
    p.write_text("\n".join(json.dumps(_chat(i, f"q{i}")) for i in range(12)) + "\n")
    real = _fast_pieces.cuts

    def cuts_then_append(path: Path, size: int | None = None) -> list[tuple[int, int]]:
        out = real(path, size)
        with open(path, "a") as fh:  # a live log: a line arrives after the pieces were cut
            fh.write(json.dumps(_chat(50, "late")) + "\n")
        return out

    monkeypatch.setattr(_fast_pieces, "cuts", cuts_then_append)
    assert read_fast_chat(p) is None
    assert workers and _reaped(workers)


# -- the worker's per-piece answer against the plain definition ---------------------------------

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8) | st.sampled_from(
    ["]", '"]', "\\", "[1]", ', "tools": 1}']
)
_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def _line(draw: Any, shared: list[tuple[str, Any]]) -> bytes:
    messages = draw(
        st.lists(st.dictionaries(st.sampled_from(["role", "content"]), _text), max_size=3)
    )
    others = (
        draw(st.sampled_from(shared))
        if draw(st.booleans())
        else draw(
            st.lists(
                st.tuples(st.sampled_from(["tools", "id", "n", "messages"]), _value), max_size=2
            )
        )
    )
    items = [("messages", messages), *others]
    if draw(st.booleans()):
        items = items[1:] + items[:1]  # messages last
    separators = draw(st.sampled_from([None, (",", ":"), (", ", ":  ")]))
    pairs = ", ".join(f"{json.dumps(k)}: {json.dumps(v, separators=separators)}" for k, v in items)
    return ("{" + pairs + "}").encode()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_pieces_answer_is_each_lines_content_hash_and_metadata(data: Any) -> None:
    # lines that share the text around their messages (the template lane) and lines that do not
    shared = data.draw(
        st.lists(
            st.lists(st.tuples(st.sampled_from(["tools", "id", "messages"]), _value), max_size=2),
            min_size=1,
            max_size=2,
        )
    )
    lines = data.draw(st.lists(_line(shared), min_size=1, max_size=8))
    piece = b"\n".join(lines) + data.draw(st.sampled_from([b"\n", b""]))
    blobs: dict[bytes, int] = {}
    digests, index, new, local = _hash_worker.hash_piece(piece, blobs)
    at = array("i")
    at.frombytes(index)
    assert new == list(blobs)
    for k, line in enumerate(lines):
        record = orjson.loads(line)
        blob = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
        assert digests[8 * k : 8 * k + 8] == hashlib.sha256(blob).digest()[:8]
        assert content_hash("x", record)[2:] == digests[8 * k : 8 * k + 8].hex()
        record.pop("messages", None)
        kept = new[at[k]] if at[k] >= 0 else local[~at[k]]
        assert kept == orjson.dumps(record)  # the metadata, keys in the line's order


def test_a_full_blob_table_sends_the_rest_with_their_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_hash_worker, "BLOB_MAX", 2)
    lines = [json.dumps({"messages": [], "id": f"x{i}"}).encode() for i in range(4)]
    blobs: dict[bytes, int] = {}
    _, index, new, local = _hash_worker.hash_piece(b"\n".join(lines), blobs)
    at = array("i")
    at.frombytes(index)
    assert list(at) == [0, 1, -1, -2]
    assert new == [b'{"id":"x0"}', b'{"id":"x1"}'] and local == [b'{"id":"x2"}', b'{"id":"x3"}']


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=120).map(lambda b: b.replace(b"\r", b"\n"))
    | st.text("ab\n").map(str.encode),
    size=st.integers(1, 40),
)
def test_cuts_are_where_a_simple_reader_cuts(tmp_path: Path, data: bytes, size: int) -> None:
    p = tmp_path / "f.jsonl"
    p.write_bytes(data)
    got = [data[o : o + n] for o, n in _fast_pieces.cuts(p, size)]
    assert got == list(_pieces(p, size))
    assert b"".join(got) == data and all(piece.endswith(b"\n") for piece in got[:-1])


def _pieces(path: Path, size: int):
    """The file read ``size`` bytes at a time, cut after the last newline read so far."""
    rest = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(size):
            buf = rest + chunk
            cut = buf.rfind(b"\n") + 1
            rest = buf[cut:]
            if cut:
                yield buf[:cut]
    if rest:
        yield rest


# -- tool calls, as the log-pair path builds them too -------------------------------------------

_arguments = st.one_of(
    st.none(),
    st.text(max_size=6),
    st.builds(
        json.dumps, st.dictionaries(st.text(max_size=3), st.integers() | st.text(max_size=3))
    ),
    st.sampled_from(['{"n": 12345678901234567890}', "NaN", "", " ", "[1e400]", "{} {}"]),
)


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(_arguments, max_size=6))
def test_arguments_in_bulk_are_parsed_as_one_at_a_time(texts: list[str | None]) -> None:
    import pyarrow as pa

    from evalkit.traces._openai_fast import _arguments_parser, _parsed_arguments

    one = _arguments_parser()
    expected = [one(t) for t in texts]
    got = _parsed_arguments(pa.array(texts, pa.string()))
    # NaN != NaN: compare the JSON text (the same value gives the same text)
    assert json.dumps(got) == json.dumps(expected)
    assert [type(v) for v in got] == [type(v) for v in expected]


def test_legacy_calls_without_an_id_get_their_result_by_name(tmp_path: Path) -> None:
    call = {"type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}}
    records = [
        {
            "messages": [
                {"role": "user", "content": f"q{i}"},
                {"role": "assistant", "content": None, "tool_calls": [call, {**call, "id": "x"}]},
                {"role": "function", "name": "f", "content": f"by name {i}"},
                {"role": "tool", "tool_call_id": "x", "content": f"by id {i}"},
                {"role": "assistant", "content": "done"},
            ]
        }
        for i in range(3)
    ]
    p = tmp_path / "chat.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    frame = _same_as_careful(p)
    assert [c["result"] for c in frame["tool_calls"][2]] == ["by name 2", "by id 2"]


def test_a_script_without_a_main_guard_loads_through_the_workers(tmp_path: Path) -> None:
    # multiprocessing's spawn would re-run this script in each worker (and fail or recurse);
    # the workers are plain subprocesses that never import the caller's __main__
    import subprocess
    import sys

    p = tmp_path / "chat.jsonl"
    p.write_text("\n".join(json.dumps(_chat(i, f"q{i}")) for i in range(12)) + "\n")
    script = tmp_path / "no_guard.py"
    script.write_text(
        "import warnings\n"
        "from evalkit.traces import _fast_pieces, _hash_worker, _fast_chat\n"
        "_fast_pieces.PIECE = 300\n"
        "started = []\n"
        "real = _hash_worker.start\n"
        "_hash_worker.start = lambda path: started.append(real(path)) or started[-1]\n"
        f"frame, _ = _fast_chat.read_fast_chat(__import__('pathlib').Path({str(p)!r}))\n"
        "print(len(frame), len(started), all(w.proc.returncode is not None for w in started))\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == ["12", "2", "True"]


def test_on_one_core_the_lines_are_hashed_in_process(
    tmp_path: Path, workers: list[_hash_worker.Worker], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_fast_chat, "_cores", lambda: 1)
    p = tmp_path / "chat.jsonl"
    p.write_text("\n".join(json.dumps(_chat(i % 4, f"q{i % 4}")) for i in range(12)) + "\n")
    frame = _same_as_careful(p)
    assert not workers and frame["trace_id"].is_unique

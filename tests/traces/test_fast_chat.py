"""The vectorised chat JSONL path gives the careful reader's frame (ids too), or steps aside."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.errors import TraceError, TraceFormatError, TraceWarning
from evalkit.traces import load_traces, schema
from evalkit.traces._base import ErrorSink
from evalkit.traces._fast_chat import read_fast_chat
from evalkit.traces._jsonio import content_hash, parse_arguments
from evalkit.traces._openai import read_careful
from evalkit.traces._openai_fast import _arguments_parser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"


def _careful(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TraceWarning)
        return schema.conform(read_careful(path, sink=ErrorSink()))


def _same_as_careful(path: Path) -> bool:
    """Assert the fast frame equals the careful one; False when the fast path stepped aside."""
    fast = read_fast_chat(path)
    if fast is None:
        return False
    frame, repeats = fast
    careful = _careful(path)
    pd.testing.assert_frame_equal(frame, careful)
    # the stored values are plain Python objects, equal to the careful reader's
    assert frame["metadata"].tolist() == careful["metadata"].tolist()
    assert frame["tool_calls"].tolist() == careful["tool_calls"].tolist()
    numbered = re.compile(r"openai-[0-9a-f]{16}-[0-9]+")  # a repeat of id-less content
    expected = [i + 1 for i, t in enumerate(careful["trace_id"]) if numbered.fullmatch(t)]
    assert repeats.lines == expected
    return True


def _jsonl_fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.rglob("*.jsonl"))


@pytest.mark.parametrize("path", _jsonl_fixtures(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_gives_the_careful_frame_or_steps_aside(path: Path) -> None:
    taken = _same_as_careful(path)
    # other shapes are not its job; the chat fixture has content parts (array content on one
    # line, text on others), which pyarrow cannot type: both step aside to the careful reader
    assert not taken


def test_the_chat_fixture_without_its_content_parts_line_takes_the_fast_path(
    tmp_path: Path,
) -> None:
    lines = (FIXTURES / "openai" / "finetune.jsonl").read_text().splitlines()
    kept = [line for line in lines if '"type": "text"' not in line]
    assert 0 < len(kept) < len(lines)
    p = tmp_path / "chat.jsonl"
    p.write_text("\n".join(kept) + "\n")
    assert _same_as_careful(p)


def test_fixture_ids_are_the_content_hash_of_the_parsed_record(tmp_path: Path) -> None:
    lines = (FIXTURES / "openai" / "finetune.jsonl").read_text().splitlines()
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(line for line in lines if '"type": "text"' not in line) + "\n")
    fast = read_fast_chat(path)
    assert fast is not None
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    assert fast[0]["trace_id"].tolist() == [content_hash("openai", r) for r in records]


def test_load_traces_uses_it_and_warns_about_repeated_content(tmp_path: Path) -> None:
    line = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
    other = {
        "messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}],
        "tools": [{"type": "function"}],
    }
    p = tmp_path / "chat.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in (line, other, line, line)) + "\n")
    assert _same_as_careful(p)
    with pytest.warns(TraceWarning, match=r"2 line\(s\) repeat .*\(first at line 3\)"):
        df = load_traces(p)
    base = content_hash("openai", line)
    assert df["trace_id"].tolist() == [
        base,
        content_hash("openai", other),
        base + "-2",
        base + "-3",
    ]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('{"messages": [{"role": "user", "content": "a"}]}\n\n', "blank line"),
        ('{"messages": [{"role": "agent", "content": "a"}]}\n', "alias role"),
        ('{"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}]}]}\n', "parts"),
        ('{"messages": [{"role": "user", "content": "a"}], "x": NaN}\n', "NaN"),
        ('{"messages": [{"role": "user", "content": "a"}]} {"messages": []}\n', "two objects"),
    ],
)
def test_what_it_does_not_fully_understand_goes_to_the_careful_reader(
    tmp_path: Path, text: str, why: str
) -> None:
    p = tmp_path / "chat.jsonl"
    p.write_text(text)
    assert read_fast_chat(p) is None, why


def test_floats_are_hashed_like_the_standard_library(tmp_path: Path) -> None:
    # orjson writes 1e+16 as 1e16: files with floats take json.dumps for the ids
    records = [
        {"messages": [{"role": "user", "content": "a"}], "w": 1e16, "t": 0.2},
        {"messages": [{"role": "user", "content": "b"}], "w": 1e-7, "big": 2**70},
    ]
    p = tmp_path / "chat.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    assert _same_as_careful(p)


def test_a_bad_line_still_names_file_line_and_field(tmp_path: Path) -> None:
    p = tmp_path / "chat.jsonl"
    good = json.dumps({"messages": [{"role": "user", "content": "a"}]})
    p.write_text(good + "\n" + json.dumps({"messages": [{"role": 3}]}) + "\n")
    assert read_fast_chat(p) is None
    sink = ErrorSink("collect")
    read_careful(p, sink=sink)
    assert [(e.line, e.field) for e in sink.errors] == [(2, "messages[0].role")]
    assert all(isinstance(e, TraceError) for e in sink.errors)


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_args = st.one_of(
    _text,
    st.builds(
        json.dumps, st.dictionaries(_text, st.integers() | _text | st.booleans(), max_size=3)
    ),
    st.sampled_from(['{"n": 123456789012345678901234}', "NaN", '{"a": 1, "a": 2}', "[1.5e-7]"]),
)


@st.composite
def _record(draw: Any) -> dict[str, Any]:
    msgs: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 5))):
        role = draw(st.sampled_from(["system", "user", "assistant", "tool", "function"]))
        msg: dict[str, Any] = {"role": role, "content": draw(st.none() | _text)}
        if role == "assistant" and draw(st.booleans()):
            msg["tool_calls"] = [
                {
                    "id": draw(st.sampled_from(["c1", "c2"])),
                    "type": "function",
                    "function": {
                        "name": draw(st.sampled_from(["f", "g"])),
                        "arguments": draw(_args),
                    },
                }
            ]
        if role == "tool":
            msg["tool_call_id"] = draw(st.sampled_from(["c1", "c2"]))
        if role == "function" or draw(st.booleans()):
            msg["name"] = draw(st.sampled_from(["f", "g"]))
        msgs.append(msg)
    record: dict[str, Any] = {"messages": msgs}
    extra = draw(
        st.dictionaries(
            st.sampled_from(["tools", "id_hint", "nested", "n", "id", "model"]),
            st.none() | st.integers(-(2**62), 2**62) | _text | st.lists(_text, max_size=2),
            max_size=3,
        )
    )
    record.update(extra)
    return record


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=st.lists(_record(), min_size=1, max_size=6), repeat=st.booleans())
def test_generated_files_give_the_careful_frame(
    tmp_path: Path, records: list[dict[str, Any]], repeat: bool
) -> None:
    if repeat:
        records = [*records, records[0]]
    p = tmp_path / "gen.jsonl"
    p.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n")
    # pyarrow cannot parse a field that is a string on one line and a list on another:
    # then the careful reader runs, which is fine; otherwise the frames are equal
    _same_as_careful(p)  # about half of the generated files take the fast path


def test_generated_files_do_take_the_fast_path(tmp_path: Path) -> None:
    # the same generator with consistent types: the fast path must accept it (the test above
    # could otherwise pass with the fast path always stepping aside)
    records = [
        {"messages": [{"role": "user", "content": f"q{i}"}, {"role": "assistant", "content": None}]}
        for i in range(5)
    ]
    p = tmp_path / "gen.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    assert _same_as_careful(p)


@settings(max_examples=200, deadline=None)
@given(_args)
def test_orjson_arguments_are_the_standard_librarys(text: str) -> None:
    parse = _arguments_parser()
    got, want = parse(text), parse_arguments(text)
    assert repr(got) == repr(want)


@pytest.mark.parametrize(
    ("piece", "count"),
    [
        (b'{"a": 1}\n{"a": 2}\n', 2),
        (b'{"a": 1}\n{"a": 2}', 2),  # the last line without its newline
        (b'{"a": 1}\n\n{"a": 2}\n', -1),  # a blank line
        (b' {"a": 1}\n', -1),  # an indented line
        (b"", -1),
    ],
)
def test_count_records_needs_one_object_per_line(piece: bytes, count: int) -> None:
    from evalkit.traces._fast_pieces import count_records

    assert count_records(piece) == count


def _lines_or_minus_one(piece: bytes) -> int:
    """The definition: the lines (a last newline ends the last one), -1 unless all start "{"."""
    lines = piece.split(b"\n")
    if piece.endswith(b"\n"):
        lines.pop()
    return len(lines) if lines and all(line[:1] == b"{" for line in lines) else -1


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(
        st.sampled_from([b"{}", b'{"a": 1}', b"{", b"", b" {}", b"[1]", b"{}{}"]), max_size=12
    ),
    tail=st.booleans(),
    short=st.integers(1, 5),
)
def test_count_records_is_its_definition(lines: list[bytes], tail: bool, short: int) -> None:
    from evalkit.traces import _fast_pieces

    piece = b"\n".join(lines) + (b"\n" if tail and lines else b"")
    want = _lines_or_minus_one(piece)
    assert _fast_pieces.count_records(piece) == want
    saved = _fast_pieces._SHORT_LINES
    _fast_pieces._SHORT_LINES = short  # short lines: the numpy count from line `short` on
    try:
        assert _fast_pieces.count_records(piece) == want
    finally:
        _fast_pieces._SHORT_LINES = saved


def test_a_file_of_many_pieces_gives_the_careful_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evalkit.traces import _fast_pieces

    monkeypatch.setattr(_fast_pieces, "PIECE", 200)  # a few lines per piece
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    records = [
        {
            "messages": [
                {"role": "user", "content": f"q{i}"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c", "content": f"r{i}"},
                {"role": "assistant", "content": f"a{i}"},
            ],
            "tools": tools,
        }
        for i in range(30)
    ]
    p = tmp_path / "chat.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    assert _same_as_careful(p)
    frame = read_fast_chat(p)[0]  # type: ignore[index]
    # equal tool schemas are shared, not copied per row; the metadata dicts are per row
    assert frame.loc[3, "metadata"]["tools"] is frame.loc[7, "metadata"]["tools"]
    assert frame.loc[3, "metadata"] is not frame.loc[7, "metadata"]


def _lines(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    p = tmp_path / "own.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    return p


_HI = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]


def test_records_own_ids_and_models_are_used_as_the_generic_reader_uses_them(
    tmp_path: Path,
) -> None:
    p = _lines(
        tmp_path,
        [
            {"id": "conv-1", "model": "gpt-4o", "messages": _HI, "team": "a"},
            {"id": "conv-2", "model": "gpt-4o-mini", "messages": _HI, "team": "b"},
        ],
    )
    assert _same_as_careful(p)  # the fast path gives them too
    df = load_traces(p)
    assert df["source"].map(lambda s: s["format"]).eq("openai").all()
    assert df["trace_id"].tolist() == ["conv-1", "conv-2"]
    assert df["model"].tolist() == ["gpt-4o", "gpt-4o-mini"]
    assert df["metadata"].tolist() == [{"team": "a"}, {"team": "b"}]  # moved, not copied
    generic = load_traces(p, format="json")  # the oracle: the generic JSON reader
    assert df["trace_id"].tolist() == generic["trace_id"].tolist()
    assert df["model"].tolist() == generic["model"].tolist()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"id": 17}, {"id": 18}),  # whole numbers: their text
        ({"id": "a"}, {}),  # only some records have one: the others get a content hash
        ({"id": " "}, {"id": "b"}),  # blank: a content hash, the blank id stays in metadata
        ({"model": ""}, {"model": "m"}),  # empty model: stays in metadata
        ({"id": None, "model": None}, {"id": True}),
    ],
)
def test_odd_own_ids_give_the_careful_frame(tmp_path: Path, first, second) -> None:
    p = _lines(tmp_path, [{"messages": _HI, **first}, {"messages": _HI[:1], **second}])
    _same_as_careful(p)
    careful = _careful(p)
    for record, tid in zip([first, second], careful["trace_id"], strict=True):
        own = record.get("id")
        if (isinstance(own, int) and not isinstance(own, bool)) or (
            isinstance(own, str) and own.strip()
        ):
            assert tid == str(own)
        else:
            assert tid.startswith("openai-")


def test_a_repeated_own_id_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    p = _lines(
        tmp_path,
        [
            {"id": "x", "messages": _HI},
            {"id": "y", "messages": _HI},
            {"id": "x", "messages": _HI[:1]},
        ],
    )
    with pytest.raises(TraceFormatError) as err:
        load_traces(p)
    text = str(err.value)
    assert "duplicate trace_id 'x'" in text
    assert text.startswith(f"{p}:3") and text.endswith(f"first seen at {p}:1")


@pytest.mark.parametrize("ahead", [1, 2, 3])
def test_pieces_prepared_ahead_come_in_file_order_with_their_work(
    tmp_path: Path, ahead, monkeypatch
) -> None:
    import pyarrow.json as pj

    from evalkit.traces import _fast_pieces

    p = tmp_path / "many.jsonl"
    p.write_text("".join(json.dumps({"i": i, "t": "x" * (i % 7)}) + "\n" for i in range(500)))
    monkeypatch.setattr(_fast_pieces, "PIECE", 1024)  # about twenty pieces
    got = list(_fast_pieces.prepared(p, lambda table: table.to_pylist(), ahead=ahead))
    assert len(got) > 10
    assert [n for n, _ in got] == [len(rows) for _, rows in got]
    assert [row for _, rows in got for row in rows] == pj.read_json(p).to_pylist()
    # leaving early (a reader that gives up on the file) neither hangs nor leaks a thread
    stream = _fast_pieces.prepared(p, lambda table: None, ahead=ahead)
    next(stream)
    stream.close()


@pytest.mark.parametrize(
    "text", ['{"a": 1}\n\n{"a": 2}\n', '{"a": 1}{"a": 2}\n{"a": 3}\n', '{"a": 1}\n[1]\n']
)
def test_prepared_refuses_pieces_that_are_not_one_object_per_line(
    tmp_path: Path, text: str
) -> None:
    from evalkit.traces import _fast_pieces

    p = tmp_path / "odd.jsonl"
    p.write_text(text)
    with pytest.raises(ValueError):
        list(_fast_pieces.prepared(p, lambda table: table))

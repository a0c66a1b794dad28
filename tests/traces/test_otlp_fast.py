"""The vectorised OTLP GenAI path gives the careful reader's frame, or steps aside."""

from __future__ import annotations

import contextlib
import copy
import json
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.errors import TraceWarning
from evalkit.traces import load_traces, schema
from evalkit.traces._base import ErrorSink
from evalkit.traces._otel_genai import NAME, interpret
from evalkit.traces._otlp import read_traces
from evalkit.traces._otlp_fast import read_fast_otlp

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"


def _careful(path: Path) -> tuple[pd.DataFrame, list[Any]]:
    sink = ErrorSink(mode="collect")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TraceWarning)
        rows = read_traces(path, sink=sink, fmt=NAME, interpret=interpret)
    frame = rows if isinstance(rows, pd.DataFrame) else schema.conform(rows)
    return frame, list(sink.errors)


def _same_as_careful(path: Path) -> bool:
    """Assert the fast frame equals the careful one; False when the fast path stepped aside."""
    fast = read_fast_otlp(path)
    if fast is None:
        return False
    careful, errors = _careful(path)
    assert errors == []  # the fast path never takes a file the careful reader reports on
    pd.testing.assert_frame_equal(fast, careful)
    # the stored values are plain Python objects, equal to the careful reader's
    assert fast["metadata"].tolist() == careful["metadata"].tolist()
    assert fast["tool_calls"].tolist() == careful["tool_calls"].tolist()
    return True


def _kv(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return {"key": key, "value": value}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def _parts(*texts: str) -> list[dict[str, Any]]:
    return [{"type": "text", "content": t} for t in texts]


def _trace(i: int, **options: Any) -> dict[str, Any]:
    """One trace (an app span and a chat span) as an ExportTraceServiceRequest line.

    ``options`` vary it: ``system``, ``inputs``/``outputs`` (message lists), ``app_attrs`` and
    ``chat_attrs`` (extra attributes), ``extra_spans`` (more children of the root),
    ``resource`` (resource attributes), ``chat_first`` (children listed before the root).
    """
    trace_id = f"{i + 1:032x}"
    root_id, chat_id = f"{2 * i + 1:016x}", f"{2 * i + 2:016x}"
    start = 1_731_000_000_000_000_000 + i * 1_000_000_000
    inputs = options.get("inputs", [{"role": "user", "parts": _parts(f"question {i}")}])
    outputs = options.get("outputs", [{"role": "assistant", "parts": _parts(f"answer {i}")}])
    chat_attrs = [
        _kv("gen_ai.operation.name", options.get("op", "chat")),
        _kv("gen_ai.provider.name", "openai"),
        _kv("gen_ai.request.model", "gpt-4o-mini"),
        _kv("gen_ai.response.model", options.get("response_model", "gpt-4o-mini-2024-07-18")),
        _kv("gen_ai.usage.input_tokens", 10 + i),
        _kv("gen_ai.usage.output_tokens", 5 + i),
    ]
    if inputs is not None:
        chat_attrs.append(_kv("gen_ai.input.messages", json.dumps(inputs)))
    if outputs is not None:
        chat_attrs.append(_kv("gen_ai.output.messages", json.dumps(outputs)))
    if "system" in options:
        chat_attrs.append(_kv("gen_ai.system_instructions", json.dumps(options["system"])))
    chat_attrs += options.get("chat_attrs", [])
    root = {
        "traceId": trace_id,
        "spanId": root_id,
        "name": "agent",
        "kind": 1,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + 900_000_000 + i),
        "attributes": [
            _kv("session.id", f"s{i // 2}"),
            _kv("user.id", f"u{i % 3}"),
            *options.get("app_attrs", []),
        ],
        "status": options.get("root_status", {}),
    }
    chat = {
        "traceId": trace_id,
        "spanId": chat_id,
        "parentSpanId": root_id,
        "name": "chat gpt-4o-mini",
        "kind": 3,
        "startTimeUnixNano": str(start + 100_000_000),
        "endTimeUnixNano": str(start + 800_000_000),
        "attributes": chat_attrs,
        "status": {"code": 1},
    }
    spans = [root, chat]
    for k, extra in enumerate(options.get("extra_spans", [])):
        span = {
            "traceId": trace_id,
            "spanId": f"{10_000_000 + 100 * i + k:016x}",
            "parentSpanId": root_id,
            "name": "step",
            "startTimeUnixNano": str(start + 50_000_000),
            "endTimeUnixNano": str(start + 60_000_000),
            "attributes": [],
        }
        span.update(extra)
        spans.append(span)
    if "root_parent" in options:
        root["parentSpanId"] = options["root_parent"]
    if options.get("chat_first"):
        spans = spans[1:] + spans[:1]
    resource = options.get("resource", [_kv("service.name", "support")])
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": resource},
                "scopeSpans": [{"scope": {"name": "test"}, "spans": spans}],
            }
        ]
    }


def _write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


VARIED: list[dict[str, Any]] = [
    {},
    {"system": _parts("Be brief.")},
    {"system": []},  # an empty instruction list: one system message without text
    {"inputs": [{"role": "user", "parts": _parts("a", "b")}, {"role": "assistant", "parts": []}]},
    {"inputs": [{"role": "user", "parts": _parts("hi"), "name": "ann"}]},
    {"outputs": []},  # request only: no output
    {"outputs": None, "inputs": None},  # a chat span without content
    {"inputs": [{"role": "user", "parts": _parts("x")}, {"role": "user", "parts": _parts("y")}]},
    {"chat_attrs": [_kv("gen_ai.conversation.id", "conv-9")]},
    {"chat_attrs": [_kv("gen_ai.conversation.id", "")]},  # empty: session.id wins
    {"response_model": ""},  # `response or request`
    {"app_attrs": [_kv("segment", "billing"), _kv("temperature_hint", 3)]},
    {"chat_attrs": [_kv("user.id", "second")]},  # the first user id in tree order wins
    {"resource": []},  # no service name
    {"resource": [_kv("service.name", "svc"), _kv("host", 7)]},
    {"chat_first": True},
    {"extra_spans": [{"name": "retrieve", "attributes": [_kv("db", "x")]}]},
    # two children starting together: ordered by span id
    {"extra_spans": [{"startTimeUnixNano": None}, {"name": "late"}]},
    {"root_status": {"code": 1, "message": "fine"}},
    {"root_status": {"code": 0, "message": ""}},
    {"chat_attrs": [_kv("gen_ai.agent.name", "helper"), _kv("gen_ai.system", "openai")]},
    {"op": "text_completion"},
    # what opentelemetry-instrumentation-openai-v2 also writes: doubles, arrays, booleans
    {
        "chat_attrs": [
            {"key": "gen_ai.request.temperature", "value": {"doubleValue": 0.2}},
            {"key": "gen_ai.request.top_p", "value": {"doubleValue": 1}},
            {
                "key": "gen_ai.response.finish_reasons",
                "value": {"arrayValue": {"values": [{"stringValue": "stop"}]}},
            },
            {"key": "server.port", "value": {"intValue": "443"}},
            {"key": "stream", "value": {"boolValue": False}},
        ]
    },
    {"chat_attrs": [{"key": "tags", "value": {"arrayValue": {"values": []}}}]},
    # an attribute on several spans: once when the values agree, else per span ("name #2")
    {"app_attrs": [_kv("gen_ai.provider.name", "openai")]},
    {"app_attrs": [_kv("env", "prod")], "chat_attrs": [_kv("env", "staging")]},
    {
        "app_attrs": [_kv("env", "a")],
        "extra_spans": [
            {"name": "agent", "attributes": [_kv("env", "b")]},
            {"name": "agent", "attributes": [_kv("env", "c"), _kv("n", 1)]},
        ],
    },
    # text that needs escaping, at both JSON levels (the span line and the messages in it)
    {
        "inputs": [{"role": "user", "parts": _parts('say "hi"\\n\ttab \\ é 🙂 \u0000 </s>')}],
        "chat_attrs": [_kv("note", 'a "quoted" \\ value\nwith a newline 🙂')],
    },
    {"root_parent": "ABCDEF0123456789"},  # a parent outside the file: still the root
    {"extra_spans": [{"spanId": "00000000deadbeef"}]},  # the same span id in other traces
]


def _varied_lines(n: int) -> list[dict[str, Any]]:
    lines = []
    for i in range(n):
        options = VARIED[i % len(VARIED)]
        line = _trace(i, **options)
        spans = line["resourceSpans"][0]["scopeSpans"][0]["spans"]
        for s in spans:
            if s.get("startTimeUnixNano", "") is None:  # the tie: the chat span's start
                s["startTimeUnixNano"] = spans[0 if options.get("chat_first") else 1][
                    "startTimeUnixNano"
                ]
        lines.append(line)
    return lines


def test_varied_common_shapes_are_taken_and_give_the_careful_frame(tmp_path: Path) -> None:
    path = _write(tmp_path / "spans.jsonl", _varied_lines(3 * len(VARIED)))
    assert _same_as_careful(path)
    frame = read_fast_otlp(path)
    assert frame is not None and len(frame) == 3 * len(VARIED)


def test_uppercase_hex_ids_are_lowercased_like_the_careful_reader(tmp_path: Path) -> None:
    lines = _varied_lines(4)
    for line in lines:
        for s in line["resourceSpans"][0]["scopeSpans"][0]["spans"]:
            for key in ("traceId", "spanId", "parentSpanId"):
                if key in s:
                    s[key] = s[key].upper().replace("0", "A")
    assert _same_as_careful(_write(tmp_path / "upper.jsonl", lines))


def test_pieces_of_a_large_file_give_the_careful_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from evalkit.traces import _fast_pieces

    monkeypatch.setattr(_fast_pieces, "PIECE", 4096)  # many pieces, lines cut across them
    parsed = []  # the pieces the reader parsed (it once kept its own piece size)
    real_parse = _fast_pieces.parse
    monkeypatch.setattr(
        _fast_pieces, "parse", lambda b, **kw: parsed.append(b) or real_parse(b, **kw)
    )
    path = _write(tmp_path / "many.jsonl", _varied_lines(120))
    assert _same_as_careful(path)
    # (parsed in worker threads: in any order)
    assert len(parsed) > 10 and sum(map(len, parsed)) == path.stat().st_size


def _mutate(line: dict[str, Any], what: str) -> None:
    rs = line["resourceSpans"][0]
    spans = rs["scopeSpans"][0]["spans"]
    root, chat = spans[0], spans[1]
    if what == "base64 ids":
        import base64

        root["spanId"] = base64.b64encode(bytes.fromhex(root["spanId"])).decode()
        chat["parentSpanId"] = root["spanId"]
    elif what == "events":
        chat["events"] = [{"name": "gen_ai.choice", "timeUnixNano": "1", "attributes": []}]
    elif what == "deeper tree":
        spans.append({**copy.deepcopy(chat), "spanId": "f" * 16, "parentSpanId": chat["spanId"]})
        spans[-1]["attributes"] = []
    elif what == "tool span":
        chat["attributes"][0] = _kv("gen_ai.operation.name", "execute_tool")
    elif what == "retrieval documents":
        root["attributes"].append(_kv("gen_ai.retrieval.documents", "[]"))
    elif what == "error status":
        root["status"] = {"code": 2, "message": "boom"}
    elif what == "double value as text":
        chat["attributes"].append({"key": "t", "value": {"doubleValue": "0.5"}})
    elif what == "array of numbers":
        values = [{"intValue": "1"}]
        chat["attributes"].append({"key": "t", "value": {"arrayValue": {"values": values}}})
    elif what == "kvlist value":
        chat["attributes"].append({"key": "t", "value": {"kvlistValue": {"values": []}}})
    elif what == "attribute twice in a span":
        chat["attributes"].append(_kv("gen_ai.provider.name", "other"))
    elif what == "two chat spans":
        root["attributes"].append(_kv("gen_ai.operation.name", "chat"))
    elif what == "tool call parts":
        msgs = [{"role": "assistant", "parts": [{"type": "tool_call", "name": "f", "id": "1"}]}]
        chat["attributes"].append(_kv("gen_ai.output.messages", json.dumps(msgs)))
        chat["attributes"] = [a for a in chat["attributes"][:-1] if "output" not in a["key"]] + [
            chat["attributes"][-1]
        ]
    elif what == "messages not an array":
        chat["attributes"] = [
            _kv("gen_ai.input.messages", "hello") if a["key"] == "gen_ai.input.messages" else a
            for a in chat["attributes"]
        ]
    elif what == "messages as an object":
        chat["attributes"] = [
            _kv("gen_ai.input.messages", '{"role": "user"}')
            if a["key"] == "gen_ai.input.messages"
            else a
            for a in chat["attributes"]
        ]
    elif what == "two traces on a line":
        chat["traceId"] = "e" * 32
    elif what == "parent cycle":
        root["parentSpanId"] = chat["spanId"]
    elif what == "span id twice":
        chat["spanId"] = root["spanId"]
        chat.pop("parentSpanId")
    elif what == "no start time":
        del chat["startTimeUnixNano"]
    elif what == "start time zero":
        chat["startTimeUnixNano"] = "0"
    elif what == "start time with spaces":
        chat["startTimeUnixNano"] = " 5"
    elif what == "intValue text":
        chat["attributes"].append({"key": "n", "value": {"intValue": "1_000"}})
    elif what == "empty value":
        chat["attributes"].append({"key": "n", "value": {}})
    elif what == "tokens as text":
        chat["attributes"] = [
            _kv("gen_ai.usage.input_tokens", "12") if a["key"] == "gen_ai.usage.input_tokens" else a
            for a in chat["attributes"]
        ]
    elif what == "session id as a number":
        root["attributes"][0] = _kv("session.id", 7)
    elif what == "indexed prompt attributes":
        chat["attributes"].append(_kv("gen_ai.prompt.0.role", "user"))
    elif what == "old scope name":
        rs["instrumentationLibrarySpans"] = rs.pop("scopeSpans")
    elif what == "unknown role spelling":
        msgs = [{"role": None, "parts": _parts("x")}]
        chat["attributes"] = [
            _kv("gen_ai.input.messages", json.dumps(msgs))
            if a["key"] == "gen_ai.input.messages"
            else a
            for a in chat["attributes"]
        ]
    elif what == "pretty-printed messages":
        chat["attributes"] = [
            _kv(a["key"], json.dumps(json.loads(a["value"]["stringValue"]), indent=2))
            if a["key"] == "gen_ai.input.messages"
            else a
            for a in chat["attributes"]
        ]
    elif what == "langfuse level":
        root["attributes"].append(_kv("langfuse.observation.level", "ERROR"))
    else:  # pragma: no cover - a typo in the list below
        raise AssertionError(what)


STEPS_ASIDE = [
    "base64 ids",
    "events",
    "deeper tree",
    "tool span",
    "retrieval documents",
    "error status",
    "double value as text",
    "array of numbers",
    "kvlist value",
    "attribute twice in a span",
    "two chat spans",
    "tool call parts",
    "messages not an array",
    "messages as an object",
    "two traces on a line",
    "parent cycle",
    "span id twice",
    "no start time",
    "start time zero",
    "start time with spaces",
    "intValue text",
    "empty value",
    "tokens as text",
    "session id as a number",
    "indexed prompt attributes",
    "old scope name",
    "unknown role spelling",
    "langfuse level",
]
#: mutations the fast path may take (then its frame is the careful one) or leave
EITHER = ["pretty-printed messages"]


@pytest.mark.parametrize("what", EITHER)
def test_shapes_it_may_take_give_the_careful_frame(tmp_path: Path, what: str) -> None:
    lines = _varied_lines(6)
    _mutate(lines[3], what)
    _same_as_careful(_write(tmp_path / "either.jsonl", lines))


@pytest.mark.parametrize("what", STEPS_ASIDE)
def test_shapes_it_does_not_know_go_to_the_careful_reader(tmp_path: Path, what: str) -> None:
    lines = _varied_lines(6)
    _mutate(lines[3], what)
    path = _write(tmp_path / "odd.jsonl", lines)
    assert read_fast_otlp(path) is None
    # ... and the careful reader reads (or reports) every line
    careful, errors = _careful(path)
    assert len(careful) + len({e.line for e in errors}) >= 5


def test_a_trace_split_over_two_lines_goes_to_the_careful_reader(tmp_path: Path) -> None:
    lines = _varied_lines(4)
    second = copy.deepcopy(lines[1])
    spans = second["resourceSpans"][0]["scopeSpans"][0]["spans"]
    second["resourceSpans"][0]["scopeSpans"][0]["spans"] = [
        {**spans[1], "spanId": "d" * 16, "attributes": [_kv("late", "yes")]}
    ]
    lines.append(second)  # the same trace id again, three lines later
    path = _write(tmp_path / "split.jsonl", lines)
    assert read_fast_otlp(path) is None
    assert len(load_traces(path)) == 4  # the careful reader joins the two halves


def test_blank_lines_and_single_documents_go_to_the_careful_reader(tmp_path: Path) -> None:
    lines = _varied_lines(3)
    blank = tmp_path / "blank.jsonl"
    blank.write_text(json.dumps(lines[0]) + "\n\n" + json.dumps(lines[1]) + "\n")
    assert read_fast_otlp(blank) is None
    single = tmp_path / "single.json"  # one line: a document to the careful reader
    single.write_text(json.dumps(lines[0]) + "\n")
    assert read_fast_otlp(single) is None
    two = _write(tmp_path / "two.json", lines)  # several lines of a .json file: JSON Lines
    assert _same_as_careful(two)


def _hex(value: Any) -> Any:
    """A base64 id (protobuf's ``MessageToJson``) as the hex an OTLP/JSON file exporter writes."""
    import base64
    import binascii

    if not isinstance(value, str) or len(value) not in (12, 24) or not value.endswith("="):
        return value
    try:
        return base64.b64decode(value, validate=True).hex()
    except (binascii.Error, ValueError):
        return value


def _as_lines(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """A document's spans as JSON Lines, one trace per line (keeping resource and scope).

    Ids become hex, as the OpenTelemetry Collector's file exporter writes them.
    """
    by_trace: dict[str, list[tuple[Any, Any, Any]]] = {}
    for rs in doc.get("resourceSpans", []):
        for ss in rs.get("scopeSpans", []):
            for span in ss.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = _hex(span[key])
                by_trace.setdefault(span.get("traceId"), []).append((rs, ss, span))
    out = []
    for members in by_trace.values():
        rs, ss = members[0][0], members[0][1]
        scope = {k: v for k, v in ss.items() if k != "spans"}
        scope["spans"] = [span for _, _, span in members]
        res = {k: v for k, v in rs.items() if k != "scopeSpans"}
        res["scopeSpans"] = [scope]
        out.append({"resourceSpans": [res]})
    return out


def _otlp_fixtures() -> list[Path]:
    return sorted(
        p
        for p in FIXTURES.rglob("*.json*")
        if p.suffix in (".json", ".jsonl") and b'"resourceSpans"' in p.read_bytes()[:100_000]
    )


@pytest.mark.parametrize("path", _otlp_fixtures(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_as_lines_gives_the_careful_frame_or_steps_aside(
    path: Path, tmp_path: Path
) -> None:
    text = path.read_text(encoding="utf-8", errors="surrogatepass")
    try:
        docs = [json.loads(text)] if path.suffix == ".json" else None
    except ValueError:
        docs = None  # a malformed fixture: as it is
    if docs is None:
        target = tmp_path / (path.stem + ".jsonl")
        target.write_bytes(path.read_bytes())
    else:
        target = _write(tmp_path / (path.stem + ".jsonl"), _as_lines(docs[0]))
    _same_as_careful(target)  # taken: equal; stepped aside: fine


def test_the_bundled_genai_lines_fixture_is_taken(tmp_path: Path) -> None:
    assert _same_as_careful(FIXTURES / "otel" / "genai_lines.jsonl")


MUTATIONS = st.lists(
    st.sampled_from([*STEPS_ASIDE, *EITHER, None, None, None]), min_size=1, max_size=4
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(picks=MUTATIONS, n=st.integers(1, 8), data=st.data())
def test_fuzz_fast_frame_is_the_careful_one_or_none(
    tmp_path: Path, picks: list[str | None], n: int, data: st.DataObject
) -> None:
    lines = _varied_lines(n)
    for what in picks:
        if what is not None:
            # two mutations may not compose (the old scope name, then another): skip the second
            with contextlib.suppress(KeyError, ValueError, IndexError):
                _mutate(lines[data.draw(st.integers(0, n - 1))], what)
    path = _write(tmp_path / "fuzz.jsonl", lines)
    _same_as_careful(path)


@pytest.mark.parametrize("width", range(1, 11))
def test_records_are_dict_zip_at_every_width(width: int) -> None:
    from evalkit.traces._fast_frame import records

    keys = [f"k{j}" for j in range(width)]
    columns = [[f"{j}-{i}" for i in range(5)] for j in range(width)]
    expected = [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]
    got = records(keys, columns)
    assert got == expected
    assert [list(d) for d in got] == [keys] * 5  # the key order too


def test_iso_text_is_iso_ns() -> None:
    import numpy as np

    from evalkit.traces._otlp import _MAX_NANOS
    from evalkit.traces._otlp_fast_rows import iso_text
    from evalkit.traces._spans import iso_ns

    rng = np.random.default_rng(7)
    ns = np.concatenate(
        [[1, 999_999_999, 1_000_000_000, _MAX_NANOS], rng.integers(1, _MAX_NANOS, 2000)]
    ).astype(np.int64)
    assert iso_text(ns).to_pylist() == [iso_ns(int(v)) for v in ns]


def test_the_garbage_collector_is_back_on_after_a_fast_read_or_a_step_aside(
    tmp_path: Path,
) -> None:
    import gc

    good = _write(tmp_path / "good.jsonl", _varied_lines(3))
    lines = _varied_lines(3)
    _mutate(lines[1], "events")
    odd = _write(tmp_path / "odd.jsonl", lines)
    assert gc.isenabled()
    assert read_fast_otlp(good) is not None and gc.isenabled()
    assert read_fast_otlp(odd) is None and gc.isenabled()


@settings(max_examples=300, deadline=None)
@given(
    ids=st.lists(
        st.one_of(
            st.text("0123456789abcdefABCDEF", min_size=15, max_size=33),
            st.text(min_size=0, max_size=33),
            st.sampled_from(["0" * 16 + "\n", "é" * 16, "0" * 16, "f" * 32]),
        ),
        max_size=6,
    ),
    start=st.integers(0, 2),
)
def test_hex_ids_is_the_regular_expression(ids: list[str], start: int) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    from evalkit.traces._otlp_fast import _HEX, _hex_ids

    arr = pa.array(["x"] * start + ids, pa.string()).slice(start)
    want = bool(pc.all(pc.match_substring_regex(arr, _HEX)).as_py() in (True, None))
    assert _hex_ids(arr) == want

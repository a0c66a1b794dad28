"""failure_transitions from span status: the readers' metadata["spans"] and the derivation rule."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit import load_traces
from evalkit.errors import TraceWarning
from evalkit.taxonomy import TaxonomyError, failure_transitions
from evalkit.traces.schema import SPAN_KEYS

FIX = Path(__file__).parents[1] / "fixtures" / "traces"
SPANS = FIX / "spans"
REAL = FIX / "real"


def _load(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TraceWarning)  # errored traces have no output
        return load_traces(path)


def _pairs(df: pd.DataFrame, **kw: object) -> list[list[str]]:
    return failure_transitions(df, steps="spans", **kw).members.to_numpy().tolist()


def test_otlp_genai_error_status_gives_the_failing_step() -> None:
    df = _load(SPANS / "otel_agent_errors.json")
    steps = df["metadata"].iloc[0]["spans"]
    assert all(tuple(s) == SPAN_KEYS for s in steps)
    # trace A: agent ERROR > chat OK, execute_tool ERROR: the agent failed because the tool did;
    # the step before the tool on its level is the chat. Trace B: all UNSET (no failure).
    # Trace C: agent ERROR > chat ERROR ("STATUS_CODE_ERROR" spelling), nothing ran before it.
    assert _pairs(df) == [
        ["a1000000000000000000000000000001", "chat gpt-4o-mini", "execute_tool get_weather"],
        ["c3000000000000000000000000000003", "(start)", "chat gpt-4o-mini"],
    ]
    assert _pairs(df, state="kind") == [
        ["a1000000000000000000000000000001", "chat", "execute_tool"],
        ["c3000000000000000000000000000003", "(start)", "chat"],
    ]
    tool = steps[2]
    assert (tool["status"], tool["message"]) == ("error", "weather service timeout")
    assert (tool["start"], tool["end"]) == (
        "2026-01-01T00:00:00.310000000Z",  # 1767225600 s + 310 ms, as written in the file
        "2026-01-01T00:00:00.890000000Z",
    )
    assert [s["status"] for s in df["metadata"].iloc[1]["spans"]] == ["unset"] * 4
    res = failure_transitions(df, steps="spans")
    assert (res.n_traces, res.n_failing, res.n_without_steps) == (3, 2, 0)
    q = res.queue("(start)", "chat gpt-4o-mini")
    assert q["trace_id"].tolist() == ["c3000000000000000000000000000003"]


def test_openinference_langfuse_langsmith_errors() -> None:
    # each: a pipeline whose second step (retrieve / get_weather) fails after a first one worked
    assert _pairs(_load(SPANS / "openinference_errors.json")) == [
        ["d4000000000000000000000000000004", "rewrite-query", "retrieve"]
    ]
    lf = _load(SPANS / "langfuse_errors.json")
    assert _pairs(lf) == [["lf-1", "plan", "get_weather"]]
    assert lf["metadata"].iloc[0]["spans"][2]["message"] == "weather service timeout"
    ls = _load(SPANS / "langsmith_errors.jsonl")
    assert _pairs(ls, state="kind") == [
        ["01a00000-0000-7000-8000-000000000001", "llm", "retriever"]
    ]
    assert [s["status"] for s in ls["metadata"].iloc[0]["spans"]] == ["error", "ok", "error"]


def test_phoenix_parquet_status_code(tmp_path: Path) -> None:
    t0 = pd.Timestamp("2024-11-07 17:20:00", tz="UTC")
    rows = [
        ("s-root", None, "agent", "CHAIN", 0, 900, "ERROR", "tool failed"),
        ("s-llm", "s-root", "ChatCompletion", "LLM", 10, 300, "OK", ""),
        ("s-tool", "s-root", "lookup", "TOOL", 310, 890, "ERROR", "KeyError: 'order'"),
    ]
    frame = pd.DataFrame(
        [
            {
                "context.span_id": sid,
                "context.trace_id": "trace-p",
                "parent_id": parent,
                "name": name,
                "span_kind": kind,
                "start_time": t0 + pd.Timedelta(milliseconds=a),
                "end_time": t0 + pd.Timedelta(milliseconds=b),
                "status_code": code,
                "status_message": msg,
                "attributes.input.value": "q",
                "attributes.output.value": None,
            }
            for sid, parent, name, kind, a, b, code, msg in rows
        ]
    )
    p = tmp_path / "spans.parquet"
    frame.to_parquet(p)
    df = _load(p)
    steps = df["metadata"].iloc[0]["spans"]
    assert [(s["name"], s["status"], s["message"]) for s in steps] == [
        ("agent", "error", "tool failed"),
        ("ChatCompletion", "ok", None),
        ("lookup", "error", "KeyError: 'order'"),
    ]
    assert steps[1]["start"] == "2024-11-07T17:20:00.010000000Z"
    assert _pairs(df) == [["trace-p", "ChatCompletion", "lookup"]]


def test_real_client_files_keep_their_span_statuses() -> None:
    for name in (
        "otel_span_only_spans.json",
        "openinference_spans.json",
        "langfuse_otel_spans.json",
    ):
        raw = json.loads((REAL / name).read_text())
        codes = {
            s["spanId"]: s.get("status", {}).get("code")
            for rs in raw["resourceSpans"]
            for ss in rs["scopeSpans"]
            for s in ss["spans"]
        }
        df = _load(REAL / name)
        steps = [s for m in df["metadata"] for s in m["spans"]]
        assert len(steps) == len(codes), name
        # protobuf JSON writes STATUS_CODE_OK as "STATUS_CODE_OK" and omits UNSET
        expected = {None: "unset", "STATUS_CODE_OK": "ok", 1: "ok"}
        assert all(s["status"] == expected[codes[_b64(s["span_id"], codes)]] for s in steps)
        res = failure_transitions(df, steps="spans")
        assert (res.n_failing, res.n_traces) == (0, len(df))
    ls = _load(REAL / "langsmith_runs.jsonl")
    assert len(ls["metadata"].iloc[0]["spans"]) == 4  # the four runs of the file


def _b64(hex_id: str, codes: dict[str, object]) -> str:
    import base64

    if hex_id in codes:
        return hex_id
    b64 = base64.b64encode(bytes.fromhex(hex_id)).decode()
    assert b64 in codes
    return b64


def test_inspect_sample_error_is_charged_to_the_running_solver() -> None:
    for name in ("inspect_log.json", "inspect_log.eval"):
        df = _load(REAL / name)
        # generate_inspect.py raises inside the `explode` solver for sample "broken"; Inspect
        # logs the error as an event outside every span: `explode` was the last span begun,
        # after `use_tools` on the same level (both children of `solvers`).
        res = failure_transitions(df, steps="spans")
        assert res.members[["last_ok", "first_fail"]].to_numpy().tolist() == [
            ["use_tools", "explode"]
        ]
        assert res.n_traces == 2


def test_sample_data_has_spans_but_no_failing_step() -> None:
    df = _load(Path(__file__).parents[2] / "data" / "traces")
    with pytest.warns(TraceWarning, match=r"200 of 600 traces have no 'spans' steps"):
        res = failure_transitions(df, steps="spans")
    # 400 span-based traces (100 each: langfuse, langsmith, openinference, otel_genai), all ok:
    # the planted failures are answer quality, not errors (no span of the generator errs)
    assert (res.n_traces, res.n_without_steps, res.n_failing) == (400, 200, 0)


def test_a_source_spans_key_is_moved_not_lost(tmp_path: Path) -> None:
    doc = json.loads((SPANS / "langfuse_errors.json").read_text())
    doc["data"][0]["metadata"] = {"spans": "the app's own value"}
    p = tmp_path / "lf.json"
    p.write_text(json.dumps(doc))
    meta = _load(p)["metadata"].iloc[0]
    assert meta["metadata.spans"] == "the app's own value"
    assert meta["spans"][2]["name"] == "get_weather"


def test_saved_and_reloaded_traces_keep_spans(tmp_path: Path) -> None:
    from evalkit.traces._save import save_traces

    df = _load(SPANS / "otel_agent_errors.json")
    p = tmp_path / "t.parquet"
    save_traces(df, p)
    back = _load(p)
    assert _pairs(back) == _pairs(df)


def test_steps_errors_and_state_options() -> None:
    df = pd.DataFrame({"trace_id": ["a"], "output": ["x"]})
    with pytest.raises(TaxonomyError, match=r"`steps` 'spans' is neither a column.*metadata"):
        failure_transitions(df, steps="spans")
    steps = pd.DataFrame(
        {"trace_id": ["a"], "s": [[{"name": "x", "status": "ok"}, {"name": "y", "status": "bad"}]]}
    )
    with pytest.raises(TaxonomyError, match=r"`state` must be one of 'name', 'kind'.*got 'kin'"):
        failure_transitions(steps, steps="s", state="kin")
    assert _upper(steps) == [["a", "X", "Y"]]
    with pytest.raises(TaxonomyError, match=r"trace 'a': the state of step 1 must be text; got 3"):
        failure_transitions(steps, steps="s", state=lambda s: 3)
    with pytest.raises(TaxonomyError, match=r"trace 'a': steps must be a list of dicts; got int"):
        failure_transitions(steps.assign(s=[5]), steps="s")
    with pytest.raises(TaxonomyError, match=r"text that is not JSON"):
        failure_transitions(steps.assign(s=["[oops"]), steps="s")
    as_json = steps.assign(s=[json.dumps(steps["s"].iloc[0])])
    assert failure_transitions(as_json, steps="s").members["first_fail"].tolist() == ["y"]


def _upper(df: pd.DataFrame) -> list[list[str]]:
    res = failure_transitions(df, steps="s", state=lambda s: s["name"].upper())
    return res.members.to_numpy().tolist()


def test_flat_steps_keep_the_pipeline_rule() -> None:
    # no span ids: list order is the pipeline; the first failing step, and the one before it
    rows = [
        [{"name": "plan", "status": "ok"}, {"name": "search", "status": "timeout"}],
        [{"name": "plan", "status": "error"}, {"name": "search", "status": "error"}],
        [{"name": "plan", "status": None}, {"name": "answer", "status": "SUCCESS"}],
    ]
    df = pd.DataFrame({"trace_id": ["1", "2", "3"], "steps": rows})
    assert _pairs_of(df) == [["1", "plan", "search"], ["2", "(start)", "plan"]]


def _pairs_of(df: pd.DataFrame) -> list[list[str]]:
    return failure_transitions(df, steps="steps").members.to_numpy().tolist()


_step = st.fixed_dictionaries(
    {
        "name": st.one_of(st.none(), st.text(max_size=4), st.integers()),
        "status": st.one_of(
            st.none(), st.sampled_from(["ok", "error", "unset", "x"]), st.integers()
        ),
        "span_id": st.one_of(st.none(), st.sampled_from("abcd")),
        "parent_id": st.one_of(st.none(), st.sampled_from("abcde")),
    }
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.lists(_step, max_size=6), st.none(), st.integers()), max_size=4))
def test_fuzz_steps(values: list[object]) -> None:
    df = pd.DataFrame({"trace_id": [str(i) for i in range(len(values))], "s": values})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TraceWarning)
            res = failure_transitions(df, steps="s")
    except TaxonomyError:
        return
    for tid, _, first in res.members.to_numpy().tolist():
        failing = [s for s in values[int(tid)] if s["status"] not in (None, "ok", "unset")]  # type: ignore[union-attr,index]
        assert any(str(s["name"] or "(unnamed)") == first for s in failing) or first == "(unnamed)"


@pytest.mark.parametrize(
    ("name", "tool", "chat"),
    [
        ("otel_error_spans.json", "execute_tool get_weather", "chat gpt-4o-mini"),
        ("openinference_error_spans.json", "get_weather", "ChatCompletion"),
    ],
)
def test_real_client_failure_gives_tool_then_chat(name: str, tool: str, chat: str) -> None:
    # generate_errors.py: chat 1 ok, the app's tool span ok, chat 2 gets HTTP 500 from the real
    # openai client; the SDK marks the app span failed too (the exception passed through it)
    df = _load(REAL / name)
    steps = df["metadata"].iloc[0]["spans"]
    assert steps[0]["status"] == "error" and steps[-1]["status"] == "error"
    assert "Error code: 500" in steps[-1]["message"]
    res = failure_transitions(df, steps="spans")
    assert res.members[["last_ok", "first_fail"]].to_numpy().tolist() == [[tool, chat]]
    assert res.statistic == 1.0 and res.n_failing == 1


def test_odd_otlp_status_values_never_break_a_load(tmp_path: Path) -> None:
    doc = json.loads((SPANS / "otel_agent_errors.json").read_text())
    spans = doc["resourceSpans"][0]["scopeSpans"][0]["spans"]
    spans[0]["status"] = {"code": [2], "message": {"x": 1}}  # unhashable code, object message
    spans[1]["status"] = {"code": 7}
    spans[2]["status"] = "ERROR"  # not an object: the reader keeps no status
    p = tmp_path / "odd.json"
    p.write_text(json.dumps(doc))
    steps = _load(p)["metadata"].iloc[0]["spans"]
    assert [(s["status"], s["message"]) for s in steps] == [
        ("unset", '{"x": 1}'),
        ("unset", None),
        ("unset", None),
    ]


def test_inspect_events_of_any_shape() -> None:
    from evalkit.traces._spans import from_inspect

    events = [
        {"event": "span_begin", "id": "a", "name": "solver", "type": "solver"},
        {"event": "span_end", "id": ["not", "hashable"]},
        {"event": "tool", "span_id": {"x": 1}, "error": {"message": "boom"}},
        {"event": "tool", "span_id": "a", "error": "tool failed"},
        {"event": "span_begin", "id": "b", "name": None, "timestamp": "not a time"},
        "not an event",
    ]
    steps = from_inspect(events, sample_error=None)
    assert [(s["name"], s["status"], s["message"], s["start"]) for s in steps] == [
        ("solver", "error", "tool failed", None),
        (None, "ok", None, None),
    ]
    # no spans but an error: one "sample" step carries it
    assert from_inspect("junk", {"message": "crashed"})[0]["message"] == "crashed"


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["event", "id", "span_id", "parent_id", "name", "error", "timestamp"]),
            st.one_of(
                st.none(),
                st.sampled_from(["span_begin", "span_end", "error", "tool", "a", "b"]),
                st.integers(),
                st.lists(st.integers(), max_size=2),
                st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
            ),
        ),
        max_size=8,
    ),
    st.one_of(st.none(), st.text(max_size=5), st.dictionaries(st.text(max_size=3), st.text())),
)
def test_fuzz_inspect_spans(events: list[dict[str, object]], error: object) -> None:
    from evalkit.traces._spans import from_inspect

    steps = from_inspect(events, error)
    assert all(s["status"] in ("ok", "error") for s in steps)


def test_tool_call_ids_that_are_not_text_do_not_crash_the_inspect_reader() -> None:
    # found by tests/traces/test_langfuse_langsmith_inspect_csv_fuzz.py (a mutated Inspect log)
    from evalkit.traces._common_messages import tool_calls_from_messages

    messages = [
        {"role": "assistant", "tool_calls": [{"id": ["x"], "name": "f", "arguments": "{}"}]},
        {"role": "tool", "tool_call_id": ["x"], "content": "r"},
    ]
    assert tool_calls_from_messages(messages) == [{"name": "f", "arguments": {}, "result": None}]

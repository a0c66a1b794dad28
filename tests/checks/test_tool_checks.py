"""Tool-call checks on hand-made frames, the real-client fixtures and the sample data."""

from __future__ import annotations

import copy

import pandas as pd
import pytest

import evalkit
from evalkit import checks
from evalkit.checks import CheckError
from evalkit.sample_data import load_ground_truth

from .conftest import FIXTURES, frame, verdicts

INVOICE = {"type": "object", "required": ["invoice_id"],
           "properties": {"invoice_id": {"type": "string"}}}


def call(name: str, **args: object) -> dict:
    return {"name": name, "arguments": args, "result": None}


def test_tool_called_and_not_called() -> None:
    t = frame(tool_calls=[[call("get_invoice", invoice_id="1")], [call("lookup")], [], None],
              segment=["billing", "billing", "billing", "legal"])
    assert verdicts(t, checks.tool_called("get_invoice")) == ["pass", "fail", "fail", "fail"]
    assert verdicts(t, checks.tool_not_called("get_invoice")) == ["fail", "pass", "pass", "pass"]
    scoped = checks.tool_called("get_invoice", segments=["billing"])
    assert verdicts(t, scoped) == ["pass", "fail", "fail", "n/a"]
    twice = checks.tool_called("lookup", min_count=2)
    assert verdicts(frame(tool_calls=[[call("lookup")] * 2, [call("lookup")]]), twice) == [
        "pass", "fail"]


@pytest.mark.parametrize(("kw", "match"), [
    ({"name": ""}, "`name` must be a tool name"),
    ({"name": "x", "min_count": 0}, "`min_count` must be a positive integer"),
    ({"name": "x", "segments": "billing"}, "`segments` must be a list of non-empty strings"),
])
def test_tool_called_bad_arguments(kw: dict, match: str) -> None:
    with pytest.raises(CheckError, match=match):
        checks.tool_called(**kw)


def test_tool_args_valid_with_given_schemas() -> None:
    t = frame(tool_calls=[[call("get_invoice", invoice_id="INV-1")],
                          [call("get_invoice", id=1)],
                          [{"name": "get_invoice", "arguments": "{invoice: 1", "result": None}],
                          [call("delete_everything")], []])
    c = checks.tool_args_valid({"get_invoice": INVOICE}, from_trace=False)
    r = c(t)
    assert r["verdict"].astype(str).tolist() == ["pass", "fail", "fail", "fail", "n/a"]
    assert r["reason"].tolist()[1:] == [
        "get_invoice: $: 'invoice_id' is a required property",
        "get_invoice: arguments are not JSON: '{invoice: 1'",
        "delete_everything: not among the defined tools ['get_invoice']",
        "no tool calls",
    ]


def test_tool_args_valid_bad_given_schema_is_a_typed_error() -> None:
    with pytest.raises(CheckError, match="schema of tool 'f' does not compile"):
        checks.tool_args_valid({"f": {"type": 5}})
    with pytest.raises(CheckError, match="needs `schemas=` or from_trace=True"):
        checks.tool_args_valid(from_trace=False)


def test_tool_schemas_reads_every_recorded_shape() -> None:
    params = {"type": "object", "properties": {"q": {"type": "string"}}}
    openai = {"tools": [{"type": "function", "function": {"name": "a", "parameters": params}}]}
    anthropic = {"tools": [{"name": "b", "input_schema": params}]}
    openinference = {"llm.tools": [{"tool": {"json_schema": '{"name": "c", "parameters": '
                                             '{"type": "object"}}'}}]}
    otel = {"attributes": {"gen_ai.tool.definitions": '[{"name": "d", "parameters": {}}]'}}
    assert checks.tool_schemas(openai) == {"a": params}
    assert checks.tool_schemas(anthropic) == {"b": params}
    assert checks.tool_schemas(openinference) == {"c": {"type": "object"}}
    assert checks.tool_schemas(otel) == {"d": {}}
    assert checks.tool_schemas({"tools": "garbage"}) == {} == checks.tool_schemas(None)


def test_tool_args_valid_on_openai_log_fixture() -> None:
    # A1 records `tools` in the request and its call fits; A2's request has no tools (n/a);
    # A3 calls cancel_plan with arguments that are not JSON ('{plan: pro').
    t = evalkit.load_traces(FIXTURES / "openai" / "log_pairs.jsonl")
    r = checks.tool_args_valid()(t).set_index("trace_id")
    assert r.loc["chatcmpl-A1", "verdict"] == "pass"
    assert r.loc["chatcmpl-A2", "reason"] == "no tool schema in the trace"
    assert r.loc["chatcmpl-A3", "verdict"] == "n/a"
    given = checks.tool_args_valid({"cancel_plan": {"type": "object"}})(t).set_index("trace_id")
    assert given.loc["chatcmpl-A3", "reason"] == "cancel_plan: arguments are not JSON: '{plan: pro'"


def test_tool_args_valid_on_finetune_fixture_true_and_false_positive() -> None:
    t = evalkit.load_traces(FIXTURES / "openai" / "finetune.jsonl")
    with_tools = t[t["tool_calls"].map(len) > 0]
    assert verdicts(with_tools, checks.tool_args_valid()) == ["pass"]
    broken = with_tools.copy()
    broken["tool_calls"] = [[{"name": "get_invoice", "arguments": {"invoice_id": 42}}]]
    r = checks.tool_args_valid()(broken)
    assert r["reason"].tolist() == ["get_invoice: $.invoice_id: 42 is not of type 'string'"]


@pytest.mark.parametrize(("fixture", "expected"), [
    ("openai/finetune.jsonl", {"openai-7a879a2d30e9a2e8": "pass"}),  # INV-42 in the question
    ("langfuse/traces_full.json", {"lf-trace-001": "pass"}),  # "order 123" in the question
    ("openai/log_pairs.jsonl", {"chatcmpl-A1": "fail", "chatcmpl-A3": "n/a"}),  # vm-eu-1 unsaid
    ("openinference/phoenix_otlp.json", {"7d2f9a1c3b4e5f60718293a4b5c6d7e8": "fail"}),  # d-9
    ("otel/genai_current.json", {"4bf92f3577b34da6a3ce929d0e0e4736": "n/a"}),  # a query only
    ("langsmith/runs.jsonl", {"0f1e2d3c-0000-4000-8000-000000000001": "fail"}),  # A-1 unsaid
])
def test_no_invented_ids_on_real_client_fixtures(fixture: str, expected: dict) -> None:
    t = evalkit.load_traces(FIXTURES / fixture)
    r = checks.no_invented_ids()(t).set_index("trace_id")["verdict"].astype(str)
    assert {k: r[k] for k in expected} == expected


def test_no_invented_ids_ignores_ids_echoed_by_the_tool_itself() -> None:
    msgs = [
        {"role": "user", "content": "Where is my invoice?", "tool_calls": None},
        {"role": "assistant", "content": None,
         "tool_calls": [{"name": "get_invoice", "arguments": '{"invoice_id": "INV-9"}'}]},
        {"role": "tool", "content": '{"invoice_id": "INV-9"}', "tool_calls": None},
    ]
    t = frame(messages=[msgs], tool_calls=[[call("get_invoice", invoice_id="INV-9")]])
    r = checks.no_invented_ids()(t)
    assert r["reason"].tolist() == ["invented: invoice_id='INV-9' (get_invoice)"]


def test_no_invented_ids_keys_and_heuristics() -> None:
    msgs = [{"role": "user", "content": "status in eu-central please"}]
    calls = [[call("status", region="eu-west", note="hello world", amount="12.50")]]
    t = frame(messages=[msgs], tool_calls=calls)
    # by default region has no digit and is not an id key; amount is a number; note has spaces
    assert verdicts(t, checks.no_invented_ids()) == ["n/a"]
    assert verdicts(t, checks.no_invented_ids(keys=["region"])) == ["fail"]
    with pytest.raises(CheckError, match="`keys` must be a list of non-empty strings"):
        checks.no_invented_ids(keys="region")


def test_no_invented_ids_agrees_with_the_planted_ground_truth(sample_traces: pd.DataFrame) -> None:
    # Oracle: the generator's planted `invented_tool_params` traces (ids never given in the chat).
    gt = load_ground_truth().set_index("trace_id")["failure_mode"]
    v = checks.no_invented_ids(keys=["email", "invoice_id", "region"])(sample_traces)
    v = v.set_index("trace_id")["verdict"].astype(str)
    planted = gt.reindex(v.index) == "invented_tool_params"
    assert (v[planted] == "fail").all() and planted.sum() == 40
    assert (v[~planted] != "fail").all()


def test_tool_args_valid_finds_every_planted_schema_violation(
    sample_traces: pd.DataFrame, tool_schemas_from_openai: dict
) -> None:
    # The generator breaks 12 calls (amount as a string, values outside enums); the OpenAI log's
    # recorded tool definitions validate every format.
    r = checks.tool_args_valid(tool_schemas_from_openai)(sample_traces)
    bad = r[r["verdict"] == "fail"]
    assert len(bad) == 12
    assert bad["reason"].str.contains("is not of type 'number'|is not one of").all()


def test_tool_checks_do_not_mutate_the_frame(sample_traces: pd.DataFrame) -> None:
    before = copy.deepcopy(sample_traces["tool_calls"].tolist())
    evalkit.run_checks(sample_traces, [checks.tool_args_valid(), checks.no_invented_ids()])
    assert sample_traces["tool_calls"].tolist() == before

"""Per-distinct-value caches give what checking each trace on its own gives."""

from __future__ import annotations

import pandas as pd

import evalkit
from evalkit import checks

from .conftest import frame, verdicts


def test_lexical_overlap_grouped_equals_row_by_row(sample_traces: pd.DataFrame) -> None:
    # the Arrow path computes once per distinct (answer, documents); the object path per trace
    t = pd.concat([sample_traces, sample_traces.assign(
        trace_id=sample_traces["trace_id"].astype(str) + "-copy")], ignore_index=True)
    t = t[["trace_id", "output", "retrieved"]]
    grouped = evalkit.run_checks(t, [checks.lexical_overlap()], by=None).frame
    plain = t.assign(retrieved=pd.Series(t["retrieved"].astype(object).tolist(), dtype=object))
    rows = evalkit.run_checks(plain, [checks.lexical_overlap()], by=None).frame
    pd.testing.assert_frame_equal(grouped.astype(str), rows.astype(str))


def test_tool_args_cache_gives_each_call_its_own_verdict() -> None:
    schema = {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}
    calls = [[{"name": "f", "arguments": {"id": "a"}}], [{"name": "f", "arguments": {"id": 1}}],
             [{"name": "f", "arguments": {"id": True}}], [{"name": "f", "arguments": {"id": 1.0}}]]
    c = checks.tool_args_valid({"f": schema})
    # repeated and equal-looking arguments (1, 1.0, True) in one frame, then each alone
    t = frame(tool_calls=calls * 3)
    together = verdicts(t, c)
    alone = [verdicts(frame(tool_calls=[x]), checks.tool_args_valid({"f": schema}))[0]
             for x in calls * 3]
    assert together == alone == ["pass", "fail", "fail", "fail"] * 3


def test_no_invented_ids_grouped_conversations_equal_row_by_row(
        sample_traces: pd.DataFrame) -> None:
    # Arrow messages: equal conversations are checked once; object messages: one by one
    t = pd.concat([sample_traces, sample_traces.assign(
        trace_id=sample_traces["trace_id"].astype(str) + "-copy")], ignore_index=True)
    t = t[["trace_id", "messages", "tool_calls"]]
    grouped = evalkit.run_checks(t, [checks.no_invented_ids()], by=None).frame
    plain = t.assign(messages=pd.Series(t["messages"].astype(object).tolist(), dtype=object))
    rows = evalkit.run_checks(plain, [checks.no_invented_ids()], by=None).frame
    pd.testing.assert_frame_equal(grouped.astype(str), rows.astype(str))
    assert (grouped["verdict"] == "fail").sum() > 0


def test_no_invented_ids_equal_messages_but_other_tool_calls() -> None:
    import pyarrow as pa

    # the messages keep no calls, so the tool_calls column decides: not grouped away
    msgs = [{"role": "user", "content": "invoice INV-7 please"}]
    t = frame(tool_calls=[[{"name": "f", "arguments": {"invoice_id": "INV-7"}}],
                          [{"name": "f", "arguments": {"invoice_id": "INV-9"}}]])
    t["messages"] = pd.Series(pd.arrays.ArrowExtensionArray(pa.array([msgs, msgs])))
    assert verdicts(t, checks.no_invented_ids()) == ["pass", "fail"]

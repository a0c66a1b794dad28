"""Write LangSmith runs: one JSON object per line, the root run first within each trace."""

from __future__ import annotations

from typing import Any

import numpy as np

from evalkit.sample_data import _world as W
from evalkit.sample_data._rand import rand_uuid
from evalkit.sample_data._records import Trace
from evalkit.sample_data._writers._common import _dt, _meta, _openai_messages, dumps


def _ls_time(t: Trace, ms: float) -> str:
    return _dt(t, ms).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _ls_order(t: Trace, ms: float, run_id: str) -> str:
    return _dt(t, ms).strftime("%Y%m%dT%H%M%S%f") + "Z" + run_id


def _ls_run(
    t: Trace,
    project: str,
    runtime: dict[str, Any],
    run_id: str,
    name: str,
    run_type: str,
    start: float,
    end: float,
    inputs: dict[str, Any],
    outputs: dict[str, Any],
    metadata: dict[str, Any],
    **kw: Any,
) -> dict[str, Any]:
    """One LangSmith run of trace ``t`` (the root run when ``run_id`` is the trace id)."""
    rid = t.trace_id
    root_order = _ls_order(t, 0.0, rid)
    r: dict[str, Any] = {
        "id": run_id,
        "name": name,
        "run_type": run_type,
        "trace_id": rid,
        "parent_run_id": None if run_id == rid else rid,
        "dotted_order": root_order
        if run_id == rid
        else root_order + "." + _ls_order(t, start, run_id),
        "start_time": _ls_time(t, start),
        "end_time": _ls_time(t, end),
        "inputs": inputs,
        "outputs": outputs,
        "error": None,
        "status": "success",
        "extra": {"metadata": metadata, "runtime": runtime},
        "tags": [],
        "session_id": project,
        "events": [],
        "reference_example_id": None,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "total_tokens": 0,
        "prompt_cost": None,
        "completion_cost": None,
        "total_cost": None,
        "first_token_time": None,
    }
    r.update(kw)
    return r


def langsmith(traces: list[Trace], rng: np.random.Generator) -> str:
    """LangSmith runs, one JSON object per line, root run first within each trace."""
    project = rand_uuid(rng)
    runtime = {
        "sdk": "langsmith-py",
        "sdk_version": "0.3.11",
        "library": "langsmith",
        "runtime": "python",
        "runtime_version": "3.11.9",
    }
    lines: list[str] = []
    for t in traces:
        rid = t.trace_id
        _, _, p_in, p_out, _ = W.MODELS[t.model]
        children: list[dict[str, Any]] = []

        r0, r1 = t.retrieval_ms
        docs = [
            {
                "type": "Document",
                "page_content": d["text"],
                "metadata": {"id": d["id"], "title": d["title"], "score": d["score"]},
            }
            for d in t.retrieved
        ]
        children.append(
            _ls_run(
                t,
                project,
                runtime,
                rand_uuid(rng),
                "AcmeKBRetriever",
                "retriever",
                r0,
                r1,
                {"query": t.query},
                {"documents": docs},
                {"ls_retriever_name": "acme-kb"},
            )
        )
        tools = iter(t.tools)
        for call in t.calls:
            c_in = round(call.input_tokens * p_in / 1e6, 8)
            c_out = round(call.output_tokens * p_out / 1e6, 8)
            name = "ChatOpenAI" if t.provider == "openai" else "ChatAnthropic"
            children.append(
                _ls_run(
                    t,
                    project,
                    runtime,
                    rand_uuid(rng),
                    name,
                    "llm",
                    call.start_ms,
                    call.end_ms,
                    {"messages": _openai_messages(call.input_messages)},
                    {
                        "messages": _openai_messages([call.output]),
                        "finish_reason": call.finish_reason,
                    },
                    {
                        "ls_provider": t.provider,
                        "ls_model_name": t.model,
                        "ls_model_type": "chat",
                        "ls_temperature": 0.2,
                    },
                    prompt_tokens=call.input_tokens,
                    completion_tokens=call.output_tokens,
                    total_tokens=call.input_tokens + call.output_tokens,
                    prompt_cost=c_in,
                    completion_cost=c_out,
                    total_cost=round(c_in + c_out, 8),
                    first_token_time=_ls_time(t, call.start_ms + 400.0),
                )
            )
            if call.finish_reason == "tool_calls":
                tr = next(tools)
                children.append(
                    _ls_run(
                        t,
                        project,
                        runtime,
                        rand_uuid(rng),
                        tr.name,
                        "tool",
                        tr.start_ms,
                        tr.end_ms,
                        dict(tr.arguments),
                        {"output": tr.result},
                        {"tool_call_id": tr.call_id},
                    )
                )
        p_tok = sum(c.input_tokens for c in t.calls)
        c_tok = sum(c.output_tokens for c in t.calls)
        p_cost = round(sum(c["prompt_cost"] or 0 for c in children), 8)
        c_cost = round(sum(c["completion_cost"] or 0 for c in children), 8)
        history = [
            {"role": m["role"], "content": m["content"]}
            for m in t.messages[1:]
            if m["role"] in ("user", "assistant") and m["content"]
        ][:-2]
        root = _ls_run(
            t,
            project,
            runtime,
            rid,
            "acme_support_agent",
            "chain",
            0.0,
            t.latency_ms,
            {"input": t.input, "chat_history": history},
            {"output": t.output},
            {"segment": t.segment, "session_id": t.session_id, "user_id": t.user_id} | _meta(t),
            tags=["production"],
            prompt_tokens=p_tok,
            completion_tokens=c_tok,
            total_tokens=p_tok + c_tok,
            prompt_cost=p_cost,
            completion_cost=c_cost,
            total_cost=round(p_cost + c_cost, 8),
            child_run_ids=[c["id"] for c in children],
        )
        lines.append(dumps(root))
        lines += [dumps(c) for c in children]
    return "\n".join(lines) + "\n"

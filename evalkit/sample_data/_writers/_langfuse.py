"""Write the Langfuse public-API export: traces with their full observation trees."""

from __future__ import annotations

from typing import Any

import numpy as np

from evalkit.sample_data import _world as W
from evalkit.sample_data._rand import rand_hex
from evalkit.sample_data._records import Trace
from evalkit.sample_data._writers._common import APP_VERSION, _meta, _openai_messages, dumps, iso_z


def _lf_obs(
    t: Trace,
    obs_id: str,
    parent: str | None,
    typ: str,
    name: str,
    start: float,
    end: float | None,
    **kw: Any,
) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": obs_id,
        "traceId": t.trace_id,
        "type": typ,
        "name": name,
        "startTime": iso_z(t, start),
        "endTime": None if end is None else iso_z(t, end),
        "completionStartTime": None,
        "parentObservationId": parent,
        "level": "DEFAULT",
        "statusMessage": None,
        "version": APP_VERSION,
        "environment": "production",
        "input": None,
        "output": None,
        "metadata": {},
        "model": None,
        "modelParameters": None,
        "promptId": None,
        "promptName": None,
        "promptVersion": None,
        "usage": {"input": 0, "output": 0, "total": 0, "unit": "TOKENS"},
        "usageDetails": {},
        "costDetails": {},
        "calculatedInputCost": None,
        "calculatedOutputCost": None,
        "calculatedTotalCost": None,
        "promptTokens": 0,
        "completionTokens": 0,
        "totalTokens": 0,
        "latency": None if end is None else round((end - start) / 1000, 3),
        "timeToFirstToken": None,
    }
    base.update(kw)
    return base


def langfuse(traces: list[Trace], rng: np.random.Generator) -> str:
    """Langfuse public-API export: ``{"data": [TraceWithFullDetails...], "meta": {...}}``."""
    project = "cm7acmesupport0001"
    data = []
    for t in traces:
        obs: list[dict[str, Any]] = []
        root = rand_hex(rng, 8)
        obs.append(
            _lf_obs(
                t,
                root,
                None,
                "SPAN",
                "support-agent",
                0.0,
                t.latency_ms,
                input={
                    "messages": [
                        {"role": m["role"], "content": m["content"]}
                        for m in t.messages[1:-1]
                        if m["role"] in ("user", "assistant") and m["content"]
                    ]
                },
                output={"answer": t.output},
            )
        )
        r0, r1 = t.retrieval_ms
        obs.append(
            _lf_obs(
                t,
                rand_hex(rng, 8),
                root,
                "RETRIEVER",
                "retrieve-kb",
                r0,
                r1,
                input={"query": t.query},
                output={
                    "documents": [
                        {
                            "id": d["id"],
                            "title": d["title"],
                            "content": d["text"],
                            "score": d["score"],
                        }
                        for d in t.retrieved
                    ]
                },
            )
        )
        _, _, p_in, p_out, _ = W.MODELS[t.model]
        tools = iter(t.tools)
        total_cost = 0.0
        for call in t.calls:
            c_in = round(call.input_tokens * p_in / 1e6, 8)
            c_out = round(call.output_tokens * p_out / 1e6, 8)
            total_cost += c_in + c_out
            n_tot = call.input_tokens + call.output_tokens
            out = {"role": "assistant", "content": call.output["content"]}
            if call.output.get("tool_calls"):
                out["tool_calls"] = _openai_messages([call.output])[0]["tool_calls"]
            ttft = round(min(call.end_ms - call.start_ms, 380.0 + 40 * float(rng.random())), 1)
            obs.append(
                _lf_obs(
                    t,
                    rand_hex(rng, 8),
                    root,
                    "GENERATION",
                    "chat",
                    call.start_ms,
                    call.end_ms,
                    completionStartTime=iso_z(t, call.start_ms + ttft),
                    model=t.model,
                    modelParameters={"temperature": 0.2},
                    input=_openai_messages(call.input_messages),
                    output=out,
                    metadata={"response_id": call.response_id, "finish_reason": call.finish_reason},
                    usage={
                        "input": call.input_tokens,
                        "output": call.output_tokens,
                        "total": n_tot,
                        "unit": "TOKENS",
                    },
                    usageDetails={
                        "input": call.input_tokens,
                        "output": call.output_tokens,
                        "total": n_tot,
                    },
                    costDetails={"input": c_in, "output": c_out, "total": round(c_in + c_out, 8)},
                    calculatedInputCost=c_in,
                    calculatedOutputCost=c_out,
                    calculatedTotalCost=round(c_in + c_out, 8),
                    promptTokens=call.input_tokens,
                    completionTokens=call.output_tokens,
                    totalTokens=n_tot,
                    timeToFirstToken=round(ttft / 1000, 3),
                )
            )
            if call.finish_reason == "tool_calls":
                tr = next(tools)
                obs.append(
                    _lf_obs(
                        t,
                        rand_hex(rng, 8),
                        root,
                        "TOOL",
                        tr.name,
                        tr.start_ms,
                        tr.end_ms,
                        input=tr.arguments,
                        output=tr.result,
                        metadata={"tool_call_id": tr.call_id},
                    )
                )
        end = t.calls[-1].end_ms
        obs.append(
            _lf_obs(
                t,
                rand_hex(rng, 8),
                root,
                "EVENT",
                "guardrail-check",
                end,
                None,
                input={"answer_chars": len(t.output)},
                output={"flagged": False},
            )
        )
        data.append(
            {
                "id": t.trace_id,
                "projectId": project,
                "name": "support-chat",
                "timestamp": iso_z(t),
                "environment": "production",
                "tags": [t.segment, t.extra["channel"]],
                "bookmarked": False,
                "public": False,
                "release": APP_VERSION,
                "version": None,
                "userId": t.user_id,
                "sessionId": t.session_id,
                "input": t.input,
                "output": t.output,
                "metadata": {"segment": t.segment} | _meta(t),
                "latency": round(t.latency_ms / 1000, 3),
                "totalCost": round(total_cost, 8),
                "htmlPath": f"/project/{project}/traces/{t.trace_id}",
                "createdAt": iso_z(t, t.latency_ms + 900),
                "updatedAt": iso_z(t, t.latency_ms + 1400),
                "observations": obs,
                "scores": [],
            }
        )
    meta = {"page": 1, "limit": len(data), "totalItems": len(data), "totalPages": 1}
    return dumps({"data": data, "meta": meta}) + "\n"

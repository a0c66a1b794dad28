"""Write OTLP/JSON span files: OpenTelemetry GenAI and OpenInference semantic conventions."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from evalkit.sample_data import _world as W
from evalkit.sample_data._rand import rand_hex
from evalkit.sample_data._records import Trace
from evalkit.sample_data._writers._common import APP_VERSION, _meta, _openai_messages, dumps


def _ns(t: Trace, ms: float = 0.0) -> str:
    return str(round(t.start_s * 1000) * 1_000_000 + round(ms * 1_000_000))


def _any(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, list):
        return {"arrayValue": {"values": [_any(x) for x in v]}}
    return {"stringValue": str(v)}


def _attrs(d: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": _any(v)} for k, v in d.items() if v is not None]


def _span(
    t: Trace,
    span_id: str,
    parent: str | None,
    name: str,
    kind: int,
    start: float,
    end: float,
    attrs: dict[str, Any],
) -> dict[str, Any]:
    span = {
        "traceId": t.trace_id,
        "spanId": span_id,
        "name": name,
        "kind": kind,
        "startTimeUnixNano": _ns(t, start),
        "endTimeUnixNano": _ns(t, end),
        "attributes": _attrs(attrs),
        "status": {"code": 1},
    }
    if parent:
        span["parentSpanId"] = parent
    return span


def _otlp(resource: dict[str, Any], scope: tuple[str, str], spans: list[dict[str, Any]]) -> str:
    doc = {
        "resourceSpans": [
            {
                "resource": {"attributes": _attrs(resource)},
                "scopeSpans": [{"scope": {"name": scope[0], "version": scope[1]}, "spans": spans}],
            }
        ]
    }
    return dumps(doc) + "\n"


def _genai_parts(m: dict[str, Any]) -> dict[str, Any]:
    if m["role"] == "tool":
        return {
            "role": "tool",
            "parts": [
                {
                    "type": "tool_call_response",
                    "id": m["tool_call_id"],
                    "response": json.loads(m["content"]),
                }
            ],
        }
    parts: list[dict[str, Any]] = []
    if m.get("content"):
        parts.append({"type": "text", "content": m["content"]})
    for c in m.get("tool_calls") or []:
        parts.append(
            {"type": "tool_call", "id": c["id"], "name": c["name"], "arguments": c["arguments"]}
        )
    return {"role": m["role"], "parts": parts}


def otel_genai(traces: list[Trace], rng: np.random.Generator) -> str:
    """OTLP/JSON with OpenTelemetry GenAI semantic conventions (agent, chat, tool, retrieval)."""
    spans: list[dict[str, Any]] = []
    for t in traces:
        root = rand_hex(rng, 8)
        spans.append(
            _span(
                t,
                root,
                None,
                "invoke_agent acme_support",
                1,
                0.0,
                t.latency_ms,
                {
                    "gen_ai.operation.name": "invoke_agent",
                    "gen_ai.agent.name": "acme_support",
                    "gen_ai.agent.id": "agent_acme_support_v2",
                    "gen_ai.provider.name": t.provider,
                    "gen_ai.request.model": t.model,
                    "gen_ai.conversation.id": t.session_id,
                    "user.id": t.user_id,
                    "app.segment": t.segment,
                    "app.channel": t.extra["channel"],
                    "app.intent": t.scenario,
                },
            )
        )
        r0, r1 = t.retrieval_ms
        spans.append(
            _span(
                t,
                rand_hex(rng, 8),
                root,
                "retrieval acme-kb",
                3,
                r0,
                r1,
                {
                    "gen_ai.operation.name": "retrieval",
                    "gen_ai.data_source.id": "acme-kb",
                    "gen_ai.retrieval.query.text": t.query,
                    "gen_ai.retrieval.top_k": 4,
                    "gen_ai.retrieval.documents": dumps(
                        [
                            {"id": d["id"], "score": d["score"], "content": d["text"]}
                            for d in t.retrieved
                        ]
                    ),
                },
            )
        )
        tools = iter(t.tools)
        for call in t.calls:
            finish = "tool_call" if call.finish_reason == "tool_calls" else "stop"
            out = _genai_parts(call.output) | {"finish_reason": finish}
            spans.append(
                _span(
                    t,
                    rand_hex(rng, 8),
                    root,
                    f"chat {t.model}",
                    3,
                    call.start_ms,
                    call.end_ms,
                    {
                        "gen_ai.operation.name": "chat",
                        "gen_ai.provider.name": t.provider,
                        "gen_ai.request.model": t.model,
                        "gen_ai.response.model": t.model,
                        "gen_ai.response.id": call.response_id,
                        "gen_ai.request.temperature": 0.2,
                        "gen_ai.response.finish_reasons": [call.finish_reason],
                        "gen_ai.usage.input_tokens": call.input_tokens,
                        "gen_ai.usage.output_tokens": call.output_tokens,
                        "gen_ai.system_instructions": dumps(
                            [{"type": "text", "content": W.SYSTEM_PROMPT}]
                        ),
                        "gen_ai.input.messages": dumps(
                            [_genai_parts(m) for m in call.input_messages if m["role"] != "system"]
                        ),
                        "gen_ai.output.messages": dumps([out]),
                    },
                )
            )
            if call.finish_reason == "tool_calls":
                tr = next(tools)
                spans.append(
                    _span(
                        t,
                        rand_hex(rng, 8),
                        root,
                        f"execute_tool {tr.name}",
                        1,
                        tr.start_ms,
                        tr.end_ms,
                        {
                            "gen_ai.operation.name": "execute_tool",
                            "gen_ai.tool.name": tr.name,
                            "gen_ai.tool.call.id": tr.call_id,
                            "gen_ai.tool.type": "function",
                            "gen_ai.tool.description": W.TOOLS[tr.name]["description"],
                            "gen_ai.tool.call.arguments": dumps(tr.arguments),
                            "gen_ai.tool.call.result": dumps(tr.result),
                        },
                    )
                )
    resource = {
        "service.name": "acme-support-bot",
        "service.version": APP_VERSION,
        "deployment.environment.name": "production",
    }
    return _otlp(resource, ("acme.support.agent", APP_VERSION), spans)


def _oi_messages(prefix: str, msgs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, m in enumerate(msgs):
        p = f"{prefix}.{i}.message."
        out[p + "role"] = m["role"]
        if m.get("content") is not None:
            out[p + "content"] = m["content"]
        if m["role"] == "tool":
            out[p + "tool_call_id"] = m["tool_call_id"]
            out[p + "name"] = m["name"]
        for j, c in enumerate(m.get("tool_calls") or []):
            q = f"{p}tool_calls.{j}.tool_call."
            out[q + "id"] = c["id"]
            out[q + "function.name"] = c["name"]
            out[q + "function.arguments"] = dumps(c["arguments"])
    return out


def openinference(traces: list[Trace], rng: np.random.Generator) -> str:
    """OTLP/JSON with OpenInference attributes (AGENT root, RETRIEVER, LLM and TOOL spans)."""
    spans: list[dict[str, Any]] = []
    for t in traces:
        root = rand_hex(rng, 8)
        spans.append(
            _span(
                t,
                root,
                None,
                "acme_support_agent",
                1,
                0.0,
                t.latency_ms,
                {
                    "openinference.span.kind": "AGENT",
                    "input.value": t.input,
                    "input.mime_type": "text/plain",
                    "output.value": t.output,
                    "output.mime_type": "text/plain",
                    "session.id": t.session_id,
                    "user.id": t.user_id,
                    "metadata": dumps({"segment": t.segment} | _meta(t)),
                    "tag.tags": ["production"],
                },
            )
        )
        r0, r1 = t.retrieval_ms
        docs: dict[str, Any] = {}
        for i, d in enumerate(t.retrieved):
            p = f"retrieval.documents.{i}.document."
            docs |= {
                p + "id": d["id"],
                p + "content": d["text"],
                p + "score": d["score"],
                p + "metadata": dumps({"title": d["title"]}),
            }
        spans.append(
            _span(
                t,
                rand_hex(rng, 8),
                root,
                "retrieve_kb",
                1,
                r0,
                r1,
                {
                    "openinference.span.kind": "RETRIEVER",
                    "input.value": t.query,
                    "input.mime_type": "text/plain",
                }
                | docs,
            )
        )
        tools = iter(t.tools)
        for call in t.calls:
            params = {"temperature": 0.2, "model": t.model}
            attrs = {
                "openinference.span.kind": "LLM",
                "llm.model_name": t.model,
                "llm.provider": t.provider,
                "llm.system": t.provider,
                "llm.invocation_parameters": dumps(params),
                "llm.token_count.prompt": call.input_tokens,
                "llm.token_count.completion": call.output_tokens,
                "llm.token_count.total": call.input_tokens + call.output_tokens,
            }
            if call.output.get("content"):
                attrs |= {"output.value": call.output["content"], "output.mime_type": "text/plain"}
            else:
                attrs |= {
                    "output.value": dumps(_openai_messages([call.output])[0]),
                    "output.mime_type": "application/json",
                }
            attrs |= _oi_messages("llm.input_messages", call.input_messages)
            attrs |= _oi_messages("llm.output_messages", [call.output])
            name = "ChatCompletion" if t.provider == "openai" else "Messages"
            spans.append(
                _span(t, rand_hex(rng, 8), root, name, 1, call.start_ms, call.end_ms, attrs)
            )
            if call.finish_reason == "tool_calls":
                tr = next(tools)
                spans.append(
                    _span(
                        t,
                        rand_hex(rng, 8),
                        root,
                        tr.name,
                        1,
                        tr.start_ms,
                        tr.end_ms,
                        {
                            "openinference.span.kind": "TOOL",
                            "tool.name": tr.name,
                            "tool.description": W.TOOLS[tr.name]["description"],
                            "tool_call.id": tr.call_id,
                            "input.value": dumps(tr.arguments),
                            "input.mime_type": "application/json",
                            "output.value": dumps(tr.result),
                            "output.mime_type": "application/json",
                        },
                    )
                )
    resource = {"service.name": "acme-support-bot", "openinference.project.name": "acme-support"}
    return _otlp(resource, ("openinference.instrumentation.openai", "0.1.21"), spans)

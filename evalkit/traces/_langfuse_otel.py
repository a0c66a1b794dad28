"""Spans written by the current, OpenTelemetry-based Langfuse SDK (v3 and later), as OTLP JSON.

The SDK records each observation as a span with ``langfuse.observation.type`` (``span``,
``generation``, ``tool``, ``retriever``, ``agent``, ...), ``langfuse.observation.input/output``
(JSON text), ``langfuse.observation.model.name``, ``langfuse.observation.usage_details``,
``langfuse.observation.cost_details``, ``langfuse.observation.metadata.*``, and trace-level
attributes ``langfuse.trace.*`` with ``session.id``/``user.id`` (``langfuse.session.id`` /
``langfuse.user.id`` in early v3). ``@observe`` records a function's input as
``{"args": [...], "kwargs": {...}}``; tool arguments and the app input are unwrapped from it.
``trace_id`` is the OTLP ``traceId`` as hex, the id Langfuse shows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evalkit.traces._base import ErrorSink
from evalkit.traces._common_messages import (
    complete_tool_calls,
    documents_from_value,
    last_text,
    messages_from_value,
    observe_args,
    value_text,
)
from evalkit.traces._common_rows import segment_of
from evalkit.traces._otel_genai import _merge
from evalkit.traces._otlp import (
    Trace,
    int_or_none,
    maybe_json,
    num,
    read_traces,
    span_metadata,
    text_or_none,
)
from evalkit.traces._spans import attach as attach_spans
from evalkit.traces._spans import from_otlp as spans_from_otlp

NAME = "langfuse"
_OBS = "langfuse.observation."
_MARKERS = (b'"langfuse.observation.', b'"langfuse.trace.', b'"langfuse-sdk"')
_IN_COLUMNS = frozenset(
    {
        "langfuse.observation.input",
        "langfuse.observation.output",
        "langfuse.observation.model.name",
        "langfuse.observation.usage_details",
        "langfuse.observation.cost_details",
        "langfuse.observation.type",
        "langfuse.trace.input",
        "langfuse.trace.output",
        "session.id",
        "user.id",
        "langfuse.session.id",
        "langfuse.user.id",
    }
)


def sniff_head(head: bytes) -> bool:
    """True if an OTLP JSON head carries Langfuse SDK attributes."""
    return b'"resourceSpans"' in head and any(m in head for m in _MARKERS)


def _in_columns(key: str) -> bool:
    return key in _IN_COLUMNS or key.startswith(
        ("langfuse.trace.metadata.", "langfuse.observation.metadata.")
    )


def _metadata(trace: Trace, prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for s in trace.spans:
        for k, v in s.attrs.items():
            if k.startswith(prefix):
                out.setdefault(k[len(prefix) :], _json_value(v))
    return out


def _json_value(value: Any) -> Any:
    """The SDK writes metadata values as JSON text (``'"weather"'``, ``'3'``); plain text stays."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def _usage(value: Any, span_id: str) -> tuple[int | None, int | None]:
    usage = maybe_json(value)
    if not isinstance(usage, dict):
        return None, None
    t_in = usage.get("input", usage.get("prompt_tokens", usage.get("input_tokens")))
    t_out = usage.get("output", usage.get("completion_tokens", usage.get("output_tokens")))
    field = _OBS + "usage_details"
    return int_or_none(t_in, f"{field}.input", span_id), int_or_none(
        t_out, f"{field}.output", span_id
    )


def interpret(trace: Trace) -> dict[str, Any]:
    """Turn the spans of one Langfuse trace into a canonical row."""
    conversation: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] = []
    retrieved: list[dict[str, Any]] = []
    model = None
    tokens_in = tokens_out = None
    cost = None
    for s in trace.spans:
        a = s.attrs
        kind = str(a.get(_OBS + "type") or "span").lower()
        inp, out = maybe_json(a.get(_OBS + "input")), maybe_json(a.get(_OBS + "output"))
        if kind == "tool":
            result = out if out is None or isinstance(out, str) else text_or_none(out)
            tool_calls.append(
                {"name": s.name or None, "arguments": observe_args(inp), "result": result}
            )
        elif kind == "retriever":
            retrieved.extend(documents_from_value(out))
        elif kind == "generation":
            inputs = messages_from_value(inp, default_role="user")
            outputs = messages_from_value(out, default_role="assistant")
            for m in inputs + outputs:
                m["tool_calls"] = m.get("tool_calls") or []
            _merge(conversation, inputs)
            conversation.extend(outputs)
            model = a.get(_OBS + "model.name") or model
            t_in, t_out = _usage(a.get(_OBS + "usage_details"), s.span_id)
            if t_in is not None:
                tokens_in = (tokens_in or 0) + t_in
            if t_out is not None:
                tokens_out = (tokens_out or 0) + t_out
        costs = maybe_json(a.get(_OBS + "cost_details"))
        total = (
            num(costs.get("total"), _OBS + "cost_details.total", s.span_id)
            if isinstance(costs, dict)
            else None
        )
        if total is not None:
            cost = (cost or 0.0) + total
    root = trace.root
    ra = root.attrs
    app_in = observe_args(maybe_json(ra.get("langfuse.trace.input", ra.get(_OBS + "input"))))
    app_out = maybe_json(ra.get("langfuse.trace.output", ra.get(_OBS + "output")))
    tool_calls = complete_tool_calls(tool_calls, conversation)
    meta: dict[str, Any] = {"root_span": root.name}
    meta.update(_metadata(trace, "langfuse.trace.metadata."))
    obs_meta = _metadata(trace, "langfuse.observation.metadata.")
    if obs_meta:
        meta["observation_metadata"] = obs_meta
    meta.update(span_metadata(trace, _in_columns))
    attach_spans(meta, spans_from_otlp(trace))
    session = trace.first("session.id") or trace.first("langfuse.session.id")
    user = trace.first("user.id") or trace.first("langfuse.user.id")
    return {
        "session_id": text_or_none(session),
        "user_id": text_or_none(user),
        "input": last_text(conversation, "user") or value_text(app_in),
        "output": value_text(app_out)
        if app_out is not None
        else last_text(conversation, "assistant"),
        "messages": conversation,
        "tool_calls": tool_calls,
        "retrieved": retrieved,
        "model": text_or_none(model),
        "input_tokens": tokens_in,
        "output_tokens": tokens_out,
        "cost_usd": cost,
        "segment": segment_of(meta),
        "metadata": meta,
    }


def read(path: Path, *, sink: ErrorSink, columns: Any = None) -> list[dict[str, Any]]:
    """Read OTLP JSON written by the Langfuse SDK into canonical rows (one per trace)."""
    return read_traces(path, sink=sink, fmt=NAME, interpret=interpret, columns=columns)

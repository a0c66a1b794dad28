"""OpenTelemetry GenAI semantic conventions, as OTLP JSON (one document, or JSON Lines of them).

Current conventions: ``gen_ai.input.messages`` / ``gen_ai.output.messages`` (messages with
``parts`` of type ``text``, ``tool_call``, ``tool_call_response``), ``gen_ai.system_instructions``,
``gen_ai.operation.name`` (``chat``, ``execute_tool``, ``invoke_agent``, ``retrieval``, ...),
``gen_ai.tool.*``, ``gen_ai.retrieval.documents``, ``gen_ai.usage.*``, ``gen_ai.conversation.id``.
Older conventions: ``gen_ai.prompt.N.role/content``, ``gen_ai.completion.N.role/content`` and the
span events ``gen_ai.system.message``, ``gen_ai.user.message``, ``gen_ai.assistant.message``,
``gen_ai.tool.message`` and ``gen_ai.choice``. The same events, and the current
``gen_ai.client.inference.operation.details`` event, also arrive as OTLP log records, joined to
their spans when the logs file is loaded with the spans file (see ``_otlp_logs``). ``trace_id``
is the OTLP ``traceId`` (as hex, also when the file has base64 ids).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from evalkit.traces._base import ErrorSink
from evalkit.traces._common_messages import complete_tool_calls
from evalkit.traces._jsonio import parse_arguments
from evalkit.traces._openai_messages import summarize
from evalkit.traces._otlp import (
    SpanError,
    Trace,
    int_or_none,
    maybe_json,
    num,
    read_traces,
    sniff_otlp,
    span_metadata,
    text_or_none,
)
from evalkit.traces._spans import attach as attach_spans
from evalkit.traces._spans import from_otlp as spans_from_otlp

NAME = "otel_genai"

_DETAILS_EVENT = "gen_ai.client.inference.operation.details"
_DETAILS_CONTENT = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions")
_CHAT_OPS = frozenset({"chat", "text_completion", "generate_content"})
_INDEXED = re.compile(r"^gen_ai\.(prompt|completion)\.(\d+)\.(.+)$")


def sniff(path: Path, head: bytes) -> bool:
    """OTLP JSON whose first bytes carry ``gen_ai.`` attributes (and no OpenInference kind)."""
    return (
        sniff_otlp(path, head)
        and b'"gen_ai.' in head
        and b"openinference.span.kind" not in head
        and b'"langfuse.observation.' not in head  # the Langfuse SDK's spans: the langfuse reader
    )


def _msg(
    role: Any,
    content: Any = None,
    *,
    calls: list[dict[str, Any]] | None = None,
    tool_call_id: Any = None,
    name: Any = None,
) -> dict[str, Any]:
    return {
        "role": text_or_none(role),
        "content": text_or_none(content),
        "tool_calls": calls or [],
        "tool_call_id": text_or_none(tool_call_id),
        "name": text_or_none(name),
    }


def _parts_text(parts: list[Any]) -> str | None:
    texts = []
    for p in parts:
        if isinstance(p, dict):
            kind = p.get("type")
            if kind == "text" or (kind is None and "content" in p):
                texts.append(text_or_none(p.get("content")) or "")
            elif kind not in ("tool_call", "tool_call_response"):
                texts.append(f"[{kind}]")
        elif isinstance(p, str):
            texts.append(p)
    return "\n".join(texts) if texts else None


def _semconv_messages(value: Any, field: str) -> list[dict[str, Any]]:
    """Messages with ``parts`` (current conventions) -> canonical messages."""
    value = maybe_json(value)
    if value is None:
        return []
    if not isinstance(value, list):
        raise SpanError(field, "must be a JSON array of messages")
    out = []
    for i, m in enumerate(value):
        if not isinstance(m, dict):
            raise SpanError(f"{field}[{i}]", "message must be an object")
        parts = m.get("parts")
        if parts is None and "content" in m:
            out.append(_msg(m.get("role"), m.get("content"), name=m.get("name")))
            continue
        if not isinstance(parts, list):
            raise SpanError(f"{field}[{i}].parts", "must be an array of parts")
        calls = []
        responses = []
        for p in parts:
            if isinstance(p, dict) and p.get("type") == "tool_call":
                args = p.get("arguments")
                calls.append(
                    {
                        "id": text_or_none(p.get("id")),
                        "name": text_or_none(p.get("name")),
                        "arguments": args
                        if isinstance(args, str) or args is None
                        else text_or_none(args),
                    }
                )
            elif isinstance(p, dict) and p.get("type") == "tool_call_response":
                responses.append(p)
        text = _parts_text(parts)
        if responses and not calls and text is None:
            for r in responses:  # one canonical tool message per response
                result = r.get("result", r.get("response"))
                out.append(_msg("tool", result, tool_call_id=r.get("id"), name=m.get("name")))
            continue
        out.append(_msg(m.get("role"), text, calls=calls, name=m.get("name")))
    return out


def _system(value: Any, field: str) -> list[dict[str, Any]]:
    value = maybe_json(value)
    if value is None:
        return []
    if isinstance(value, str):
        return [_msg("system", value)]
    if not isinstance(value, list):
        raise SpanError(field, "must be a JSON array of parts")
    return [_msg("system", _parts_text(value))]


def _indexed(attrs: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """Older ``gen_ai.prompt.N.*`` / ``gen_ai.completion.N.*`` attributes -> messages."""
    slots: dict[int, dict[str, Any]] = {}
    for key, value in attrs.items():
        m = _INDEXED.match(key)
        if m and m.group(1) == kind:
            slots.setdefault(int(m.group(2)), {})[m.group(3)] = value
    out = []
    for n in sorted(slots):
        s = slots[n]
        calls_at: dict[int, dict[str, Any]] = {}
        for k, v in s.items():
            cm = re.match(r"^tool_calls\.(\d+)\.(.+)$", k)
            if cm:
                calls_at.setdefault(int(cm.group(1)), {})[cm.group(2)] = v
        calls = [
            {
                "id": text_or_none(c.get("id")),
                "name": text_or_none(c.get("name")),
                "arguments": text_or_none(c.get("arguments")),
            }
            for _, c in sorted(calls_at.items())
        ]
        out.append(
            _msg(
                s.get("role", "assistant" if kind == "completion" else None),
                s.get("content"),
                calls=calls,
                tool_call_id=s.get("tool_call_id"),
            )
        )
    return out


_EVENT_ROLES = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}


def _event_calls(value: Any) -> list[dict[str, Any]]:
    value = maybe_json(value)
    calls = []
    if isinstance(value, list):
        for c in value:
            if isinstance(c, dict):
                fn: dict[str, Any] = c["function"] if isinstance(c.get("function"), dict) else c
                calls.append(
                    {
                        "id": text_or_none(c.get("id")),
                        "name": text_or_none(fn.get("name")),
                        "arguments": text_or_none(fn.get("arguments")),
                    }
                )
    return calls


def _events(
    span_events: list[tuple[str, int | None, dict[str, Any]]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Older event-style content: (input messages, output messages)."""
    inputs, outputs = [], []
    for name, _, attrs in span_events:
        if name in _EVENT_ROLES:
            inputs.append(
                _msg(
                    attrs.get("role", _EVENT_ROLES[name]),
                    attrs.get("content"),
                    calls=_event_calls(attrs.get("tool_calls")),
                    tool_call_id=attrs.get("id"),
                )
            )
        elif name == "gen_ai.choice":
            message = maybe_json(attrs.get("message"))
            if isinstance(message, dict):
                outputs.append(
                    _msg(
                        message.get("role", "assistant"),
                        message.get("content"),
                        calls=_event_calls(message.get("tool_calls")),
                    )
                )
            else:
                outputs.append(
                    _msg(
                        "assistant",
                        attrs.get("content"),
                        calls=_event_calls(attrs.get("tool_calls")),
                    )
                )
        elif name in ("gen_ai.content.prompt", "gen_ai.content.completion"):
            key = "gen_ai.prompt" if name.endswith("prompt") else "gen_ai.completion"
            value = maybe_json(attrs.get(key))
            target = inputs if name.endswith("prompt") else outputs
            if isinstance(value, list):
                target.extend(
                    _msg(m.get("role"), m.get("content")) for m in value if isinstance(m, dict)
                )
            elif value is not None:
                target.append(_msg("user" if name.endswith("prompt") else "assistant", value))
    return inputs, outputs


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a["role"], a["content"], a["tool_call_id"]) == (
        b["role"],
        b["content"],
        b["tool_call_id"],
    )


def _merge(conversation: list[dict[str, Any]], inputs: list[dict[str, Any]]) -> None:
    """Append a chat span's input history, skipping the prefix already in the conversation."""
    n = 0
    while n < len(conversation) and n < len(inputs) and _same(conversation[n], inputs[n]):
        n += 1
    if n == len(conversation):
        conversation.extend(inputs[n:])
    else:
        conversation.extend(m for m in inputs if not any(_same(m, c) for c in conversation))


_TOKENS_IN = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
_TOKENS_OUT = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")


def _documents(value: Any, field: str) -> list[dict[str, Any]]:
    value = maybe_json(value)
    if value is None:
        return []
    if not isinstance(value, list):
        raise SpanError(field, "must be a JSON array of documents")
    docs = []
    for d in value:
        if isinstance(d, dict):
            docs.append(
                {
                    "id": text_or_none(d.get("id")),
                    "text": text_or_none(d.get("content", d.get("text"))),
                    "score": num(d.get("score"), f"{field}[].score"),
                }
            )
        else:
            docs.append({"id": None, "text": text_or_none(d), "score": None})
    return docs


_IN_COLUMNS = frozenset(
    {
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.system_instructions",
        "gen_ai.retrieval.documents",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.prompt_tokens",
        "gen_ai.usage.completion_tokens",
        "gen_ai.conversation.id",
        "session.id",
        "user.id",
        "enduser.id",
    }
)


def _in_columns(key: str) -> bool:
    """Attributes that the canonical columns already hold (kept out of ``metadata``)."""
    return key in _IN_COLUMNS or _INDEXED.match(key) is not None


def interpret(trace: Trace) -> dict[str, Any]:
    """Turn one OTLP trace with GenAI attributes into a canonical row."""
    conversation: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] = []
    call_ids: list[Any] = []  # each tool span's gen_ai.tool.call.id
    retrieved: list[dict[str, Any]] = []
    model = None
    tokens_in = tokens_out = None
    finish: list[Any] = []
    llm_spans = []
    for s in trace.spans:
        a = s.attrs
        op = a.get("gen_ai.operation.name")
        if op == "execute_tool" or (op is None and "gen_ai.tool.name" in a):
            result = a.get("gen_ai.tool.call.result")
            call_ids.append(a.get("gen_ai.tool.call.id"))
            tool_calls.append(
                {
                    "name": text_or_none(a.get("gen_ai.tool.name")),
                    "arguments": parse_arguments(a.get("gen_ai.tool.call.arguments")),
                    "result": result
                    if result is None or isinstance(result, str)
                    else text_or_none(result),
                }
            )
            continue
        if "gen_ai.retrieval.documents" in a:
            retrieved.extend(
                _documents(a["gen_ai.retrieval.documents"], "gen_ai.retrieval.documents")
            )
        details = next((e[2] for e in s.events if e[0] == _DETAILS_EVENT), None)
        if details is not None and not any(k in a for k in _DETAILS_CONTENT):
            a = {**details, **a}  # content of the operation.details event (a log record)
        system = _system(a.get("gen_ai.system_instructions"), "gen_ai.system_instructions")
        inputs = _semconv_messages(a.get("gen_ai.input.messages"), "gen_ai.input.messages")
        outputs = _semconv_messages(a.get("gen_ai.output.messages"), "gen_ai.output.messages")
        if not inputs and not outputs:
            inputs, outputs = _indexed(a, "prompt"), _indexed(a, "completion")
        if not inputs and not outputs:
            inputs, outputs = _events(s.events)
        is_llm = op in _CHAT_OPS or bool(inputs or outputs)
        if not is_llm:
            continue
        llm_spans.append(s)
        _merge(conversation, system + inputs)
        conversation.extend(outputs)
        model = a.get("gen_ai.response.model") or a.get("gen_ai.request.model") or model
        k_in = next((k for k in _TOKENS_IN if a.get(k) is not None), _TOKENS_IN[0])
        k_out = next((k for k in _TOKENS_OUT if a.get(k) is not None), _TOKENS_OUT[0])
        t_in = int_or_none(a.get(k_in), k_in, s.span_id)
        t_out = int_or_none(a.get(k_out), k_out, s.span_id)
        if t_in is not None:
            tokens_in = (tokens_in or 0) + t_in
        if t_out is not None:
            tokens_out = (tokens_out or 0) + t_out
        if a.get("gen_ai.response.finish_reasons") is not None:
            finish.append(a["gen_ai.response.finish_reasons"])
    summary = summarize(conversation)
    tool_calls = (
        complete_tool_calls(tool_calls, conversation, call_ids)
        if tool_calls
        else summary["tool_calls"]
    )
    root = trace.root
    meta: dict[str, Any] = {"root_span": root.name}
    for key in ("service.name",):
        if key in root.resource:
            meta[key] = root.resource[key]
    for key in ("gen_ai.provider.name", "gen_ai.system", "gen_ai.agent.name", "gen_ai.agent.id"):
        # the provider of the generations, not of whichever span came first (a vector store's)
        v = next((s.attrs[key] for s in llm_spans if s.attrs.get(key) is not None), None)
        if v is None:
            v = trace.first(key)
        if v is not None:
            meta[key] = v
    if finish:
        meta["finish_reasons"] = finish
    meta.update(span_metadata(trace, _in_columns))
    status = root.status.get("code")
    if status in (2, "STATUS_CODE_ERROR"):  # only errors are news; OK/UNSET are the norm
        meta["status"] = root.status
    attach_spans(meta, spans_from_otlp(trace))
    segment = trace.first("segment") or trace.first("app.segment")
    return {
        "session_id": text_or_none(
            trace.first("gen_ai.conversation.id") or trace.first("session.id")
        ),
        "user_id": text_or_none(trace.first("user.id") or trace.first("enduser.id")),
        "input": summary["input"],
        "output": summary["output"],
        "messages": conversation,
        "tool_calls": tool_calls,
        "retrieved": retrieved,
        "model": text_or_none(model),
        "input_tokens": tokens_in,
        "output_tokens": tokens_out,
        "segment": text_or_none(segment),
        "metadata": meta,
    }


def read(path: Path, *, sink: ErrorSink, columns: Any = None) -> list[dict[str, Any]]:
    """Read OTLP JSON with GenAI attributes into canonical rows (one per ``traceId``).

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> def kv(k, v): return {"key": k, "value": {"stringValue": v}}
    >>> span = {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
    ...         "name": "chat gpt-4o", "startTimeUnixNano": "1700000000000000000",
    ...         "endTimeUnixNano": "1700000000250000000",
    ...         "attributes": [kv("gen_ai.operation.name", "chat"),
    ...             kv("gen_ai.input.messages", json.dumps(
    ...                 [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}])),
    ...             kv("gen_ai.output.messages", json.dumps(
    ...                 [{"role": "assistant", "parts": [{"type": "text", "content": "Hello"}],
    ...                   "finish_reason": "stop"}])),
    ...             {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "3"}}]}
    >>> doc = {"resourceSpans": [{"resource": {"attributes": []},
    ...                           "scopeSpans": [{"scope": {"name": "x"}, "spans": [span]}]}]}
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.json"
    >>> _ = p.write_text(json.dumps(doc))
    >>> row = read(p, sink=ErrorSink()).iloc[0]  # a canonical frame, one row per trace
    >>> row["trace_id"], row["input"], row["output"], float(row["latency_ms"])
    ('5b8efff798038103d269b633813fc60c', 'Hi', 'Hello', 250.0)
    >>> int(row["input_tokens"])
    3
    """
    if columns is None:  # common shapes of JSON Lines: the vectorised path, the same frame
        from evalkit.traces._otlp_fast import read_fast_otlp

        fast = read_fast_otlp(path)
        if fast is not None:
            return fast
    return read_traces(path, sink=sink, fmt=NAME, interpret=interpret, columns=columns)

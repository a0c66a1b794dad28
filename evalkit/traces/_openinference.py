"""OpenInference (Arize Phoenix) spans: OTLP JSON, or Phoenix's span dataframe saved as Parquet.

Attributes are OpenInference's flattened keys: ``openinference.span.kind`` (``LLM``, ``CHAIN``,
``AGENT``, ``TOOL``, ``RETRIEVER``, ...), ``llm.input_messages.N.message.role/content``,
``llm.output_messages.N.message.*`` with ``message.tool_calls.M.tool_call.function.name/arguments``,
``retrieval.documents.N.document.id/content/score``, ``input.value``/``output.value``,
``llm.model_name``, ``llm.token_count.prompt/completion``, ``session.id``, ``user.id``,
``tool.name``, ``tool.parameters``. The Parquet form is ``px.Client().get_spans_dataframe()``
written with ``to_parquet``: columns ``context.trace_id``, ``context.span_id``, ``parent_id``,
``span_kind``, ``name``, ``start_time``, ``end_time`` and ``attributes.*``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.errors import TraceError
from evalkit.traces._base import ErrorSink
from evalkit.traces._common_messages import complete_tool_calls
from evalkit.traces._jsonio import parse_arguments
from evalkit.traces._openai_messages import summarize
from evalkit.traces._otel_genai import _merge
from evalkit.traces._otlp import (
    Span,
    SpanError,
    Trace,
    group,
    int_or_none,
    interpreted,
    maybe_json,
    num,
    read_traces,
    sniff_otlp,
    span_metadata,
    text_or_none,
    with_columns,
)
from evalkit.traces._spans import attach as attach_spans
from evalkit.traces._spans import from_otlp as spans_from_otlp
from evalkit.traces._spans import phoenix_status

NAME = "openinference"

_PHOENIX_REQUIRED = ("context.trace_id", "context.span_id")
_MARKERS = (b"openinference.span.kind", b'"llm.input_messages', b'"llm.model_name"')


def sniff(path: Path, head: bytes) -> bool:
    """OTLP JSON with OpenInference attributes, or a Phoenix spans Parquet file."""
    if path.suffix.lower() == ".parquet":
        if not head.startswith(b"PAR1"):
            return False
        try:
            import pyarrow.parquet as pq

            names = set(pq.read_schema(path).names)
        except Exception:
            return False
        return all(c in names for c in _PHOENIX_REQUIRED) and "span_kind" in names
    return (
        sniff_otlp(path, head)
        and any(m in head for m in _MARKERS)
        and b'"langfuse.observation.' not in head
    )


def _indexed(attrs: Mapping[str, Any], prefix: str) -> list[dict[str, Any]]:
    """``prefix.N.rest`` keys -> list of ``{rest: value}`` ordered by N."""
    slots: dict[int, dict[str, Any]] = {}
    plen = len(prefix)
    for key, value in attrs.items():
        if key.startswith(prefix):
            head, _, rest = key[plen:].partition(".")
            if head.isdigit() and rest:
                slots.setdefault(int(head), {})[rest] = value
    return [slots[n] for n in sorted(slots)]


def _messages(attrs: Mapping[str, Any], prefix: str) -> list[dict[str, Any]]:
    out = []
    for m in _indexed(attrs, prefix):
        content = m.get("message.content")
        if content is None:
            parts = _indexed(m, "message.contents.")
            texts = [
                text_or_none(p.get("message_content.text"))
                or f"[{p.get('message_content.type', 'part')}]"
                for p in parts
            ]
            content = "\n".join(texts) if texts else None
        calls = [
            {
                "id": text_or_none(c.get("tool_call.id")),
                "name": text_or_none(c.get("tool_call.function.name")),
                "arguments": text_or_none(c.get("tool_call.function.arguments")),
            }
            for c in _indexed(m, "message.tool_calls.")
        ]
        out.append(
            {
                "role": text_or_none(m.get("message.role")),
                "content": text_or_none(content),
                "tool_calls": calls,
                "tool_call_id": text_or_none(m.get("message.tool_call_id")),
                "name": text_or_none(m.get("message.name")),
            }
        )
    return out


_IN_COLUMNS = ("llm.input_messages.", "llm.output_messages.", "retrieval.documents.")
_IN_COLUMNS_EXACT = frozenset(
    {
        "input.value",
        "output.value",
        "session.id",
        "user.id",
        "metadata",
        "tag.tags",
        "llm.model_name",
        "llm.token_count.prompt",
        "llm.token_count.completion",
        "openinference.span.kind",
    }
)


def _in_columns(key: str) -> bool:
    """Attributes that the canonical columns already hold (kept out of ``metadata``)."""
    return key in _IN_COLUMNS_EXACT or key.startswith(_IN_COLUMNS)


def _kind(span: Span) -> str:
    k = span.attrs.get("openinference.span.kind")
    return k.upper() if isinstance(k, str) else ""


def interpret(trace: Trace) -> dict[str, Any]:
    """Turn one trace of OpenInference spans into a canonical row."""
    conversation: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] = []
    retrieved: list[dict[str, Any]] = []
    model = None
    tokens_in = tokens_out = None
    cost = None
    response_ids: list[str] = []
    for s in trace.spans:
        a = s.attrs
        kind = _kind(s)
        for d in _indexed(a, "retrieval.documents."):
            retrieved.append(
                {
                    "id": text_or_none(d.get("document.id")),
                    "text": text_or_none(d.get("document.content")),
                    "score": num(
                        d.get("document.score"), "retrieval.documents.document.score", s.span_id
                    ),
                }
            )
        if kind == "TOOL":
            args = a.get("input.value", a.get("tool.parameters"))
            tool_calls.append(
                {
                    "name": text_or_none(a.get("tool.name")) or s.name or None,
                    "arguments": parse_arguments(args),
                    "result": text_or_none(a.get("output.value")),
                }
            )
            continue
        if kind != "LLM":
            continue
        inputs = _messages(a, "llm.input_messages.")
        outputs = _messages(a, "llm.output_messages.")
        if not inputs and a.get("input.value") is not None:
            inputs = [
                {
                    "role": "user",
                    "content": text_or_none(a["input.value"]),
                    "tool_calls": [],
                    "tool_call_id": None,
                    "name": None,
                }
            ]
        if not outputs and a.get("output.value") is not None:
            outputs = [
                {
                    "role": "assistant",
                    "content": text_or_none(a["output.value"]),
                    "tool_calls": [],
                    "tool_call_id": None,
                    "name": None,
                }
            ]
        _merge(conversation, inputs)
        conversation.extend(outputs)
        response = maybe_json(a.get("output.value"))
        if isinstance(response, dict) and isinstance(response.get("id"), str):
            response_ids.append(response["id"])  # output.value itself stays out of metadata
        model = a.get("llm.model_name") or model
        t_in, t_out = (
            int_or_none(a.get("llm.token_count.prompt"), "llm.token_count.prompt", s.span_id),
            int_or_none(
                a.get("llm.token_count.completion"), "llm.token_count.completion", s.span_id
            ),
        )
        if t_in is not None:
            tokens_in = (tokens_in or 0) + t_in
        if t_out is not None:
            tokens_out = (tokens_out or 0) + t_out
        c = num(a.get("llm.cost.total"), "llm.cost.total", s.span_id)
        if c is not None:
            cost = (cost or 0.0) + c
    summary = summarize(conversation)
    tool_calls = (
        complete_tool_calls(tool_calls, conversation) if tool_calls else summary["tool_calls"]
    )
    root = trace.root
    ra = root.attrs
    meta: dict[str, Any] = {"root_span": root.name, "root_kind": _kind(root) or None}
    md = maybe_json(trace.first("metadata"))
    if isinstance(md, dict):
        meta.update(md)
    elif md is not None:
        meta["metadata"] = md
    tags = trace.first("tag.tags")
    if tags is not None:
        meta["tags"] = tags
    if "service.name" in root.resource:
        meta["service.name"] = root.resource["service.name"]
    if response_ids:
        meta["response_ids"] = response_ids
    for key, value in span_metadata(trace, _in_columns).items():
        meta.setdefault(key, value)
    attach_spans(meta, spans_from_otlp(trace))
    inp = summary["input"] if summary["input"] is not None else text_or_none(ra.get("input.value"))
    out = (
        summary["output"] if summary["output"] is not None else text_or_none(ra.get("output.value"))
    )
    segment = meta.get("segment")
    return {
        "session_id": text_or_none(trace.first("session.id")),
        "user_id": text_or_none(trace.first("user.id")),
        "input": inp,
        "output": out,
        "messages": conversation,
        "tool_calls": tool_calls,
        "retrieved": retrieved,
        "model": text_or_none(model),
        "input_tokens": tokens_in,
        "output_tokens": tokens_out,
        "cost_usd": cost,
        "segment": text_or_none(segment),
        "metadata": meta,
    }


# ------------------------------------------------------------------------------ Phoenix Parquet


#: attributes whose value is one JSON object (OpenInference writes them as JSON text; Phoenix's
#: spans frame has them parsed): kept whole rather than flattened into ``metadata.segment``...
_KEEP_WHOLE = frozenset({"metadata", "llm.invocation_parameters"})


def _plain(value: Any) -> Any:
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return value.tolist()
    return value


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    """Phoenix nests list attributes (``[{"message.role": ...}]``); flatten them back to keys."""
    value = _plain(value)
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}", v, out)
    elif isinstance(value, list) and value and all(isinstance(_plain(v), Mapping) for v in value):
        for i, v in enumerate(value):
            _flatten(f"{prefix}.{i}", v, out)
    elif value is not None and not (isinstance(value, float) and value != value):
        out[prefix] = value


def _ns(value: Any, field: str) -> int | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise SpanError(field, f"not a timestamp: {value!r}") from exc
    if pd.isna(ts):
        return None
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return int(ts.value)


def _read_phoenix(path: Path, *, sink: ErrorSink, columns: Any = None) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    from evalkit.traces._columns import check_columns

    cols = check_columns(columns)

    file = str(path)
    try:
        frame = pq.read_table(path).to_pandas()
    except Exception as exc:
        sink.add(TraceError(file=file, message=f"cannot read Parquet: {exc}", format=NAME))
        return []
    missing = [c for c in _PHOENIX_REQUIRED if c not in frame.columns]
    if missing:
        sink.add(
            TraceError(
                file=file,
                field=missing[0],
                message="missing column of a Phoenix spans frame",
                format=NAME,
            )
        )
        return []
    attr_cols = [c for c in frame.columns if c.startswith("attributes.")]
    spans = []
    for i, rec in enumerate(frame.to_dict("records"), start=1):
        sid = rec.get("context.span_id")
        try:
            tid = rec.get("context.trace_id")
            if not isinstance(tid, str) or not tid:
                raise SpanError("context.trace_id", "missing or not a string")
            if not isinstance(sid, str) or not sid:
                raise SpanError("context.span_id", "missing or not a string")
            attrs: dict[str, Any] = {}
            for c in attr_cols:
                key = c[len("attributes.") :]
                if key in _KEEP_WHOLE:  # a JSON object attribute Phoenix hands back parsed
                    value = _plain(rec[c])
                    if isinstance(value, Mapping):
                        # Parquet structs list every key of every row: drop the filled-in nulls
                        attrs[key] = {k: _plain(v) for k, v in value.items() if v is not None}
                        continue
                _flatten(key, rec[c], attrs)
            if "openinference.span.kind" not in attrs and isinstance(rec.get("span_kind"), str):
                attrs["openinference.span.kind"] = rec["span_kind"]
            parent = rec.get("parent_id")
            spans.append(
                Span(
                    trace_id=tid,
                    span_id=sid,
                    parent_id=parent if isinstance(parent, str) and parent else None,
                    name=rec.get("name") if isinstance(rec.get("name"), str) else "",
                    start_ns=_ns(rec.get("start_time"), "start_time"),
                    end_ns=_ns(rec.get("end_time"), "end_time"),
                    attrs=attrs,
                    status=phoenix_status(rec.get("status_code"), rec.get("status_message")),
                    line=i,
                )
            )
        except SpanError as err:
            sink.add(
                TraceError(
                    file=file,
                    line=i,
                    span_id=sid if isinstance(sid, str) else None,
                    field=err.field,
                    message=err.message,
                    format=NAME,
                )
            )
    rows = []
    for trace in group(spans, file=file, sink=sink, fmt=NAME):
        row = interpreted(trace, interpret, sink=sink, fmt=NAME, file=file)
        if row is None:
            continue
        row.update(
            trace_id=trace.trace_id, timestamp=trace.timestamp(), latency_ms=trace.latency_ms
        )
        row["source"] = {
            "format": NAME,
            "file": file,
            "line": trace.root.line,
            "span_id": trace.root.span_id,
        }
        if cols and not with_columns(row, trace, cols, sink=sink, fmt=NAME, file=file):
            continue
        rows.append(row)
    return rows


def read(path: Path, *, sink: ErrorSink, columns: Any = None) -> list[dict[str, Any]]:
    """Read OpenInference spans (OTLP JSON or Phoenix Parquet) into canonical rows, one per trace.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> def kv(k, v): return {"key": k, "value": {"stringValue": v}}
    >>> span = {"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "b7ad6b7169203331",
    ...         "name": "ChatCompletion", "startTimeUnixNano": "1700000000000000000",
    ...         "endTimeUnixNano": "1700000001000000000",
    ...         "attributes": [kv("openinference.span.kind", "LLM"),
    ...             kv("llm.input_messages.0.message.role", "user"),
    ...             kv("llm.input_messages.0.message.content", "Hi"),
    ...             kv("llm.output_messages.0.message.role", "assistant"),
    ...             kv("llm.output_messages.0.message.content", "Hello"),
    ...             kv("llm.model_name", "gpt-4o")]}
    >>> doc = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": [span]}]}]}
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "oi.json"
    >>> _ = p.write_text(json.dumps(doc))
    >>> row = read(p, sink=ErrorSink()).iloc[0]  # a canonical frame, one row per trace
    >>> row["input"], row["output"], row["model"], float(row["latency_ms"])
    ('Hi', 'Hello', 'gpt-4o', 1000.0)
    """
    if path.suffix.lower() == ".parquet":
        return _read_phoenix(path, sink=sink, columns=columns)
    return read_traces(path, sink=sink, fmt=NAME, interpret=interpret, columns=columns)

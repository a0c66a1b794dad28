"""``columns=``: dotted paths from a format's own records onto canonical columns, for every reader.

One job: check a ``columns=`` mapping (your field path -> canonical column, as for CSV), follow a
dotted path into a record, and overwrite the canonical values of a row with what the paths name,
converted the way the readers convert them (text, numbers, times, messages, documents).

A path is followed key by key; a key may itself hold dots (``"attributes.session.id"`` finds the
attribute ``session.id``; the longest key that exists wins), a number indexes a list
(``"turns.0.text"``), and a JSON string met on the way is parsed (an OTLP ``metadata`` attribute
holding ``{"segment": ...}``). A text column given a JSON string literal (``'"weather"'``, as
the Langfuse SDK writes metadata values) gets the text inside the quotes.

What a path is looked up in, per reader (see :func:`evalkit.load_traces`): the record (generic
JSON, OpenAI JSONL), the trace object then its first observation (Langfuse export), the root run
then the other runs of the trace (LangSmith), the sample then the log header (Inspect), the root
span then the other spans in tree order (OTLP readers: ``name``, ``attributes.<key>``,
``resource.<key>``, ``status``, ``events``, or an attribute key alone; Phoenix Parquet too).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from evalkit.traces._common_messages import (
    documents_from_value,
    last_text,
    messages_from_value,
    tool_calls_from_messages,
    value_text,
)
from evalkit.traces._common_rows import Ctx, parse_time, to_number

#: canonical columns a path may fill (every one but ``source``, as for CSV)
COLUMNS = frozenset(
    {
        "trace_id",
        "tool_calls",
        "metadata",
        "messages",
        "input",
        "output",
        "model",
        "session_id",
        "user_id",
        "timestamp",
        "latency_ms",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "segment",
        "retrieved",
    }
)
_TEXT = ("model", "session_id", "user_id", "segment")
Lookup = Callable[[str], tuple[bool, Any]]


def check_columns(columns: Any) -> dict[str, str]:
    """``columns=`` as for CSV (their field -> canonical name); returned as canonical -> path.

    Examples
    --------
    >>> check_columns({"response.messages": "messages", "meta.id": "trace_id"})
    {'messages': 'response.messages', 'trace_id': 'meta.id'}
    >>> check_columns({"x": "verdict"})
    Traceback (most recent call last):
    ...
    ValueError: `columns` maps 'x' to 'verdict', which is not a canonical column; allowed: ...
    """
    if columns is None:
        return {}
    if not isinstance(columns, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in columns.items()
    ):
        raise TypeError(
            "`columns` must map your field paths to canonical names (str -> str), e.g. "
            "{'response.messages': 'messages'}; "
            f"got {columns!r}."
        )
    out: dict[str, str] = {}
    for theirs, ours in columns.items():
        if ours not in COLUMNS:
            raise ValueError(
                f"`columns` maps {theirs!r} to {ours!r}, which is not a canonical column; "
                f"allowed: {', '.join(sorted(COLUMNS))}."
            )
        if ours in out:
            raise ValueError(f"`columns` maps both {out[ours]!r} and {theirs!r} to {ours!r}.")
        out[ours] = theirs
    return out


def _descend(value: Any) -> Any:
    """A JSON object/array held as text is parsed to be walked into; anything else as is."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def _unquote(value: Any) -> Any:
    """A JSON string literal (Langfuse writes metadata values as ``'"weather"'``) as its text."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            inner = json.loads(value)
        except ValueError:
            return value
        return inner if isinstance(inner, str) else value
    return value


def get_path(record: Any, path: str) -> tuple[bool, Any]:
    """Follow a dotted path (``"response.messages"``, ``"turns.0.text"``); ``(found, value)``.

    Examples
    --------
    >>> get_path({"a": {"b": [1, {"c": 2}]}}, "a.b.1.c")
    (True, 2)
    >>> get_path({"a": 1}, "a.b")
    (False, None)
    >>> get_path({"x.y": 3}, "x.y")  # a key with a dot in it wins
    (True, 3)
    >>> get_path({"attributes": {"session.id": "s1"}}, "attributes.session.id")
    (True, 's1')
    >>> get_path({"metadata": '{"segment": "billing"}'}, "metadata.segment")  # JSON text
    (True, 'billing')
    """
    record = _descend(record)
    if isinstance(record, Mapping):
        if path in record:
            return True, record[path]
        parts = path.split(".")
        for i in range(len(parts) - 1, 0, -1):  # the longest key that exists first
            key = ".".join(parts[:i])
            if key in record:
                found, value = get_path(record[key], ".".join(parts[i:]))
                if found:
                    return True, value
        return False, None
    if isinstance(record, list):
        head, _, rest = path.partition(".")
        if head.isascii() and head.isdigit() and int(head) < len(record):
            return (True, record[int(head)]) if not rest else get_path(record[int(head)], rest)
    return False, None


def first_of(*records: Any) -> Lookup:
    """A lookup trying each record in turn (the first that has the path wins)."""

    def lookup(path: str) -> tuple[bool, Any]:
        for record in records:
            found, value = get_path(record, path)
            if found:
                return True, value
        return False, None

    return lookup


def span_view(span: Any) -> dict[str, Any]:
    """An OTLP span (``evalkit.traces._otlp.Span``) as a record paths can walk."""
    return {
        "traceId": span.trace_id,
        "spanId": span.span_id,
        "parentSpanId": span.parent_id,
        "name": span.name,
        "attributes": span.attrs,
        "resource": span.resource,
        "status": span.status,
        "events": [{"name": n, "attributes": a} for n, _t, a in span.events],
    }


def trace_lookup(trace: Any) -> Lookup:
    """Paths on the root span first, then on the other spans in tree order; bare attribute keys."""
    spans = [trace.root, *(s for s in trace.spans if s is not trace.root)]
    views = [span_view(s) for s in spans]
    return first_of(*views, *(s.attrs for s in spans))


def apply_columns(
    ctx: Ctx,
    row: dict[str, Any],
    lookup: Lookup,
    cols: Mapping[str, str],
    *,
    line: int | None = None,
    span_id: str | None = None,
) -> dict[str, Any]:
    """Overwrite ``row``'s canonical values with the fields ``cols`` names (canonical -> path).

    A path the record does not have is a :class:`~evalkit.TraceError` naming the path (through
    ``ctx``: raised, or the record skipped). ``messages`` given this way re-derive ``input``,
    ``output`` and ``tool_calls`` unless those are mapped too.
    """
    given: dict[str, Any] = {}
    for column, path in cols.items():
        found, value = lookup(path)
        if not found:
            ctx.fail(
                f"`columns` path {path!r} (for {column}) is not in the record",
                line=line,
                span_id=span_id,
                field=path,
            )
        given[column] = value
    if "messages" in given:
        messages = messages_from_value(given["messages"], default_role="user")
        for m in messages:
            m["tool_calls"] = m.get("tool_calls") or []
        row["messages"] = messages
        row["tool_calls"] = tool_calls_from_messages(messages)
        row["input"] = last_text(messages, "user")
        answered = bool(messages) and messages[-1]["role"] != "user"
        row["output"] = last_text(messages, "assistant") if answered else None
    for column, value in given.items():
        path = cols[column]
        if column == "messages":
            continue
        if column == "trace_id":
            if not isinstance(value, str | int) or isinstance(value, bool):
                ctx.fail(
                    f"trace id must be a string or integer, got {type(value).__name__}",
                    field=path,
                    line=line,
                    span_id=span_id,
                )
            row[column] = str(value)
        elif column in ("input", "output"):
            row[column] = value_text(value)
        elif column in _TEXT:
            row[column] = None if value is None else (value_text(_unquote(value)) or str(value))
        elif column == "timestamp":
            row[column] = parse_time(ctx, value, field=path, line=line, span_id=span_id)
        elif column in ("input_tokens", "output_tokens"):
            row[column] = to_number(
                ctx, value, field=path, line=line, span_id=span_id, integer=True
            )
        elif column in ("latency_ms", "cost_usd"):
            row[column] = to_number(ctx, value, field=path, line=line, span_id=span_id)
        elif column == "retrieved":
            row[column] = documents_from_value(value)
        else:
            row[column] = _structured(ctx, column, value, path, line, span_id)
    return row


def _structured(
    ctx: Ctx, column: str, value: Any, path: str, line: int | None, span_id: str | None
) -> dict[str, Any] | list[dict[str, Any]]:
    """``metadata`` (an object) and ``tool_calls`` (a list of ``{name, arguments, result}``)."""
    value = _descend(value)
    if column == "metadata":
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            ctx.fail(
                f"metadata must be an object; got {type(value).__name__}",
                field=path,
                line=line,
                span_id=span_id,
            )
        return dict(value)
    calls = [] if value is None else value
    if not isinstance(calls, list) or not all(isinstance(c, Mapping) for c in calls):
        ctx.fail(
            "tool_calls must be a list of {name, arguments, result} objects; "
            f"got {type(value).__name__}",
            field=path,
            line=line,
            span_id=span_id,
        )
    return [
        {"name": c.get("name"), "arguments": c.get("arguments"), "result": c.get("result")}
        for c in calls
    ]

"""Generic JSON records: the messy JSON that teams keep (course homework, in-house logs).

Reads, in this order of preference for a file no format-specific reader claimed:

* a pretty-printed single JSON document: one record (``{"request": ..., "response": ...}``), or a
  list of records under ``data``/``records``/``traces``/``items``/``conversations``/``rows``;
* a top-level JSON array of records;
* JSON Lines, one record per line.

Each record is one trace. Its fields are found by common names (``messages``/``conversation``,
``request``/``response``, ``input``/``output``/``prompt``/``completion``/``question``/``answer``,
``id``/``trace_id``, ``model``, ``session_id``, ``user_id``, ``timestamp``, ``usage``...) or
given with ``columns=`` (as for CSV: your field -> canonical name), whose keys may be dotted paths
into nested fields, e.g. ``columns={"response.messages": "messages", "metadata.lsmith_id":
"trace_id"}``. Messages take
every shape the other readers know (OpenAI, LangChain, ShareGPT, Anthropic parts). Fields not
used are kept in ``metadata``. A record without an id gets a content hash (``json-<16 hex>``),
numbered (``-2``, ``-3``) when the same content repeats. Every problem is a
:class:`~evalkit.TraceError` naming the file, line and field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from evalkit.traces._base import ErrorSink
from evalkit.traces._columns import apply_columns, check_columns, first_of, get_path
from evalkit.traces._common_files import lines_of_items, load_json_text, read_bytes
from evalkit.traces._common_messages import (
    last_text,
    messages_from_value,
    tool_calls_from_messages,
    value_text,
)
from evalkit.traces._common_rows import (
    Ctx,
    RecordSkipped,
    is_missing,
    parse_time,
    segment_of,
    to_number,
    too_deep,
)
from evalkit.traces._jsonio import content_hash, iter_jsonl
from evalkit.traces._repeats import Repeats

NAME = "json"
_SUFFIXES = (".json", ".jsonl", ".ndjson", ".jsonlines")
_LIST_KEYS = ("data", "records", "traces", "items", "conversations", "rows", "examples")
_MESSAGE_KEYS = ("messages", "conversation", "conversations", "chat", "dialog", "turns")
_INPUT_KEYS = ("input", "prompt", "question", "query", "user_input", "instruction")
_OUTPUT_KEYS = ("output", "completion", "answer", "response_text", "reply", "generation")
_ID_KEYS = ("trace_id", "id", "uuid", "conversation_id", "request_id")
#: canonical column -> default field names looked up at the top of a record
_SCALARS = {
    "model": ("model", "model_name"),
    "session_id": ("session_id", "sessionId", "thread_id"),
    "user_id": ("user_id", "userId", "user"),
    "timestamp": ("timestamp", "created_at", "time", "start_time", "created"),
    "latency_ms": ("latency_ms",),
    "cost_usd": ("cost_usd", "cost"),
    "segment": ("segment", "category", "task"),
}
#: rows turned into a canonical (Arrow-backed) frame at a time: a big JSON Lines file is read
#: line by line and never held as Python rows all at once (issue 12.15)
CHUNK = 2_000


def sniff(path: Path, head: bytes) -> bool:
    """Any JSON object or array file (the last JSON reader tried)."""
    if path.suffix.lower() not in _SUFFIXES:
        return False
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def _first_line(path: Path) -> bytes:
    """The first non-blank line of the file (BOM and surrounding blanks stripped)."""
    with open(path, "rb") as fh:
        for raw in fh:
            line = raw.lstrip(b"\xef\xbb\xbf").strip()
            if line:
                return line
    return b""


def _is_json_lines(path: Path) -> bool:
    """A ``.jsonl``-like name (not ``.json``) whose first line is a whole JSON object."""
    if path.suffix.lower() == ".json":
        return False
    first = _first_line(path)
    return first[:1] == b"{" and first.endswith(b"}") and first != b"{"


def _records(ctx: Ctx, data: bytes, path: Path) -> list[tuple[int, Any]]:
    body = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    quiet = Ctx(sink=ErrorSink(mode="collect"), fmt=ctx.fmt, file=ctx.file)
    try:  # reported only once we know it is not JSON Lines either (in every errors= mode)
        doc, text = load_json_text(quiet, data)
    except RecordSkipped:
        if body[:1] == b"{" and b"\n" in body.strip():  # maybe JSON Lines after all
            return list(iter_jsonl(data, sink=ctx.sink, fmt=ctx.fmt, file=ctx.file))
        for error in quiet.sink.errors:
            ctx.sink.add(error)
        raise
    if isinstance(doc, Mapping):
        for key in _LIST_KEYS:
            items = doc.get(key)
            if isinstance(items, list) and items and all(isinstance(i, Mapping) for i in items):
                return list(zip(lines_of_items(text, len(items), key), items, strict=True))
        return [(1, doc)]
    if isinstance(doc, list):
        return list(zip(lines_of_items(text, len(doc)), doc, strict=True))
    ctx.fail(f"expected a JSON object or array of records, got {type(doc).__name__}", line=1)


def read(path: Path, *, sink: ErrorSink, columns: Mapping[str, str] | None = None) -> Any:
    """Read generic JSON / JSON Lines records into a canonical frame (one row per record).

    JSON Lines are streamed: read line by line and turned into Arrow-backed frames
    :data:`CHUNK` rows at a time, so memory stays bounded by the result, not by Python rows of
    the whole file. A single JSON document (or array) is parsed whole, as JSON requires.
    """
    cols = check_columns(columns)
    path = Path(path)
    ctx = Ctx(sink=sink, fmt=NAME, file=str(path))
    records: Iterable[tuple[int, Any]]
    try:
        if _is_json_lines(path):
            records = iter_jsonl(path, sink=sink, fmt=NAME)
        else:
            records = _records(ctx, read_bytes(ctx, path), path)
    except RecordSkipped:
        return []
    from evalkit.traces import schema
    from evalkit.traces._frames import checked_frame

    rows: list[dict[str, Any]] = []
    frames = []
    repeats = Repeats()
    for line, rec in records:
        try:
            row = _row(ctx, line, rec, cols)
        except RecordSkipped:
            continue
        except RecursionError:
            try:
                too_deep(ctx, line)
            except RecordSkipped:
                continue
        if row.pop("_hashed"):
            row["trace_id"] = repeats.number(row["trace_id"], line)
        rows.append(row)
        if len(rows) == CHUNK:
            frames.append(checked_frame(rows, sink))
            rows = []
    repeats.warn(str(path), unit="record", stacklevel=4)
    if rows:
        frames.append(checked_frame(rows, sink))
    return schema.concat(frames) if frames else []


def _pick(rec: Mapping[str, Any], names: tuple[str, ...], used: set[str]) -> Any:
    for name in names:
        if name in rec and not is_missing(rec[name]):
            used.add(name)
            return rec[name]
    return None


def _merge_history(conversation: list[dict[str, Any]], more: list[dict[str, Any]]) -> None:
    """Append ``more``, skipping a prefix that repeats the conversation so far."""
    n = 0
    key = ("role", "content")
    while (
        n < len(conversation)
        and n < len(more)
        and all(conversation[n].get(k) == more[n].get(k) for k in key)
    ):
        n += 1
    conversation.extend(more[n:] if n == len(conversation) else more)


def _conversation(rec: Mapping[str, Any], used: set[str]) -> list[dict[str, Any]]:
    for key in _MESSAGE_KEYS:
        if isinstance(rec.get(key), list):
            used.add(key)
            return messages_from_value(rec[key], default_role="user")
    request, response = rec.get("request"), rec.get("response")
    if isinstance(request, Mapping) or isinstance(response, Mapping):
        used.update(k for k in ("request", "response") if k in rec)
        conversation = messages_from_value(request, default_role="user") if request else []
        if response is not None:
            _merge_history(conversation, messages_from_value(response, default_role="assistant"))
        return conversation
    return []


def _row(ctx: Ctx, line: int, rec: Any, cols: dict[str, str]) -> dict[str, Any]:
    if not isinstance(rec, Mapping):
        ctx.fail(f"a record must be a JSON object, got {type(rec).__name__}", line=line)
    used: set[str] = set()
    given: dict[str, Any] = {}
    for column, field_path in cols.items():
        found, value = get_path(rec, field_path)
        if not found:
            ctx.fail(
                f"`columns` path {field_path!r} (for {column}) is not in the record",
                line=line,
                field=field_path,
            )
        given[column] = value
        used.add(field_path.split(".", 1)[0])
    if "messages" in given:
        messages = messages_from_value(given["messages"], default_role="user")
    else:
        messages = _conversation(rec, used)
    for m in messages:
        m["tool_calls"] = m.get("tool_calls") or []
    raw_in = given["input"] if "input" in given else _pick(rec, _INPUT_KEYS, used)
    raw_out = given["output"] if "output" in given else _pick(rec, _OUTPUT_KEYS, used)
    if not messages and raw_in is not None:
        messages = messages_from_value(raw_in, default_role="user")
        if raw_out is not None:
            messages += messages_from_value(raw_out, default_role="assistant")
    if not messages and raw_in is None and raw_out is None:
        ctx.fail(
            "no conversation in the record: expected messages/conversation, request/response, "
            "input/output, prompt/completion or question/answer (or map yours with columns=); "
            f"got keys {sorted(map(str, rec))[:8]}",
            line=line,
        )
    inp = value_text(raw_in) if "input" in given else last_text(messages, "user")
    out = value_text(raw_out) if "output" in given else None
    if out is None and "output" not in given:
        out = last_text(messages, "assistant") if messages else value_text(raw_out)
        if messages and messages[-1]["role"] == "user":
            out = None  # a request still waiting for its answer
    if inp is None and raw_in is not None:
        inp = value_text(raw_in)
    tid = given.get("trace_id")
    if tid is None and "trace_id" not in given:
        tid = _pick(rec, _ID_KEYS, used)
    hashed = tid is None
    if hashed:
        tid = content_hash(NAME, rec)
    elif not isinstance(tid, (str, int)) or isinstance(tid, bool):
        ctx.fail(
            f"trace id must be a string or integer, got {type(tid).__name__}",
            line=line,
            field=cols.get("trace_id", "id"),
        )
    values: dict[str, Any] = {}
    for column, names in _SCALARS.items():
        values[column] = given[column] if column in given else _pick(rec, names, used)
    if values["model"] is None and "model" not in given:
        for where in ("response.model", "request.model"):
            found, value = get_path(rec, where)
            if found and isinstance(value, str):
                values["model"] = value
                break
    usage: Mapping[str, Any] = rec["usage"] if isinstance(rec.get("usage"), Mapping) else {}
    if usage:
        used.add("usage")
    tokens = {}
    for column, names in (
        ("input_tokens", ("input_tokens", "prompt_tokens")),
        ("output_tokens", ("output_tokens", "completion_tokens")),
    ):
        raw = given[column] if column in given else _pick(usage, names, set())
        tokens[column] = to_number(
            ctx, raw, field=cols.get(column, f"usage.{names[0]}"), line=line, integer=True
        )
    meta_in: Mapping[str, Any] = rec["metadata"] if isinstance(rec.get("metadata"), Mapping) else {}
    metadata: dict[str, Any] = dict(meta_in)
    for k, v in rec.items():
        if k not in used and k != "metadata" and not is_missing(v):
            metadata[k if k not in metadata else f"record.{k}"] = v
    segment = values["segment"] if values["segment"] is not None else segment_of(metadata)
    latency = to_number(
        ctx, values["latency_ms"], field=cols.get("latency_ms", "latency_ms"), line=line
    )
    cost = to_number(ctx, values["cost_usd"], field=cols.get("cost_usd", "cost_usd"), line=line)
    row = {
        "trace_id": str(tid),
        "timestamp": parse_time(
            ctx, values["timestamp"], field=cols.get("timestamp", "timestamp"), line=line
        ),
        "session_id": None if values["session_id"] is None else str(values["session_id"]),
        "user_id": None if values["user_id"] is None else str(values["user_id"]),
        "input": inp,
        "output": out,
        "messages": messages,
        "tool_calls": tool_calls_from_messages(messages),
        "retrieved": [],
        "model": None if values["model"] is None else str(values["model"]),
        "latency_ms": latency,
        "input_tokens": tokens["input_tokens"],
        "output_tokens": tokens["output_tokens"],
        "cost_usd": cost,
        "segment": None if segment is None else str(segment),
        "metadata": metadata,
        "source": ctx.source(line),
        "_hashed": hashed,
    }
    structured: dict[str, str] = {c: cols[c] for c in ("metadata", "tool_calls") if c in cols}
    if structured:  # mapped as given, over what the record's own fields gave
        apply_columns(ctx, row, first_of(rec), structured, line=line)
    return row

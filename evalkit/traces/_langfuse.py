"""Read Langfuse trace exports (public API ``GET /api/public/traces`` JSON, lists and JSONL).

Accepted shapes: a list of traces, ``{"data": [...]}`` (the public API page), ``{"traces": [...],
"observations": [...]}``, or JSONL with one trace or observation per line. A trace is
``TraceWithFullDetails`` (``observations`` holds full ``ObservationsView`` objects) or
``TraceWithDetails`` (``observations`` holds ids; the objects may come as separate records in the
same file, linked by ``traceId``). Observations without a trace record become a trace of their own.
Observation records may use the API's camelCase names (``traceId``, ``startTime``: ``.json()`` or
``.dict()`` of the SDK's models) or the SDK's snake_case field names (``trace_id``,
``start_time``: ``ObservationV2.model_dump()``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evalkit.traces._base import ErrorSink
from evalkit.traces._columns import apply_columns, check_columns, first_of
from evalkit.traces._common_files import (
    lines_of_items,
    load_json_text,
    looks_like_jsonl,
    read_bytes,
)
from evalkit.traces._common_messages import (
    complete_tool_calls,
    documents_from_value,
    last_text,
    messages_from_value,
    observe_args,
    parse_arguments,
    value_text,
)
from evalkit.traces._common_rows import (
    Ctx,
    RecordSkipped,
    expect_type,
    is_missing,
    ms_between,
    parse_time,
    segment_of,
    to_number,
    too_deep,
)
from evalkit.traces._jsonio import iter_jsonl
from evalkit.traces._langfuse_otel import read as read_otel
from evalkit.traces._langfuse_otel import sniff_head
from evalkit.traces._spans import attach as attach_spans
from evalkit.traces._spans import from_langfuse as spans_from_langfuse

NAME = "langfuse"

_TRACE_MAPPED = {
    "id", "timestamp", "sessionId", "userId", "input", "output", "metadata", "latency", "totalCost",
    "observations",
}  # fmt: skip
_OBS_MARKERS = (b'"traceId"', b'"parentObservationId"', b'"startTime"')
#: ``ObservationV2.model_dump()`` (snake_case; every field written, the root's parent as null)
_SNAKE_MARKERS = (b'"trace_id"', b'"parent_observation_id"', b'"start_time"')
#: fields of an observation shown under their own names in ``metadata["observations"]``
_SUMMARISED = frozenset(
    {"id", "type", "name", "traceId", "parentObservationId", "startTime", "endTime", "model",
     "level", "statusMessage", "metadata", "input", "output"}
)  # fmt: skip


def sniff(path: Path, head: bytes) -> bool:
    """Langfuse exports: traces, observation records, or the OTel-based SDK's OTLP spans.

    JSON/JSONL traces with ``observations``/``htmlPath``, observation records, or OTLP JSON spans
    with ``langfuse.observation.*`` attributes.
    """
    if path.suffix.lower() not in (".json", ".jsonl", ".ndjson"):
        return False
    if sniff_head(head):
        return True
    h = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not h.startswith((b"{", b"[")):
        return False
    if b'"htmlPath"' in head or (b'"observations"' in head and b'"run_type"' not in head):
        return True
    return (
        (sum(m in head for m in _OBS_MARKERS) >= 2 or all(m in head for m in _SNAKE_MARKERS))
        and b'"type"' in head
        and b'"resourceSpans"' not in head
        and b'"run_type"' not in head
    )


def read(path: Path, *, sink: ErrorSink, columns: Any = None) -> list[dict[str, Any]]:
    """Read a Langfuse export into canonical rows (one per trace).

    ``columns=`` paths are looked up in the trace object (then its first observation).
    """
    cols = check_columns(columns)
    with open(path, "rb") as fh:
        if sniff_head(fh.read(1 << 16)):
            return read_otel(Path(path), sink=sink, columns=columns)
    ctx = Ctx(sink=sink, fmt=NAME, file=str(path))
    try:
        data = read_bytes(ctx, Path(path))
        records = _records(ctx, data, Path(path))
    except RecordSkipped:
        return []
    return _build(ctx, records, cols)


def _records(ctx: Ctx, data: bytes, path: Path) -> list[tuple[int, str, Any]]:
    """Return ``(line_or_index, field_prefix, record)`` for every trace/observation record."""
    if looks_like_jsonl(data, path):
        jsonl = iter_jsonl(data, sink=ctx.sink, fmt=ctx.fmt, file=ctx.file)
        return [(line, "", rec) for line, rec in jsonl]
    doc, text = load_json_text(ctx, data)
    if isinstance(doc, list):
        lines = lines_of_items(text, len(doc))
        return [(lines[i], f"[{i}]", rec) for i, rec in enumerate(doc)]
    if isinstance(doc, Mapping):
        out: list[tuple[int, str, Any]] = []
        found = False
        for key in ("data", "traces", "observations"):
            if key in doc:
                items = expect_type(ctx, doc[key], list, field=key, required=True)
                found = True
                lines = lines_of_items(text, len(items), key)
                out += [(lines[i], f"{key}[{i}]", rec) for i, rec in enumerate(items)]
        if found:
            return out
        if "id" in doc:
            return [(1, "", doc)]
    ctx.fail(
        'expected a list of traces, {"data": [...]}, or one trace/observation per line; '
        f"got {type(doc).__name__}",
        line=1,
    )


def _is_observation(rec: Mapping[str, Any]) -> bool:
    return ("traceId" in rec or "trace_id" in rec) and "type" in rec and "observations" not in rec


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _camelize(o: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A snake_case observation with the API's camelCase keys, and camel name -> name as written.

    A key already written in camelCase wins; top-level keys only (``metadata`` stays as written).

    Examples
    --------
    >>> o, names = _camelize({"trace_id": "t", "start_time": "2026", "usage_details": {"input": 1}})
    >>> o
    {'traceId': 't', 'startTime': '2026', 'usageDetails': {'input': 1}}
    >>> names["startTime"]
    'start_time'
    """
    if not any("_" in k for k in o):
        return o, {}
    out: dict[str, Any] = {}
    names: dict[str, str] = {}
    for k, v in o.items():
        c = _camel(k) if "_" in k else k
        if c != k and (c in o or c in out):  # written in camelCase too, or a second spelling
            c = k
        out[c] = v
        if c != k:
            names[c] = k
    return out, names


def _build(
    ctx: Ctx, records: list[tuple[int, str, Any]], cols: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    traces: list[tuple[int, str, dict[str, Any]]] = []
    loose: dict[str, list[tuple[int, str, dict[str, Any]]]] = defaultdict(list)
    bad_traces: set[str] = set()
    for line, prefix, rec in records:
        try:
            rec = expect_type(ctx, rec, dict, field=prefix or None, line=line, required=True)
            if _is_observation(rec):
                tkey = "traceId" if "traceId" in rec else "trace_id"
                tid = expect_type(
                    ctx,
                    rec.get(tkey),
                    str,
                    field=_f(prefix, tkey),
                    line=line,
                    required=True,
                )
                loose[tid].append((line, prefix, rec))
            else:
                expect_type(
                    ctx, rec.get("id"), str, field=_f(prefix, "id"), line=line, required=True
                )
                traces.append((line, prefix, rec))
        except RecordSkipped:
            if isinstance(rec, Mapping):
                tref = rec.get("traceId", rec.get("trace_id"))
                if isinstance(tref, str):
                    bad_traces.add(tref)
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for line, prefix, trace in traces:
        tid = trace["id"]
        seen.add(tid)
        if tid in bad_traces:
            continue  # one of its observations was bad and is already reported
        try:
            row = _trace_row(ctx, line, prefix, trace, loose.get(tid, []))
            if cols:
                apply_columns(ctx, row, first_of(trace), cols, line=line)
            rows.append(row)
        except RecordSkipped:
            continue
        except RecursionError:
            too_deep(ctx, line, tid)
    for tid, obs in loose.items():
        if tid in seen or tid in bad_traces:
            continue
        line, prefix, _ = obs[0]
        try:
            trace = _trace_from_observations(tid, obs)
            row = _trace_row(ctx, line, None, trace, obs)
            if cols:
                apply_columns(ctx, row, first_of(trace, obs[0][2]), cols, line=line)
            rows.append(row)
        except RecordSkipped:
            continue
        except RecursionError:
            too_deep(ctx, line, tid)
    return rows


def _trace_from_observations(tid: str, obs: list[tuple[int, str, dict[str, Any]]]) -> dict:
    """Trace fields of an observation-only export (``GET /api/public/v2/observations``).

    Observations there carry the trace's ``sessionId``/``userId`` (camelCase or snake_case) and
    metadata; the root observation's input/output stand for the trace's (the one marked
    ``isRootObservation``, else the one without a parent).
    """
    records = [_camelize(o)[0] for _, _, o in obs]
    # v2 marks the app root, which may keep a parent id (called inside another tool's span)
    roots = [o for o in records if o.get("isRootObservation") is True] or [
        o for o in records if not o.get("parentObservationId")
    ]
    trace: dict[str, Any] = {"id": tid}
    for key, alts in (
        ("sessionId", ("sessionId", "session_id", "traceSessionId")),
        ("userId", ("userId", "user_id", "traceUserId")),
        ("name", ("traceName",)),
        ("tags", ("traceTags", "tags")),
    ):
        for o in roots + records:
            found = next((o[a] for a in alts if not is_missing(o.get(a))), None)
            if found is not None:
                trace[key] = found
                break
    meta: dict[str, Any] = {}
    for o in roots + records:
        for src in (o.get("traceMetadata"), o.get("metadata")):
            if isinstance(src, Mapping):
                for k, v in src.items():
                    meta.setdefault(k, v)
    if meta:
        trace["metadata"] = meta
    if roots:
        for key in ("input", "output"):
            if not is_missing(roots[0].get(key)):
                trace[key] = roots[0][key]
    return trace


def _f(prefix: str | None, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _trace_row(
    ctx: Ctx,
    line: int,
    prefix: str | None,
    trace: dict[str, Any],
    loose: list[tuple[int, str, dict[str, Any]]],
) -> dict[str, Any]:
    tid: str = trace["id"]
    p = prefix or ""
    meta_in = (
        expect_type(ctx, trace.get("metadata"), dict, field=_f(p, "metadata"), line=line) or {}
    )
    observation_ids: list[str] = []
    obs_items: list[tuple[int, str, dict[str, Any]]] = []
    nested = (
        expect_type(ctx, trace.get("observations"), list, field=_f(p, "observations"), line=line)
        or []
    )
    for i, o in enumerate(nested):
        if isinstance(o, str):
            observation_ids.append(o)
        else:
            obs_items.append((line, _f(p, f"observations[{i}]"), o))
    obs_items += loose
    observations = [_observation(ctx, ln, fp, o, tid) for ln, fp, o in obs_items]
    ordered = _tree_order(observations)

    start = parse_time(
        ctx, trace.get("timestamp"), field=_f(p, "timestamp"), line=line, span_id=tid
    )
    starts = [o["start"] for o in ordered if o["start"] is not None]
    ends = [o["end"] for o in ordered if o["end"] is not None]
    if start is None and starts:
        start = min(starts)

    generations = [o for o in ordered if o["type"] == "GENERATION"]
    final_gen = max(generations, key=_time_key) if generations else None
    messages: list[dict[str, Any]] = []
    if final_gen is not None:
        messages = messages_from_value(final_gen["raw"].get("input"), default_role="user")
        messages += messages_from_value(final_gen["raw"].get("output"), default_role="assistant")
    if not messages:
        messages = messages_from_value(observe_args(trace.get("input")), default_role="user")
        messages += messages_from_value(trace.get("output"), default_role="assistant")

    tool_calls = [
        {
            "name": o["name"],
            "arguments": parse_arguments(observe_args(o["raw"].get("input"))),
            "result": _result(o["raw"].get("output")),
        }
        for o in ordered
        if o["type"] == "TOOL"
    ]
    tool_calls = complete_tool_calls(tool_calls, messages)
    retrieved = [
        d
        for o in ordered
        if o["type"] == "RETRIEVER"
        for d in documents_from_value(o["raw"].get("output"))
    ]

    in_tok = _sum(o["input_tokens"] for o in generations)
    out_tok = _sum(o["output_tokens"] for o in generations)
    cost = to_number(ctx, trace.get("totalCost"), field=_f(p, "totalCost"), line=line, span_id=tid)
    if cost is None:
        cost = _sum(o["cost"] for o in ordered)
    latency_s = to_number(ctx, trace.get("latency"), field=_f(p, "latency"), line=line, span_id=tid)
    latency_ms = (
        latency_s * 1000.0
        if latency_s is not None
        else ms_between(start, max(ends) if ends else None)
    )

    user_text = last_text(messages, "user")
    if user_text is None:
        user_text = value_text(observe_args(trace.get("input")))
    output = value_text(trace.get("output"))
    if output is None:
        output = last_text(messages, "assistant")

    metadata: dict[str, Any] = dict(meta_in)
    for k, v in trace.items():
        if k not in _TRACE_MAPPED and not is_missing(v):
            metadata[k if k not in metadata else f"trace.{k}"] = v
    if observation_ids and not observations:
        metadata["observation_ids"] = observation_ids
    metadata["observations"] = [_summary(o) for o in ordered]
    attach_spans(metadata, spans_from_langfuse(ordered))
    problems = [
        {
            "id": o["id"],
            "name": o["name"],
            "level": o["raw"].get("level"),
            "status_message": o["raw"].get("statusMessage"),
        }
        for o in ordered
        if o["raw"].get("level") in ("ERROR", "WARNING")
    ]
    if problems:
        metadata["errors"] = problems
    for key in ("input", "output"):  # structured app input/output: kept beside the text
        if not isinstance(trace.get(key), str | type(None)):
            metadata.setdefault(f"trace_{key}", trace[key])
    return {
        "trace_id": tid,
        "timestamp": start,
        "session_id": _str(trace.get("sessionId")),
        "user_id": _str(trace.get("userId")),
        "input": user_text,
        "output": output,
        "messages": messages,
        "tool_calls": tool_calls,
        "retrieved": retrieved,
        "model": final_gen["model"] if final_gen else None,
        "latency_ms": latency_ms,
        "input_tokens": in_tok,
        "output_tokens": out_tok,
        "cost_usd": cost,
        "segment": segment_of(metadata),
        "metadata": metadata,
        "source": ctx.source(line, None),
    }


def _observation(ctx: Ctx, line: int, field: str, o: Any, trace_id: str) -> dict[str, Any]:
    o = expect_type(ctx, o, dict, field=field, line=line, required=True)
    o, names = _camelize(o)

    def fld(name: str) -> str:  # the field as the file spells it
        return _f(field, names.get(name, name))

    oid = expect_type(ctx, o.get("id"), str, field=fld("id"), line=line, required=True)
    otype = expect_type(
        ctx, o.get("type"), str, field=fld("type"), line=line, span_id=oid, required=True
    )
    if o.get("startTime") is None:
        ctx.fail("required field is missing", line=line, span_id=oid, field=fld("startTime"))
    start = parse_time(ctx, o.get("startTime"), field=fld("startTime"), line=line, span_id=oid)
    end = parse_time(ctx, o.get("endTime"), field=fld("endTime"), line=line, span_id=oid)
    tref = o.get("traceId")
    if tref is not None and tref != trace_id:
        ctx.fail(
            f"observation belongs to trace {tref!r}, not {trace_id!r}",
            line=line,
            span_id=oid,
            field=fld("traceId"),
        )
    usage_d = _dict(ctx, o, "usageDetails", fld("usageDetails"), line, oid)
    usage = _dict(ctx, o, "usage", fld("usage"), line, oid)
    cost_d = _dict(ctx, o, "costDetails", fld("costDetails"), line, oid)

    def num(src: Mapping[str, Any], key: str, base: str, integer: bool = False) -> Any:
        return to_number(
            ctx,
            src.get(key),
            field=f"{base}.{key}" if base else fld(key),
            line=line,
            span_id=oid,
            integer=integer,
        )

    # usageDetails is current; usage and the top-level promptTokens/completionTokens are legacy
    ud, us = fld("usageDetails"), fld("usage")
    in_tok = _first(
        (usage_d, "input", ud),
        (usage_d, "prompt_tokens", ud),
        (usage, "input", us),
        (usage, "promptTokens", us),
        (o, "promptTokens", ""),
        num=num,
    )
    out_tok = _first(
        (usage_d, "output", ud),
        (usage_d, "completion_tokens", ud),
        (usage, "output", us),
        (usage, "completionTokens", us),
        (o, "completionTokens", ""),
        num=num,
    )
    cost = num(cost_d, "total", fld("costDetails"))
    if cost is None:
        cost = num(o, "calculatedTotalCost", "")
    if cost is None:
        cost = num(usage, "totalCost", us)
    return {
        "id": oid,
        "type": otype.upper(),
        "name": _str(o.get("name")),
        "parent": _str(o.get("parentObservationId")),
        "start": start,
        "end": end,
        "model": _str(o.get("model")),
        "input_tokens": in_tok,
        "output_tokens": out_tok,
        "cost": cost,
        "raw": o,
        "order": 0,
    }


def _first(*sources: tuple[Mapping[str, Any], str, str], num: Any) -> Any:
    """The first token count present among ``(mapping, key, field_base)`` sources."""
    for src, key, base in sources:
        value = num(src, key, base, True)
        if value is not None:
            return value
    return None


def _dict(
    ctx: Ctx, o: Mapping[str, Any], key: str, field: str, line: int, oid: str
) -> Mapping[str, Any]:
    """``o[key]`` if it is an object (``{}`` if missing); ``field`` is its full name."""
    return expect_type(ctx, o.get(key), dict, field=field, line=line, span_id=oid) or {}


def _tree_order(observations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Depth-first over the parent tree, siblings by start time (file order breaks ties)."""
    ids = {o["id"] for o in observations}
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for i, o in enumerate(observations):
        o["order"] = i
        children[o["parent"] if o["parent"] in ids else None].append(o)
    for kids in children.values():
        kids.sort(
            key=lambda o: (o["start"].timestamp() if o["start"] else float("inf"), o["order"])
        )
    out: list[dict[str, Any]] = []
    stack = list(reversed(children[None]))
    visited: set[str] = set()
    while stack:
        o = stack.pop()
        if o["id"] in visited:
            continue
        visited.add(o["id"])
        out.append(o)
        stack.extend(reversed(children.get(o["id"], [])))
    out += [o for o in observations if o["id"] not in visited]  # parent cycles: keep, in file order
    for i, o in enumerate(out):
        o["order"] = i
    return out


def _time_key(o: Mapping[str, Any]) -> tuple[float, int]:
    return (o["start"].timestamp() if o["start"] else float("-inf"), o["order"])


def _summary(o: Mapping[str, Any]) -> dict[str, Any]:
    """One observation for ``metadata["observations"]``; a generation's input is in ``messages``."""
    raw = o["raw"]
    out = {
        "id": o["id"],
        "type": o["type"],
        "name": o["name"],
        "parent_id": o["parent"],
        "start_time": raw.get("startTime"),
        "end_time": raw.get("endTime"),
        "model": o["model"],
        "level": raw.get("level"),
        "status_message": raw.get("statusMessage"),
        "metadata": raw.get("metadata"),
        "output": raw.get("output"),
    }
    if o["type"] != "GENERATION":
        out["input"] = raw.get("input")
    # nothing dropped: every other field (modelParameters, usageDetails, latency, environment...)
    out.update((k, v) for k, v in raw.items() if k not in _SUMMARISED and not is_missing(v))
    return out


def _result(value: Any) -> Any:
    if isinstance(value, str) or value is None:
        return value
    if (
        isinstance(value, Mapping)
        and set(value) <= {"output", "result", "content"}
        and len(value) == 1
    ):
        return next(iter(value.values()))
    return value


def _sum(values: Any) -> Any:
    vals = [v for v in values if v is not None]
    return sum(vals) if vals else None


def _str(value: Any) -> str | None:
    return None if is_missing(value) else str(value)

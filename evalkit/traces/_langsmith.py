"""Read LangSmith run exports (JSONL, a JSON list, or Parquet) into one row per trace.

Runs are grouped by ``trace_id`` (derived from ``dotted_order`` or the parent chain when absent)
and ordered by ``dotted_order`` (``start_time`` when absent). The root run (no ``parent_run_id``)
gives the trace's time, latency, input and output; ``llm`` runs give messages, model and tokens;
``tool`` runs give tool calls; ``retriever`` runs give retrieved documents. Run errors are kept in
``metadata["errors"]``.
"""

from __future__ import annotations

import contextlib
import json
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
    maybe_json,
    read_bytes,
)
from evalkit.traces._common_messages import (
    complete_tool_calls,
    documents_from_value,
    last_text,
    messages_from_value,
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
    plain,
    segment_of,
    to_number,
    too_deep,
)
from evalkit.traces._jsonio import iter_jsonl
from evalkit.traces._spans import attach as attach_spans
from evalkit.traces._spans import from_langsmith as spans_from_langsmith

NAME = "langsmith"

_RUN_TYPES = ("llm", "chain", "tool", "retriever", "prompt", "parser", "embedding")
_JSON_COLUMNS = (
    "inputs",
    "outputs",
    "extra",
    "events",
    "serialized",
    "tags",
    "feedback_stats",
    "attachments",
)
_SESSION_KEYS = ("thread_id", "session_id", "conversation_id")


def sniff(path: Path, head: bytes) -> bool:
    """LangSmith runs: JSON/JSONL/Parquet with ``run_type`` and ``dotted_order``/``trace_id``."""
    suffix = path.suffix.lower()
    if suffix == ".parquet" or head.startswith(b"PAR1"):
        return is_langsmith_parquet(path)
    if suffix not in (".json", ".jsonl", ".ndjson"):
        return False
    return b'"run_type"' in head and (
        b'"dotted_order"' in head or b'"trace_id"' in head or b'"parent_run_id"' in head
    )


def is_langsmith_parquet(path: Path) -> bool:
    """True when a Parquet file's schema has the LangSmith run columns."""
    try:
        import pyarrow.parquet as pq

        names = set(pq.read_schema(path).names)
    except Exception:
        return False
    return {"id", "run_type"} <= names and bool(
        names & {"trace_id", "dotted_order", "parent_run_id"}
    )


def read(path: Path, *, sink: ErrorSink, columns: Any = None) -> list[dict[str, Any]]:
    """Read LangSmith runs into canonical rows (one per trace).

    ``columns=`` paths are looked up in the trace's root run (``extra.metadata.x``,
    ``outputs.answer``...), then in its other runs in order.
    """
    cols = check_columns(columns)
    path = Path(path)
    ctx = Ctx(sink=sink, fmt=NAME, file=str(path))
    try:
        data = read_bytes(ctx, path)
        if data.startswith(b"PAR1"):
            records = _parquet_records(ctx, path)
        elif looks_like_jsonl(data, Path(path)):
            jsonl = iter_jsonl(data, sink=ctx.sink, fmt=ctx.fmt, file=ctx.file)
            records = [(line, "", rec) for line, rec in jsonl]
        else:
            doc, text = load_json_text(ctx, data)
            key, prefix = None, ""
            if isinstance(doc, Mapping) and isinstance(doc.get("runs"), list):
                doc, key, prefix = doc["runs"], "runs", "runs"
            elif isinstance(doc, Mapping):
                doc = [doc]
            if not isinstance(doc, list):
                ctx.fail(
                    f"expected runs (JSONL, a JSON list or Parquet); got {type(doc).__name__}",
                    line=1,
                )
            lines = lines_of_items(text, len(doc), key)
            records = [(lines[i], f"{prefix}[{i}]", rec) for i, rec in enumerate(doc)]
    except RecordSkipped:
        return []
    return _build(ctx, records, cols)


def _parquet_records(ctx: Ctx, path: Path) -> list[tuple[int, str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(path).to_pylist()
    except (pa.ArrowException, OSError) as exc:
        ctx.fail(f"cannot read Parquet: {exc}")
    out = []
    for i, row in enumerate(rows):
        rec = {k: plain(v) for k, v in row.items()}
        for col in _JSON_COLUMNS:
            if isinstance(rec.get(col), str):
                with contextlib.suppress(ValueError):  # left as text: the type check reports it
                    rec[col] = json.loads(rec[col])
        out.append((i + 1, "", rec))
    return out


def _f(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _flatten(records: list[tuple[int, str, Any]]) -> list[tuple[int, str, Any]]:
    """Runs exported with ``child_runs`` nested inside them become records of their own."""
    out: list[tuple[int, str, Any]] = []
    stack = list(reversed(records))
    while stack:
        line, prefix, rec = stack.pop()
        if isinstance(rec, Mapping) and isinstance(rec.get("child_runs"), list):
            kids = rec["child_runs"]
            rec = {k: v for k, v in rec.items() if k != "child_runs"}
            stack += reversed(
                [(line, _f(prefix, f"child_runs[{i}]"), c) for i, c in enumerate(kids)]
            )
        out.append((line, prefix, rec))
    return out


def _build(
    ctx: Ctx, records: list[tuple[int, str, Any]], cols: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    bad_traces: set[str] = set()
    seen_ids: set[str] = set()
    for line, prefix, rec in _flatten(records):
        if isinstance(rec, Mapping) and isinstance(rec.get("id"), str):
            if rec["id"] in seen_ids:
                continue  # the same run both nested and on its own line
            seen_ids.add(rec["id"])
        try:
            runs.append(_run(ctx, line, prefix, rec))
        except RecordSkipped:
            if isinstance(rec, Mapping):
                for key in ("trace_id", "id"):
                    if isinstance(rec.get(key), str):
                        bad_traces.add(rec[key])
    by_id = {r["id"]: r for r in runs}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in runs:
        groups[_trace_of(r, by_id)].append(r)
    rows = []
    for tid, group in groups.items():
        if tid in bad_traces:
            continue  # one of its runs was bad and is already reported
        try:
            row = _trace_row(ctx, tid, group)
            if cols:  # the root run first (_trace_row put it in source.span_id)
                root = row["source"]["span_id"]
                runs_in_order = sorted(group, key=lambda r: r["id"] != root)
                lookup = first_of(*(r["raw"] for r in runs_in_order))
                src = row["source"]
                apply_columns(ctx, row, lookup, cols, line=src["line"], span_id=root)
            rows.append(row)
        except RecordSkipped:
            continue
        except RecursionError:
            too_deep(ctx, None, tid)
    return rows


def _run(ctx: Ctx, line: int, prefix: str, rec: Any) -> dict[str, Any]:
    rec = expect_type(ctx, rec, dict, field=prefix or None, line=line, required=True)
    rid = expect_type(ctx, rec.get("id"), str, field=_f(prefix, "id"), line=line, required=True)
    rtype = expect_type(
        ctx,
        rec.get("run_type"),
        str,
        field=_f(prefix, "run_type"),
        line=line,
        span_id=rid,
        required=True,
    )
    if rtype not in _RUN_TYPES:
        ctx.fail(
            f"`run_type` must be one of {', '.join(map(repr, _RUN_TYPES))}; got {rtype!r}",
            line=line,
            span_id=rid,
            field=_f(prefix, "run_type"),
        )
    for key in ("trace_id", "parent_run_id", "dotted_order", "name"):
        expect_type(ctx, rec.get(key), str, field=_f(prefix, key), line=line, span_id=rid)
    for key in ("inputs", "outputs", "extra"):
        rec[key] = maybe_json(rec.get(key))
        expect_type(ctx, rec.get(key), dict, field=_f(prefix, key), line=line, span_id=rid)
    start = parse_time(
        ctx, rec.get("start_time"), field=_f(prefix, "start_time"), line=line, span_id=rid
    )
    end = parse_time(ctx, rec.get("end_time"), field=_f(prefix, "end_time"), line=line, span_id=rid)
    nums = {
        key: to_number(
            ctx,
            rec.get(key),
            field=_f(prefix, key),
            line=line,
            span_id=rid,
            integer=key.endswith("tokens"),
        )
        for key in ("prompt_tokens", "completion_tokens", "total_tokens", "total_cost")
    }
    if nums["prompt_tokens"] is None and nums["completion_tokens"] is None:
        for where, usage in _usage_of(rec):
            nums["prompt_tokens"], nums["completion_tokens"] = (
                to_number(
                    ctx,
                    usage.get(key) if key in usage else usage.get(alt),
                    field=_f(prefix, f"{where}.{key if key in usage else alt}"),
                    line=line,
                    span_id=rid,
                    integer=True,
                )
                for key, alt in (
                    ("input_tokens", "prompt_tokens"),
                    ("output_tokens", "completion_tokens"),
                )
            )
            break
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        count = nums[key]
        if count is not None and not 0 <= count < 2**63:  # Int64 column
            ctx.fail(
                f"token count {count} is out of range (0 to 2**63 - 1)",
                line=line,
                span_id=rid,
                field=_f(prefix, key),
            )
    return {"id": rid, "type": rtype, "line": line, "raw": rec, "start": start, "end": end, **nums}


def _usage_of(rec: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Where the SDK puts token usage when the run has no top-level counts, most direct first.

    ``outputs.usage_metadata`` (``@traceable``/``wrap_openai``, ``RunTree``), the LLM output's
    ``token_usage``/``usage`` (LangChain, raw OpenAI responses), ``extra.metadata.usage_metadata``.
    """
    def sub(value: Any) -> Mapping[str, Any]:
        return value if isinstance(value, Mapping) else {}

    outputs = sub(rec.get("outputs"))
    meta = sub(sub(rec.get("extra")).get("metadata"))
    llm_out = sub(outputs.get("llm_output"))
    found = [
        ("outputs.usage_metadata", outputs.get("usage_metadata")),
        ("outputs.llm_output.token_usage", llm_out.get("token_usage")),
        ("outputs.usage", outputs.get("usage")),
        ("extra.metadata.usage_metadata", meta.get("usage_metadata")),
    ]
    return [(w, u) for w, u in found if isinstance(u, Mapping) and u]


def _response_model(outputs: Any) -> Any:
    """The model that answered (``model`` of an OpenAI response, LangChain's ``model_name``)."""
    if not isinstance(outputs, Mapping):
        return None
    if isinstance(outputs.get("model"), str):
        return outputs["model"]
    for key in ("response_metadata", "llm_output"):
        inner = outputs.get(key)
        if isinstance(inner, Mapping):
            found = inner.get("model_name") or inner.get("model")
            if isinstance(found, str):
                return found
    gens = outputs.get("generations")
    if isinstance(gens, list) and gens:
        last = gens[-1][-1] if isinstance(gens[-1], list) and gens[-1] else gens[-1]
        message = last.get("message") if isinstance(last, Mapping) else None
        kwargs = message.get("kwargs") if isinstance(message, Mapping) else None
        if isinstance(kwargs, Mapping):
            return _response_model(kwargs)
    return None


def _trace_of(run: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]]) -> str:
    raw = run["raw"]
    if raw.get("trace_id"):
        return str(raw["trace_id"])
    dotted = raw.get("dotted_order")
    if dotted:  # "{time}Z{uuid}.{time}Z{uuid}...": the first segment is the root run
        first = dotted.split(".", 1)[0]
        if "Z" in first:
            return first.split("Z", 1)[1]
    seen: set[str] = set()
    cur = run
    while cur["raw"].get("parent_run_id") in by_id and cur["id"] not in seen:
        seen.add(cur["id"])
        cur = by_id[cur["raw"]["parent_run_id"]]
    return str(cur["raw"].get("parent_run_id") or cur["id"])


def _order_key(run: Mapping[str, Any]) -> tuple[str, float, int]:
    start = run["start"].timestamp() if run["start"] is not None else float("inf")
    return (run["raw"].get("dotted_order") or "", start, run["line"])


def _trace_row(ctx: Ctx, tid: str, group: list[dict[str, Any]]) -> dict[str, Any]:
    group.sort(key=_order_key)
    roots = [r for r in group if not r["raw"].get("parent_run_id")]
    root = next((r for r in roots if r["id"] == tid), roots[0] if roots else None)
    root_missing = root is None
    if root is None:  # only child runs were exported: the top-most one stands in for the root
        root = min(
            group,
            key=lambda r: (len((r["raw"].get("dotted_order") or "").split(".")), _order_key(r)),
        )
    raw = root["raw"]
    extra: Mapping[str, Any] = raw.get("extra") or {}
    user_meta: Mapping[str, Any] = (
        extra["metadata"] if isinstance(extra.get("metadata"), Mapping) else {}
    )

    llms = [r for r in group if r["type"] == "llm"]
    final = llms[-1] if llms else None
    messages: list[dict[str, Any]] = []
    if final is not None:
        messages = messages_from_value((final["raw"].get("inputs") or {}), default_role="user")
        messages += messages_from_value(
            (final["raw"].get("outputs") or {}), default_role="assistant"
        )
    if not messages:
        messages = messages_from_value(raw.get("inputs"), default_role="user")
        messages += messages_from_value(raw.get("outputs"), default_role="assistant")

    tool_runs = [r for r in group if r["type"] == "tool" and r is not root]
    tool_calls = [
        {
            "name": r["raw"].get("name"),
            "arguments": _tool_args(r["raw"].get("inputs")),
            "result": _tool_result(r["raw"].get("outputs")),
        }
        for r in tool_runs
    ]
    tool_calls = complete_tool_calls(tool_calls, messages)
    retrieved = [
        d
        for r in group
        if r["type"] == "retriever"
        for d in documents_from_value(r["raw"].get("outputs") or {})
    ]

    tok_src = [
        r for r in llms if r["prompt_tokens"] is not None or r["completion_tokens"] is not None
    ] or [root]
    in_tok = _sum(r["prompt_tokens"] for r in tok_src)
    out_tok = _sum(r["completion_tokens"] for r in tok_src)
    for name, total in (("prompt_tokens", in_tok), ("completion_tokens", out_tok)):
        if total is not None and total >= 2**63:  # the sum over runs must fit the Int64 column
            ctx.fail(
                f"{name} summed over the trace's runs is {total}, beyond 2**63 - 1",
                line=root["line"],
                span_id=tid,
                field=name,
            )
    cost = (
        root["total_cost"]
        if root["total_cost"] is not None
        else _sum(r["total_cost"] for r in llms)
    )

    user_text = last_text(messages, "user")
    if user_text is None:
        user_text = value_text(raw.get("inputs"))
    output = value_text(raw.get("outputs")) if raw.get("outputs") else None
    if output is None:
        output = last_text(messages, "assistant")

    metadata: dict[str, Any] = dict(user_meta)
    for key in (
        "name",
        "tags",
        "session_id",
        "status",
        "reference_example_id",
        "feedback_stats",
        "app_path",
        "error",
    ):
        if not is_missing(raw.get(key)) and raw.get(key) != []:
            mkey = {"name": "trace_name", "session_id": "project_id"}.get(key, key)
            metadata[mkey if mkey not in metadata else f"run.{mkey}"] = raw[key]
    errors = [
        {
            "run_id": r["id"],
            "name": r["raw"].get("name"),
            "run_type": r["type"],
            "error": r["raw"]["error"],
        }
        for r in group
        if r["raw"].get("error")
    ]
    if errors:
        metadata["errors"] = errors
    if root_missing:
        metadata["root_run_missing"] = True
    metadata["runs"] = [_run_summary(r) for r in group]
    attach_spans(metadata, spans_from_langsmith(group))
    session = next((user_meta[k] for k in _SESSION_KEYS if not is_missing(user_meta.get(k))), None)
    user = user_meta.get("user_id")
    model = None
    if final is not None:
        fx: Mapping[str, Any] = final["raw"].get("extra") or {}
        params: Mapping[str, Any] = (
            fx["invocation_params"] if isinstance(fx.get("invocation_params"), Mapping) else {}
        )
        fmeta: Mapping[str, Any] = fx["metadata"] if isinstance(fx.get("metadata"), Mapping) else {}
        model = (
            _response_model(final["raw"].get("outputs"))
            or params.get("model")
            or params.get("model_name")
            or fmeta.get("ls_model_name")
        )
    return {
        "trace_id": tid,
        "timestamp": root["start"],
        "session_id": None if session is None else str(session),
        "user_id": None if is_missing(user) else str(user),
        "input": user_text,
        "output": output,
        "messages": messages,
        "tool_calls": tool_calls,
        "retrieved": retrieved,
        "model": None if model is None else str(model),
        "latency_ms": ms_between(root["start"], root["end"]),
        "input_tokens": in_tok,
        "output_tokens": out_tok,
        "cost_usd": cost,
        "segment": segment_of(metadata),
        "metadata": metadata,
        "source": ctx.source(root["line"], root["id"]),
    }


def _run_summary(run: Mapping[str, Any]) -> dict[str, Any]:
    """One run for ``metadata["runs"]``; an llm run's inputs are in ``messages``."""
    raw = run["raw"]
    extra = raw.get("extra") or {}
    out = {
        "id": run["id"],
        "name": raw.get("name"),
        "run_type": run["type"],
        "parent_run_id": raw.get("parent_run_id"),
        "dotted_order": raw.get("dotted_order"),
        "start_time": plain(raw.get("start_time")),
        "end_time": plain(raw.get("end_time")),
        "error": raw.get("error"),
        "tags": raw.get("tags"),
        "metadata": extra.get("metadata") if isinstance(extra, Mapping) else None,
        "prompt_tokens": run["prompt_tokens"],
        "completion_tokens": run["completion_tokens"],
        "total_cost": run["total_cost"],
        "outputs": raw.get("outputs"),
    }
    if run["type"] != "llm":
        out["inputs"] = raw.get("inputs")
    return out


def _tool_args(inputs: Any) -> Any:
    # LangChain tools log {"input": "<json or text>"}; keep other shapes as they are
    if isinstance(inputs, Mapping) and set(inputs) == {"input"}:
        return parse_arguments(inputs["input"])
    return parse_arguments(inputs)


def _tool_result(outputs: Any) -> Any:
    if isinstance(outputs, Mapping) and set(outputs) == {"output"}:
        out = outputs["output"]
        if isinstance(out, Mapping) and ("content" in out or "kwargs" in out):
            return value_text(out)
        return out
    return outputs


def _sum(values: Any) -> Any:
    vals = [v for v in values if v is not None]
    return sum(vals) if vals else None

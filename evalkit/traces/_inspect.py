"""Read Inspect AI eval logs: ``.json`` (an ``EvalLog``) and the zipped ``.eval`` format.

One row per sample and epoch. ``trace_id`` is ``"{eval_id}:{sample id}:{epoch}"`` (``task_id``
stands in for ``eval_id`` in older logs), the same for a log written as ``.json`` or ``.eval``.
Scores go to ``metadata["scores"]``. ``.eval`` members are read in memory (never extracted);
current inspect-ai compresses them with zstd (zip method 93, read with ``zstandard``). A member
larger than ``max_member_bytes``, or a file whose members add up to more than ``max_total_bytes``
uncompressed, or more than ``max_ratio`` times its own size once past 64 MiB, is refused
(zip-bomb guards). An errored sample (``error`` set, no choices) has a
null ``output`` and its error message in ``metadata["error"]``.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evalkit.traces._base import ErrorSink
from evalkit.traces._columns import apply_columns, check_columns, first_of
from evalkit.traces._common_files import lines_of_items, load_json_text, read_bytes
from evalkit.traces._common_messages import (
    content_text,
    last_text,
    parse_message,
    text_message,
    tool_calls_from_messages,
)
from evalkit.traces._common_rows import (
    Ctx,
    RecordSkipped,
    expect_type,
    is_missing,
    parse_time,
    segment_of,
    to_number,
    too_deep,
)
from evalkit.traces._spans import attach as attach_spans
from evalkit.traces._spans import from_inspect as spans_from_inspect

NAME = "inspect"

#: Default upper bound for one ``.eval`` member, uncompressed (guards against zip bombs).
MAX_MEMBER_BYTES = 512 * 1024**2
#: Default upper bound for all members of one ``.eval`` file together, uncompressed.
MAX_TOTAL_BYTES = 2 * 1024**3
#: Default bound on (bytes decompressed so far) / (file size), checked past ``RATIO_FLOOR``:
#: JSON logs compress 5-30x; a 1.9 MB file that inflates to 1.9 GB is ~1000x.
MAX_RATIO = 200.0
RATIO_FLOOR = 64 * 1024**2
_ZSTD = 93  # zip compression method id of Zstandard (APPNOTE 4.4.5)
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")
_SAMPLE_MEMBER = re.compile(r"^samples/(?P<id>.+)_epoch_(?P<epoch>\d+)\.json$")
_ATTACHMENT = "attachment://"


def sniff(path: Path, head: bytes) -> bool:
    """``.eval``: a zip with ``header.json`` or ``_journal/start.json``; ``.json``: an EvalLog."""
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError):
            return False
        return "header.json" in names or "_journal/start.json" in names
    if path.suffix.lower() != ".json":
        return False
    return (
        b'"eval"' in head and (b'"eval_id"' in head or b'"task_id"' in head) and b'"task"' in head
    )


def read(
    path: Path,
    *,
    sink: ErrorSink,
    max_member_bytes: int = MAX_MEMBER_BYTES,
    max_total_bytes: int = MAX_TOTAL_BYTES,
    max_ratio: float = MAX_RATIO,
    columns: Any = None,
) -> list[dict[str, Any]]:
    """Read an Inspect log into canonical rows (one per sample and epoch).

    ``columns=`` paths are looked up in the sample (``metadata.category``,
    ``scores.match.value``...), then in the log header (``eval.task``, ``eval.model``...).
    """
    cols = check_columns(columns)
    path = Path(path)
    ctx = Ctx(sink=sink, fmt=NAME, file=str(path))
    try:
        data = read_bytes(ctx, path)
        if data.startswith(b"PK\x03\x04"):
            budget = _Budget(max_total_bytes, max_ratio, len(data))
            return _read_eval_zip(ctx, path, max_member_bytes, budget, cols)
        log, text = load_json_text(ctx, data)
        log = expect_type(ctx, log, dict, field=None, line=1, required=True)
        spec = _spec(ctx, log, "")
        samples = expect_type(ctx, log.get("samples"), list, field="samples") or []
    except RecordSkipped:
        return []
    lines = lines_of_items(text, len(samples), "samples")
    rows = []
    for i, sample in enumerate(samples):
        try:
            row = _sample_row(ctx, log, spec, sample, field=f"samples[{i}]", line=lines[i])
            if cols:
                apply_columns(ctx, row, first_of(sample, log), cols, line=lines[i])
            rows.append(row)
        except RecordSkipped:
            continue
        except RecursionError:
            too_deep(ctx, lines[i])
    return rows


class _Budget:
    """What is left of ``max_total_bytes`` for the members still to read, and the ratio bound."""

    def __init__(self, total: int, ratio: float = float("inf"), compressed: int = 0) -> None:
        self.total = total
        self.left = total
        self.ratio = ratio
        self.compressed = compressed

    def over_ratio(self) -> bool:
        used = self.total - self.left
        return used > RATIO_FLOOR and used > self.ratio * max(self.compressed, 1)


def _read_eval_zip(
    ctx: Ctx, path: Path, limit: int, budget: _Budget, cols: dict[str, str]
) -> list[dict[str, Any]]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        ctx.fail(f"not a readable .eval zip: {exc}")
    with zf:
        infos = {i.filename: i for i in zf.infolist()}
        head_name = "header.json" if "header.json" in infos else "_journal/start.json"
        if head_name not in infos:
            ctx.fail(
                "the .eval zip has neither header.json nor _journal/start.json", field="header.json"
            )
        header = _member_json(ctx, zf, infos[head_name], limit, budget)
        header = expect_type(ctx, header, dict, field=head_name, required=True)
        spec = _spec(ctx, header, f"{head_name}:")
        members = []
        for name in infos:
            m = _SAMPLE_MEMBER.match(name)
            if m:
                members.append((_natural(m["id"]), int(m["epoch"]), name))
        members.sort(key=lambda t: (t[0], t[1]))
        rows = []
        for i, (_, _, name) in enumerate(members):
            try:
                sample = _member_json(ctx, zf, infos[name], limit, budget)
                row = _sample_row(
                    ctx, header, spec, sample, field=f"{name}:", line=i + 1, member=name
                )
                if cols:
                    apply_columns(ctx, row, first_of(sample, header), cols, line=i + 1)
                rows.append(row)
            except RecordSkipped:
                continue
            except RecursionError:
                too_deep(ctx, i + 1)
    return rows


def _natural(sample_id: str) -> tuple[int, float, str]:
    try:
        return (0, float(sample_id), "")
    except ValueError:
        return (1, 0.0, sample_id)


def _zstd_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """Decompress a zstd (method 93) member, which Python's ``zipfile`` cannot; at most ``cap``."""
    import zstandard

    fp = zf.fp
    if fp is None:
        raise ValueError("the zip file is closed")
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local file header")
    fields = _LOCAL_HEADER.unpack(header)
    fp.seek(info.header_offset + _LOCAL_HEADER.size + fields[-2] + fields[-1])
    raw = fp.read(info.compress_size)
    if len(raw) != info.compress_size:
        raise EOFError("the member's compressed data is truncated")
    reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    try:
        return reader.read(cap)  # bounded even if the header lies about the size
    except zstandard.ZstdError as exc:
        raise ValueError(f"invalid zstd data: {exc}") from None


def _member_json(
    ctx: Ctx, zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, budget: _Budget
) -> Any:
    """Read and parse one zip member in memory; problems name the member as the field."""
    name = info.filename
    if info.file_size > limit:
        ctx.fail(
            f"zip member {name} is {info.file_size} bytes uncompressed, "
            f"above max_member_bytes={limit}",
            field=name,
        )
    if info.file_size > budget.left:
        _over_total(ctx, name, budget)
    cap = min(limit, budget.left) + 1
    try:
        if info.compress_type == _ZSTD:
            data = _zstd_member(zf, info, cap)
        else:
            with zf.open(info) as fh:
                data = fh.read(cap)  # bounded even if the header lies about the size
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError) as exc:
        ctx.fail(f"cannot read zip member {name}: {exc}", field=name)
    if len(data) > budget.left:
        _over_total(ctx, name, budget)
    budget.left -= len(data)
    if budget.over_ratio():
        budget.left = 0
        ctx.fail(
            f"the .eval members decompress to more than max_ratio={budget.ratio:g} times the "
            f"file's {budget.compressed} bytes (stopped at {name}): a zip bomb?",
            field=name,
        )
    if len(data) > limit:
        ctx.fail(f"zip member {name} is larger than max_member_bytes={limit}", field=name)
    if not data.strip():
        ctx.fail(f"zip member {name} is empty", field=name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        ctx.fail(
            f"invalid UTF-8 in zip member {name} (line {line}, offset {exc.start})", field=name
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        ctx.fail(
            f"invalid JSON in zip member {name}: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            field=name,
        )
    except RecursionError:
        ctx.fail(f"invalid JSON in zip member {name}: nested too deeply", field=name)


def _over_total(ctx: Ctx, name: str, budget: _Budget) -> None:
    budget.left = 0  # every later member is refused too: the file as a whole is over the bound
    ctx.fail(
        f"the .eval members decompress to more than max_total_bytes={budget.total} "
        f"(stopped at {name})",
        field=name,
    )


def _spec(ctx: Ctx, log: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    spec = expect_type(ctx, log.get("eval"), dict, field=f"{prefix}eval", line=1, required=True)
    base = spec.get("eval_id") or spec.get("task_id") or spec.get("run_id")
    if is_missing(base):
        ctx.fail(
            "required field is missing (no eval_id, task_id or run_id to build trace ids)",
            field=f"{prefix}eval.eval_id",
            line=1,
        )
    expect_type(ctx, base, str, field=f"{prefix}eval.eval_id", line=1)
    return spec


def _resolve(value: Any, attachments: Mapping[str, Any]) -> Any:
    """Replace ``attachment://<hash>`` strings with the attachment text, recursively."""
    if isinstance(value, str):
        if value.startswith(_ATTACHMENT):
            return attachments.get(value[len(_ATTACHMENT) :], value)
        return value
    if isinstance(value, list):
        return [_resolve(v, attachments) for v in value]
    if isinstance(value, dict):
        return {k: _resolve(v, attachments) for k, v in value.items()}
    return value


def _sample_row(
    ctx: Ctx,
    log: Mapping[str, Any],
    spec: Mapping[str, Any],
    sample: Any,
    *,
    field: str,
    line: int,
    member: str | None = None,
) -> dict[str, Any]:
    def f(name: str) -> str:
        return f"{field}{name}" if field.endswith(":") else f"{field}.{name}"

    sample = expect_type(
        ctx, sample, dict, field=field.rstrip(":") or None, line=line, required=True
    )
    sid = sample.get("id")
    if sid is None:
        ctx.fail("required field is missing", line=line, field=f("id"))
    expect_type(ctx, sid, (str, int), field=f("id"), line=line)
    epoch = sample.get("epoch", 1)
    expect_type(ctx, epoch, int, field=f("epoch"), line=line)
    base = spec.get("eval_id") or spec.get("task_id") or spec.get("run_id")
    trace_id = f"{base}:{sid}:{epoch}"
    attachments = (
        sample.get("attachments") if isinstance(sample.get("attachments"), Mapping) else {}
    )

    raw_msgs = (
        expect_type(
            ctx, sample.get("messages"), list, field=f("messages"), line=line, span_id=trace_id
        )
        or []
    )
    messages = []
    for j, m in enumerate(_resolve(raw_msgs, attachments)):
        expect_type(
            ctx, m, dict, field=f(f"messages[{j}]"), line=line, span_id=trace_id, required=True
        )
        if not isinstance(m.get("role"), str):
            ctx.fail(
                "required field is missing or not a string",
                line=line,
                span_id=trace_id,
                field=f(f"messages[{j}].role"),
            )
        messages.append(parse_message(m))
    sample_input = _resolve(sample.get("input"), attachments)
    if not messages and sample_input is not None:
        messages = _input_messages(sample_input)

    output = (
        expect_type(ctx, sample.get("output"), dict, field=f("output"), line=line, span_id=trace_id)
        or {}
    )
    choices = output.get("choices") if isinstance(output.get("choices"), list) else []
    answer = None
    stop_reason = None
    if choices and isinstance(choices[0], Mapping):
        msg = _resolve(choices[0].get("message"), attachments)
        if isinstance(msg, Mapping):
            answer = parse_message({"role": "assistant", **msg})["content"]
        stop_reason = choices[0].get("stop_reason")
    errored = not is_missing(sample.get("error")) and not choices
    if answer is None and isinstance(output.get("completion"), str):
        answer = output["completion"]
    if answer is None and not errored:
        answer = last_text(messages, "assistant")
    if errored and not answer:
        answer = None  # the sample failed before answering: no output, not an empty one
    if messages and answer is not None and not any(m["role"] == "assistant" for m in messages):
        messages.append(text_message("assistant", answer))

    usage_by_model = (
        sample.get("model_usage") if isinstance(sample.get("model_usage"), Mapping) else {}
    )
    in_tok = out_tok = cost = None
    for model_name, usage in usage_by_model.items():
        if isinstance(usage, Mapping):
            u_field = f(f"model_usage.{model_name}")
            i_, o_, c_ = (
                to_number(
                    ctx,
                    usage.get(key),
                    field=f"{u_field}.{key}",
                    line=line,
                    span_id=trace_id,
                    integer=key != "total_cost",
                )
                for key in ("input_tokens", "output_tokens", "total_cost")
            )
            in_tok = i_ if in_tok is None else in_tok + (i_ or 0)
            out_tok = o_ if out_tok is None else out_tok + (o_ or 0)
            cost = c_ if cost is None else cost + (c_ or 0)
    if in_tok is None and out_tok is None and isinstance(output.get("usage"), Mapping):
        u = output["usage"]
        in_tok = to_number(
            ctx,
            u.get("input_tokens"),
            field=f("output.usage.input_tokens"),
            line=line,
            span_id=trace_id,
            integer=True,
        )
        out_tok = to_number(
            ctx,
            u.get("output_tokens"),
            field=f("output.usage.output_tokens"),
            line=line,
            span_id=trace_id,
            integer=True,
        )
    total_time = to_number(
        ctx, sample.get("total_time"), field=f("total_time"), line=line, span_id=trace_id
    )

    sample_meta = (
        expect_type(
            ctx, sample.get("metadata"), dict, field=f("metadata"), line=line, span_id=trace_id
        )
        or {}
    )
    metadata: dict[str, Any] = dict(sample_meta)
    scores = sample.get("scores") if isinstance(sample.get("scores"), Mapping) else {}
    metadata["scores"] = {
        name: {
            k: s.get(k)
            for k in ("value", "answer", "explanation", "metadata")
            if s.get(k) is not None
        }
        for name, s in scores.items()
        if isinstance(s, Mapping)
    }
    extras = {
        "task": spec.get("task"),
        "eval_id": spec.get("eval_id"),
        "run_id": spec.get("run_id"),
        "task_id": spec.get("task_id"),
        "log_status": log.get("status"),
        "sample_id": sid,
        "epoch": epoch,
        "sample_uuid": sample.get("uuid"),
        "target": sample.get("target"),
        "choices": sample.get("choices"),
        "stop_reason": stop_reason,
        "working_time": sample.get("working_time"),
        "model_usage": usage_by_model or None,
        "error": sample.get("error"),
        "limit": sample.get("limit"),
        "store": sample.get("store") or None,
        "sample_input": sample_input if not isinstance(sample_input, list) else None,
        "n_events": len(sample["events"]) if isinstance(sample.get("events"), list) else None,
        "eval_metadata": spec.get("metadata"),
    }
    for k, v in extras.items():
        if not is_missing(v) and v != []:
            metadata[k if k not in metadata else f"inspect.{k}"] = v
    attach_spans(metadata, spans_from_inspect(sample.get("events"), sample.get("error")))
    started = sample.get("started_at") or spec.get("created")
    return {
        "trace_id": trace_id,
        "timestamp": parse_time(ctx, started, field=f("started_at"), line=line, span_id=trace_id),
        "session_id": None,
        "user_id": None,
        "input": last_text(messages, "user")
        or (sample_input if isinstance(sample_input, str) else None),
        "output": answer,
        "messages": messages,
        "tool_calls": tool_calls_from_messages(messages),
        "retrieved": [],
        "model": output.get("model") or spec.get("model"),
        "latency_ms": total_time * 1000.0 if total_time is not None else None,
        "input_tokens": in_tok,
        "output_tokens": out_tok,
        "cost_usd": cost,
        "segment": segment_of(metadata),
        "metadata": metadata,
        "source": {"format": NAME, "file": ctx.file, "line": line, "span_id": member},
    }


def _input_messages(sample_input: Any) -> list[dict[str, Any]]:
    if isinstance(sample_input, str):
        return [text_message("user", sample_input)]
    if isinstance(sample_input, list):
        return [parse_message(m) for m in sample_input if isinstance(m, Mapping)]
    text = content_text(sample_input)
    return [text_message("user", text)] if text is not None else []

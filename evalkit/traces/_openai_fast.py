"""The vectorised fast path for OpenAI request/response log files.

Request/response log files are parsed with pyarrow's multi-threaded JSON reader and the canonical
columns are computed with pyarrow.compute and numpy. The fast path only accepts files whose
parsed shape it fully understands and whose every record the careful reader would accept; on
anything else it gives up (:func:`read_fast` returns ``None``) and the careful reader runs, so
error messages still name the line. Both paths produce the same frame
(tests/traces/test_openai_fast.py checks this).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.traces._arrow_same import all_like_first
from evalkit.traces._fast_frame import records
from evalkit.traces._jsonio import first_json_line, parse_arguments
from evalkit.traces._openai_rows import _MAX_SECONDS, _PARAMS_USED
from evalkit.traces._openai_shape import _LOG_HEAD, NAME, _shape
from evalkit.traces._roles import CANONICAL_ROLES


class _Unsupported(Exception):
    """The fast path does not handle this file; use the careful reader."""


def _need(condition: bool, why: str) -> None:
    if not condition:
        raise _Unsupported(why)


def _exact(arr: Any) -> bool:
    """True if ``to_pylist`` gives the JSON exactly: no struct field null in a present struct.

    pyarrow fills a key absent from one object with null, which the JSON did not say; a nested
    value with no nulls below its top level cannot have been filled in.
    """
    import pyarrow as pa

    t = arr.type
    if pa.types.is_struct(t):
        return all(child.null_count == 0 and _exact(child) for child in arr.flatten())
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        values = arr.flatten()
        return not len(values) or (values.null_count == 0 and _exact(values))
    return not pa.types.is_null(t)


def _all_null(arr: Any, name: str) -> bool:
    import pyarrow as pa
    import pyarrow.compute as pc

    child = pc.struct_field(arr, name)
    return bool(pa.types.is_null(child.type) or child.null_count == len(child))


def _fields(arr: Any) -> set[str]:
    return {arr.type.field(i).name for i in range(arr.type.num_fields)}


def _field(arr: Any, name: str, *, kinds: tuple[str, ...] = ("string",)) -> Any:
    """A struct child as a plain array (null where absent); its type must be one of ``kinds``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if name not in _fields(arr):
        return pa.nulls(len(arr), pa.string() if kinds[0] == "string" else pa.int64())
    child = pc.struct_field(arr, name)
    if pa.types.is_null(child.type):
        return pa.nulls(len(arr), pa.string() if kinds[0] == "string" else pa.int64())
    ok = {
        "string": pa.types.is_string(child.type) or pa.types.is_large_string(child.type),
        "int": pa.types.is_integer(child.type),
    }
    _need(any(ok.get(k, False) for k in kinds), f"{name} has type {child.type}")
    return child


def _offsets(lengths: Any) -> Any:
    import numpy as np
    import pyarrow as pa

    out = np.zeros(len(lengths) + 1, dtype=np.int32)
    np.cumsum(lengths, out=out[1:])
    return pa.array(out)


def _lengths(lists: Any) -> Any:
    import numpy as np
    import pyarrow.compute as pc

    lengths = pc.list_value_length(lists)
    if lengths.null_count:  # only null lists need filling
        lengths = pc.fill_null(lengths, 0)
    return np.asarray(lengths, dtype=np.int64)


def _tool_calls(msgs: Any) -> Any:
    """Messages' ``tool_calls`` as ``list<{id, name, arguments}>`` (empty lists where absent)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from evalkit.traces.schema import MESSAGE_TOOL_CALL_TYPE

    n = len(msgs)
    if "tool_calls" not in _fields(msgs) or pa.types.is_null(
        pc.struct_field(msgs, "tool_calls").type
    ):
        empty = pa.array([], type=MESSAGE_TOOL_CALL_TYPE)
        return pa.ListArray.from_arrays(pa.array([0] * (n + 1), type=pa.int32()), empty)
    tc = pc.struct_field(msgs, "tool_calls")
    _need(pa.types.is_list(tc.type) and pa.types.is_struct(tc.type.value_type), "tool_calls shape")
    values = tc.flatten()
    _need(values.null_count == 0, "null tool call")
    _need("custom" not in _fields(values), "custom tool calls")
    _need("function" in _fields(values), "tool call without function")
    fn = pc.struct_field(values, "function")
    _need(pa.types.is_struct(fn.type) and fn.null_count == 0, "tool call function")
    name = _field(fn, "name")
    _need(name.null_count == 0, "tool call without name")
    calls = pa.StructArray.from_arrays(
        [_field(values, "id"), name, _field(fn, "arguments")], fields=list(MESSAGE_TOOL_CALL_TYPE)
    )
    return pa.ListArray.from_arrays(_offsets(_lengths(tc)), calls)


def _messages_struct(msgs: Any) -> Any:
    """Flattened message structs -> canonical message structs."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from evalkit.traces.schema import MESSAGE_TYPE

    _need(pa.types.is_struct(msgs.type), "messages are not objects")
    _need(msgs.null_count == 0, "null message")
    names = _fields(msgs)
    # model_dump() always writes "function_call": null; only a real legacy call needs care
    _need("function_call" not in names or _all_null(msgs, "function_call"), "function_call")
    role = _field(msgs, "role")
    _need(role.null_count == 0, "message without role")
    # other spellings are mapped (or reported) by the careful reader's one role table
    _need(bool(pc.all(pc.is_in(role, pa.array(sorted(CANONICAL_ROLES)))).as_py()), "roles")
    content = _field(msgs, "content")
    if "refusal" in names:
        content = pc.coalesce(content, _field(msgs, "refusal"))
    return pa.StructArray.from_arrays(
        [role, content, _tool_calls(msgs), _field(msgs, "tool_call_id"), _field(msgs, "name")],
        fields=list(MESSAGE_TYPE),
    )


def _tool_call_columns(values: Any, msg_row: Any, n: int) -> tuple[Any, ...] | None:
    """Every tool call of each row's messages, in order, with its result: the Arrow half.

    ``(names, arguments, results, calls per row)``, or ``None`` when no message has a tool call;
    :func:`_tool_call_dicts` makes the rows' lists. Together they give what
    ``summarize(conversation)["tool_calls"]`` gives (tests/traces/test_openai_fast.py checks the
    two paths agree): a call's result is the content of the last ``tool`` message of that row
    with its ``tool_call_id`` (legacy ``function`` results by name), arguments parsed from JSON
    text when they are JSON. ``values`` are canonical message structs, ``msg_row`` their rows
    (ascending).
    """
    import numpy as np
    import pyarrow as pa

    tc = values.field("tool_calls")
    per_msg = _lengths(tc)
    if not per_msg.sum():
        return None
    calls = tc.flatten()
    call_row = np.repeat(msg_row, per_msg)
    ids, names = calls.field("id"), calls.field("name")
    found = _last_match(values, msg_row, ("tool", "tool_call_id"), ids, call_row)
    if ids.null_count:  # legacy calls without an id: their result by function name
        by_name = _last_match(values, msg_row, ("function", "name"), names, call_row)
        found = np.where(np.asarray(ids.is_null()), by_name, found)
    results = values.field("content").take(pa.array(found, mask=found < 0))
    return names, calls.field("arguments"), results, np.bincount(call_row, minlength=n)


def _last_match(values: Any, msg_row: Any, where: tuple[str, str], keys: Any, key_row: Any) -> Any:
    """Per key: the index of the last message of its row with ``role`` and ``key`` equal, or -1.

    ``where`` is ``(role, field)``; a null key matches nothing. Later messages win, as the
    careful reader's dict of results keeps the last one.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    role, field = where
    mine = values.field(field)
    mask = pc.and_(pc.equal(values.field("role"), role), pc.is_valid(mine))
    at = np.flatnonzero(np.asarray(pc.fill_null(mask, False)))
    out = np.full(len(keys), -1, dtype=np.int64)
    if not len(at) or not len(keys):
        return out
    both = pa.concat_arrays([mine.take(pa.array(at)), keys.cast(mine.type)])
    encoded = pc.dictionary_encode(both)
    # a null key gets code -1: row * width - 1 is no message's (row, code), so it matches none
    codes = np.asarray(encoded.indices.fill_null(-1), dtype=np.int64)
    width = len(encoded.dictionary) + 1
    have = msg_row[at] * width + codes[: len(at)]
    want = key_row * width + codes[len(at) :]
    order = np.argsort(have, kind="stable")  # equal keys keep message order
    ordered = have[order]
    pos = np.searchsorted(ordered, want, side="right") - 1  # the last equal one
    hit = pos >= 0
    hit[hit] = ordered[pos[hit]] == want[hit]
    out[hit] = at[order[pos[hit]]]
    return out


def _tool_call_dicts(columns: tuple[Any, ...] | None, n: int) -> list[list[dict[str, Any]]]:
    """The Python half of :func:`_tool_call_columns`: per row, its calls' dicts."""
    import numpy as np

    if columns is None:
        return [[] for _ in range(n)]
    names, arguments, results, counts = columns
    parsed = _parsed_arguments(arguments)
    flat = [
        {"name": name, "arguments": args, "result": result}
        for name, args, result in zip(names.to_pylist(), parsed, results.to_pylist(), strict=True)
    ]
    # calls come in row order: each row's are one slice
    ends = np.cumsum(counts)
    return list(map(flat.__getitem__, map(slice, (ends - counts).tolist(), ends.tolist())))


def _parsed_arguments(arguments: Any) -> list[Any]:
    """Each call's arguments as :func:`_arguments_parser` parses them (in bulk when it can)."""
    import pyarrow.compute as pc

    texts = arguments.to_pylist()
    try:
        from orjson import loads
    except ImportError:
        return list(map(parse_arguments, texts))
    # text with a run of 19 digits, anything not text and whatever orjson refuses go to the
    # standard library
    careful = pc.fill_null(pc.match_substring_regex(arguments, "[0-9]{19}"), True)
    if not pc.any(careful).as_py():
        try:
            return list(map(loads, texts))  # all of them JSON text: the common case
        except ValueError:  # orjson.JSONDecodeError: one at a time below
            pass
    out = []
    for text, slow in zip(texts, careful.to_pylist(), strict=True):
        if slow:
            out.append(parse_arguments(text))
            continue
        try:
            out.append(loads(text))
        except ValueError:
            out.append(parse_arguments(text))
    return out


def _arguments_parser() -> Any:
    """:func:`parse_arguments`, through ``orjson`` where that gives the same value.

    ``orjson`` turns integers beyond 64 bits into floats and refuses ``NaN`` and lone
    surrogates: text with a run of 19 digits, and whatever orjson refuses, goes to the standard
    library (tests/traces/test_fast_chat.py compares the two on generated text).
    """
    import re

    try:
        import orjson
    except ImportError:
        return parse_arguments
    loads, long_number = orjson.loads, re.compile(r"[0-9]{19}").search

    def parse(value: Any) -> Any:
        if type(value) is not str or long_number(value):
            return parse_arguments(value)
        try:
            return loads(value)
        except ValueError:  # orjson.JSONDecodeError
            return parse_arguments(value)

    return parse


@dataclass(frozen=True)
class _Same:
    """A column whose every row equals ``first`` (a one-row array), ``n`` rows long."""

    first: Any
    n: int


def _python_values(arr: Any) -> list[Any]:
    """The column's Python values (nested ones checked exact by :func:`_arrow_batch`)."""
    import pyarrow as pa

    if isinstance(arr, _Same):  # one Python value, shared by the rows as share() would
        return share(arr.first.to_pylist(), _SHARED) * arr.n
    if pa.types.is_nested(arr.type):
        return share(arr.to_pylist(), _SHARED)
    return arr.to_pylist()  # type: ignore[no-any-return,unused-ignore]


_SHARED: dict[bytes, Any] = {}  # per read (cleared by read_fast)
_SHARE_MAX = 4096  # distinct shared values remembered: unique values are kept as they are


def share(values: list[Any], shared: dict[bytes, Any]) -> list[Any]:
    """Equal nested values (the same ``tools`` list on every line) as one object each.

    A million copies of one request's tool schema cost more memory than the file itself;
    the values stay equal to the careful reader's, but rows share them (as read-only data).
    """
    try:
        from orjson import dumps
    except ImportError:
        return values
    for i, value in enumerate(values):
        if value is None:
            continue
        try:
            key = dumps(value)
        except TypeError:  # an integer beyond 64 bits: keep it as it is
            continue
        kept = shared.get(key)
        if kept is not None:
            values[i] = kept
        elif len(shared) < _SHARE_MAX:
            shared[key] = value
    return values


def _arrow_batch(batch: Any) -> dict[str, Any]:
    """The Arrow columns of one record batch of log pairs (in a worker thread).

    The Python objects (``tool_calls``, ``metadata``) are made by :func:`_python_batch` in the
    reading thread, from the arrays kept here under ``_``-prefixed keys.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    _need(set(batch.schema.names) == {"request", "response"}, "top-level keys")
    request, response = batch.column("request"), batch.column("response")
    _need(pa.types.is_struct(request.type) and pa.types.is_struct(response.type), "shape")
    _need(request.null_count == 0 and response.null_count == 0, "null request/response")
    n = len(batch)
    # request messages
    _need("messages" in _fields(request), "request without messages")
    req = pc.struct_field(request, "messages")
    _need(pa.types.is_list(req.type) and req.null_count == 0, "request.messages")
    req_len = _lengths(req)
    req_msgs = _messages_struct(req.flatten()) if len(req.flatten()) else None
    # the response
    if "choices" not in _fields(response):
        raise _Unsupported("response.choices")
    choices = pc.struct_field(response, "choices")
    _need(pa.types.is_list(choices.type), "response.choices")
    _need(bool(np.all(_lengths(choices) >= 1)) and choices.null_count == 0, "empty choices")
    first = pc.list_element(choices, 0)
    _need(pa.types.is_struct(first.type) and first.null_count == 0, "choices[0]")
    message = pc.struct_field(first, "message") if "message" in _fields(first) else None
    _need(
        message is not None and pa.types.is_struct(message.type) and message.null_count == 0,
        "message",
    )
    resp_msg = _messages_struct(message)
    _need(
        bool(pc.all(pc.equal(resp_msg.field("role"), "assistant")).as_py()),
        "non-assistant response",
    )
    trace_id = _field(response, "id")
    _need(trace_id.null_count == 0, "response without id")
    # conversation = request messages + the response message, per row
    r_total = int(req_len.sum())
    row_of = np.repeat(np.arange(n), req_len)
    new_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(req_len + 1, out=new_offsets[1:])
    idx = np.empty(r_total + n, dtype=np.int64)
    idx[np.arange(r_total) + row_of] = np.arange(r_total)
    idx[new_offsets[1:] - 1] = r_total + np.arange(n)
    pieces = [resp_msg] if req_msgs is None else [req_msgs, resp_msg]
    values = pa.concat_arrays(pieces).take(pa.array(idx))
    messages = pa.ListArray.from_arrays(pa.array(new_offsets.astype(np.int32)), values)
    # input: the last user message with content among the request messages
    last_user = np.full(n, -1, dtype=np.int64)
    if req_msgs is not None:
        is_user = pc.and_(
            pc.equal(req_msgs.field("role"), "user"), pc.is_valid(req_msgs.field("content"))
        )
        mask = np.asarray(pc.fill_null(is_user, False))
        np.maximum.at(last_user, row_of[mask], np.arange(r_total)[mask])
        taken = req_msgs.field("content").take(pa.array(np.maximum(last_user, 0)))
        user_text = pc.if_else(pa.array(last_user >= 0), taken, pa.scalar(None, pa.string()))
    else:
        user_text = pa.nulls(n, pa.string())
    output = resp_msg.field("content")
    msg_row = np.repeat(np.arange(n), np.diff(new_offsets))
    # ids, time, model, tokens, people
    created = _field(response, "created", kinds=("int",))
    lo, hi = pc.min_max(created).values()
    _need(
        lo.as_py() is None or (lo.as_py() >= 0 and hi.as_py() <= _MAX_SECONDS),
        "created out of range",
    )
    model = pc.coalesce(_field(response, "model"), _field(request, "model"))
    usage = pc.struct_field(response, "usage") if "usage" in _fields(response) else None
    if usage is not None and pa.types.is_null(usage.type):
        usage = None
    _need(usage is None or pa.types.is_struct(usage.type), "usage")
    tokens = [
        _field(usage, key, kinds=("int",)) if usage is not None else pa.nulls(n, pa.int64())
        for key in ("prompt_tokens", "completion_tokens")
    ]
    user = pc.coalesce(_field(request, "user"), _field(request, "safety_identifier"))
    md = pc.struct_field(request, "metadata") if "metadata" in _fields(request) else None
    if md is not None and pa.types.is_null(md.type):
        md = None
    _need(md is None or pa.types.is_struct(md.type), "request.metadata")
    if md is not None:
        session = pc.coalesce(_field(md, "session_id"), _field(md, "conversation_id"))
        segment = _field(md, "segment")
    else:
        session = segment = pa.nulls(n, pa.string())
    # metadata: request.metadata, other request params, completion facts
    columns: list[tuple[str, Any]] = []
    if md is not None:
        columns += [(k, pc.struct_field(md, k)) for k in sorted(_fields(md))]
    for k in sorted(_fields(request) - _PARAMS_USED):
        columns.append((k, pc.struct_field(request, k)))
    for k in ("object", "system_fingerprint", "service_tier"):
        if k in _fields(response):
            columns.append((k, _field(response, k)))
    if "finish_reason" in _fields(first):
        columns.append(("finish_reason", _field(first, "finish_reason")))
    keys = [k for k, _ in columns]
    _need(len(set(keys)) == len(keys), "a metadata key given twice")  # precedence: careful path
    for i, (key, arr) in enumerate(columns):
        if pa.types.is_nested(arr.type):
            # e.g. request tools: exact only if pyarrow filled no absent key with null
            _need(_exact(arr.filter(arr.is_valid()) if arr.null_count else arr), "nulls")
            if not arr.null_count and all_like_first(arr):  # the same on every line
                columns[i] = (key, _Same(arr.slice(0, 1), len(arr)))
    return {
        "trace_id": trace_id,
        "timestamp_ns": pc.multiply(created.cast(pa.int64()), 1_000_000_000),
        "session_id": session,
        "user_id": user,
        "input": user_text,
        "output": output,
        "messages": messages,
        "model": model,
        "input_tokens": tokens[0],
        "output_tokens": tokens[1],
        "segment": segment,
        "_calls": _tool_call_columns(values, msg_row, n),
        "_columns": columns,
    }


def _python_batch(part: dict[str, Any], first_line: int) -> dict[str, Any]:
    """``part`` with its ``tool_calls`` and ``metadata`` made (in the reading thread)."""
    import numpy as np
    import pyarrow as pa

    n = len(part["trace_id"])
    # flattened tool calls, as summarize() makes them, without building the conversations
    tool_calls = _tool_call_dicts(part.pop("_calls"), n)
    columns = [(k, _python_values(arr)) for k, arr in part.pop("_columns")]
    # nulls carry nothing: their keys are left out, as the careful reader does
    metadata = (
        records([k for k, _ in columns], [v for _, v in columns], drop=None)
        if columns
        else [{} for _ in range(n)]
    )
    part["tool_calls"] = tool_calls
    part["metadata"] = metadata
    part["line"] = pa.array(np.arange(first_line, first_line + n, dtype=np.int64))
    return part


def _arrow_batches(table: Any) -> list[dict[str, Any]]:
    from evalkit.traces._fast_frame import large_text

    return [large_text(_arrow_batch(batch)) for batch in table.to_batches()]


def read_fast(path: Path) -> Any:
    """Read a log-pair file with pyarrow; ``None`` if the file needs the careful reader."""
    from evalkit.traces._fast_pieces import stepping_aside

    try:
        return stepping_aside(_read_fast, path)
    finally:
        _SHARED.clear()


def _read_fast(path: Path) -> Any:
    from evalkit.traces._fast_frame import canonical_frame

    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    first = first_json_line(head)
    if first is None and not _LOG_HEAD.match(head):
        return None
    if first is not None and _shape(first) != "log":
        return None
    from evalkit.traces import _fast_pieces

    # a ~16 MB piece at a time (parsing the whole file at once peaked at ~2.5x its size), read,
    # parsed and made into Arrow columns in worker threads while this thread makes an earlier
    # piece's Python objects
    parts: list[dict[str, Any]] = []
    line = 1
    for _, batches in _fast_pieces.prepared(path, _arrow_batches):
        for part in batches:
            parts.append(_python_batch(part, line))
            line += len(part["trace_id"])
    return canonical_frame(parts, fmt=NAME, file=str(path))

"""Canonical columns of flattened OTLP GenAI traces: the vectorised twin of ``interpret``.

One job: turn a piece's :class:`evalkit.traces._otlp_fast.Flat` spans into the columns that
:func:`evalkit.traces._otel_genai.interpret` gives each trace (messages from the chat span's
``gen_ai.input.messages`` / ``gen_ai.output.messages`` / ``gen_ai.system_instructions``, parsed
by pyarrow in one go; model, tokens, session, user, segment; ``metadata`` with the root span,
the service, the provider, every other attribute and the steps). Traces the careful
interpreter would read differently (no chat span or two, tool and retrieval spans, parts other
than text, an attribute on two spans) raise :class:`_Unsupported`: the careful path runs.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from evalkit.traces._fast_frame import records
from evalkit.traces._openai_fast import _fields, _need, _Unsupported
from evalkit.traces._otlp_fast import _ABSENT, Flat, values_at

__all__ = ["_Unsupported", "finish", "prepare"]

_CHAT_OPS = ("chat", "text_completion", "generate_content")
_CONTENT = ("gen_ai.system_instructions", "gen_ai.input.messages", "gen_ai.output.messages")
#: attributes the careful interpreter reads in ways this path does not: the careful path runs
_DENY = frozenset(
    {
        "gen_ai.tool.name",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
        "gen_ai.retrieval.documents",
        "openinference.span.kind",
        "langfuse.observation.type",
        "langfuse.observation.level",
        "langfuse.observation.status_message",
    }
)
_INDEXED = re.compile(r"^gen_ai\.(prompt|completion)\.\d+\.")
#: first non-null value in tree order, ``a or b`` as the careful interpreter picks them
_PAIRS = {
    "session_id": ("gen_ai.conversation.id", "session.id"),
    "user_id": ("user.id", "enduser.id"),
    "segment": ("segment", "app.segment"),
}
_PROVIDER_KEYS = ("gen_ai.provider.name", "gen_ai.system", "gen_ai.agent.name", "gen_ai.agent.id")


class _Attrs:
    """A piece's attribute rows by key: positions, spans and lines."""

    def __init__(self, flat: Flat, shared: dict[Any, Any]) -> None:
        import numpy as np
        import pyarrow.compute as pc

        from evalkit.traces._otel_genai import _in_columns

        self.flat = flat
        self.shared = shared
        encoded = pc.dictionary_encode(flat.attr_key)
        self.names: list[str] = encoded.dictionary.to_pylist()
        self.code = np.asarray(encoded.indices, dtype=np.int64)
        self.line = flat.span_line[flat.attr_span]
        for name in self.names:
            _need(name not in _DENY and not _INDEXED.match(name), f"attribute {name}")
        k = max(len(self.names), 1)
        _need(_distinct(flat.attr_span * k + self.code), "an attribute given twice in a span")
        self.in_columns = np.array([_in_columns(x) for x in self.names] + [False], dtype=bool)
        other = ~self.in_columns[self.code] if len(self.code) else np.zeros(0, bool)
        self.other = other
        # lines where an attribute is on two spans: their metadata is made as the careful
        # interpreter makes it (one value: "attributes"; values that differ: per span)
        self.multi = np.zeros(flat.n, dtype=bool)
        pairs = self.line[other] * k + self.code[other]
        if not _distinct(pairs):
            found, count = np.unique(pairs, return_counts=True)
            self.multi[found[count > 1] // k] = True

    def at(self, key: str) -> Any:
        """Positions of attribute ``key`` (in tree order)."""
        import numpy as np

        if key not in self.names:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(self.code == self.names.index(key))

    def first(self, key: str) -> list[Any]:
        """Per line: the first value of ``key`` in tree order, or ``_ABSENT``."""
        out: list[Any] = [_ABSENT] * self.flat.n
        at = self._first(key)
        for line, value in zip(self.line[at].tolist(), self.values(at), strict=True):
            out[line] = value
        return out

    def values(self, at: Any) -> list[Any]:
        """The Python values of the attributes at positions ``at``."""
        f = self.flat
        return values_at(f, at, self.shared)

    def on_span(self, key: str, span: Any) -> list[Any]:
        """Per line: the Python value of ``key`` on span ``span[line]``, or ``_ABSENT``."""
        out: list[Any] = [_ABSENT] * self.flat.n
        at = self._on(key, span)
        for line, value in zip(self.line[at].tolist(), self.values(at), strict=True):
            out[line] = value
        return out

    def _positions(self, at: Any, *, text: bool) -> Any:
        """Per line: the attribute position in ``at`` (one per line at most), -1 where none."""
        import numpy as np

        if len(at):
            kinds = self.flat.attr_is_text[at] if text else self.flat.attr_is_int[at]
            _need(bool(np.all(kinds)), "an attribute of another kind")
        idx = np.full(self.flat.n, -1, dtype=np.int64)
        idx[self.line[at]] = at
        return idx

    def _on(self, key: str, span: Any) -> Any:
        at = self.at(key)
        return at[self.flat.attr_span[at] == span[self.line[at]]]

    def _first(self, key: str) -> Any:
        import numpy as np

        at = self.at(key)
        lines = self.line[at]  # ascending: attributes are in line order
        return at[np.flatnonzero(np.r_[True, lines[1:] != lines[:-1]])] if len(at) else at

    def text(self, key: str, span: Any = None) -> Any:
        """Per line: the text of ``key`` (on span ``span[line]``, or the first in tree order)."""
        import pyarrow as pa

        at = self._first(key) if span is None else self._on(key, span)
        idx = self._positions(at, text=True)
        return self.flat.attr_text.take(pa.array(idx, mask=idx < 0))

    def integer(self, key: str, span: Any) -> tuple[Any, Any]:
        """Per line: ``(values, present)`` of integer attribute ``key`` on span ``span[line]``."""
        idx = self._positions(self._on(key, span), text=False)
        return self.flat.attr_int[idx], idx >= 0


def _distinct(values: Any) -> bool:
    """True if the non-negative integers ``values`` are all different."""
    import numpy as np

    if not len(values):
        return True
    if int(values.max()) < 1 << 26:
        return bool(np.bincount(values).max() <= 1)
    return len(np.unique(values)) == len(values)


def _either(a: Any, b: Any) -> Any:
    """``a or b`` per line (null counts as absent), as the careful interpreter picks values."""
    import pyarrow.compute as pc

    return pc.if_else(pc.fill_null(pc.not_equal(a, ""), False), a, b)


def _chat_span(flat: Flat, attrs: _Attrs) -> Any:
    """Per line: the index of its one chat span (content attributes only there)."""
    import numpy as np

    m = len(flat.span_line)
    op = np.full(m, None, dtype=object)
    at = attrs.at("gen_ai.operation.name")
    _need(bool(np.all(flat.attr_is_text[at])), "gen_ai.operation.name is not text")
    op[flat.attr_span[at]] = attrs.values(at)
    _need(not bool(np.any(op == "execute_tool")), "tool spans")
    chat = np.isin(op, _CHAT_OPS)
    for key in _CONTENT:
        _need(bool(np.all(chat[flat.attr_span[attrs.at(key)]])), f"{key} on a non-chat span")
    _need(bool(np.all(np.bincount(flat.span_line[chat], minlength=flat.n) == 1)), "chat spans")
    out = np.empty(flat.n, dtype=np.int64)
    out[flat.span_line[chat]] = np.flatnonzero(chat)
    return out, op


def _json_arrays(texts: dict[str, Any], n: int) -> Any:
    """The chat span's message attributes parsed by pyarrow: a table ``s``/``i``/``o``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    pieces: list[Any] = []
    for key, label in zip(_CONTENT, ("s", "i", "o"), strict=True):
        arr = texts[key]
        # JSON arrays only (the careful reader reports other text); text over several lines
        # splits its record, which the row count and column check below find
        opens = pc.equal(pc.utf8_slice_codeunits(arr, 0, 1), "[")
        if not _every(opens):  # leading JSON whitespace (rare): the slower check
            _need(_every(pc.match_substring_regex(arr, r"^[ \t\r\n]*\[")), f"{key}: not an array")
        pieces += [f',"{label}":' if pieces else f'{{"{label}":', pc.fill_null(arr, "null")]
    pieces.append("}\n")
    joined = pc.binary_join_element_wise(*pieces, "")
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int32)[joined.offset :][: n + 1]
    data = joined.buffers()[2][int(offsets[0]) : int(offsets[-1])]
    # pretty-printed message JSON has newlines of its own: tell the reader, which otherwise
    # cuts its blocks at any newline
    lines_only = int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == 10)) == n
    table = pj.read_json(
        pa.BufferReader(data),
        # one block: one chunk, nothing for combine_chunks to copy
        read_options=pj.ReadOptions(use_threads=False, block_size=max(len(data), 1 << 20)),
        parse_options=pj.ParseOptions(newlines_in_values=not lines_only),
    )
    table.validate(full=True)
    _need(table.num_rows == n and table.schema.names == ["s", "i", "o"], "message attributes")
    return table.combine_chunks()


def _every(mask: Any) -> bool:
    import pyarrow.compute as pc

    return bool(pc.all(pc.or_(mask, pc.is_null(mask))).as_py() in (True, None))


def _text_of(parts: Any, where: str) -> tuple[Any, Any]:
    r"""``(list lengths, "\\n"-joined text)`` of list<{type: "text", content}> (null if none)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from evalkit.traces._openai_fast import _lengths, _offsets

    _need(pa.types.is_list(parts.type) and parts.null_count == 0, f"{where} parts")
    flat = parts.flatten()
    lengths = _lengths(parts)
    if not len(flat):
        return lengths, pa.nulls(len(parts), pa.string())
    _need(pa.types.is_struct(flat.type) and flat.null_count == 0, f"{where} part")
    _need({"type", "content"} <= _fields(flat), f"{where} part fields")
    kind = pc.struct_field(flat, "type")
    _need(pa.types.is_string(kind.type) and _every(pc.equal(kind, "text")), "non-text parts")
    _need(kind.null_count == 0, "a part without type")
    content = pc.struct_field(flat, "content")
    _need(pa.types.is_string(content.type) and content.null_count == 0, "part content")
    joined = pc.binary_join(pa.ListArray.from_arrays(_offsets(lengths), content), "\n")
    null = pa.scalar(None, pa.string())
    return lengths, pc.if_else(pa.array(np.asarray(lengths) > 0), joined, null)


def _messages(table: Any, n: int) -> tuple[Any, Any, Any, Any]:
    """``(messages, role, content)``: system + input + output messages per line, canonical."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from evalkit.traces._openai_fast import _lengths
    from evalkit.traces.schema import MESSAGE_TOOL_CALL_TYPE, MESSAGE_TYPE

    def column(label: str) -> Any:
        col = table.column(label)
        return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)

    roles, contents, names, counts = [], [], [], []
    system = column("s")
    if pa.types.is_null(system.type):
        counts.append(np.zeros(n, dtype=np.int64))
    else:
        has = np.asarray(system.is_valid(), dtype=bool)
        present = system.filter(pa.array(has))
        _, text = _text_of(present, "gen_ai.system_instructions")
        counts.append(has.astype(np.int64))
        roles.append(pa.array(["system"] * len(present), pa.string()))
        contents.append(text)
        names.append(pa.nulls(len(present), pa.string()))
    for label in ("i", "o"):
        lists = column(label)
        if pa.types.is_null(lists.type):
            counts.append(np.zeros(n, dtype=np.int64))
            continue
        _need(pa.types.is_list(lists.type), f"{label}: not an array")
        counts.append(_lengths(lists))
        msgs = lists.flatten()
        if not len(msgs):
            continue
        _need(pa.types.is_struct(msgs.type) and msgs.null_count == 0, "a message is not an object")
        _need({"role", "parts"} <= _fields(msgs), "message fields")
        role = pc.struct_field(msgs, "role")
        _need(pa.types.is_string(role.type) and role.null_count == 0, "message role")
        _, text = _text_of(pc.struct_field(msgs, "parts"), "message")
        name = pa.nulls(len(msgs), pa.string())
        if "name" in _fields(msgs) and not pa.types.is_null(pc.struct_field(msgs, "name").type):
            name = pc.struct_field(msgs, "name")
            _need(pa.types.is_string(name.type), "message name")
        roles.append(role)
        contents.append(text)
        names.append(name)
    total = counts[0] + counts[1] + counts[2]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(total, out=offsets[1:])
    idx = np.empty(int(offsets[-1]), dtype=np.int64)
    base, before = 0, np.zeros(n, dtype=np.int64)
    for count in counts:  # system, then input, then output messages of each line
        k = int(count.sum())
        line = np.repeat(np.arange(n), count)
        starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(count, out=starts[1:])
        within = np.arange(k) - starts[line]
        idx[offsets[line] + before[line] + within] = base + np.arange(k)
        base += k
        before = before + count
    m = base
    role = pa.concat_arrays(roles).take(pa.array(idx)) if roles else pa.array([], pa.string())
    content = (
        pa.concat_arrays([c.cast(pa.string()) for c in contents]).take(pa.array(idx))
        if contents
        else pa.array([], pa.string())
    )
    name = pa.concat_arrays(names).take(pa.array(idx)) if names else pa.array([], pa.string())
    no_calls = pa.ListArray.from_arrays(
        pa.array(np.zeros(m + 1, dtype=np.int32)), pa.array([], type=MESSAGE_TOOL_CALL_TYPE)
    )
    values = pa.StructArray.from_arrays(
        [role, content, no_calls, pa.nulls(m, pa.string()), name], fields=list(MESSAGE_TYPE)
    )
    messages = pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), values)
    return messages, role, content, total


def _summary(role: Any, content: Any, total: Any, n: int) -> tuple[Any, Any]:
    """``summarize()``'s input and output per line (as in the chat JSONL path)."""
    import numpy as np

    from evalkit.traces._fast_chat import summary_columns

    return summary_columns(role, content, np.repeat(np.arange(n), total), n)


def iso_text(ns: Any) -> Any:
    """Epoch nanoseconds (numpy int64, all within pandas' range) as ISO text, as ``iso_ns``.

    Arrow's timestamp-to-text cast, "T" for the space and a "Z": a third of numpy's
    ``datetime_as_string`` time.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.cast(pa.array(ns, pa.timestamp("ns")), pa.string())  # "1970-01-01 00:00:00.000000001"
    return pc.binary_join_element_wise(pc.utf8_replace_slice(text, 10, 11, "T"), "Z", "")


def _steps(
    flat: Flat, op: Any, times: tuple[Any, Any], shared: dict[Any, Any]
) -> list[list[dict[str, Any]]]:
    """``metadata["spans"]`` per line, as :func:`evalkit.traces._spans.from_otlp` makes it.

    ``times`` are the spans' start and end as :func:`iso_text` (made in the worker thread).
    """
    import numpy as np

    from evalkit.traces._otlp_fast import _shared_values

    columns = [
        flat.span_id.to_pylist(),
        flat.parent_id.to_pylist(),
        _shared_values(flat.name, shared),
        op.tolist(),
        flat.status.tolist(),
        _texts(flat.message),
        times[0].to_pylist(),
        times[1].to_pylist(),
    ]
    # a dict display with constant keys: ~3x faster than dict(zip(keys, values)) per span
    steps = [
        {
            "span_id": a,
            "parent_id": b,
            "name": c,
            "kind": d,
            "status": e,
            "message": f,
            "start": g,
            "end": h,
        }
        for a, b, c, d, e, f, g, h in zip(*columns, strict=True)
    ]
    bounds = np.append(flat.root_at, len(steps)).tolist()
    return [steps[a:b] for a, b in pairwise(bounds)]


def _texts(arr: Any) -> list[Any]:
    """``arr.to_pylist()``, without a call per row when every value is null (status messages)."""
    return [None] * len(arr) if arr.null_count == len(arr) else arr.to_pylist()


def _other_attributes(flat: Flat, attrs: _Attrs) -> tuple[list[Any], list[Any]]:
    """Per line: ``(attributes, span_attributes)`` of ``span_metadata`` (``_ABSENT``: none).

    Every attribute not in a canonical column, in tree order; one on several spans is kept once
    when its values agree, else per span (:func:`evalkit.traces._otlp.span_metadata`).
    """
    import numpy as np

    n = flat.n
    at = np.flatnonzero(attrs.other)
    vals = attrs.values(at)
    codes = attrs.code[at]
    lines = attrs.line[at]
    counts = np.bincount(lines, minlength=n)
    k = int(counts[0]) if n else 0
    per_span: list[Any] = [_ABSENT] * n
    if k and bool(np.all(counts == k)) and not attrs.multi.any():
        grid = codes.reshape(n, k)
        if bool(np.all(grid == grid[0])):  # the same keys in the same order on every line
            keys = [attrs.names[c] for c in grid[0].tolist()]
            columns = [vals[j::k] for j in range(k)]
            return records(keys, columns), per_span
    keys = [attrs.names[c] for c in codes.tolist()]
    bounds = np.searchsorted(lines, np.arange(n + 1)).tolist()
    common: list[Any] = [
        dict(zip(keys[a:b], vals[a:b], strict=True)) or _ABSENT for a, b in pairwise(bounds)
    ]
    if attrs.multi.any():
        spans = attrs.flat.attr_span[at].tolist()
        names = flat.name.to_pylist()
        starts = np.append(flat.root_at, len(names)).tolist()
        for line in np.flatnonzero(attrs.multi).tolist():
            a, b = bounds[line], bounds[line + 1]
            common[line], per_span[line] = _span_metadata(
                keys[a:b], vals[a:b], spans[a:b], names, starts[line], starts[line + 1]
            )
    return common, per_span


def _span_metadata(
    keys: list[str], vals: list[Any], spans: list[int], names: list[str], first: int, end: int
) -> tuple[Any, Any]:
    """:func:`evalkit.traces._otlp.span_metadata` of one line's attributes (in tree order)."""
    seen: dict[str, int] = {}
    label = {}
    for i in range(first, end):  # "name", then "name #2" for the second span of that name
        name = names[i]
        seen[name] = seen.get(name, 0) + 1
        label[i] = name if seen[name] == 1 else f"{name} #{seen[name]}"
    values: dict[str, list[tuple[str, Any]]] = {}
    for key, value, span in zip(keys, vals, spans, strict=True):
        values.setdefault(key, []).append((label[span], value))
    from evalkit.traces._otlp import split_by_span

    common, per_span = split_by_span(values)
    return common or _ABSENT, per_span or _ABSENT


def prepare(flat: Flat) -> dict[str, Any]:
    """The Arrow half of a piece's columns (run ahead in a worker thread: no Python objects).

    Returns the columns that need no per-row Python objects, with ``_flat``, ``_attrs`` and
    ``_op`` for :func:`finish`.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = flat.n
    attrs = _Attrs(flat, {})
    chat, op = _chat_span(flat, attrs)
    table = _json_arrays({key: attrs.text(key, chat) for key in _CONTENT}, n)
    messages, role, content, total = _messages(table, n)
    user_text, output = _summary(role, content, total, n)
    # `response or request or None`: empty text is no model (session ids keep "")
    request = attrs.text("gen_ai.request.model", chat)
    request = pc.if_else(pc.fill_null(pc.equal(request, ""), False), None, request)
    model = _either(attrs.text("gen_ai.response.model", chat), request)

    def tokens(keys: tuple[str, str]) -> Any:
        first, has_first = attrs.integer(keys[0], chat)
        second, has_second = attrs.integer(keys[1], chat)
        values = np.where(has_first, first, second)
        return pa.array(values, pa.int64(), mask=~(has_first | has_second))

    root = flat.root_at
    start, end = flat.start[root], flat.end[root]
    return {
        "trace_id": flat.trace_id,
        "input": user_text,
        "output": output,
        "messages": messages,
        "model": model,
        **{label: _either(attrs.text(a), attrs.text(b)) for label, (a, b) in _PAIRS.items()},
        "timestamp_ns": pa.array(start, pa.int64()),
        "latency_ms": pa.array((end - start).astype(np.float64) / 1e6, pa.float64()),
        "input_tokens": tokens(("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")),
        "output_tokens": tokens(("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")),
        "span_id": flat.span_id.take(pa.array(root)),
        "_flat": flat,
        "_attrs": attrs,
        "_op": op,
        "_chat": chat,
        "_times": (iso_text(flat.start), iso_text(flat.end)),  # as _spans.iso_ns
    }


def finish(part: dict[str, Any], first_line: int, shared: dict[Any, Any]) -> dict[str, Any]:
    """The Python half: ``metadata`` and ``tool_calls`` of a :func:`prepare`d piece."""
    import numpy as np
    import pyarrow as pa

    flat, attrs, op, chat, times = (
        part.pop(k) for k in ("_flat", "_attrs", "_op", "_chat", "_times")
    )
    attrs.shared = shared  # equal short values as one object across the file
    n = flat.n
    providers = [(key, attrs.first(key)) for key in _PROVIDER_KEYS]
    others, per_span = _other_attributes(flat, attrs)
    steps = _steps(flat, op, times, shared)
    # the chat span's finish reasons, as a list per chat span (the careful interpreter's)
    finish = [
        _ABSENT if v is _ABSENT else [v]
        for v in attrs.on_span("gen_ai.response.finish_reasons", chat)
    ]
    keys = [
        "root_span",
        "service.name",
        *(k for k, _ in providers),
        "finish_reasons",
        "attributes",
        "span_attributes",
        "spans",
    ]
    columns_py = [
        [steps[i][0]["name"] for i in range(n)],
        flat.service,
        *(values for _, values in providers),
        finish,
        [o if o else _ABSENT for o in others],
        per_span,
        steps,
    ]
    present = [col.count(_ABSENT) < n for col in columns_py]
    keys = [k for k, p in zip(keys, present, strict=True) if p]
    columns_py = [c for c, p in zip(columns_py, present, strict=True) if p]
    metadata = records(keys, columns_py, drop=_ABSENT)  # a key some lines lack: not there
    part["tool_calls"] = [[] for _ in range(n)]
    part["metadata"] = metadata
    part["line"] = pa.array(np.arange(first_line, first_line + n, dtype=np.int64))
    return part

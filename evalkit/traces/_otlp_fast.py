"""The vectorised path for OTLP JSON Lines of GenAI spans: spans flattened with pyarrow.

One job: read an OTLP JSON Lines file (one ``ExportTraceServiceRequest`` per line, each line one
whole trace) with pyarrow's JSON reader and flatten every line's spans and attributes into Arrow
arrays, checking on the way that the file has exactly the common shape the vectorised rows
(:mod:`evalkit.traces._otlp_fast_rows`) understand. Anything else (base64 ids, events, a trace
split over lines, deeper span trees, tool or retrieval spans, error statuses, attribute kinds
other than string and integer, values the careful reader would report) makes
:func:`read_fast_otlp` return ``None`` and the careful span reader runs, so every error still
names its file, line, span and field. Both paths give the same frame
(tests/traces/test_otlp_fast.py compares them).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from evalkit.traces._openai_fast import _fields, _need

_HEX = r"^(?:[0-9a-fA-F]{16}){1,2}$"  # the careful reader's hex id (other spellings: careful)
_SPAN_FIELDS = frozenset(
    {
        "traceId",
        "spanId",
        "parentSpanId",
        "name",
        "kind",
        "startTimeUnixNano",
        "endTimeUnixNano",
        "attributes",
        "status",
        "events",
        "links",
        "traceState",
        "flags",
        "droppedAttributesCount",
        "droppedEventsCount",
        "droppedLinksCount",
    }
)


@dataclass
class Flat:
    """One piece's spans (one trace per line), flattened: span arrays and attribute arrays.

    Spans are in tree order within each line (the root, then its children by start time and
    span id); attribute rows are in span order, then in their order within the span.
    """

    n: int  # lines (= traces)
    span_line: Any  # numpy int64 per span
    trace_id: Any  # Arrow string per line (lowercase hex)
    span_id: Any  # Arrow string per span
    parent_id: Any  # Arrow string per span (null for none)
    name: Any  # Arrow string per span ("" when absent)
    start: Any  # numpy int64 nanoseconds per span
    end: Any  # numpy int64 nanoseconds per span
    status: Any  # numpy object: "unset" / "ok" per span
    message: Any  # Arrow string per span (null when none)
    root_at: Any  # numpy int64: index of each line's root span (its first)
    service: Any  # Python list per line: the root resource's service.name, or _ABSENT
    attr_span: Any  # numpy int64 per attribute: its span
    attr_key: Any  # Arrow string per attribute
    attr_text: Any  # Arrow string per attribute (null for an integer)
    attr_int: Any  # numpy int64 per attribute (0 unless an intValue)
    attr_is_text: Any  # numpy bool per attribute: a stringValue
    attr_is_int: Any  # numpy bool per attribute: an intValue
    attr_other: Any  # numpy object per attribute: a double, bool or list value (else None)


_ABSENT = object()


def _strings(arr: Any, name: str) -> Any:
    import pyarrow as pa

    _need(pa.types.is_string(arr.type), f"{name} has type {arr.type}")
    return arr


_HEX_BYTES = frozenset(b"0123456789abcdefABCDEF")


def _hex_ids(arr: Any) -> bool:
    """True if every id is 16 or 32 hex characters (what :data:`_HEX` matches), no nulls.

    Read from the array's bytes with numpy: a tenth of the regular expression's time.
    """
    import numpy as np
    import pyarrow as pa

    from evalkit.traces._fingerprint import text_buffers

    if arr.null_count or not pa.types.is_string(arr.type):
        return False
    if not len(arr):
        return True
    offsets, data = text_buffers(arr)
    lengths = np.diff(offsets)
    if not bool(np.all((lengths == 16) | (lengths == 32))):
        return False
    return bool(_hex_table()[data[int(offsets[0]) : int(offsets[-1])]].all())


@cache
def _hex_table() -> Any:
    import numpy as np

    return np.array([b in _HEX_BYTES for b in range(256)], dtype=bool)


def _all(mask: Any) -> bool:
    import pyarrow.compute as pc

    return bool(pc.all(pc.fill_null(mask, False)).as_py() in (True, None))


def _nanos(spans: Any, name: str) -> Any:
    """Start/end nanoseconds as the careful reader's quick path reads them (else: careful)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    from evalkit.traces._otlp import _MAX_NANOS

    _need(name in _fields(spans), f"no {name}")
    arr = pc.struct_field(spans, name)
    _need(arr.null_count == 0, f"a span without {name}")
    if pa.types.is_string(arr.type):
        # Arrow reads a subset of what int() reads, giving the same value (else: ArrowInvalid)
        arr = pc.cast(arr, pa.int64()) if len(arr) else pa.array([], pa.int64())
    _need(pa.types.is_integer(arr.type), f"{name} has type {arr.type}")
    values = np.asarray(arr, dtype=np.int64)
    _need(bool(np.all((values > 0) & (values <= _MAX_NANOS))), f"{name} out of range")
    return values


def _status(spans: Any) -> tuple[Any, Any]:
    """Per span: ``"unset"``/``"ok"`` and the message (error statuses go to the careful path)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(spans)
    unset = np.full(n, "unset", dtype=object)
    if "status" not in _fields(spans):
        return unset, pa.nulls(n, pa.string())
    status = pc.struct_field(spans, "status")
    if pa.types.is_null(status.type):
        return unset, pa.nulls(n, pa.string())
    _need(pa.types.is_struct(status.type), "status")
    _need(_fields(status) <= {"code", "message"}, "status fields")
    message = pa.nulls(n, pa.string())
    if "message" in _fields(status):
        raw = pc.struct_field(status, "message")
        if not pa.types.is_null(raw.type):
            raw = _strings(raw, "status.message")
            # `status.get("message") or None`: empty text is no message
            message = pc.if_else(pc.equal(raw, ""), pa.scalar(None, pa.string()), raw)
    if "code" not in _fields(status):
        return unset, message
    code = pc.struct_field(status, "code")
    if pa.types.is_null(code.type):
        return unset, message
    if pa.types.is_integer(code.type):
        values = np.asarray(pc.fill_null(code, 0), dtype=np.int64)
        _need(not bool(np.any(values == 2)), "an error status")
        out = unset.copy()
        out[values == 1] = "ok"
        return out, message
    _need(pa.types.is_string(code.type), "status.code")
    text = np.asarray(pc.fill_null(code, ""), dtype=object)
    _need(not bool(np.isin(text, ["STATUS_CODE_ERROR", "ERROR"]).any()), "an error status")
    out = unset.copy()
    out[np.isin(text, ["STATUS_CODE_OK", "OK"])] = "ok"
    return out, message


AHEAD = 2  # pieces prepared ahead of the one being finished
_KINDS = frozenset({"stringValue", "intValue", "doubleValue", "boolValue", "arrayValue"})


def _attributes(lists: Any, where: str) -> tuple[Any, Any, Any, Any, Any, Any, Any]:
    """``(owner, key, text, integer, is_text, is_int, other)`` per attribute (list<{key, value}>).

    A value must hold exactly one of ``stringValue``, ``intValue``, ``doubleValue`` (a JSON
    number), ``boolValue`` or ``arrayValue`` (of strings); an absent value, ``{}``, an explicit
    null or another kind: the careful reader decides. ``text`` is Arrow (null unless a string),
    ``integer`` numpy int64 (0 unless an integer), ``other`` a numpy object array with the
    Python value of the other kinds (None elsewhere).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    empty = pa.array([], pa.string())
    if pa.types.is_null(lists.type):
        none, no = np.zeros(0, np.int64), np.zeros(0, bool)
        return none, empty, empty, none, no, no, np.zeros(0, object)
    _need(pa.types.is_list(lists.type), f"{where} is not an array")
    kv = lists.flatten()
    owner = np.asarray(pc.list_parent_indices(lists), dtype=np.int64)
    n = len(kv)
    if not n:
        no = np.zeros(0, bool)
        return owner, empty, empty, np.zeros(0, np.int64), no, no, np.zeros(0, object)
    _need(pa.types.is_struct(kv.type) and kv.null_count == 0, f"{where} items")
    _need(_fields(kv) <= {"key", "value"} and "key" in _fields(kv), f"{where} item fields")
    key = _strings(pc.struct_field(kv, "key"), f"{where}.key")
    _need(key.null_count == 0, f"{where}: a null key")
    _need("value" in _fields(kv), f"{where}: no values")
    value = pc.struct_field(kv, "value")
    _need(pa.types.is_struct(value.type) and value.null_count == 0, f"{where}.value")
    kinds = _fields(value)
    _need(kinds <= _KINDS, f"{where}: value kinds {sorted(kinds)}")
    text = (
        _strings(pc.struct_field(value, "stringValue"), "stringValue")
        if "stringValue" in kinds
        else pa.nulls(n, pa.string())
    )
    number = pc.struct_field(value, "intValue") if "intValue" in kinds else pa.nulls(n, pa.int64())
    if pa.types.is_string(number.type):  # as int() reads it, or ArrowInvalid: careful path
        number = pc.cast(number, pa.int64())
    _need(pa.types.is_integer(number.type) or pa.types.is_null(number.type), "intValue type")
    is_text = np.asarray(text.is_valid(), dtype=bool)
    is_int = np.asarray(number.is_valid(), dtype=bool)
    count = is_text.astype(np.int8) + is_int
    other = np.full(n, None, dtype=object)
    for kind in sorted(kinds - {"stringValue", "intValue"}):
        arr = pc.struct_field(value, kind)
        if pa.types.is_null(arr.type):
            continue
        count += np.asarray(arr.is_valid(), dtype=np.int8)
        at = np.flatnonzero(np.asarray(arr.is_valid(), dtype=bool))
        other[at] = _other_values(arr.take(pa.array(at)), kind)
    _need(bool(np.all(count == 1)), f"{where}: a value with no kind, or with two")
    ints = np.asarray(pc.fill_null(number.cast(pa.int64()), 0), dtype=np.int64)
    return owner, key, text, ints, is_text, is_int, other


def _other_values(arr: Any, kind: str) -> list[Any]:
    """Python values of ``doubleValue``/``boolValue``/``arrayValue`` (of strings) entries."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind == "doubleValue":  # float(v) of a JSON number (text: the careful reader)
        _need(pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type), "doubleValue")
        return arr.cast(pa.float64()).to_pylist()  # type: ignore[no-any-return,unused-ignore]
    if kind == "boolValue":
        _need(pa.types.is_boolean(arr.type), "boolValue")
        return arr.to_pylist()  # type: ignore[no-any-return,unused-ignore]
    _need(pa.types.is_struct(arr.type) and _fields(arr) == {"values"}, "arrayValue")
    values = pc.struct_field(arr, "values")
    _need(pa.types.is_list(values.type) and values.null_count == 0, "arrayValue values")
    items = values.flatten()
    if len(items):
        _need(pa.types.is_struct(items.type) and items.null_count == 0, "array items")
        _need(_fields(items) == {"stringValue"}, "array items other than text")
        _need(pc.struct_field(items, "stringValue").null_count == 0, "an array item")
        _strings(pc.struct_field(items, "stringValue"), "array item")
    return [[item["stringValue"] for item in entry] for entry in values.to_pylist()]


def values_at(flat: Any, at: Any, shared: dict[Any, Any]) -> list[Any]:
    """The Python values (str, int, float, bool, list) of attributes at positions ``at``."""
    import numpy as np
    import pyarrow as pa

    out = _shared_values(flat.attr_text.take(pa.array(at, pa.int64())), shared)
    is_text = flat.attr_is_text[at]
    if not bool(is_text.all()):
        ints, other = flat.attr_int, flat.attr_other
        for j in np.flatnonzero(~is_text).tolist():
            i = at[j]
            out[j] = other[i] if other[i] is not None else int(ints[i])
    return out


def _shared_values(arr: Any, shared: dict[Any, Any]) -> list[Any]:
    """The strings of ``arr`` as Python objects, one object per distinct value (bounded)."""
    import numpy as np
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(arr)
    words = encoded.dictionary.to_pylist()
    if len(words) * 4 > len(arr):  # mostly unique: sharing would not pay
        return arr.to_pylist()
    index = np.asarray(pc.fill_null(encoded.indices, len(words)), dtype=np.int64)
    # a word used once here (a response id) is left alone: one object already
    for i in np.flatnonzero(np.bincount(index, minlength=len(words) + 1)[:-1] > 1).tolist():
        w = words[i]
        if len(w) <= 64:
            words[i] = shared.setdefault(w, w) if len(shared) < 1 << 16 else shared.get(w, w)
    table = np.empty(len(words) + 1, dtype=object)
    table[:-1] = words
    table[-1] = None
    return table[index].tolist()


def flatten(table: Any) -> Flat:
    """One piece's table (a line per row) -> :class:`Flat`, or :class:`_Unsupported`."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    _need(table.schema.names == ["resourceSpans"], "top-level keys")
    n = table.num_rows
    rs_lists = table.column("resourceSpans")
    rs_lists = rs_lists.chunk(0) if rs_lists.num_chunks == 1 else rs_lists.combine_chunks()
    _need(pa.types.is_list(rs_lists.type) and rs_lists.null_count == 0, "resourceSpans")
    rs = rs_lists.flatten()
    _need(pa.types.is_struct(rs.type) and rs.null_count == 0, "resourceSpans items")
    _need(_fields(rs) <= {"resource", "scopeSpans", "schemaUrl"}, "resourceSpans fields")
    _need("scopeSpans" in _fields(rs), "no scopeSpans")
    rs_line = np.asarray(pc.list_parent_indices(rs_lists), dtype=np.int64)
    # the resource's attributes (checked as the careful reader decodes them all)
    service = np.full(len(rs), None, dtype=object)
    has_service = np.zeros(len(rs), dtype=bool)
    if "resource" in _fields(rs) and not pa.types.is_null(pc.struct_field(rs, "resource").type):
        res = pc.struct_field(rs, "resource")
        _need(pa.types.is_struct(res.type), "resource")
        _need(_fields(res) <= {"attributes", "droppedAttributesCount"}, "resource fields")
        if "attributes" in _fields(res):
            owner, key, text, _, is_text, _, _ = _attributes(
                pc.struct_field(res, "attributes"), "resource.attributes"
            )
            at = np.flatnonzero(np.asarray(pc.equal(key, "service.name"), dtype=bool))
            owners = owner[at]
            _need(len(np.unique(owners)) == len(owners), "service.name given twice")
            _need(bool(np.all(is_text[at])), "service.name is not text")
            service[owners] = text.take(pa.array(at, pa.int64())).to_pylist()
            has_service[owners] = True
    ss_lists = pc.struct_field(rs, "scopeSpans")
    _need(pa.types.is_list(ss_lists.type) and ss_lists.null_count == 0, "scopeSpans")
    ss = ss_lists.flatten()
    _need(pa.types.is_struct(ss.type) and ss.null_count == 0, "scopeSpans items")
    _need(_fields(ss) <= {"scope", "spans", "schemaUrl"} and "spans" in _fields(ss), "scopeSpans")
    ss_rs = np.asarray(pc.list_parent_indices(ss_lists), dtype=np.int64)
    span_lists = pc.struct_field(ss, "spans")
    _need(pa.types.is_list(span_lists.type) and span_lists.null_count == 0, "spans")
    spans = span_lists.flatten()
    _need(pa.types.is_struct(spans.type) and spans.null_count == 0, "span items")
    _need(_fields(spans) <= _SPAN_FIELDS, f"span fields {sorted(_fields(spans) - _SPAN_FIELDS)}")
    span_rs = ss_rs[np.asarray(pc.list_parent_indices(span_lists), dtype=np.int64)]
    span_line = rs_line[span_rs]
    m = len(spans)
    _need(bool(np.all(np.bincount(span_line, minlength=n) >= 1)), "a line without spans")
    if "events" in _fields(spans):
        events = pc.struct_field(spans, "events")
        _need(
            pa.types.is_null(events.type) or not bool(pc.max(pc.list_value_length(events)).as_py()),
            "span events",
        )
    # ids: the careful reader's hex spelling, lowercased
    ids = {}
    for key in ("traceId", "spanId"):
        _need(key in _fields(spans), f"no {key}")
        arr = _strings(pc.struct_field(spans, key), key)
        _need(arr.null_count == 0, key)
        ids[key] = pc.utf8_lower(arr)
    # hex ids: every span id; a trace id per line (_tree checks its spans share it)
    _need(_hex_ids(ids["spanId"]), "spanId")
    heads = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(span_line, minlength=n), out=heads[1:])
    _need(_hex_ids(ids["traceId"].take(pa.array(heads[:-1]))), "ids")
    parent = pa.nulls(m, pa.string())
    if "parentSpanId" in _fields(spans):
        raw = pc.struct_field(spans, "parentSpanId")
        if not pa.types.is_null(raw.type):
            raw = _strings(raw, "parentSpanId")
            parent = pc.utf8_lower(pc.if_else(pc.equal(raw, ""), pa.scalar(None, pa.string()), raw))
    start, end = _nanos(spans, "startTimeUnixNano"), _nanos(spans, "endTimeUnixNano")
    name = pa.array([""] * m, pa.string())
    if "name" in _fields(spans) and not pa.types.is_null(pc.struct_field(spans, "name").type):
        name = pc.fill_null(_strings(pc.struct_field(spans, "name"), "name"), "")
    status, message = _status(spans)
    # one trace per line, a root and its children (deeper trees: the careful path)
    order = _tree(span_line, heads, ids["traceId"], ids["spanId"], parent, start)
    same = bool(np.all(order == np.arange(m)))  # already in tree order: nothing to move
    take = None if same else pa.array(order)

    def moved(arr: Any) -> Any:
        return arr if take is None else arr.take(take)

    attrs = pc.struct_field(spans, "attributes") if "attributes" in _fields(spans) else None
    owner, key, text, ints, is_text, is_int, other = _attributes(
        pa.nulls(m) if attrs is None else attrs, "attributes"
    )
    # attributes in the spans' new order (a stable sort keeps each span's own order)
    if same:
        new_owner = owner
        key_by, text_by, ints_by, is_text_by, is_int_by, other_by = (
            key,
            text,
            ints,
            is_text,
            is_int,
            other,
        )
    else:
        rank = np.empty(m, dtype=np.int64)
        rank[order] = np.arange(m)
        by = np.argsort(rank[owner], kind="stable")
        new_owner = rank[owner][by]
        key_by, text_by = key.take(pa.array(by)), text.take(pa.array(by))
        ints_by, is_text_by, is_int_by, other_by = ints[by], is_text[by], is_int[by], other[by]
    first_span = heads  # spans per line do not change with their order
    root_res = span_rs[order[first_span[:-1]]]
    return Flat(
        n=n,
        span_line=span_line if same else span_line[order],
        trace_id=ids["traceId"].take(pa.array(order[first_span[:-1]])),
        span_id=moved(ids["spanId"]),
        parent_id=moved(parent),
        name=moved(name),
        start=start if same else start[order],
        end=end if same else end[order],
        status=status if same else status[order],
        message=moved(message),
        root_at=first_span[:-1],
        service=[
            s if h else _ABSENT
            for s, h in zip(service[root_res], has_service[root_res], strict=True)
        ],
        attr_span=new_owner,
        attr_key=key_by,
        attr_text=text_by,
        attr_int=ints_by,
        attr_is_text=is_text_by,
        attr_is_int=is_int_by,
        attr_other=other_by,
    )


def _tree(line: Any, heads: Any, trace: Any, span: Any, parent: Any, start: Any) -> Any:
    """The spans' indices in tree order (line by line); else :class:`_Unsupported`.

    Each line must hold one trace whose spans are one root (a span whose parent is not in the
    trace) and its children; they are then ordered as the careful reader orders a tree: the
    root, then its children by start time and span id.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    m, n = len(line), len(heads) - 1  # heads: each line's first span (and the end)
    _need(_all(pc.equal(trace, trace.take(pa.array(heads[:-1][line])))), "a line, two traces")
    no_parent = np.asarray(parent.is_null(), dtype=bool)
    root = np.empty(n, dtype=np.int64)
    # the common case first: span ids unique in the piece, one span per line without a parent
    # and every other span its child (then roots are exactly those a careful reading finds)
    if _distinct_ids(span) and bool(np.all(np.bincount(line[no_parent], minlength=n) == 1)):
        root[line[no_parent]] = np.flatnonzero(no_parent)
        kids = np.flatnonzero(~no_parent)
        of_root = pc.equal(parent.take(pa.array(kids)), span.take(pa.array(root[line[kids]])))
        if _all(of_root):
            return _order(line, ~no_parent, start, span)
    # one trace id per line: trace id + span id names a span of its line
    key = pc.binary_join_element_wise(trace, span, "")
    _need(pc.count_distinct(key).as_py() == m, "a span id given twice")
    parent_key = pc.binary_join_element_wise(trace, parent, "")  # null: no parent
    has_parent = np.asarray(pc.fill_null(pc.is_in(parent_key, value_set=key), False), dtype=bool)
    has_parent &= np.asarray(pc.fill_null(pc.not_equal(parent, span), True), dtype=bool)
    is_root = ~has_parent
    _need(bool(np.all(np.bincount(line[is_root], minlength=n) == 1)), "not one root per line")
    # a child's parent is a (hex) span id of its trace; a root's must be hex too, or none
    outside = parent.take(pa.array(np.flatnonzero(is_root)))
    _need(_all(pc.or_kleene(pc.is_null(outside), pc.match_substring_regex(outside, _HEX))), "id")
    root[line[is_root]] = np.flatnonzero(is_root)
    kids = np.flatnonzero(has_parent)
    if len(kids):
        of_root = pc.equal(parent.take(pa.array(kids)), span.take(pa.array(root[line[kids]])))
        _need(_all(of_root), "a span tree deeper than root and children")
    return _order(line, has_parent, start, span)


def _distinct_ids(ids: Any) -> bool:
    import pyarrow.compute as pc

    from evalkit.traces._fingerprint import fingerprints, surely_distinct

    return surely_distinct([fingerprints(ids)]) or pc.count_distinct(ids).as_py() == len(ids)


def _order(line: Any, has_parent: Any, start: Any, span: Any) -> Any:
    """Root first, then its children by start time and span id, line by line."""
    import numpy as np

    depth = has_parent.astype(np.int8)
    same_line, same_depth = line[1:] == line[:-1], depth[1:] == depth[:-1]
    later = (line[1:] > line[:-1]) | (same_line & (depth[1:] > depth[:-1]))
    if bool(np.all(later | (same_line & same_depth & (start[1:] > start[:-1])))):
        return np.arange(len(line), dtype=np.int64)  # in order already, and no ties
    order = np.lexsort((start, depth, line))
    s_line, s_depth, s_start = line[order], depth[order], start[order]
    tie = (s_line[1:] == s_line[:-1]) & (s_depth[1:] == s_depth[:-1])
    tie &= s_start[1:] == s_start[:-1]
    if tie.any():  # siblings that start together: the careful reader orders them by span id
        ids = np.array(span.to_pylist(), dtype=str)
        order = np.lexsort((ids, start, depth, line))
    return order.astype(np.int64)


def read_fast_otlp(path: Path) -> Any:
    """Read an OTLP GenAI JSON Lines file the vectorised way; ``None``: use the careful reader."""
    from evalkit.traces._otlp_logs import active

    if active() is not None:  # log records to join to the spans: the careful path does that
        return None
    from evalkit.traces._fast_pieces import stepping_aside

    return stepping_aside(_read, path)


def _prepared(table: Any) -> dict[str, Any]:
    """A parsed piece flattened, with its Arrow columns (in a worker thread)."""
    from evalkit.traces._fast_frame import large_text
    from evalkit.traces._fingerprint import fingerprints
    from evalkit.traces._otlp_fast_rows import prepare

    part = prepare(flatten(table))
    part["_prints"] = fingerprints(part["trace_id"])  # for the file-wide distinct-id check
    return large_text(part)


def _read(path: Path) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    from evalkit.traces import _fast_pieces
    from evalkit.traces._fast_frame import canonical_frame
    from evalkit.traces._fingerprint import surely_distinct
    from evalkit.traces._otel_genai import NAME
    from evalkit.traces._otlp_fast_rows import finish

    lines_file = path.suffix.lower() in (".jsonl", ".ndjson")
    parts: list[dict[str, Any]] = []
    shared: dict[Any, Any] = {}
    line = 1
    # pieces are read, parsed and flattened in worker threads (pyarrow and numpy free the GIL)
    # while this thread makes an earlier piece's Python objects: the work shares the cores
    for n_lines, part in _fast_pieces.prepared(path, _prepared, ahead=AHEAD):
        # a one-line .json file is a document to the careful reader: leave it to that one
        _need(lines_file or n_lines >= 2 or line > 1, "not JSON Lines")
        parts.append(finish(part, line, shared))
        line += n_lines
    _need(bool(parts), "an empty file")
    if not surely_distinct([p.pop("_prints") for p in parts]):  # else the exact check
        ids = pa.chunked_array([p["trace_id"] for p in parts])
        _need(pc.count_distinct(ids).as_py() == len(ids), "a trace over several lines")
    return canonical_frame(parts, fmt=NAME, file=str(path))

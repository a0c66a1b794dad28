"""OTLP JSON span parsing shared by the OpenTelemetry GenAI and OpenInference readers.

Reads an ``ExportTraceServiceRequest`` JSON document (``{"resourceSpans": [...]}``) or JSON Lines
of them, decodes ``AnyValue`` attributes, and groups spans into traces ordered as a tree (children
by start time), so that a per-convention interpreter can turn each trace into one canonical row.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.errors import TraceError
from evalkit.traces._base import ErrorSink
from evalkit.traces._jsonio import iter_jsonl, read_json_document
from evalkit.traces._otlp_values import SpanError as SpanError  # re-exported for the readers
from evalkit.traces._otlp_values import _kind
from evalkit.traces._otlp_values import int_or_none as int_or_none
from evalkit.traces._otlp_values import maybe_json as maybe_json
from evalkit.traces._otlp_values import num as num
from evalkit.traces._otlp_values import text_or_none as text_or_none

_JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".otlp")
_MAX_NANOS = int(pd.Timestamp.max.value)


@dataclass(slots=True)
class Span:
    """One decoded span."""

    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    start_ns: int | None
    end_ns: int | None
    attrs: dict[str, Any]
    events: list[tuple[str, int | None, dict[str, Any]]] = field(default_factory=list)
    resource: dict[str, Any] = field(default_factory=dict)
    scope: str | None = None
    status: dict[str, Any] = field(default_factory=dict)
    line: int | None = None

    @property
    def duration_ms(self) -> float | None:
        if self.start_ns is None or self.end_ns is None:
            return None
        return (self.end_ns - self.start_ns) / 1e6


def sniff_otlp(path: Path, head: bytes) -> bool:
    """True if the file looks like OTLP JSON (or JSON Lines) trace data."""
    return path.suffix.lower() in _JSON_SUFFIXES and b'"resourceSpans"' in head


def any_value(value: Any, where: str) -> Any:
    """Decode an OTLP JSON ``AnyValue`` (``intValue`` may be a string-encoded integer)."""
    if not isinstance(value, dict):
        raise SpanError(where, f"attribute value must be an AnyValue object, got {_kind(value)}")
    if not value:
        return None
    if "stringValue" in value:
        v = value["stringValue"]
        if not isinstance(v, str):
            raise SpanError(where, f"stringValue must be a string, got {_kind(v)}")
        return v
    if "intValue" in value:
        v = value["intValue"]
        try:
            if isinstance(v, (bool, float)):
                raise ValueError
            return int(v)
        except (TypeError, ValueError):
            raise SpanError(
                where, f"intValue must be an integer (or its decimal string), got {v!r}"
            ) from None
    if "doubleValue" in value:
        v = value["doubleValue"]
        if isinstance(v, bool):
            raise SpanError(where, f"doubleValue must be a number, got {v!r}")
        try:
            return float(v)
        except (TypeError, ValueError):
            raise SpanError(where, f"doubleValue must be a number, got {v!r}") from None
    if "boolValue" in value:
        v = value["boolValue"]
        if not isinstance(v, bool):
            raise SpanError(where, f"boolValue must be true or false, got {v!r}")
        return v
    if "arrayValue" in value:
        arr = value["arrayValue"]
        values = arr.get("values", []) if isinstance(arr, dict) else None
        if not isinstance(values, list):
            raise SpanError(where, "arrayValue must be an object with a 'values' array")
        return [any_value(v, f"{where}[{i}]") for i, v in enumerate(values)]
    if "kvlistValue" in value:
        kv = value["kvlistValue"]
        values = kv.get("values", []) if isinstance(kv, dict) else None
        if not isinstance(values, list):
            raise SpanError(where, "kvlistValue must be an object with a 'values' array")
        return attributes(values, where)
    if "bytesValue" in value:
        return value["bytesValue"] if isinstance(value["bytesValue"], str) else None
    raise SpanError(where, f"unknown AnyValue kind {sorted(value)[:3]}")


_SHARED_LEN = 64  # attribute keys and values up to this length are kept once per read
_SHARED_MAX = 1 << 16  # distinct ones remembered (then the rest are kept as read)
_SHARED: dict[str, str] = {}


def _shared(text: str) -> str:
    """One object for equal short strings (a million spans repeat "chat", "openai", their keys).

    The JSON parser makes a new string for every key and value of every line; a large file's
    repeated ones then cost more memory than its spans' content.
    """
    kept = _SHARED.get(text)
    if kept is not None:
        return kept
    if len(_SHARED) < _SHARED_MAX:
        _SHARED[text] = text
    return text


def attributes(items: Any, where: str, field: str = "") -> dict[str, Any]:
    """Decode a list of ``{"key", "value": AnyValue}`` into a dict (``where + field`` names it)."""
    if items is None:
        return {}
    if field:
        where += field
    if not isinstance(items, list):
        raise SpanError(where, f"must be an array of key/value objects, got {_kind(items)}")
    out: dict[str, Any] = {}
    for i, kv in enumerate(items):
        if type(kv) is dict:  # the common case first: a string value, checked exactly
            key, value = kv.get("key"), kv.get("value")
            if type(key) is str and type(value) is dict and len(value) == 1:
                text = value.get("stringValue")
                if type(text) is str:
                    out[_shared(key)] = _shared(text) if len(text) <= _SHARED_LEN else text
                    continue
        if not isinstance(kv, dict) or not isinstance(kv.get("key"), str):
            raise SpanError(f"{where}[{i}]", "must be an object with a string 'key'")
        out[_shared(kv["key"])] = any_value(
            kv.get("value", {}), f"{where}[{i}].value ({kv['key']})"
        )
    return out


def _nanos(value: Any, where: str, field: str = "") -> int | None:
    if type(value) is str and value.isdigit() and len(value) <= 19 and value.isascii():
        nanos = int(value)  # the common case: a decimal string within int64
        if 0 < nanos <= _MAX_NANOS:
            return nanos
    where += field
    if value is None or value == "" or value == 0 or value == "0":
        return None
    if isinstance(value, (bool, float)):
        raise SpanError(
            where, f"must be nanoseconds as an integer or decimal string, got {value!r}"
        )
    try:
        nanos = int(value)
    except (TypeError, ValueError):
        raise SpanError(
            where, f"must be nanoseconds as an integer or decimal string, got {value!r}"
        ) from None
    if not 0 <= nanos <= _MAX_NANOS:
        raise SpanError(
            where, f"nanoseconds since 1970 out of range (0 to {_MAX_NANOS}): {value!r}"
        )
    return nanos


_HEX_ID = re.compile(r"^(?:[0-9a-fA-F]{16}){1,2}$")
_B64_ID = re.compile(r"^(?:[A-Za-z0-9+/]{22}==|[A-Za-z0-9+/]{11}=)$")


def otlp_id(value: str) -> str:
    """An OTLP trace/span id as lowercase hex.

    OTLP/JSON writes ids as hex, but protobuf's ``MessageToJson`` (used by the OpenTelemetry SDK's
    own encoders) writes bytes as base64; both spellings of one id give the same hex here.

    Examples
    --------
    >>> otlp_id("nefg8tAuV0lTjT3nKn3m9g==")
    '9de7e0f2d02e5749538d3de72a7de6f6'
    >>> otlp_id("9DE7E0F2D02E5749538D3DE72A7DE6F6")
    '9de7e0f2d02e5749538d3de72a7de6f6'
    """
    if _HEX_ID.match(value):  # the common case first: one C-level match
        return value.lower()
    if _B64_ID.match(value):
        return base64.b64decode(value).hex()
    return value


def _id(value: Any, where: str, field: str = "", *, required: bool) -> str | None:
    if type(value) is str and _HEX_ID.match(value):  # the common case: one C-level match
        return value.lower()
    if value is None or value == "":
        if required:
            raise SpanError(where + field, "missing")
        return None
    if not isinstance(value, str):
        raise SpanError(where + field, f"must be a hex string, got {_kind(value)}")
    return otlp_id(value)


def _span(
    raw: Any, where: str, resource: dict[str, Any], scope: str | None, line: int | None
) -> Span:
    if not isinstance(raw, dict):
        raise SpanError(where, f"span must be an object, got {_kind(raw)}")
    events = []
    raw_events = raw.get("events") or []
    if not isinstance(raw_events, list):
        raise SpanError(f"{where}.events", "must be an array")
    for k, ev in enumerate(raw_events):
        if not isinstance(ev, dict):
            raise SpanError(f"{where}.events[{k}]", "must be an object")
        name = ev.get("name")
        events.append(
            (
                name if isinstance(name, str) else "",
                _nanos(ev.get("timeUnixNano"), f"{where}.events[{k}].timeUnixNano"),
                attributes(ev.get("attributes"), f"{where}.events[{k}].attributes"),
            )
        )
    name = raw.get("name")
    status = raw.get("status")
    # where + "..." only on failure: building the paths eagerly cost ~10% of a read
    return Span(
        trace_id=_id(raw.get("traceId"), where, ".traceId", required=True) or "",
        span_id=_id(raw.get("spanId"), where, ".spanId", required=True) or "",
        parent_id=_id(raw.get("parentSpanId"), where, ".parentSpanId", required=False),
        name=_shared(name) if isinstance(name, str) else "",
        start_ns=_nanos(raw.get("startTimeUnixNano"), where, ".startTimeUnixNano"),
        end_ns=_nanos(raw.get("endTimeUnixNano"), where, ".endTimeUnixNano"),
        attrs=attributes(raw.get("attributes"), where, ".attributes"),
        events=events,
        resource=resource,
        scope=scope,
        status=status if isinstance(status, dict) else {},
        line=line,
    )


def _spans_of(
    doc: Any, *, file: str, line: int | None, sink: ErrorSink, fmt: str
) -> Iterator[Span]:
    """Yield the spans of one ExportTraceServiceRequest; bad spans go to ``sink``."""

    def report(field: str | None, message: str, span_id: str | None = None) -> None:
        sink.add(
            TraceError(
                file=file, line=line, span_id=span_id, field=field, message=message, format=fmt
            )
        )

    if not isinstance(doc, dict) or not isinstance(doc.get("resourceSpans"), list):
        report("resourceSpans", "not OTLP JSON: expected an object with a 'resourceSpans' array")
        return
    for i, rs in enumerate(doc["resourceSpans"]):
        where = f"resourceSpans[{i}]"
        if not isinstance(rs, dict):
            report(where, f"must be an object, got {_kind(rs)}")
            continue
        try:
            res = rs.get("resource") or {}
            resource = attributes(
                res.get("attributes") if isinstance(res, dict) else None,
                f"{where}.resource.attributes",
            )
        except SpanError as err:
            report(err.field, err.message)
            continue
        scope_spans = rs.get("scopeSpans", rs.get("instrumentationLibrarySpans")) or []
        if not isinstance(scope_spans, list):
            report(f"{where}.scopeSpans", "must be an array")
            continue
        for j, ss in enumerate(scope_spans):
            w2 = f"{where}.scopeSpans[{j}]"
            if not isinstance(ss, dict) or not isinstance(ss.get("spans", []), list):
                report(w2, "must be an object with a 'spans' array")
                continue
            scope = ss.get("scope")
            scope_name = scope.get("name") if isinstance(scope, dict) else None
            for k, raw in enumerate(ss.get("spans", [])):
                w3 = f"{w2}.spans[{k}]"
                try:
                    yield _span(
                        raw, w3, resource, scope_name if isinstance(scope_name, str) else None, line
                    )
                except SpanError as err:
                    sid = (
                        raw.get("spanId")
                        if isinstance(raw, dict) and isinstance(raw.get("spanId"), str)
                        else None
                    )
                    report(err.field, err.message, sid)


def read_spans(path: Path, *, sink: ErrorSink, fmt: str) -> list[Span]:
    """Read every span of an OTLP JSON document or OTLP JSON Lines file."""
    file = str(path)
    lines_mode = path.suffix.lower() in (".jsonl", ".ndjson")
    if not lines_mode:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
        first = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        # A single document spans many lines or has one; JSON Lines has several complete documents.
        nl = first.find(b"\n")
        if nl != -1 and first[:nl].rstrip().endswith(b"}") and first[nl:].lstrip().startswith(b"{"):
            lines_mode = True
    from evalkit.traces._otlp_logs import LogIndex, active, records_of

    spans: list[Span] = []
    own_logs = LogIndex()  # logs lines in the same JSON Lines file (a collector's file export)
    if lines_mode:
        for line, doc in iter_jsonl(path, sink=sink, fmt=fmt):
            if isinstance(doc, dict) and "resourceLogs" in doc and "resourceSpans" not in doc:
                for record in records_of(doc, file, line, sink):
                    own_logs.add(record)
                continue
            spans.extend(_spans_of(doc, file=file, line=line, sink=sink, fmt=fmt))
    else:
        ok, doc = read_json_document(path, sink=sink, fmt=fmt)
        if ok:
            spans.extend(_spans_of(doc, file=file, line=None, sink=sink, fmt=fmt))
            _locate(path, spans)
    logs = active()
    if logs is not None:  # log records loaded alongside become events of their spans
        logs.attach(spans)
    if own_logs.by_span:
        own_logs.attach(spans)
        own_logs.report_unjoined(sink)
    return spans


_SPAN_ID_KEY = re.compile(rb'"spanId"\s*:\s*"([^"\\]*)"')


def _locate(path: Path, spans: list[Span]) -> None:
    """Give spans of a single JSON document the line of their ``"spanId"`` key (first seen)."""
    data = path.read_bytes()
    lines: dict[bytes, int] = {}
    line, last = 1, 0
    for m in _SPAN_ID_KEY.finditer(data):
        line += data.count(b"\n", last, m.start())
        last = m.start()
        lines.setdefault(m.group(1), line)
    by_id = {otlp_id(k.decode("utf-8", "surrogatepass")): v for k, v in lines.items()}
    for s in spans:
        s.line = by_id.get(s.span_id)


@dataclass
class Trace:
    """The spans of one trace in tree order (parents before children, siblings by start time)."""

    trace_id: str
    spans: list[Span]
    root: Span

    @property
    def start_ns(self) -> int | None:
        starts = [s.start_ns for s in self.spans if s.start_ns is not None]
        return min(starts) if starts else None

    @property
    def latency_ms(self) -> float | None:
        if self.root.duration_ms is not None:
            return self.root.duration_ms
        return None

    def timestamp(self) -> pd.Timestamp | None:
        start = self.root.start_ns if self.root.start_ns is not None else self.start_ns
        return pd.Timestamp(start, unit="ns", tz="UTC") if start is not None else None

    def first(self, key: str) -> Any:
        """The first non-null value of attribute ``key`` in tree order."""
        for s in self.spans:
            v = s.attrs.get(key)
            if v is not None:
                return v
        return None


def span_metadata(trace: Trace, skip: Callable[[str], bool]) -> dict[str, Any]:
    """Every span attribute not already in a canonical column, so that nothing is dropped.

    An attribute with one value across the trace is kept under its key in ``"attributes"``;
    one whose value differs between spans is kept per span in ``"span_attributes"``, keyed
    by span name (``"name #2"`` for the second span of that name, in tree order).
    """
    values: dict[str, list[tuple[str, Any]]] = {}
    seen: dict[str, int] = {}
    for s in trace.spans:
        seen[s.name] = seen.get(s.name, 0) + 1
        label = s.name if seen[s.name] == 1 else f"{s.name} #{seen[s.name]}"
        for k, v in s.attrs.items():
            if not skip(k):
                values.setdefault(k, []).append((label, v))
    common, per_span = split_by_span(values)
    found = {"attributes": common, "span_attributes": per_span}
    return {key: value for key, value in found.items() if value}


def split_by_span(values: dict[str, list[tuple[str, Any]]]) -> tuple[dict[str, Any], Any]:
    """``(common, per_span)`` of span_metadata's rule (shared by the fast path)."""
    common: dict[str, Any] = {}
    per_span: dict[str, dict[str, Any]] = {}
    for k, pairs in values.items():
        if all(v == pairs[0][1] for _, v in pairs):
            common[k] = pairs[0][1]
        else:
            for label, v in pairs:
                per_span.setdefault(label, {})[k] = v
    return common, per_span


def _order_key(s: Span) -> tuple[int, str]:
    return (s.start_ns if s.start_ns is not None else -1, s.span_id)


def group(spans: list[Span], *, file: str, sink: ErrorSink, fmt: str) -> list[Trace]:
    """Group spans by ``traceId`` (first-seen order) and order each trace as a tree.

    A span id seen twice within one trace is an error naming both lines.
    """
    by_trace: dict[str, list[Span]] = {}
    for s in spans:
        by_trace.setdefault(s.trace_id, []).append(s)
    traces = []
    for tid, members in by_trace.items():
        seen: dict[str, Span] = {}
        unique = []
        bad = False
        for s in members:
            if s.span_id in seen:
                first = seen[s.span_id]
                at = f" (line {first.line})" if first.line is not None else ""
                sink.add(
                    TraceError(
                        file=file,
                        line=s.line,
                        span_id=s.span_id,
                        field="spanId",
                        message=f"duplicate spanId in trace {tid}: first seen{at}",
                        format=fmt,
                    )
                )
                bad = True
                continue
            seen[s.span_id] = s
            unique.append(s)
        if bad:
            continue  # collect mode: skip the whole ambiguous trace
        children: dict[str | None, list[Span]] = {}
        for s in unique:
            parent = s.parent_id if s.parent_id in seen and s.parent_id != s.span_id else None
            children.setdefault(parent, []).append(s)
        roots = sorted(children.get(None, []), key=_order_key)
        if not roots:  # a parent cycle: treat the earliest span as the root
            roots = [min(unique, key=_order_key)]
            children.setdefault(None, []).append(roots[0])
        ordered: list[Span] = []
        visited: set[str] = set()
        stack = list(reversed(roots))
        while stack:
            s = stack.pop()
            if s.span_id in visited:
                continue
            visited.add(s.span_id)
            ordered.append(s)
            stack.extend(sorted(children.get(s.span_id, []), key=_order_key, reverse=True))
        ordered.extend(s for s in sorted(unique, key=_order_key) if s.span_id not in visited)
        traces.append(Trace(trace_id=tid, spans=ordered, root=roots[0]))
    return traces


def interpreted(
    trace: Trace,
    interpret: Callable[[Trace], dict[str, Any]],
    *,
    sink: ErrorSink,
    fmt: str,
    file: str,
) -> dict[str, Any] | None:
    """``interpret(trace)``; a :class:`SpanError` is reported (naming its span) and gives None."""
    try:
        return interpret(trace)
    except SpanError as err:
        sink.add(
            TraceError(
                file=file,
                line=trace.root.line,
                span_id=err.span_id or trace.root.span_id,
                field=err.field,
                message=err.message,
                format=fmt,
            )
        )
        return None


def read_traces(
    path: Path,
    *,
    sink: ErrorSink,
    fmt: str,
    interpret: Callable[[Trace], dict[str, Any]],
    columns: Any = None,
) -> Any:
    """Read spans, group them, and turn each trace into a canonical row with ``interpret``.

    ``columns=`` (field path -> canonical column) overrides values from the trace's spans
    (:mod:`evalkit.traces._columns`).
    """
    from evalkit.traces._columns import check_columns
    from evalkit.traces._gc import collector_paused

    cols = check_columns(columns)
    # millions of new dicts and spans: generational GC passes would dominate
    with collector_paused():
        try:
            return _read_traces(path, sink=sink, fmt=fmt, interpret=interpret, cols=cols)
        finally:
            _SHARED.clear()


def _read_traces(
    path: Path,
    *,
    sink: ErrorSink,
    fmt: str,
    interpret: Callable[[Trace], dict[str, Any]],
    cols: dict[str, str] | None,
) -> Any:
    file = str(path)
    before = len(sink.errors)
    spans = read_spans(path, sink=sink, fmt=fmt)
    if not spans and len(sink.errors) == before:
        sink.add(TraceError(file=file, message="no spans in the file", format=fmt))
        return []
    from evalkit.traces._frames import MessagesToArrow

    traces = group(spans, file=file, sink=sink, fmt=fmt)
    del spans
    rows: list[dict[str, Any]] = []
    messages = MessagesToArrow(rows)
    for i, trace in enumerate(traces):
        traces[i] = None  # type: ignore[call-overload]  # its spans go as its row is made
        row = interpreted(trace, interpret, sink=sink, fmt=fmt, file=file)
        if row is None:
            continue
        row.setdefault("trace_id", trace.trace_id)
        row.setdefault("timestamp", trace.timestamp())
        row.setdefault("latency_ms", trace.latency_ms)
        row["source"] = {
            "format": fmt,
            "file": file,
            "line": trace.root.line,
            "span_id": trace.root.span_id,
        }
        if cols and not with_columns(row, trace, cols, sink=sink, fmt=fmt, file=file):
            continue
        rows.append(row)
        if not i % 4096:
            messages.step()
    return messages.frame() if rows else rows


def with_columns(
    row: dict[str, Any], trace: Trace, cols: dict[str, str], *, sink: ErrorSink, fmt: str, file: str
) -> bool:
    """Apply ``columns=`` paths to a trace's row; ``False`` when the trace was reported instead."""
    from evalkit.traces._columns import apply_columns, trace_lookup
    from evalkit.traces._common_rows import Ctx, RecordSkipped

    ctx = Ctx(sink=sink, fmt=fmt, file=file)
    try:
        apply_columns(
            ctx, row, trace_lookup(trace), cols, line=trace.root.line, span_id=trace.root.span_id
        )
    except RecordSkipped:
        return False
    return True

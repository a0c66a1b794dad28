"""OTLP JSON *logs* joined to their spans by trace and span id.

``opentelemetry-instrumentation-openai-v2`` (and other GenAI instrumentations) put message
content in log records, not in span attributes: the older events ``gen_ai.system.message``,
``gen_ai.user.message``, ``gen_ai.assistant.message``, ``gen_ai.tool.message``, ``gen_ai.choice``,
and the current ``gen_ai.client.inference.operation.details``. A logs file (an
``ExportLogsServiceRequest``, ``{"resourceLogs": [...]}``, as one document or JSON Lines) given to
``load_traces`` together with its spans file (in a list, a folder or a glob) is read first; each
record becomes an event of the span it names (``traceId``/``spanId``, hex or base64), so the span
readers see the content as if it were a span event. A JSON Lines file holding both span and log
lines (a collector's file export) is joined the same way. A record whose span is not among the
loaded files is reported (a :class:`~evalkit.TraceError` naming the logs file and line), never
dropped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.errors import TraceError
from evalkit.traces._base import ErrorSink
from evalkit.traces._jsonio import iter_jsonl, read_json_document
from evalkit.traces._otlp import Span, SpanError, _nanos, any_value, attributes, otlp_id

_SUFFIXES = (".json", ".jsonl", ".ndjson", ".otlp")
_LINES = (".jsonl", ".ndjson")


@dataclass
class LogRecord:
    """One log record, as a span event: ``(name, time, attributes)`` plus where it came from."""

    trace_id: str
    span_id: str
    name: str
    time_ns: int | None
    attrs: dict[str, Any]
    file: str
    line: int | None
    used: bool = False


@dataclass
class LogIndex:
    """Log records by ``(trace id, span id)``, from every logs file of one ``load_traces`` call."""

    by_span: dict[tuple[str, str], list[LogRecord]] = field(default_factory=dict)

    def add(self, record: LogRecord) -> None:
        self.by_span.setdefault((record.trace_id, record.span_id), []).append(record)

    def attach(self, spans: list[Span]) -> None:
        """Append each span's log records to its events (in time order)."""
        for s in spans:
            records = self.by_span.get((s.trace_id, s.span_id))
            if not records:
                continue
            for r in sorted(records, key=lambda r: r.time_ns or 0):
                r.used = True
                s.events.append((r.name, r.time_ns, r.attrs))

    def report_unjoined(self, sink: ErrorSink) -> None:
        """One error per trace whose log records matched no loaded span."""
        seen: set[tuple[str, str]] = set()
        for records in self.by_span.values():
            for r in records:
                if r.used or (r.file, r.trace_id) in seen:
                    continue
                seen.add((r.file, r.trace_id))
                sink.add(
                    TraceError(
                        file=r.file,
                        line=r.line,
                        span_id=r.span_id or None,
                        field="traceId",
                        message=(
                            f"log record {r.name!r} of trace {r.trace_id} has no span in the "
                            "loaded files: load the OTLP spans file together with this logs file "
                            "(a list or a folder)"
                        ),
                        format="otel_genai",
                    )
                )


_ACTIVE: ContextVar[LogIndex | None] = ContextVar("evalkit_otlp_logs", default=None)


def active() -> LogIndex | None:
    """The log index of the running ``load_traces`` call, if its sources held logs files."""
    return _ACTIVE.get()


def is_logs_file(path: Any) -> bool:
    """True for an OTLP JSON logs file (``resourceLogs`` in its first 64 KiB, no spans)."""
    if not isinstance(path, Path) or path.suffix.lower() not in _SUFFIXES or not path.is_file():
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return False
    return b'"resourceLogs"' in head and b'"resourceSpans"' not in head


def _record(raw: Any, where: str, file: str, line: int | None) -> LogRecord:
    if not isinstance(raw, dict):
        raise SpanError(where, "log record must be an object")
    trace_id = raw.get("traceId")
    span_id = raw.get("spanId")
    if not isinstance(trace_id, str) or not trace_id:
        raise SpanError(f"{where}.traceId", "missing: a log record is joined to its span by id")
    attrs = attributes(raw.get("attributes"), f"{where}.attributes")
    body = any_value(raw["body"], f"{where}.body") if raw.get("body") else None
    name = raw.get("eventName") or attrs.pop("event.name", None) or ""
    merged = dict(body) if isinstance(body, dict) else ({} if body is None else {"body": body})
    merged.update(attrs)
    time_ns = _nanos(raw.get("timeUnixNano"), f"{where}.timeUnixNano") or _nanos(
        raw.get("observedTimeUnixNano"), f"{where}.observedTimeUnixNano"
    )
    return LogRecord(
        trace_id=otlp_id(trace_id),
        span_id=otlp_id(span_id) if isinstance(span_id, str) else "",
        name=name if isinstance(name, str) else "",
        time_ns=time_ns,
        attrs=merged,
        file=file,
        line=line,
    )


def records_of(doc: Any, file: str, line: int | None, sink: ErrorSink) -> Iterator[LogRecord]:
    """The log records of one ``ExportLogsServiceRequest``; bad ones go to ``sink``."""

    def report(where: str | None, message: str) -> None:
        sink.add(
            TraceError(file=file, line=line, field=where, message=message, format="otel_genai")
        )

    if not isinstance(doc, dict) or not isinstance(doc.get("resourceLogs"), list):
        report("resourceLogs", "not OTLP logs JSON: expected an object with a 'resourceLogs' array")
        return
    for i, rl in enumerate(doc["resourceLogs"]):
        scopes = rl.get("scopeLogs") if isinstance(rl, dict) else None
        if not isinstance(scopes, list):
            report(f"resourceLogs[{i}].scopeLogs", "must be an array")
            continue
        for j, sl in enumerate(scopes):
            records = sl.get("logRecords") if isinstance(sl, dict) else None
            if not isinstance(records, list):
                report(f"resourceLogs[{i}].scopeLogs[{j}].logRecords", "must be an array")
                continue
            for k, raw in enumerate(records):
                where = f"resourceLogs[{i}].scopeLogs[{j}].logRecords[{k}]"
                try:
                    yield _record(raw, where, file, line)
                except SpanError as err:
                    report(err.field, err.message)


def read_logs(path: Path, index: LogIndex, *, sink: ErrorSink) -> None:
    """Add every log record of an OTLP logs file (one document or JSON Lines) to ``index``."""
    file = str(path)
    if path.suffix.lower() in _LINES:
        for line, doc in iter_jsonl(path, sink=sink, fmt="otel_genai"):
            for r in records_of(doc, file, line, sink):
                index.add(r)
        return
    ok, doc = read_json_document(path, sink=sink, fmt="otel_genai")
    if ok:
        for r in records_of(doc, file, None, sink):
            index.add(r)


@contextlib.contextmanager
def joined_logs(items: list[Any], fmt: str, sink: ErrorSink) -> Iterator[list[Any]]:
    """Read the logs files among ``items``; yield the other items with the index active.

    On leaving, log records that matched no span are reported.
    """
    logs = [p for p in items if fmt in ("auto", "otel_genai", "openinference") and is_logs_file(p)]
    if not logs:
        yield items
        return
    index = LogIndex()
    for p in logs:
        read_logs(p, index, sink=sink)
    token = _ACTIVE.set(index)
    try:
        yield [p for p in items if p not in logs]
    finally:
        _ACTIVE.reset(token)
    index.report_unjoined(sink)

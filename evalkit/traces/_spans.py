"""Per-span steps of a trace, kept in ``metadata["spans"]``: one small builder per source shape.

Readers call these helpers so that every trace with spans (OTLP GenAI, OpenInference OTLP and
Phoenix Parquet, Langfuse, LangSmith, Inspect) carries the same ordered list of steps, each
``{span_id, parent_id, name, kind, status, message, start, end}`` (see
:data:`evalkit.traces.schema.SPAN_KEYS`). ``status`` is ``"ok"``, ``"error"`` or ``"unset"`` (the
source recorded none); ``start``/``end`` are ISO-8601 UTC text (nanoseconds, ``Z``) so that the
list survives a JSON round trip. The list is in tree order: parents before children, siblings
by start time. The helpers never raise: a value they cannot read becomes ``None``.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from evalkit.traces.schema import SPANS_KEY

#: Where a source's own ``spans`` metadata value goes when a reader fills ``metadata["spans"]``.
MOVED_KEY = "metadata.spans"

_OTLP_STATUS = {
    0: "unset",
    1: "ok",
    2: "error",
    "STATUS_CODE_UNSET": "unset",
    "STATUS_CODE_OK": "ok",
    "STATUS_CODE_ERROR": "error",
    "UNSET": "unset",
    "OK": "ok",
    "ERROR": "error",
}
#: attributes that name a span's step kind, first found wins
_KIND_KEYS = (
    "openinference.span.kind",
    "gen_ai.operation.name",
    "langfuse.observation.type",
)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, (Mapping, list)):
        try:
            return json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError, RecursionError):
            pass
    return str(value)


@functools.lru_cache(maxsize=4096)
def _second(sec: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))


def iso_ns(ns: Any) -> str | None:
    """Epoch nanoseconds as ISO-8601 UTC text with nine decimals (``None`` if not a number).

    Examples
    --------
    >>> iso_ns(1_700_000_000_250_000_000)
    '2023-11-14T22:13:20.250000000Z'
    """
    if not isinstance(ns, int) or isinstance(ns, bool):
        return None
    try:
        sec, frac = divmod(ns, 1_000_000_000)
        return f"{_second(sec)}.{frac:09d}Z"
    except (OverflowError, OSError, ValueError):
        return None


def iso_time(value: Any) -> str | None:
    """A datetime (naive means UTC; a pandas Timestamp keeps its nanoseconds) as ISO text."""
    if isinstance(value, datetime):
        ns = getattr(value, "value", None)  # pandas Timestamp
        if not isinstance(ns, int):
            if value.tzinfo is None:
                value = value.replace(tzinfo=UTC)
            try:
                ns = round(value.timestamp() * 1e6) * 1000
            except (OverflowError, OSError, ValueError):
                return None
        return iso_ns(ns)
    return None


def step(
    *,
    span_id: Any,
    parent_id: Any,
    name: Any,
    kind: Any,
    status: str,
    message: Any = None,
    start: str | None = None,
    end: str | None = None,
) -> dict[str, Any]:
    """One step dict with the keys of :data:`evalkit.traces.schema.SPAN_KEYS`, in order."""
    return {
        "span_id": _text(span_id),
        "parent_id": _text(parent_id),
        "name": _text(name),
        "kind": _text(kind),
        "status": status,
        "message": _text(message),
        "start": start,
        "end": end,
    }


def attach(meta: dict[str, Any], spans: list[dict[str, Any]]) -> None:
    """Put ``spans`` under ``metadata["spans"]``; a source's own value moves to ``MOVED_KEY``."""
    if not spans:
        return
    if SPANS_KEY in meta:
        meta[MOVED_KEY] = meta.pop(SPANS_KEY)
    meta[SPANS_KEY] = spans


def from_otlp(trace: Any) -> list[dict[str, Any]]:
    """Steps of an OTLP trace (:class:`evalkit.traces._otlp.Trace`), from each span's ``status``.

    Langfuse's OTel SDK records a failed observation as ``langfuse.observation.level`` ERROR
    (its ``status_message`` attribute is the message) and may leave the OTLP status unset.
    """
    out = []
    for s in trace.spans:
        status_obj = s.status if isinstance(s.status, Mapping) else {}
        code = status_obj.get("code") if status_obj else None
        status = _OTLP_STATUS.get(code, "unset") if isinstance(code, (int, str)) else "unset"
        message = status_obj.get("message") or None if status_obj else None
        attrs = s.attrs
        if attrs.get("langfuse.observation.level") == "ERROR":
            status = "error"
            message = message or _text(attrs.get("langfuse.observation.status_message"))
        kind = None
        for key in _KIND_KEYS:
            kind = attrs.get(key)
            if kind is not None:
                break
        out.append(
            {  # the keys of SPAN_KEYS, built inline: this runs once per span of every OTLP load
                "span_id": s.span_id,
                "parent_id": s.parent_id,
                "name": s.name,
                "kind": _text(kind),
                "status": status,
                "message": _text(message),
                "start": iso_ns(s.start_ns),
                "end": iso_ns(s.end_ns),
            }
        )
    return out


def phoenix_status(code: Any, message: Any) -> dict[str, Any]:
    """A Phoenix spans frame's ``status_code``/``status_message`` as an OTLP ``status`` object."""
    out: dict[str, Any] = {}
    if isinstance(code, str) and code.upper() in _OTLP_STATUS:
        out["code"] = "STATUS_CODE_" + code.upper().removeprefix("STATUS_CODE_")
    if isinstance(message, str) and message:
        out["message"] = message
    return out


def from_langfuse(observations: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Steps of Langfuse observations (the reader's parsed dicts, in tree order).

    ``level`` ERROR is an error (``statusMessage`` its message); other levels are ``"ok"``
    (a WARNING keeps its message).
    """
    out = []
    for o in observations:
        raw: Mapping[str, Any] = o["raw"] if isinstance(o.get("raw"), Mapping) else {}
        level = raw.get("level")
        out.append(
            step(
                span_id=o.get("id"),
                parent_id=o.get("parent"),
                name=o.get("name"),
                kind=o.get("type"),
                status="error" if level == "ERROR" else "ok",
                message=raw.get("statusMessage") or None,
                start=iso_time(o.get("start")),
                end=iso_time(o.get("end")),
            )
        )
    return out


def from_langsmith(runs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Steps of LangSmith runs (the reader's parsed dicts, in ``dotted_order``).

    A run with ``error`` set (or ``status`` "error") is an error; ``status`` "success" is ok;
    anything else (``pending``, missing) is ``"unset"``.
    """
    out = []
    for r in runs:
        raw: Mapping[str, Any] = r["raw"] if isinstance(r.get("raw"), Mapping) else {}
        error = raw.get("error")
        rstatus = str(raw.get("status") or "").lower()
        if error or rstatus == "error":
            status = "error"
        elif rstatus == "success":
            status = "ok"
        else:
            status = "unset"
        out.append(
            step(
                span_id=r.get("id"),
                parent_id=raw.get("parent_run_id"),
                name=raw.get("name"),
                kind=r.get("type"),
                status=status,
                message=error or None,
                start=iso_time(r.get("start")),
                end=iso_time(r.get("end")),
            )
        )
    return out


def _error_text(error: Any) -> str | None:
    if isinstance(error, Mapping):
        return _text(error.get("message")) or "error"
    if error:
        return _text(error)
    return None


def _iso_text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return iso_time(datetime.fromisoformat(value))
    except ValueError:
        return None


def from_inspect(events: Any, sample_error: Any = None) -> list[dict[str, Any]]:
    """Steps of an Inspect sample: its ``span_begin``/``span_end`` events, in begin order.

    A span fails when an event inside it (a tool or model call) carries an ``error``. Inspect
    records a sample's own error as a separate ``error`` event outside any span: it is charged
    to the last span begun before it (the one that was running), or to a ``sample`` step when
    the sample has no spans.
    """
    if not isinstance(events, list):
        events = []
    spans: dict[str, dict[str, Any]] = {}
    order: list[str] = []
    charged = False
    for ev in events:
        if not isinstance(ev, Mapping):
            continue
        kind = ev.get("event")
        if kind == "span_begin" and isinstance(ev.get("id"), str) and ev["id"] not in spans:
            spans[ev["id"]] = step(
                span_id=ev["id"],
                parent_id=ev.get("parent_id"),
                name=ev.get("name"),
                kind=ev.get("type"),
                status="ok",
                start=_iso_text(ev.get("timestamp")),
            )
            order.append(ev["id"])
        elif kind == "span_end" and isinstance(ev.get("id"), str) and ev["id"] in spans:
            spans[ev["id"]]["end"] = _iso_text(ev.get("timestamp"))
        elif kind == "error" and order and not ev.get("span_id"):
            last = spans[order[-1]]
            last["status"], last["message"] = "error", _error_text(ev.get("error"))
            charged = True
        elif ev.get("error") and isinstance(ev.get("span_id"), str) and ev["span_id"] in spans:
            target = spans[ev["span_id"]]
            if target["status"] != "error":
                target["status"], target["message"] = "error", _error_text(ev.get("error"))
    out = [spans[i] for i in order]
    message = _error_text(sample_error)
    if message is not None and not charged and not any(s["status"] == "error" for s in out):
        out.append(
            step(
                span_id=None,
                parent_id=None,
                name="sample",
                kind="sample",
                status="error",
                message=message,
            )
        )
    return out

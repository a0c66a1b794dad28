"""Evaluation records serialised for OpenTelemetry, Arize Phoenix and Langfuse (request bodies).

See :mod:`evalkit.labels._export` for what each format holds and how to post it; the records come
from :mod:`evalkit.labels._records`.
"""

from __future__ import annotations

import re
import time
from typing import Any

EVENT_NAME = "gen_ai.evaluation.result"
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
#: Langfuse TEXT scores hold 1-500 characters (counted as the server does, in UTF-16 units).
LANGFUSE_TEXT_MAX = 500


def iso(ts: Any) -> str:
    """ISO 8601 UTC with microseconds and a ``Z`` offset (the store's own precision)."""
    return str(ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


def annotator_kind(source: str) -> str:
    """Phoenix annotator kind of an evalkit ``source``: HUMAN, LLM or CODE."""
    s = source.lower()
    if s == "human":
        return "HUMAN"
    if s.startswith(("judge", "llm")):
        return "LLM"
    return "CODE"


def _metadata(rec: dict[str, Any]) -> dict[str, Any]:
    meta = {
        "evalkit.record_id": rec["record_id"],
        "evalkit.trace_id": rec["trace_id"],
        "evalkit.annotator": rec["annotator"],
        "evalkit.source": rec["source"],
        "evalkit.annotator_kind": annotator_kind(rec["source"]),
    }
    if "event_id" in rec:
        meta["evalkit.event_id"] = rec["event_id"]
        meta["evalkit.created_at"] = iso(rec["created_at"])
    if rec["item"] is not None:
        meta["evalkit.item"] = rec["item"]
    if rec.get("kind") == "empty":
        meta["evalkit.empty"] = True
    return meta


# ---------------------------------------------------------------------- OpenTelemetry
def _otel_value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": str(v)}


def otel(
    records: list[dict[str, Any]], spans: dict[str, str] | None, *, retract: bool = False
) -> dict[str, Any]:
    """An OTLP/JSON ``ExportLogsServiceRequest`` of ``gen_ai.evaluation.result`` events."""
    from evalkit import __version__

    observed = time.time_ns()
    logs = []
    for rec in records:
        attrs: dict[str, Any] = {"gen_ai.evaluation.name": rec["name"]}
        if retract:
            attrs["evalkit.retracted"] = True
        else:
            if rec["label"] is not None:
                attrs["gen_ai.evaluation.score.label"] = rec["label"]
            if rec["score"] is not None:
                attrs["gen_ai.evaluation.score.value"] = rec["score"]
            if rec["explanation"] is not None:
                attrs["gen_ai.evaluation.explanation"] = rec["explanation"]
        attrs.update(_metadata(rec))
        log: dict[str, Any] = {
            "timeUnixNano": str(observed if retract else rec["created_at"].value),
            "observedTimeUnixNano": str(observed),
            "severityNumber": 9,
            "severityText": "INFO",
            "eventName": EVENT_NAME,
            "attributes": [{"key": k, "value": _otel_value(v)} for k, v in attrs.items()],
        }
        if _HEX32.match(rec["trace_id"]):
            log["traceId"] = rec["trace_id"].lower()
            if spans is not None:
                log["spanId"] = spans[rec["trace_id"]]
        logs.append(log)
    return {
        "resourceLogs": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "evalkit"}}]
                },
                "scopeLogs": [
                    {"scope": {"name": "evalkit.store", "version": __version__}, "logRecords": logs}
                ],
            }
        ]
    }


# ---------------------------------------------------------------------- Phoenix
def phoenix_name(field: str) -> str:
    """Phoenix reserves the annotation name ``note`` (UI notes): evalkit exports ``review_note``."""
    return "review_note" if field == "note" else field


def phoenix(
    records: list[dict[str, Any]], spans: dict[str, str] | None, *, retract: bool = False
) -> dict[str, Any]:
    """Body of ``POST /v1/span_annotations`` (or ``/v1/trace_annotations``), or the deletions."""
    data = []
    for rec in records:
        target = (
            {"span_id": spans[rec["trace_id"]]}
            if spans is not None
            else {"trace_id": rec["trace_id"]}
        )
        ann: dict[str, Any] = {
            **target,
            "name": phoenix_name(rec["name"]),
            "identifier": rec["record_id"],
        }
        if not retract:
            ann["annotator_kind"] = annotator_kind(rec["source"])
            ann["result"] = {
                "label": rec["label"],
                "score": rec["score"],
                "explanation": rec["explanation"],
            }
            ann["metadata"] = _metadata(rec)
        data.append(ann)
    return {"data": data}


# ---------------------------------------------------------------------- Langfuse
def _utf16_prefix(text: str, limit: int) -> str:
    """The longest prefix of ``text`` that is at most ``limit`` UTF-16 code units."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return text[:i]
    return text


def langfuse(records: list[dict[str, Any]], *, retract: bool = False) -> list[dict[str, Any]]:
    """The body of ``POST /api/public/scores`` (a JSON array of score requests), or deletions."""
    rows = []
    for rec in records:
        if retract:
            rows.append(
                {"id": rec["record_id"], "traceId": rec["trace_id"], "name": rec["name"]}
            )
            continue
        meta = _metadata(rec)
        comment = rec["explanation"]
        if rec["kind"] == "text":
            data_type = "TEXT"
            text = rec["text"]
            value: Any = _utf16_prefix(text, LANGFUSE_TEXT_MAX)
            if value != text:  # the whole text stays in the comment
                value = _utf16_prefix(text, LANGFUSE_TEXT_MAX - 1) + "…"
                meta["evalkit.truncated"] = True
            elif comment == text:
                comment = None
        elif rec["label"] is None:
            data_type, value = "NUMERIC", rec["score"]
        else:
            data_type, value = "CATEGORICAL", rec["label"]
        rows.append(
            {
                "id": rec["record_id"],
                "traceId": rec["trace_id"],
                "name": rec["name"],
                "value": value,
                "dataType": data_type,
                "comment": comment,
                # ANNOTATION needs a score config id and EVAL is not accepted from clients: API
                "source": "API",
                "timestamp": iso(rec["first_at"]),
                "metadata": meta,
            }
        )
    return rows

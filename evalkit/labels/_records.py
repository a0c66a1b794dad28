"""Evaluation records: current labels as one record per label or list item, with stable ids.

The three evaluation exports (``otel``, ``phoenix``, ``langfuse``; see
:mod:`evalkit.labels._export`) serialise the records built here. A record's ``record_id`` is a
UUID 5 of ``(trace_id, annotator, field, item)`` (``item`` is the list item, or ``None``), so
exporting again after a relabel addresses the same record in the target tool and updates it in
place. Its
``first_at`` is the time of the first label event that ever produced that key (stable across
re-exports: Langfuse updates a score only when ``id`` and ``timestamp`` both match).

Retractions are the keys some label event in the store's history produced that no current label
produces any more (an undone label, a code removed from a list, a cleared note): the targets hold
them from an earlier export, and :func:`retractions` lists them so they can be deleted.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from evalkit.labels._fields import BUILTIN_FIELDS, FieldSpec, is_missing

if TYPE_CHECKING:
    import pandas as pd

# Fixed namespace for evalkit's record ids (never change it: ids must stay stable across versions).
_NAMESPACE = uuid.UUID("6f1c1f0e-5a52-4c1e-9a5e-7c0d2b8e4a11")
#: Label of the explicit empty state of a list field ("reviewed, no failure modes").
EMPTY_LABEL = "(none)"
_VERDICT_SCORES = {"pass": 1.0, "fail": 0.0}

Key = tuple[str, str, str, str | None]


def record_id(key: Key) -> str:
    """Stable id of ``(trace_id, annotator, field, item)``: a UUID 5 string."""
    return str(uuid.uuid5(_NAMESPACE, json.dumps(list(key))))  # ASCII JSON: any text is safe


def _kind(field: str, value: Any, specs: Mapping[str, FieldSpec]) -> str:
    spec = specs.get(field) or BUILTIN_FIELDS.get(field)
    if spec is not None:
        return spec.kind
    if isinstance(value, list):
        return "list"
    if isinstance(value, int):
        return "int"
    return "choice"


def _text(value: Any) -> str | None:
    """Non-empty text of a note-like value, or ``None`` (missing, NaN, blank)."""
    if is_missing(value):
        return None
    text = str(value)
    return text if text.strip() else None


def _keys(field: str, value: Any, kind: str, trace: str, annotator: str) -> list[Key]:
    if kind == "list":
        items = list(value) if not is_missing(value) else []
        if not items:
            return [(trace, annotator, field, None)]
        return [(trace, annotator, field, str(item)) for item in items]
    if kind == "text" and _text(value) is None:
        return []  # an empty text says nothing: no record (a previous text is retracted)
    return [(trace, annotator, field, None)]


def first_seen(history: pd.DataFrame, specs: Mapping[str, FieldSpec]) -> dict[Key, Any]:
    """Key -> ``created_at`` of the first label event (in commit order) that produced it."""
    out: dict[Key, Any] = {}
    for r in history.to_dict("records"):
        kind = _kind(r["field"], r["value"], specs)
        for key in _keys(r["field"], r["value"], kind, r["trace_id"], r["annotator"]):
            out.setdefault(key, r["created_at"])
    return out


def records(
    df: pd.DataFrame, specs: Mapping[str, FieldSpec], first: Mapping[Key, Any]
) -> Iterator[dict[str, Any]]:
    """One evaluation record per current label (per item for lists); notes fold into verdicts.

    Record keys: ``record_id, trace_id, annotator, source, name, event_id, created_at,
    first_at, label, score, explanation, item, kind`` (``'label'``, ``'text'`` or ``'empty'``) and
    ``text`` (the text of a text field).
    """
    rows = df.to_dict("records")
    verdicts = {(r["trace_id"], r["annotator"]) for r in rows if r["field"] == "verdict"}
    notes = {
        (r["trace_id"], r["annotator"]): _text(r["value"]) for r in rows if r["field"] == "note"
    }
    for r in rows:
        trace, annotator, field, value = r["trace_id"], r["annotator"], r["field"], r["value"]
        pair = (trace, annotator)
        if field == "note" and pair in verdicts:
            continue  # the note says why: it is the verdict's explanation
        kind = _kind(field, value, specs)
        parts: list[str] = []
        if kind == "text":
            text = _text(value)
            if text is None:
                continue
            parts.append(text)
        if field == "verdict" and notes.get(pair):
            parts.append(notes[pair])  # type: ignore[arg-type]
        event_note = _text(r["note"])
        if event_note is not None:
            parts.append(event_note)
        base: dict[str, Any] = {
            "trace_id": trace,
            "annotator": annotator,
            "source": r["source"],
            "name": field,
            "event_id": r["event_id"],
            "created_at": r["created_at"],
            "label": None,
            "score": None,
            "explanation": "\n".join(parts) or None,
            "item": None,
            "kind": "text" if kind == "text" else "label",
            "text": parts[0] if kind == "text" else None,
        }
        if kind == "list":
            items = [str(i) for i in value]
            if not items:
                items_and_labels: list[tuple[str | None, str]] = [(None, EMPTY_LABEL)]
                base["kind"] = "empty"
            else:
                items_and_labels = [(i, i) for i in items]
            for item, label in items_and_labels:
                key = (trace, annotator, field, item)
                yield {
                    **base,
                    "label": label,
                    "item": item,
                    "record_id": record_id(key),
                    "first_at": first.get(key, r["created_at"]),
                }
            continue
        if kind == "choice":
            base["label"] = str(value)
            if field == "verdict":
                base["score"] = _VERDICT_SCORES.get(value)
        elif kind == "int":
            base["score"] = float(value)
        key = (trace, annotator, field, None)
        yield {**base, "record_id": record_id(key), "first_at": first.get(key, r["created_at"])}


def retractions(
    history: pd.DataFrame, current: list[dict[str, Any]], specs: Mapping[str, FieldSpec]
) -> list[dict[str, Any]]:
    """Records some past label produced that no current label does (to delete in the target).

    Each: ``record_id, trace_id, annotator, source, name, item, first_at`` of the key's first
    event. Over-inclusive by design: the store does not know what was sent, so a key that was
    overwritten before any export is listed too (deleting it again is harmless).
    """
    live = {(r["trace_id"], r["annotator"], r["name"], r["item"]) for r in current}
    out: dict[Key, dict[str, Any]] = {}
    for r in history.to_dict("records"):
        kind = _kind(r["field"], r["value"], specs)
        for key in _keys(r["field"], r["value"], kind, r["trace_id"], r["annotator"]):
            if key in live or key in out:
                continue
            out[key] = {
                "record_id": record_id(key),
                "trace_id": key[0],
                "annotator": key[1],
                "source": r["source"],
                "name": key[2],
                "item": key[3],
                "first_at": r["created_at"],
            }
    return list(out.values())

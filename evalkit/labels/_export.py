"""Label store exports: flat files (CSV, Parquet, JSONL) and evaluation-result formats.

Flat files hold long rows, one per label: ``event_id, trace_id, annotator, field, value, note,
source, created_at`` (plus ``undone`` for full-history exports). In CSV and Parquet ``value`` is
text: strings as they are, other values as JSON (``2``, ``["a", "b"]``); JSONL keeps native JSON
values. :func:`read_export` reads all three back.

Evaluation-result formats export the current labels only, one record per label (one per item for
list fields such as ``open_codes``; an empty list has no item and gives no record):

``otel``
    An OTLP/JSON ``ExportLogsServiceRequest`` with one ``gen_ai.evaluation.result`` event per
    record (OpenTelemetry GenAI semantic conventions): ``gen_ai.evaluation.name`` (the field),
    ``gen_ai.evaluation.score.label`` (choice values, list items), ``gen_ai.evaluation.score.value``
    (``verdict``: pass = 1.0, fail = 0.0; integer fields), ``gen_ai.evaluation.explanation``, plus
    ``evalkit.*`` attributes (trace id, annotator, source, event id). ``traceId`` is set when the
    trace id is 32 hex digits (OTLP ids); ``spanId`` when ``span_ids`` maps the trace to its root
    span, which parents the event to the evaluated operation as the convention asks.
``phoenix``
    ``{"data": [...]}``, the request body of Phoenix's ``POST /v1/span_annotations`` when
    ``span_ids`` is given (each record has ``span_id``), else of ``POST /v1/trace_annotations``
    (each record has ``trace_id``: labels are per trace). Records: ``name``, ``annotator_kind``
    (``HUMAN`` for source ``'human'``, ``LLM`` for sources starting ``judge``/``llm``, else
    ``CODE``), ``result {label, score, explanation}``, ``metadata`` and ``identifier`` (the
    annotator, so several annotators' labels of one name coexist). The ``note`` field is exported
    as ``review_note`` because Phoenix reserves the annotation name ``note``.
``langfuse``
    JSON Lines of Langfuse ``ScoreBody`` objects (``POST /api/public/scores``): ``id`` (stable,
    from the event id), ``traceId``, ``name``, ``value``, ``dataType`` (``CATEGORICAL`` for
    choice/list/text values, ``NUMERIC`` for integers), ``comment``, ``source`` (``ANNOTATION`` for
    humans, ``EVAL`` for judges, else ``API``) and ``metadata``.

In all three, a ``note`` label is folded into the explanation/comment of the same annotator's
``verdict`` on that trace when there is one (the note says why it failed); otherwise it is a record
of its own.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit import _atomic
from evalkit.labels._fields import (
    BUILTIN_FIELDS,
    InvalidLabelError,
    as_text,
    is_missing,
    parse_value,
)
from evalkit.labels._schema import LabelStoreError

if TYPE_CHECKING:
    import pandas as pd

FLAT_FORMATS = ("csv", "parquet", "jsonl")
EVAL_FORMATS = ("otel", "phoenix", "langfuse")
FORMATS = (*FLAT_FORMATS, *EVAL_FORMATS)
_SUFFIXES = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
_HEX16 = re.compile(r"^[0-9a-fA-F]{16}$")
EVENT_NAME = "gen_ai.evaluation.result"


def resolve_format(path: Path, fmt: str | None) -> str:
    """Return the export format from ``fmt`` or the file suffix."""
    if fmt is None:
        found = _SUFFIXES.get(path.suffix.lower())
        if found is None:
            raise InvalidLabelError(
                f"cannot tell the export format of {str(path)!r} from its suffix "
                f"{path.suffix!r}; use .csv, .parquet or .jsonl, or pass `format` "
                f"(one of {', '.join(repr(f) for f in FORMATS)})."
            )
        return found
    if fmt not in FORMATS:
        raise InvalidLabelError(
            f"`format` must be one of {', '.join(repr(f) for f in FORMATS)}; got {fmt!r}."
        )
    return fmt


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Check the folder exists (a clear store error), then write atomically."""
    if not path.parent.is_dir():
        raise InvalidLabelError(f"cannot export to {str(path)!r}: folder does not exist.")
    try:  # the temp file is removed on any failure; the old export stays as it was
        return _atomic.atomic_write(path, write)
    except OSError as exc:  # full disk, read-only folder, a folder in the way...
        raise LabelStoreError(
            f"cannot export labels to {str(path)!r}: {exc.strerror or exc}; "
            "the previous file (if any) is unchanged."
        ) from exc


def _iso(ts: Any) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def export_frame(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    format: str | None,
    span_ids: Mapping[str, str] | None,
    latest: bool,
) -> Path:
    """Write a :meth:`LabelStore.labels` frame to ``path`` in ``format`` (atomically)."""
    out = Path(os.fspath(path)).expanduser()
    fmt = resolve_format(out, format)
    if fmt in EVAL_FORMATS:
        if not latest:
            raise InvalidLabelError(
                f"format {fmt!r} exports current labels only; got latest=False "
                "(use csv, parquet or jsonl for the full history)."
            )
        spans = _check_span_ids(span_ids, df)
        records = list(_records(df))
        if fmt == "otel":
            return atomic_write(out, lambda p: _dump_json(p, _otel(records, spans)))
        if fmt == "phoenix":
            return atomic_write(out, lambda p: _dump_json(p, _phoenix(records, spans)))
        return atomic_write(out, lambda p: _dump_jsonl(p, _langfuse(records)))
    if span_ids is not None:
        raise InvalidLabelError(
            f"`span_ids` only applies to formats 'otel' and 'phoenix'; got {fmt!r}."
        )
    flat = df.copy()
    flat["created_at"] = [_iso(t) for t in flat["created_at"]]
    if fmt == "jsonl":
        rows = flat.to_dict("records")
        return atomic_write(out, lambda p: _dump_jsonl(p, rows))
    flat["value"] = [as_text(v) for v in flat["value"]]
    if fmt == "csv":
        return atomic_write(out, lambda p: flat.to_csv(p, index=False))
    import pandas as pd

    # microseconds: the store's precision, and readable by engines without nanosecond support
    flat["created_at"] = pd.to_datetime(flat["created_at"], utc=True).astype("datetime64[us, UTC]")
    flat["note"] = flat["note"].astype("string")
    return atomic_write(out, lambda p: flat.to_parquet(p, index=False))


def _dump_json(path: Path, doc: Any) -> None:
    with path.open("w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=1)


def _dump_jsonl(path: Path, rows: Sequence[Mapping[Any, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def read_export(path: str | os.PathLike[str], *, format: str | None = None) -> pd.DataFrame:
    """Read a CSV/Parquet/JSONL export back into the ``LabelStore.labels()`` shape."""
    import pandas as pd

    src = Path(os.fspath(path)).expanduser()
    fmt = resolve_format(src, format)
    if fmt not in FLAT_FORMATS:
        raise InvalidLabelError(
            f"`format` must be one of 'csv', 'parquet', 'jsonl' to read; got {fmt!r}."
        )
    if fmt == "csv":
        df = pd.read_csv(src, dtype=str, keep_default_na=False)
    elif fmt == "parquet":
        df = pd.read_parquet(src)
    else:
        df = pd.read_json(src, lines=True, dtype=False, convert_dates=False)
    required = ["trace_id", "annotator", "field", "value"]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InvalidLabelError(f"{str(src)!r} is not a label export: missing columns {missing}.")
    if "note" in df.columns:
        df["note"] = pd.Series(
            [None if is_missing(n) or n == "" else str(n) for n in df["note"]],
            index=df.index,
            dtype=object,
        )
    df["value"] = pd.Series(
        [_typed(f, v) for f, v in zip(df["field"], df["value"], strict=True)],
        index=df.index,
        dtype=object,
    )
    if "created_at" in df.columns:
        df["created_at"] = pd.to_datetime(df["created_at"], utc=True, format="ISO8601")
    if "undone" in df.columns:
        df["undone"] = df["undone"].map(lambda x: x if isinstance(x, bool) else str(x) == "True")
    return df


def _typed(field: str, value: Any) -> Any:
    spec = BUILTIN_FIELDS.get(field)
    if spec is None:
        return value
    return parse_value(spec, value)


# ---------------------------------------------------------------------- evaluation records
def _check_span_ids(span_ids: Mapping[str, str] | None, df: pd.DataFrame) -> dict[str, str] | None:
    if span_ids is None:
        return None
    if not isinstance(span_ids, Mapping):
        raise InvalidLabelError(
            f"`span_ids` must be a mapping trace_id -> span id; got {type(span_ids).__name__}."
        )
    for tid, sid in span_ids.items():
        if not isinstance(sid, str) or not _HEX16.match(sid):
            raise InvalidLabelError(
                f"`span_ids`[{tid!r}] must be a 16-hex-digit span id; got {sid!r}."
            )
    missing = sorted(set(df["trace_id"]) - set(span_ids))
    if missing:
        raise InvalidLabelError(
            f"`span_ids` has no span for {len(missing)} labelled trace(s), e.g. {missing[:3]}; "
            "map every trace or leave `span_ids` out for trace-level records."
        )
    return {k: v.lower() for k, v in span_ids.items()}


def _kind_of(field: str, value: Any) -> str:
    spec = BUILTIN_FIELDS.get(field)
    if spec is not None:
        return spec.kind
    if isinstance(value, list):
        return "list"
    if isinstance(value, int):
        return "int"
    return "choice"


def _records(df: pd.DataFrame) -> Iterator[dict[str, Any]]:
    """One evaluation record per current label (per item for lists); notes fold into verdicts."""
    rows = df.to_dict("records")
    verdict_keys = {(r["trace_id"], r["annotator"]) for r in rows if r["field"] == "verdict"}
    notes = {(r["trace_id"], r["annotator"]): r["value"] for r in rows if r["field"] == "note"}
    for r in rows:
        key = (r["trace_id"], r["annotator"])
        field, value = r["field"], r["value"]
        if field == "note" and key in verdict_keys:
            continue
        explanation_parts = []
        if field == "verdict" and key in notes:
            explanation_parts.append(notes[key])
        kind = _kind_of(field, value)
        base = {
            "trace_id": r["trace_id"],
            "annotator": r["annotator"],
            "source": r["source"],
            "name": field,
            "event_id": r["event_id"],
            "created_at": r["created_at"],
            "label": None,
            "score": None,
            "item": None,
        }
        if kind == "text":
            explanation_parts.insert(0, value)
        if r["note"]:
            explanation_parts.append(r["note"])
        base["explanation"] = "\n".join(explanation_parts) or None
        if kind == "list":
            for i, item in enumerate(value):
                yield {**base, "label": item, "item": i}
            continue
        if kind == "choice":
            base["label"] = value
            if field == "verdict":
                base["score"] = {"pass": 1.0, "fail": 0.0}.get(value)
        elif kind == "int":
            base["score"] = float(value)
        yield base


def _annotator_kind(source: str) -> str:
    s = source.lower()
    if s == "human":
        return "HUMAN"
    if s.startswith(("judge", "llm")):
        return "LLM"
    return "CODE"


def _langfuse_source(source: str) -> str:
    return {"HUMAN": "ANNOTATION", "LLM": "EVAL"}.get(_annotator_kind(source), "API")


def _metadata(rec: dict[str, Any]) -> dict[str, Any]:
    return {
        "evalkit.trace_id": rec["trace_id"],
        "evalkit.annotator": rec["annotator"],
        "evalkit.source": rec["source"],
        "evalkit.event_id": rec["event_id"],
        "evalkit.created_at": _iso(rec["created_at"]),
    }


def _otel_value(v: Any) -> dict[str, Any]:
    if isinstance(v, float):
        return {"doubleValue": v}
    return {"stringValue": str(v)}


def _otel(records: list[dict[str, Any]], spans: dict[str, str] | None) -> dict[str, Any]:
    from evalkit import __version__

    observed = str(time.time_ns())
    logs = []
    for rec in records:
        attrs: dict[str, Any] = {"gen_ai.evaluation.name": rec["name"]}
        if rec["label"] is not None:
            attrs["gen_ai.evaluation.score.label"] = rec["label"]
        if rec["score"] is not None:
            attrs["gen_ai.evaluation.score.value"] = rec["score"]
        if rec["explanation"] is not None:
            attrs["gen_ai.evaluation.explanation"] = rec["explanation"]
        attrs.update(_metadata(rec))
        log: dict[str, Any] = {
            "timeUnixNano": str(rec["created_at"].value),
            "observedTimeUnixNano": observed,
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


def _phoenix(records: list[dict[str, Any]], spans: dict[str, str] | None) -> dict[str, Any]:
    data = []
    for rec in records:
        target = (
            {"span_id": spans[rec["trace_id"]]}
            if spans is not None
            else {"trace_id": rec["trace_id"]}
        )
        identifier = (
            rec["annotator"] if rec["item"] is None else f"{rec['annotator']}:{rec['label']}"
        )
        data.append(
            {
                **target,
                "name": "review_note" if rec["name"] == "note" else rec["name"],
                "annotator_kind": _annotator_kind(rec["source"]),
                "result": {
                    "label": rec["label"],
                    "score": rec["score"],
                    "explanation": rec["explanation"],
                },
                "metadata": _metadata(rec),
                "identifier": identifier,
            }
        )
    return {"data": data}


def _langfuse(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for rec in records:
        numeric = rec["score"] is not None and rec["label"] is None
        if numeric:
            value: Any = rec["score"]
        elif rec["label"] is not None:
            value = rec["label"]
        else:  # a standalone text label: the text is the value
            value = rec["explanation"]
        score_id = rec["event_id"] if rec["item"] is None else f"{rec['event_id']}-{rec['item']}"
        rows.append(
            {
                "id": score_id,
                "traceId": rec["trace_id"],
                "name": rec["name"],
                "value": value,
                "dataType": "NUMERIC" if numeric else "CATEGORICAL",
                "comment": rec["explanation"] if rec["label"] is not None or numeric else None,
                "source": _langfuse_source(rec["source"]),
                "metadata": _metadata(rec),
            }
        )
    return rows

"""Label store exports: flat files (CSV, Parquet, JSONL) and evaluation-result formats.

Flat files hold long rows, one per label: ``event_id, trace_id, annotator, field, value, note,
source, created_at`` (plus ``undone`` for full-history exports). In CSV and Parquet ``value`` is
text: strings as they are, other values as JSON (``2``, ``["a", "b"]``); JSONL keeps native JSON
values. :func:`read_export` reads all three back, exactly (NUL and line breaks included).

*CSV and spreadsheets.* Trace ids, notes and codes come from untrusted files, and a cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets (CSV injection). By default (``escape_formulas=True``) such a cell
is written with a leading ``'`` as OWASP recommends (plain numbers such as ``-2`` are left alone),
and a cell that already starts with ``'`` followed by one of those characters or another ``'``
gets one more ``'``, so that :func:`read_export` (and ``read_labels``) strip exactly one ``'``
and read every value back unchanged. ``escape_formulas=False`` writes cells verbatim (for tools
that must not see the quote); reading such a file back changes only cells that start with ``'``
followed by a trigger or ``'``. Rows end in CRLF (RFC 4180), so a cell holding a lone CR is
quoted.

Evaluation-result formats export the current labels, one record per label and one per item for
list fields (``open_codes``, ``failure_modes``). Every record has a stable id, a UUID 5 of
``(trace_id, annotator, field[, item])``: exporting again after a relabel addresses the same record,
and the target updates it in place. Details:

* ``verdict`` is a label with a score (pass = 1.0, fail = 0.0, defer: no score); integer fields are
  scores; choice fields and list items are labels.
* Free text (``note`` and fields registered with ``kind="text"``) is an explanation, never a label.
  A ``note`` is folded into the explanation of the same annotator's ``verdict`` on the trace when
  there is one; otherwise it is a record of its own. A blank text gives no record.
* An empty list ("reviewed, no failure modes") is an explicit record labelled ``'(none)'`` (metadata
  ``evalkit.empty: true``), distinct from "never labelled" (no record).
* ``retract=True`` writes, instead of the current labels, the records to delete: every key some
  label in the store's history produced that no current label does (an undone label, a code removed
  from a list, a cleared note, an empty state that got items). It is computed from the store alone
  and may list keys that were never sent; deleting those is harmless.

``otel``
    An OTLP/JSON ``ExportLogsServiceRequest`` with one ``gen_ai.evaluation.result`` event per
    record (OpenTelemetry GenAI semantic conventions): ``gen_ai.evaluation.name`` (the field),
    ``gen_ai.evaluation.score.label``, ``gen_ai.evaluation.score.value``,
    ``gen_ai.evaluation.explanation``, plus ``evalkit.*`` attributes (record id, trace id,
    annotator, source, event id). ``traceId`` is set when the trace id is 32 hex digits (OTLP ids);
    ``spanId`` when ``span_ids`` maps the trace to its root span, which parents the event to the
    evaluated operation as the convention asks. Retractions are events with
    ``evalkit.retracted: true`` and no score (an event stream cannot delete; consumers keep the
    latest event per ``evalkit.record_id``).
``phoenix``
    ``{"data": [...]}``, the request body of Phoenix's ``POST /v1/span_annotations`` when
    ``span_ids`` is given (each record has ``span_id``), else of ``POST /v1/trace_annotations``
    (each record has ``trace_id``). Records: ``name`` (``note`` is exported as ``review_note``:
    Phoenix reserves ``note``), ``annotator_kind`` (``HUMAN`` for source ``'human'``, ``LLM`` for
    sources starting ``judge``/``llm``, else ``CODE``), ``result {label, score, explanation}``,
    ``metadata`` and ``identifier`` = the record id (Phoenix upserts on name, span and identifier).
    Retractions: ``{"data": [{span_id | trace_id, name, identifier}]}``; delete each with
    ``DELETE /v1/projects/{project}/span_annotations?name=...&identifier=...`` (or
    ``trace_annotations``); the identifier names one record, so nothing else is touched.
``langfuse``
    A JSON array of Langfuse ``CreateScoreRequest`` objects, the body of
    ``POST /api/public/scores`` (answered 202, or 207 with per-score errors): ``id`` (the record
    id), ``traceId``, ``name``, ``value``, ``dataType`` (``CATEGORICAL`` for labels, ``NUMERIC`` for
    scores, ``TEXT`` for free text: 1-500 characters; a longer text is cut to 500 with ``…`` and
    kept whole in ``comment``, metadata ``evalkit.truncated: true``), ``comment`` (the
    explanation), ``source`` (always ``API``: ``ANNOTATION`` needs a score config id, ``EVAL`` is
    not accepted from clients; evalkit's source is in ``metadata``), ``timestamp`` (the first time
    the record's key was labelled: Langfuse updates a score when ``id`` and ``timestamp`` match) and
    ``metadata``. Retractions: ``[{id, traceId, name}]``; delete each with
    ``DELETE /api/public/scores/{id}`` (404 for an id never sent).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit import _atomic
from evalkit.labels import _evalformats, _records
from evalkit.labels._fields import (
    BUILTIN_FIELDS,
    FieldSpec,
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
_HEX16 = re.compile(r"^[0-9a-fA-F]{16}$")
EVENT_NAME = _evalformats.EVENT_NAME
# OWASP "CSV injection": cells starting with these are formulas to spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_ESCAPED_START = (*_FORMULA_START, "'")


def escape_formula(cell: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula (reversible).

    Examples
    --------
    >>> [escape_formula(c) for c in ["=1+1", "-2", "@SUM(A1)", "'=x", "it's", "ok"]]
    ["'=1+1", '-2', "'@SUM(A1)", "''=x", "it's", 'ok']
    >>> all(unescape_formula(escape_formula(c)) == c for c in ["=1", "'=1", "''", "'", "-x"])
    True
    """
    if cell.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    if cell.startswith("'") and cell[1:2].startswith(_ESCAPED_START) and cell[1:2]:
        return "'" + cell
    return cell


def unescape_formula(cell: str) -> str:
    """Inverse of :func:`escape_formula`."""
    if cell.startswith("'") and cell[1:2] and cell[1:2].startswith(_ESCAPED_START):
        return cell[1:]
    return cell


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


_iso = _evalformats.iso


def export_frame(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    format: str | None,
    span_ids: Mapping[str, str] | None,
    latest: bool,
    history: Callable[[], pd.DataFrame] | None = None,
    fields: Mapping[str, FieldSpec] | None = None,
    retract: bool = False,
    escape_formulas: bool = True,
) -> Path:
    """Write a :meth:`LabelStore.labels` frame to ``path`` in ``format`` (atomically).

    ``history`` returns the full-history frame (``labels(latest=False)``); evaluation formats need
    it for stable timestamps and retractions. ``fields`` are the store's field specs.
    """
    out = Path(os.fspath(path)).expanduser()
    fmt = resolve_format(out, format)
    if not isinstance(retract, bool):
        raise InvalidLabelError(f"`retract` must be True or False; got {retract!r}.")
    if not isinstance(escape_formulas, bool):
        raise InvalidLabelError(
            f"`escape_formulas` must be True or False; got {escape_formulas!r}."
        )
    if not escape_formulas and fmt != "csv":
        raise InvalidLabelError(
            f"`escape_formulas` only applies to format 'csv'; got {fmt!r}."
        )
    if fmt in EVAL_FORMATS:
        if not latest:
            raise InvalidLabelError(
                f"format {fmt!r} exports current labels only; got latest=False "
                "(use csv, parquet or jsonl for the full history)."
            )
        specs = dict(fields or {})
        past = history() if history is not None else df
        current = list(_records.records(df, specs, _records.first_seen(past, specs)))
        records = _records.retractions(past, current, specs) if retract else current
        if fmt == "langfuse":
            if span_ids is not None:
                raise InvalidLabelError(
                    "`span_ids` only applies to formats 'otel' and 'phoenix'; got 'langfuse'."
                )
            body = _evalformats.langfuse(records, retract=retract)
            return atomic_write(out, lambda p: _dump_json(p, body))
        spans = _check_span_ids(span_ids, {r["trace_id"] for r in records})
        doc = (_evalformats.otel if fmt == "otel" else _evalformats.phoenix)(
            records, spans, retract=retract
        )
        return atomic_write(out, lambda p: _dump_json(p, doc))
    if span_ids is not None:
        raise InvalidLabelError(
            f"`span_ids` only applies to formats 'otel' and 'phoenix'; got {fmt!r}."
        )
    if retract:
        raise InvalidLabelError(
            f"`retract` only applies to formats 'otel', 'phoenix' and 'langfuse'; got {fmt!r}."
        )
    flat = df.copy()
    flat["created_at"] = [_iso(t) for t in flat["created_at"]]
    if fmt == "jsonl":
        rows = flat.to_dict("records")
        for row in rows:  # pandas 3 reads missing notes as NaN, which is not JSON
            row["note"] = None if is_missing(row["note"]) else row["note"]
        return atomic_write(out, lambda p: _dump_jsonl(p, rows))
    flat["value"] = [as_text(v) for v in flat["value"]]
    if fmt == "csv":
        if escape_formulas:
            for col in flat.columns:
                if col != "undone":
                    flat[col] = [
                        v if is_missing(v) else escape_formula(str(v)) for v in flat[col]
                    ]
        # CRLF rows (RFC 4180): the writer then quotes every cell holding a lone CR or LF
        return atomic_write(out, lambda p: flat.to_csv(p, index=False, lineterminator="\r\n"))
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
        # the python engine keeps NUL characters (the C engine ends the cell there)
        df = pd.read_csv(src, dtype=str, keep_default_na=False, engine="python")
        for col in df.columns:
            df[col] = [unescape_formula(v) for v in df[col]]
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
        df["created_at"] = pd.to_datetime(df["created_at"], utc=True, format="ISO8601").astype(
            "datetime64[ns, UTC]"
        )
    if "undone" in df.columns:
        df["undone"] = df["undone"].map(lambda x: x if isinstance(x, bool) else str(x) == "True")
    return df


def _typed(field: str, value: Any) -> Any:
    spec = BUILTIN_FIELDS.get(field)
    if spec is None:
        return value
    return parse_value(spec, value)



def _check_span_ids(
    span_ids: Mapping[str, str] | None, traces: set[str]
) -> dict[str, str] | None:
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
    missing = sorted(traces - set(span_ids))
    if missing:
        raise InvalidLabelError(
            f"`span_ids` has no span for {len(missing)} labelled trace(s), e.g. {missing[:3]}; "
            "map every trace or leave `span_ids` out for trace-level records."
        )
    return {k: v.lower() for k, v in span_ids.items()}

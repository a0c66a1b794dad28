"""The Annotator's queue as a table: status, segment, other verdicts (blind-aware), search.

One row per queued trace, in review order. The table itself only gathers references (no text is
copied); the first search builds a pyarrow index of input and output once per Annotator, and
searches run in pyarrow's C++ kernels. What changes while reviewing (status, notes, other labels)
is read again on each call, vectorised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from evalkit.widgets.annotator import Annotator

#: Characters of input/output shown per row.
PREVIEW: Final[int] = 160
#: Rows sent to the browser per page of the table.
PAGE: Final[int] = 50
_STATUS: Final[dict[str, str]] = {"pass": "pass", "fail": "fail", "defer": "deferred"}


def _text_column(ann: Annotator, col: str) -> Any:
    """A queued text column as a pyarrow string array ('' for missing or non-text values)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if col not in ann._rows.columns:
        return pa.array([""] * len(ann._ids), type=pa.large_string())
    values = ann._rows[col].array
    if hasattr(values, "__arrow_array__"):  # canonical frames are Arrow-backed: no copy
        arr = pc.cast(values.__arrow_array__().take(pa.array(ann._queue)), pa.large_string())
    else:
        raw = ann._rows[col].to_numpy(dtype=object)[ann._queue]
        try:
            arr = pa.array(raw, type=pa.large_string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a dict or list in a text column
            arr = pa.array([v if isinstance(v, str) else None for v in raw], pa.large_string())
    return arr.fill_null("")


def _haystack(ann: Annotator) -> Any:
    """Input and output of every queued trace, one pyarrow string each (built once, cached)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    hay = getattr(ann, "_table_haystack", None)
    if hay is None:
        inp, out = _text_column(ann, "input"), _text_column(ann, "output")
        hay = pc.utf8_lower(
            pc.binary_join_element_wise(inp, out, pa.scalar("\n", pa.large_string()))
        )  # lower-cased once: a plain substring search beats a case-insensitive regex
        ann._table_haystack = hay
    return hay


def _column(ann: Annotator, col: str, sel: np.ndarray) -> Any:
    if col not in ann._rows.columns:
        return np.full(len(sel), None, dtype=object)
    return ann._rows[col].array.take(ann._queue[sel])  # stays Arrow-backed: no Python strings


def _contains(arr: Any, text: str) -> np.ndarray:
    import pyarrow.compute as pc

    hit = pc.match_substring(arr, text.lower())
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


def _others(ann: Annotator, ids: pd.Series, own_done: np.ndarray) -> np.ndarray:
    """Other annotators' and judges' current verdicts per queued trace, hidden when blind."""
    labels = ann.store.current_verdicts()  # cached until the store changes
    labels = labels[labels["annotator"] != ann.annotator]
    out = np.full(len(ids), "", dtype=object)
    if len(labels):
        text = labels["annotator"].astype(str) + ": " + labels["value"].astype(str)
        per_trace = text.groupby(labels["trace_id"].astype(str)).agg("; ".join)
        out = ids.map(per_trace).fillna("").to_numpy(dtype=object)
    if ann.blind:
        out = np.where(own_done | (out == ""), out, "hidden (blind)")
    return out


def queue_table(ann: Annotator, search: str | None = None) -> pd.DataFrame:
    """The frame behind :meth:`Annotator.table` (see there)."""
    if search is not None and not isinstance(search, str):
        raise TypeError(f"`search` must be a string or None; got {type(search).__name__}.")
    keep: np.ndarray | None = None
    notes_df = ann.store.labels(annotator=ann.annotator, field="note")
    note_of = dict(zip(notes_df["trace_id"], notes_df["value"], strict=True))
    if search and search.strip():
        q = search.strip()
        hit = _contains(_haystack(ann), q)
        low = q.lower()
        noted = [ann._qpos[t] for t, v in note_of.items() if t in ann._qpos and low in v.lower()]
        hit[noted] = True
        keep = np.flatnonzero(hit)
    return _frame(ann, note_of, keep)


def _frame(ann: Annotator, note_of: dict[str, str], keep: np.ndarray | None) -> pd.DataFrame:
    import pandas as pd

    sel = np.arange(len(ann._ids)) if keep is None else keep
    all_ids = getattr(ann, "_table_ids", None)
    if all_ids is None:
        all_ids = ann._table_ids = np.asarray(ann._ids, dtype=object)
    ids = pd.Series(all_ids if keep is None else all_ids[keep], dtype=object)
    verdicts = ids.map(ann._verdicts)
    status = verdicts.map(_STATUS).fillna("to do").to_numpy(dtype=object)
    own_done = verdicts.isin(["pass", "fail"]).to_numpy()
    notes = ids.map(note_of).fillna("")
    segments = (
        pd.Series(ann._segments_q[sel], dtype=object).fillna("").astype(str)
        if ann._segments_q is not None
        else pd.Series([""] * len(ids), dtype=object)
    )
    return pd.DataFrame(
        {
            "position": sel + 1,
            "trace_id": ids,
            "status": status,
            "segment": segments,
            "others": _others(ann, ids, own_done),
            "input": _column(ann, "input", sel),
            "output": _column(ann, "output", sel),
            "note": notes.astype(str),
        }
    )


def _preview(value: Any) -> str:
    return value[:PREVIEW] if isinstance(value, str) else ""  # <NA> and non-text: nothing


def table_page(ann: Annotator, search: str | None, offset: int | None) -> dict[str, Any]:
    """One page of the queue table for the browser (plain values, shown with textContent)."""
    frame = queue_table(ann, search or None)
    current = ann.current
    if offset is None:  # open on the page that holds the trace on display
        where = np.flatnonzero(frame["trace_id"].to_numpy() == current)
        offset = max(0, int(where[0]) - PAGE // 3) if len(where) else 0
    offset = int(min(max(0, offset), max(0, len(frame) - 1)))
    page = frame.iloc[offset : offset + PAGE]
    rows = [
        {
            "n": int(r.position),  # type: ignore[arg-type]
            "trace_id": str(r.trace_id),
            "status": str(r.status),
            "segment": str(r.segment),
            "others": str(r.others),
            "text": _preview(r.input) or _preview(r.output),
            "note": str(r.note)[:PREVIEW],
            "current": str(r.trace_id) == current,
        }
        for r in page.itertuples(index=False)
    ]
    return {
        "rows": rows,
        "offset": offset,
        "matched": len(frame),
        "total": len(ann._ids),
        "search": search or "",
        "page": PAGE,
    }

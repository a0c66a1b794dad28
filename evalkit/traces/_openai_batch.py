"""Join OpenAI Batch API input and output lines into one trace per ``custom_id``.

A Batch input line holds the request (``body.messages``), its output line the completion, both
keyed by ``custom_id``. Loaded together (two files, a folder, a list), each input/output pair
becomes one trace: the request's messages followed by the answer, the answer's model, tokens
and time, the request's user/session/segment, both lines' metadata, and ``source`` pointing at
the input line (the output line is named in ``metadata["batch_output"]``). An input without
its output (or the reverse) stays a row of its own; the same ``custom_id`` twice on one side
is still a duplicate-id error.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evalkit.traces._openai_messages import summarize

#: metadata key the OpenAI reader sets on Batch API lines: "input" or "output"
BATCH_KEY = "openai_batch"


def _side(meta: Any) -> str | None:
    return meta.get(BATCH_KEY) if isinstance(meta, dict) else None


def _merge(inp: dict[Any, Any], out: dict[Any, Any]) -> dict[str, Any]:
    messages = list(inp["messages"] or []) + list(out["messages"] or [])
    row = dict(inp)
    row.update(summarize(messages))
    row["messages"] = messages
    for key in ("timestamp", "model", "input_tokens", "output_tokens", "cost_usd", "latency_ms"):
        if not _missing(out.get(key)):
            row[key] = out[key]
    meta = {k: v for k, v in (inp["metadata"] or {}).items() if k != BATCH_KEY}
    for k, v in (out["metadata"] or {}).items():
        if k != BATCH_KEY:
            meta[k if k not in meta else f"output.{k}"] = v
    src = out["source"] or {}
    meta["batch_output"] = {"file": src.get("file"), "line": src.get("line")}
    row["metadata"] = meta
    return row


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, (list, dict, str)) and bool(pd.isna(value)))


def _maybe_batch(frame: pd.DataFrame) -> Any:
    """Rows that may be Batch lines: all but those another reader's ``source`` names.

    A million OTLP rows then cost one Arrow comparison instead of a look into each metadata.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    everything = np.ones(len(frame), dtype=bool)
    arr = getattr(frame["source"].array, "_pa_array", None) if "source" in frame else None
    if arr is None or not pa.types.is_struct(arr.type):
        return everything
    try:
        fmt = pc.struct_field(arr, "format")
    except (KeyError, pa.ArrowException):
        return everything
    other = pc.fill_null(pc.not_equal(fmt, "openai"), False)
    return ~np.asarray(other, dtype=bool)


def _sides(metadata: Any, rows: Any) -> list[tuple[int, str]]:
    """``(row, "input" | "output")`` of the ``rows`` whose metadata marks a Batch line.

    One C-level pass asks every dict for the key (a million in a few hundredths of a second);
    only rows that have it, or metadata that is not a dict, are looked at one by one.
    """
    from itertools import compress, repeat

    metas = metadata[rows].tolist()
    try:
        marked = list(map(dict.__contains__, metas, repeat(BATCH_KEY)))
    except TypeError:  # metadata that is not a dict: every row, one by one
        marked = [True] * len(metas)
    if not any(marked):
        return []
    found = []
    for row, meta in zip(compress(rows.tolist(), marked), compress(metas, marked), strict=True):
        side = _side(meta)
        if side is not None:
            found.append((row, side))
    return found


def join_batch_pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Merge each Batch input row with the output row of the same ``custom_id``."""
    import numpy as np

    if frame.empty or "metadata" not in frame:
        return frame
    maybe = _maybe_batch(frame)
    if not maybe.any():
        return frame
    sides = _sides(frame["metadata"].to_numpy(), np.flatnonzero(maybe))
    if not sides:
        return frame
    ids = frame["trace_id"].to_numpy()
    positions: dict[tuple[Any, str], list[int]] = {}
    for pos, side in sides:
        positions.setdefault((ids[pos], side), []).append(pos)
    pairs = []
    for (tid, side), found in positions.items():
        if side == "input" and len(found) == 1:
            outs = positions.get((tid, "output"), [])
            if len(outs) == 1:
                pairs.append((found[0], outs[0]))
    if not pairs:
        return frame
    from evalkit.traces import schema

    drop = {o for _, o in pairs}
    merged = {i: _merge(frame.iloc[i].to_dict(), frame.iloc[o].to_dict()) for i, o in pairs}
    new = schema.conform([merged[i] for i, _ in pairs])
    pieces = []
    start = 0
    keep = [p for p in range(len(frame)) if p not in drop]
    at = {i: n for n, (i, _) in enumerate(pairs)}
    # rebuild in the original order: kept rows as they are, inputs replaced by their merges
    for n, p in enumerate(keep):
        if p in at:
            if start < n:
                pieces.append(frame.iloc[keep[start:n]])
            pieces.append(new.iloc[[at[p]]])
            start = n + 1
    if start < len(keep):
        pieces.append(frame.iloc[keep[start:]])
    return schema.concat([piece.reset_index(drop=True) for piece in pieces])

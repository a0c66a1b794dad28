"""Row dicts -> a canonical frame, messages straight to Arrow.

Messages that a reader already made canonical skip the per-message normalisation of
``schema.conform`` (a third of a line-by-line load's time).
"""

from __future__ import annotations

from typing import Any


def rows_to_frame(rows: list[dict[str, Any]]) -> Any:
    """Canonical frame of reader rows; falls back to ``schema.conform`` for odd messages.

    The rows' ``messages`` are removed (the rows are spent).
    """
    import pandas as pd
    import pyarrow as pa

    from evalkit.traces import schema

    try:
        arr = pa.array([row.get("messages") or [] for row in rows], type=schema.MESSAGES_TYPE)
    except (pa.ArrowException, TypeError, ValueError, KeyError):
        return schema.conform(rows)  # not canonical already: let the schema coerce them
    if arr.flatten().field("tool_calls").null_count:
        return schema.conform(rows)  # canonical messages carry [] for "no tool calls"
    for row in rows:
        row.pop("messages", None)
    frame = schema.conform(rows)
    frame["messages"] = pd.arrays.ArrowExtensionArray(arr)
    return frame

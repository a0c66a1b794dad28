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
    try:
        frame = schema.conform(rows)
    except Exception:
        for row, messages in zip(rows, arr.to_pylist(), strict=True):
            row["messages"] = messages  # give the rows back whole to a caller that reports them
        raise
    frame["messages"] = pd.arrays.ArrowExtensionArray(arr)
    frame.attrs["canonical"] = True  # schema.conform need not rebuild (copy) it again
    return frame


def checked_frame(rows: list[dict[str, Any]], sink: Any) -> Any:
    """:func:`rows_to_frame` after the number check; rows it cannot store are reported one by one.

    For readers that build frames chunk by chunk: one bad row (a lone surrogate, a count beyond
    int64) is reported with its line and field instead of failing its whole chunk.
    """
    from evalkit.traces import _guards, schema

    rows = _guards.check_numbers(rows, sink)
    if not rows:
        return schema.empty_frame()
    try:
        return rows_to_frame(rows)
    except (UnicodeError, OverflowError, ValueError, TypeError):
        return _guards.conform(rows, sink, schema)

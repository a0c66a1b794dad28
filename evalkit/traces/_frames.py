"""Row dicts -> a canonical frame, messages straight to Arrow.

Messages that a reader already made canonical skip the per-message normalisation of
``schema.conform`` (a third of a line-by-line load's time).
"""

from __future__ import annotations

from typing import Any

_CHUNK = 1 << 16  # rows whose messages go to Arrow at a time (then their lists are freed)


class MessagesToArrow:
    """Rows' canonical messages into Arrow a chunk at a time, while a reader is still making rows.

    A reader appends rows to ``rows`` and calls :meth:`step` now and then; each full chunk's
    message lists are turned into Arrow and dropped from their rows, so the memory they held is
    reused for the next rows instead of the whole file's lists being alive at once (a large OTLP
    load peaked at 3.5x its file size with them). :meth:`frame` makes the canonical frame.
    """

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.chunks: list[Any] = []
        self.done = 0  # rows[:done] have given their messages to self.chunks
        self.odd = False  # some messages are not canonical: schema.conform does everything

    def step(self, *, final: bool = False) -> None:
        """Convert every full chunk of rows not converted yet (with ``final``, the rest too)."""
        import pyarrow as pa

        from evalkit.traces import schema

        while not self.odd and self.done < len(self.rows):
            end = self.done + _CHUNK
            if end > len(self.rows) and not final:
                return
            part = self.rows[self.done : end]
            try:
                arr = pa.array(
                    [row.get("messages") or [] for row in part], type=schema.MESSAGES_TYPE
                )
                # canonical messages carry [] for "no tool calls"
                self.odd = arr.flatten().field("tool_calls").null_count > 0
            except (pa.ArrowException, TypeError, ValueError, KeyError):
                self.odd = True
            if self.odd:
                self.give_back()
                return
            for row in part:
                row.pop("messages", None)
            self.chunks.append(arr)
            self.done += len(part)

    def give_back(self) -> None:
        """Put the messages taken so far back into their rows (to conform or report them)."""
        import pyarrow as pa

        from evalkit.traces import schema

        if self.chunks:
            taken = pa.chunked_array(self.chunks, type=schema.MESSAGES_TYPE).to_pylist()
            for row, messages in zip(self.rows[: self.done], taken, strict=True):
                row["messages"] = messages
        self.chunks, self.done = [], 0

    def frame(self) -> Any:
        """The canonical frame of all rows (the rows are spent)."""
        import pandas as pd
        import pyarrow as pa

        from evalkit.traces import schema

        self.step(final=True)
        if self.odd:
            return schema.conform(self.rows)  # not canonical already: the schema coerces them
        try:
            frame = schema.conform(self.rows)
        except Exception:
            self.give_back()
            raise
        messages = pa.chunked_array(self.chunks, type=schema.MESSAGES_TYPE)
        frame["messages"] = pd.arrays.ArrowExtensionArray(messages)
        frame.attrs["canonical"] = True  # schema.conform need not rebuild (copy) it again
        return frame


def rows_to_frame(rows: list[dict[str, Any]]) -> Any:
    """Canonical frame of reader rows; falls back to ``schema.conform`` for odd messages.

    The rows' ``messages`` are removed (the rows are spent).
    """
    return MessagesToArrow(rows).frame()


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

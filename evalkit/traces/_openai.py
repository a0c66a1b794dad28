"""OpenAI chat JSON Lines: fine-tuning conversations, Batch API input/output, request/response logs.

One line is one trace. Three public shapes are read:

* fine-tuning: ``{"messages": [...], "tools": [...]}``;
* Batch API input ``{"custom_id", "method", "url", "body": {chat params}}`` and output
  ``{"id", "custom_id", "response": {"status_code", "body": {chat.completion}}, "error"}``
  (``trace_id`` is ``custom_id``);
* request/response log pairs ``{"request": {chat params}, "response": {chat.completion}}``
  (``trace_id`` is the completion's ``id``).

Lines without a native id get a stable content hash ``openai-<16 hex>``.
"""

from pathlib import Path
from typing import Any

from evalkit.errors import TraceError
from evalkit.traces._base import ErrorSink
from evalkit.traces._fast_chat import read_fast_chat
from evalkit.traces._frames import checked_frame
from evalkit.traces._jsonio import iter_jsonl
from evalkit.traces._openai_fast import read_fast
from evalkit.traces._openai_messages import _Bad, _kind
from evalkit.traces._openai_rows import _row, native_id
from evalkit.traces._openai_shape import NAME, _shape, sniff
from evalkit.traces._repeats import Repeats

__all__ = ["NAME", "read", "read_careful", "sniff"]

_CHUNK = 2_000  # rows converted to a canonical frame at a time by the line-by-line reader


def read(
    path: Path, *, sink: ErrorSink, columns: dict[str, str] | None = None
) -> list[dict[str, Any]] | Any:
    r"""Read an OpenAI chat JSONL file into canonical rows (one per line).

    Request/response log files take a vectorised pyarrow path (a ready canonical frame); any
    file it does not fully understand is read line by line, so errors name the line and field.
    With ``columns=`` (canonical column -> dotted field path) the file is read by the generic
    JSON reader, which maps the named fields.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "log.jsonl"
    >>> _ = p.write_text(
    ...     '{"request": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]},'
    ...     ' "response": {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000,'
    ...     ' "model": "gpt-4o-2024-08-06", "choices": [{"index": 0, "message": {"role":'
    ...     ' "assistant", "content": "Hello"}, "finish_reason": "stop"}],'
    ...     ' "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}}\n'
    ... )
    >>> frame = read(p, sink=ErrorSink())  # the vectorised path gives a canonical frame
    >>> frame.loc[0, ["trace_id", "output"]].tolist(), int(frame.loc[0, "input_tokens"])
    (['chatcmpl-1', 'Hello'], 5)
    >>> careful = read_careful(p, sink=ErrorSink())  # the line-by-line path: the same frame
    >>> row = careful.iloc[0]
    >>> row["trace_id"], row["output"], int(row["input_tokens"]), str(row["timestamp"])
    ('chatcmpl-1', 'Hello', 5, '2023-11-14 22:13:20+00:00')
    """
    if columns is not None:  # the caller names the fields: the generic JSON reader maps them
        from evalkit.traces._generic_json import read as read_generic

        return read_generic(path, sink=sink, columns=columns)
    fast = read_fast(path)
    if fast is not None:
        return fast
    chat = read_fast_chat(path)  # plain chat files: the vectorised fine-tuning path
    if chat is not None:
        frame, repeats = chat
        repeats.warn(str(path), stacklevel=3)
        return frame
    return read_careful(path, sink=sink)


def read_careful(path: Path, *, sink: ErrorSink) -> list[dict[str, Any]] | Any:
    """The line-by-line reader: every problem names the line and the field."""
    from evalkit.traces import schema

    rows: list[dict[str, Any]] = []
    frames: list[Any] = []
    repeats = Repeats()
    file = str(path)
    for line, record in iter_jsonl(path, sink=sink, fmt=NAME):
        shape = _shape(record)
        if shape is None:
            sink.add(
                TraceError(
                    file=file,
                    line=line,
                    message=(
                        "not an OpenAI chat record: expected a JSON object with 'messages', "
                        "'custom_id' (Batch API) or 'request' and 'response' (log pair); got "
                        + (
                            f"keys {sorted(record)[:8]}"
                            if isinstance(record, dict)
                            else _kind(record)
                        )
                    ),
                    format=NAME,
                )
            )
            continue
        try:
            row = _row(record, shape)
        except _Bad as bad:
            sink.add(
                TraceError(file=file, line=line, field=bad.field, message=bad.message, format=NAME)
            )
            continue
        row["source"] = {"format": NAME, "file": file, "line": line, "span_id": None}
        if shape == "finetune" and native_id(record) is None:
            # id-less: a content hash, numbered when the content repeats
            row["trace_id"] = repeats.number(row["trace_id"], line)
        rows.append(row)
        if len(rows) == _CHUNK:
            # a canonical frame per chunk: Arrow messages are ~5x smaller than Python dicts,
            # so a big file no longer peaks at 7-9x its size (issue 12.15)
            frames.append(checked_frame(rows, sink))
            rows = []
    repeats.warn(file, stacklevel=4)
    if rows:
        frames.append(checked_frame(rows, sink))
    return schema.concat(frames) if frames else []

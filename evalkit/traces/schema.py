"""The canonical trace frame: one row per trace; the single place the columns are defined.

Storage: text columns are pandas ``string`` (Arrow-backed); ``messages`` and ``retrieved`` are
Arrow ``list<struct>`` columns and ``source`` an Arrow ``struct`` column, so millions of traces
load without one
Python object per message. Element access (``df.loc[i, "messages"]``, ``df.at``, iteration,
``.tolist()``, ``to_dict("records")``) gives plain lists of dicts; note that ``Series.apply`` and
``iterrows`` hand list cells over as numpy arrays of dicts (call ``.tolist()`` on them).
``retrieved`` is Arrow ``list<struct>`` too; ``tool_calls`` and ``metadata`` hold Python
lists/dicts (their values vary in type).

Steps: readers of span-based formats (OTLP GenAI, OpenInference, Langfuse, LangSmith, Inspect)
put the trace's spans in ``metadata["spans"]`` (:data:`SPANS_KEY`): a list in tree order
(parents before children, siblings by start time) of dicts with the keys :data:`SPAN_KEYS`,
``status`` being ``"ok"``, ``"error"`` or ``"unset"`` (nothing recorded) and ``message`` the
error or status message; ``start``/``end`` are ISO-8601 UTC text. A source's own ``spans``
metadata value moves to ``metadata["metadata.spans"]``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import pandas as pd
import pyarrow as pa

#: Column name -> (pandas dtype name, description). The order here is the frame's column order.
#: The exact dtype objects are in :data:`DTYPES`.
CANONICAL_COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "trace_id": ("string", "Unique, stable id: the format's own trace id, else a content hash."),
    "timestamp": ("datetime64[ns, UTC]", "Start of the trace (UTC)."),
    "session_id": ("string", "Conversation or session id, if known."),
    "user_id": ("string", "End-user id, if known."),
    "input": ("string", "The last user text before the final answer."),
    "output": ("string", "The final assistant text."),
    "messages": (
        "list<message>[pyarrow]",
        "Whole conversation: list of {role, content, tool_calls, tool_call_id, name}; a message's "
        "tool_calls are {id, name, arguments (JSON text)}.",
    ),
    "tool_calls": (
        "object",
        "Flattened tool calls: list of {name, arguments (parsed JSON), result}.",
    ),
    "retrieved": ("list<document>[pyarrow]", "Retrieved documents: list of {id, text, score}."),
    "model": ("string", "Model name of the final generation."),
    "latency_ms": ("float64", "End-to-end latency in milliseconds."),
    "input_tokens": ("Int64", "Prompt tokens, summed over generations."),
    "output_tokens": ("Int64", "Completion tokens, summed over generations."),
    "cost_usd": ("float64", "Cost in US dollars, if known."),
    "segment": ("string", "Task or category, if known."),
    "metadata": (
        "object",
        "Everything else, as a dict; metadata['spans'] is the ordered list of steps "
        "(span_id, parent_id, name, kind, status, message, start, end).",
    ),
    "source": (
        "struct<source>[pyarrow]",
        "Provenance: {format, file, line, span_id} to replay the row to its origin.",
    ),
}

COLUMNS: Final[list[str]] = list(CANONICAL_COLUMNS)

MESSAGE_KEYS: Final[tuple[str, ...]] = ("role", "content", "tool_calls", "tool_call_id", "name")
TOOL_CALL_KEYS: Final[tuple[str, ...]] = ("name", "arguments", "result")
RETRIEVED_KEYS: Final[tuple[str, ...]] = ("id", "text", "score")
SOURCE_KEYS: Final[tuple[str, ...]] = ("format", "file", "line", "span_id")
#: ``metadata`` key of the per-trace list of steps (spans), filled by the span-based readers.
SPANS_KEY: Final = "spans"
#: Keys of one step in ``metadata["spans"]``; ``status`` is ``"ok"``, ``"error"`` or ``"unset"``.
SPAN_KEYS: Final[tuple[str, ...]] = (
    "span_id",
    "parent_id",
    "name",
    "kind",
    "status",
    "message",
    "start",
    "end",
)

#: A tool call inside a message: arguments stay the JSON text the model produced.
MESSAGE_TOOL_CALL_TYPE: Final = pa.struct(
    [("id", pa.string()), ("name", pa.string()), ("arguments", pa.string())]
)
MESSAGE_TYPE: Final = pa.struct(
    [
        ("role", pa.string()),
        ("content", pa.string()),
        ("tool_calls", pa.list_(MESSAGE_TOOL_CALL_TYPE)),
        ("tool_call_id", pa.string()),
        ("name", pa.string()),
    ]
)
MESSAGES_TYPE: Final = pa.list_(MESSAGE_TYPE)
DOCUMENT_TYPE: Final = pa.struct(
    [("id", pa.string()), ("text", pa.string()), ("score", pa.float64())]
)
RETRIEVED_TYPE: Final = pa.list_(DOCUMENT_TYPE)
SOURCE_TYPE: Final = pa.struct(
    [("format", pa.string()), ("file", pa.string()), ("line", pa.int64()), ("span_id", pa.string())]
)

_STRING = pd.StringDtype("pyarrow")
#: Column name -> the exact pandas dtype of the canonical frame.
DTYPES: Final[dict[str, Any]] = {
    "trace_id": _STRING,
    "timestamp": pd.DatetimeTZDtype("ns", "UTC"),
    "session_id": _STRING,
    "user_id": _STRING,
    "input": _STRING,
    "output": _STRING,
    "messages": pd.ArrowDtype(MESSAGES_TYPE),
    "tool_calls": object,
    "retrieved": pd.ArrowDtype(RETRIEVED_TYPE),
    "model": _STRING,
    "latency_ms": "float64",
    "input_tokens": "Int64",
    "output_tokens": "Int64",
    "cost_usd": "float64",
    "segment": _STRING,
    "metadata": object,
    "source": pd.ArrowDtype(SOURCE_TYPE),
}


def empty_frame() -> pd.DataFrame:
    """Return an empty canonical frame with the right columns and dtypes.

    Examples
    --------
    >>> from evalkit.traces.schema import empty_frame, COLUMNS
    >>> list(empty_frame().columns) == COLUMNS
    True
    """
    return pd.DataFrame({c: pd.Series(dtype=DTYPES[c]) for c in COLUMNS})


def _json_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return str(value)


def _opt_str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value != value:  # NaN from a table
        return None
    return str(value)


def _content_text(content: Any) -> str | None:
    """Message content as text; content parts are joined, non-text parts become ``[type]``."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for part in content:
            if isinstance(part, Mapping):
                text = part.get("text", part.get("refusal"))
                pieces.append(text if isinstance(text, str) else f"[{part.get('type', 'part')}]")
            else:
                pieces.append(_opt_str(part) or "")
        return "\n".join(pieces)
    return _json_text(content)


def _message_tool_call(call: Any) -> dict[str, Any]:
    if not isinstance(call, Mapping):
        return {"id": None, "name": _opt_str(call), "arguments": None}
    fn = call.get("function")
    if isinstance(fn, Mapping):  # OpenAI shape {id, type, function: {name, arguments}}
        name, args = fn.get("name"), fn.get("arguments")
    else:
        name, args = call.get("name"), call.get("arguments", call.get("args", call.get("input")))
    return {"id": _opt_str(call.get("id")), "name": _opt_str(name), "arguments": _json_text(args)}


def normalize_message(message: Any) -> dict[str, Any]:
    """Coerce one chat message to the canonical ``{role, content, tool_calls, tool_call_id, name}``.

    Accepts OpenAI-style tool calls (``{"id", "function": {"name", "arguments"}}``) and flat
    ones (``{"id", "name", "arguments"}``); arguments become JSON text, content parts are joined.

    Examples
    --------
    >>> normalize_message({"role": "assistant", "content": None, "tool_calls": [
    ...     {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"x": 1}}}]})
    {'role': 'assistant', 'content': None,
     'tool_calls': [{'id': 'c1', 'name': 'f', 'arguments': '{"x": 1}'}],
     'tool_call_id': None, 'name': None}
    """
    if not isinstance(message, Mapping):
        return {
            "role": None,
            "content": _content_text(message),
            "tool_calls": [],
            "tool_call_id": None,
            "name": None,
        }
    calls = message.get("tool_calls")
    if calls is not None and hasattr(calls, "tolist") and not isinstance(calls, (str, list)):
        calls = calls.tolist()
    return {
        "role": _opt_str(message.get("role")),
        "content": _content_text(message.get("content")),
        "tool_calls": [_message_tool_call(c) for c in calls] if isinstance(calls, list) else [],
        "tool_call_id": _opt_str(message.get("tool_call_id")),
        "name": _opt_str(message.get("name")),
    }


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, tuple) or (
        hasattr(value, "tolist") and not isinstance(value, (str, dict))
    ):
        out = value.tolist() if hasattr(value, "tolist") else list(value)
        return out if isinstance(out, list) else []
    return []


def _source(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    line = value.get("line")
    try:
        line = None if line is None or line != line else int(line)
    except (TypeError, ValueError):
        line = None
    return {
        "format": _opt_str(value.get("format")),
        "file": _opt_str(value.get("file")),
        "line": line,
        "span_id": _opt_str(value.get("span_id")),
    }


def messages_array(values: Any) -> pd.arrays.ArrowExtensionArray:
    """Build the ``messages`` column from per-row lists of message dicts (normalised)."""
    rows = [[normalize_message(m) for m in _as_list(v)] for v in values]
    return pd.arrays.ArrowExtensionArray(pa.array(rows, type=MESSAGES_TYPE))


def _score(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if f == f else None


def _document(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, Mapping):
        return {"id": None, "text": _opt_str(doc), "score": None}
    text = doc.get("text", doc.get("content", doc.get("page_content")))
    return {
        "id": _opt_str(doc.get("id")),
        "text": _content_text(text),
        "score": _score(doc.get("score")),
    }


def retrieved_array(values: Any) -> pd.arrays.ArrowExtensionArray:
    """Build the ``retrieved`` column from per-row lists of ``{id, text, score}`` dicts."""
    rows = [[_document(d) for d in _as_list(v)] for v in values]
    return pd.arrays.ArrowExtensionArray(pa.array(rows, type=RETRIEVED_TYPE))


def source_array(values: Any) -> pd.arrays.ArrowExtensionArray:
    """Build the ``source`` column from per-row ``{format, file, line, span_id}`` dicts."""
    return pd.arrays.ArrowExtensionArray(pa.array([_source(v) for v in values], type=SOURCE_TYPE))


def _enforce(df: pd.DataFrame) -> pd.DataFrame:
    for col in COLUMNS:
        dtype = DTYPES[col]
        if col == "messages":
            if df[col].dtype != dtype:
                df[col] = messages_array(df[col])
        elif col == "retrieved":
            if df[col].dtype != dtype:
                df[col] = retrieved_array(df[col])
        elif col == "source":
            if df[col].dtype != dtype:
                df[col] = source_array(df[col])
        elif dtype is object:
            if col == "metadata":
                values: list[Any] = [dict(v) if isinstance(v, Mapping) else {} for v in df[col]]
            else:
                values = [_as_list(v) for v in df[col]]
            df[col] = pd.Series(values, index=df.index, dtype=object)
        elif isinstance(dtype, pd.DatetimeTZDtype):
            df[col] = pd.to_datetime(df[col], utc=True, errors="coerce").astype(dtype)
        elif dtype is _STRING:
            if df[col].dtype != dtype:
                df[col] = pd.array([_opt_str(v) for v in df[col]], dtype=_STRING)
        else:
            df[col] = df[col].astype(dtype)
    return df


def to_canonical(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Build a canonical frame from row dicts; missing keys become null, dtypes are enforced.

    Examples
    --------
    >>> df = to_canonical([{"trace_id": "t1", "output": "hi", "latency_ms": 12,
    ...                     "messages": [{"role": "user", "content": "hey"}]}])
    >>> df.loc[0, "trace_id"], str(df["latency_ms"].dtype)
    ('t1', 'float64')
    >>> df.loc[0, "messages"][0]["content"], df.loc[0, "tool_calls"]
    ('hey', [])
    """
    if not records:
        return empty_frame()
    df = pd.DataFrame.from_records(records, columns=COLUMNS)
    return _enforce(df)


def conform(rows: list[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """Return a canonical frame from reader output: row dicts or a (partial) frame.

    Missing columns become null, extra columns are dropped (readers put extras in ``metadata``),
    the column order and dtypes are enforced.

    Examples
    --------
    >>> import pandas as pd
    >>> df = conform(pd.DataFrame({"output": ["ok"], "trace_id": ["t1"]}))
    >>> list(df.columns) == COLUMNS, df.loc[0, "messages"]
    (True, [])
    """
    if isinstance(rows, pd.DataFrame):
        if rows.empty:
            return empty_frame()
        if rows.attrs.get("canonical") is True and list(rows.columns) == COLUMNS:
            return rows  # built column by column with the canonical dtypes (a reader's fast path)
        return _enforce(rows.reindex(columns=COLUMNS).reset_index(drop=True))
    return to_canonical(rows)


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate canonical frames, keeping their dtypes (no frames: an empty frame)."""
    if not frames:
        return empty_frame()
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    return pd.concat(frames, ignore_index=True)


def describe_columns() -> pd.DataFrame:
    """Return the schema as a frame (column, dtype, description), e.g. for docs and notebooks.

    Examples
    --------
    >>> describe_columns().shape
    (17, 3)
    """
    return pd.DataFrame(
        [(c, d, text) for c, (d, text) in CANONICAL_COLUMNS.items()],
        columns=["column", "dtype", "description"],
    )

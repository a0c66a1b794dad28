"""Read flat tables (CSV, TSV, Parquet, pandas DataFrames) with canonical or mapped column names.

Columns named like the canonical ones (see :mod:`evalkit.traces.schema`) fill them;
``columns={"their_name": "canonical_name"}`` renames first. Every other column goes to
``metadata`` under its own name, so nothing is dropped. ``messages``, ``tool_calls``,
``retrieved`` and ``metadata`` may hold JSON text (parsed; bad JSON is a typed error naming the
line and column). CSV line numbers are physical lines of the file (the header is line 1); a record
with quoted newlines is reported at the line where it starts. Parquet and DataFrame rows are
reported by 1-based row number.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from evalkit.traces._base import ErrorSink
from evalkit.traces._common_files import has_bad_utf8, read_bytes
from evalkit.traces._common_messages import (
    last_text,
    message_list_cell,
    parse_arguments,
    parse_document,
    parse_message,
    text_message,
    tool_calls_from_messages,
    value_text,
)
from evalkit.traces._common_rows import (
    Ctx,
    RecordSkipped,
    expect_type,
    is_missing,
    parse_time,
    plain,
    short,
    to_number,
    too_deep,
)
from evalkit.traces._jsonio import content_hash, loads
from evalkit.traces._repeats import Repeats
from evalkit.traces.schema import COLUMNS

NAME = "csv"
#: Both format names this module serves (``format="csv"`` and ``format="parquet"``).
NAMES = ("csv", "parquet")

_JSON_COLS = ("messages", "tool_calls", "retrieved", "metadata")
_STR_COLS = ("session_id", "user_id", "model", "segment")
_INT_COLS = ("input_tokens", "output_tokens")
_FLOAT_COLS = ("latency_ms", "cost_usd")
_CSV_LIMIT = 2**31 - 1


def sniff(path: Path, head: bytes) -> bool:
    """CSV/TSV by extension; Parquet by magic bytes, unless it holds LangSmith runs."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return True
    if head.startswith(b"PAR1") or suffix == ".parquet":
        from evalkit.traces._langsmith import is_langsmith_parquet

        return not is_langsmith_parquet(path)
    return False


def check_columns(columns: Mapping[str, str] | None) -> dict[str, str]:
    """Validate the ``columns=`` mapping (their name -> canonical name)."""
    if columns is None:
        return {}
    if not isinstance(columns, Mapping):
        raise TypeError(
            "`columns` must be a dict mapping your column names to canonical names; "
            f"got {type(columns).__name__}."
        )
    allowed = ", ".join(repr(c) for c in COLUMNS if c != "source")
    seen: dict[str, str] = {}
    for theirs, ours in columns.items():
        if ours not in COLUMNS or ours == "source":
            raise ValueError(
                f"`columns` maps {theirs!r} to {ours!r}, which is not a canonical column; "
                f"must be one of {allowed}."
            )
        if ours in seen:
            raise ValueError(
                f"`columns` maps both {seen[ours]!r} and {theirs!r} to {ours!r}; "
                "map one column per canonical name."
            )
        seen[ours] = theirs
    return dict(columns)


def check_options(options: Mapping[str, Any]) -> None:
    """Validate the tabular reader's options up front (``columns=``, ``delimiter=``)."""
    if "columns" in options:
        check_columns(options["columns"])
    if "delimiter" in options:
        _check_delimiter(options["delimiter"])


def _check_delimiter(delimiter: Any) -> None:
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise ValueError(f"`delimiter` must be a single character such as ';'; got {delimiter!r}.")


def read(
    path: Path,
    *,
    sink: ErrorSink,
    columns: Mapping[str, str] | None = None,
    delimiter: str | None = None,
) -> list[dict[str, Any]]:
    """Read a CSV/TSV or Parquet file into canonical rows (one per row).

    ``delimiter`` defaults to a tab for ``.tsv`` files and a comma otherwise.
    """
    mapping = check_columns(columns)
    _check_delimiter(delimiter)
    path = Path(path)
    probe = Ctx(sink=sink, fmt=NAME, file=str(path))
    try:
        data = read_bytes(probe, path)
    except RecordSkipped:
        return []
    if data.startswith(b"PAR1"):
        ctx = Ctx(sink=sink, fmt="parquet", file=str(path))
        try:
            header, records = _parquet_records(ctx, path)
        except RecordSkipped:
            return []
        return build_rows(ctx, header, records, mapping, header_line=None)
    sep = delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
    try:
        header, records = _csv_records(probe, data, sep)
    except RecordSkipped:
        return []
    return build_rows(probe, header, records, mapping, header_line=1)


def read_frame(
    df: Any, *, sink: ErrorSink, columns: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Read an in-memory pandas DataFrame (rows numbered from 1 in error messages).

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.traces._base import ErrorSink
    >>> df = pd.DataFrame({"id": ["t1"], "answer": ["Hi!"], "team": ["web"]})
    >>> rows = read_frame(df, sink=ErrorSink(), columns={"id": "trace_id", "answer": "output"})
    >>> rows[0]["trace_id"], rows[0]["output"], rows[0]["metadata"]
    ('t1', 'Hi!', {'team': 'web'})
    """
    mapping = check_columns(columns)
    ctx = Ctx(sink=sink, fmt="dataframe", file=None)
    header = [str(c) for c in df.columns]
    records = ((i + 1, list(row)) for i, row in enumerate(df.itertuples(index=False, name=None)))
    return build_rows(ctx, header, records, mapping, header_line=None)


def _csv_records(
    ctx: Ctx, data: bytes, sep: str
) -> tuple[list[str], Iterable[tuple[int, list[str]]]]:
    text = data.decode("utf-8", errors="surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    old = csv.field_size_limit()
    csv.field_size_limit(_CSV_LIMIT)  # a 10 MB message is normal; csv's default cap is 128 KiB
    try:
        # strict: an unclosed quote is an error, not a cell that swallows the rest of the file
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
        try:
            header = next(reader)
        except (StopIteration, csv.Error) as exc:
            ctx.fail(f"cannot read the CSV header: {exc}", line=1)
        if has_bad_utf8("".join(header)):
            ctx.fail("invalid UTF-8 in the header", line=1)
        if len(set(header)) != len(header):
            dup = sorted({h for h in header if header.count(h) > 1})
            ctx.fail(f"duplicate column names {dup}", line=1)
        out: list[tuple[int, list[str]]] = []
        lines: list[str] | None = None  # physical lines, split only to resync after an error
        offset = 0
        end = reader.line_num
        while True:
            start = end + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                unclosed = "unexpected end of data" in str(exc)
                at = start if unclosed else offset + reader.line_num
                with contextlib.suppress(RecordSkipped):
                    ctx.fail(
                        "malformed CSV: a quoted field starts on this line and its closing quote "
                        "never comes (it would swallow every later row)"
                        if unclosed
                        else f"malformed CSV: {exc}",
                        line=start if unclosed else at,
                    )
                # resync: parse again from the line after the bad one, so later rows still load
                if lines is None:
                    lines = io.StringIO(text, newline="").readlines()
                if at >= len(lines):
                    break
                reader = csv.reader(iter(lines[at:]), delimiter=sep, strict=True)
                offset = end = at
                continue
            end = offset + reader.line_num
            if not row or (len(row) == 1 and not row[0].strip() and len(header) > 1):
                continue
            try:
                bad = [h for h, c in zip(header, row, strict=False) if has_bad_utf8(c)]
                if bad:
                    ctx.fail("invalid UTF-8", line=start, field=bad[0])
                if len(row) != len(header):
                    ctx.fail(
                        f"row has {len(row)} fields but the header has {len(header)}", line=start
                    )
            except RecordSkipped:
                continue
            out.append((start, [c if c != "" else None for c in row]))  # type: ignore[misc]
    finally:
        csv.field_size_limit(old)
    return header, out


def _parquet_records(ctx: Ctx, path: Path) -> tuple[list[str], Iterable[tuple[int, list[Any]]]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        ctx.fail(f"cannot read Parquet: {exc}")
    header = list(table.column_names)
    rows = table.to_pylist()
    return header, ((i + 1, [r[c] for c in header]) for i, r in enumerate(rows))


def build_rows(
    ctx: Ctx,
    header: list[str],
    records: Iterable[tuple[int, list[Any]]],
    mapping: Mapping[str, str],
    *,
    header_line: int | None,
    extra_metadata: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Turn table rows into canonical rows; rows that fail are reported and skipped."""
    try:
        names = _target_names(ctx, header, mapping, header_line)
    except RecordSkipped:
        return []
    rows: list[dict[str, Any]] = []
    seen_hash = Repeats()
    for line, cells in records:
        try:
            rec = dict(zip(names, [plain(v) for v in cells], strict=True))
            rows.append(
                flat_row(ctx, rec, line=line, extra_metadata=extra_metadata, seen_hash=seen_hash)
            )
        except RecordSkipped:
            continue
        except RecursionError:
            too_deep(ctx, line)
    seen_hash.warn(ctx.file or "the table", unit="row", stacklevel=3)
    return rows


def _target_names(
    ctx: Ctx, header: list[str], mapping: Mapping[str, str], header_line: int | None
) -> list[str]:
    missing = [c for c in mapping if c not in header]
    if missing:
        ctx.fail(
            f"`columns` names {missing} but the table has {header}",
            line=header_line,
            field=missing[0],
        )
    targets = set(mapping.values())
    names = []
    for h in header:
        if h in mapping:
            names.append(mapping[h])
        elif h in targets or h == "source":
            names.append(
                f"\x00{h}"
            )  # displaced by the mapping: kept as metadata under its own name
        else:
            names.append(h)
    if not ({"output", "messages"} & set(names)):
        ctx.fail(
            f"no `output` or `messages` column: cannot build the final answer (columns: {header}); "
            "map yours with columns={'your_column': 'output'}",
            line=header_line,
            field="output",
        )
    return names


def flat_row(
    ctx: Ctx,
    rec: dict[str, Any],
    *,
    line: int | None,
    extra_metadata: Mapping[str, Any] | None = None,
    seen_hash: Repeats | None = None,
) -> dict[str, Any]:
    """One canonical row from a flat record keyed by canonical names (others go to metadata)."""
    row: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    for key, value in rec.items():
        if key in COLUMNS and key != "source":
            continue
        metadata[key.lstrip("\x00")] = value
    for col in _JSON_COLS:
        if col in rec:
            row[col] = _json_cell(ctx, rec[col], col, line)
    meta_col = expect_type(ctx, row.pop("metadata", None), dict, field="metadata", line=line)
    if meta_col:
        for k, v in meta_col.items():
            metadata[k if k not in metadata else f"metadata.{k}"] = v
    if extra_metadata:
        metadata.update(extra_metadata)

    msgs = expect_type(ctx, row.get("messages"), list, field="messages", line=line) or []
    messages = []
    for j, m in enumerate(msgs):
        expect_type(ctx, m, dict, field=f"messages[{j}]", line=line, required=True)
        messages.append(parse_message(m))
    calls = expect_type(ctx, row.get("tool_calls"), list, field="tool_calls", line=line) or []
    tool_calls = []
    for j, tc in enumerate(calls):
        expect_type(ctx, tc, dict, field=f"tool_calls[{j}]", line=line, required=True)
        fn = tc.get("function") if isinstance(tc.get("function"), Mapping) else {}
        tool_calls.append(
            {
                "name": tc.get("name") or fn.get("name"),
                "arguments": parse_arguments(
                    next(
                        (tc[k] for k in ("arguments", "args", "input") if k in tc),
                        fn.get("arguments"),
                    )
                ),
                "result": tc.get("result", tc.get("output")),
            }
        )
    docs = expect_type(ctx, row.get("retrieved"), list, field="retrieved", line=line) or []
    retrieved = [parse_document(d, j) for j, d in enumerate(docs)]

    tid = rec.get("trace_id") if "trace_id" in rec else None
    if "trace_id" in rec:
        if is_missing(tid) or (isinstance(tid, str) and not tid.strip()):
            ctx.fail("required field is missing (empty trace_id)", line=line, field="trace_id")
        if isinstance(tid, float) and tid.is_integer():
            tid = int(tid)
        tid = str(tid)
    else:
        tid = content_hash(
            ctx.fmt,
            {k.lstrip("\x00"): plain(v) for k, v in rec.items()} | dict(extra_metadata or {}),
        )
        if seen_hash is not None:  # exact duplicate rows still get distinct, stable ids
            tid = seen_hash.number(tid, line)
    cells = {c: message_list_cell(rec.get(c)) for c in ("input", "output")}  # i10: JSON lists
    if not messages and (cells["input"] or cells["output"]):
        messages = (cells["input"] or []) + (cells["output"] or [])
    if not tool_calls:  # i10: tool calls requested in the messages, as in every reader
        tool_calls = tool_calls_from_messages(messages)
    text_in = None if cells["input"] else _text(rec.get("input"))
    text_out = None if cells["output"] else _text(rec.get("output"))
    if cells["input"] and not cells["output"] and text_out is not None:
        messages = [*messages, text_message("assistant", text_out)]
    if not messages and (text_in is not None or text_out is not None):
        messages = [
            text_message(r, t)
            for r, t in (("user", text_in), ("assistant", text_out))
            if t is not None
        ]
    out: dict[str, Any] = {
        "trace_id": tid,
        "timestamp": parse_time(ctx, rec.get("timestamp"), field="timestamp", line=line),
        "input": text_in if text_in is not None else last_text(messages, "user"),
        "output": text_out if text_out is not None else last_text(messages, "assistant"),
        "messages": messages,
        "tool_calls": tool_calls,
        "retrieved": retrieved,
        "metadata": metadata,
        "source": ctx.source(line, None),
    }
    for col in _STR_COLS:
        v = rec.get(col)
        out[col] = None if is_missing(v) else str(v)
    for col in _INT_COLS:
        out[col] = to_number(ctx, rec.get(col), field=col, line=line, integer=True)
    for col in _FLOAT_COLS:
        out[col] = to_number(ctx, rec.get(col), field=col, line=line)
    return out


def _text(value: Any) -> str | None:
    if is_missing(value):
        return None
    return value if isinstance(value, str) else value_text(value)


def _json_cell(ctx: Ctx, value: Any, col: str, line: int | None) -> Any:
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return loads(value)
    except json.JSONDecodeError as exc:
        ctx.fail(
            f"invalid JSON in column {col!r}: {exc.msg} "
            f"at character {exc.pos + 1} of {short(value, 40)}",
            line=line,
            field=col,
        )
    except ValueError as exc:  # duplicate keys, integers beyond 4,300 digits
        ctx.fail(f"invalid JSON in column {col!r}: {exc}", line=line, field=col)

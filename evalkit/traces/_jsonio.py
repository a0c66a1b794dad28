"""Robust JSON and JSON Lines reading: every problem is a TraceError naming file, line and byte.

Also holds the small JSON helpers the readers share: a stable content hash for traces without a
native id, and tool-call argument parsing that never loses the raw text.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from evalkit.errors import TraceError
from evalkit.traces._base import ErrorSink
from evalkit.traces._common_rows import plain

_BOM = b"\xef\xbb\xbf"


class DuplicateKeyError(ValueError):
    """A JSON object names the same key twice (``json.loads`` would silently keep the last)."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise DuplicateKeyError(
            f"duplicate key {dup!r} in a JSON object (which value is meant is ambiguous)"
        )
    return out


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs)


def loads(text: str) -> Any:
    r"""Parse JSON text strictly: a key repeated in one object is an error, not "last wins".

    Raises ``json.JSONDecodeError`` (with a position) for invalid JSON, and a plain
    ``ValueError`` for duplicate keys and for integers beyond CPython's 4,300-digit limit.

    Examples
    --------
    >>> loads('{"a": 1, "b": [2]}')
    {'a': 1, 'b': [2]}
    >>> loads('{"a": 1, "a": 2}')  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evalkit.traces._jsonio.DuplicateKeyError: duplicate key 'a' in a JSON object ...
    """
    return _DECODER.decode(text)


def json_problem(exc: BaseException) -> str:
    """A one-line description of why :func:`loads` failed (for error messages)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "nested too deeply to parse"
    return str(exc)


def _decode(
    raw: bytes, *, path: Path | str, line: int, offset: int, sink: ErrorSink, fmt: str
) -> str | None:
    """Decode UTF-8 strictly; report the 1-based line and the absolute byte offset of a bad byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        sink.add(
            TraceError(
                file=str(path),
                line=line,
                message=(
                    f"invalid UTF-8 at byte offset {offset + exc.start} "
                    f"(line {line}, byte {exc.start + 1} of the line): {exc.reason}"
                ),
                format=fmt,
            )
        )
        return None


def _loads(
    text: str, *, path: Path | str, line: int, sink: ErrorSink, fmt: str
) -> tuple[bool, Any]:
    """Parse JSON text; on failure report where it broke and return ``(False, None)``."""
    try:
        return True, loads(text)
    except json.JSONDecodeError as exc:
        at_end = exc.pos >= len(text.rstrip())
        hint = " (the JSON is truncated)" if at_end else ""
        sink.add(
            TraceError(
                file=str(path),
                line=line,
                message=f"invalid JSON{hint}: {exc.msg} at column {exc.colno}",
                format=fmt,
            )
        )
    except ValueError as exc:  # duplicate keys, integers beyond 4,300 digits
        sink.add(TraceError(file=str(path), line=line, message=f"invalid JSON: {exc}", format=fmt))
    except RecursionError:
        sink.add(
            TraceError(
                file=str(path),
                line=line,
                message="invalid JSON: nested too deeply to parse",
                format=fmt,
            )
        )
    return False, None


def iter_jsonl(
    source: Path | bytes, *, sink: ErrorSink, fmt: str, file: str | None = None
) -> Iterator[tuple[int, Any]]:
    r"""Yield ``(line_number, value)`` for every non-blank line of JSON Lines.

    ``source`` is a file, read line by line (memory stays bounded by the longest line), or bytes
    already read (``file`` then names them in errors). The one JSON Lines reader of every trace
    format. Bad lines (invalid UTF-8, invalid or truncated JSON, duplicate keys) go to ``sink``
    and are skipped in ``collect``/``warn`` mode. Blank lines carry no record and are skipped;
    a leading UTF-8 BOM is ignored.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
    >>> _ = p.write_text('{"a": 1}\n\n{"a": 2}\n')
    >>> list(iter_jsonl(p, sink=ErrorSink(), fmt="openai"))
    [(1, {'a': 1}), (3, {'a': 2})]
    >>> list(iter_jsonl(b'{"b": 1}\n', sink=ErrorSink(), fmt="json", file="x.jsonl"))
    [(1, {'b': 1})]
    """
    if isinstance(source, bytes | bytearray):
        yield from _iter_lines(io.BytesIO(source), file or "<memory>", sink, fmt)
        return
    with open(source, "rb") as fh:
        yield from _iter_lines(fh, source, sink, fmt)


def _iter_lines(
    fh: Iterable[bytes], path: Path | str, sink: ErrorSink, fmt: str
) -> Iterator[tuple[int, Any]]:
    offset = 0
    for number, raw in enumerate(fh, start=1):
        start = offset
        offset += len(raw)
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
            start += len(_BOM)
        if not raw.strip():
            continue
        text = _decode(raw, path=path, line=number, offset=start, sink=sink, fmt=fmt)
        if text is None:
            continue
        ok, value = _loads(text, path=path, line=number, sink=sink, fmt=fmt)
        if ok:
            yield number, value


def read_json_document(path: Path, *, sink: ErrorSink, fmt: str) -> tuple[bool, Any]:
    """Parse a whole file as one JSON document; return ``(ok, value)``.

    Errors name the line (and for bad UTF-8 the byte offset) where the document broke.
    """
    raw = path.read_bytes()
    skip = len(_BOM) if raw.startswith(_BOM) else 0
    try:
        text = raw[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        pos = skip + exc.start
        line = raw.count(b"\n", 0, pos) + 1
        line_start = raw.rfind(b"\n", 0, pos) + 1
        sink.add(
            TraceError(
                file=str(path),
                line=line,
                message=(
                    f"invalid UTF-8 at byte offset {pos} (line {line}, byte "
                    f"{pos - line_start + 1} of the line): {exc.reason}"
                ),
                format=fmt,
            )
        )
        return False, None
    return _doc(text, path=path, sink=sink, fmt=fmt)


def _doc(text: str, *, path: Path, sink: ErrorSink, fmt: str) -> tuple[bool, Any]:
    try:
        return True, loads(text)
    except json.JSONDecodeError as exc:
        at_end = exc.pos >= len(text.rstrip())
        hint = " (the JSON is truncated)" if at_end else ""
        sink.add(
            TraceError(
                file=str(path),
                line=exc.lineno,
                message=f"invalid JSON{hint}: {exc.msg} at column {exc.colno}",
                format=fmt,
            )
        )
    except ValueError as exc:  # duplicate keys, integers beyond 4,300 digits
        sink.add(TraceError(file=str(path), line=1, message=f"invalid JSON: {exc}", format=fmt))
    except RecursionError:
        sink.add(
            TraceError(
                file=str(path),
                line=1,
                message="invalid JSON: nested too deeply to parse",
                format=fmt,
            )
        )
    return False, None


def first_json_line(head: bytes) -> Any:
    """Parse the first non-blank line of ``head``; return ``None`` if it is not complete JSON."""
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    for raw in head.split(b"\n"):
        if raw.strip():
            try:
                return json.loads(raw)
            except (ValueError, RecursionError):
                return None
    return None


def content_hash(prefix: str, value: Any) -> str:
    """Return a stable id ``prefix-<16 hex>`` from the canonical JSON of ``value``.

    Examples
    --------
    >>> a = content_hash("openai", {"b": 1, "a": [1, 2]})
    >>> a == content_hash("openai", {"a": [1, 2], "b": 1})
    True
    >>> content_hash("openai", {"a": 1})
    'openai-015abd7f5cc57a2d'
    """
    try:
        blob = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
        )
    except (ValueError, RecursionError):
        blob = repr(value)
    digest = hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{prefix}-{digest[:16]}"


def parse_arguments(value: Any) -> Any:
    """Parse tool-call arguments given as JSON text; the one parser of every reader.

    Text that is not JSON is kept verbatim (a model's malformed arguments are a failure mode to
    see, not to hide). An empty or blank string means "no arguments" and gives ``{}``, as a
    call with no parameters does (models and SDKs write ``""`` for it); the message keeps the
    raw text. Values that are not text (already parsed by the format) come back as plain Python.

    Examples
    --------
    >>> parse_arguments('{"city": "Paris"}')
    {'city': 'Paris'}
    >>> parse_arguments('not json {')
    'not json {'
    >>> parse_arguments(""), parse_arguments("  ")
    ({}, {})
    >>> parse_arguments({"a": 1})
    {'a': 1}
    """
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            return value
    return plain(value)

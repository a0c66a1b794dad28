"""Raw file access and JSON text for the dict-based trace readers (Langfuse, LangSmith, Inspect...).

One job: read bytes, decode UTF-8 and parse JSON / JSON Lines so that every problem is reported
through :class:`~evalkit.traces._common_rows.Ctx` with the line it happened on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from evalkit.traces._common_rows import Ctx
from evalkit.traces._jsonio import loads

#: Largest file or zip member we read into memory (a guard against zip bombs and stray blobs).
MAX_BYTES: int = 2 * 1024**3

_SURROGATE = re.compile("[\udc80-\udcff]")


def read_bytes(ctx: Ctx, path: Path) -> bytes:
    """Read a whole file; an empty (or whitespace-only) file is a typed error."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            ctx.fail(f"file is {size} bytes, above the {MAX_BYTES}-byte limit")
        data = path.read_bytes()
    except OSError as exc:
        ctx.fail(f"cannot read file: {exc}")
    if not data.strip():
        ctx.fail("file is empty")
    return data


def decode_utf8(ctx: Ctx, data: bytes, *, line_offset: int = 0) -> str:
    """Decode UTF-8 (a leading BOM is dropped); bad bytes are a typed error naming the line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1 + line_offset
        ctx.fail(f"invalid UTF-8 (byte {data[exc.start]:#04x} at offset {exc.start})", line=line)


def has_bad_utf8(text: str) -> bool:
    """True if text decoded with ``surrogateescape`` carried undecodable bytes."""
    return _SURROGATE.search(text) is not None


def load_json_document(ctx: Ctx, data: bytes) -> Any:
    """Parse a whole JSON document; truncated or invalid JSON names the line and column."""
    return load_json_text(ctx, data)[0]


def load_json_text(ctx: Ctx, data: bytes) -> tuple[Any, str]:
    """Like :func:`load_json_document`, also returning the decoded text (for line numbers)."""
    text = decode_utf8(ctx, data)
    try:
        return loads(text), text
    except json.JSONDecodeError as exc:
        ctx.fail(
            f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", line=exc.lineno
        )
    except ValueError as exc:  # duplicate keys, integers beyond 4,300 digits
        ctx.fail(f"invalid JSON: {exc}")
    except RecursionError:
        ctx.fail("invalid JSON: nested too deeply")


_WS = re.compile(r"[ \t\n\r]*")


def _skip_ws(text: str, i: int) -> int:
    m = _WS.match(text, i)
    return m.end() if m else i


def item_lines(text: str, key: str | None = None) -> list[int] | None:
    r"""1-based line on which each item of a JSON array starts, so errors can name real lines.

    The array is the document itself, or (with ``key``) the value of that key in the top-level
    object. Returns None when the text does not have that shape (callers then use item numbers).

    Examples
    --------
    >>> item_lines('{"meta": 1,\n "data": [\n  {"id": 1},\n  {"id": 2}]}', "data")
    [3, 4]
    """
    dec = json.JSONDecoder()
    try:
        i = _skip_ws(text, 0)
        if key is not None:
            if text[i] != "{":
                return None
            i = _skip_ws(text, i + 1)
            while True:
                if text[i] != '"':
                    return None
                name, i = json.decoder.scanstring(text, i + 1)  # type: ignore[attr-defined]
                i = _skip_ws(text, i)
                if text[i] != ":":
                    return None
                i = _skip_ws(text, i + 1)
                if name == key:
                    break
                _, i = dec.raw_decode(text, i)
                i = _skip_ws(text, i)
                if text[i] != ",":
                    return None
                i = _skip_ws(text, i + 1)
        if text[i] != "[":
            return None
        starts: list[int] = []
        i = _skip_ws(text, i + 1)
        while text[i] != "]":
            starts.append(i)
            _, i = dec.raw_decode(text, i)
            i = _skip_ws(text, i)
            if text[i] == ",":
                i = _skip_ws(text, i + 1)
    except (ValueError, IndexError, RecursionError):
        return None
    lines, line, prev = [], 1, 0
    for s in starts:
        line += text.count("\n", prev, s)
        prev = s
        lines.append(line)
    return lines


def lines_of_items(text: str, n: int, key: str | None = None) -> list[int]:
    """Start line of each of the ``n`` array items, else their 1-based item numbers."""
    lines = item_lines(text, key)
    return lines if lines is not None and len(lines) == n else list(range(1, n + 1))


def looks_like_jsonl(data: bytes, path: Path | None = None) -> bool:
    """True for ``.jsonl``/``.ndjson`` files, or when the first line is a complete JSON object."""
    if path is not None and path.suffix.lower() in (".jsonl", ".ndjson"):
        return True
    stripped = data.lstrip()
    if not stripped.startswith(b"{"):
        return False
    first = stripped.split(b"\n", 1)[0].strip()
    if b"\n" not in stripped.strip():
        return False
    try:
        return isinstance(json.loads(first), dict)
    except (ValueError, UnicodeDecodeError):
        return False


def maybe_json(value: Any) -> Any:
    """Parse a JSON-encoded string that holds an object or array; leave anything else as is."""
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in ("{", "[") and s[-1:] in ("}", "]"):
            try:
                return json.loads(s)
            except ValueError:
                return value
    return value

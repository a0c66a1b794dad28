"""JSON Lines files in pieces for the vectorised readers: bounded parse memory, exact lines.

One job: cut a JSON Lines file into ~16 MB pieces at line ends and parse each with pyarrow's
multi-threaded JSON reader. Parsing a whole file at once peaks at ~2.5x its size in pyarrow
alone (its block buffers and builders), which left no room under the 3x memory target; a piece
at a time keeps that transient memory to a few times the piece.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

PIECE = 1 << 24  # bytes read per piece (a line longer than this makes its piece longer)


def pieces(path: Path, size: int | None = None) -> Iterator[bytes]:
    """The file's bytes in pieces that end at a newline (the last piece: at the end of file)."""
    size = size or PIECE
    rest = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(size):
            buf = rest + chunk if rest else chunk
            cut = buf.rfind(b"\n") + 1
            if cut == 0:
                rest = buf
                continue
            rest = buf[cut:]
            yield buf[:cut]
    if rest:
        yield rest


def cuts(path: Path, size: int | None = None) -> list[tuple[int, int]]:
    """``(offset, length)`` of each piece :func:`pieces` gives, found reading only near the cuts.

    A piece ends at the last newline before each multiple of ``size`` (the last piece at the end
    of the file), exactly as :func:`pieces` cuts (tests/traces/test_fast_chat.py checks this).
    """
    import os

    size = size or PIECE
    out: list[tuple[int, int]] = []
    start = 0
    with open(path, "rb") as fh:
        total = os.fstat(fh.fileno()).st_size
        for end in range(size, total + size, size):
            end = min(end, total)
            at = end
            while at > start:  # the last newline in [start, end), read backwards
                low = max(start, at - (1 << 16))
                fh.seek(low)
                found = fh.read(at - low).rfind(b"\n")
                if found >= 0:
                    out.append((start, low + found + 1 - start))
                    start = low + found + 1
                    break
                at = low
    if start < total:
        out.append((start, total - start))
    return out


def count_records(piece: bytes) -> int:
    """The number of lines of ``piece``, or -1 unless every line starts with ``{``.

    Then one parsed record per line is the same as one record per line (no blank lines, no
    indented documents), so line numbers stay exact (a line holding two JSON objects, which
    pyarrow reads as two records, shows as a count mismatch).
    """
    import numpy as np

    view = np.frombuffer(piece, np.uint8)
    if not len(view) or view[0] != 123:
        return -1
    starts = np.flatnonzero(view[:-1] == 10) + 1
    if len(starts) and not bool(np.all(view[starts] == 123)):
        return -1
    return len(starts) + 1


def parse(piece: bytes, *, use_threads: bool = True) -> Any:
    """The piece as an Arrow table (pyarrow frees the GIL meanwhile); raises on invalid JSON."""
    import pyarrow as pa
    import pyarrow.json as pj

    if piece[:1] != b"{":
        # the vectorised readers need one object per line; and pyarrow (26) crashes the
        # process when the first record is null: such a piece never reaches it
        raise ValueError("not one JSON object per line")
    try:
        options = pj.ReadOptions(use_threads=use_threads)
        table = pj.read_json(pa.BufferReader(piece), read_options=options)
    except pa.ArrowInvalid as exc:
        if "straddl" not in str(exc):  # a line longer than a parse block: one block
            raise
        options = pj.ReadOptions(use_threads=use_threads, block_size=max(len(piece), 1 << 20))
        table = pj.read_json(pa.BufferReader(piece), read_options=options)
    table.validate(full=True)  # pyarrow's JSON reader lets invalid UTF-8 through
    return table.combine_chunks()


def parsed(path: Path, *, ahead: int = 2) -> Iterator[tuple[bytes, Any]]:
    """Each piece with the future of its table, parsed ``ahead`` pieces in advance.

    Each piece is parsed by one worker thread (pyarrow frees the GIL), ``ahead`` at a time,
    while the caller works on an earlier one: the caller's Python work and the parsing then
    share the cores, instead of pyarrow's own thread pool and the caller taking turns.
    """
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(ahead) as pool:
        queue: deque[tuple[bytes, Any]] = deque()
        for piece in pieces(path):
            queue.append((piece, pool.submit(parse, piece, use_threads=False)))
            if len(queue) > ahead:
                yield queue.popleft()
        while queue:
            yield queue.popleft()


def stepping_aside(read: Any, path: Path) -> Any:
    """``read(path)`` with the cyclic GC off; ``None`` when it steps aside for the careful reader.

    A vectorised reader raises ``_Unsupported`` (or pyarrow/orjson/numpy raise a ValueError,
    TypeError, KeyError, IndexError or Arrow error) on anything it does not fully understand;
    the careful, line-by-line reader then runs and names the file, line and field of any error.
    Millions of new dicts would otherwise make generational GC passes dominate the time.
    """
    import gc

    import pyarrow as pa

    from evalkit.traces._openai_fast import _Unsupported

    enabled = gc.isenabled()
    gc.disable()
    try:
        return read(path)
    except (_Unsupported, ValueError, TypeError, KeyError, IndexError, UnicodeDecodeError):
        return None  # pyarrow's ArrowInvalid and orjson's JSONDecodeError are ValueErrors
    except pa.ArrowException:
        return None
    finally:
        if enabled:
            gc.enable()

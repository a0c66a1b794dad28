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


def cuts(path: Path, size: int | None = None) -> list[tuple[int, int]]:
    """``(offset, length)`` of the file's pieces, found reading only near the cuts.

    A piece ends at the last newline before each multiple of ``size`` (the last piece at the end
    of the file); a line longer than ``size`` makes its piece longer
    (tests/traces/test_fast_chat_worker.py checks this against a simple reader).
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
    if not piece or piece[0] != 123:
        return -1
    # newline to newline with bytes.find (memchr): no temporary as large as the piece
    find, last = piece.find, len(piece) - 1
    lines, at = 1, find(b"\n")
    while 0 <= at < last:
        if piece[at + 1] != 123:
            return -1
        lines += 1
        if lines == _SHORT_LINES and at < _SHORT_LINES * 256:  # many short lines: numpy
            return _count_records_numpy(piece)
        at = find(b"\n", at + 1)
    return lines


_SHORT_LINES = 4096  # lines after which short ones are counted by numpy instead


def _count_records_numpy(piece: bytes) -> int:
    import numpy as np

    view = np.frombuffer(piece, np.uint8)
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
        # one thread: the piece as one block (one chunk, nothing for combine_chunks to copy)
        block = {} if use_threads else {"block_size": max(len(piece), 1 << 20)}
        options = pj.ReadOptions(use_threads=use_threads, **block)
        table = pj.read_json(pa.BufferReader(piece), read_options=options)
    except pa.ArrowInvalid as exc:
        if "straddl" not in str(exc):  # a line longer than a parse block: one block
            raise
        options = pj.ReadOptions(use_threads=use_threads, block_size=max(len(piece), 1 << 20))
        table = pj.read_json(pa.BufferReader(piece), read_options=options)
    table.validate(full=True)  # pyarrow's JSON reader lets invalid UTF-8 through
    return table.combine_chunks()


def _read_piece(path: Path, offset: int, length: int, work: Any) -> tuple[int, Any]:
    """One piece of the file read, its lines counted, parsed and given to ``work``."""
    import os

    fd = os.open(path, os.O_RDONLY)
    try:
        piece = os.pread(fd, length, offset)  # the piece's bytes, copied once
    finally:
        os.close(fd)
    if len(piece) != length:
        raise ValueError(f"{path} changed while it was read")
    n_lines = count_records(piece)  # -1 unless one object per line
    table = parse(piece, use_threads=False)
    del piece
    if table.num_rows != n_lines:  # one record per line keeps line numbers exact
        raise ValueError("blank lines or two objects on a line")
    return n_lines, work(table)


def prepared(path: Path, work: Any, *, ahead: int = 2) -> Iterator[tuple[int, Any]]:
    """``(lines, work(table))`` for each piece of the file, in file order.

    Each piece is read, its lines counted, parsed (one record per line, or ``ValueError``) and
    given to ``work`` in one of ``ahead`` worker threads, ``ahead`` pieces in advance: pyarrow
    and numpy free the GIL, so that work and the caller's Python work on an earlier piece share
    the cores, and the caller's thread never touches the file's bytes.
    """
    from collections import deque
    from concurrent.futures import Future, ThreadPoolExecutor

    queue: deque[Future[tuple[int, Any]]] = deque()
    with ThreadPoolExecutor(ahead) as pool:
        try:
            for offset, length in cuts(path):
                queue.append(pool.submit(_read_piece, path, offset, length, work))
                if len(queue) > ahead:
                    yield queue.popleft().result()
            while queue:
                yield queue.popleft().result()
        finally:
            for future in queue:  # a caller that leaves early: no piece left to parse
                future.cancel()


def stepping_aside(read: Any, path: Path) -> Any:
    """``read(path)`` with the cyclic GC off; ``None`` when it steps aside for the careful reader.

    A vectorised reader raises ``_Unsupported`` (or pyarrow/orjson/numpy raise a ValueError,
    TypeError, KeyError, IndexError or Arrow error) on anything it does not fully understand;
    the careful, line-by-line reader then runs and names the file, line and field of any error.
    Millions of new dicts would otherwise make generational GC passes dominate the time.
    """
    import pyarrow as pa

    from evalkit.traces._gc import collector_paused
    from evalkit.traces._openai_fast import _Unsupported

    with collector_paused():
        try:
            return read(path)
        except (_Unsupported, ValueError, TypeError, KeyError, IndexError, UnicodeDecodeError):
            return None  # pyarrow's ArrowInvalid and orjson's JSONDecodeError are ValueErrors
        except pa.ArrowException:
            return None

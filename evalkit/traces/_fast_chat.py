"""The vectorised path for plain chat JSON Lines (``{"messages": [...], "tools": [...]}``).

One job: read a fine-tuning-shaped OpenAI chat file with pyarrow's multi-threaded JSON reader and
build the canonical columns with pyarrow.compute, giving exactly the frame of the careful,
line-by-line reader (tests/traces/test_fast_chat.py checks this on every fixture and on
generated files). Anything it does not fully understand makes :func:`read_fast_chat` return
``None``, and the careful reader runs (so errors still name the file, line and field).

Trace ids stay those of the careful reader: a SHA-256 of the record's canonical JSON (sorted keys,
compact separators; :func:`evalkit.traces._jsonio.content_hash`). The canonical text needs each
line parsed (``orjson``: its sorted compact output is byte-identical to ``json.dumps`` for every
value without a float; pieces with floats are hashed with the standard library). For a file of
more than one piece, :data:`HASHERS` worker processes (:mod:`evalkit.traces._hash_worker`) do
that for alternate pieces while pyarrow parses them here, so the per-line Python work and the
parse use every core instead of taking turns for the GIL; a single piece is hashed in-process.
The same per-line parse gives the ``metadata`` column (the record without ``messages``), each
distinct value parsed once and repeated container values (the same ``tools`` list on every
line) shared rather than copied; each row has its own dict.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from evalkit.traces._fast_pieces import stepping_aside
from evalkit.traces._hash_worker import codec
from evalkit.traces._jsonio import first_json_line
from evalkit.traces._openai_fast import (
    _lengths,
    _messages_struct,
    _need,
    _offsets,
    _tool_call_columns,
    _tool_call_dicts,
    _Unsupported,
    share,
)
from evalkit.traces._openai_shape import _FOREIGN_KEYS, NAME, _shape
from evalkit.traces._repeats import Repeats


def _hash_piece(
    piece: bytes, *, floats: bool, shared: dict[bytes, Any]
) -> tuple[bytes, list[dict[str, Any]]]:
    """In-process: per line, 8 bytes of the content-hash digest and the metadata dict.

    ``shared`` maps repeated container values to the one object kept for them (bounded).
    """
    loads, canonical = codec(floats)
    sha = hashlib.sha256
    digests = bytearray()
    metadata: list[dict[str, Any]] = []
    lines = piece.split(b"\n")
    if not lines[-1]:
        lines.pop()
    for line in lines:
        # one JSON object per line keeps line numbers exact (as in the log-pair path)
        _need(line[:1] == b"{", "a line that is not one JSON object")
        record = loads(line)
        _need(type(record) is dict, "a line that is not an object")
        digests += sha(canonical(record)).digest()[:8]
        record.pop("messages", None)
        metadata.append(_interned(record, shared))
    return bytes(digests), metadata


def _interned(record: dict[str, Any], shared: dict[bytes, Any]) -> dict[str, Any]:
    """``record`` with its repeated container values replaced by the one object kept (share)."""
    keys = [k for k, v in record.items() if type(v) is list or type(v) is dict]
    if keys:
        for key, value in zip(keys, share([record[k] for k in keys], shared), strict=True):
            record[key] = value
    return record


def _worker_metadata(
    answer: tuple[Any, ...], protos: list[dict[str, Any]], shared: dict[bytes, Any]
) -> list[dict[str, Any]]:
    """The metadata dicts of a worker's answer (each distinct blob parsed once, then copied)."""
    from orjson import loads

    _, _, _, index, new, local = answer
    protos.extend(map(loads, new))
    at = array("i")
    at.frombytes(index)
    if not local:
        # a dict per row (callers may change one row's), sharing the values of equal rows
        return list(map(dict, map(protos.__getitem__, at)))
    return [dict(protos[i]) if i >= 0 else _interned(loads(local[~i]), shared) for i in at]


def _has_float(t: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return True
    if pa.types.is_struct(t):
        return any(_has_float(t.field(i).type) for i in range(t.num_fields))
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return _has_float(t.value_type)
    return False


def _last_per_row(mask: Any, msg_row: Any, n: int) -> Any:
    """Per row: the index of the last message where ``mask`` holds (-1 if none)."""
    import numpy as np

    at = np.flatnonzero(mask)
    out = np.full(n, -1, dtype=np.int64)
    if len(at):
        rows = msg_row[at]
        ends = np.empty(len(at), dtype=bool)
        ends[:-1] = rows[1:] != rows[:-1]
        ends[-1] = True
        out[rows[ends]] = at[ends]
    return out


def summary_columns(role: Any, content: Any, msg_row: Any, n: int) -> tuple[Any, Any]:
    """``summarize()``'s ``input`` and ``output`` per row, from flat message roles and texts.

    The output is the last assistant message unless a user text comes after it; the input is
    the last user text of the row (none can follow the output). ``msg_row``: each message's row.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(role):
        return pa.nulls(n, pa.string()), pa.nulls(n, pa.string())
    user = np.asarray(pc.fill_null(pc.and_(pc.equal(role, "user"), pc.is_valid(content)), False))
    assistant = np.asarray(pc.equal(role, "assistant"))
    last_user = _last_per_row(user, msg_row, n)
    last_either = _last_per_row(user | assistant, msg_row, n)
    has_output = last_either >= 0
    has_output[has_output] = assistant[last_either[has_output]]
    null = pa.scalar(None, pa.string())
    take_user = content.take(pa.array(np.maximum(last_user, 0)))
    take_out = content.take(pa.array(np.maximum(last_either, 0)))
    return (
        pc.if_else(pa.array(last_user >= 0), take_user, null),
        pc.if_else(pa.array(has_output), take_out, null),
    )


def _parsed_chat(piece: bytes, use_threads: bool) -> tuple[Any, list[dict[str, Any]]]:
    """A piece parsed, with the Arrow half of each batch's columns (in the parse thread)."""
    from evalkit.traces import _fast_pieces

    table = _fast_pieces.parse(piece, use_threads=use_threads)
    _check_columns(table)
    return table, [_chat_arrow(batch) for batch in table.to_batches()]


def _chat_arrow(batch: Any) -> dict[str, Any]:
    """Canonical Arrow columns of one record batch (ids and metadata come from the hashing)."""
    import numpy as np
    import pyarrow as pa

    from evalkit.traces._fast_frame import large_text

    n = len(batch)
    lists = batch.column("messages")
    _need(pa.types.is_list(lists.type) and lists.null_count == 0, "messages")
    lengths = _lengths(lists)
    flat = lists.flatten()
    _need(len(flat) > 0, "no messages at all")  # an all-empty file: leave it to the careful path
    values = _messages_struct(flat)
    messages = pa.ListArray.from_arrays(_offsets(lengths), values)
    msg_row = np.repeat(np.arange(n), lengths)
    user_text, output = summary_columns(values.field("role"), values.field("content"), msg_row, n)
    return large_text(
        {
            "input": user_text,
            "output": output,
            "messages": messages,
            "_calls": _tool_call_columns(values, msg_row, n),
            "_rows": n,
        }
    )


def _chat_batch(part: dict[str, Any], first_line: int) -> dict[str, Any]:
    """The Python half of a batch's columns: its tool calls (in the reading thread)."""
    import numpy as np
    import pyarrow as pa

    n = part.pop("_rows")
    part["tool_calls"] = _tool_call_dicts(part.pop("_calls"), n)
    part["line"] = pa.array(np.arange(first_line, first_line + n, dtype=np.int64))
    return part


def _check_columns(table: Any) -> None:
    names = set(table.schema.names)
    _need("messages" in names, "no messages column")
    # another record shape on some line (Batch API, log pair, a foreign format): careful path
    _need(not (names & _FOREIGN_KEYS) and "custom_id" not in names, "not fine-tuning records")
    _need(not {"request", "response"} <= names, "log-pair keys")


def read_fast_chat(path: Path) -> Any:
    """Read a chat JSONL file the vectorised way.

    Returns ``(frame, repeats)`` (:class:`Repeats`: the lines whose content repeats an earlier
    line's, as the careful reader numbers them), or ``None`` when the careful reader must run.
    """
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    first = first_json_line(head)
    if first is None or _shape(first) != "finetune":
        return None
    return stepping_aside(_read, path)


#: worker processes hashing pieces (alternately) beside the parse (2 cores: 2 keep both busy)
HASHERS = 2
#: pieces asked of the workers ahead of the one being read (their answers fit in the pipes)
_WINDOW = 8


def _read(path: Path) -> Any:
    from evalkit.traces import _fast_pieces, _hash_worker
    from evalkit.traces._fast_frame import canonical_frame

    cuts = _fast_pieces.cuts(path)
    workers: list[Any] = []
    try:
        if len(cuts) > 1 and _cores() > 1:  # more than one piece: hashed in worker processes
            workers = [w for w in (_hash_worker.start(path) for _ in range(HASHERS)) if w]
        parts, hashed = _read_pieces(path, cuts, workers)
    finally:
        for w in workers:
            w.close()
    repeats = _number(parts, hashed)
    return canonical_frame(parts, fmt=NAME, file=str(path)), repeats


def _cores() -> int:
    """CPUs this process may run on (one: the workers would only take turns with us)."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _read_pieces(
    path: Path, cuts: list[tuple[int, int]], workers: list[Any]
) -> tuple[list[dict[str, Any]], list[tuple[int, bytes]]]:
    """Per-batch column parts, and ``(part, digests)`` for the parts of id-less records."""
    import pyarrow as pa

    parts: list[dict[str, Any]] = []
    hashed: list[tuple[int, bytes]] = []
    shared: dict[bytes, Any] = {}
    protos: list[list[dict[str, Any]]] = [[] for _ in workers]  # each worker's blobs, parsed
    alive = [True for _ in workers]
    line = 1
    # pyarrow frees the GIL: pieces are parsed while we take one's hashes and build its columns
    # (with workers: two pieces ahead, each single-threaded, as the log-pair path does)
    ahead = 2 if workers else 1
    with open(path, "rb") as fh, ThreadPoolExecutor(ahead) as pool:
        queue: deque[tuple[bytes, Any]] = deque()
        cut = iter(cuts)

        def fill() -> None:
            while len(queue) < ahead and (at := next(cut, None)) is not None:
                fh.seek(at[0])
                piece = fh.read(at[1])
                _need(len(piece) == at[1], "the file changed while being read")
                parse = pool.submit(_parsed_chat, piece, not workers)
                queue.append((piece, parse))

        asked = 0

        def ask(until: int) -> None:  # pieces asked of the workers, a window ahead
            nonlocal asked
            while asked < min(until, len(cuts)):
                workers[asked % len(workers)].ask(*cuts[asked])
                asked += 1
                if asked == len(cuts):
                    for worker in workers:
                        worker.done()

        fill()
        k = -1
        while queue:
            piece, parsed = queue.popleft()
            k += 1
            if workers:
                ask(k + _WINDOW)
            w = k % len(workers) if workers else -1
            answer = workers[w].answer() if w >= 0 and alive[w] else None
            if answer is not None and answer[0] != "ok":
                raise _Unsupported(f"hash worker: {answer[1]}")  # orjson cannot read a line
            if answer is None and w >= 0:
                alive[w] = False  # it has gone: its pieces are hashed here from now on
            try:
                if answer is None:
                    digests, metadata = _hash_piece(piece, floats=False, shared=shared)
                else:
                    _need(answer[1] == len(piece), "the file changed while being read")
                    digests, metadata = answer[2], _worker_metadata(answer, protos[w], shared)
            finally:
                table, arrow_parts = parsed.result()
            fill()
            _need(table.num_rows * 8 == len(digests), "blank lines or two objects on a line")
            if any(_has_float(f.type) for f in table.schema):
                digests, metadata = _hash_piece(piece, floats=True, shared=shared)  # repr()
            del piece
            ids = _own(table, metadata, "id")
            models = _own(table, metadata, "model")
            at = 0
            for part in arrow_parts:
                rows = part["_rows"]
                part = _chat_batch(part, line)
                part["metadata"] = metadata[at : at + rows]
                if ids is not None:
                    part["trace_id"] = pa.array(ids[at : at + rows], pa.string())
                else:
                    hashed.append((len(parts), digests[8 * at : 8 * (at + rows)]))
                if models is not None:
                    part["model"] = pa.array(models[at : at + rows], pa.string())
                parts.append(part)
                line += rows
                at += rows
            del table, arrow_parts, metadata, digests, ids
        _need(fh.read(1) == b"" or not cuts, "the file grew while being read")
    return parts, hashed


def _number(parts: list[dict[str, Any]], hashed: list[tuple[int, bytes]]) -> Repeats:
    """Set the id-less parts' ``trace_id``: content-hash ids, repeats numbered.

    ``openai-<16 hex>`` from each line's digest; the second, third... line with the same
    content gets ``-2``, ``-3`` in file order, as the careful reader's :class:`Repeats`.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    repeats = Repeats()
    if not hashed:
        return repeats
    raw = np.frombuffer(b"".join(d for _, d in hashed), np.uint8).reshape(-1, 8)
    prefix = f"{NAME}-".encode()
    width = len(prefix) + 16
    text = np.empty((len(raw), width), np.uint8)
    text[:, : len(prefix)] = np.frombuffer(prefix, np.uint8)
    hexd = np.frombuffer(b"0123456789abcdef", np.uint8)
    text[:, len(prefix) :: 2] = hexd[raw >> 4]
    text[:, len(prefix) + 1 :: 2] = hexd[raw & 15]
    again = _repeated(raw.view(np.uint64).ravel())
    if again is not None:
        lines = np.concatenate([np.asarray(parts[i]["line"]) for i, _ in hashed])
        repeats.lines = lines[again > 1].tolist()
    at = 0
    for i, digests in hashed:
        k = len(digests) // 8
        offsets = np.arange(0, (k + 1) * width, width, dtype=np.int32)
        ids = pa.StringArray.from_buffers(
            k, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(text[at : at + k]))
        )
        if again is not None and bool(np.any(again[at : at + k] > 1)):
            nth = again[at : at + k]
            rows = np.flatnonzero(nth > 1)
            base = ids.take(pa.array(rows)).to_pylist()
            numbered = [f"{b}-{m}" for b, m in zip(base, nth[rows].tolist(), strict=True)]
            ids = pc.replace_with_mask(ids, pa.array(nth > 1), pa.array(numbered, pa.string()))
        parts[i]["trace_id"] = ids
        at += k
    return repeats


def _repeated(keys: Any) -> Any:
    """Per line: the occurrence number of its key in file order, or ``None`` if none repeats."""
    import numpy as np

    n = len(keys)
    ordered = np.sort(keys)
    if n < 2 or not bool(np.any(ordered[1:] == ordered[:-1])):
        return None
    order = np.argsort(keys, kind="stable")  # file order within equal keys
    ordered = keys[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    occurrence = np.empty(n, dtype=np.int64)
    occurrence[order] = np.arange(n) - first + 1
    return occurrence


def _own(table: Any, metadata: list[dict[str, Any]], key: str) -> list[str] | None:
    """The records' own ``id`` or ``model`` (moved out of ``metadata``), as the careful reader.

    ``None`` when no record of the piece has the key; when only some have it, or a value the
    careful reader would leave in ``metadata`` (blank text, a null, another type), that reader
    runs instead.
    """
    import pyarrow as pa

    if key not in table.schema.names:
        return None
    column = table.column(key)
    kind = column.type
    _need(column.null_count == 0, f"records without their {key}")
    _need(pa.types.is_string(kind) or (key == "id" and pa.types.is_integer(kind)), key)
    values = [str(v) for v in column.to_pylist()]
    blank = (lambda v: not v.strip()) if key == "id" else (lambda v: not v)
    _need(not any(map(blank, values)), f"a blank {key}")
    for record in metadata:
        del record[key]
    return values

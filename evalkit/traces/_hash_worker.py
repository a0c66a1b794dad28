"""Content hashes and metadata of chat JSONL pieces, computed in a worker process.

One job: the per-line Python work of the vectorised chat reader (parse each line, write its
canonical JSON, SHA-256 it; the record without ``messages`` as compact JSON) in a second
process, so that it runs beside pyarrow's parse instead of taking turns with it for the GIL.

The worker is a plain ``python -c`` subprocess (not :mod:`multiprocessing`: no fork of a
process that has pyarrow's threads, and the user's ``__main__`` is never re-imported, so it works
in scripts without a main guard, under pytest and in Jupyter). The reader sends it the pieces'
offsets and lengths (:func:`evalkit.traces._fast_pieces.cuts`); it reads each piece's lines from
the file itself and answers with the piece's length, the first 8 bytes of each line's digest
(the 16 hex digits of :func:`evalkit.traces._jsonio.content_hash`), and the metadata as an index
into distinct JSON blobs (so the reader parses each distinct metadata value once). Lines that
share the text around their messages (the same ``tools`` on every line) have only their messages
parsed (:class:`_Template`). Whatever goes wrong in the worker (a line orjson cannot read, a
crash) is reported or seen as end of output; the reader then steps aside to the careful reader
or hashes the piece itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import subprocess
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

#: distinct metadata blobs remembered (unique values beyond it are sent with their piece)
BLOB_MAX = 4096


def codec(floats: bool) -> tuple[Callable[[bytes], Any], Callable[[Any], bytes]]:
    """``(loads, canonical)``: parse a line; the bytes :func:`content_hash` hashes for a record.

    ``orjson``'s sorted compact output is byte-identical to ``json.dumps(sort_keys=True,
    separators=(",", ":"), ensure_ascii=False)`` for every value without a float; with floats
    (orjson writes ``1e16`` where json writes ``1e+16``) the standard library is used.
    """
    if not floats:
        try:
            import orjson
        except ImportError:
            pass
        else:
            sort = orjson.OPT_SORT_KEYS
            dumps = orjson.dumps
            return orjson.loads, lambda record: dumps(record, option=sort)
    import json

    # json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False), as content_hash
    encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
    return json.loads, lambda record: encode(record).encode("utf-8", "surrogatepass")


class _Template:
    """The text around the messages that lines share (the same ``tools`` on every line).

    Lines ``P + <messages> + S`` with the template's ``P`` and ``S``: only their messages are
    parsed and written per line.

    Sound because ``P + X + S`` for any one complete JSON value ``X`` parses as the template's
    record with ``messages = X`` (checked once with ``X = 0``), so the canonical JSON is the
    template's, with ``X``'s canonical JSON in the messages slot.
    """

    __slots__ = ("after", "before", "blob", "prefix", "suffix")

    def __init__(self, prefix: bytes, suffix: bytes, record: dict[str, Any]) -> None:
        import orjson

        sort = orjson.OPT_SORT_KEYS
        self.prefix, self.suffix = prefix, suffix
        rest = {k: v for k, v in record.items() if k != "messages"}
        self.blob = orjson.dumps(rest)
        # the canonical JSON around the messages' own, written once: with messages 0 and 1
        # it differs in that one byte, the messages' slot
        zero = orjson.dumps({**rest, "messages": 0}, option=sort)
        one = orjson.dumps({**rest, "messages": 1}, option=sort)
        slot = next(i for i, (a, b) in enumerate(zip(zero, one, strict=True)) if a != b)
        self.before, self.after = zero[:slot], zero[slot + 1 :]

    @staticmethod
    def find(line: bytes, record: dict[str, Any]) -> _Template | None:
        """The template of ``line`` (parsed: ``record``), or ``None``."""
        import orjson

        if (
            len(record) < 2
            or next(iter(record)) != "messages"
            or type(record["messages"]) is not list
        ):
            return None
        start = line.find(b"[")
        prefix = line[:start]
        if start < 0 or prefix.replace(b" ", b"") != b'{"messages":':
            return None
        end = len(line)
        for _ in range(16):  # the messages end at one of the last "]" of the line
            end = line.rfind(b"]", start, end)
            if end < 0:
                return None
            suffix = line[end + 1 :]
            try:
                probe = orjson.loads(prefix + b"0" + suffix)
                if orjson.loads(line[start : end + 1]) != record["messages"]:
                    continue
            except ValueError:
                continue
            rest = {k: v for k, v in record.items() if k != "messages"}
            if (
                type(probe) is dict
                and type(probe.get("messages")) is int
                and probe["messages"] == 0
                and next(iter(probe)) == "messages"
                and list(probe)[1:] == list(rest)
                and orjson.dumps({**probe, "messages": None})
                == orjson.dumps({**record, "messages": None})
            ):
                return _Template(prefix, suffix, record)
        return None


def hash_piece(
    piece: bytes, blobs: dict[bytes, int]
) -> tuple[bytes, bytes, list[bytes], list[bytes]]:
    """One piece's ``(digests, index, new, local)`` (orjson only: no floats expected).

    ``digests``: 8 bytes per line. ``index``: an int32 per line, ``i >= 0`` for the metadata
    blob ``i`` of the file (``blobs``, in order of first sight: ``new`` holds the ones this piece
    added), ``i < 0`` for ``local[~i]`` (the blob table is full). Raises ``ValueError`` for a
    piece the fast path must not take (not one JSON object per line).
    """
    lines = piece.split(b"\n")
    if not lines[-1]:
        lines.pop()
    return hash_lines(lines, blobs)


def _read_lines(fh: IO[bytes], offset: int, length: int) -> Iterator[bytes]:
    """The lines (without their newline) of the piece at ``offset``: one line in memory."""
    fh.seek(offset)
    while length > 0:
        line = fh.readline(length)
        if not line:
            raise ValueError("the file changed while being read")
        length -= len(line)
        yield line[:-1] if line.endswith(b"\n") else line


def hash_lines(
    lines: Iterable[bytes], blobs: dict[bytes, int]
) -> tuple[bytes, bytes, list[bytes], list[bytes]]:
    """:func:`hash_piece` of a piece given as its lines."""
    import orjson

    loads, dumps, sort, sha = orjson.loads, orjson.dumps, orjson.OPT_SORT_KEYS, hashlib.sha256
    digests = bytearray()
    index = array("i")
    new: list[bytes] = []
    local: list[bytes] = []

    def place(blob: bytes) -> int:
        at = blobs.get(blob)
        if at is None:
            if len(blobs) < BLOB_MAX:
                at = blobs[blob] = len(blobs)
                new.append(blob)
            else:
                local.append(blob)
                at = -len(local)
        return at

    template: _Template | None = None
    tries = 8  # templates looked for per piece (lines that all differ around the messages)
    cut, tail = 0, b""
    before = after = b""
    at = 0
    for line in lines:
        if template is not None and line.startswith(template.prefix) and line.endswith(tail):
            try:
                messages = loads(line[cut : len(line) - len(tail)])
            except ValueError:  # not one value there: the whole line is parsed below
                pass
            else:
                digests += sha(before + dumps(messages, option=sort) + after).digest()[:8]
                index.append(at)
                continue
        # one JSON object per line keeps line numbers exact (as count_records in the log-pair
        # path); two objects on a line: a JSONDecodeError (a ValueError)
        record = loads(line) if line[:1] == b"{" else None
        if type(record) is not dict:
            raise ValueError("a line that is not one JSON object")
        digests += sha(dumps(record, option=sort)).digest()[:8]
        if tries and (template is None or not line.endswith(tail)):
            tries -= 1
            template = _Template.find(line, record)
            if template is not None:
                cut, tail = len(template.prefix), template.suffix
                before, after = template.before, template.after
                at = place(template.blob)  # the blob of this line's metadata too
                index.append(at)
                continue
        record.pop("messages", None)
        index.append(place(dumps(record)))
    return bytes(digests), index.tobytes(), new, local


def main() -> None:
    """The worker: read the path, then ``(offset, length)`` pieces from stdin; answer each."""
    import gc

    gc.disable()  # no reference cycles are made here: collection passes would only cost time
    stdin, out = sys.stdin.buffer, sys.stdout.buffer
    blobs: dict[bytes, int] = {}
    try:
        with open(pickle.load(stdin), "rb") as fh:
            while (asked := pickle.load(stdin)) is not None:
                offset, length = asked
                try:
                    lines = _read_lines(fh, offset, length)
                    answer: tuple[Any, ...] = ("ok", length, *hash_lines(lines, blobs))
                except (ValueError, TypeError) as exc:  # orjson's JSONDecodeError: a ValueError
                    pickle.dump(("bad", str(exc)[:200]), out)
                    out.flush()
                    return
                pickle.dump(answer, out, protocol=pickle.HIGHEST_PROTOCOL)
                out.flush()
    except (EOFError, BrokenPipeError, KeyboardInterrupt):  # the reader has gone
        return


class Worker:
    """A running hash worker for one file; ``close()`` (or ``with``) ends it in every case.

    :meth:`ask` queues pieces (the worker answers them in order, running ahead of the reader by
    as many answers as its output pipe holds); :meth:`answer` takes the next answer.
    """

    def __init__(self, path: Path) -> None:
        root = str(Path(__file__).resolve().parents[2])  # the directory holding evalkit/
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-P", "-c", "from evalkit.traces._hash_worker import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None and stdout is not None
        self._in: IO[bytes] = stdin
        self._out: IO[bytes] = stdout
        _widen(stdout)  # answers of a few pieces fit: the worker runs ahead instead of waiting
        self._send(str(path))

    def _send(self, message: Any) -> None:
        try:
            pickle.dump(message, self._in)
            self._in.flush()
        except (OSError, ValueError):  # it has gone (or was closed): answer() says so
            pass

    def ask(self, offset: int, length: int) -> None:
        """Queue the piece of ``length`` bytes at ``offset``."""
        self._send((offset, length))

    def done(self) -> None:
        """No more pieces: the worker ends after its last answer."""
        self._send(None)

    def answer(self) -> tuple[Any, ...] | None:
        """The next piece's answer; ``None`` if the worker has gone (crashed, killed)."""
        try:
            return tuple(pickle.load(self._out))
        except Exception:  # EOFError, UnpicklingError, OSError: hash in-process instead
            self.close()
            return None

    def close(self) -> None:
        """Stop the worker (if still running) and reap it: no process is left behind."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self._in, self._out):
            with contextlib.suppress(OSError):  # a broken pipe's flush
                pipe.close()

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start(path: Path) -> Worker | None:
    """A worker hashing pieces of ``path``, or ``None`` when one cannot start."""
    if not sys.executable:  # an embedded interpreter: hash in-process
        return None
    try:
        import orjson  # noqa: F401  (the worker needs it)

        return Worker(path)
    except (ImportError, OSError, ValueError):
        return None


def _widen(pipe: IO[bytes]) -> None:
    try:
        import fcntl

        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)  # Linux; else the default
    except (ImportError, AttributeError, OSError):
        pass

r"""Guards around every trace reader: safe file discovery, refused encodings, numbers, conforming.

One job: whatever a file or folder holds, ``load_traces`` either reads it or reports a typed
:class:`~evalkit.errors.TraceError` naming the file (and line), and carries on in
``errors="collect"`` mode. Concretely:

* folders: broken symbolic links, self-links and links back to a folder being read (``..``) are
  reported, not followed; each folder is read once;
* only regular files are opened: a named pipe, a socket or a device (``/dev/zero``) would block or
  never end, so they are reported instead;
* UTF-16 and UTF-32 files are recognised by their byte-order mark and refused, naming the encoding
  (every reader reads UTF-8);
* ``latency_ms``, ``input_tokens``, ``output_tokens`` and ``cost_usd`` are checked the same way for
  every reader: infinite or negative values and token counts beyond int64 are errors; NaN is
  missing (pandas' spelling of null);
* a row that cannot be stored (a lone surrogate such as ``"\\ud800"`` in any text) is reported
  with its line and field instead of aborting the whole load.
"""

from __future__ import annotations

import errno
import math
import os
import stat
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evalkit.errors import TraceError
from evalkit.traces._base import ErrorSink

#: canonical numeric column -> whether it holds whole numbers (token counts)
NUMBER_COLUMNS: dict[str, bool] = {
    "latency_ms": False,
    "input_tokens": True,
    "output_tokens": True,
    "cost_usd": False,
}
_INT64_MAX = 2**63 - 1
#: byte-order marks of encodings we refuse; UTF-32 first (its LE mark starts like UTF-16 LE's)
_WIDE_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xfe\x00\x00", "UTF-32 LE", "UTF-32LE"),
    (b"\x00\x00\xfe\xff", "UTF-32 BE", "UTF-32BE"),
    (b"\xff\xfe", "UTF-16 LE", "UTF-16LE"),
    (b"\xfe\xff", "UTF-16 BE", "UTF-16BE"),
)
_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a folder"),
)


def _report(sink: ErrorSink, path: Path, message: str, fmt: str | None = None) -> None:
    sink.add(TraceError(file=str(path), message=message, format=fmt))


# --------------------------------------------------------------------------- files and folders


def link_problem(path: Path) -> str | None:
    """Why a symbolic link cannot be followed (broken, or a loop), else ``None``."""
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    try:
        path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
            return f"symbolic link loop: {path.name} -> {target!r} leads back to itself; skipped"
        return f"broken symbolic link: points to {target!r}, which does not exist; skipped"
    return None


def walk(folder: Path, sink: ErrorSink, is_unit: Any, is_hidden: Any) -> Iterator[Path]:
    """Non-hidden files under ``folder`` (sorted, recursive), each folder read once.

    ``is_unit(path)`` says a folder is read as one unit (a saved Hugging Face dataset). Links that
    are broken or lead back to a folder already being read are reported to ``sink``. A folder with
    no trace file in it is reported too.
    """
    found = False
    for path in _walk(folder, sink, is_unit, is_hidden, seen=set(), parents=()):
        found = True
        yield path
    if not found:
        _report(
            sink,
            folder,
            "the folder holds no trace files (hidden files, whose names start with '.', are "
            "skipped)",
        )


def _walk(
    folder: Path,
    sink: ErrorSink,
    is_unit: Any,
    is_hidden: Any,
    *,
    seen: set[tuple[int, int]],
    parents: tuple[Path, ...],
) -> Iterator[Path]:
    try:
        real = folder.resolve(strict=True)
        st = os.stat(folder)
    except (OSError, RuntimeError) as exc:
        _report(sink, folder, f"cannot read the folder: {exc}")
        return
    seen.add((st.st_dev, st.st_ino))
    parents = (*parents, real)
    if is_unit(folder):
        yield folder
        return
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        _report(sink, folder, f"cannot list the folder: {exc}")
        return
    for entry in entries:
        if is_hidden(entry):
            continue
        if entry.is_symlink():
            problem = link_problem(entry)
            if problem is not None:
                _report(sink, entry, problem)
                continue
        try:
            st = os.stat(entry)
        except OSError as exc:
            _report(sink, entry, f"cannot read: {exc}")
            continue
        if not stat.S_ISDIR(st.st_mode):
            yield entry  # files, pipes and devices: read_file reports what is not a regular file
            continue
        target = entry.resolve()
        if (st.st_dev, st.st_ino) in seen or parents[-1].is_relative_to(target):
            _report(
                sink,
                entry,
                f"symbolic link loop: {entry.name} leads to {str(target)!r}, a folder that is "
                "already being read; skipped",
            )
            continue
        yield from _walk(entry, sink, is_unit, is_hidden, seen=seen, parents=parents)


def not_regular(path: Path) -> str | None:
    """Why ``path`` must not be opened (a pipe, device, socket...), else ``None``.

    Examples
    --------
    >>> not_regular(Path("/dev/null"))
    'not a regular file but a character device: not read (it could block or never end)'
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return f"cannot read: {exc}"
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return f"not a regular file but {kind}: not read (it could block or never end)"


def wide_encoding(head: bytes) -> str | None:
    r"""The message refusing a UTF-16/UTF-32 file (found by its byte-order mark), else ``None``.

    Examples
    --------
    >>> wide_encoding("\ufeffhi".encode("utf-16-le"))[:44]
    'the file is UTF-16 LE (it starts with a UTF-'
    >>> wide_encoding(b'{"a": 1}') is None
    True
    """
    for bom, name, codec in _WIDE_BOMS:
        if head.startswith(bom):
            return (
                f"the file is {name} (it starts with a {name} byte-order mark); evalkit reads "
                f"UTF-8 text: convert it first, e.g. `iconv -f {codec} -t UTF-8 in > out`"
            )
    return None


# --------------------------------------------------------------------------- numbers


def number_problem(value: Any, *, integer: bool) -> str | None:
    """Why a latency/token/cost value is not acceptable, else ``None`` (missing values are fine).

    Examples
    --------
    >>> number_problem(-5, integer=False)
    'must not be negative; got -5'
    >>> number_problem(float("inf"), integer=True)
    'must be a finite number; got inf'
    >>> number_problem(float("nan"), integer=False) is None  # NaN is missing
    True
    """
    if value is None or isinstance(value, bool):
        return None
    if hasattr(value, "item") and not isinstance(value, int | float):
        value = value.item()  # numpy scalar
    if not isinstance(value, int | float):
        return None  # not a number at all: the reader's own type check reports it
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return f"must be a finite number; got {value!r}"
    if value < 0:
        return f"must not be negative; got {value!r}"
    if integer and value > _INT64_MAX:
        digits = len(str(int(value)))
        shown = repr(value) if digits <= 30 else f"a {digits}-digit number"
        return f"is too large for a 64-bit token count (max {_INT64_MAX}); got {shown}"
    return None


def _where(row: Any) -> dict[str, Any]:
    src = row.get("source") if isinstance(row, dict) else None
    if not isinstance(src, dict):
        return {}
    line = src.get("line")
    return {
        "file": src.get("file"),
        "line": int(line) if isinstance(line, int | float) and line == line else None,
        "span_id": src.get("span_id"),
        "format": src.get("format"),
    }


_KEPT = "; kept with this value set to null"


def check_numbers(result: Any, sink: ErrorSink) -> Any:
    """Report (and drop) rows whose latency, tokens or cost are infinite, negative or too large.

    Under ``errors="warn"`` (``sink.keeps``) the row is kept with the bad value set to null.
    """
    if isinstance(result, list):
        keep = []
        for row in result:
            problem = None
            if isinstance(row, dict):
                for col, integer in NUMBER_COLUMNS.items():
                    problem = number_problem(row.get(col), integer=integer)
                    if problem is None:
                        continue
                    if sink.keeps:
                        sink.add(TraceError(field=col, message=problem + _KEPT, **_where(row)))
                        row[col] = None
                        problem = None
                        continue
                    sink.add(TraceError(field=col, message=problem, **_where(row)))
                    break
            if problem is None:
                keep.append(row)
        return keep
    return _check_frame(result, sink)


def _check_frame(frame: Any, sink: ErrorSink) -> Any:
    import numpy as np
    import pandas as pd

    if not isinstance(frame, pd.DataFrame) or frame.empty:
        return frame
    bad = np.zeros(len(frame), dtype=bool)
    for col, integer in NUMBER_COLUMNS.items():
        if col not in frame.columns:
            continue
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            hit = np.isinf(values) | (values < 0) | (integer & (values > _INT64_MAX))
        for pos in np.flatnonzero(hit & ~bad):
            row = {"source": frame["source"].iloc[pos]} if "source" in frame.columns else {}
            value = frame[col].iloc[pos]
            sink.add(
                TraceError(
                    field=col,
                    message=(number_problem(value, integer=integer) or f"got {value!r}")
                    + (_KEPT if sink.keeps else ""),
                    **_where(row),
                )
            )
        if sink.keeps and hit.any():
            frame = frame.copy()
            frame.loc[hit, col] = None
            continue
        bad |= hit
    return frame.loc[~bad].reset_index(drop=True) if bad.any() else frame


# --------------------------------------------------------------------------- conforming


def _bad_text(value: Any, path: str = "") -> str | None:
    """Dotted path of the first string (or key) that is not valid Unicode, else ``None``.

    Breadth first, so a top-level column is named before a copy of it nested deeper.
    """
    stack: deque[tuple[str, Any]] = deque([(path, value)])
    while stack:
        where, v = stack.popleft()
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return where or "(value)"
        elif isinstance(v, dict):
            for k, item in v.items():
                name = f"{where}.{k}" if where else str(k)
                if isinstance(k, str) and _bad_text(k) is not None:
                    return name
                stack.append((name, item))
        elif isinstance(v, list | tuple):
            stack.extend((f"{where}[{i}]", item) for i, item in enumerate(v))
    return None


def conform(result: Any, sink: ErrorSink, schema: Any) -> Any:
    """``schema.conform`` that reports rows it cannot store (lone surrogates...) one by one."""
    result = check_numbers(result, sink)
    try:
        return schema.conform(result)
    except (UnicodeError, OverflowError, ValueError, TypeError) as exc:
        first = exc
    rows = result if isinstance(result, list) else result.to_dict("records")
    keep = []
    for row in rows:
        try:
            schema.conform([row])
        except (UnicodeError, OverflowError, ValueError, TypeError) as exc:
            field = _bad_text(row)
            top = field.split(".")[0].split("[")[0] if field else None
            if field is not None:
                message = f"text is not valid Unicode (a lone surrogate) at {field}"
            else:
                message = f"the row cannot be stored: {type(exc).__name__}: {exc}"
            sink.add(TraceError(field=top, message=message, **_where(row)))
            continue
        keep.append(row)
    if len(keep) == len(rows):
        raise first  # not a row-level problem: let the caller report the file
    return schema.conform(keep)

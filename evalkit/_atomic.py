"""Atomic file writes: a temp file in the target's folder, fsync, ``os.replace``, fsync the folder.

A reader never sees a half-written file, and a crash leaves either the old file or the new one.
A writer killed mid-write (SIGKILL, power loss) cannot remove its temp file; the next successful
write of the same target removes such leftovers once they are older than :data:`STALE_AFTER`.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path

#: seconds after which a temp file beside a target is a leftover of a killed writer (a live
#: writer's temp file is younger: it is renamed as soon as it is written)
STALE_AFTER = 600.0


def _temp_name(target: Path) -> str:
    return f".{target.name}.{uuid.uuid4().hex[:8]}.tmp"


def remove_stale_temps(path: str | os.PathLike[str], *, older_than: float = STALE_AFTER) -> int:
    """Remove temp files a killed writer left beside ``path``; return how many were removed.

    Only names this module makes (``.<name>.<8 hex>.tmp``) that are older than ``older_than``
    seconds are touched, so a concurrent writer's fresh temp file is left alone.
    """
    target = Path(path)
    pattern = re.compile(rf"\.{re.escape(target.name)}\.[0-9a-f]{{8}}\.tmp")
    now = time.time()
    removed = 0
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return 0
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and now - entry.stat().st_mtime > older_than:
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue  # gone already, or not ours to remove
    return removed


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Write ``path`` atomically through ``write(tmp_path)``; return the final path.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = atomic_write(Path(d) / "x.txt", lambda tmp: tmp.write_text("hi"))
    ...     p.read_text(), sorted(q.name for q in Path(d).iterdir())
    ('hi', ['x.txt'])
    """
    target = Path(path)
    tmp = target.with_name(_temp_name(target))
    try:
        write(tmp)
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable
    finally:
        os.close(dir_fd)
    remove_stale_temps(target)
    return target


def atomic_write_text(path: str | os.PathLike[str], text: str, *, mode: int | None = None) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (newlines are written as given)."""

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        if mode is not None:
            os.chmod(tmp, mode)

    return atomic_write(path, write)

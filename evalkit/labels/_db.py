"""The label store's SQLite connection: open-time checks, pragmas, locking and retries.

One :class:`Database` wraps one ``sqlite3`` connection (autocommit mode, explicit transactions)
guarded by a re-entrant lock, so one store object can be used from several threads (the Jupyter
kernel thread and widget callbacks).
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from evalkit.labels._schema import (
    SCHEMA_VERSION,
    LabelStoreError,
    check_header,
    check_schema,
    ensure_schema,
)

_T = TypeVar("_T")
#: SQLite's own busy handler sleeps 1, 2, 5, 10 ... 100 ms between lock attempts, so a waiting
#: writer misses most moments the lock is free and one busy writer can starve the others. It only
#: waits this long (seconds); then :meth:`Database.retry` polls with short jittered sleeps.
BUSY_TIMEOUT = 0.005
_FIRST_DELAY, _MAX_DELAY = 0.0005, 0.02


def check_size(path: Path) -> None:
    """Raise :class:`LabelStoreError` if the file is shorter than its SQLite header says.

    SQLite has no checksums: a store cut short (a copy that stopped, a full disk during a copy)
    opens fine and then returns damaged rows. Its header gives the page size and, while valid,
    the number of pages; a file that is not a whole number of pages, or shorter than that count,
    was truncated.
    """
    if not path.exists():
        return  # a new store
    try:
        size = path.stat().st_size
        if size == 0:
            return  # what sqlite3 creates first: a new store
        with path.open("rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise LabelStoreError(f"cannot read label store {str(path)!r}: {exc}.") from exc
    problem = None
    if len(head) < 100:
        problem = f"it is {size} bytes, shorter than SQLite's 100-byte header"
    else:
        page = int.from_bytes(head[16:18], "big")
        page = 65536 if page == 1 else page
        pages = int.from_bytes(head[28:32], "big")
        header_valid = head[24:28] == head[92:96]
        if page < 512 or page & (page - 1):
            return  # not a page size at all: SQLite's own open check names the problem
        if size % page:
            problem = f"its {size} bytes are not a whole number of {page}-byte pages"
        elif header_valid and pages * page > size:
            problem = f"its header counts {pages} pages of {page} bytes but it holds {size} bytes"
    if problem is not None:
        raise LabelStoreError(
            f"label store {str(path)!r} is truncated or damaged: {problem}. Restore it from a "
            "backup (an interrupted copy is the usual cause)."
        )


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    msg = str(exc).lower()
    return "locked" in msg or "busy" in msg


class Database:
    """An open, checked label store file (WAL, ``synchronous=FULL``, foreign keys on).

    Raises
    ------
    LabelStoreError
        The file is a folder, not SQLite, a foreign SQLite file, newer than this evalkit, or
        unreadable.
    """

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self.lock = threading.RLock()
        check_header(path)
        check_size(path)
        try:
            conn = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise LabelStoreError(f"cannot open label store {str(path)!r}: {exc}.") from exc
        self.conn: sqlite3.Connection | None = conn
        try:
            self._open(conn)
        except BaseException:
            conn.close()
            self.conn = None
            raise

    def _open(self, conn: sqlite3.Connection) -> None:
        try:
            # Read-only identity check first: a foreign file must not even be switched to WAL.
            # One read transaction, so that the pragmas and tables come from one snapshot.
            def read_check() -> int | None:
                conn.execute("BEGIN")
                try:
                    return check_schema(conn, self.path)
                finally:
                    conn.execute("ROLLBACK")

            version = self.retry(read_check)
            mode = self.retry(lambda: conn.execute("PRAGMA journal_mode=WAL").fetchone()[0])
            if str(mode).lower() != "wal":
                raise LabelStoreError(
                    f"cannot use WAL journaling for label store {str(self.path)!r} "
                    f"(got {mode!r}); is it on a network filesystem?"
                )
            # FULL: the WAL is fsynced at every commit, so an acknowledged label also survives
            # a power loss (NORMAL would only survive a process or kernel crash).
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            if version != SCHEMA_VERSION:  # new file or migration: needs the write lock
                self.write(lambda c: ensure_schema(c, self.path))
        except sqlite3.DatabaseError as exc:
            raise LabelStoreError(
                f"{str(self.path)!r} is not a readable evalkit label store: {exc}."
            ) from exc

    def connection(self) -> sqlite3.Connection:
        """Return the open connection, or raise if the store was closed."""
        if self.conn is None:
            raise LabelStoreError(f"label store {str(self.path)!r} is closed.")
        return self.conn

    def retry(self, fn: Callable[[], _T]) -> _T:
        """Run ``fn``, retrying on SQLITE_BUSY / locked with jittered backoff for ``timeout`` s."""
        deadline = time.monotonic() + self.timeout
        delay = _FIRST_DELAY
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    raise
                if time.monotonic() > deadline:
                    raise LabelStoreError(
                        f"label store {str(self.path)!r} stayed locked by another writer for "
                        f"more than {self.timeout:g} s: {exc}."
                    ) from exc
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 1.5, _MAX_DELAY)

    def write(self, fn: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``fn`` in one ``BEGIN IMMEDIATE`` transaction; committed (fsynced) on return."""
        with self.lock:
            conn = self.connection()

            def attempt() -> _T:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                return result

            try:
                return self.retry(attempt)
            except sqlite3.Error as exc:  # disk full, read-only file, I/O error...
                raise LabelStoreError(
                    f"cannot write to label store {str(self.path)!r}: {exc}."
                ) from exc

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query (its own read snapshot) and return all rows."""
        with self.lock:
            conn = self.connection()
            try:
                return self.retry(lambda: conn.execute(sql, params).fetchall())
            except sqlite3.Error as exc:
                raise LabelStoreError(
                    f"cannot read label store {str(self.path)!r}: {exc}."
                ) from exc

    def stamp(self) -> tuple[int, int]:
        """Changes since the last call differ when anyone committed a write: a cache key.

        ``total_changes`` counts this connection's own writes; ``PRAGMA data_version`` changes
        when another connection (another store object or process) commits.
        """
        with self.lock:
            conn = self.connection()
            version = self.retry(lambda: conn.execute("PRAGMA data_version").fetchone()[0])
            return conn.total_changes, int(version)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self.lock:
            if self.conn is not None:
                self.conn.close()
                self.conn = None

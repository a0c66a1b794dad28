"""A content hash of a SQLite label store that covers its write-ahead log.

Hashing the main file misses labels committed to the WAL but not yet checkpointed, and changes
when a checkpoint moves pages although no label changed. :func:`store_sha256` instead reads one
consistent snapshot (a single read transaction on a read-only connection, which sees the WAL)
and hashes its content: every table's ``CREATE`` statement and rows in ``rowid`` order.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"
#: recorded in the manifest next to the digest, so anyone can recompute it
METHOD = ("sqlite-content-v1: sha256 over (name, sql) of each table in name order, then repr of "
          "each row in rowid order, read in one transaction (WAL included)")


def is_sqlite(path: Path) -> bool:
    """Whether ``path`` starts with the SQLite header."""
    try:
        with path.open("rb") as fh:
            return fh.read(16) == SQLITE_MAGIC
    except OSError:
        return False


def store_sha256(path: Path) -> str:
    """Hex sha256 of the store's content in one snapshot (committed WAL frames included).

    Examples
    --------
    >>> import tempfile, os
    >>> from evalkit.labels import LabelStore
    >>> p = os.path.join(tempfile.mkdtemp(), "l.sqlite")
    >>> s = LabelStore(p)
    >>> before = store_sha256(Path(p))
    >>> _ = s.record("t1", annotator="a", field="verdict", value="pass")
    >>> store_sha256(Path(p)) != before
    True
    """
    h = hashlib.sha256()
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        conn.execute("BEGIN")  # one snapshot for every read below
        tables = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        for name, sql in tables:
            h.update(repr((name, sql)).encode())
            quoted = '"' + str(name).replace('"', '""') + '"'
            try:
                cur = conn.execute(f"SELECT * FROM {quoted} ORDER BY rowid")
            except sqlite3.OperationalError:  # WITHOUT ROWID: its primary key orders it
                cur = conn.execute(f"SELECT * FROM {quoted}")
            while rows := cur.fetchmany(10_000):
                for row in rows:
                    h.update(repr(row).encode())
                    h.update(b"\n")
        conn.rollback()
    finally:
        conn.close()
    return h.hexdigest()

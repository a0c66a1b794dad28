"""The label store's on-disk schema: DDL, version stamp, and the open-time checks.

A label store file is a SQLite database carrying three marks of identity, so that a foreign
file is never mistaken for one (or silently written into):

* ``PRAGMA application_id`` = :data:`APPLICATION_ID` (in the 100-byte file header),
* ``PRAGMA user_version`` = the schema version,
* a ``meta`` table with ``application = 'evalkit.LabelStore'`` and ``schema_version``.

Label rows live in the append-only ``events`` table; triggers refuse UPDATE and DELETE so that
history cannot be rewritten even through the raw SQL interface. The ``latest`` view derives the
current value per ``(trace_id, annotator, field)`` with a window function.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from evalkit.errors import EvalkitError

APPLICATION = "evalkit.LabelStore"
#: ``PRAGMA application_id``: the ASCII bytes ``EVKL``.
APPLICATION_ID = 0x45564B4C
#: Schema version written by (and the newest readable by) this evalkit.
SCHEMA_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"


class LabelStoreError(EvalkitError):
    """The label store file cannot be opened or written (foreign file, newer schema, I/O error).

    The message names the file and what was found in it.
    """


_DDL_V1 = f"""
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE fields (
    name TEXT PRIMARY KEY,
    spec TEXT NOT NULL            -- JSON: {{"kind": ..., "choices": [...], "low": .., "high": ..}}
) STRICT;

-- Append-only event log. `seq` is the commit order; `event_id` is a globally unique id that
-- survives exports and merges. Undo events have kind = 'undo' and name the retracted event.
CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('label', 'undo')),
    trace_id   TEXT NOT NULL,
    annotator  TEXT NOT NULL,
    field      TEXT NOT NULL,
    value      TEXT,                 -- JSON-encoded; NULL for undo events
    note       TEXT,
    source     TEXT NOT NULL,
    created_at TEXT NOT NULL,        -- ISO 8601 UTC, microseconds, 'Z' suffix
    retracts   TEXT REFERENCES events (event_id),
    CHECK ((kind = 'undo') = (retracts IS NOT NULL))
) STRICT;

CREATE INDEX events_key ON events (trace_id, annotator, field, seq);
CREATE INDEX events_annotator ON events (annotator, seq);
CREATE UNIQUE INDEX events_retracts ON events (retracts) WHERE retracts IS NOT NULL;

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'evalkit label events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'evalkit label events are append-only'); END;

-- Label events with an `undone` flag (1 when a later undo event retracts them).
CREATE VIEW label_events AS
SELECT e.seq, e.event_id, e.trace_id, e.annotator, e.field, e.value, e.note, e.source,
       e.created_at, (u.seq IS NOT NULL) AS undone
FROM events AS e LEFT JOIN events AS u ON u.retracts = e.event_id
WHERE e.kind = 'label';

-- Current value per (trace_id, annotator, field): the last label event not undone.
CREATE VIEW latest AS
SELECT seq, event_id, trace_id, annotator, field, value, note, source, created_at
FROM (
    SELECT *, row_number() OVER (
        PARTITION BY trace_id, annotator, field ORDER BY seq DESC
    ) AS rn
    FROM label_events WHERE NOT undone
)
WHERE rn = 1;

INSERT INTO meta (key, value) VALUES
    ('application', '{APPLICATION}'),
    ('schema_version', '{SCHEMA_VERSION}');
PRAGMA application_id = {APPLICATION_ID};
PRAGMA user_version = {SCHEMA_VERSION};
"""

#: Migrations: ``MIGRATIONS[v]`` upgrades a version-``v`` file to ``v + 1``. None yet.
MIGRATIONS: dict[int, str] = {}


def check_header(path: Path) -> None:
    """Raise :class:`LabelStoreError` if ``path`` is a folder or a file that is not SQLite."""
    if path.is_dir():
        raise LabelStoreError(f"label store {str(path)!r} is a directory, not a file.")
    if not path.exists():
        if not path.parent.is_dir():
            raise LabelStoreError(
                f"cannot create label store {str(path)!r}: "
                f"folder {str(path.parent)!r} does not exist."
            )
        return
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    # An empty file is what sqlite3 itself creates first; treat it as a new store.
    if head and head != SQLITE_MAGIC:
        raise LabelStoreError(
            f"{str(path)!r} is not an evalkit label store: it is not an SQLite database "
            f"(file starts with {head!r}, expected {SQLITE_MAGIC!r})."
        )


def _tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def check_schema(conn: sqlite3.Connection, path: Path) -> int | None:
    """Return the file's schema version (``None`` for an empty database) without writing.

    Raises
    ------
    LabelStoreError
        The file holds other tables without evalkit's meta table, or was written by a newer
        schema version than this evalkit reads.
    """
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = _tables(conn)
    if not tables and app_id == 0 and version == 0:
        return None
    meta: dict[str, str] = {}
    if "meta" in tables:
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError:
            meta = {}
    if app_id != APPLICATION_ID or meta.get("application") != APPLICATION:
        raise LabelStoreError(
            f"{str(path)!r} is an SQLite database but not an evalkit label store: found "
            f"tables {tables}, application_id {app_id:#x}, and no evalkit meta table "
            f"(expected application {APPLICATION!r})."
        )
    if version > SCHEMA_VERSION:
        raise LabelStoreError(
            f"{str(path)!r} was written by a newer evalkit: label store schema version {version}, "
            f"but this evalkit reads versions up to {SCHEMA_VERSION}. Upgrade evalkit to open it."
        )
    return int(version)


def ensure_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Create the schema in an empty database, migrate an older one, or check a current one.

    Must run inside a write transaction (``BEGIN IMMEDIATE``) so that several processes opening a
    new file at once create the schema exactly once.
    """
    version = check_schema(conn, path)
    if version is None:
        for statement in _split(_DDL_V1):
            conn.execute(statement)
        return
    while version < SCHEMA_VERSION:
        if version not in MIGRATIONS:
            raise LabelStoreError(
                f"{str(path)!r} has label store schema version {version}, which this evalkit "
                f"cannot migrate (known versions: 1..{SCHEMA_VERSION})."
            )
        for statement in _split(MIGRATIONS[version]):
            conn.execute(statement)
        version += 1
        conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))


def _split(script: str) -> list[str]:
    """Split a DDL script into complete statements (triggers contain inner semicolons)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out

"""On-disk identity of a label store: version stamp, pragmas, foreign and newer files."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from evalkit.errors import EvalkitError
from evalkit.labels._schema import APPLICATION, APPLICATION_ID, SCHEMA_VERSION
from evalkit.store import LabelStore, LabelStoreError


def test_new_file_is_stamped(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    LabelStore(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID == 0x45564B4C
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 1
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert dict(conn.execute("SELECT key, value FROM meta")) == {
        "application": APPLICATION,
        "schema_version": "1",
    }
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")}
    assert {"events", "meta", "fields", "latest", "label_events"} <= names
    conn.close()


def test_connection_pragmas(tmp_path: Path) -> None:
    with LabelStore(tmp_path / "l.sqlite", timeout=7.5) as s:
        conn = s._conn
        assert conn is not None
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        # SQLite's own wait is short; evalkit's jittered retry loop waits up to `timeout`
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5
        assert s.timeout == 7.5
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopen_keeps_labels(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with LabelStore(path) as s:
        s.record("t1", annotator="a", field="verdict", value="fail")
    with LabelStore(str(path)) as s:
        assert s.labels()["value"].tolist() == ["fail"]


def test_empty_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()
    with LabelStore(path) as s:
        s.record("t1", annotator="a", field="verdict", value="pass")


def test_not_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("trace_id,verdict\nt1,pass\n")
    with pytest.raises(
        LabelStoreError,
        match=r"'.*labels\.csv' is not an evalkit label store: it is not an SQLite database "
        r"\(file starts with b'trace_id,verdict",
    ):
        LabelStore(path)
    assert path.read_text() == "trace_id,verdict\nt1,pass\n"


def test_foreign_sqlite_file_is_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER, name TEXT)")
    conn.execute("CREATE TABLE orders (id INTEGER)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(
        LabelStoreError,
        match=r"'.*other\.db' is an SQLite database but not an evalkit label store: "
        r"found tables \['orders', 'users'\], application_id 0x0, and no evalkit meta table",
    ) as info:
        LabelStore(path)
    assert isinstance(info.value, EvalkitError)
    assert path.read_bytes() == before  # not switched to WAL, nothing written
    assert not Path(str(path) + "-wal").exists()


def test_foreign_file_with_a_meta_table(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('application', 'someone-else')")
    conn.commit()
    conn.close()
    with pytest.raises(
        LabelStoreError, match=r"not an evalkit label store: found tables \['meta'\]"
    ):
        LabelStore(path)


def test_newer_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    LabelStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(
        LabelStoreError,
        match=r"'.*l\.sqlite' was written by a newer evalkit: label store schema version 2, "
        r"but this evalkit reads versions up to 1",
    ):
        LabelStore(path)


def test_older_unknown_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    LabelStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 0")
    conn.commit()
    conn.close()
    with pytest.raises(
        LabelStoreError,
        match=r"has label store schema version 0, which this evalkit cannot migrate",
    ):
        LabelStore(path)


def test_directory_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(LabelStoreError, match=r"label store '.*' is a directory, not a file\."):
        LabelStore(tmp_path)
    with pytest.raises(
        LabelStoreError,
        match=r"cannot create label store '.*nope.*l\.sqlite': folder '.*nope' does not exist\.",
    ):
        LabelStore(tmp_path / "nope" / "l.sqlite")


def test_corrupt_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.sqlite"
    # a valid magic followed by garbage: SQLite itself refuses it
    path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    with pytest.raises(
        LabelStoreError, match=r"'.*bad\.sqlite' is not a readable evalkit label store"
    ):
        LabelStore(path)


def test_many_stores_opening_a_new_file_at_once(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "new.sqlite"
    errors: list[BaseException] = []
    stores: list[LabelStore] = []
    barrier = threading.Barrier(6)

    def open_it() -> None:
        try:
            barrier.wait()
            s = LabelStore(path)
            s.record("t", annotator=f"a{threading.get_ident()}", field="verdict", value="pass")
            stores.append(s)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(stores[0].labels()) == 6
    for s in stores:
        s.close()


def test_writer_waits_for_a_held_lock(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "l.sqlite"
    LabelStore(path).close()
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
    with LabelStore(path, timeout=10) as s:
        t0 = time.monotonic()
        s.record("t1", annotator="a", field="verdict", value="pass")
        assert time.monotonic() - t0 >= 0.2  # it waited, then committed
        assert len(s.labels()) == 1
    other.close()


def test_writer_gives_up_after_timeout(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    LabelStore(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with LabelStore(path, timeout=0.3) as s:
            with pytest.raises(
                LabelStoreError,
                match=r"label store '.*l\.sqlite' stayed locked by another writer for more than "
                r"0\.3 s: database is locked\.",
            ):
                s.record("t1", annotator="a", field="verdict", value="pass")
            assert s.labels().empty  # readers are not blocked by the writer (WAL)
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_write_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    LabelStore(path).close()
    with LabelStore(path) as s:
        assert s._conn is not None
        s._conn.execute("PRAGMA query_only = ON")  # stands in for a read-only disk
        with pytest.raises(LabelStoreError, match=r"cannot write to label store '.*l\.sqlite': "):
            s.record("t1", annotator="a", field="verdict", value="pass")

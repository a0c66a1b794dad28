"""Hostile store input (issue 12 item 9 and the export half of "decide and document").

A damaged store file is a :class:`LabelStoreError` naming the file; text that is not valid Unicode
is an :class:`InvalidLabelError` naming the argument; an export that cannot be written (full disk)
is a :class:`LabelStoreError` naming the path, leaves the old export intact and no temp file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.errors import EvalkitError
from evalkit.store import InvalidLabelError, LabelStore, LabelStoreError


def _filled(path: Path, n: int = 300) -> Path:
    with LabelStore(path) as s:
        s.record_many(
            [
                {
                    "trace_id": f"t{i}",
                    "annotator": "a",
                    "field": "verdict",
                    "value": "pass",
                    "note": "x" * 200,
                }
                for i in range(n)
            ]
        )
    return path


@pytest.mark.parametrize("cut", [1, 7, 4096])
def test_truncated_store_file_is_a_store_error(tmp_path: Path, cut: int) -> None:
    good = _filled(tmp_path / "good.sqlite")
    data = good.read_bytes()
    assert len(data) > 3 * 4096  # several pages, so the cut leaves a header
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(data[:-cut])
    with pytest.raises(LabelStoreError, match=r"bad\.sqlite.*truncated"), LabelStore(bad) as s:
        s.labels()
        s.export(tmp_path / "out.csv")


def test_malformed_stored_values_are_store_errors(tmp_path: Path) -> None:
    """A value damaged inside the file (no size change) fails reading with the file's name."""
    import sqlite3

    path = _filled(tmp_path / "s.sqlite", n=3)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA ignore_check_constraints=ON")
    conn.execute("DROP TRIGGER IF EXISTS events_no_update")
    triggers = conn.execute("SELECT name FROM sqlite_schema WHERE type='trigger'").fetchall()
    for (name,) in triggers:
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE events SET created_at = '2026-11-29T14:0x' WHERE seq = 2")
    conn.commit()
    conn.close()
    with LabelStore(path) as s:
        with pytest.raises(LabelStoreError, match=r"s\.sqlite.*created_at"):
            s.labels()
        with pytest.raises(LabelStoreError, match=r"s\.sqlite"):
            s.export(tmp_path / "out.jsonl")


@pytest.mark.parametrize(
    ("kwargs", "arg"),
    [
        ({"trace_id": "t\ud800"}, "trace_id"),
        ({"annotator": "\udfff"}, "annotator"),
        ({"note": "bad \ud800 note"}, "note"),
        ({"source": "judge:\ud800"}, "source"),
        ({"field": "note", "value": "\ud800"}, "value"),
        ({"field": "open_codes", "value": ["ok", "\udc80"]}, "value"),
    ],
)
def test_lone_surrogates_are_invalid_labels(
    tmp_path: Path, kwargs: dict[str, Any], arg: str
) -> None:
    call = {"trace_id": "t1", "annotator": "a", "field": "verdict", "value": "pass"} | kwargs
    with LabelStore(tmp_path / "s.sqlite") as s:
        with pytest.raises(InvalidLabelError, match=f"`{arg}`.*not valid Unicode"):
            s.record(**call)
        with pytest.raises(InvalidLabelError, match="not valid Unicode"):
            s.record_many([call])
        assert s.labels().empty
        s.record("t1", annotator="a", field="verdict", value="pass")  # the store still works


def test_lone_surrogate_in_a_filter_is_an_invalid_label(tmp_path: Path) -> None:
    with (
        LabelStore(tmp_path / "s.sqlite") as s,
        pytest.raises(InvalidLabelError, match=r"`annotator`.*not valid Unicode"),
    ):
        s.labels(annotator="\ud800")


#: any text, lone surrogates (category Cs) included
TEXT = st.text(st.characters(exclude_categories=()), max_size=6) | st.sampled_from(
    ["\ud800", "a\udfff"]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    trace_id=TEXT,
    annotator=TEXT,
    field=st.sampled_from(["verdict", "note", "open_codes", "severity", "nope"]),
    value=st.none() | TEXT | st.integers() | st.lists(TEXT, max_size=3),
    note=st.none() | TEXT,
)
def test_record_fuzz_only_typed_errors(
    tmp_path: Path, trace_id: str, annotator: str, field: str, value: Any, note: str | None
) -> None:
    with LabelStore(tmp_path / "fuzz.sqlite") as s:
        with contextlib.suppress(EvalkitError):  # only typed errors may escape
            s.record(trace_id, annotator=annotator, field=field, value=value, note=note)
        s.labels()


# --------------------------------------------------------------------------- exports


def test_full_disk_export_is_a_store_error_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _filled(tmp_path / "s.sqlite", n=5)
    out = tmp_path / "exports" / "labels.csv"
    out.parent.mkdir()
    with LabelStore(path) as s:
        s.export(out)
        before = out.read_bytes()
        s.record("t-new", annotator="b", field="verdict", value="fail")

        real_fsync = os.fsync

        def full_disk(fd: int) -> None:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(os, "fsync", full_disk)
        for fmt in ("csv", "jsonl", "parquet"):
            target = out.with_suffix(f".{fmt}") if fmt != "csv" else out
            with pytest.raises(LabelStoreError, match=f"{target.name}.*No space left"):
                s.export(target)
        monkeypatch.setattr(os, "fsync", real_fsync)
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["labels.csv"]


def test_export_to_a_folder_path_is_a_store_error(tmp_path: Path) -> None:
    path = _filled(tmp_path / "s.sqlite", n=2)
    (tmp_path / "taken.csv").mkdir()
    with LabelStore(path) as s, pytest.raises(LabelStoreError, match=r"taken\.csv"):
        s.export(tmp_path / "taken.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.sqlite", "taken.csv"]


def test_leftover_temp_files_of_a_killed_export_are_cleaned(tmp_path: Path) -> None:
    path = _filled(tmp_path / "s.sqlite", n=2)
    out = tmp_path / "exports"
    out.mkdir()
    stale = out / ".labels.csv.0123abcd.tmp"  # what a SIGKILLed export leaves behind
    fresh = out / ".labels.csv.89abcdef.tmp"  # a concurrent export still writing
    other = out / ".notes.csv.0123abcd.tmp"  # another target's temp file
    for p in (stale, fresh, other):
        p.write_text("partial")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    os.utime(other, (hour_ago, hour_ago))
    with LabelStore(path) as s:
        s.export(out / "labels.csv")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".labels.csv.89abcdef.tmp", ".notes.csv.0123abcd.tmp", "labels.csv"]
    )


def test_interrupted_export_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _filled(tmp_path / "s.sqlite", n=2)
    out = tmp_path / "exports"
    out.mkdir()

    def boom(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with LabelStore(path) as s, pytest.raises(KeyboardInterrupt):
        s.export(out / "labels.csv")
    assert list(out.iterdir()) == []

"""LabelStore.extension_table: an append-only table of another stage inside the store file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.labels import AppendOnlyTable, InvalidLabelError, LabelStore, LabelStoreError


def test_append_select_and_refusals(tmp_path: Path) -> None:
    path = tmp_path / "labels.sqlite"
    with LabelStore(path) as store:
        t = store.extension_table("notes", {"who": "TEXT", "n": "INTEGER"}, unique=("who",))
        assert isinstance(t, AppendOnlyTable) and not t.exists() and t.select() == []
        t.append({"who": "ann", "n": 1})
        t.append({"who": "bob", "n": 2})
        assert t.select() == [(1, "ann", 1), (2, "bob", 2)]
        assert t.select("n > ?", (1,), columns=["who"]) == [("bob",)]
        with pytest.raises(LabelStoreError, match=r"UNIQUE constraint failed: notes\.who"):
            t.append({"who": "ann", "n": 3})
        with pytest.raises(LabelStoreError, match=r"cannot store TEXT value in INTEGER column"):
            t.append({"who": "cy", "n": "many"})
        conn = store._conn
        assert conn is not None
        for sql in ("UPDATE notes SET n = 9", "DELETE FROM notes"):
            with pytest.raises(sqlite3.IntegrityError, match="evalkit notes rows are append-only"):
                conn.execute(sql)

        def check_then_append(tx):  # type: ignore[no-untyped-def]
            assert tx.select("who = ?", ("ann",), columns=["n"]) == [(1,)]
            tx.append({"who": "dan", "n": 4})
            raise RuntimeError("changed my mind")

        with pytest.raises(RuntimeError):
            t.write(check_then_append)
        assert [r[1] for r in t.select()] == ["ann", "bob"]  # rolled back
    with LabelStore(path) as again:  # survives reopening; the label schema check still passes
        t2 = again.extension_table("notes", {"who": "TEXT", "n": "INTEGER"}, unique=("who",))
        assert len(t2.select()) == 2
        assert again.labels().empty


def test_bad_declarations_and_rows(tmp_path: Path) -> None:
    with LabelStore(tmp_path / "l.sqlite") as store:
        with pytest.raises(
            InvalidLabelError, match=r"`name` must be a lowercase SQL name.*'events'"
        ):
            store.extension_table("events", {"a": "TEXT"})
        with pytest.raises(InvalidLabelError, match=r"got 'x; drop'"):
            store.extension_table("x; drop", {"a": "TEXT"})
        with pytest.raises(InvalidLabelError, match=r"type must be one of .*got 'VARCHAR'"):
            store.extension_table("t", {"a": "VARCHAR"})
        with pytest.raises(InvalidLabelError, match=r"column name 'seq'"):
            store.extension_table("t", {"seq": "TEXT"})
        with pytest.raises(InvalidLabelError, match=r"`unique` names unknown columns \['b'\]"):
            store.extension_table("t", {"a": "TEXT"}, unique=("b",))
        t = store.extension_table("t", {"a": "TEXT"})
        with pytest.raises(
            InvalidLabelError, match=r"needs exactly the columns \['a'\]; got \['b'\]"
        ):
            t.append({"b": "x"})
        with pytest.raises(InvalidLabelError, match=r"has no columns \['zz'\]"):
            t.append({"a": "x"}) or t.select(columns=["zz"])


@settings(max_examples=40, deadline=None)
@given(
    name=st.text(max_size=8),
    columns=st.dictionaries(
        st.text(max_size=5), st.sampled_from(["TEXT", "INT", "ANY"]), max_size=3
    ),
)
def test_fuzz_declaration(
    tmp_path_factory: pytest.TempPathFactory, name: str, columns: dict[str, str]
) -> None:
    store = LabelStore(tmp_path_factory.mktemp("x") / "l.sqlite")
    try:
        t = store.extension_table(name, columns)
    except InvalidLabelError:
        return
    finally:
        store.close()
    assert t.name == name

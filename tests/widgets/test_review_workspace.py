"""Issue 15, kernel side: d keeps a verdict, D finds deferred traces, all-done, the queue table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from evalkit.store import LabelStore
from evalkit.traces.schema import to_canonical
from evalkit.widgets.annotator import Annotator


def _traces(n: int = 6) -> pd.DataFrame:
    return to_canonical(
        [
            {
                "trace_id": f"t{i}",
                "input": f"question {i} about {'refunds' if i % 2 else 'passwords'}",
                "output": f"answer {i}",
                "segment": "billing" if i % 2 else "account",
            }
            for i in range(n)
        ]
    )


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = LabelStore(tmp_path / "labels.sqlite")
    yield s
    s.close()


def test_defer_keeps_a_fail_and_moves_on(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="a")
    ann.press("2")
    ann.press("d")
    assert ann.current == "t1"
    assert "Kept your fail on t0" in ann.state["message"]
    events = store.labels(annotator="a", latest=False)
    assert events[["trace_id", "value"]].to_numpy().tolist() == [["t0", "fail"]]
    ann.press("d")  # an unlabeled trace is deferred as before
    assert store.labels(annotator="a", field="verdict")["value"].tolist() == ["fail", "defer"]


def test_next_deferred_wraps_and_says_when_there_is_none(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="a")
    ann.press("D")
    assert "No deferred traces" in ann.state["message"] and ann.current == "t0"
    for key in ["d", "1", "d", "1", "1"]:  # t0 defer, t1 pass, t2 defer, t3 pass, t4 pass
        ann.press(key)
    assert ann.current == "t5"
    ann.press("D")
    assert ann.current == "t0"  # wrapped around
    ann.press("D")
    assert ann.current == "t2"
    ann.filter(segment="billing")  # t1, t3, t5: none deferred
    assert ann.next_deferred() is None


def test_all_done_state(store: LabelStore) -> None:
    ann = Annotator(_traces(3), store, annotator="a")
    ann.press("1")
    ann.press("d")
    assert not ann.state["all_done"]
    ann.press("1")
    assert not ann.state["all_done"]  # t1 still deferred
    ann.press("D")
    ann.press("2")
    assert ann.state["all_done"]
    assert "All done: all 3 traces" in ann.state["message"]


def test_table_status_segment_search_and_blind(store: LabelStore) -> None:
    store.record("t1", annotator="bob", field="verdict", value="fail")
    store.record("t3", annotator="bob", field="verdict", value="pass")
    ann = Annotator(_traces(), store, annotator="a")
    ann.press("1")  # t0 pass
    ann.press("2")  # t1 fail
    ann.set_note("Invented a REFUND window")
    ann.press("j")
    ann.press("d")  # t2 deferred
    table = ann.table()
    assert table.columns.tolist() == [
        "position", "trace_id", "status", "segment", "others", "input", "output", "note"
    ]  # fmt: skip
    assert table["status"].tolist() == ["pass", "fail", "deferred", "to do", "to do", "to do"]
    assert table["segment"].tolist()[:2] == ["account", "billing"]
    # blind: bob's verdict on t3 stays hidden until this annotator passes or fails t3
    assert table.set_index("trace_id")["others"].to_dict() == {
        "t0": "", "t1": "bob: fail", "t2": "", "t3": "hidden (blind)", "t4": "", "t5": ""
    }  # fmt: skip
    assert "bob" not in ann.table().to_string().replace("bob: fail", "")
    # search: input, output and notes, case-insensitive
    assert ann.table(search="REFUNDS")["trace_id"].tolist() == ["t1", "t3", "t5"]
    assert ann.table(search="answer 4")["trace_id"].tolist() == ["t4"]
    assert ann.table(search="refund window")["trace_id"].tolist() == ["t1"]  # the note
    assert ann.table(search="<nothing>").empty
    seeing = Annotator(_traces(), store, annotator="c", blind=False)
    assert seeing.table().set_index("trace_id").loc["t3", "others"] == "bob: pass"
    with pytest.raises(TypeError, match="`search` must be a string or None; got int"):
        ann.table(search=3)  # type: ignore[arg-type]


def test_table_messages_and_open(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="a")
    ann.filter(segment="billing")
    ann._on_msg(None, {"type": "table", "search": "", "offset": None, "view": "v", "seq": 1}, None)
    page = ann.table_state
    assert page["total"] == 6 and page["matched"] == 6 and len(page["rows"]) == 6
    assert [r["current"] for r in page["rows"]] == [False, True, False, False, False, False]
    ann._on_msg(None, {"type": "table", "search": "passwords", "view": "v", "seq": 2}, None)
    assert [r["trace_id"] for r in ann.table_state["rows"]] == ["t0", "t2", "t4"]
    # opening a trace outside the filtered view clears the filter
    ann._on_msg(None, {"type": "open", "target": "t2", "view": "v", "seq": 3}, None)
    assert ann.current == "t2" and ann.table_state == {} and not ann.state["filtered"]
    assert ann.errors == []
    with pytest.raises(ValueError, match="`trace_id` 'nope' is not in this annotator's queue"):
        ann.open_trace("nope")


def test_fuzz_table_search_never_raises(tmp_path: Path) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    with LabelStore(tmp_path / "fuzz.sqlite") as s:
        ann = Annotator(_traces(), s, annotator="a")

        @settings(max_examples=60, deadline=None)
        @given(st.text(max_size=12))
        def check(q: str) -> None:
            frame = ann.table(search=q)
            assert set(frame["trace_id"]) <= set(ann.queue)

        check()

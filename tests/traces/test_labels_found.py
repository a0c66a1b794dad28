"""Labels found in trace files: routed to the label store, hidden from blind review."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.traces import load_traces
from evalkit.traces.labels_found import (
    LABEL_LIKE_KEYS,
    hide_label_like,
    is_label_like,
    labels_in_traces,
)


def _csv(tmp_path: Path) -> Path:
    path = tmp_path / "homework.csv"
    path.write_text(
        "trace_id,input,output,region,label,Notes\n"
        "t1,Refund?,No.,eu,fail,refused a valid refund\n"
        "t2,Hours?,9-5,us,pass,\n"
        "t3,Hi,Hello,eu,,\n"
    )
    return path


def test_labels_in_a_trace_file_are_routed_to_the_store(tmp_path: Path) -> None:
    from evalkit.labels import LabelStore

    df = load_traces(_csv(tmp_path))
    assert df["metadata"].iloc[0]["label"] == "fail"  # kept by the loader: nothing dropped
    events = labels_in_traces(df, {"label": "verdict", "Notes": "note"})
    store = LabelStore(tmp_path / "labels.sqlite")
    try:
        assert store.record_many(events) == 2
        got = store.labels()
    finally:
        store.close()
    rows = got.sort_values("trace_id")
    assert rows["trace_id"].tolist() == ["t1", "t2"]
    assert rows["field"].tolist() == ["verdict", "verdict"]
    assert rows["value"].tolist() == ["fail", "pass"]
    assert rows["note"].tolist()[0] == "refused a valid refund"
    assert set(rows["annotator"]) == {"trace-file"}


def test_blind_review_keys_are_hidden(tmp_path: Path) -> None:
    df = load_traces(_csv(tmp_path))
    shown = hide_label_like(df["metadata"].iloc[0])
    assert "label" not in shown and "Notes" not in shown
    assert shown.get("region") == "eu"
    assert {"label", "verdict", "notes", "reasoning"} <= LABEL_LIKE_KEYS
    assert not is_label_like("region") and is_label_like("Human Label")


def test_a_mistyped_key_is_an_error(tmp_path: Path) -> None:
    df = load_traces(_csv(tmp_path))
    with pytest.raises(ValueError, match="'lable'"):
        labels_in_traces(df, {"lable": "verdict"})
    with pytest.raises(ValueError, match="at least one"):
        labels_in_traces(df, {})


_meta = st.dictionaries(
    st.sampled_from(["label", "Notes", "region", "score", "x"]),
    st.none() | st.text(max_size=5) | st.integers() | st.floats(allow_nan=True),
    max_size=4,
)


@settings(max_examples=100, deadline=None)
@given(
    metas=st.lists(_meta | st.none(), max_size=5),
    fields=st.dictionaries(
        st.sampled_from(["label", "Notes", "score", "nope"]),
        st.sampled_from(["verdict", "note", "score"]),
        max_size=3,
    ),
)
def test_fuzz_labels_in_traces(metas, fields) -> None:
    import pandas as pd

    df = pd.DataFrame({"trace_id": [f"t{i}" for i in range(len(metas))], "metadata": metas})
    try:
        events = labels_in_traces(df, fields)
    except ValueError:
        return
    keys = {"trace_id", "annotator", "field", "value", "note", "source"}
    assert all(set(e) == keys and e["value"] is not None for e in events)
    for m in metas:
        assert not any(is_label_like(k) for k in hide_label_like(m) or {})

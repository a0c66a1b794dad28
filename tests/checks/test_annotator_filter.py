"""Check labels in the Annotator: filter on ``check:`` sources; the store's cached verdict frame."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import evalkit
from evalkit import checks
from evalkit.labels import LabelStore
from evalkit.traces.schema import to_canonical
from evalkit.widgets.annotator import Annotator


def _traces(n: int = 6) -> pd.DataFrame:
    return to_canonical([{"trace_id": f"t{i}", "input": f"q{i}",
                          "output": '{"answer": 1}' if i % 2 else "not json",
                          "segment": "a" if i < 3 else "b"} for i in range(n)])


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = LabelStore(tmp_path / "labels.sqlite")
    yield s
    s.close()


def _with_labels(store: LabelStore) -> None:
    t = _traces()
    # json_valid fails t0, t2, t4; contains('1') fails the same three: two check sources
    evalkit.run_checks(t, [checks.json_valid(), checks.regex(r"answer", name="has_answer")],
                       by=None).to_store(store)
    store.record("t1", annotator="judge_x", field="verdict", value="fail", source="judge:m")


def test_filter_on_check_verdicts(store: LabelStore) -> None:
    _with_labels(store)
    ann = Annotator(_traces(), store, annotator="me")
    assert ann.filter(check_verdict="fail") == 3
    assert ann.view == ["t0", "t2", "t4"]
    assert ann.filter(check_verdict="pass") == 3 and ann.view == ["t1", "t3", "t5"]
    # judges and checks are apart: t1 is failed by a judge only
    assert ann.filter(judge_verdict="fail") == 1 and ann.view == ["t1"]
    assert ann.filter(check_verdict="pass", judge_verdict="fail") == 1
    assert ann.filter(check_verdict="fail", segment="b") == 1 and ann.view == ["t4"]
    assert ann.state["filter"]["check_verdict"] == "fail"


def test_source_narrows_to_one_check(store: LabelStore) -> None:
    _with_labels(store)
    # a third source that fails t5 only
    store.record("t5", annotator="check:other", field="verdict", value="fail",
                 source="check:other")
    ann = Annotator(_traces(), store, annotator="me")
    assert ann.filter(check_verdict="fail") == 4
    assert ann.filter(check_verdict="fail", source="check:other") == 1 and ann.view == ["t5"]
    # 'pass' for one source: that source labeled it and did not fail it
    assert ann.filter(check_verdict="pass", source="check:json_valid") == 3
    assert ann.filter(judge_verdict="fail", source="judge:m") == 1
    with pytest.raises(ValueError, match=r"`source` must be one of 'check:has_answer', "
                                         r"'check:json_valid', 'check:other'; got 'check:nope'"):
        ann.filter(check_verdict="fail", source="check:nope")
    with pytest.raises(ValueError, match="`source` narrows `judge_verdict` or `check_verdict`"):
        ann.filter(source="check:other")
    with pytest.raises(ValueError, match=r"`check_verdict` must be one of 'pass', 'fail'"):
        ann.filter(check_verdict="error")  # type: ignore[arg-type]


def test_filter_from_the_front_end_message(store: LabelStore) -> None:
    _with_labels(store)
    ann = Annotator(_traces(), store, annotator="me")
    ann._on_msg(ann, {"view": "v1", "type": "filter", "check_verdict": "fail",
                      "source": "check:json_valid", "seq": 1}, [])
    assert ann.view == ["t0", "t2", "t4"] and not ann.errors


def test_filter_sees_labels_written_after_it_was_built(store: LabelStore,
                                                       tmp_path: Path) -> None:
    _with_labels(store)
    ann = Annotator(_traces(), store, annotator="me")
    assert ann.filter(judge_verdict="fail") == 1
    store.record("t3", annotator="judge_x", field="verdict", value="fail", source="judge:m")
    assert ann.filter(judge_verdict="fail") == 2  # a write through this store
    with LabelStore(tmp_path / "labels.sqlite") as other:  # another connection (process)
        other.record("t5", annotator="judge_y", field="verdict", value="fail", source="judge:m")
    assert ann.filter(judge_verdict="fail") == 3


def test_current_verdicts_is_cached_until_a_write(store: LabelStore, tmp_path: Path) -> None:
    _with_labels(store)
    first = store.current_verdicts()
    assert store.current_verdicts() is first  # no write: the same frame, no query
    # same content as the general read (oracle: labels(field='verdict'))
    full = store.labels(field="verdict")[["trace_id", "annotator", "source", "value"]]
    pd.testing.assert_frame_equal(first.reset_index(drop=True), full.reset_index(drop=True))
    store.undo("judge_x")
    after_undo = store.current_verdicts()
    assert after_undo is not first and "judge_x" not in set(after_undo["annotator"])
    with LabelStore(tmp_path / "labels.sqlite") as other:
        other.record("t0", annotator="bob", field="note", value="hi")
    assert store.current_verdicts() is not after_undo  # any commit invalidates


@settings(max_examples=40, deadline=None)
@given(segment=st.none() | st.sampled_from(["a", "b", "c", ""]),
       judge=st.none() | st.sampled_from(["pass", "fail", "maybe", ""]),
       check=st.none() | st.sampled_from(["pass", "fail", "x"]),
       source=st.none() | st.sampled_from(["check:json_valid", "judge:m", "check:<b>", ""]),
       disagreement=st.booleans())
def test_fuzz_filter_raises_only_value_errors(tmp_path_factory: Any, segment: Any, judge: Any,
                                              check: Any, source: Any,
                                              disagreement: bool) -> None:
    with LabelStore(tmp_path_factory.mktemp("s") / "l.sqlite") as s:
        _with_labels(s)
        ann = Annotator(_traces(), s, annotator="me")
        try:
            n = ann.filter(segment=segment, judge_verdict=judge, check_verdict=check,
                           source=source, disagreement=disagreement)
        except ValueError:
            return
        assert 0 <= n <= 6 and len(ann.view) == n

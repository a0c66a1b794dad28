"""The Annotator's reference-answer field (kernel side; the browser test drives the keys)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.labels import LabelStore
from evalkit.traces.schema import to_canonical
from evalkit.widgets import Annotator


def _traces(n: int = 3) -> Any:
    return to_canonical([{"trace_id": f"t{i}", "input": f"q{i}"} for i in range(n)])


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = LabelStore(tmp_path / "labels.sqlite")
    yield s
    s.close()


def _refs(store: LabelStore) -> list[tuple[str, str, str, str]]:
    df = store.labels()
    df = df[df["field"].str.startswith("reference_")]
    return list(zip(df["trace_id"], df["annotator"], df["field"], df["value"], strict=True))


def test_high_and_borderline_saved_as_text_fields(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="ana")
    assert "reference" in ann.fields and "reference_high" not in store.fields  # lazily
    assert ann.set_reference("  Refunds within 30 days.  ") is not None
    assert ann.set_reference("Refunds within 30 days.") is None  # unchanged: nothing written
    ann.set_reference("We might refund.", quality="borderline")
    assert store.fields["reference_high"].kind == "text"
    assert _refs(store) == [("t0", "ana", "reference_high", "Refunds within 30 days."),
                            ("t0", "ana", "reference_borderline", "We might refund.")]
    assert ann.state["reference_high"] == "Refunds within 30 days."
    assert ann.state["reference_borderline"] == "We might refund."
    ann.set_reference("", quality="borderline")  # cleared
    assert ann.state["reference_borderline"] == ""
    ann.next()
    assert ann.state["reference_high"] == ""  # the next trace has none


def test_message_from_the_browser_saves_and_goes_next(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="ana")
    ann._on_msg(ann, {"type": "reference", "text": "<b>x</b> & y", "quality": "borderline",
                      "next": True, "trace_id": "t0", "view": "v", "seq": 1}, None)
    assert ann.errors == [] and ann.current == "t1"
    assert _refs(store) == [("t0", "ana", "reference_borderline", "<b>x</b> & y")]
    ann._on_msg(ann, {"type": "reference", "text": "x", "quality": "best",
                      "view": "v", "seq": 2}, None)
    assert "`quality` must be one of 'high', 'borderline'; got 'best'" in ann.errors[-1]
    assert ann.state["message_kind"] == "error"


def test_second_annotator_keeps_own_reference(store: LabelStore) -> None:
    Annotator(_traces(), store, annotator="ana").set_reference("A says", trace_id="t1")
    bo = Annotator(_traces(), store, annotator="bo")
    bo.set_reference("B says", trace_id="t1")
    assert sorted(_refs(store)) == [("t1", "ana", "reference_high", "A says"),
                                    ("t1", "bo", "reference_high", "B says")]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda a: a.set_reference(3), TypeError, r"`text` must be a string; got int"),
        (lambda a: a.set_reference("x", quality="good"), ValueError,
         r"`quality` must be one of 'high', 'borderline'; got 'good'"),
        (lambda a: a.set_reference("x", trace_id="zz"), ValueError,
         r"`trace_id` 'zz' is not in this annotator's queue"),
    ],
)
def test_bad_input(store: LabelStore, call: Any, error: type, match: str) -> None:
    ann = Annotator(_traces(), store, annotator="ana")
    with pytest.raises(error, match=match):
        call(ann)


def test_fields_without_reference_refuse(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="ana", fields=["verdict", "note"])
    assert "reference" not in ann.fields
    with pytest.raises(ValueError, match=r"does not collect references: `fields` is"):
        ann.set_reference("x")


@settings(max_examples=40, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=st.text(max_size=60), quality=st.sampled_from(["high", "borderline", "x", ""]))
def test_fuzz_set_reference(store: LabelStore, text: str, quality: str) -> None:
    ann = Annotator(_traces(1), store, annotator="fz")
    try:
        ann.set_reference(text, quality=quality)  # type: ignore[arg-type]
    except ValueError as e:  # typed: bad quality, or text the store refuses (e.g. surrogates)
        assert "quality" in str(e) or "value" in str(e) or "field" in str(e), e
        return
    field = f"reference_{quality}"
    assert ann.state[field] == text.strip()  # saved (or unchanged), exactly, as text

"""Annotator, kernel side: keys, the store, progress, resume, blind mode, filters, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from evalkit.store import LabelStore
from evalkit.traces.schema import to_canonical
from evalkit.widgets.annotator import Annotator


def _traces(n: int = 10, segments: tuple[str, ...] = ("billing", "api")) -> pd.DataFrame:
    return to_canonical(
        [
            {
                "trace_id": f"t{i:02d}",
                "input": f"question {i}",
                "output": f"answer **{i}**",
                "segment": segments[i % len(segments)],
            }
            for i in range(n)
        ]
    )


@pytest.fixture
def store(tmp_path: Path) -> Any:
    s = LabelStore(tmp_path / "labels.sqlite")
    yield s
    s.close()


def _latest(store: LabelStore, annotator: str, field: str = "verdict") -> dict[str, Any]:
    df = store.labels(annotator=annotator, field=field)
    return dict(zip(df["trace_id"], df["value"], strict=True))


def _msg(ann: Annotator, **content: Any) -> None:
    ann._on_msg(ann, {"view": "v1", **content}, [])


# ---------------------------------------------------------------- keys and the store
def test_keys_record_and_move(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="a")
    assert ann.current == "t00"
    ann.press("1")  # pass, then next
    assert ann.current == "t01"
    ann.press("2")  # fail, stay for the note
    assert ann.current == "t01" and ann.verdict == "fail"
    ann.press("j")
    ann.press("d")  # defer, then next
    assert ann.current == "t03"
    ann.press("k")
    ann.press("ArrowLeft")
    ann.press("ArrowRight")
    assert ann.current == "t02"
    assert _latest(store, "a") == {"t00": "pass", "t01": "fail", "t02": "defer"}
    assert ann.progress == {"done": 2, "deferred": 1, "left": 7}


def test_undo_retracts_and_shows_that_trace(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="a")
    ann.press("1")
    ann.press("1")
    ann.press("j")
    assert ann.current == "t03"
    event = ann.undo()
    assert event is not None and event.trace_id == "t01"
    assert ann.current == "t01" and ann.verdict is None
    assert _latest(store, "a") == {"t00": "pass"}
    assert ann.progress == {"done": 1, "deferred": 0, "left": 9}
    ann.press("u")
    ann.press("u")
    assert ann.progress["done"] == 0 and ann.state["message"] == "Nothing to undo."


def test_undo_brings_back_the_previous_value(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="a")
    ann.press("d")
    ann.press("k")
    ann.press("2")
    ann.press("u")
    assert ann.verdict == "defer"
    assert ann.progress == {"done": 0, "deferred": 1, "left": 9}


def test_progress_is_maintained_incrementally_and_matches_the_store(store: LabelStore) -> None:
    ids = [f"t{i:02d}" for i in range(12)]
    ann = Annotator(_traces(12), store, annotator="a")
    keys = np.random.default_rng(7).choice(["1", "2", "d", "u", "j", "k"], size=150)
    for key in keys:
        ann.press(str(key))
        expected = store.progress(ids, annotator="a")
        assert ann.progress == {k: expected[k] for k in ("done", "deferred", "left")}, key
        assert ann.verdict == _latest(store, "a").get(ann.current)


def test_end_of_queue_stays_and_says_so(store: LabelStore) -> None:
    ann = Annotator(_traces(2), store, annotator="a")
    ann.press("1")
    ann.press("1")
    assert ann.current == "t01"
    assert "last trace" in ann.state["message"]
    ann.press("k")
    ann.press("k")
    assert ann.current == "t00" and "first trace" in ann.state["message"]


def test_save_message_names_its_trace_once_the_widget_moved_on(store: LabelStore) -> None:
    # A pass moves to the next trace: the status line must not read as a save of that trace.
    ann = Annotator(_traces(3), store, annotator="a")
    ann.press("1")
    assert ann.current == "t01" and ann.verdict is None
    assert ann.state["message"] == "✓ Saved verdict 'pass' on t00 · this trace has no verdict yet"
    assert (ann.state["message_kind"], ann.state["message_trace"]) == ("info", "t00")
    ann.press("k")  # back on the trace the save was for: the plain confirmation again
    assert (ann.state["message"], ann.state["message_kind"]) == ("✓ Saved verdict 'pass'", "saved")
    ann.press("j")
    ann.press("d")  # t01 deferred -> t02; back to t01: the save is its own
    ann.press("k")
    assert ann.state["message"] == "✓ Saved verdict 'defer'"
    ann.press("k")  # t00 shows where it stands itself
    assert ann.state["message"] == "✓ Saved verdict 'defer' on t01 · this trace: pass"
    ann.press("j")
    ann.press("j")
    assert ann.state["message"] == "✓ Saved verdict 'defer' on t01 · this trace has no verdict yet"
    ann.label("fail", advance=False)
    ann.prev()
    assert ann.state["message"] == "✓ Saved verdict 'fail' on t02 · this trace: deferred"
    ann.filter(segment="billing")  # a message about the view replaces it
    assert ann.state["message_trace"] is None and "match the filter" in ann.state["message"]


def test_press_rejects_unknown_keys(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="a")
    with pytest.raises(
        ValueError, match=r"`key` must be one of '1', '2', 'd', 'u', 'j'.*; got 'x'\."
    ):
        ann.press("x")


def test_saved_only_after_the_store_committed(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="a")
    event = ann.label("fail")
    last = store.labels(annotator="a", latest=False).iloc[-1]
    assert ann.state["saved"] == {
        "event_id": last["event_id"],
        "field": "verdict",
        "trace_id": "t00",
    }
    assert event.event_id == last["event_id"]
    # A second connection (another process) sees it: it was committed, not just cached.
    with LabelStore(store.path) as other:
        assert _latest(other, "a") == {"t00": "fail"}


# ---------------------------------------------------------------- note, codes, failure modes
def test_note_codes_and_modes(store: LabelStore) -> None:
    modes = ["hallucinated_policy", "no_next_step"]
    ann = Annotator(_traces(), store, annotator="a", failure_modes=modes)
    assert ann.fields == ["verdict", "note", "open_codes", "failure_modes", "reference"]
    ann.press("2")
    assert ann.set_note("  invented a 90-day refund window ") is not None
    assert ann.set_note("invented a 90-day refund window") is None  # unchanged: nothing written
    ann.add_code("wrong policy")
    # the status line speaks the reviewer's words, not the store's field names
    assert ann.state["message"] == "✓ Saved open codes 'wrong policy'"
    ann.add_code("tone")
    assert ann.add_code("tone") is None
    ann.remove_code("tone")
    ann.toggle_mode("hallucinated_policy")
    assert ann.state["message"] == "✓ Saved failure modes 'hallucinated_policy'"
    ann.toggle_mode("no_next_step")
    ann.toggle_mode("no_next_step")
    assert _latest(store, "a", "note") == {"t00": "invented a 90-day refund window"}
    assert _latest(store, "a", "open_codes") == {"t00": ["wrong policy"]}
    assert _latest(store, "a", "failure_modes") == {"t00": ["hallucinated_policy"]}
    assert ann.state["codes"] == ["wrong policy"] and ann.state["modes"] == ["hallucinated_policy"]
    assert ann.state["known_codes"] == ["wrong policy", "tone"]
    with pytest.raises(
        ValueError, match=r"`mode` must be one of 'hallucinated_policy', 'no_next_step'; got 'x'"
    ):
        ann.toggle_mode("x")
    # Autocomplete starts from the codes already in the store.
    assert Annotator(_traces(), store, annotator="b").state["known_codes"] == ["wrong policy"]


def test_note_message_saves_for_the_trace_shown_then_moves(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="a")
    _msg(ann, type="key", key="2", seq=1)
    # Ctrl/Cmd+Enter in the note: the front end names the trace it showed.
    _msg(ann, type="note", text="first thing wrong", next=True, trace_id="t00", seq=2)
    assert ann.current == "t01" and ann.state["ack"] == {"view": "v1", "seq": 2}
    assert _latest(store, "a", "note") == {"t00": "first thing wrong"}
    # A note typed for a trace the kernel has already moved past still lands on that trace.
    _msg(ann, type="note", text="late note", trace_id="t00", seq=3)
    assert _latest(store, "a", "note") == {"t00": "late note"} and ann.current == "t01"
    _msg(ann, type="code", action="add", code="c1", trace_id="t01", seq=4)
    _msg(ann, type="code", action="remove", code="c1", trace_id="t01", seq=5)
    assert _latest(store, "a", "open_codes") == {"t01": []}


def test_burst_of_messages_all_recorded_in_order(store: LabelStore) -> None:
    ann = Annotator(_traces(20), store, annotator="a")
    keys = ["1", "2", "j", "1", "d", "2", "u", "2", "j", "1", "1", "1"]
    for seq, key in enumerate(keys, 1):
        _msg(ann, type="key", key=key, seq=seq)
    events = store.labels(annotator="a", latest=False)
    assert list(zip(events["trace_id"], events["value"], events["undone"], strict=True)) == [
        ("t00", "pass", False),
        ("t01", "fail", False),
        ("t02", "pass", False),
        ("t03", "defer", False),
        ("t04", "fail", True),
        ("t04", "fail", False),
        ("t05", "pass", False),
        ("t06", "pass", False),
        ("t07", "pass", False),
    ]
    assert ann.state["ack"]["seq"] == len(keys) and ann.current == "t08"


def test_messages_arriving_out_of_order_are_handled_in_send_order(store: LabelStore) -> None:
    # ipykernel may dispatch comm messages that arrive while it is busy out of order.
    ann = Annotator(_traces(20), store, annotator="a")
    sent = ["1", "2", "j", "1", "d", "1"]
    arrival = [1, 3, 2, 6, 4, 5]  # seq numbers in arrival order
    for seq in arrival:
        _msg(ann, type="key", key=sent[seq - 1], seq=seq)
        if seq == 3:  # 2 is missing: 3 must wait
            assert _latest(store, "a") == {"t00": "pass"}
    assert _latest(store, "a") == {
        "t00": "pass",
        "t01": "fail",
        "t02": "pass",
        "t03": "defer",
        "t04": "pass",
    }
    assert ann.current == "t05" and ann.state["ack"] == {"view": "v1", "seq": 6}
    _msg(ann, type="key", key="1", seq=4)  # a duplicate is ignored
    assert ann.current == "t05"
    # A second view of the same widget numbers its own messages from 1.
    _msg(ann, type="key", key="1", seq=1, view="v2")
    assert _latest(store, "a")["t05"] == "pass" and ann.state["ack"] == {"view": "v2", "seq": 1}


# ---------------------------------------------------------------- errors are kept and shown
def test_errors_in_messages_are_captured_and_shown(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="a")
    _msg(ann, type="key", key="z", seq=1)
    _msg(ann, type="nonsense", seq=2)
    assert len(ann.errors) == 2 and "Traceback" in ann.errors[0]
    assert ann.state["errors"][-1] == "ValueError: unknown message type 'nonsense'"
    assert ann.state["message_kind"] == "error" and ann.state["ack"]["seq"] == 2
    assert store.labels().empty
    _msg(ann, type="key", key="1", seq=3)  # still works afterwards
    assert _latest(store, "a") == {"t00": "pass"}


# ---------------------------------------------------------------- resume, order, queue
def test_reopening_resumes_at_first_trace_without_pass_or_fail(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="a")
    for key in ["1", "2", "j", "d", "1"]:  # t00 pass, t01 fail, t02 defer, t03 pass
        ann.press(key)
    again = Annotator(_traces(), store, annotator="a")
    assert again.current == "t02"  # deferred traces come back
    assert again.progress == {"done": 3, "deferred": 1, "left": 6}
    assert Annotator(_traces(), store, annotator="someone_else").current == "t00"
    again.press("1")
    assert Annotator(_traces(), store, annotator="a").current == "t04"


def test_everything_done_opens_at_start_and_says_so(store: LabelStore) -> None:
    ann = Annotator(_traces(2), store, annotator="a")
    ann.press("1")
    ann.press("1")
    again = Annotator(_traces(2), store, annotator="a")
    assert again.current == "t00" and "Every trace" in again.state["message"]


def test_random_order_is_seeded(store: LabelStore) -> None:
    a = Annotator(_traces(30), store, annotator="a", order="random", seed=3)
    b = Annotator(_traces(30), store, annotator="a", order="random", seed=3)
    c = Annotator(_traces(30), store, annotator="a", order="random", seed=4)
    assert a.queue == b.queue != c.queue
    assert sorted(a.queue) == [f"t{i:02d}" for i in range(30)]
    assert a.current == a.queue[0]


def test_queue_as_frame_or_ids(store: LabelStore) -> None:
    traces = _traces()
    queue = pd.DataFrame({"trace_id": ["t05", "t01", "t09"], "why": ["judges disagree"] * 3})
    ann = Annotator(traces, store, annotator="a", queue=queue)
    assert ann.queue == ["t05", "t01", "t09"] and ann.current == "t05"
    ann.press("1")
    assert ann.current == "t01" and "question 1" in ann.html
    assert Annotator(traces, store, annotator="a", queue=["t09", "t05"]).current == "t09"


def test_sample_frame_works_as_traces(store: LabelStore) -> None:
    sample = _traces(20).sample(5, random_state=1)  # a subset with a shuffled index
    ann = Annotator(sample, store, annotator="a")
    assert ann.queue == sample["trace_id"].tolist()
    assert f"question {int(ann.current[1:])}" in ann.html


# ---------------------------------------------------------------- blind mode
def _with_other_labels(store: LabelStore) -> None:
    store.record("t00", annotator="bob", field="verdict", value="pass")
    store.record("t00", annotator="bob", field="note", value="BOB <b>NOTE</b>")
    store.record(
        "t00", annotator="judge_strict", field="verdict", value="fail", source="judge:gpt-x"
    )


def test_blind_mode_hides_other_labels_until_pass_or_fail(store: LabelStore) -> None:
    _with_other_labels(store)
    ann = Annotator(_traces(), store, annotator="a")
    assert (
        "Hidden until you pass or fail" in ann.labels_html and "2 other labels" in ann.labels_html
    )
    assert "BOB" not in ann.labels_html and "judge_strict" not in ann.labels_html
    ann.press("d")
    ann.press("k")
    assert "BOB" not in ann.labels_html
    ann.press("2")
    assert "BOB &lt;b&gt;NOTE&lt;/b&gt;" in ann.labels_html and "judge_strict" in ann.labels_html
    assert "judge:gpt-x" in ann.labels_html
    ann.press("u")  # back to defer: hidden again
    assert "BOB" not in ann.labels_html


def test_not_blind_shows_other_labels_at_once(store: LabelStore) -> None:
    _with_other_labels(store)
    ann = Annotator(_traces(), store, annotator="a", blind=False)
    assert "BOB &lt;b&gt;NOTE&lt;/b&gt;" in ann.labels_html and "judge_strict" in ann.labels_html
    ann.press("j")
    assert "No other labels" in ann.labels_html


# ---------------------------------------------------------------- filters
def test_filters_segment_judge_disagreement(store: LabelStore) -> None:
    judges = pd.DataFrame(
        {
            "trace_id": ["t00", "t01", "t02", "t00", "t01", "t03"],
            "judge": ["j1", "j1", "j1", "j2", "j2", "j2"],
            "verdict": ["pass", "fail", "pass", "pass", "pass", "fail"],
        }
    )
    store.import_labels(judges, source="judge:gpt-x")
    store.record("t02", annotator="bob", field="verdict", value="fail")
    ann = Annotator(_traces(), store, annotator="a")
    assert ann.state["has_judges"] is True and ann.state["segments"] == ["api", "billing"]
    assert ann.filter(segment="api") == 5
    assert ann.view == ["t01", "t03", "t05", "t07", "t09"] and ann.current == "t01"
    ann.filter(judge_verdict="fail")
    assert ann.view == ["t01", "t03"]
    ann.filter(judge_verdict="pass")
    assert ann.view == ["t00", "t02"]
    ann.filter(disagreement=True)  # t01: j1 fail vs j2 pass; t02: judges vs bob
    assert ann.view == ["t01", "t02"]
    ann.press("1")  # labels t01 inside the filtered view
    assert ann.current == "t02" and _latest(store, "a") == {"t01": "pass"}
    assert ann.state["filtered"] is True and ann.state["total"] == 2 and ann.progress["done"] == 1
    _msg(ann, type="filter", segment="billing", judge_verdict=None, disagreement=True, seq=1)
    assert ann.view == ["t02"]
    assert ann.filter() == 10 and ann.current == "t00"  # cleared: first trace not done


def test_filter_opens_at_first_trace_not_done_and_empty_views(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="a")
    ann.press("1")  # t00 done
    ann.filter(segment="billing")
    assert ann.current == "t02"
    store.record("t04", annotator="judge_x", field="verdict", value="pass", source="judge:m")
    ann.filter(judge_verdict="fail")
    assert ann.current is None and ann.view == [] and "No traces" in ann.html
    with pytest.raises(ValueError, match="There is no trace to label"):
        ann.press("1")
    ann.press("j")  # navigating an empty view is harmless
    with pytest.raises(ValueError, match=r"`segment` must be one of 'api', 'billing'; got 'nope'"):
        ann.filter(segment="nope")
    with pytest.raises(
        ValueError, match=r"`judge_verdict` must be one of 'pass', 'fail'; got 'maybe'"
    ):
        ann.filter(judge_verdict="maybe")  # type: ignore[arg-type]


def test_go_and_its_error(store: LabelStore) -> None:
    ann = Annotator(_traces(), store, annotator="a")
    ann.go(4)
    assert ann.current == "t04" and ann.index == 4 and ann.state["index"] == 4
    with pytest.raises(IndexError, match=r"`index` must be an integer from 0 to 9; got 10"):
        ann.go(10)


# ---------------------------------------------------------------- rendering stays safe
def test_html_is_the_sanitized_trace(store: LabelStore) -> None:
    traces = to_canonical(
        [{"trace_id": "x", "input": "<img src=x onerror=alert(1)>", "output": "ok"}]
    )
    ann = Annotator(traces, store, annotator="a")
    assert "&lt;img src=x onerror=alert(1)&gt;" in ann.html and "<img" not in ann.html


def test_store_path_is_accepted(tmp_path: Path) -> None:
    ann = Annotator(_traces(), tmp_path / "new.sqlite", annotator="a")
    ann.press("1")
    with LabelStore(tmp_path / "new.sqlite") as s:
        assert _latest(s, "a") == {"t00": "pass"}


# ---------------------------------------------------------------- validation messages
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"traces": [1, 2]},
            TypeError,
            r"`traces` must be a canonical trace frame \(pd.DataFrame\); got list",
        ),
        (
            {"traces": pd.DataFrame({"id": ["a"]})},
            ValueError,
            r"`traces` must have a 'trace_id' column; got columns \['id'\]",
        ),
        (
            {"traces": to_canonical([{"trace_id": "a"}, {"trace_id": "a"}])},
            ValueError,
            r"`traces` trace ids must be unique; 1 repeat \(e.g. 'a'\)",
        ),
        ({"annotator": " "}, ValueError, r"`annotator` must be a non-empty string; got ' '"),
        (
            {"order": "shuffled"},
            ValueError,
            r"`order` must be one of 'as-is', 'random'; got 'shuffled'",
        ),
        (
            {"fields": ["verdict", "severity"]},
            ValueError,
            r"`fields` must be one of 'verdict', 'note', 'open_codes', 'failure_modes', "
            r"'reference'; "
            r"got 'severity'",
        ),
        ({"fields": ["note"]}, ValueError, r"`fields` must include 'verdict'; got \['note'\]"),
        ({"fields": ["verdict", "failure_modes"]}, ValueError, r"`failure_modes` is empty"),
        ({"failure_modes": "a;b"}, TypeError, r"`failure_modes` must be a sequence of mode names"),
        (
            {"queue": ["t01", "zz"]},
            ValueError,
            r"`queue` has 1 trace ids that are not in `traces` \(e.g. \['zz'\]\)",
        ),
        ({"queue": ["t01", "t01"]}, ValueError, r"`queue` lists trace 't01' more than once"),
        (
            {"queue": pd.DataFrame({"id": ["t01"]})},
            ValueError,
            r"`queue` frame must have a 'trace_id' column",
        ),
        (
            {"queue": 5},
            TypeError,
            r"`queue` must be a frame with a 'trace_id' column or a sequence",
        ),
        (
            {"store": 5},
            TypeError,
            r"`store` must be an evalkit.LabelStore or the path of its file; got int",
        ),
    ],
)
def test_validation_messages(
    store: LabelStore, kwargs: dict[str, Any], error: type, match: str
) -> None:
    args: dict[str, Any] = {"traces": _traces(), "store": store, "annotator": "a", **kwargs}
    traces, st = args.pop("traces"), args.pop("store")
    with pytest.raises(error, match=match):
        Annotator(traces, st, **args)


def test_a_message_that_never_arrives_does_not_block_forever(store: LabelStore) -> None:
    ann = Annotator(_traces(300), store, annotator="a")
    for seq in range(2, 203):  # seq 1 is lost
        _msg(ann, type="key", key="1", seq=seq)
    assert len(store.labels(annotator="a")) == 201
    assert "messages 1..1 from the browser never arrived" in ann.errors[0]
    _msg(ann, type="key", key="2", seq=203)  # and the stream goes on
    assert ann.verdict == "fail"

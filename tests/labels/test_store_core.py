"""LabelStore core: record, latest view, undo, history, validation, import, progress, codes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from evalkit.errors import EvalkitError
from evalkit.store import InvalidLabelError, LabelEvent, LabelStore, LabelStoreError


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "labels.sqlite")
    yield s
    s.close()


def current(store: LabelStore, **kw: object) -> dict[tuple[str, str, str], object]:
    df = store.labels(**kw)
    return {(r.trace_id, r.annotator, r.field): r.value for r in df.itertuples()}


# ---------------------------------------------------------------------- record / labels
def test_record_returns_event_and_persists(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with LabelStore(path) as s:
        ev = s.record("t1", annotator="alice", field="verdict", value="fail", note="why")
        assert isinstance(ev, LabelEvent)
        assert (ev.trace_id, ev.annotator, ev.field, ev.value, ev.note, ev.source) == (
            "t1",
            "alice",
            "verdict",
            "fail",
            "why",
            "human",
        )
        assert len(ev.event_id) == 32
        assert ev.created_at.tzinfo is not None
    assert s.path == path.absolute()
    # a fresh store object (new connection) sees it
    with LabelStore(path) as s2:
        df = s2.labels()
        assert list(df.columns) == [
            "event_id",
            "trace_id",
            "annotator",
            "field",
            "value",
            "note",
            "source",
            "created_at",
        ]
        assert df.loc[0, "event_id"] == ev.event_id
        assert df.loc[0, "value"] == "fail"
        assert df.loc[0, "note"] == "why"
        assert str(df["created_at"].dtype) == "datetime64[ns, UTC]"
        assert df.loc[0, "created_at"].to_pydatetime() == ev.created_at


def test_value_types_roundtrip(store: LabelStore) -> None:
    store.record("t1", annotator="a", field="verdict", value="pass")
    store.record("t1", annotator="a", field="note", value="ok ünïcode")
    store.record("t1", annotator="a", field="open_codes", value=[" tone ", "tone", "len"])
    store.record("t1", annotator="a", field="failure_modes", value=[])
    store.record("t1", annotator="a", field="severity", value=3)
    got = current(store)
    assert got == {
        ("t1", "a", "verdict"): "pass",
        ("t1", "a", "note"): "ok ünïcode",
        # stripped and de-duplicated, first-occurrence order
        ("t1", "a", "open_codes"): ["tone", "len"],
        ("t1", "a", "failure_modes"): [],
        ("t1", "a", "severity"): 3,
    }
    assert type(got[("t1", "a", "severity")]) is int


def test_latest_after_overwrites(store: LabelStore) -> None:
    store.record("t1", annotator="a", field="verdict", value="pass")
    store.record("t1", annotator="a", field="verdict", value="fail")
    store.record("t1", annotator="b", field="verdict", value="pass")
    store.record("t2", annotator="a", field="verdict", value="defer")
    store.record("t2", annotator="a", field="verdict", value="pass")
    assert current(store) == {
        ("t1", "a", "verdict"): "fail",
        ("t1", "b", "verdict"): "pass",
        ("t2", "a", "verdict"): "pass",
    }
    all_events = store.labels(latest=False)
    assert len(all_events) == 5
    assert not all_events["undone"].any()
    assert list(all_events["value"]) == ["pass", "fail", "pass", "defer", "pass"]


def test_label_filters(store: LabelStore) -> None:
    store.record("t1", annotator="a", field="verdict", value="pass")
    store.record("t1", annotator="b", field="verdict", value="fail")
    store.record("t1", annotator="a", field="severity", value=1)
    store.record("t2", annotator="j", field="verdict", value="fail", source="judge:x")
    assert set(store.labels(annotator="a")["field"]) == {"verdict", "severity"}
    assert set(store.labels(field="verdict")["annotator"]) == {"a", "b", "j"}
    assert list(store.labels(source="judge:x")["trace_id"]) == ["t2"]
    assert set(store.labels(trace_id="t1")["annotator"]) == {"a", "b"}
    assert list(store.labels(trace_id="t1", annotator="a", latest=False)["field"]) == [
        "verdict",
        "severity",
    ]
    assert store.labels(annotator="nobody").empty
    assert store.labels(annotator="nobody").columns[0] == "event_id"


def test_explicit_time_is_kept_and_ordering_is_commit_order(store: LabelStore) -> None:
    old = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=timezone(timedelta(hours=2)))
    store.record("t1", annotator="a", field="verdict", value="pass")
    ev = store.record("t1", annotator="a", field="verdict", value="fail", time=old)
    assert ev.created_at == old.astimezone(UTC)
    df = store.labels()
    # latest is the last recorded, even though its time is older
    assert df.loc[0, "value"] == "fail"
    assert df.loc[0, "created_at"] == pd.Timestamp("2024-01-02T01:04:05.678901Z")


# ---------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"field": "verdict", "value": "passs"},
            r"`value` for field 'verdict' must be one of 'pass', 'fail', 'defer'; got 'passs'\.",
        ),
        (
            {"field": "verdict", "value": 2},  # 1/0 are in the verdict vocabulary; 2 is not
            r"`value` for field 'verdict' must be one of 'pass', 'fail', 'defer'; got int 2\.",
        ),
        ({"field": "note", "value": 3}, r"`value` for field 'note' must be a string; got int 3\."),
        (
            {"field": "open_codes", "value": "tone"},
            r"`value` for field 'open_codes' must be a list of non-empty strings; got 'tone'\.",
        ),
        (
            {"field": "open_codes", "value": ["ok", ""]},
            r"`value` for field 'open_codes' must be a list of non-empty strings; got item '' in",
        ),
        (
            {"field": "failure_modes", "value": ["ok", 3]},
            r"`value` for field 'failure_modes' must be a list of non-empty strings; "
            r"got item int 3",
        ),
        (
            {"field": "severity", "value": 4},
            r"`value` for field 'severity' must be an integer from 1 to 3; got 4\.",
        ),
        (
            {"field": "severity", "value": 0},
            r"`value` for field 'severity' must be an integer from 1 to 3; got 0\.",
        ),
        (
            {"field": "severity", "value": 2.0},
            r"`value` for field 'severity' must be an integer from 1 to 3; got float 2\.0\.",
        ),
        (
            {"field": "severity", "value": True},
            r"`value` for field 'severity' must be an integer from 1 to 3; got bool True\.",
        ),
        (
            {"field": "verdikt", "value": "pass"},
            r"`field` must be one of 'verdict', 'note', 'open_codes', 'failure_modes', 'severity' "
            r"\(or declare it with LabelStore.register_field\); got 'verdikt'\.",
        ),
        (
            {"field": "verdict", "value": "pass", "note": 5},
            r"`note` must be a string or None; got int 5\.",
        ),
        (
            {"field": "verdict", "value": "pass", "source": ""},
            r"`source` must be a non-empty string; got ''\.",
        ),
        (
            {"field": "verdict", "value": "pass", "time": datetime(2024, 1, 1)},
            r"`time` must be timezone-aware .*; got naive",
        ),
        (
            {"field": "verdict", "value": "pass", "time": 12},
            r"`time` must be a timezone-aware datetime; got int 12\.",
        ),
    ],
)
def test_record_validation(store: LabelStore, kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidLabelError, match=match) as info:
        store.record("t1", annotator="a", **kwargs)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, EvalkitError)
    assert store.labels(latest=False).empty  # nothing written


@pytest.mark.parametrize(
    ("trace_id", "annotator", "match"),
    [
        ("", "a", r"`trace_id` must be a non-empty string; got ''\."),
        (None, "a", r"`trace_id` must be a non-empty string; got NoneType None\."),
        ("t1", "  ", r"`annotator` must be a non-empty string; got '  '\."),
        ("t1", 7, r"`annotator` must be a non-empty string; got int 7\."),
    ],
)
def test_record_validation_names(
    store: LabelStore, trace_id: object, annotator: object, match: str
) -> None:
    with pytest.raises(InvalidLabelError, match=match):
        store.record(trace_id, annotator=annotator, field="verdict", value="pass")  # type: ignore[arg-type]


def test_constructor_timeout_validation(tmp_path: Path) -> None:
    with pytest.raises(
        InvalidLabelError, match=r"`timeout` must be a positive number of seconds; got 0"
    ):
        LabelStore(tmp_path / "x.sqlite", timeout=0)


# ---------------------------------------------------------------------- register_field
def test_register_field(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with LabelStore(path) as s:
        s.register_field("tone", kind="choice", choices=["polite", "rude"])
        s.register_field("tone", kind="choice", choices=["polite", "rude"])  # idempotent
        s.register_field("score", kind="int", low=1, high=5)
        s.record("t1", annotator="a", field="tone", value="rude")
        with pytest.raises(
            InvalidLabelError,
            match=r"`value` for field 'tone' must be one of 'polite', 'rude'; got 'meh'\.",
        ):
            s.record("t1", annotator="a", field="tone", value="meh")
        with pytest.raises(InvalidLabelError, match=r"must be an integer from 1 to 5; got 6\."):
            s.record("t1", annotator="a", field="score", value=6)
        with pytest.raises(InvalidLabelError, match=r"field 'tone' is already registered as"):
            s.register_field("tone", kind="text")
    # the registration is stored in the file: another store object knows it
    with LabelStore(path) as s2:
        assert s2.fields["tone"].choices == ("polite", "rude")
        s2.record("t2", annotator="a", field="score", value=5)


def test_field_registered_by_other_connection_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with LabelStore(path) as s1, LabelStore(path) as s2:
        s1.register_field("topic", kind="text")
        s2.record("t1", annotator="a", field="topic", value="billing")


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ({"name": "verdict", "kind": "text"}, r"`name` 'verdict' is a built-in field"),
        ({"name": "", "kind": "text"}, r"`name` must be a non-empty string; got ''\."),
        (
            {"name": "x", "kind": "float"},
            r"`kind` must be one of 'choice', 'text', 'list', 'int'; got 'float'\.",
        ),
        ({"name": "x", "kind": "choice"}, r"`choices` is required for kind 'choice'; got None\."),
        (
            {"name": "x", "kind": "choice", "choices": "ab"},
            r"`choices` must be a sequence of non-empty strings; got 'ab'\.",
        ),
        (
            {"name": "x", "kind": "text", "choices": ["a"]},
            r"`choices` is only allowed for kinds 'choice' and 'list'; got kind 'text'\.",
        ),
        ({"name": "x", "kind": "text", "low": 1}, r"`low`/`high` are only allowed for kind 'int'"),
        (
            {"name": "x", "kind": "int", "low": 1.5},
            r"`low` must be an integer or None; got float 1\.5\.",
        ),
        (
            {"name": "x", "kind": "int", "low": 3, "high": 1},
            r"`low` must be <= `high`; got low=3, high=1\.",
        ),
    ],
)
def test_register_field_validation(store: LabelStore, args: dict, match: str) -> None:
    name = args.pop("name")
    with pytest.raises(InvalidLabelError, match=match):
        store.register_field(name, **args)


def test_list_field_with_choices(store: LabelStore) -> None:
    store.register_field("modes", kind="list", choices=["a", "b"])
    store.record("t", annotator="x", field="modes", value=["a"])
    with pytest.raises(InvalidLabelError, match=r"items must be among 'a', 'b'; got 'c'\."):
        store.record("t", annotator="x", field="modes", value=["c"])


# ---------------------------------------------------------------------- undo / history
def test_undo_restores_previous_value_and_walks_back(store: LabelStore) -> None:
    e1 = store.record("t1", annotator="a", field="verdict", value="pass")
    e2 = store.record("t1", annotator="a", field="verdict", value="fail")
    e3 = store.record("t2", annotator="a", field="severity", value=2)
    assert store.undo("a") == e3
    assert current(store) == {("t1", "a", "verdict"): "fail"}
    assert store.undo("a") == e2  # undo twice: the next-latest non-undone event
    assert current(store) == {("t1", "a", "verdict"): "pass"}
    assert store.undo("a") == e1
    assert current(store) == {}
    assert store.undo("a") is None  # nothing left
    events = store.labels(latest=False)
    assert list(events["undone"]) == [True, True, True]


def test_undo_with_nothing_to_undo(store: LabelStore) -> None:
    assert store.undo("ghost") is None
    assert store.labels(latest=False).empty


def test_undo_only_affects_that_annotator(store: LabelStore) -> None:
    store.record("t1", annotator="a", field="verdict", value="pass")
    store.record("t1", annotator="b", field="verdict", value="fail")
    undone = store.undo("a")
    assert undone is not None and undone.annotator == "a"
    assert current(store) == {("t1", "b", "verdict"): "fail"}
    assert store.undo("a") is None
    assert current(store) == {("t1", "b", "verdict"): "fail"}


def test_undo_restricted_to_trace_and_field(store: LabelStore) -> None:
    store.record("t1", annotator="a", field="verdict", value="pass")
    store.record("t2", annotator="a", field="verdict", value="fail")
    store.record("t1", annotator="a", field="severity", value=1)
    ev = store.undo("a", trace_id="t1", field="verdict")
    assert ev is not None and (ev.trace_id, ev.field, ev.value) == ("t1", "verdict", "pass")
    assert current(store) == {("t2", "a", "verdict"): "fail", ("t1", "a", "severity"): 1}


def test_new_label_after_undo_is_current(store: LabelStore) -> None:
    store.record("t1", annotator="a", field="verdict", value="pass")
    store.undo("a")
    store.record("t1", annotator="a", field="verdict", value="defer")
    assert current(store) == {("t1", "a", "verdict"): "defer"}


def test_history_in_order_with_undo_events(store: LabelStore) -> None:
    e1 = store.record("t1", annotator="a", field="verdict", value="pass")
    store.record("t2", annotator="a", field="verdict", value="pass")
    e3 = store.record("t1", annotator="b", field="note", value="hm")
    store.undo("b")
    e5 = store.record("t1", annotator="a", field="verdict", value="fail")
    h = store.history("t1")
    assert list(h.columns) == [
        "event_id",
        "kind",
        "trace_id",
        "annotator",
        "field",
        "value",
        "note",
        "source",
        "created_at",
        "retracts",
        "undone",
    ]
    assert list(h["kind"]) == ["label", "label", "undo", "label"]
    assert list(h["event_id"])[:2] == [e1.event_id, e3.event_id]
    assert h.loc[2, "retracts"] == e3.event_id and h.loc[2, "value"] is None
    assert h.loc[2, "annotator"] == "b" and h.loc[2, "field"] == "note"
    assert list(h["undone"]) == [False, True, False, False]
    assert h.loc[3, "event_id"] == e5.event_id
    assert h["created_at"].is_monotonic_increasing
    assert store.history("nope").empty


def test_events_table_is_append_only(store: LabelStore) -> None:
    store.record("t1", annotator="a", field="verdict", value="pass")
    import sqlite3

    conn = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE events SET value = '\"fail\"'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM events")
    conn.close()


# ---------------------------------------------------------------------- record_many / import
def test_record_many_one_transaction(store: LabelStore) -> None:
    n = store.record_many(
        [
            {"trace_id": "t1", "annotator": "a", "field": "verdict", "value": "pass"},
            {
                "trace_id": "t2",
                "annotator": "a",
                "field": "severity",
                "value": "2",
                "note": "n",
                "source": "import",
                "time": "2024-05-01T10:00:00Z",
            },
        ]
    )
    assert n == 2
    df = store.labels()
    assert list(df["value"]) == ["pass", 2]
    assert df.loc[1, "created_at"] == pd.Timestamp("2024-05-01T10:00:00Z")
    # an invalid event anywhere: nothing of the batch is written
    with pytest.raises(
        InvalidLabelError, match=r"events\[1\]: `value` for field 'verdict' must be one of"
    ):
        store.record_many(
            [
                {"trace_id": "t3", "annotator": "a", "field": "verdict", "value": "pass"},
                {"trace_id": "t4", "annotator": "a", "field": "verdict", "value": "nope"},
            ]
        )
    assert len(store.labels(latest=False)) == 2


@pytest.mark.parametrize(
    ("events", "match"),
    [
        (
            [{"trace_id": "t", "annotator": "a", "field": "verdict"}],
            r"events\[0\] is missing 'value'\.",
        ),
        (
            [{"trace_id": "t", "annotator": "a", "field": "verdict", "value": "pass", "colour": 1}],
            r"events\[0\] has unknown keys \['colour'\]",
        ),
        (["x"], r"events\[0\] must be a mapping; got str\."),
        (
            [
                {
                    "trace_id": "t",
                    "annotator": "a",
                    "field": "verdict",
                    "value": "pass",
                    "event_id": "e",
                },
                {
                    "trace_id": "u",
                    "annotator": "a",
                    "field": "verdict",
                    "value": "pass",
                    "event_id": "e",
                },
            ],
            r"`event_id` 'e' appears more than once\.",
        ),
    ],
)
def test_record_many_validation(store: LabelStore, events: list, match: str) -> None:
    with pytest.raises(InvalidLabelError, match=match):
        store.record_many(events)


def test_record_many_existing_ids(store: LabelStore) -> None:
    ev = store.record("t1", annotator="a", field="verdict", value="pass")
    row = {
        "trace_id": "t1",
        "annotator": "a",
        "field": "verdict",
        "value": "fail",
        "event_id": ev.event_id,
    }
    with pytest.raises(InvalidLabelError, match=r"1 `event_id`\(s\) already in the store"):
        store.record_many([row])
    new = {"trace_id": "t2", "annotator": "a", "field": "verdict", "value": "fail"}
    assert store.record_many([row, new], skip_existing=True) == 1
    assert current(store) == {("t1", "a", "verdict"): "pass", ("t2", "a", "verdict"): "fail"}


def test_import_labels_from_judges_frame(store: LabelStore) -> None:
    judges = pd.DataFrame(
        {
            "trace_id": ["t1", "t2", "t1", "t2"],
            "judge": ["judge_strict", "judge_strict", "judge_lenient", "judge_lenient"],
            "verdict": ["fail", "pass", "pass", "pass"],
            "score": [2, 4, 4, 5],
        }
    )
    assert store.import_labels(judges, source="judge:gpt-x") == 4
    got = current(store)
    assert got == {
        ("t1", "judge_strict", "verdict"): "fail",
        ("t2", "judge_strict", "verdict"): "pass",
        ("t1", "judge_lenient", "verdict"): "pass",
        ("t2", "judge_lenient", "verdict"): "pass",
    }
    assert set(store.labels()["source"]) == {"judge:gpt-x"}
    # a named annotator overrides the judge column
    assert store.import_labels(judges.iloc[:1], annotator="j1") == 1
    assert current(store, annotator="j1") == {("t1", "j1", "verdict"): "fail"}


def test_import_labels_lists_notes_and_default_annotator(store: LabelStore) -> None:
    human = pd.DataFrame(
        {
            "trace_id": ["t1", "t2", "t3"],
            "failure_modes": ["hallucinated_policy;ignored_context", "", None],
            "why": ["made up refund rule", None, "x"],
        }
    )
    with pytest.raises(
        InvalidLabelError, match=r"row 2 \(trace_id 't3'\): missing value in column 'failure_modes'"
    ):
        store.import_labels(human, field="failure_modes", value_col="failure_modes", note_col="why")
    assert store.labels(latest=False).empty
    n = store.import_labels(
        human,
        field="failure_modes",
        value_col="failure_modes",
        note_col="why",
        source="human",
        skip_missing=True,
    )
    assert n == 2
    df = store.labels()
    assert list(df["annotator"]) == ["human", "human"]  # no annotator/judge column -> source
    assert df.loc[0, "value"] == ["hallucinated_policy", "ignored_context"]
    assert df.loc[1, "value"] == []
    assert df.loc[0, "note"] == "made up refund rule" and df.loc[1, "note"] is None


def test_import_labels_validation(store: LabelStore) -> None:
    df = pd.DataFrame({"trace_id": ["t1", "t2"], "verdict": ["pass", "maybe"]})
    with pytest.raises(
        InvalidLabelError,
        match=r"`value_col` 'label' is not a column of `df`; columns: \['trace_id', 'verdict'\]",
    ):
        store.import_labels(df, value_col="label")
    with pytest.raises(InvalidLabelError, match=r"`note_col` 'n' is not a column"):
        store.import_labels(df, note_col="n")
    with pytest.raises(
        InvalidLabelError,
        match=r"df row \[1\]: `value` for field 'verdict' must be one of 'pass', 'fail', "
        r"'defer'; got 'maybe'",
    ):
        store.import_labels(df)
    with pytest.raises(InvalidLabelError, match=r"`df` must be a pandas DataFrame; got list\."):
        store.import_labels([1, 2])  # type: ignore[arg-type]
    assert store.labels(latest=False).empty


def test_import_labels_with_times(store: LabelStore) -> None:
    df = pd.DataFrame(
        {
            "trace_id": ["t1"],
            "annotator": ["ann_alice"],
            "verdict": ["pass"],
            "labeled_at": ["2025-03-04T05:06:07+00:00"],
        }
    )
    store.import_labels(df, source="human", time_col="labeled_at")
    got = store.labels()
    assert got.loc[0, "annotator"] == "ann_alice"
    assert got.loc[0, "created_at"] == pd.Timestamp("2025-03-04T05:06:07Z")


# ---------------------------------------------------------------------- progress / codes
def test_progress_and_resume(store: LabelStore) -> None:
    queue = ["t1", "t2", "t3", "t4", "t5"]
    assert store.progress(queue, annotator="a") == {
        "done": 0,
        "deferred": 0,
        "left": 5,
        "next_index": 0,
    }
    store.record("t1", annotator="a", field="verdict", value="pass")
    store.record("t2", annotator="a", field="verdict", value="defer")
    store.record("t3", annotator="a", field="verdict", value="fail")
    store.record("t4", annotator="b", field="verdict", value="fail")  # other annotator
    store.record("t5", annotator="a", field="note", value="n")  # other field
    # t2 deferred comes back first: first trace without a non-defer verdict
    assert store.progress(queue, annotator="a") == {
        "done": 2,
        "deferred": 1,
        "left": 2,
        "next_index": 1,
    }
    store.record("t2", annotator="a", field="verdict", value="fail")
    assert store.progress(queue, annotator="a") == {
        "done": 3,
        "deferred": 0,
        "left": 2,
        "next_index": 3,
    }
    store.record("t4", annotator="a", field="verdict", value="pass")
    store.record("t5", annotator="a", field="verdict", value="pass")
    assert store.progress(queue, annotator="a") == {
        "done": 5,
        "deferred": 0,
        "left": 0,
        "next_index": None,
    }
    store.undo("a")  # t5 back to unlabelled
    assert store.progress(queue, annotator="a") == {
        "done": 4,
        "deferred": 0,
        "left": 1,
        "next_index": 4,
    }
    assert store.progress([], annotator="a") == {
        "done": 0,
        "deferred": 0,
        "left": 0,
        "next_index": None,
    }
    assert store.progress(queue, annotator="a", field="note") == {
        "done": 1,
        "deferred": 0,
        "left": 4,
        "next_index": 0,
    }


def test_progress_validation(store: LabelStore) -> None:
    with pytest.raises(
        InvalidLabelError,
        match=r"`trace_ids` must be a sequence of trace ids; got a single string\.",
    ):
        store.progress("t1", annotator="a")
    with pytest.raises(InvalidLabelError, match=r"`field` must be one of"):
        store.progress(["t1"], annotator="a", field="bogus")


def test_codes_ranking(store: LabelStore) -> None:
    store.record("t1", annotator="a", field="open_codes", value=["tone", "length"])
    store.record("t2", annotator="a", field="open_codes", value=["tone"])
    store.record("t3", annotator="b", field="open_codes", value=["wrong tool", "length", "tone"])
    store.record("t4", annotator="b", field="open_codes", value=["apology"])
    store.record("t4", annotator="b", field="open_codes", value=["zzz"])  # overwrite: apology gone
    store.record("t5", annotator="b", field="open_codes", value=["undone-code"])
    store.undo("b")
    store.record("t1", annotator="a", field="failure_modes", value=["hallucinated_policy"])
    # tone 3, length 2, then ties alphabetical: wrong tool, zzz
    assert store.codes() == ["tone", "length", "wrong tool", "zzz"]
    assert store.codes(field="failure_modes") == ["hallucinated_policy"]
    with pytest.raises(
        InvalidLabelError,
        match=r"`field` must be a list field .*; got 'verdict' of kind 'choice'\.",
    ):
        store.codes(field="verdict")


# ---------------------------------------------------------------------- lifecycle / threads
def test_closed_store_errors(tmp_path: Path) -> None:
    s = LabelStore(tmp_path / "c.sqlite")
    s.close()
    s.close()  # idempotent
    assert "closed" in repr(s)
    with pytest.raises(LabelStoreError, match=r"label store '.*c\.sqlite' is closed\."):
        s.record("t1", annotator="a", field="verdict", value="pass")


def test_one_store_shared_by_threads(store: LabelStore) -> None:
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(100):
                store.record(f"t{k}-{i}", annotator=f"a{k}", field="verdict", value="pass")
                if i % 10 == 0:
                    store.labels(annotator=f"a{k}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    df = store.labels()
    assert len(df) == 400 and df["event_id"].is_unique
